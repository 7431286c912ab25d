"""Record and read facts: criterion assessments, NTM levels, classifications,
sponsorships and departments.

Every write names who made it (``by``) and is appended to ``AuditEvent`` with
its before and after. Fact values are never overwritten: a correction is a
new row (the newest one is current), a replaced classification is marked
``superseded_at``, and an ended sponsorship keeps its row with ``valid_to``.
Inputs are checked first and refused with a Vietnamese message naming the
field (``FactError.field``), so nothing is half written.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from geo.models import (
    ASSESSMENT_STATUSES,
    NTM_LEVELS,
    Classification,
    CriteriaSet,
    Criterion,
    CriterionAssessment,
    NtmLevel,
)
from services.communes import Flag, classifications_on, valid_on
from services.fact_records import (
    FactError,
    audit,
    check_by,
    check_not_future,
    check_period,
    create,
    exists_during,
    get_commune,
    now,
    snapshot,
    vn_date,
)
from services.fact_sponsors import (
    end_sponsorship,
    sponsorship_history,
    sponsorships_on,
    start_sponsorship,
    upsert_department,
)

__all__ = [
    "FactError",
    "vn_date",
    "snapshot",
    "criteria_set_by_code",
    "criteria_set_on",
    "find_criterion",
    "CriterionStatus",
    "record_assessment",
    "current_assessments",
    "assessment_history",
    "record_ntm_level",
    "current_ntm_level",
    "ntm_level_history",
    "record_classification",
    "classifications_of",
    "classification_history",
    "start_sponsorship",
    "end_sponsorship",
    "sponsorships_on",
    "sponsorship_history",
    "upsert_department",
]

BOOLEAN_FLAGS = ("mountainous", "coastal_sandy", "island", "extremely_difficult")
COMMUNE_GROUPS = ("1", "2", "3")
TARGET_LEVELS = ("standard", "advanced", "model")
#: the national NTM programme began in 2010 (QĐ 800/QĐ-TTg)
FIRST_NTM_YEAR = 2010


# --- criteria and assessments -------------------------------------------------------------


def criteria_set_by_code(session: Session, code: str) -> CriteriaSet:
    found = session.scalars(sa.select(CriteriaSet).where(CriteriaSet.code == code)).one_or_none()
    if found is None:
        raise FactError(f"Không có bộ tiêu chí '{code}'.", "criteria_set")
    return found


def criteria_set_on(session: Session, day: dt.date) -> CriteriaSet | None:
    """The criteria set in force on ``day``."""
    return session.scalars(
        sa.select(CriteriaSet).where(CriteriaSet.valid_from <= day, valid_on(CriteriaSet, day))
    ).first()


def find_criterion(session: Session, criteria_set: CriteriaSet, number: int) -> Criterion:
    found = session.scalars(
        sa.select(Criterion).where(
            Criterion.criteria_set_id == criteria_set.id, Criterion.number == number
        )
    ).one_or_none()
    if found is None:
        count = len(criteria_set.criteria)
        raise FactError(
            f"Bộ tiêu chí {criteria_set.legal_basis} không có tiêu chí số {number} "
            f"(chỉ có tiêu chí 1–{count}).",
            "criterion",
        )
    return found


def record_assessment(
    session: Session,
    unit_id: int,
    criterion_id: int,
    status: str,
    assessed_on: dt.date,
    *,
    by: str,
    source: str | None = None,
    note: str | None = None,
    today: dt.date | None = None,
) -> CriterionAssessment:
    """Add an assessment (met / unmet / unknown); earlier ones stay as history."""
    by = check_by(by)
    if status not in ASSESSMENT_STATUSES:
        raise FactError(
            f"Kết quả '{status}' không hợp lệ: chọn đạt, chưa đạt hoặc chưa rõ.", "status"
        )
    criterion = session.get(Criterion, criterion_id)
    if criterion is None:
        raise FactError(f"Không có tiêu chí mang mã số nội bộ {criterion_id}.", "criterion")
    check_not_future(assessed_on, today, "assessed_on", "Ngày đánh giá")
    cset = criterion.criteria_set
    if assessed_on < cset.valid_from or (cset.valid_to and assessed_on >= cset.valid_to):
        raise FactError(
            f"Ngày đánh giá {vn_date(assessed_on)} nằm ngoài thời gian áp dụng của bộ tiêu chí "
            f"{cset.legal_basis} ({vn_date(cset.valid_from)} – {vn_date(cset.valid_to)}).",
            "assessed_on",
        )
    get_commune(session, unit_id, assessed_on)
    row = CriterionAssessment(
        unit_id=unit_id,
        criterion_id=criterion_id,
        status=status,
        assessed_on=assessed_on,
        source=source,
        note=note,
        recorded_by=by,
    )
    return create(session, row, by, unit_id)


@dataclass(frozen=True)
class CriterionStatus:
    """Where a commune stands on one criterion; ``assessed_on`` None means no data."""

    criterion_id: int
    number: int
    code: str
    name_vi: str
    status: str
    assessed_on: dt.date | None = None
    source: str | None = None
    recorded_by: str | None = None

    @property
    def has_data(self) -> bool:
        return self.assessed_on is not None


def current_assessments(
    session: Session, unit_id: int, criteria_set_code: str, day: dt.date
) -> list[CriterionStatus]:
    """Every criterion of the set with its latest assessment on or before ``day``."""
    cset = criteria_set_by_code(session, criteria_set_code)
    rows = session.scalars(
        sa.select(CriterionAssessment)
        .join(Criterion)
        .where(
            CriterionAssessment.unit_id == unit_id,
            Criterion.criteria_set_id == cset.id,
            CriterionAssessment.assessed_on <= day,
        )
        .order_by(
            CriterionAssessment.assessed_on,
            CriterionAssessment.recorded_at,
            CriterionAssessment.id,
        )
    )
    latest = {row.criterion_id: row for row in rows}
    result = []
    for c in cset.criteria:
        row = latest.get(c.id)
        facts = (row.status, row.assessed_on, row.source, row.recorded_by) if row else ("unknown",)
        result.append(CriterionStatus(c.id, c.number, c.code, c.name_vi, *facts))
    return result


def assessment_history(
    session: Session, unit_id: int, criterion_id: int
) -> list[CriterionAssessment]:
    """All assessments of a commune on a criterion, newest first."""
    return list(
        session.scalars(
            sa.select(CriterionAssessment)
            .where(
                CriterionAssessment.unit_id == unit_id,
                CriterionAssessment.criterion_id == criterion_id,
            )
            .order_by(
                CriterionAssessment.assessed_on.desc(),
                CriterionAssessment.recorded_at.desc(),
                CriterionAssessment.id.desc(),
            )
        )
    )


# --- NTM levels -----------------------------------------------------------------------------


def record_ntm_level(
    session: Session,
    unit_id: int,
    year: int,
    level: str,
    *,
    by: str,
    target_level: str | None = None,
    target_year: int | None = None,
    source: str | None = None,
    confidence: str = "verified",
    today: dt.date | None = None,
) -> NtmLevel:
    """Add a commune's NTM level for a year; ``registered`` needs a target year."""
    by = check_by(by)
    if level not in NTM_LEVELS:
        raise FactError(f"Mức '{level}' không hợp lệ.", "level")
    this_year = (today or dt.date.today()).year
    if not FIRST_NTM_YEAR <= year <= this_year:
        raise FactError(f"Năm {year} phải từ {FIRST_NTM_YEAR} đến {this_year}.", "year")
    if level == "registered":
        if target_year is None:
            raise FactError("Mức 'đăng ký' cần năm mục tiêu.", "target_year")
        if target_year < year:
            raise FactError(f"Năm mục tiêu {target_year} trước năm {year}.", "target_year")
        target_level = target_level or "standard"
        if target_level not in TARGET_LEVELS:
            raise FactError(f"Mức mục tiêu '{target_level}' không hợp lệ.", "target_level")
    elif target_year is not None or target_level is not None:
        raise FactError("Năm mục tiêu chỉ dùng với mức 'đăng ký'.", "target_year")
    unit = get_commune(session, unit_id)
    if not exists_during(unit, dt.date(year, 1, 1), dt.date(year + 1, 1, 1)):
        raise FactError(f"{unit.name} không tồn tại trong năm {year}.", "unit")
    row = NtmLevel(
        unit_id=unit_id,
        year=year,
        level=level,
        target_level=target_level,
        target_year=target_year,
        confidence=confidence,
        source=source,
        recorded_by=by,
    )
    return create(session, row, by, unit_id)


