"""Coverage of a period: what Saturday work reached each commune, computed in SQL.

Which activities count for a commune (the *attribution*):

- an activity with geometry counts for each commune in ``activity_commune``
  (the spatial join stored when it was recorded);
- an activity without geometry counts for the unit it was reported in
  (``reported_unit_id``);
- either unit, if it no longer exists on the period's end (e.g. a commune before
  the 2025 reorganisation), is carried forward through ``unit_lineage`` to the
  commune(s) valid on that day (a recursive CTE, ``services.lineage.unit_map``);
  the old unit stays visible (``via_old_units``, "ghi nhận tại: … (cũ)").

An activity that meets several communes counts in full in each of them (count,
participants, workdays, money and quantity); totals over a priority list count
each activity once. Quantities are summed per activity type *and* unit of
measure, so metres and kilometres are never added together. Sums over
activities that all left a figure empty are None ("chưa có dữ liệu"); a commune
with no activity has 0. Days since the last activity count from the period's end
to the last activity on or before it, at any date; a commune never visited has
None, not 0.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.orm import Session

from geo.models import (
    Activity,
    ActivityCommune,
    ActivityType,
    AdminUnit,
    Criterion,
    PriorityListItem,
    activity_criterion,
)
from services.analysis_inputs import communes_valid_on
from services.lineage import unit_map
from services.periods import Period

ACTIVITY = Activity.__table__
PART = ActivityCommune.__table__


@dataclass(frozen=True)
class QuantityTotal:
    type_code: str
    type_name: str
    unit_of_measure: str
    quantity: float | None
    activities: int


@dataclass(frozen=True)
class CriterionRef:
    criterion_id: int
    code: str
    name: str


@dataclass(frozen=True)
class OldUnitNote:
    """Activities recorded in a former unit and counted for today's commune."""

    unit_id: int
    name: str
    activities: int

    @property
    def label(self) -> str:
        return f"ghi nhận tại: {self.name} (cũ)"


@dataclass
class CoverageFigures:
    """Totals for one commune or one priority list over a period."""

    activities: int = 0
    participants: int | None = 0
    workdays: float | None = 0.0
    funds_vnd: int | None = 0
    last_activity_date: dt.date | None = None
    days_since_last: int | None = None
    quantities: list[QuantityTotal] = field(default_factory=list)
    criteria: list[CriterionRef] = field(default_factory=list)


@dataclass
class CommuneCoverage(CoverageFigures):
    unit_id: int = 0
    code: str | None = None
    name: str = ""
    via_old_units: list[OldUnitNote] = field(default_factory=list)


def attribution(start: dt.date | None, end: dt.date, name: str = "attr") -> sa.CTE:
    """CTE ``(activity_id, unit_id, source_unit_id)``: activities dated in ``start``..``end``
    (no lower bound if ``start`` is None) and the communes valid on ``end`` they count for."""
    when = [ACTIVITY.c.deleted_at.is_(None), ACTIVITY.c.activity_date <= end]
    if start is not None:
        when.append(ACTIVITY.c.activity_date >= start)
    spatial = (
        sa.select(PART.c.activity_id, PART.c.unit_id.label("source_unit_id"))
        .join(ACTIVITY, ACTIVITY.c.id == PART.c.activity_id)
        .where(*when)
    )
    has_part = sa.exists().where(PART.c.activity_id == ACTIVITY.c.id)
    reported = sa.select(
        ACTIVITY.c.id.label("activity_id"), ACTIVITY.c.reported_unit_id.label("source_unit_id")
    ).where(*when, ACTIVITY.c.reported_unit_id.is_not(None), ~has_part)
    raw = sa.union_all(spatial, reported).cte(f"{name}_raw")
    mapping = unit_map(sa.select(raw.c.source_unit_id), end, name=f"{name}_map")
    return (
        sa.select(raw.c.activity_id, mapping.c.unit_id, raw.c.source_unit_id)
        .join(mapping, mapping.c.old_unit_id == raw.c.source_unit_id)
        .cte(name)
    )


def _pairs(attr: sa.CTE) -> sa.Subquery:
    """Distinct (activity, commune): an activity meeting two old units of one commune counts once."""
    return sa.select(attr.c.activity_id, attr.c.unit_id).distinct().subquery("pairs")


def _as_int(value) -> int | None:
    return None if value is None else int(value)


def _as_float(value) -> float | None:
    return None if value is None else float(value)


