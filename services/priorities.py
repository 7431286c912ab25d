"""Priority lists: create, edit, delete, add and remove communes, with who/when/why history.

Every change bumps ``PriorityList.version`` (optimistic lock: a caller passes the
version it last saw, a stale one is refused with ``ConflictError``), and every
addition and removal is kept in ``PriorityListEvent`` and ``AuditEvent``.
Lists are soft-deleted (``deleted_at``) so their history survives. Reading is in
``services.priority_queries`` (re-exported here).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from http import HTTPStatus
from typing import cast

import sqlalchemy as sa
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import Session

from geo.errors import ConflictError, NotFoundError, NtmError
from geo.models import AdminUnit, PriorityList, PriorityListEvent, PriorityListItem
from services import audit

# the read side, re-exported so callers need one module
from services.priority_queries import (  # noqa: F401
    MAX_INTEGER,
    Comparison,
    HistoryEntry,
    ItemView,
    ListSummary,
    UnitRef,
    addable_communes,
    all_lists,
    compare,
    get_list,
    history,
    items,
    period_condition,
    period_text,
)

NAME_MAX_CHARS = 200
NOTE_MAX_CHARS = 5000
REASON_MAX_CHARS = 2000
#: leave a field unchanged in ``update_list``
UNCHANGED = object()


class PriorityValidationError(NtmError):
    """A priority-list request was refused; the message names the field or commune."""

    http_status = HTTPStatus.UNPROCESSABLE_ENTITY


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


# --- validation -------------------------------------------------------------------


def parse_date(value, field: str) -> dt.date | None:
    """An ISO ``YYYY-MM-DD`` text (or date, or empty) as a date; a clear error otherwise."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise PriorityValidationError(
            f"Trường “{field}” phải là ngày theo dạng YYYY-MM-DD (ví dụ 2026-01-31), "
            f"không phải “{value}”."
        ) from None


def _clean_text(value, field: str, max_chars: int) -> str | None:
    """Trimmed text, None when empty; refused when not text or too long."""
    if value is not None and not isinstance(value, str):
        raise PriorityValidationError(f"Trường “{field}” phải là chữ.")
    text = (value or "").strip()
    if len(text) > max_chars:
        raise PriorityValidationError(
            f"Trường “{field}” dài {len(text)} ký tự, tối đa {max_chars} ký tự."
        )
    return text or None


def _list_name(value) -> str:
    name = _clean_text(value, "name (tên danh sách)", NAME_MAX_CHARS)
    if name is None:
        raise PriorityValidationError(
            "Hãy nhập “name (tên danh sách)”: trường này không được để trống."
        )
    return name


def _check_period(period_from: dt.date | None, period_to: dt.date | None) -> None:
    if period_from and period_to and period_from > period_to:
        raise PriorityValidationError(
            f"Kỳ không hợp lệ: “từ ngày” ({period_from:%d/%m/%Y}) phải trước hoặc bằng "
            f"“đến ngày” ({period_to:%d/%m/%Y})."
        )


#: most communes added or removed in one request (the country has about 3,300)
MAX_IDS = 5000


