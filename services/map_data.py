"""What the planner map shows about each commune valid on a date, one row per commune.

No Flask here: plain values in, plain dicts out. Unknown stays unknown: a commune
with no assessment has ``unmet=None`` ("no data"), never 0.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.orm import Session, defer

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
    UnitGeometry,
    UnitLineage,
)
from services.communes import classifications_on, difficulty, valid_on


@dataclass(frozen=True)
class MapQuery:
    """The parameters that change what the map's themes show."""

    day: dt.date
    criteria_set_id: int | None = None
    criterion_id: int | None = None
    period_from: dt.date | None = None
    period_to: dt.date | None = None
    activity_types: tuple[str, ...] = ()
    organiser_ids: tuple[int, ...] = ()

    def period(self) -> tuple[dt.date, dt.date]:
        """The activity period; by default the 90 days up to the map's day."""
        end = self.period_to or self.day
        return (self.period_from or end - dt.timedelta(days=90), end)


@dataclass
class CommuneFacts:
    id: int
    code: str | None
    name: str
    kind: str
    area_km2: float | None
    former_districts: list[str] = field(default_factory=list)
    former_units: list[str] = field(default_factory=list)
    difficulty: str = "no_data"


def communes_valid_on(
    session: Session, day: dt.date, with_difficulty: bool = True
) -> list[CommuneFacts]:
    """Communes valid on ``day`` with kind, area, former districts and (unless told not) difficulty."""
    rows = session.execute(
        sa.select(
            AdminUnit.id, AdminUnit.code, AdminUnit.name, AdminUnit.kind, UnitGeometry.area_km2
        )
        .outerjoin(
            UnitGeometry, sa.and_(UnitGeometry.unit_id == AdminUnit.id, UnitGeometry.is_current)
        )
        .where(AdminUnit.level == "commune", valid_on(AdminUnit, day))
        .order_by(AdminUnit.name, AdminUnit.id)
    ).all()
    flags = classifications_on(session, day) if with_difficulty else {}
    history = predecessors(session, [r.id for r in rows])
    facts = []
    for r in rows:
        districts, units = history.get(r.id, ([], []))
        facts.append(
            CommuneFacts(
                r.id, r.code, r.name, r.kind, r.area_km2, districts, units,
                difficulty(flags.get(r.id, {})),
            )
        )  # fmt: skip
    return facts


def predecessors(session: Session, unit_ids: list[int]) -> dict[int, tuple[list[str], list[str]]]:
    """``{unit_id: (former district names, former unit names)}`` through the lineage, all generations."""
    parents_of: dict[int, list[int]] = defaultdict(list)
    for old_id, new_id in session.execute(
        sa.select(UnitLineage.old_unit_id, UnitLineage.new_unit_id)
    ):
        parents_of[new_id].append(old_id)
    units = {
        u.id: u
        for u in session.execute(
            sa.select(AdminUnit.id, AdminUnit.name, AdminUnit.level, AdminUnit.parent_id)
        )
    }
    result = {}
    for unit_id in unit_ids:
        seen, todo = set(), list(parents_of.get(unit_id, []))
        while todo:
            old = todo.pop()
            if old not in seen:
                seen.add(old)
                todo.extend(parents_of.get(old, []))
        districts = set()
        for old in seen:
            unit = units[old]
            if unit.level == "district":
                districts.add(unit.name)
            elif unit.parent_id in units and units[unit.parent_id].level == "district":
                districts.add(units[unit.parent_id].name)
        names = sorted({units[o].name for o in seen if units[o].level == "commune"})
        result[unit_id] = (sorted(districts), names)
    return result


def criteria_set_on(session: Session, day: dt.date) -> CriteriaSet | None:
    """The criteria set in force on ``day`` (the latest one when several overlap)."""
    return session.scalars(
        sa.select(CriteriaSet)
        .where(valid_on(CriteriaSet, day))
        .order_by(CriteriaSet.valid_from.desc())
    ).first()


def latest_assessments(
    session: Session, criterion_ids: list[int], day: dt.date
) -> dict[int, dict[int, CriterionAssessment]]:
    """``{unit_id: {criterion_id: latest assessment on or before day}}``."""
    rows = session.scalars(
        sa.select(CriterionAssessment)
        .where(
            CriterionAssessment.criterion_id.in_(criterion_ids),
            CriterionAssessment.assessed_on <= day,
        )
        .order_by(
            CriterionAssessment.assessed_on, CriterionAssessment.recorded_at, CriterionAssessment.id
        )
    )
    result: dict[int, dict[int, CriterionAssessment]] = defaultdict(dict)
    for row in rows:
        result[row.unit_id][row.criterion_id] = row
    return result


def unmet_counts(
    session: Session, criteria_set_id: int | None, day: dt.date
) -> dict[int, dict[str, int]]:
    """``{unit_id: {"unmet", "met", "unknown"}}`` for communes with at least one assessment.

    Communes absent from the result have no data. Criteria never assessed, or
    assessed as unknown, count as ``unknown``, never as met or unmet.
    """
    if criteria_set_id is None:
        return {}
    criterion_ids = list(
        session.scalars(sa.select(Criterion.id).where(Criterion.criteria_set_id == criteria_set_id))
    )
    result = {}
    for unit_id, latest in latest_assessments(session, criterion_ids, day).items():
        statuses = [latest[c].status if c in latest else "unknown" for c in criterion_ids]
        result[unit_id] = {s: statuses.count(s) for s in ("met", "unmet", "unknown")}
    return result


