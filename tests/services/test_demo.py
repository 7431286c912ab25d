"""The demo scenario on both backends: reproducible, labelled, placed inside real communes."""

from __future__ import annotations

import datetime as dt

import geopandas as gpd
import pytest
import shapely
import sqlalchemy as sa
from click.testing import CliRunner
from geoalchemy2.shape import to_shape

from geo.measure import length_m
from geo.models import (
    Activity,
    ActivityCommune,
    AdminUnit,
    CriteriaSet,
    Criterion,
    CriterionAssessment,
    NtmLevel,
    Organisation,
    Sponsorship,
    WorkingGroupUnit,
)
from services import demo, lineage
from services.communes import communes_on
from tests.conftest import data_dir

N = 60
TODAY = dt.date(2026, 11, 26)


@pytest.fixture
def loaded(seeded):
    counts = demo.load_demo(seeded, n_activities=N)
    seeded.flush()
    return seeded, counts


def _signature(session) -> list[tuple]:
    """What a user sees of the demo activities, without database ids."""
    rows = session.execute(
        sa.select(Activity, AdminUnit.code)
        .outerjoin(AdminUnit, AdminUnit.id == Activity.reported_unit_id)
        .where(Activity.is_demo)
        .order_by(Activity.import_key)
    ).all()
    out = []
    for activity, reported_code in rows:
        shape = None if activity.geom is None else to_shape(activity.geom)
        communes = sorted(
            session.scalars(
                sa.select(AdminUnit.code)
                .join(ActivityCommune, ActivityCommune.unit_id == AdminUnit.id)
                .where(ActivityCommune.activity_id == activity.id)
            )
        )
        out.append(
            (
                activity.import_key,
                activity.activity_date,
                activity.type_code,
                None if shape is None else shapely.set_precision(shape, 1e-7).wkt,
                reported_code,
                activity.organiser.code if activity.organiser else None,
                activity.participants,
                activity.quantity,
                activity.funds_vnd,
                tuple(sorted((c.criteria_set.code, c.number) for c in activity.criteria)),
                tuple(communes),
            )
        )
    return out


def test_plan_is_reproducible_and_independent_of_size(seeded):
    first = demo.plan_activities(seeded, n_activities=N)
    again = demo.plan_activities(seeded, n_activities=N)
    longer = demo.plan_activities(seeded, n_activities=N + 20)
    assert first == again
    assert longer[:N] == first
    other_seed = demo.plan_activities(seeded, seed=7, n_activities=N)
    assert [p.activity_date for p in other_seed] != [p.activity_date for p in first]


def test_loading_is_reproducible_in_the_database(loaded):
    session, _ = loaded
    before = _signature(session)
    assert len(before) == N
    demo.remove_demo(session)
    demo.load_demo(session, n_activities=N)
    session.flush()
    assert _signature(session) == before


def test_every_geometry_lies_in_its_communes(loaded):
    session, _ = loaded
    communes = communes_on(session, TODAY).set_index("id")
    drawn = session.scalars(sa.select(Activity).where(Activity.is_demo, Activity.geom.isnot(None)))
    checked = 0
    for activity in drawn:
        unit_ids = [c.unit_id for c in activity.communes]
        assert unit_ids, activity.import_key
        cover = shapely.union_all(communes.loc[unit_ids, "geometry"].values).buffer(1e-7)
        assert cover.covers(to_shape(activity.geom)), activity.import_key
        checked += 1
    assert checked > N / 2


def test_lines_crossing_borders_split_their_length(loaded):
    session, _ = loaded
    crossing = 0
    for activity in session.scalars(sa.select(Activity).where(Activity.is_demo)):
        shape = None if activity.geom is None else to_shape(activity.geom)
        if shape is None or shape.geom_type != "LineString":
            continue
        total = length_m(gpd.GeoSeries([shape], crs=4326))[0]
        assert 50 < total < 10_000
        parts = [c.length_m for c in activity.communes]
        assert abs(sum(parts) - total) / total < 0.005, activity.import_key
        crossing += len(parts) > 1
    assert crossing >= 1


