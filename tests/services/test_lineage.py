"""Lineage queries and the activity roll-up, on both backends, over the real lineage."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from shapely import Point

from geo import spatial
from geo.errors import NotFoundError
from geo.models import Activity, ActivityCommune, AdminUnit, UnitLineage
from services import lineage
from services.communes import communes_on

TODAY = dt.date(2026, 11, 26)


def _unit(session, name, *, code=None, valid_to=None, current=False):
    query = sa.select(AdminUnit).where(AdminUnit.name == name)
    if code:
        query = query.where(AdminUnit.code == code)
    if current:
        query = query.where(AdminUnit.valid_to.is_(None))
    elif valid_to:
        query = query.where(AdminUnit.valid_to == valid_to)
    return session.scalars(query).one()


def _activity(session, day, *, unit=None, shape=None):
    activity = Activity(
        activity_date=day,
        type_code="ENV_SANITATION",
        reported_unit_id=unit.id if unit else None,
        geom=spatial.to_db_geometry(shape) if shape is not None else None,
    )
    session.add(activity)
    session.flush()
    if shape is not None:
        for part in spatial.communes_for_geometry(session, shape, TODAY):
            session.add(ActivityCommune(activity_id=activity.id, unit_id=part.unit_id))
        session.flush()
    return activity


def test_old_commune_is_held_by_todays_commune(seeded):
    dong_le = _unit(seeded, "Phường Đông Lễ", code="19336")
    [result] = lineage.successors_on(seeded, dong_le.id, TODAY)
    assert result.name == "Phường Nam Đông Hà"
    assert not result.partial and not result.unknown
    assert [s.change_type for s in result.steps] == ["merge_new"]
    assert result.steps[0].effective_date == dt.date(2025, 7, 1)
    assert result.steps[0].legal_basis.startswith("NQ 1680")


def test_unit_valid_on_the_day_is_its_own_successor(seeded):
    dong_le = _unit(seeded, "Phường Đông Lễ", code="19336")
    [result] = lineage.successors_on(seeded, dong_le.id, dt.date(2022, 5, 1))
    assert result.unit_id == dong_le.id and result.steps == ()


def test_2019_commune_rolls_up_through_two_events(seeded):
    a_tuc = _unit(seeded, "Xã A Túc")
    [in_2022] = lineage.successors_on(seeded, a_tuc.id, dt.date(2022, 1, 1))
    assert in_2022.name == "Xã Lìa" and in_2022.code == "19489"
    lia_today = _unit(seeded, "Xã Lìa", current=True)
    [today] = lineage.successors_on(seeded, a_tuc.id, TODAY)
    assert today.unit_id == lia_today.id
    assert [s.effective_date for s in today.steps] == [dt.date(2020, 1, 1), dt.date(2025, 7, 1)]
    assert lineage.today_unit_for(seeded, a_tuc.id, TODAY) == lia_today.id


def test_split_commune_converging_again_is_whole(seeded):
    # Gio Thành (2019) went partly to one commune and partly to another in 2020;
    # both were merged into one commune on 2025-07-01.
    gio_thanh = _unit(seeded, "Xã Gio Thành", valid_to=dt.date(2020, 1, 1))
    [in_2022a, in_2022b] = lineage.successors_on(seeded, gio_thanh.id, dt.date(2022, 1, 1))
    assert in_2022a.partial and in_2022b.partial
    [today] = lineage.successors_on(seeded, gio_thanh.id, TODAY)
    assert not today.partial
    mapping = lineage.unit_map(sa.select(sa.literal(gio_thanh.id)), TODAY)
    assert seeded.execute(sa.select(mapping.c.unit_id, mapping.c.partial)).all() == [
        (today.unit_id, 0)
    ]
    assert lineage.today_unit_for(seeded, gio_thanh.id, dt.date(2022, 1, 1)) is None


def test_partial_transfer_gives_several_partial_successors(seeded):
    old = AdminUnit(
        name="Xã Thử Tách", level="commune", kind="xa", valid_to=dt.date(2025, 7, 1), code="T1"
    )
    seeded.add(old)
    seeded.flush()
    a, b = _unit(seeded, "Xã Lìa", current=True), _unit(seeded, "Phường Nam Đông Hà", current=True)
    for new, kind in ((a, "partial_transfer"), (b, "merge_new")):
        seeded.add(
            UnitLineage(
                old_unit_id=old.id,
                new_unit_id=new.id,
                effective_date=dt.date(2025, 7, 1),
                change_type=kind,
            )
        )
    seeded.flush()
    results = lineage.successors_on(seeded, old.id, TODAY)
    assert {r.unit_id for r in results} == {a.id, b.id}
    assert all(r.partial for r in results)
    assert lineage.map_units(seeded, [old.id], TODAY) == {old.id: sorted([a.id, b.id])}
    mapping = lineage.unit_map(sa.select(sa.literal(old.id)), TODAY)
    assert {r.partial for r in seeded.execute(sa.select(mapping))} == {1}


def test_lone_partial_transfer_is_partial(seeded):
    old = AdminUnit(
        name="Xã Thử Một Phần", level="commune", kind="xa", valid_to=dt.date(2025, 7, 1)
    )
    seeded.add(old)
    seeded.flush()
    lia = _unit(seeded, "Xã Lìa", current=True)
    seeded.add(
        UnitLineage(
            old_unit_id=old.id,
            new_unit_id=lia.id,
            effective_date=dt.date(2025, 7, 1),
            change_type="partial_transfer",
        )
    )
    seeded.flush()
    [result] = lineage.successors_on(seeded, old.id, TODAY)
    assert result.unit_id == lia.id and result.partial
    assert lineage.today_unit_for(seeded, old.id, TODAY) is None
    mapping = lineage.unit_map(sa.select(sa.literal(old.id)), TODAY)
    assert seeded.execute(sa.select(mapping.c.unit_id, mapping.c.partial)).all() == [(lia.id, 1)]
    _activity(seeded, dt.date(2024, 6, 1), unit=old)
    rollup = lineage.activities_by_commune(seeded, TODAY, dt.date(2024, 1, 1), TODAY)
    counts = _counts(rollup, "Xã Lìa")
    assert (counts.split, counts.by_lineage, counts.total) == (1, 0, 0)


@pytest.mark.parametrize("name", ["Xã Gio Châu", "Xã Gio Việt", "Xã Linh Hải", "Xã Hải Quế"])
def test_abolished_without_known_successor_is_unknown(seeded, name):
    unit = _unit(seeded, name, valid_to=dt.date(2025, 1, 1))
    [result] = lineage.successors_on(seeded, unit.id, TODAY)
    assert result.unknown and result.unit_id is None
    assert result.last_known_unit_id == unit.id
    assert result.ended_on == dt.date(2025, 1, 1)
    assert lineage.today_unit_for(seeded, unit.id, TODAY) is None
    assert lineage.map_units(seeded, [unit.id], TODAY) == {unit.id: []}


def test_unit_not_yet_existing_has_no_successor(seeded):
    lia_today = _unit(seeded, "Xã Lìa", current=True)
    [result] = lineage.successors_on(seeded, lia_today.id, dt.date(2022, 1, 1))
    assert result.unknown


def test_unknown_unit_id_is_refused(seeded):
    with pytest.raises(NotFoundError):
        lineage.successors_on(seeded, 10_000_000, TODAY)


def test_predecessors_nested_through_earlier_events(seeded):
    lia_today = _unit(seeded, "Xã Lìa", current=True)
    tree = lineage.predecessors(seeded, lia_today.id)
    by_name = {p.name: p for p in tree}
    assert "Xã Lìa" in by_name
    lia_2020 = by_name["Xã Lìa"]
    assert lia_2020.effective_date == dt.date(2025, 7, 1)
    assert lia_2020.legal_basis.startswith("NQ 1680")
    nested = {p.name: p for p in lia_2020.predecessors}
    assert nested["Xã A Túc"].effective_date == dt.date(2020, 1, 1)
    assert nested["Xã A Túc"].change_type == "merge_new"
    assert "Xã A Túc" in {p.name for p in lineage.flatten(tree)}
    assert lineage.predecessors(seeded, nested["Xã A Túc"].unit_id) == []


def test_map_units_agrees_with_successors(seeded):
    ids = list(
        seeded.scalars(
            sa.select(AdminUnit.id).where(
                AdminUnit.level == "commune", AdminUnit.valid_to.isnot(None)
            )
        )
    )
    mapped = lineage.map_units(seeded, ids, TODAY)
    for unit_id in ids:
        expected = sorted(
            s.unit_id for s in lineage.successors_on(seeded, unit_id, TODAY) if not s.unknown
        )
        assert mapped[unit_id] == expected, unit_id
    assert sum(1 for v in mapped.values() if not v) == 5  # the five 2025-01 abolitions


def _counts(rollup, name):
    return next(c for c in rollup.communes if c.name == name)


def test_activity_in_old_commune_counts_for_todays_commune(seeded):
    before = lineage.activities_by_commune(seeded, TODAY, dt.date(2022, 1, 1), TODAY)
    dong_le = _unit(seeded, "Phường Đông Lễ", code="19336")
    _activity(seeded, dt.date(2022, 6, 11), unit=dong_le)
    after = lineage.activities_by_commune(seeded, TODAY, dt.date(2022, 1, 1), TODAY)
    nam = _counts(after, "Phường Nam Đông Hà")
    assert nam.by_lineage == _counts(before, "Phường Nam Đông Hà").by_lineage + 1
    assert nam.by_geometry == _counts(before, "Phường Nam Đông Hà").by_geometry
    assert sum(c.total for c in after.communes) == sum(c.total for c in before.communes) + 1
    assert len(after.communes) == 78
    later = lineage.activities_by_commune(seeded, TODAY, dt.date(2023, 1, 1), TODAY)
    assert _counts(later, "Phường Nam Đông Hà").by_lineage == nam.by_lineage - 1


def test_2019_unit_activity_rolls_up_two_events_and_unknown_is_unplaced(seeded):
    a_tuc = _unit(seeded, "Xã A Túc")
    gio_chau = _unit(seeded, "Xã Gio Châu", valid_to=dt.date(2025, 1, 1))
    _activity(seeded, dt.date(2019, 6, 1), unit=a_tuc)
    _activity(seeded, dt.date(2024, 6, 1), unit=gio_chau)
    rollup = lineage.activities_by_commune(seeded, TODAY, dt.date(2019, 1, 1), TODAY)
    assert _counts(rollup, "Xã Lìa").by_lineage == 1
    assert rollup.unplaced == 1
    in_2022 = lineage.activities_by_commune(seeded, dt.date(2022, 1, 1), dt.date(2019, 1, 1), TODAY)
    lia_2020 = next(c for c in in_2022.communes if c.name == "Xã Lìa")
    assert lia_2020.code == "19489" and lia_2020.by_lineage == 1
    assert len(in_2022.communes) == 125


def test_drawn_activity_counts_where_it_falls(seeded):
    frame = communes_on(seeded, TODAY)
    inner = frame.loc[frame["name"] == "Xã Vĩnh Linh", "geometry"].iloc[0].representative_point()
    _activity(seeded, dt.date(2026, 3, 7), shape=Point(inner.x, inner.y))
    rollup = lineage.activities_by_commune(seeded, TODAY, dt.date(2026, 3, 7), dt.date(2026, 3, 7))
    assert _counts(rollup, "Xã Vĩnh Linh").by_geometry == 1
    assert sum(c.total for c in rollup.communes) == 1
    empty = lineage.activities_by_commune(seeded, TODAY, dt.date(2026, 3, 8), TODAY)
    assert sum(c.total for c in empty.communes) == 0