def _figures_query(pairs: sa.Subquery, key) -> sa.Select:
    return sa.select(
        key,
        sa.func.count().label("activities"),
        sa.func.sum(ACTIVITY.c.participants).label("participants"),
        sa.func.sum(ACTIVITY.c.workdays).label("workdays"),
        sa.func.sum(ACTIVITY.c.funds_vnd).label("funds_vnd"),
    ).join(ACTIVITY, ACTIVITY.c.id == pairs.c.activity_id)


def _quantities_query(pairs: sa.Subquery, key) -> sa.Select:
    unit = sa.func.coalesce(ACTIVITY.c.quantity_unit, ActivityType.unit_of_measure).label("uom")
    return (
        sa.select(
            key,
            ActivityType.code,
            ActivityType.name_vi,
            unit,
            sa.func.sum(ACTIVITY.c.quantity).label("quantity"),
            sa.func.count().label("activities"),
        )
        .join(ACTIVITY, ACTIVITY.c.id == pairs.c.activity_id)
        .join(ActivityType, ActivityType.code == ACTIVITY.c.type_code)
        .group_by(key, ActivityType.code, ActivityType.name_vi, unit)
        .order_by(key, ActivityType.code, unit)
    )


def _criteria_query(pairs: sa.Subquery, key) -> sa.Select:
    return (
        sa.select(key, Criterion.id, Criterion.code, Criterion.name_vi)
        .distinct()
        .join(activity_criterion, activity_criterion.c.activity_id == pairs.c.activity_id)
        .join(Criterion, Criterion.id == activity_criterion.c.criterion_id)
        .order_by(key, Criterion.code, Criterion.id)
    )


def last_activity_dates(
    session: Session, end: dt.date, unit_ids: sa.Select | None = None
) -> dict[int, dt.date]:
    """``{unit_id: date}`` of the last activity on or before ``end`` for the communes valid on it."""
    pairs = _pairs(attribution(None, end, "hist"))
    query = (
        sa.select(pairs.c.unit_id, sa.func.max(ACTIVITY.c.activity_date))
        .join(ACTIVITY, ACTIVITY.c.id == pairs.c.activity_id)
        .group_by(pairs.c.unit_id)
    )
    if unit_ids is not None:
        query = query.where(pairs.c.unit_id.in_(unit_ids))
    return {unit_id: _as_date(day) for unit_id, day in session.execute(query)}


def _as_date(value) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


def _days_since(last: dt.date | None, end: dt.date) -> int | None:
    return None if last is None else (end - last).days


def commune_coverage(
    session: Session, period: Period, unit_ids: list[int] | None = None
) -> list[CommuneCoverage]:
    """Coverage of ``period`` for every commune valid on its end (or for ``unit_ids``), by name."""
    scope = communes_valid_on(period.end)
    if unit_ids is not None:
        scope = scope.where(AdminUnit.id.in_(unit_ids))
    units = session.execute(
        sa.select(AdminUnit.id, AdminUnit.code, AdminUnit.name)
        .where(AdminUnit.id.in_(scope))
        .order_by(AdminUnit.name, AdminUnit.id)
    ).all()
    rows = {u.id: CommuneCoverage(unit_id=u.id, code=u.code, name=u.name) for u in units}
    attr = attribution(period.start, period.end)
    pairs = _pairs(attr)
    key = pairs.c.unit_id
    in_scope = key.in_(scope)
    for r in session.execute(_figures_query(pairs, key).where(in_scope).group_by(key)):
        row = rows[r.unit_id]
        row.activities = r.activities
        row.participants = _as_int(r.participants)
        row.workdays = _as_float(r.workdays)
        row.funds_vnd = _as_int(r.funds_vnd)
    for r in session.execute(_quantities_query(pairs, key).where(in_scope)):
        rows[r.unit_id].quantities.append(_quantity(r))
    for r in session.execute(_criteria_query(pairs, key).where(in_scope)):
        rows[r.unit_id].criteria.append(CriterionRef(r.id, r.code, r.name_vi))
    for unit_id, note in _old_unit_notes(session, attr, scope):
        rows[unit_id].via_old_units.append(note)
    for unit_id, last in last_activity_dates(session, period.end, scope).items():
        rows[unit_id].last_activity_date = last
        rows[unit_id].days_since_last = _days_since(last, period.end)
    return list(rows.values())


