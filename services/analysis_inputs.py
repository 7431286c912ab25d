"""Facts the analyses share, each answered for a day in one SQL query.

The criteria set in force, the latest assessment of each criterion per commune,
difficulty flags, NTM levels and sponsors. Unknown stays unknown here: a commune
with no row is absent from the result, never given a default.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.orm import Session

from geo.models import (
    AdminUnit,
    Classification,
    CriteriaSet,
    Criterion,
    CriterionAssessment,
    NtmLevel,
    Organisation,
    Sponsorship,
)
from services.communes import valid_on

#: the flags that make a commune "difficult" for the analyses (DESIGN glossary)
DIFFICULTY_FLAGS = ("mountainous", "coastal_sandy", "island", "extremely_difficult")


def communes_valid_on(day: dt.date) -> sa.Select:
    """``SELECT id`` of the communes valid on ``day``."""
    return sa.select(AdminUnit.id).where(AdminUnit.level == "commune", valid_on(AdminUnit, day))


def criteria_set_on(session: Session, day: dt.date) -> CriteriaSet | None:
    """The criteria set in force on ``day`` (the latest one to start, if several overlap)."""
    return session.scalars(
        sa.select(CriteriaSet)
        .where(
            CriteriaSet.valid_from <= day,
            sa.or_(CriteriaSet.valid_to.is_(None), CriteriaSet.valid_to > day),
        )
        .order_by(CriteriaSet.valid_from.desc())
        .limit(1)
    ).first()


def latest_assessments(day: dt.date, criteria_set_id: int) -> sa.Subquery:
    """Subquery ``(unit_id, criterion_id, status, assessed_on)``: the latest assessment on or
    before ``day`` of each criterion of the set, per unit (window function, both backends)."""
    rank = (
        sa.func.row_number()
        .over(
            partition_by=(CriterionAssessment.unit_id, CriterionAssessment.criterion_id),
            order_by=(CriterionAssessment.assessed_on.desc(), CriterionAssessment.id.desc()),
        )
        .label("rank")
    )
    ranked = (
        sa.select(
            CriterionAssessment.unit_id,
            CriterionAssessment.criterion_id,
            CriterionAssessment.status,
            CriterionAssessment.assessed_on,
            rank,
        )
        .join(Criterion, Criterion.id == CriterionAssessment.criterion_id)
        .where(Criterion.criteria_set_id == criteria_set_id, CriterionAssessment.assessed_on <= day)
        .subquery("ranked_assessment")
    )
    return (
        sa.select(ranked.c.unit_id, ranked.c.criterion_id, ranked.c.status, ranked.c.assessed_on)
        .where(ranked.c.rank == 1)
        .subquery("latest_assessment")
    )


@dataclass
class CriteriaStatus:
    """Counts of a commune's latest criterion statuses in the set in force."""

    met: int = 0
    unmet: int = 0
    unknown: int = 0
    total: int = 0
    unmet_ids: list[int] = field(default_factory=list)

    @property
    def assessed(self) -> int:
        return self.met + self.unmet

    @property
    def complete(self) -> bool:
        """Every criterion of the set has a known status."""
        return self.total > 0 and self.assessed == self.total


def criteria_status(session: Session, day: dt.date) -> dict[int, CriteriaStatus]:
    """``{unit_id: CriteriaStatus}`` for communes with at least one assessment in the set in force."""
    cset = criteria_set_on(session, day)
    if cset is None:
        return {}
    count = sa.select(sa.func.count()).select_from(Criterion)
    total = session.scalar(count.where(Criterion.criteria_set_id == cset.id)) or 0
    latest = latest_assessments(day, cset.id)
    result: dict[int, CriteriaStatus] = {}
    for unit_id, criterion_id, status in session.execute(
        sa.select(latest.c.unit_id, latest.c.criterion_id, latest.c.status).order_by(
            latest.c.unit_id, latest.c.criterion_id
        )
    ):
        entry = result.setdefault(unit_id, CriteriaStatus(total=total))
        setattr(entry, status, getattr(entry, status) + 1)
        if status == "unmet":
            entry.unmet_ids.append(criterion_id)
    return result


def difficulty_flags(session: Session, day: dt.date) -> dict[int, dict[str, str | None]]:
    """``{unit_id: {flag: "true" | "false" | None}}`` for the difficulty flags valid on ``day``.

    The latest recorded, not superseded row per unit and flag wins; a flag with no
    row is absent (nobody has looked), a row with NULL value is ``None`` (unknown).
    """
    rank = (
        sa.func.row_number()
        .over(
            partition_by=(Classification.unit_id, Classification.flag),
            order_by=(Classification.recorded_at.desc(), Classification.id.desc()),
        )
        .label("rank")
    )
    ranked = (
        sa.select(Classification.unit_id, Classification.flag, Classification.value, rank)
        .where(
            Classification.flag.in_(DIFFICULTY_FLAGS),
            Classification.superseded_at.is_(None),
            Classification.period_from <= day,
            sa.or_(Classification.period_to.is_(None), Classification.period_to > day),
        )
        .subquery()
    )
    result: dict[int, dict[str, str | None]] = {}
    for unit_id, flag, value in session.execute(
        sa.select(ranked.c.unit_id, ranked.c.flag, ranked.c.value).where(ranked.c.rank == 1)
    ):
        result.setdefault(unit_id, {})[flag] = value
    return result


def is_difficult(flags: dict[str, str | None] | None) -> bool | None:
    """True if any difficulty flag is true, False if all four are known false, else None."""
    flags = flags or {}
    if any(flags.get(f) == "true" for f in DIFFICULTY_FLAGS):
        return True
    if all(flags.get(f) == "false" for f in DIFFICULTY_FLAGS):
        return False
    return None


def latest_levels(session: Session, day: dt.date) -> dict[int, NtmLevel]:
    """``{unit_id: NtmLevel}``: the latest level row of each unit for a year up to ``day``'s."""
    rank = (
        sa.func.row_number()
        .over(partition_by=NtmLevel.unit_id, order_by=(NtmLevel.year.desc(), NtmLevel.id.desc()))
        .label("rank")
    )
    ranked = sa.select(NtmLevel.id, rank).where(NtmLevel.year <= day.year).subquery()
    rows = session.scalars(
        sa.select(NtmLevel).join(ranked, ranked.c.id == NtmLevel.id).where(ranked.c.rank == 1)
    )
    return {row.unit_id: row for row in rows}


def sponsors_on(session: Session, day: dt.date) -> dict[int, list[int]]:
    """``{unit_id: [department ids]}`` of the sponsorships valid on ``day``."""
    rows = session.execute(
        sa.select(Sponsorship.unit_id, Sponsorship.department_id)
        .where(
            Sponsorship.valid_from <= day,
            sa.or_(Sponsorship.valid_to.is_(None), Sponsorship.valid_to > day),
        )
        .order_by(Sponsorship.unit_id, Sponsorship.department_id)
    )
    result: dict[int, list[int]] = {}
    for unit_id, department_id in rows:
        if department_id not in result.setdefault(unit_id, []):
            result[unit_id].append(department_id)
    return result


def departments_on(session: Session, day: dt.date) -> list[Organisation]:
    """Departments (Sở, Ban, ngành) valid on ``day``, by name."""
    return list(
        session.scalars(
            sa.select(Organisation)
            .where(Organisation.kind == "department", valid_on(Organisation, day))
            .order_by(Organisation.name, Organisation.id)
        )
    )
