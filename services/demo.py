"""The demo scenario: made-up but plausible facts over the real communes, generated reproducibly.

Everything written here is labelled ``is_demo`` and says "DEMO – dữ liệu minh hoạ"
in its source or description, so no screen or export can mistake it for real data.
The same seed gives the same scenario on every run and on both databases (choices
are made over lists sorted by official code and name, never by database id).
Loading twice adds nothing the second time; ``remove_demo`` deletes every demo row.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import cast

import shapely
import sqlalchemy as sa
from geoalchemy2.shape import from_shape
from shapely.geometry.base import BaseGeometry
from sqlalchemy import CursorResult
from sqlalchemy.orm import Session

from geo.errors import ConflictError
from geo.models import (
    Activity,
    ActivityCommune,
    AdminUnit,
    CriteriaSet,
    CriterionAssessment,
    NtmLevel,
    Organisation,
    Sponsorship,
    WorkingGroupUnit,
    activity_criterion,
)
from services import demo_activities
from services.communes import communes_on, valid_on

DEMO_LABEL = "DEMO – dữ liệu minh hoạ"
DEMO_BY = "demo"
DEFAULT_SEED = 20250705
#: today's communes (with polygons) begin on this day
NEW_UNITS_DAY = dt.date(2025, 7, 1)
FIRST_DAY, LAST_DAY = dt.date(2025, 1, 1), dt.date(2026, 11, 21)
SET_2021, SET_2026 = "NTM_XA_2021_2025", "NTM_XA_2026_2030"
SET_2026_FROM = dt.date(2026, 2, 15)

Progress = Callable[[str, int], None]


def _noop(label: str, n: int) -> None:
    pass


def demo_source(seed: int) -> str:
    return f"{DEMO_LABEL}: sinh tự động (services/demo.py, seed={seed}), không phải số liệu thật"


def progress_total(n_activities: int) -> int:
    """How many progress steps ``load_demo`` reports: one per activity, twice, plus five parts."""
    return 2 * n_activities + 5


@dataclass(frozen=True)
class Commune:
    id: int
    code: str
    name: str
    kind: str
    geometry: BaseGeometry


def _todays_communes(session: Session) -> list[Commune]:
    frame = communes_on(session, LAST_DAY).sort_values(["code", "name"])
    return [
        Commune(int(r.id), r.code, r.name, r.kind, r.geometry)
        for r in frame.itertuples(index=False)
    ]


def _has_demo(session: Session, model) -> bool:
    return session.scalar(sa.select(model.id).where(model.is_demo).limit(1)) is not None


def has_demo_data(session: Session) -> bool:
    """Whether any made-up demo fact is loaded (pages then say so)."""
    return any(
        _has_demo(session, model)
        for model in (Activity, CriterionAssessment, NtmLevel, Sponsorship, Organisation)
    )


def _criterion_ids(session: Session, set_code: str) -> list[int]:
    """The criteria of a set, in their official order."""
    criteria_set = session.scalars(sa.select(CriteriaSet).where(CriteriaSet.code == set_code)).one()
    return [c.id for c in criteria_set.criteria]


# --- criterion assessments and NTM levels --------------------------------------------------


def _assessment_rows(rng, unit_id, criteria, first, second, seed) -> list[dict]:
    """One commune's assessments: a first one per criterion, and for some unmet a later met."""
    rows = []
    for criterion_id in criteria:
        draw = rng.random()
        status = "unknown" if draw < 0.05 else "met" if draw < 0.6 else "unmet"
        day = first + dt.timedelta(days=rng.randrange(60))
        rows.append(_assessment(unit_id, criterion_id, status, day, seed))
        if status == "unmet" and rng.random() < 0.45:
            later = second + dt.timedelta(days=rng.randrange(90))
            rows.append(_assessment(unit_id, criterion_id, "met", later, seed))
    return rows


def _assessment(unit_id, criterion_id, status, day, seed) -> dict:
    return dict(
        unit_id=unit_id,
        criterion_id=criterion_id,
        status=status,
        assessed_on=day,
        source=demo_source(seed),
        note=DEMO_LABEL,
        recorded_by=DEMO_BY,
        is_demo=True,
    )


