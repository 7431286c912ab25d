"""Reading priority lists: summaries, communes, history, comparisons, pick lists.

Deleted lists (``deleted_at`` set) are not found. Changes live in ``services.priorities``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from geo.errors import NotFoundError
from geo.models import AdminUnit, PriorityList, PriorityListEvent, PriorityListItem, UnitGeometry

#: largest id or version a database integer column holds (beyond it SQLite's driver overflows)
MAX_INTEGER = 2**31 - 1


@dataclass(frozen=True)
class ListSummary:
    id: int
    name: str
    period_from: dt.date | None
    period_to: dt.date | None
    note: str | None
    version: int
    item_count: int


@dataclass(frozen=True)
class ItemView:
    """A commune in a list, with the facts an export needs."""

    unit_id: int
    code: str | None
    name: str
    kind: str
    area_km2: float | None
    added_by: str
    added_at: dt.datetime
    reason: str | None


@dataclass(frozen=True)
class HistoryEntry:
    unit_id: int
    code: str | None
    name: str
    action: str  # "add" | "remove"
    by: str
    at: dt.datetime
    reason: str | None


@dataclass(frozen=True)
class UnitRef:
    unit_id: int
    name: str


@dataclass(frozen=True)
class Comparison:
    """Communes in the first list and not the second (added), and the reverse (removed)."""

    added: list[UnitRef]
    removed: list[UnitRef]


def get_list(session: Session, list_id: int) -> PriorityList:
    """The list ``list_id``; ``NotFoundError`` when it does not exist or was deleted."""
    plist = session.get(PriorityList, list_id) if 0 < list_id <= MAX_INTEGER else None
    if plist is None or plist.deleted_at is not None:
        raise NotFoundError(f"Không tìm thấy danh sách ưu tiên số {list_id} (có thể đã bị xoá).")
    return plist


def all_lists(session: Session, *, deleted: bool = False) -> list[ListSummary]:
    """Every list not deleted (or, with ``deleted``, every deleted one), newest first,
    with its number of communes."""
    counts = (
        sa.select(PriorityListItem.priority_list_id, sa.func.count().label("n"))
        .group_by(PriorityListItem.priority_list_id)
        .subquery()
    )
    rows = session.execute(
        sa.select(PriorityList, sa.func.coalesce(counts.c.n, 0))
        .outerjoin(counts, counts.c.priority_list_id == PriorityList.id)
        .where(
            PriorityList.deleted_at.is_not(None) if deleted else PriorityList.deleted_at.is_(None)
        )
        .order_by(PriorityList.created_at.desc(), PriorityList.id.desc())
    ).all()
    return [
        ListSummary(p.id, p.name, p.period_from, p.period_to, p.note, p.version, int(count))
        for p, count in rows
    ]


def items(session: Session, list_id: int) -> list[ItemView]:
    """The communes of a list with code, kind and current area, by name."""
    get_list(session, list_id)
    area = (
        sa.select(UnitGeometry.area_km2)
        .where(UnitGeometry.unit_id == AdminUnit.id, UnitGeometry.is_current)
        .order_by(UnitGeometry.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    rows = session.execute(
        sa.select(PriorityListItem, AdminUnit, area.label("area_km2"))
        .join(AdminUnit, AdminUnit.id == PriorityListItem.unit_id)
        .where(PriorityListItem.priority_list_id == list_id)
        .order_by(AdminUnit.name, AdminUnit.id)
    ).all()
    return [
        ItemView(
            unit.id, unit.code, unit.name, unit.kind, area_km2, it.added_by, it.added_at, it.reason
        )
        for it, unit, area_km2 in rows
    ]


def history(session: Session, list_id: int) -> list[HistoryEntry]:
    """Every addition and removal of the list, oldest first."""
    get_list(session, list_id)
    rows = session.execute(
        sa.select(PriorityListEvent, AdminUnit.code, AdminUnit.name)
        .join(AdminUnit, AdminUnit.id == PriorityListEvent.unit_id)
        .where(PriorityListEvent.priority_list_id == list_id)
        .order_by(PriorityListEvent.at, PriorityListEvent.id)
    ).all()
    return [
        HistoryEntry(e.unit_id, code, name, e.action, e.by, e.at, e.reason)
        for e, code, name in rows
    ]


def compare(session: Session, list_a: int, list_b: int) -> Comparison:
    """Communes in ``list_a`` but not ``list_b`` (added) and in ``list_b`` only (removed)."""
    a = {item.unit_id: item.name for item in items(session, list_a)}
    b = {item.unit_id: item.name for item in items(session, list_b)}

    def refs(ids, names):
        return sorted((UnitRef(i, names[i]) for i in ids), key=lambda r: (r.name, r.unit_id))

    return Comparison(added=refs(a.keys() - b.keys(), a), removed=refs(b.keys() - a.keys(), b))


def period_condition(period_from: dt.date | None, period_to: dt.date | None) -> sa.ColumnElement:
    """Units valid at some day of the period (today when it has neither end)."""
    start, end = period_from, period_to
    if start is None and end is None:
        start = end = dt.date.today()
    conditions = []
    if end is not None:
        conditions.append(sa.or_(AdminUnit.valid_from.is_(None), AdminUnit.valid_from <= end))
    if start is not None:
        conditions.append(sa.or_(AdminUnit.valid_to.is_(None), AdminUnit.valid_to > start))
    return sa.and_(*conditions)


def period_text(period_from: dt.date | None, period_to: dt.date | None) -> str:
    """``01/01/2026 – 31/12/2026``; an open end shows as ``…``."""
    if period_from is None and period_to is None:
        return "không đặt kỳ"
    start = f"{period_from:%d/%m/%Y}" if period_from else "…"
    end = f"{period_to:%d/%m/%Y}" if period_to else "…"
    return f"{start} – {end}"


def addable_communes(session: Session, list_id: int) -> list[UnitRef]:
    """Communes valid in the list's period and not yet in it, by name (for a pick list)."""
    plist = get_list(session, list_id)
    present = sa.select(PriorityListItem.unit_id).where(
        PriorityListItem.priority_list_id == plist.id
    )
    rows = session.execute(
        sa.select(AdminUnit.id, AdminUnit.name)
        .where(
            AdminUnit.level == "commune",
            period_condition(plist.period_from, plist.period_to),
            AdminUnit.id.not_in(present),
        )
        .order_by(AdminUnit.name, AdminUnit.id)
    ).all()
    return [UnitRef(unit_id, name) for unit_id, name in rows]
