"""Find activities: filters, totals computed in SQL, form choices and criteria suggestions."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, replace
from typing import cast

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from geo.models import (
    Activity,
    ActivityCommune,
    ActivityType,
    AdminUnit,
    Criterion,
    CriterionAssessment,
    Organisation,
    activity_criterion,
)
from services.communes import valid_on
from services.facts import criteria_set_on
from services.fields import is_digits
from services.lineage import flatten, predecessors

#: QĐ 1980/318 criterion numbers (as in ``ActivityType.related_criterion_numbers``) → the
#: QĐ 51/2025 criterion covering the same topic. Derived by topic from the criteria names
#: (roads, irrigation, cultural facilities and housing are "Hạ tầng kinh tế - xã hội" now),
#: not an official table: correct it here when one is published.
NUMBERS_2026_BY_TOPIC = {2: 2, 3: 2, 6: 2, 9: 2, 11: 6, 16: 5, 17: 8, 18: 10}
SET_2026 = "NTM_XA_2026_2030"


@dataclass
class ActivityFilter:
    """What the list shows: a period, a type, an organiser, a commune, a criterion."""

    start: dt.date | None = None
    end: dt.date | None = None
    type_code: str | None = None
    organiser_id: int | None = None
    unit_id: int | None = None
    criterion_id: int | None = None
    deleted: bool = False
    #: ``unit_id`` and the former units it absorbed (set by ``with_former_units``)
    unit_ids: tuple[int, ...] = ()

    def conditions(self) -> list[sa.ColumnElement[bool]]:
        found: list[sa.ColumnElement[bool]] = [
            Activity.deleted_at.is_not(None) if self.deleted else Activity.deleted_at.is_(None)
        ]
        if self.start:
            found.append(Activity.activity_date >= self.start)
        if self.end:
            found.append(Activity.activity_date <= self.end)
        if self.type_code:
            found.append(Activity.type_code == self.type_code)
        if self.organiser_id:
            found.append(Activity.organiser_id == self.organiser_id)
        if self.unit_id:
            units = self.unit_ids or (self.unit_id,)
            in_unit = sa.select(ActivityCommune.activity_id).where(
                ActivityCommune.unit_id.in_(units)
            )
            found.append(Activity.id.in_(in_unit))
        if self.criterion_id:
            serves = sa.select(activity_criterion.c.activity_id).where(
                activity_criterion.c.criterion_id == self.criterion_id
            )
            found.append(Activity.id.in_(serves))
        return found


def with_former_units(session: Session, flt: ActivityFilter) -> ActivityFilter:
    """The filter with the commune's former units added, so that activities reported in an
    old commune roll up to the commune that absorbed it (wholly or partly)."""
    if not flt.unit_id or flt.unit_ids:
        return flt
    former = [p.unit_id for p in flatten(predecessors(session, flt.unit_id))]
    return replace(flt, unit_ids=(flt.unit_id, *former))


def list_activities(session: Session, flt: ActivityFilter, limit: int = 500, offset: int = 0):
    """Activities matching the filter, newest first, with type, organiser and communes loaded."""
    flt = with_former_units(session, flt)
    return list(
        session.scalars(
            sa.select(Activity)
            .where(*flt.conditions())
            .options(
                selectinload(Activity.activity_type),
                selectinload(Activity.organiser),
                selectinload(Activity.communes).selectinload(ActivityCommune.unit),
                selectinload(Activity.criteria),
                selectinload(Activity.reported_unit),
            )
            .order_by(Activity.activity_date.desc(), Activity.id.desc())
            .limit(limit)
            .offset(offset)
        )
    )


@dataclass(frozen=True)
class Totals:
    count: int
    participants: int
    workdays: float
    funds_vnd: int
    #: ``[(unit, quantity)]``, one per unit of measure
    quantities: list[tuple[str, float]]


def totals(session: Session, flt: ActivityFilter) -> Totals:
    """Sums over the filtered set, computed by the database."""
    where = with_former_units(session, flt).conditions()
    row = session.execute(
        sa.select(
            sa.func.count(Activity.id),
            sa.func.coalesce(sa.func.sum(Activity.participants), 0),
            sa.func.coalesce(sa.func.sum(Activity.workdays), 0),
            sa.func.coalesce(sa.func.sum(Activity.funds_vnd), 0),
        ).where(*where)
    ).one()
    quantities = session.execute(
        sa.select(Activity.quantity_unit, sa.func.sum(Activity.quantity))
        .where(*where, Activity.quantity.is_not(None))
        .group_by(Activity.quantity_unit)
        .order_by(Activity.quantity_unit)
    ).all()
    # COALESCE(SUM(...), 0) is never NULL, whatever type the column sums to
    count, participants, workdays, funds_vnd = cast(tuple[int, int, float, int], tuple(row))
    return Totals(
        int(count), int(participants), float(workdays), int(funds_vnd),
        [(unit or "", float(q)) for unit, q in quantities if q is not None],
    )  # fmt: skip


def activity_types(session: Session) -> list[ActivityType]:
    return list(session.scalars(sa.select(ActivityType).order_by(ActivityType.name_vi)))


def organisers_on(session: Session, day: dt.date) -> list[Organisation]:
    """Departments and working groups valid on ``day`` (the organiser choice)."""
    return list(
        session.scalars(
            sa.select(Organisation)
            .where(
                Organisation.kind.in_(("department", "working_group")), valid_on(Organisation, day)
            )
            .order_by(Organisation.kind, Organisation.name)
        )
    )


def communes_on_day(session: Session, day: dt.date) -> list[AdminUnit]:
    return list(
        session.scalars(
            sa.select(AdminUnit)
            .where(AdminUnit.level == "commune", valid_on(AdminUnit, day))
            .order_by(AdminUnit.name)
        )
    )


def _type_numbers(activity_type: ActivityType | None, set_code: str) -> set[int]:
    text = (activity_type.related_criterion_numbers or "") if activity_type else ""
    numbers = {int(n) for n in text.replace(",", ";").split(";") if is_digits(n.strip())}
    if set_code == SET_2026:
        return {NUMBERS_2026_BY_TOPIC[n] for n in numbers if n in NUMBERS_2026_BY_TOPIC}
    return numbers


def unmet_criteria(
    session: Session, unit_ids: list[int], set_id: int, day: dt.date
) -> dict[int, list[int]]:
    """``{criterion_id: [unit_id…]}`` whose latest assessment on or before ``day`` is unmet."""
    latest = (
        sa.select(
            CriterionAssessment.unit_id,
            CriterionAssessment.criterion_id,
            CriterionAssessment.status,
            sa.func.row_number()
            .over(
                partition_by=(CriterionAssessment.unit_id, CriterionAssessment.criterion_id),
                order_by=(CriterionAssessment.assessed_on.desc(), CriterionAssessment.id.desc()),
            )
            .label("rank"),
        )
        .join(Criterion, Criterion.id == CriterionAssessment.criterion_id)
        .where(
            CriterionAssessment.unit_id.in_(unit_ids),
            Criterion.criteria_set_id == set_id,
            CriterionAssessment.assessed_on <= day,
        )
        .subquery()
    )
    found: dict[int, list[int]] = {}
    for unit_id, criterion_id in session.execute(
        sa.select(latest.c.unit_id, latest.c.criterion_id).where(
            latest.c.rank == 1, latest.c.status == "unmet"
        )
    ):
        found.setdefault(criterion_id, []).append(unit_id)
    return found


def suggest_criteria(
    session: Session, type_code: str | None, unit_ids: list[int], day: dt.date
) -> list[dict]:
    """Criteria of the set valid on ``day`` that the activity may serve, best first.

    A criterion is suggested when the activity type relates to it, or when a commune
    of the activity has not met it (latest assessment); both reasons rank first.
    """
    cset = criteria_set_on(session, day)
    if cset is None:
        return []
    activity_type = session.get(ActivityType, type_code) if type_code else None
    numbers = _type_numbers(activity_type, cset.code)
    unmet = unmet_criteria(session, unit_ids, cset.id, day) if unit_ids else {}
    suggestions: list[dict] = []
    for criterion in cset.criteria:
        by_type, unmet_in = criterion.number in numbers, unmet.get(criterion.id, [])
        if by_type or unmet_in:
            suggestions.append(
                {
                    "criterion_id": criterion.id,
                    "number": criterion.number,
                    "name": criterion.name_vi,
                    "by_type": by_type,
                    "unmet_in": unmet_in,
                    "score": 2 * by_type + bool(unmet_in),
                }
            )
    suggestions.sort(key=lambda s: (-s["score"], s["number"]))
    return suggestions


def criteria_of_set_on(session: Session, day: dt.date) -> list[Criterion]:
    cset = criteria_set_on(session, day)
    return list(cset.criteria) if cset else []


def locate(session: Session, data: dict) -> dict:
    """Where a drawn, typed or uploaded geometry falls, before saving.

    Returns the geometry (GeoJSON), notes on fixes (swapped coordinates), the communes
    with the length or area in each, and the criteria to suggest; refuses a geometry
    outside the province with its distance to the border, like saving would.
    """
    from shapely.geometry import mapping

    from services.activities import ActivityError, check_place
    from services.activity_input import Problems, parse_input

    problems = Problems()
    values = parse_input({**data, "reported_unit_id": None}, problems)
    if problems.has("geometry"):
        problems.raise_if_any()
    if values.geometry is None:
        raise ActivityError(
            "Chưa có vị trí.", details=[{"field": "geometry", "message": "Chưa có vị trí."}]
        )
    day = values.activity_date or dt.date.today()
    values.activity_date = day
    parts = check_place(session, values, problems)
    if problems.has("geometry"):
        raise ActivityError(problems[0]["message"], details=list(problems))
    return {
        "geometry": mapping(values.geometry),
        "notes": values.notes,
        "communes": [asdict(p) for p in parts],
        "suggestions": suggest_criteria(session, values.type_code, [p.unit_id for p in parts], day),
    }