def load_assessments(session: Session, communes: list[Commune], seed: int) -> int:
    """QĐ 51/2025 assessments of today's xã (2026) and QĐ 318 ones of the old xã (2022–2024)."""
    if _has_demo(session, CriterionAssessment):
        return 0
    rng = random.Random(f"assessments:{seed}")
    rows: list[dict] = []
    criteria = _criterion_ids(session, SET_2026)
    for commune in (c for c in communes if c.kind == "xa"):
        rows += _assessment_rows(
            rng, commune.id, criteria, dt.date(2026, 3, 1), dt.date(2026, 8, 1), seed
        )
    old_xa = session.execute(
        sa.select(AdminUnit.id)
        .where(AdminUnit.level == "commune", AdminUnit.kind == "xa")
        .where(valid_on(AdminUnit, dt.date(2022, 6, 30)))
        .order_by(AdminUnit.code, AdminUnit.name)
    ).scalars()
    criteria = _criterion_ids(session, SET_2021)
    for unit_id in list(old_xa):
        rows += _assessment_rows(
            rng, unit_id, criteria, dt.date(2022, 6, 1), dt.date(2024, 3, 1), seed
        )
    session.execute(sa.insert(CriterionAssessment), rows)
    return len(rows)


def load_ntm_levels(session: Session, communes: list[Commune], seed: int) -> int:
    """A level for each of today's xã that has none recorded: none, registered 2026/2027, standard."""
    if _has_demo(session, NtmLevel):
        return 0
    known = set(session.scalars(sa.select(NtmLevel.unit_id)))
    rng = random.Random(f"ntm_levels:{seed}")
    rows = []
    for commune in (c for c in communes if c.kind == "xa" and c.id not in known):
        draw = rng.random()
        level = "registered" if draw < 0.45 else "none" if draw < 0.8 else "standard"
        registered = level == "registered"
        rows.append(
            dict(
                unit_id=commune.id,
                year=2025,
                level=level,
                target_level="standard" if registered else None,
                target_year=rng.choice((2026, 2027)) if registered else None,
                confidence="demo",
                rule=DEMO_LABEL,
                source=demo_source(seed),
                recorded_by=DEMO_BY,
                is_demo=True,
            )
        )
    if rows:
        session.execute(sa.insert(NtmLevel), rows)
    return len(rows)


# --- working groups and sponsorships --------------------------------------------------------

N_WORKING_GROUPS = 8