def test_everything_is_labelled_demo(loaded):
    session, counts = loaded
    assert all(counts[k] > 0 for k in ("assessments", "sponsorships", "working_groups"))
    for activity in session.scalars(sa.select(Activity).where(Activity.is_demo)):
        assert "dữ liệu minh hoạ" in activity.description
        assert activity.created_by == "demo"
    for model in (CriterionAssessment, NtmLevel, Sponsorship, Organisation):
        sources = session.scalars(sa.select(model.source).where(model.is_demo)).all()
        assert sources and all("DEMO" in s for s in sources), model.__name__
    assert session.scalar(sa.select(sa.func.count()).select_from(Activity)) == N


def test_assessments_only_for_xa_with_history(loaded):
    session, _ = loaded
    kinds = set(
        session.scalars(
            sa.select(AdminUnit.kind)
            .join(CriterionAssessment, CriterionAssessment.unit_id == AdminUnit.id)
            .where(CriterionAssessment.is_demo)
        )
    )
    assert kinds == {"xa"}
    rows = session.execute(
        sa.select(
            CriteriaSet.code,
            AdminUnit.valid_to,
            CriterionAssessment.unit_id,
            CriterionAssessment.criterion_id,
            CriterionAssessment.status,
            CriterionAssessment.assessed_on,
        )
        .join(Criterion, Criterion.id == CriterionAssessment.criterion_id)
        .join(CriteriaSet)
        .join(AdminUnit, AdminUnit.id == CriterionAssessment.unit_id)
        .where(CriterionAssessment.is_demo)
        .order_by(CriterionAssessment.assessed_on)
    ).all()
    sets = {r[0]: set() for r in rows}
    for r in rows:
        sets[r[0]].add(r[1])
    assert sets["NTM_XA_2026_2030"] == {None}  # today's communes only
    assert None not in sets["NTM_XA_2021_2025"]  # old communes only
    history: dict[tuple, list[str]] = {}
    for r in rows:
        history.setdefault((r.unit_id, r.criterion_id), []).append(r.status)
    assert any(h == ["unmet", "met"] for h in history.values())
    assert {s for h in history.values() for s in h} == {"met", "unmet", "unknown"}


def test_ntm_levels_fill_only_the_unknown(loaded):
    session, _ = loaded
    levels = session.scalars(sa.select(NtmLevel).where(NtmLevel.is_demo)).all()
    registered = [lv for lv in levels if lv.level == "registered"]
    assert registered and {lv.target_year for lv in registered} <= {2026, 2027}
    seeded_units = set(
        session.scalars(sa.select(NtmLevel.unit_id).where(sa.not_(NtmLevel.is_demo)))
    )
    assert not seeded_units & {lv.unit_id for lv in levels}
    assert all(lv.unit.kind == "xa" and lv.confidence == "demo" for lv in levels)


def test_working_groups_and_sponsorships(loaded):
    session, _ = loaded
    groups = session.scalars(
        sa.select(Organisation).where(Organisation.kind == "working_group", Organisation.is_demo)
    ).all()
    members = session.scalars(sa.select(WorkingGroupUnit.unit_id)).all()
    assert len(groups) == 8 and len(set(members)) == len(members) == 78
    communes = communes_on(session, TODAY).set_index("id")
    for group in groups:
        area = to_shape(group.area_geom)
        ids = session.scalars(
            sa.select(WorkingGroupUnit.unit_id).where(WorkingGroupUnit.working_group_id == group.id)
        )
        for unit_id in ids:
            assert area.contains(communes.loc[unit_id, "geometry"].representative_point())
    sponsors = session.execute(
        sa.select(Sponsorship.unit_id, Organisation.code)
        .join(Organisation)
        .where(Sponsorship.is_demo)
    ).all()
    assert all(code.startswith("QT44-") for _, code in sponsors)
    per_unit: dict[int, int] = {}
    for unit_id, _ in sponsors:
        per_unit[unit_id] = per_unit.get(unit_id, 0) + 1
    xa = set(communes.index[communes["kind"] == "xa"])
    assert set(per_unit) < xa  # some xã have no sponsor
    assert 2 in per_unit.values() and 1 in per_unit.values()