def criterion_statuses(session: Session, criterion_id: int | None, day: dt.date) -> dict[int, str]:
    """``{unit_id: "met"|"unmet"}`` for one criterion; absent or unknown means no data."""
    if criterion_id is None:
        return {}
    latest = latest_assessments(session, [criterion_id], day)
    return {
        u: a[criterion_id].status
        for u, a in latest.items()
        if a[criterion_id].status in ("met", "unmet")
    }


@dataclass(frozen=True)
class LevelFact:
    level: str
    year: int
    target_year: int | None
    derived: bool
    rule: str | None
    source: str | None


def ntm_levels_on(session: Session, day: dt.date) -> dict[int, LevelFact]:
    """The latest NTM level recorded per unit for a year up to ``day``'s."""
    rows = session.scalars(
        sa.select(NtmLevel)
        .where(NtmLevel.year <= day.year)
        .order_by(NtmLevel.year, NtmLevel.recorded_at, NtmLevel.id)
    )
    return {
        r.unit_id: LevelFact(
            r.level, r.year, r.target_year, r.confidence == "derived", r.rule, r.source
        )
        for r in rows
    }


def sponsors_on(session: Session, day: dt.date) -> dict[int, list[int]]:
    """``{unit_id: [department ids]}`` of the sponsorships in force on ``day``."""
    rows = session.execute(
        sa.select(Sponsorship.unit_id, Sponsorship.department_id)
        .where(valid_on(Sponsorship, day))
        .order_by(Sponsorship.department_id)
    )
    result: dict[int, list[int]] = defaultdict(list)
    for unit_id, department_id in rows:
        if department_id not in result[unit_id]:
            result[unit_id].append(department_id)
    return dict(result)


def activity_filter(query: MapQuery) -> list[sa.ColumnElement]:
    """SQL conditions on ``Activity`` for the query's period, types and organisers."""
    start, end = query.period()
    conditions: list[sa.ColumnElement] = [
        Activity.deleted_at.is_(None),
        Activity.activity_date.between(start, end),
    ]
    if query.activity_types:
        conditions.append(Activity.type_code.in_(query.activity_types))
    if query.organiser_ids:
        conditions.append(Activity.organiser_id.in_(query.organiser_ids))
    return conditions


def activity_coverage(session: Session, query: MapQuery) -> dict[int, tuple[int, dt.date]]:
    """``{unit_id: (number of activities, date of the last one)}`` in the query's period."""
    rows = session.execute(
        sa.select(
            ActivityCommune.unit_id,
            sa.func.count(sa.distinct(Activity.id)),
            sa.func.max(Activity.activity_date),
        )
        .join(Activity, Activity.id == ActivityCommune.activity_id)
        .where(*activity_filter(query))
        .group_by(ActivityCommune.unit_id)
    )
    return {u: (int(n), _as_date(last)) for u, n, last in rows}


def _as_date(value) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])


def departments_on(session: Session, day: dt.date) -> list[Organisation]:
    """Departments that exist on ``day``, by name."""
    return list(
        session.scalars(
            sa.select(Organisation)
            .options(defer(Organisation.area_geom))  # names only: not the sponsored areas
            .where(Organisation.kind == "department", valid_on(Organisation, day))
            .order_by(Organisation.name)
        )
    )


def commune_rows(session: Session, query: MapQuery) -> list[dict]:
    """One plain dict per commune valid on the query's day with every theme's value.

    Keys: id, code, name, kind, area_km2, former_districts, difficulty, unmet,
    met, unknown (None when no data), criterion ("met"/"unmet"/None), ntm
    (level key or None), ntm_year, ntm_target_year, ntm_derived, sponsors
    (department ids), activities (count), last_activity (ISO date or None),
    days_since (int or None).
    """
    set_id = query.criteria_set_id
    if set_id is None:
        found = criteria_set_on(session, query.day)
        set_id = found.id if found else None
    unmet = unmet_counts(session, set_id, query.day)
    status = criterion_statuses(session, query.criterion_id, query.day)
    levels = ntm_levels_on(session, query.day)
    sponsors = sponsors_on(session, query.day)
    coverage = activity_coverage(session, query)
    _, end = query.period()
    rows = []
    for c in communes_valid_on(session, query.day):
        counts = unmet.get(c.id)
        level = levels.get(c.id)
        n, last = coverage.get(c.id, (0, None))
        rows.append(
            {
                "id": c.id,
                "code": c.code,
                "name": c.name,
                "kind": c.kind,
                "area_km2": None if c.area_km2 is None else round(c.area_km2, 2),
                "former_districts": c.former_districts,
                "difficulty": c.difficulty,
                "unmet": counts["unmet"] if counts else None,
                "met": counts["met"] if counts else None,
                "unknown": counts["unknown"] if counts else None,
                "criterion": status.get(c.id),
                "ntm": level.level if level else None,
                "ntm_year": level.year if level else None,
                "ntm_target_year": level.target_year if level else None,
                "ntm_derived": bool(level and level.derived),
                "sponsors": sponsors.get(c.id, []),
                "activities": n,
                "last_activity": last.isoformat() if last else None,
                "days_since": (end - last).days if last else None,
            }
        )
    return rows
