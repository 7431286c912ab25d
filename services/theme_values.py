"""The planner map's analysis themes computed on the server: "Điểm ưu tiên" (``priority``),
"Độ phủ trong kỳ báo cáo" (``cover``) and "Khoảng trống" (``gap``).

The screen computes these in the browser (``webmap/static/planner/analysis.js`` and
``coverage.js``); the print view needs the same classes for the same URL. The rules below
repeat the JS ones on purpose (the JS stays as it is, so a slider recolours without a round
trip): ``w=`` as ``readWeights`` reads it, ``cov=`` as ``periodParams``/``lastQuarter`` read
it, five equal classes of the highest possible score, ``COVER_BINS`` and ``GAP_CLASSES``.
Classes come out without words; the caller labels them in its language.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from geo.errors import NtmError
from services import ranking
from services.coverage import commune_coverage
from services.coverage_gaps import gaps
from services.periods import Period

ANALYSIS_THEMES = ("priority", "cover", "gap")
#: ``WEIGHT_MAX`` in analysis.js: a weight from the URL above this is cut down to it
WEIGHT_MAX = 10.0
#: ``CLASS_COLORS`` in analysis.js, lowest score first
PRIORITY_COLORS = ("#fef0d9", "#fdcc8a", "#fc8d59", "#e34a33", "#b30000")
#: ``COVER_BINS`` in coverage.js: (fewest, most activities, colour); ``None`` = no upper bound
COVER_BINS = ((0, 0, "#fee0d2"), (1, 1, "#c6dbef"), (2, 3, "#6baed6"), (4, 6, "#2171b5"),
              (7, None, "#08306b"))  # fmt: skip
#: ``GAP_CLASSES`` in coverage.js, in the legend's order (the first that applies wins)
GAP_CLASSES = (("no_activity", "#d7191c"), ("waiting", "#fdae61"), ("crowded", "#2c7bb6"),
               ("unmet_open", "#ffffbf"), ("none", "#e0e0e0"))  # fmt: skip


@dataclass
class ThemeValues:
    """Classes (``key``, ``color`` and the numbers a label needs) and each commune's class."""

    theme: str
    classes: list[dict]
    assign: dict[int, str]
    weights: dict[str, float] = field(default_factory=dict)
    period: Period | None = None
    max_score: float | None = None


def parse_weights(text: str | None) -> dict[str, float]:
    """``w=3,2,2,2,1,1`` in the factors' order, read like ``readWeights``: a missing, empty,
    negative or non-numeric entry keeps the default; values above ``WEIGHT_MAX`` are cut."""
    parts = (text or "").split(",")
    weights = {}
    for i, (name, default) in enumerate(ranking.DEFAULT_WEIGHTS.items()):
        raw = parts[i].strip() if i < len(parts) else ""
        try:
            value = float(raw) if raw else math.nan
        except ValueError:
            value = math.nan
        ok = math.isfinite(value) and value >= 0
        weights[name] = min(value, WEIGHT_MAX) if ok else default
    return weights


def last_quarter(today: dt.date) -> Period:
    """``lastQuarter`` in coverage.js: the quarter before the one ``today`` is in."""
    q = (today.month - 1) // 3
    return Period.quarter(today.year - 1, 4) if q == 0 else Period.quarter(today.year, q)


def parse_period(text: str | None, today: dt.date) -> Period:
    """``cov=`` as coverage.js writes it: ``quarter:2026:3``, ``month:2026:11``, ``half:2026:1``,
    ``year:2026`` or ``range:2026-01-01:2026-03-31``; empty means the last quarter."""
    if not text:
        return last_quarter(today)
    parts = text.split(":")
    bad = NtmError(
        f"Kỳ báo cáo “{text}” (tham số “cov”) không đọc được: dùng dạng quarter:2026:3, "
        "month:2026:11, half:2026:1, year:2026 hoặc range:2026-01-01:2026-03-31."
    )
    try:
        if parts[0] == "range" and len(parts) == 3:
            return Period.between(dt.date.fromisoformat(parts[1]), dt.date.fromisoformat(parts[2]))
        year = int(parts[1]) if len(parts) >= 2 else None
        number = int(parts[2]) if len(parts) >= 3 and parts[2] else 1
    except ValueError:
        raise bad from None
    makers = {"month": Period.month, "quarter": Period.quarter, "half": Period.half}
    if year is None or parts[0] not in (*makers, "year"):
        raise bad
    return Period.year(year) if parts[0] == "year" else makers[parts[0]](year, number)


def priority_class(score: float, max_score: float) -> str:
    """Five equal classes of ``0..max_score`` (the sum of the weights), ``p0`` lowest."""
    step = max_score / len(PRIORITY_COLORS)
    i = min(len(PRIORITY_COLORS) - 1, math.floor(score / step)) if step > 0 else 0
    return f"p{i}"


def priority_values(session: Session, day: dt.date, weights: dict[str, float]) -> ThemeValues:
    """The "Điểm ưu tiên" theme: ``ranking.rank`` scores classed like analysis.js."""
    max_score = sum(weights.values())
    step = max_score / len(PRIORITY_COLORS)
    classes = [
        {"key": f"p{i}", "color": colour, "low": step * i, "high": step * (i + 1)}
        for i, colour in enumerate(PRIORITY_COLORS)
    ][::-1]
    assign = {
        r.unit_id: priority_class(r.score, max_score) for r in ranking.rank(session, day, weights)
    }
    return ThemeValues("priority", classes, assign, weights=weights, max_score=max_score)


def cover_class(activities: int) -> str:
    """The ``COVER_BINS`` class of a number of activities."""
    for i, (low, high, _colour) in enumerate(COVER_BINS):
        if activities >= low and (high is None or activities <= high):
            return f"a{i}"
    return "a0"


def cover_values(session: Session, period: Period) -> ThemeValues:
    """The "Độ phủ trong kỳ báo cáo" theme: activities per commune in ``period``."""
    classes = [
        {"key": f"a{i}", "color": colour, "low": low, "high": high}
        for i, (low, high, colour) in enumerate(COVER_BINS)
    ]
    assign = {c.unit_id: cover_class(c.activities) for c in commune_coverage(session, period)}
    return ThemeValues("cover", classes, assign, period=period)


def gap_values(session: Session, period: Period, list_id: int | None) -> ThemeValues:
    """The "Khoảng trống" theme: the first gap of ``coverage_gaps.gaps`` each commune is in."""
    rows = commune_coverage(session, period)
    found = gaps(session, period, list_id, rows)
    groups = {
        "no_activity": {c.unit_id for c in found.no_activity},
        "waiting": {c.unit_id for c in found.waiting},
        "crowded": {c.unit_id for c in found.crowded},
        "unmet_open": {u.unit_id for u in found.unmet_not_addressed},
    }
    assign = {
        r.unit_id: next((k for k, ids in groups.items() if r.unit_id in ids), "none") for r in rows
    }
    classes = [{"key": key, "color": colour} for key, colour in GAP_CLASSES]
    return ThemeValues("gap", classes, assign, period=period)


def theme_values(
    session: Session, theme: str, *, weights: str | None, cov: str | None,
    list_id: int | None, today: dt.date,
) -> ThemeValues:  # fmt: skip
    """One of the three analysis themes for the URL's ``w=``/``cov=``/``list=``."""
    if theme == "priority":
        return priority_values(session, today, parse_weights(weights))
    period = parse_period(cov, today)
    if theme == "cover":
        return cover_values(session, period)
    if theme == "gap":
        return gap_values(session, period, list_id)
    raise NtmError(f"Không có chủ đề phân tích “{theme}”.")
