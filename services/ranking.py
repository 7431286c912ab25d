"""A priority score per commune from named factors, each contribution shown.

Each factor turns a fact into a value between 0 and 1; its contribution is
``weight × value``; the score is the sum of the contributions.

**Missing data.** A factor whose input is unknown (no classification row or an
unknown flag, no assessment, no NTM level row) has value ``None``: it contributes
nothing, is named in ``missing``, and lowers the commune's ``completeness`` (the
share of the total weight whose input is known). A commune is therefore never
pushed down *or* up by a guessed zero, and planners see how much of its score
rests on data. ``normalised`` (score ÷ known weight) lets them compare communes
with different completeness. A commune with no recorded activity is not missing
data: it waited the longest, so its "days since" value is 1.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from geo.errors import NtmError
from geo.models import AdminUnit
from services.analysis_inputs import (
    CriteriaStatus,
    communes_valid_on,
    criteria_status,
    difficulty_flags,
    is_difficult,
    latest_levels,
    sponsors_on,
)
from services.coverage import last_activity_dates

#: weights used when the planner sets none; the sum is 11
DEFAULT_WEIGHTS: dict[str, float] = {
    # the dispatch names difficult communes (mountainous, coastal sandy, island, ĐBKK) first
    "difficulty": 3.0,
    # share of the criteria in force that are unmet: more unmet criteria, more work to do
    "unmet_criteria": 2.0,
    # missing only one (1.0) or two (0.5) criteria: a few Saturdays can tip it to the standard
    "close_to_standard": 2.0,
    # registered to reach the standard this year or next: a commitment with a deadline
    "registered": 2.0,
    # days since the last activity, capped at DAYS_CAP: long waits surface, visits alone are no need
    "days_since_activity": 1.0,
    # no department sponsors it: nobody is accountable for it
    "no_sponsor": 1.0,
}

FACTOR_LABELS = {
    "difficulty": "Xã khó khăn",
    "unmet_criteria": "Số tiêu chí chưa đạt",
    "close_to_standard": "Gần đạt chuẩn",
    "registered": "Đăng ký đạt chuẩn năm nay/năm sau",
    "days_since_activity": "Thời gian chưa có hoạt động",
    "no_sponsor": "Chưa có đơn vị đỡ đầu",
}

#: waits longer than this count as the longest wait (value 1)
DAYS_CAP = 180


class WeightError(NtmError):
    """A weight the planner set cannot be used; the message names it."""


@dataclass(frozen=True)
class Contribution:
    factor: str
    label: str
    weight: float
    value: float | None
    detail: str

    @property
    def points(self) -> float | None:
        return None if self.value is None else self.weight * self.value


@dataclass
class RankedCommune:
    unit_id: int
    name: str
    code: str | None
    score: float = 0.0
    completeness: float = 1.0
    normalised: float | None = None
    contributions: list[Contribution] = field(default_factory=list)
    rank: int = 0

    @property
    def missing(self) -> list[str]:
        return [c.factor for c in self.contributions if c.value is None]


def check_weights(weights: Mapping[str, object] | None) -> dict[str, float]:
    """The defaults overridden by ``weights``; unknown names and negative or non-numbers refused."""
    result = dict(DEFAULT_WEIGHTS)
    for name, raw in (weights or {}).items():
        if name not in DEFAULT_WEIGHTS:
            known = ", ".join(DEFAULT_WEIGHTS)
            raise WeightError(f"Không có yếu tố “{name}”. Các yếu tố: {known}.")
        try:
            value = float(str(raw).replace(",", "."))
        except ValueError:
            raise WeightError(f"Trọng số “{name}” phải là một số (nhận được “{raw}”).") from None
        if not value >= 0 or value == float("inf"):
            raise WeightError(f"Trọng số “{name}” phải là số không âm (nhận được “{raw}”).")
        result[name] = value
    return result


def _difficulty(flags) -> tuple[float | None, str]:
    known = is_difficult(flags)
    if known is None:
        return None, "chưa có dữ liệu phân loại"
    named = [f for f, v in (flags or {}).items() if v == "true"]
    return (1.0, "thuộc diện: " + ", ".join(sorted(named))) if known else (0.0, "không thuộc diện")


def _unmet(status: CriteriaStatus | None) -> tuple[float | None, str]:
    if status is None or status.assessed == 0:
        return None, "chưa có đánh giá tiêu chí"
    text = f"{status.unmet}/{status.total} tiêu chí chưa đạt"
    if status.assessed < status.total:
        text += f" ({status.total - status.assessed} tiêu chí chưa rõ)"
    return status.unmet / status.total, text


def _closeness(status: CriteriaStatus | None) -> tuple[float | None, str]:
    if status is None or not status.complete:
        return None, "chưa đánh giá đủ các tiêu chí"
    value = {1: 1.0, 2: 0.5}.get(status.unmet, 0.0)
    return value, f"còn {status.unmet} tiêu chí chưa đạt"


def _registered(level, day: dt.date) -> tuple[float | None, str]:
    if level is None:
        return None, "chưa có dữ liệu mức đạt chuẩn"
    if level.level == "registered" and level.target_year in (day.year, day.year + 1):
        return 1.0, f"đăng ký đạt chuẩn năm {level.target_year}"
    if level.level == "registered":
        return 0.0, f"đăng ký đạt chuẩn năm {level.target_year}"
    return 0.0, f"mức năm {level.year}: {level.level}"


def _days(last: dt.date | None, day: dt.date) -> tuple[float, str]:
    if last is None:
        return 1.0, "chưa có hoạt động nào được ghi nhận"
    days = (day - last).days
    return min(days, DAYS_CAP) / DAYS_CAP, f"{days} ngày từ hoạt động gần nhất"


def _sponsor(sponsors: list[int]) -> tuple[float, str]:
    if sponsors:
        return 0.0, f"{len(sponsors)} đơn vị đỡ đầu"
    return 1.0, "chưa có đơn vị đỡ đầu"


def rank(
    session: Session, day: dt.date, weights: Mapping[str, object] | None = None
) -> list[RankedCommune]:
    """Every commune valid on ``day`` with its score and contributions, highest score first."""
    weights = check_weights(weights)
    units = session.execute(
        communes_valid_on(day).add_columns(AdminUnit.name, AdminUnit.code)
    ).all()
    flags = difficulty_flags(session, day)
    statuses = criteria_status(session, day)
    levels = latest_levels(session, day)
    sponsors = sponsors_on(session, day)
    lasts = last_activity_dates(session, day)
    total_weight = sum(weights.values())
    ranked = []
    for unit in units:
        status = statuses.get(unit.id)
        values = {
            "difficulty": _difficulty(flags.get(unit.id)),
            "unmet_criteria": _unmet(status),
            "close_to_standard": _closeness(status),
            "registered": _registered(levels.get(unit.id), day),
            "days_since_activity": _days(lasts.get(unit.id), day),
            "no_sponsor": _sponsor(sponsors.get(unit.id, [])),
        }
        row = RankedCommune(unit.id, unit.name, unit.code)
        row.contributions = [
            Contribution(f, FACTOR_LABELS[f], weights[f], *values[f]) for f in DEFAULT_WEIGHTS
        ]
        known = [c for c in row.contributions if c.value is not None]
        row.score = sum(c.weight * c.value for c in known if c.value is not None)
        known_weight = sum(c.weight for c in known)
        row.completeness = known_weight / total_weight if total_weight else 1.0
        row.normalised = row.score / known_weight if known_weight else None
        ranked.append(row)
    ranked.sort(key=lambda r: (-r.score, -r.completeness, r.name))
    for position, row in enumerate(ranked, start=1):
        row.rank = position
    return ranked


def top(ranking: list[RankedCommune], n: int) -> list[int]:
    """Unit ids of the ``n`` highest-ranked communes."""
    return [r.unit_id for r in ranking[: max(n, 0)]]


def above(ranking: list[RankedCommune], score: float) -> list[int]:
    """Unit ids of the communes scoring at least ``score``."""
    return [r.unit_id for r in ranking if r.score >= score]


def add_to_list(
    session: Session,
    list_id: int,
    unit_ids: list[int],
    *,
    version,
    by: str,
    reason: str | None = None,
):
    """Add ranked communes to a priority list in one step (``services.priorities.add_communes``)."""
    from services import priorities

    return priorities.add_communes(
        session, list_id, unit_ids, version=version, by=by, reason=reason
    )
