"""The common ground of every fact write: who wrote it, input checks, the audit trail.

Used by ``services.facts`` and ``services.fact_sponsors``; messages are Vietnamese and
name the field at fault (``FactError.field``) so imports can point at the column.
"""

from __future__ import annotations

import datetime as dt
from http import HTTPStatus

from sqlalchemy.orm import Session

from geo.errors import NtmError
from geo.models import AdminUnit, AuditEvent


class FactError(NtmError):
    """A fact was refused; ``field`` names the input at fault."""

    http_status = HTTPStatus.UNPROCESSABLE_ENTITY

    def __init__(self, user_msg: str, field: str | None = None):
        super().__init__(user_msg)
        self.field = field


def vn_date(day: dt.date | None) -> str:
    """``dd/mm/yyyy``, or "chưa kết thúc" for an open end."""
    return day.strftime("%d/%m/%Y") if day else "chưa kết thúc"


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def check_by(by: str) -> str:
    name = (by or "").strip()
    if not name:
        raise FactError("Thiếu tên người ghi nhận.", "by")
    if len(name) > 120:
        raise FactError("Tên người ghi nhận dài quá 120 ký tự.", "by")
    return name


def check_not_future(day: dt.date, today: dt.date | None, field: str, label: str) -> None:
    today = today or dt.date.today()
    if day > today:
        raise FactError(f"{label} {vn_date(day)} ở tương lai (hôm nay là {vn_date(today)}).", field)


def check_period(start: dt.date | None, end: dt.date | None, end_field: str) -> None:
    if start and end and end <= start:
        raise FactError(
            f"Ngày kết thúc ({vn_date(end)}) phải sau ngày bắt đầu ({vn_date(start)}).", end_field
        )


def get_commune(session: Session, unit_id: int, day: dt.date | None = None) -> AdminUnit:
    """The commune ``unit_id``, checked to exist (on ``day`` when given)."""
    unit = session.get(AdminUnit, unit_id)
    if unit is None or unit.level != "commune":
        raise FactError(f"Không có xã nào mang mã số nội bộ {unit_id}.", "unit")
    if day is not None and not unit.valid_on(day):
        raise FactError(
            f"{unit.name} không tồn tại vào ngày {vn_date(day)} "
            f"(hiệu lực {vn_date(unit.valid_from) if unit.valid_from else '…'}"
            f" – {vn_date(unit.valid_to)}).",
            "unit",
        )
    return unit


def snapshot(row) -> dict:
    """The row's plain columns as JSON-ready values (dates as ISO text, no geometry)."""
    data = {}
    for column in row.__table__.columns:
        if column.name.endswith("geom"):
            continue
        value = getattr(row, column.key)
        data[column.key] = value.isoformat() if isinstance(value, dt.date) else value
    return data


def audit(session, row, action: str, by: str, before: dict | None, unit_id=None) -> None:
    session.flush()
    session.add(
        AuditEvent(
            entity=row.__tablename__,
            entity_id=row.id,
            action=action,
            by=by,
            unit_id=unit_id,
            before=before,
            after=snapshot(row),
        )
    )


def create(session: Session, row, by: str, unit_id: int | None = None):
    session.add(row)
    audit(session, row, "create", by, None, unit_id)
    return row


def valid_on_day(row, day: dt.date) -> bool:
    """Whether a row with ``valid_from``/``valid_to`` (end exclusive) is valid on ``day``."""
    return (row.valid_from is None or row.valid_from <= day) and (
        row.valid_to is None or day < row.valid_to
    )


def exists_during(unit: AdminUnit, start: dt.date, end: dt.date | None) -> bool:
    """Whether the unit existed on some day of ``[start, end)`` (``end`` None: open)."""
    began_in_time = end is None or unit.valid_from is None or unit.valid_from < end
    return began_in_time and (unit.valid_to is None or unit.valid_to > start)