def test_old_units_without_geometry_roll_up_through_lineage(seeded):
    plans = demo.plan_activities(seeded, n_activities=300)
    reported = [p for p in plans if p.reported_unit_id is not None]
    assert reported and all(p.shape is None for p in reported)
    assert all(p.activity_date < demo.NEW_UNITS_DAY for p in reported)
    for plan in reported:
        unit = seeded.get(AdminUnit, plan.reported_unit_id)
        assert unit.valid_on(plan.activity_date) and unit.valid_to == demo.NEW_UNITS_DAY
        [today] = lineage.successors_on(seeded, unit.id, TODAY)
        assert today.code == plan.commune_code
    counts = demo.load_demo(seeded, n_activities=300)
    rollup = lineage.activities_by_commune(seeded, TODAY, demo.FIRST_DAY, demo.LAST_DAY)
    assert sum(c.by_lineage for c in rollup.communes) == len(reported)
    assert sum(c.by_geometry for c in rollup.communes) == counts["activity_communes"]
    assert rollup.unplaced == 0


def test_saturdays_mostly_and_in_range(seeded):
    plans = demo.plan_activities(seeded, n_activities=200)
    days = [p.activity_date for p in plans]
    assert min(days) >= demo.FIRST_DAY and max(days) <= demo.LAST_DAY
    assert sum(d.weekday() == 5 for d in days) > 0.8 * len(days)


def test_loading_twice_adds_nothing(loaded):
    session, _ = loaded
    tables = (Activity, ActivityCommune, CriterionAssessment, NtmLevel, Sponsorship, Organisation)
    before = [session.scalar(sa.select(sa.func.count()).select_from(t)) for t in tables]
    again = demo.load_demo(session, n_activities=N)
    session.flush()
    assert set(again.values()) == {0}
    assert [session.scalar(sa.select(sa.func.count()).select_from(t)) for t in tables] == before


def test_remove_deletes_every_demo_row_and_nothing_else(loaded):
    session, _ = loaded
    real_levels = session.scalar(
        sa.select(sa.func.count()).select_from(NtmLevel).where(sa.not_(NtmLevel.is_demo))
    )
    real_orgs = session.scalar(
        sa.select(sa.func.count()).select_from(Organisation).where(sa.not_(Organisation.is_demo))
    )
    counts = demo.remove_demo(session)
    assert counts["activities"] == N
    for model in (Activity, CriterionAssessment, NtmLevel, Sponsorship, Organisation):
        assert not session.scalar(
            sa.select(sa.func.count()).select_from(model).where(model.is_demo)
        )
    assert not session.scalar(sa.select(sa.func.count()).select_from(ActivityCommune))
    assert not session.scalar(sa.select(sa.func.count()).select_from(WorkingGroupUnit))
    assert session.scalar(sa.select(sa.func.count()).select_from(NtmLevel)) == real_levels
    assert session.scalar(sa.select(sa.func.count()).select_from(Organisation)) == real_orgs


def test_remove_refuses_when_real_activities_use_a_demo_group(loaded):
    session, _ = loaded
    group = session.scalars(sa.select(Organisation).where(Organisation.is_demo).limit(1)).one()
    session.add(Activity(activity_date=TODAY, type_code="ROAD_REPAIR", organiser_id=group.id))
    session.flush()
    from geo.errors import ConflictError

    with pytest.raises(ConflictError, match="tổ công tác minh hoạ"):
        demo.remove_demo(session)


def test_cli_loads_and_removes_demo(tmp_path, monkeypatch):
    from webmap.cli import main

    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("NTM_DATA_DIR", str(data_dir()))
    runner = CliRunner()
    for args in (["db", "upgrade"], ["load", "reference"]):
        assert runner.invoke(main, args).exit_code == 0
    result = runner.invoke(main, ["load", "demo", "--activities", "5", "--seed", "3"])
    assert result.exit_code == 0, result.output
    assert "activities: 5" in result.output
    again = runner.invoke(main, ["load", "demo", "--activities", "5", "--seed", "3"])
    assert "activities: 0" in again.output
    removed = runner.invoke(main, ["load", "demo", "--remove"])
    assert removed.exit_code == 0 and "activities: 5" in removed.output


def test_has_demo_data(seeded):
    assert not demo.has_demo_data(seeded)
    seeded.add(Activity(activity_date=dt.date(2026, 11, 21), type_code="ROAD_REPAIR", is_demo=True))
    seeded.flush()
    assert demo.has_demo_data(seeded)