def _quantity(r) -> QuantityTotal:
    return QuantityTotal(r.code, r.name_vi, r.uom, _as_float(r.quantity), r.activities)


def _old_unit_notes(session: Session, attr: sa.CTE, scope: sa.Select):
    old = sa.orm.aliased(AdminUnit)
    query = (
        sa.select(
            attr.c.unit_id,
            old.id,
            old.name,
            sa.func.count(sa.distinct(attr.c.activity_id)).label("n"),
        )
        .join(old, old.id == attr.c.source_unit_id)
        .where(attr.c.source_unit_id != attr.c.unit_id, attr.c.unit_id.in_(scope))
        .group_by(attr.c.unit_id, old.id, old.name)
        .order_by(attr.c.unit_id, old.name)
    )
    return [(r.unit_id, OldUnitNote(r.id, r.name, r.n)) for r in session.execute(query)]


def list_unit_ids(list_id: int) -> sa.Select:
    return sa.select(PriorityListItem.unit_id).where(PriorityListItem.priority_list_id == list_id)


def list_coverage(session: Session, period: Period, list_id: int) -> CoverageFigures:
    """Totals of ``period`` over the communes of a priority list, each activity counted once."""
    attr = attribution(period.start, period.end)
    members = list_unit_ids(list_id)
    distinct = (
        sa.select(attr.c.activity_id, sa.literal(list_id).label("list_id"))
        .where(attr.c.unit_id.in_(members))
        .distinct()
        .subquery("pairs")
    )
    key = distinct.c.list_id
    totals = CoverageFigures()
    r = session.execute(_figures_query(distinct, key).group_by(key)).first()
    if r is not None:
        totals.activities = r.activities
        totals.participants = _as_int(r.participants)
        totals.workdays = _as_float(r.workdays)
        totals.funds_vnd = _as_int(r.funds_vnd)
    totals.quantities = [_quantity(q) for q in session.execute(_quantities_query(distinct, key))]
    totals.criteria = [
        CriterionRef(c.id, c.code, c.name_vi)
        for c in session.execute(_criteria_query(distinct, key))
    ]
    lasts = last_activity_dates(session, period.end, members)
    totals.last_activity_date = max(lasts.values(), default=None)
    totals.days_since_last = _days_since(totals.last_activity_date, period.end)
    return totals


@dataclass(frozen=True)
class ActivityLine:
    """One activity counted for a commune, with where it was recorded."""

    activity_id: int
    activity_date: dt.date
    type_code: str
    participants: int | None
    workdays: float | None
    quantity: float | None
    quantity_unit: str | None
    funds_vnd: int | None
    recorded_in: str | None

    @property
    def recorded_in_label(self) -> str | None:
        return None if self.recorded_in is None else f"ghi nhận tại: {self.recorded_in} (cũ)"


def activity_lines(session: Session, unit_id: int, period: Period) -> list[ActivityLine]:
    """The activities of ``period`` counted for one commune, old units named."""
    attr = attribution(period.start, period.end)
    old = sa.orm.aliased(AdminUnit)
    old_name = sa.case((attr.c.source_unit_id != attr.c.unit_id, old.name), else_=None)
    query = (
        sa.select(
            ACTIVITY.c.id,
            ACTIVITY.c.activity_date,
            ACTIVITY.c.type_code,
            ACTIVITY.c.participants,
            ACTIVITY.c.workdays,
            ACTIVITY.c.quantity,
            ACTIVITY.c.quantity_unit,
            ACTIVITY.c.funds_vnd,
            sa.func.min(old_name).label("recorded_in"),
        )
        .join(attr, attr.c.activity_id == ACTIVITY.c.id)
        .join(old, old.id == attr.c.source_unit_id)
        .where(attr.c.unit_id == unit_id)
        .group_by(*[c for c in ACTIVITY.c if c.name in _LINE_COLUMNS])
        .order_by(ACTIVITY.c.activity_date, ACTIVITY.c.id)
    )
    return [
        ActivityLine(
            r.id,
            _as_date(r.activity_date),
            r.type_code,
            r.participants,
            r.workdays,
            r.quantity,
            r.quantity_unit,
            r.funds_vnd,
            r.recorded_in,
        )
        for r in session.execute(query)
    ]


_LINE_COLUMNS = (
    "id",
    "activity_date",
    "type_code",
    "participants",
    "workdays",
    "quantity",
    "quantity_unit",
    "funds_vnd",
)
