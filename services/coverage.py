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
import gc
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import NamedTuple

import sqlalchemy as sa
from sqlalchemy.orm import Session

from geo.models import ActivityType, AdminUnit, Criterion, PriorityListItem
from services.analysis_inputs import communes_valid_on
from services.communes import valid_on
from services.coverage_sql import FACT_COLUMNS, attribution, counted, last_dates, summary
from services.periods import Period


class QuantityTotal(NamedTuple):
    type_code: str
    type_name: str
    unit_of_measure: str
    quantity: float | None
    activities: int


class CriterionRef(NamedTuple):
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


def _as_int(value) -> int | None:
    return None if value is None else int(value)


def _as_float(value) -> float | None:
    return None if value is None else float(value)


def _as_date(value) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


def _days_since(last: dt.date | None, end: dt.date) -> int | None:
    return None if last is None else (end - last).days


class _Names:
    """Names a summary may refer to, read up front: every activity type and criterion (tens of
    rows) and the units that ended before ``end`` (the only ones that appear as former units)."""

    def __init__(self, session: Session, end: dt.date) -> None:
        self.types = dict(session.execute(sa.select(ActivityType.code, ActivityType.name_vi)).all())
        self.criteria = {
            c.id: CriterionRef(c.id, c.code, c.name_vi)
            for c in session.execute(sa.select(Criterion.id, Criterion.code, Criterion.name_vi))
        }
        ended = sa.select(AdminUnit.id, AdminUnit.name).where(sa.not_(valid_on(AdminUnit, end)))
        self.units = dict(session.execute(ended).all())


def _fold(found, targets: dict, names: _Names) -> None:
    """Add the summary rows (type groups, criteria, former units) to the figures they belong to.

    A sum stays None while every group so far left the figure empty; this loop runs
    once per commune and type, so it is kept flat.
    """
    for kind, key, code, uom, n, people, days, money, quantity, last, ref_id, refs in found:
        fig = targets.get(key)
        if fig is None:
            continue
        if kind == "criteria":
            fig.criteria.extend(names.criteria[int(i)] for i in refs.split(","))
            continue
        if kind == "old_unit":
            fig.via_old_units.append(OldUnitNote(ref_id, names.units[ref_id], n))
            continue
        if fig.activities == 0:
            fig.participants = fig.workdays = fig.funds_vnd = None
        fig.activities += n
        if people is not None:
            fig.participants = int(people) + (fig.participants or 0)
        if days is not None:
            fig.workdays = float(days) + (fig.workdays or 0.0)
        if money is not None:
            fig.funds_vnd = int(money) + (fig.funds_vnd or 0)
        amount = None if quantity is None else float(quantity)
        fig.quantities.append(QuantityTotal(code, names.types[code], uom, amount, n))
        last = _as_date(last)
        if fig.last_activity_date is None or last > fig.last_activity_date:
            fig.last_activity_date = last


def _tidy(figures: CoverageFigures) -> None:
    figures.quantities.sort(key=lambda q: (q.type_code, q.unit_of_measure))
    figures.criteria.sort(key=lambda c: (c.code, c.criterion_id))
    if isinstance(figures, CommuneCoverage):
        figures.via_old_units.sort(key=lambda n: (n.name, n.unit_id))


def last_activity_dates(
    session: Session, end: dt.date, unit_ids: list[int] | None = None
) -> dict[int, dt.date]:
    """``{unit_id: date}`` of the last activity on or before ``end``, for the communes valid on
    it (or only ``unit_ids``: then only their own and their former units' activities are read)."""
    if unit_ids is not None and not unit_ids:
        return {}
    return {u: _as_date(day) for u, day in session.execute(last_dates(end, unit_ids))}


@contextmanager
def _cycle_collector_paused() -> Iterator[None]:
    """For building tens of thousands of small result objects in a row. None of them forms a
    cycle, so reference counting frees them all the same; left on, Python's cycle collector
    walks the whole heap several times meanwhile (0.3–0.5 s of about 2 s for 10,000 communes
    in ``bench/bench_coverage.py``)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


@_cycle_collector_paused()
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
    once = counted(attr)
    found = session.execute(summary(once, once.c.unit_id, attr)).all()
    _fold(found, rows, _Names(session, period.end))
    idle = [u for u, row in rows.items() if row.activities == 0]
    for unit_id, last in last_activity_dates(session, period.end, idle).items():
        rows[unit_id].last_activity_date = last
    for row in rows.values():
        _tidy(row)
        row.days_since_last = _days_since(row.last_activity_date, period.end)
    return list(rows.values())


def list_unit_ids(list_id: int) -> sa.Select:
    return sa.select(PriorityListItem.unit_id).where(PriorityListItem.priority_list_id == list_id)


def list_coverage(session: Session, period: Period, list_id: int) -> CoverageFigures:
    """Totals of ``period`` over the communes of a priority list, each activity counted once."""
    attr = attribution(period.start, period.end)
    members = list_unit_ids(list_id)
    columns = [attr.c.activity_id, *[attr.c[c] for c in FACT_COLUMNS]]
    once = sa.select(*columns).where(attr.c.unit_id.in_(members)).distinct().cte("list_rows")
    found = session.execute(summary(once, sa.literal(list_id))).all()
    totals = CoverageFigures()
    _fold(found, {list_id: totals}, _Names(session, period.end))
    _tidy(totals)
    if totals.activities == 0:
        lasts = last_activity_dates(session, period.end, list(session.scalars(members)))
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
    facts = [attr.c[c] for c in FACT_COLUMNS]
    query = (
        sa.select(attr.c.activity_id, *facts, sa.func.min(old_name).label("recorded_in"))
        .join(old, old.id == attr.c.source_unit_id)
        .where(attr.c.unit_id == unit_id)
        .group_by(attr.c.activity_id, *facts)
        .order_by(attr.c.activity_date, attr.c.activity_id)
    )
    return [
        ActivityLine(
            r.activity_id,
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