def _is_integer(value) -> bool:
    """A JSON whole number a database integer column can hold (``True`` is not one)."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_INTEGER


def _check_version(version) -> int:
    if not _is_integer(version):
        raise PriorityValidationError(
            "Thiếu “version” (số phiên bản của danh sách) hoặc không phải số nguyên; "
            "hãy tải lại danh sách rồi thử lại."
        )
    return version


# --- writing ------------------------------------------------------------------------


def _audit(session: Session, plist: PriorityList, action: str, by: str, **kwargs) -> None:
    audit.record(session, "priority_list", plist.id, action, by, **kwargs)


def _snapshot(plist: PriorityList) -> dict:
    return {
        "name": plist.name,
        "period_from": plist.period_from.isoformat() if plist.period_from else None,
        "period_to": plist.period_to.isoformat() if plist.period_to else None,
        "note": plist.note,
        "version": plist.version,
    }


def _conflict(plist: PriorityList, version: int) -> ConflictError:
    return ConflictError(
        f"Danh sách “{plist.name}” vừa được người khác thay đổi (phiên bản {plist.version}, "
        f"bạn đang xem phiên bản {version}). Hãy tải lại danh sách rồi thực hiện lại.",
        details=[{"current_version": plist.version}],
    )


def _claim(session: Session, plist: PriorityList, version, *, bump: bool = True) -> None:
    """Bump the version if it is still ``version``; ``ConflictError`` if someone got there first.

    One conditional UPDATE, so two concurrent savers cannot both succeed.
    """
    version = _check_version(version)
    if not bump:
        if plist.version != version:
            raise _conflict(plist, version)
        return
    result = session.execute(
        sa.update(PriorityList)
        .where(PriorityList.id == plist.id, PriorityList.version == version)
        .values(version=version + 1)
        .execution_options(synchronize_session=False)
    )
    if cast(CursorResult, result).rowcount != 1:
        session.refresh(plist)
        raise _conflict(plist, version)
    session.refresh(plist, ["version"])


def create_list(
    session: Session,
    *,
    name,
    period_from=None,
    period_to=None,
    note=None,
    by: str,
) -> PriorityList:
    """A new, empty list; the name is required (≤ 200 characters), the period ordered."""
    plist = PriorityList(
        name=_list_name(name),
        period_from=parse_date(period_from, "period_from (từ ngày)"),
        period_to=parse_date(period_to, "period_to (đến ngày)"),
        note=_clean_text(note, "note (ghi chú)", NOTE_MAX_CHARS),
        created_by=by,
        created_at=_now(),
        version=1,
    )
    _check_period(plist.period_from, plist.period_to)
    session.add(plist)
    session.flush()
    _audit(session, plist, "create", by, after=_snapshot(plist))
    session.flush()
    return plist


def update_list(
    session: Session,
    list_id: int,
    *,
    version,
    by: str,
    name=UNCHANGED,
    period_from=UNCHANGED,
    period_to=UNCHANGED,
    note=UNCHANGED,
) -> PriorityList:
    """Rename or edit a list; fields left ``UNCHANGED`` keep their value."""
    plist = get_list(session, list_id)
    _check_version(version)
    before = _snapshot(plist)
    new_name = plist.name
    if name is not UNCHANGED:
        new_name = _list_name(name)
    new_from = plist.period_from
    if period_from is not UNCHANGED:
        new_from = parse_date(period_from, "period_from (từ ngày)")
    new_to = plist.period_to
    if period_to is not UNCHANGED:
        new_to = parse_date(period_to, "period_to (đến ngày)")
    new_note = plist.note
    if note is not UNCHANGED:
        new_note = _clean_text(note, "note (ghi chú)", NOTE_MAX_CHARS)
    _check_period(new_from, new_to)
    _check_items_fit(session, plist, new_from, new_to)
    _claim(session, plist, version)
    plist.name, plist.period_from, plist.period_to, plist.note = (
        new_name,
        new_from,
        new_to,
        new_note,
    )
    _audit(session, plist, "update", by, before=before, after=_snapshot(plist))
    session.flush()
    return plist


def _check_items_fit(
    session: Session, plist: PriorityList, period_from: dt.date | None, period_to: dt.date | None
) -> None:
    """Refuse a new period that some communes already in the list did not exist in."""
    outside = session.execute(
        sa.select(AdminUnit.id, AdminUnit.name)
        .join(PriorityListItem, PriorityListItem.unit_id == AdminUnit.id)
        .where(
            PriorityListItem.priority_list_id == plist.id,
            sa.not_(period_condition(period_from, period_to)),
        )
        .order_by(AdminUnit.name)
    ).all()
    if outside:
        raise PriorityValidationError(
            f"Không đổi được kỳ thành {period_text(period_from, period_to)}: {len(outside)} xã "
            "trong danh sách không có hiệu lực trong kỳ mới. Hãy bớt các xã này trước.",
            details=[f"“{name}” (mã số {unit_id})" for unit_id, name in outside],
        )


def delete_list(session: Session, list_id: int, *, version, by: str) -> None:
    """Soft-delete a list: it disappears from lists, its rows and history stay."""
    plist = get_list(session, list_id)
    _check_version(version)
    before = _snapshot(plist)
    _claim(session, plist, version)
    plist.deleted_at = _now()
    _audit(session, plist, "delete", by, before=before)
    session.flush()


def restore_list(session: Session, list_id: int, *, version, by: str) -> PriorityList:
    """Bring a deleted list back, with its communes and history."""
    plist = session.get(PriorityList, list_id) if _is_integer(list_id) else None
    if plist is None or plist.deleted_at is None:
        raise NotFoundError(f"Không có danh sách ưu tiên đã xoá nào mang số {list_id}.")
    _check_version(version)
    _claim(session, plist, version)
    plist.deleted_at = None
    _audit(session, plist, "restore", by, after=_snapshot(plist))
    session.flush()
    return plist


def _validity_text(plist: PriorityList) -> str:
    if plist.period_from is None and plist.period_to is None:
        return f"hôm nay ({dt.date.today():%d/%m/%Y})"
    return f"kỳ {period_text(plist.period_from, plist.period_to)} của danh sách"


def _unit_ids(unit_ids) -> list[int]:
    if not isinstance(unit_ids, list | tuple) or not unit_ids:
        raise PriorityValidationError("Trường “unit_ids” phải là danh sách mã số xã, không rỗng.")
    if len(unit_ids) > MAX_IDS:
        raise PriorityValidationError(
            f"Trường “unit_ids” có {len(unit_ids):,} mã; nhiều nhất {MAX_IDS:,} mỗi lần."
        )
    bad = [u for u in unit_ids if not _is_integer(u)]
    if bad:
        raise PriorityValidationError(
            "Trường “unit_ids” chỉ được chứa mã số xã (số nguyên).",
            details=[f"giá trị không hợp lệ: {b!r}" for b in bad],
        )
    return list(dict.fromkeys(unit_ids))


def _eligible_units(session: Session, plist: PriorityList, ids: list[int]) -> list[AdminUnit]:
    """The units ``ids``, refused as a whole if any is unknown or not valid in the period."""
    units = {u.id: u for u in session.scalars(sa.select(AdminUnit).where(AdminUnit.id.in_(ids)))}
    valid = set(
        session.scalars(
            sa.select(AdminUnit.id).where(
                AdminUnit.id.in_(ids),
                AdminUnit.level == "commune",
                period_condition(plist.period_from, plist.period_to),
            )
        )
    )
    problems = []
    for unit_id in ids:
        unit = units.get(unit_id)
        if unit is None:
            problems.append(f"Không có xã nào mang mã số {unit_id}.")
        elif unit.level != "commune":
            problems.append(f"“{unit.name}” (mã số {unit_id}) không phải xã, phường, đặc khu.")
        elif unit_id not in valid:
            problems.append(
                f"“{unit.name}” (mã số {unit_id}) không có hiệu lực trong {_validity_text(plist)}."
            )
    if problems:
        raise PriorityValidationError(
            f"Không thêm được vào danh sách: {len(problems)} xã không hợp lệ. "
            "Hãy bỏ các xã này rồi thử lại.",
            details=problems,
        )
    return [units[i] for i in ids]


@dataclass(frozen=True)
class AddResult:
    added: list[int]
    skipped: list[int]


def _record(
    session: Session, plist: PriorityList, unit_id: int, action: str, by: str, reason, at
) -> None:
    session.add(
        PriorityListEvent(
            priority_list_id=plist.id, unit_id=unit_id, action=action, by=by, at=at, reason=reason
        )
    )
    # the audit trail's convention: an item is created (added) or deleted (removed);
    # entity_id is the list, unit_id the commune
    entry = {"priority_list": plist.name, "unit_id": unit_id, "reason": reason}
    before, after = (None, entry) if action == "add" else (entry, None)
    audit.record(
        session,
        "priority_list_item",
        plist.id,
        "create" if action == "add" else "delete",
        by,
        before=before,
        after=after,
        unit_id=unit_id,
    )


def add_communes(
    session: Session, list_id: int, unit_ids, *, version, by: str, reason=None
) -> AddResult:
    """Add communes valid in the list's period; ones already in the list are skipped."""
    plist = get_list(session, list_id)
    _check_version(version)
    ids = _unit_ids(unit_ids)
    reason = _clean_text(reason, "reason (lý do)", REASON_MAX_CHARS)
    units = _eligible_units(session, plist, ids)
    present = {item.unit_id for item in plist.items}
    new = [u for u in units if u.id not in present]
    _claim(session, plist, version, bump=bool(new))
    at = _now()
    for unit in new:
        plist.items.append(
            PriorityListItem(unit_id=unit.id, added_by=by, added_at=at, reason=reason)
        )
        _record(session, plist, unit.id, "add", by, reason, at)
    session.flush()
    return AddResult([u.id for u in new], [u.id for u in units if u.id in present])


def remove_communes(
    session: Session, list_id: int, unit_ids, *, version, by: str, reason=None
) -> list[int]:
    """Remove communes from the list; an id that is not in it is refused by id."""
    plist = get_list(session, list_id)
    _check_version(version)
    ids = _unit_ids(unit_ids)
    reason = _clean_text(reason, "reason (lý do)", REASON_MAX_CHARS)
    by_unit = {item.unit_id: item for item in plist.items}
    missing = [i for i in ids if i not in by_unit]
    if missing:
        raise PriorityValidationError(
            f"Không bớt được: {len(missing)} xã không có trong danh sách “{plist.name}”.",
            details=[f"mã số xã {i} không có trong danh sách" for i in missing],
        )
    _claim(session, plist, version)
    at = _now()
    for unit_id in ids:
        plist.items.remove(by_unit[unit_id])
        _record(session, plist, unit_id, "remove", by, reason, at)
    session.flush()
    return ids