def current_ntm_level(session: Session, unit_id: int, year: int) -> NtmLevel | None:
    """The latest recorded level of the commune for ``year``; None when unknown."""
    return session.scalars(
        sa.select(NtmLevel)
        .where(NtmLevel.unit_id == unit_id, NtmLevel.year == year)
        .order_by(NtmLevel.recorded_at.desc(), NtmLevel.id.desc())
        .limit(1)
    ).first()


def ntm_level_history(session: Session, unit_id: int) -> list[NtmLevel]:
    return list(
        session.scalars(
            sa.select(NtmLevel)
            .where(NtmLevel.unit_id == unit_id)
            .order_by(NtmLevel.year.desc(), NtmLevel.recorded_at.desc(), NtmLevel.id.desc())
        )
    )


# --- classifications ------------------------------------------------------------------------


def _check_flag_value(flag: str, value: str | None) -> None:
    allowed: tuple[str, ...]
    if flag in BOOLEAN_FLAGS:
        allowed, words = ("true", "false"), "có, không hoặc chưa rõ"
    elif flag == "commune_group":
        allowed, words = COMMUNE_GROUPS, "1, 2, 3 hoặc chưa rõ"
    else:
        raise FactError(f"Loại phân loại '{flag}' không hợp lệ.", "flag")
    if value is not None and value not in allowed:
        raise FactError(f"Giá trị '{value}' không hợp lệ cho loại này: chọn {words}.", "value")


