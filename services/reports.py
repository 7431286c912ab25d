"""Periodic reports (sơ kết / tổng kết) of the Saturday movement for a period and a unit.

No Flask. A unit is the whole province (``organiser_id=None``) or one organisation (a
department or a working group): then the activities it organised. Every total is computed by
the database; the previous period has the same number of days and ends the day before.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.orm import Session

from geo.errors import NotFoundError
from geo.models import (
    Activity,
    ActivityCommune,
    ActivityType,
    Criterion,
    Organisation,
    PriorityList,
    PriorityListItem,
    activity_criterion,
)
from services.lineage import map_units
from services.periods import Period
from services.plan_figures import PlanVsActual, plan_vs_actual

SATURDAY = 5


@dataclass(frozen=True)
class TypeLine:
    """Activities of one type: how many and how much, in the type's unit of measure."""

    code: str
    name: str
    unit_of_measure: str
    activities: int
    quantity: float | None


@dataclass(frozen=True)
class CriterionLine:
    number: int
    name: str
    activities: int


@dataclass
class ReportFigures:
    """The figures of one period for one unit."""

    period: Period
    unit_name: str
    saturdays: int = 0
    activities: int = 0
    participants: int = 0
    workdays: float = 0.0
    funds_vnd: int = 0
    communes_reached: int = 0
    priority_communes_reached: int = 0
    types: list[TypeLine] = field(default_factory=list)
    criteria: list[CriterionLine] = field(default_factory=list)
    #: ``[(first day of month, activities)]``, for the chart
    by_month: list[tuple[dt.date, int]] = field(default_factory=list)


@dataclass
class Report:
    current: ReportFigures
    previous: ReportFigures
    #: plan against actual of the unit (None for the whole province)
    plan: PlanVsActual | None = None

    def change(self, name: str) -> float | None:
        """Relative change of a figure against the previous period (None when it was 0)."""
        now, before = getattr(self.current, name), getattr(self.previous, name)
        return None if not before else (now - before) / before


def previous_period(period: Period) -> Period:
    """The period of the same length that ends the day before ``period`` starts."""
    end = period.start - dt.timedelta(days=1)
    return Period.between(end - dt.timedelta(days=period.days - 1), end)


def unit_name(session: Session, organiser_id: int | None) -> str:
    if organiser_id is None:
        return "Toàn tỉnh Quảng Trị"
    org = session.get(Organisation, organiser_id)
    if org is None:
        raise NotFoundError(f"Không tìm thấy đơn vị số {organiser_id}.")
    return org.name


def _where(period: Period, organiser_id: int | None) -> list:
    found = [
        Activity.deleted_at.is_(None),
        Activity.activity_date >= period.start,
        Activity.activity_date <= period.end,
    ]
    if organiser_id is not None:
        found.append(Activity.organiser_id == organiser_id)
    return found


def _totals(session: Session, figures: ReportFigures, where: list) -> None:
    row = session.execute(
        sa.select(
            sa.func.count(Activity.id),
            sa.func.coalesce(sa.func.sum(Activity.participants), 0),
            sa.func.coalesce(sa.func.sum(Activity.workdays), 0),
            sa.func.coalesce(sa.func.sum(Activity.funds_vnd), 0),
        ).where(*where)
    ).one()
    figures.activities, figures.participants = int(row[0] or 0), int(row[1] or 0)
    figures.workdays, figures.funds_vnd = float(row[2] or 0), int(row[3] or 0)
    days = session.scalars(sa.select(Activity.activity_date).where(*where).distinct()).all()
    dates = [d if isinstance(d, dt.date) else dt.date.fromisoformat(str(d)[:10]) for d in days]
    figures.saturdays = sum(1 for d in dates if d.weekday() == SATURDAY)
    months: dict[dt.date, int] = {}
    for d, n in session.execute(
        sa.select(Activity.activity_date, sa.func.count())
        .where(*where)
        .group_by(Activity.activity_date)
    ):
        day = d if isinstance(d, dt.date) else dt.date.fromisoformat(str(d)[:10])
        months[day.replace(day=1)] = months.get(day.replace(day=1), 0) + int(n)
    figures.by_month = sorted(months.items())


def _types(session: Session, where: list) -> list[TypeLine]:
    rows = session.execute(
        sa.select(
            ActivityType.code,
            ActivityType.name_vi,
            ActivityType.unit_of_measure,
            sa.func.count(Activity.id),
            sa.func.sum(Activity.quantity),
        )  # fmt: skip
        .join(Activity, Activity.type_code == ActivityType.code)
        .where(*where)
        .group_by(ActivityType.code, ActivityType.name_vi, ActivityType.unit_of_measure)
        .order_by(ActivityType.name_vi)
    ).all()
    return [
        TypeLine(code, name, unit or "", int(n), None if q is None else float(q))
        for code, name, unit, n, q in rows
    ]


def _criteria(session: Session, where: list) -> list[CriterionLine]:
    rows = session.execute(
        sa.select(Criterion.number, Criterion.name_vi, sa.func.count(sa.distinct(Activity.id)))
        .join(activity_criterion, activity_criterion.c.criterion_id == Criterion.id)
        .join(Activity, Activity.id == activity_criterion.c.activity_id)
        .where(*where)
        .group_by(Criterion.number, Criterion.name_vi)
        .order_by(Criterion.number, Criterion.name_vi)
    ).all()
    return [CriterionLine(int(num), name, int(n)) for num, name, n in rows]


def _communes(session: Session, figures: ReportFigures, where: list) -> None:
    """Communes of the period's end reached (activities in a former unit count for the commune
    that absorbed it), and how many of them are in a priority list of the period."""
    period = figures.period
    old_ids = session.scalars(
        sa.select(ActivityCommune.unit_id)
        .join(Activity, Activity.id == ActivityCommune.activity_id)
        .where(*where)
        .distinct()
    ).all()
    reached = {
        new for news in map_units(session, list(old_ids), period.end).values() for new in news
    }
    figures.communes_reached = len(reached)
    if not reached:
        return
    priority = set(
        session.scalars(
            sa.select(PriorityListItem.unit_id)
            .join(PriorityList, PriorityList.id == PriorityListItem.priority_list_id)
            .where(
                PriorityList.deleted_at.is_(None),
                sa.or_(PriorityList.period_from.is_(None), PriorityList.period_from <= period.end),
                sa.or_(PriorityList.period_to.is_(None), PriorityList.period_to >= period.start),
            )
        ).all()
    )
    figures.priority_communes_reached = len(reached & priority)


def figures_for(session: Session, period: Period, organiser_id: int | None = None) -> ReportFigures:
    """Every figure of the report for one period."""
    figures = ReportFigures(period, unit_name(session, organiser_id))
    where = _where(period, organiser_id)
    _totals(session, figures, where)
    figures.types = _types(session, where)
    figures.criteria = _criteria(session, where)
    _communes(session, figures, where)
    return figures


def period_report(session: Session, period: Period, organiser_id: int | None = None) -> Report:
    """The period's figures and those of the previous period of the same length."""
    return Report(
        figures_for(session, period, organiser_id),
        figures_for(session, previous_period(period), organiser_id),
        None if organiser_id is None else plan_vs_actual(session, organiser_id, period),
    )


def report_units(session: Session, day: dt.date) -> list[Organisation]:
    """Departments and working groups a report can be made for."""
    return list(
        session.scalars(
            sa.select(Organisation)
            .where(Organisation.kind.in_(("department", "working_group")))
            .order_by(Organisation.kind, Organisation.name)
        )
    )
