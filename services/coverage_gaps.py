"""Gaps in the coverage of a period: who was left out, what was left undone.

Three gaps, each with a written rule:

1. **Priority communes with no activity**: communes of the priority list with
   zero activities counted for them in the period (``services.coverage`` rules).
2. **Unmet criteria nobody addressed**: for each commune in scope (the list, or
   every commune valid on the period's end), the criteria of the set in force on
   that day whose *latest* assessment on or before it is ``unmet``, and which no
   activity counted for the commune in the period addressed (``activity_criterion``).
   A criterion with no assessment or ``unknown`` is not reported as a gap.
3. **Visited often while others wait**: *crowded* communes are those with at
   least ``CROWDED_FACTOR`` × the mean number of activities per commune valid on
   the period's end (zeros included) and at least ``CROWDED_MIN`` activities,
   the ``CROWDED_TOP_N`` busiest first; *waiting* communes are the difficult
   (any of mountainous, coastal sandy, island, extremely difficult true) or
   priority communes with zero activities, longest wait first (never visited
   first). ``imbalance`` is true when both lists are non-empty.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.orm import Session

from geo.models import AdminUnit, Criterion, activity_criterion
from services.analysis_inputs import (
    communes_valid_on,
    criteria_set_on,
    difficulty_flags,
    is_difficult,
    latest_assessments,
)
from services.coverage import CommuneCoverage, commune_coverage, list_unit_ids
from services.coverage_sql import attribution, counted
from services.periods import Period

CROWDED_FACTOR = 2.0
CROWDED_MIN = 2
CROWDED_TOP_N = 5


@dataclass(frozen=True)
class UnmetGap:
    unit_id: int
    unit_name: str
    criterion_id: int
    criterion_code: str
    criterion_name: str
    assessed_on: dt.date


@dataclass
class Gaps:
    period: Period
    list_id: int | None
    no_activity: list[CommuneCoverage] = field(default_factory=list)
    unmet_not_addressed: list[UnmetGap] = field(default_factory=list)
    crowded: list[CommuneCoverage] = field(default_factory=list)
    waiting: list[CommuneCoverage] = field(default_factory=list)
    mean_activities: float = 0.0

    @property
    def imbalance(self) -> bool:
        return bool(self.crowded and self.waiting)


def unmet_not_addressed(
    session: Session, period: Period, unit_ids: sa.Select | None = None
) -> list[UnmetGap]:
    """Latest-unmet criteria of the set in force on the period's end that no activity addressed."""
    cset = criteria_set_on(session, period.end)
    if cset is None:
        return []
    latest = latest_assessments(period.end, cset.id)
    pairs = counted(attribution(period.start, period.end))
    addressed = (
        sa.exists()
        .select_from(
            pairs.join(activity_criterion, activity_criterion.c.activity_id == pairs.c.activity_id)
        )
        .where(
            pairs.c.unit_id == latest.c.unit_id,
            activity_criterion.c.criterion_id == latest.c.criterion_id,
        )
    )
    scope = unit_ids if unit_ids is not None else communes_valid_on(period.end)
    query = (
        sa.select(
            latest.c.unit_id,
            AdminUnit.name,
            Criterion.id,
            Criterion.code,
            Criterion.name_vi,
            latest.c.assessed_on,
        )
        .join(AdminUnit, AdminUnit.id == latest.c.unit_id)
        .join(Criterion, Criterion.id == latest.c.criterion_id)
        .where(latest.c.status == "unmet", latest.c.unit_id.in_(scope), ~addressed)
        .order_by(AdminUnit.name, Criterion.number)
    )
    return [
        UnmetGap(r.unit_id, r.name, r.id, r.code, r.name_vi, _day(r.assessed_on))
        for r in session.execute(query)
    ]


def _day(value) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


def gaps(
    session: Session,
    period: Period,
    list_id: int | None = None,
    rows: list[CommuneCoverage] | None = None,
) -> Gaps:
    """The three gaps of ``period`` (see the module docstring for the rules); ``rows`` is the
    period's ``commune_coverage`` when the caller has it already."""
    rows = commune_coverage(session, period) if rows is None else rows
    members = set(session.scalars(list_unit_ids(list_id))) if list_id is not None else set()
    result = Gaps(period, list_id)
    result.no_activity = [r for r in rows if r.unit_id in members and r.activities == 0]
    scope = list_unit_ids(list_id) if list_id is not None else None
    result.unmet_not_addressed = unmet_not_addressed(session, period, scope)
    result.mean_activities = sum(r.activities for r in rows) / len(rows) if rows else 0.0
    threshold = max(CROWDED_MIN, CROWDED_FACTOR * result.mean_activities)
    busy = [r for r in rows if r.activities >= threshold]
    result.crowded = sorted(busy, key=lambda r: (-r.activities, r.name))[:CROWDED_TOP_N]
    flags = difficulty_flags(session, period.end)
    waiting = [
        r
        for r in rows
        if r.activities == 0 and (r.unit_id in members or is_difficult(flags.get(r.unit_id)))
    ]
    result.waiting = sorted(waiting, key=_longest_wait_first)
    return result


def _longest_wait_first(row: CommuneCoverage) -> tuple:
    """Never visited first, then the longest time since the last activity, then by name."""
    return (row.days_since_last is not None, -(row.days_since_last or 0), row.name)