def record_classification(
    session: Session,
    unit_id: int,
    flag: str,
    value: str | None,
    period_from: dt.date,
    period_to: dt.date | None = None,
    *,
    by: str,
    legal_basis: str | None = None,
    source: str | None = None,
    confidence: str | None = "verified",
    rule: str | None = None,
) -> Classification:
    """Add a classification; rows of the same flag within its period are superseded.

    ``value`` None records that the fact is unknown. A known value needs its legal basis.
    """
    by = check_by(by)
    _check_flag_value(flag, value)
    check_period(period_from, period_to, "period_to")
    if value is not None and not (legal_basis or "").strip():
        raise FactError("Cần ghi căn cứ pháp lý (số quyết định) cho phân loại.", "legal_basis")
    unit = get_commune(session, unit_id)
    if not exists_during(unit, period_from, period_to):
        raise FactError(
            f"{unit.name} không tồn tại trong thời gian {vn_date(period_from)} – "
            f"{vn_date(period_to)}.",
            "period_from",
        )
    replaced = session.scalars(
        sa.select(Classification).where(
            Classification.unit_id == unit_id,
            Classification.flag == flag,
            Classification.superseded_at.is_(None),
            Classification.period_from >= period_from,
            sa.true()
            if period_to is None
            else sa.and_(
                Classification.period_to.is_not(None), Classification.period_to <= period_to
            ),
        )
    ).all()
    stamp = now()
    for old in replaced:
        before = snapshot(old)
        old.superseded_at = stamp
        audit(session, old, "supersede", by, before, unit_id)
    row = Classification(
        unit_id=unit_id,
        flag=flag,
        value=value,
        period_from=period_from,
        period_to=period_to,
        legal_basis=legal_basis,
        confidence=confidence,
        rule=rule,
        source=source,
        recorded_by=by,
        recorded_at=stamp,
    )
    return create(session, row, by, unit_id)


def classifications_of(session: Session, unit_id: int, day: dt.date) -> dict[str, Flag]:
    """``{flag: Flag}`` of one commune on ``day`` (flags nobody recorded are absent)."""
    return classifications_on(session, day).get(unit_id, {})


def classification_history(
    session: Session, unit_id: int, flag: str | None = None
) -> list[Classification]:
    """Every classification row of a commune, superseded ones included, newest first."""
    query = sa.select(Classification).where(Classification.unit_id == unit_id)
    if flag:
        query = query.where(Classification.flag == flag)
    order = (Classification.recorded_at.desc(), Classification.id.desc())
    return list(session.scalars(query.order_by(*order)))
