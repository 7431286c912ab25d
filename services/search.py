"""Find a commune by name typed without diacritics ("vinh linh", "dakrong")."""

from __future__ import annotations

import datetime as dt
import unicodedata

from sqlalchemy.orm import Session

from services.map_data import communes_valid_on

KIND_PREFIXES = ("xa ", "phuong ", "thi tran ", "dac khu ")


def fold(text: str) -> str:
    """Lower case, đ→d, combining marks stripped, spaces collapsed.

    >>> fold("Xã Đakrông")
    'xa dakrong'
    >>> fold("  VĨNH   Linh ")
    'vinh linh'
    """
    text = text.lower().replace("đ", "d")
    decomposed = unicodedata.normalize("NFD", text)
    bare = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    return " ".join(bare.split())


def _score(query: str, name: str) -> int | None:
    """Lower is better; None when ``query`` does not match ``name`` (both folded)."""
    short = next((name[len(p) :] for p in KIND_PREFIXES if name.startswith(p)), name)
    if short == query or name == query:
        return 0
    if short.startswith(query):
        return 1
    if query in name:
        return 2
    if query.replace(" ", "") in name.replace(" ", ""):
        return 3
    return None


def search_communes(session: Session, query: str, day: dt.date, limit: int = 10) -> list[dict]:
    """Communes valid on ``day`` whose name (or a former unit's name) matches ``query``.

    Each hit: ``{"id", "name", "kind", "former_districts", "matched_former"}``;
    ``matched_former`` names the former unit when only that matched.
    """
    folded = fold(query)
    if not folded:
        return []
    hits = []
    for commune in communes_valid_on(session, day, with_difficulty=False):
        score = _score(folded, fold(commune.name))
        matched_former = None
        if score is None:
            for former in commune.former_units:
                former_score = _score(folded, fold(former))
                if former_score is not None:
                    score, matched_former = 10 + former_score, former
                    break
        if score is not None:
            hits.append((score, commune.name, commune, matched_former))
    hits.sort(key=lambda h: (h[0], h[1]))
    return [
        {
            "id": c.id,
            "name": c.name,
            "kind": c.kind,
            "former_districts": c.former_districts,
            "matched_former": former,
        }
        for _, _, c, former in hits[:limit]
    ]