def load_working_groups(session: Session, communes: list[Commune], seed: int) -> int:
    """Demo working groups, each covering a band of neighbouring communes (north to south)."""
    if _has_demo(session, Organisation):
        return 0
    ordered = sorted(communes, key=lambda c: (-c.geometry.centroid.y, c.code))
    size = -(-len(ordered) // N_WORKING_GROUPS)
    chunks = [ordered[k : k + size] for k in range(0, len(ordered), size)]
    for number, members in enumerate(chunks):
        area = _dissolved([m.geometry for m in members])
        group = Organisation(
            code=f"DEMO-TCT-{number + 1:02d}",
            name=f"Tổ công tác số {number + 1} (DEMO)",
            short_name=f"TCT {number + 1} (DEMO)",
            kind="working_group",
            valid_from=NEW_UNITS_DAY,
            area_description=f"{DEMO_LABEL}: " + ", ".join(m.name for m in members),
            area_geom=from_shape(area, srid=4326),
            source=demo_source(seed),
            is_demo=True,
        )
        session.add(group)
        session.flush()
        session.add_all(WorkingGroupUnit(working_group_id=group.id, unit_id=m.id) for m in members)
    return len(chunks)


def _dissolved(geoms) -> shapely.MultiPolygon:
    """The union of polygons as one MultiPolygon (slivers of other types dropped)."""
    parts = shapely.get_parts(shapely.union_all(geoms))
    return shapely.MultiPolygon([p for p in parts if p.geom_type == "Polygon"])


def load_sponsorships(session: Session, communes: list[Commune], seed: int) -> int:
    """Today's departments sponsoring xã: most one sponsor, a few two, some none."""
    if _has_demo(session, Sponsorship):
        return 0
    departments = list(
        session.scalars(
            sa.select(Organisation.id)
            .where(Organisation.code.startswith("QT44-"), Organisation.kind == "department")
            .where(valid_on(Organisation, LAST_DAY))
            .order_by(Organisation.code)
        )
    )
    if not departments:
        return 0
    rng = random.Random(f"sponsorships:{seed}")
    rows = []
    for commune in (c for c in communes if c.kind == "xa"):
        draw = rng.random()
        count = 0 if draw < 0.12 else 2 if draw > 0.88 else 1
        for department_id in rng.sample(departments, count):
            rows.append(
                dict(
                    department_id=department_id,
                    unit_id=commune.id,
                    valid_from=dt.date(2025, 9, 1),
                    note=DEMO_LABEL,
                    source=demo_source(seed),
                    recorded_by=DEMO_BY,
                    is_demo=True,
                )
            )
    session.execute(sa.insert(Sponsorship), rows)
    return len(rows)


# --- the whole scenario ---------------------------------------------------------------------


def scenario(seed: int = DEFAULT_SEED) -> demo_activities.Scenario:
    return demo_activities.Scenario(
        seed=seed,
        label=DEMO_LABEL,
        first_day=FIRST_DAY,
        last_day=LAST_DAY,
        new_units_day=NEW_UNITS_DAY,
        criteria_sets=(SET_2021, SET_2026, SET_2026_FROM),
    )


def plan_activities(
    session: Session, seed: int = DEFAULT_SEED, n_activities: int = 2000
) -> list[demo_activities.PlannedActivity]:
    """The activities of the scenario, not written (the same list on every call)."""
    ctx = demo_activities.build_context(session, _todays_communes(session), NEW_UNITS_DAY)
    settings = scenario(seed)
    return [demo_activities.plan_activity(ctx, settings, i) for i in range(n_activities)]


def load_demo(
    session: Session,
    seed: int = DEFAULT_SEED,
    n_activities: int = 2000,
    progress: Progress = _noop,
) -> dict[str, int]:
    """Write the demo scenario over the reference data; parts already there are left alone."""
    communes = _todays_communes(session)
    if not communes:
        raise ConflictError(
            "Chưa có ranh giới các xã, phường hiện nay: hãy chạy 'ntm load reference' trước."
        )
    counts = {"working_groups": load_working_groups(session, communes, seed)}
    progress("working_groups", 1)
    counts["sponsorships"] = load_sponsorships(session, communes, seed)
    progress("sponsorships", 1)
    counts["assessments"] = load_assessments(session, communes, seed)
    progress("assessments", 1)
    counts["ntm_levels"] = load_ntm_levels(session, communes, seed)
    progress("ntm_levels", 1)
    session.flush()
    ctx = demo_activities.build_context(session, communes, NEW_UNITS_DAY)
    settings = scenario(seed)
    plans = [demo_activities.plan_activity(ctx, settings, i) for i in range(n_activities)]
    progress("plan", 1)
    added, links = demo_activities.insert_activities(session, ctx, plans, progress, NEW_UNITS_DAY)
    counts["activities"], counts["activity_communes"] = added, links
    return counts


def remove_demo(session: Session) -> dict[str, int]:
    """Delete every demo row (activities, assessments, levels, sponsorships, working groups)."""
    demo_orgs = sa.select(Organisation.id).where(Organisation.is_demo)
    in_use = session.scalar(
        sa.select(sa.func.count())
        .select_from(Activity)
        .where(sa.not_(Activity.is_demo), Activity.organiser_id.in_(demo_orgs))
    )
    if in_use:
        raise ConflictError(
            f"Không thể xoá dữ liệu minh hoạ: {in_use} hoạt động thật do tổ công tác minh hoạ "
            "tổ chức. Hãy đổi đơn vị tổ chức của các hoạt động đó trước."
        )
    demo_activities_ids = sa.select(Activity.id).where(Activity.is_demo)
    counts = {}
    for name, statement in (
        (
            "activity_communes",
            sa.delete(ActivityCommune).where(ActivityCommune.activity_id.in_(demo_activities_ids)),
        ),
        (
            "activity_criteria",
            sa.delete(activity_criterion).where(
                activity_criterion.c.activity_id.in_(demo_activities_ids)
            ),
        ),
        ("activities", sa.delete(Activity).where(Activity.is_demo)),
        ("assessments", sa.delete(CriterionAssessment).where(CriterionAssessment.is_demo)),
        ("ntm_levels", sa.delete(NtmLevel).where(NtmLevel.is_demo)),
        ("sponsorships", sa.delete(Sponsorship).where(Sponsorship.is_demo)),
        (
            "working_group_units",
            sa.delete(WorkingGroupUnit).where(WorkingGroupUnit.working_group_id.in_(demo_orgs)),
        ),
        ("working_groups", sa.delete(Organisation).where(Organisation.is_demo)),
    ):
        result = session.execute(statement, execution_options={"synchronize_session": False})
        counts[name] = cast(CursorResult, result).rowcount  # a DELETE gives a CursorResult
    return counts
