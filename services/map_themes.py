"""Classes of each map theme, with the number of communes in each.

A theme turns the rows of ``services.map_data.commune_rows`` into classes:
``{"key", "count", ...}`` in legend order plus ``{unit_id: key}``. Numeric themes
use a real classification scheme (``mapclassify``); "no data" is always its own
class and never merged with zero.
"""

from __future__ import annotations

import warnings

import mapclassify
import numpy as np

THEMES = ("difficulty", "unmet", "criterion", "ntm", "sponsor", "coverage", "recency")
NO_DATA = "no_data"
DIFFICULTY_CLASSES = ("mountainous", "coastal_sandy", "island", "several", "none", NO_DATA)
CRITERION_CLASSES = ("unmet", "met", NO_DATA)
NTM_ORDER = ("none", "registered", "standard", "advanced", "model", "not_applicable")
#: days since the last activity: upper bounds of the classes
RECENCY_BOUNDS = (30, 90, 180)
MAX_NUMERIC_CLASSES = 5


def classify(rows: list[dict], theme: str) -> dict:
    """``{"theme", "kind", "classes": [...], "assign": {id: key}}`` for one theme."""
    builder = {
        "difficulty": _difficulty,
        "unmet": lambda r: _numeric(r, "unmet", "unmet"),
        "criterion": _criterion,
        "ntm": _ntm,
        "sponsor": _sponsor,
        "coverage": lambda r: _numeric(r, "activities", "coverage", zero_class=True),
        "recency": _recency,
    }[theme]
    kind, classes, assign = builder(rows)
    counts: dict[str, int] = {}
    for key in assign.values():
        counts[key] = counts.get(key, 0) + 1
    for entry in classes:
        entry["count"] = counts.get(entry["key"], 0)
    return {"theme": theme, "kind": kind, "classes": classes, "assign": assign}


def _categorical(rows, field, order):
    assign = {r["id"]: r[field] or NO_DATA for r in rows}
    return "categorical", [{"key": k} for k in order], assign


def _difficulty(rows):
    return _categorical(rows, "difficulty", DIFFICULTY_CLASSES)


def _criterion(rows):
    return _categorical(rows, "criterion", CRITERION_CLASSES)


def _ntm(rows):
    """Levels in order; one class per registration target year ("registered:2026")."""
    assign = {}
    for r in rows:
        key = r["ntm"] or NO_DATA
        if key == "registered":
            key = f"registered:{r['ntm_target_year'] or ''}"
        assign[r["id"]] = key
    keys = []
    for level in NTM_ORDER:
        if level == "registered":
            keys += sorted({k for k in assign.values() if k.startswith("registered:")})
        else:
            keys.append(level)
    classes = [{"key": k, "derived": _derived_count(rows, assign, k)} for k in keys + [NO_DATA]]
    return "categorical", classes, assign


def _derived_count(rows, assign, key):
    return sum(1 for r in rows if assign[r["id"]] == key and r["ntm_derived"])


def _sponsor(rows):
    """One class per sponsoring department; "none" and "several" apart."""
    assign = {}
    for r in rows:
        sponsors = r["sponsors"]
        assign[r["id"]] = (
            "none" if not sponsors else f"dept:{sponsors[0]}" if len(sponsors) == 1 else "several"
        )
    departments = sorted(
        {k for k in assign.values() if k.startswith("dept:")}, key=lambda k: int(k[5:])
    )
    classes = [{"key": k, "department_id": int(k[5:])} for k in departments]
    return "categorical", classes + [{"key": "several"}, {"key": "none"}], assign


def _recency(rows):
    assign = {}
    for r in rows:
        days = r["days_since"]
        if days is None:
            assign[r["id"]] = "never"
            continue
        bound = next((b for b in RECENCY_BOUNDS if days <= b), None)
        assign[r["id"]] = f"le:{bound}" if bound is not None else f"gt:{RECENCY_BOUNDS[-1]}"
    keys = [f"le:{b}" for b in RECENCY_BOUNDS] + [f"gt:{RECENCY_BOUNDS[-1]}", "never"]
    classes = [{"key": k, "order": i} for i, k in enumerate(keys)]
    return "sequential", classes, assign


def numeric_bins(values: np.ndarray, k: int = MAX_NUMERIC_CLASSES) -> list[tuple[int, int]]:
    """Integer class ranges ``[(low, high), ...]`` covering ``values``.

    Few distinct values get a class each; otherwise quantiles (``mapclassify.Quantiles``:
    deterministic, and fast enough for a national map), merged where whole numbers repeat.

    >>> numeric_bins(np.array([0, 1, 1, 3]))
    [(0, 0), (1, 1), (3, 3)]
    """
    distinct = np.unique(values)
    if len(distinct) == 0:
        return []
    if len(distinct) <= k:
        return [(int(v), int(v)) for v in distinct]
    with warnings.catch_warnings():
        # repeated whole numbers make equal quantiles; they are merged below
        warnings.simplefilter("ignore", UserWarning)
        scheme = mapclassify.Quantiles(values, k=k)
    bins, low = [], int(distinct.min())
    for upper in scheme.bins:
        high = int(np.floor(upper))
        if high >= low:
            bins.append((low, high))
            low = high + 1
    return bins


def _numeric(rows, field, theme, zero_class=False):
    """Classes of a count; ``None`` is no data, and with ``zero_class`` 0 is a class of its own."""
    known = np.array([r[field] for r in rows if r[field] is not None], dtype=float)
    classified = known[known > 0] if zero_class else known
    bins = numeric_bins(classified)
    if zero_class:
        bins = [(0, 0)] + bins
    classes = [
        {"key": f"{low}-{high}", "low": low, "high": high, "order": i}
        for i, (low, high) in enumerate(bins)
    ]
    assign = {}
    for r in rows:
        value = r[field]
        if value is None:
            assign[r["id"]] = NO_DATA
        else:
            low, high = next(b for b in bins if b[0] <= value <= b[1])
            assign[r["id"]] = f"{low}-{high}"
    if any(r[field] is None for r in rows) or not zero_class:
        classes.append({"key": NO_DATA})
    return "sequential", classes, assign
