"""Sponsorships (đỡ đầu) department ↔ commune, and the departments themselves.

A sponsorship is started with a period and ended by setting ``valid_to`` and
``ended_by``; the row stays as history. Every write is attributed and audited.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Session

from geo.errors import ConflictError
from geo.models import Organisation, Sponsorship
from services.communes import valid_on
from services.fact_records import (
    FactError,
    audit,
    check_by,
    check_period,
    create,
    get_commune,
    snapshot,
    valid_on_day,
    vn_date,
)

SPONSOR_KINDS = ("department", "other")

# --- sponsorships ---------------------------------------------------------------------------


def _sponsor(session: Session, department_id: int, day: dt.date) -> Organisation:
    org = session.get(Organisation, department_id)
    if org is None:
        raise FactError(f"Không có sở, ban, ngành mang mã số nội bộ {department_id}.", "department")
    if org.kind not in SPONSOR_KINDS:
        raise FactError(
            f"{org.name} ({org.code}) không phải sở, ban, ngành nên không đỡ đầu xã.", "department"
        )
    if not valid_on_day(org, day):
        heir = (
            f"; đơn vị kế thừa: {org.successor.name} ({org.successor.code})"
            if org.successor
            else ""
        )
        raise FactError(
            f"{org.name} ({org.code}) không hoạt động vào ngày {vn_date(day)}{heir}.", "department"
        )
    return org


def start_sponsorship(
    session: Session,
    department_id: int,
    unit_id: int,
    valid_from: dt.date,
    valid_to: dt.date | None = None,
    *,
    by: str,
    note: str | None = None,
    source: str | None = None,
) -> Sponsorship:
    """A department starts sponsoring (đỡ đầu) a commune; refused if it already does then."""
    by = check_by(by)
    check_period(valid_from, valid_to, "valid_to")
    org = _sponsor(session, department_id, valid_from)
    unit = get_commune(session, unit_id, valid_from)
    overlapping = session.scalars(
        sa.select(Sponsorship).where(
            Sponsorship.department_id == department_id,
            Sponsorship.unit_id == unit_id,
            sa.or_(Sponsorship.valid_to.is_(None), Sponsorship.valid_to > valid_from),
            sa.true() if valid_to is None else Sponsorship.valid_from < valid_to,
        )
    ).first()
    if overlapping:
        raise FactError(
            f"{org.short_name or org.name} đã đỡ đầu {unit.name} từ "
            f"{vn_date(overlapping.valid_from)} đến {vn_date(overlapping.valid_to)}: "
            "không ghi trùng thời gian.",
            "valid_from",
        )
    row = Sponsorship(
        department_id=department_id,
        unit_id=unit_id,
        valid_from=valid_from,
        valid_to=valid_to,
        note=note,
        source=source,
        recorded_by=by,
    )
    return create(session, row, by, unit_id)


def end_sponsorship(
    session: Session,
    sponsorship_id: int,
    valid_to: dt.date,
    *,
    by: str,
    version: int | None = None,
) -> Sponsorship:
    """End a sponsorship on ``valid_to`` (first day without it); the row stays as history.

    ``version`` is the version the caller saw: a different one means somebody else saved first.
    """
    by = check_by(by)
    row = session.get(Sponsorship, sponsorship_id)
    if row is None:
        raise FactError(f"Không có việc đỡ đầu số {sponsorship_id}.", "sponsorship")
    if version is not None and version != row.version:
        raise ConflictError("Người khác vừa sửa việc đỡ đầu này; hãy tải lại trang rồi thử lại.")
    if row.valid_to is not None:
        raise FactError(f"Việc đỡ đầu này đã kết thúc ngày {vn_date(row.valid_to)}.", "valid_to")
    check_period(row.valid_from, valid_to, "valid_to")
    before = snapshot(row)
    row.valid_to, row.ended_by, row.version = valid_to, by, row.version + 1
    audit(session, row, "end", by, before, row.unit_id)
    return row


def sponsorships_on(
    session: Session, day: dt.date, *, unit_id: int | None = None
) -> list[Sponsorship]:
    """Sponsorships in force on ``day`` (optionally of one commune)."""
    query = sa.select(Sponsorship).where(Sponsorship.valid_from <= day, valid_on(Sponsorship, day))
    if unit_id is not None:
        query = query.where(Sponsorship.unit_id == unit_id)
    return list(session.scalars(query.order_by(Sponsorship.unit_id, Sponsorship.valid_from)))


def sponsorship_history(session: Session, unit_id: int) -> list[Sponsorship]:
    """Every sponsorship of a commune, ended ones included, newest first."""
    return list(
        session.scalars(
            sa.select(Sponsorship)
            .where(Sponsorship.unit_id == unit_id)
            .order_by(Sponsorship.valid_from.desc(), Sponsorship.id.desc())
        )
    )


# --- departments ----------------------------------------------------------------------------


def upsert_department(
    session: Session,
    code: str,
    name: str,
    *,
    by: str,
    short_name: str | None = None,
    valid_from: dt.date | None = None,
    valid_to: dt.date | None = None,
    successor_code: str | None = None,
    source: str | None = None,
) -> tuple[Organisation, str]:
    """Create or correct a department; returns it with ``"create"``, ``"update"`` or ``"unchanged"``."""
    by = check_by(by)
    code, name = (code or "").strip(), (name or "").strip()
    if not code or len(code) > 40:
        raise FactError("Mã đơn vị phải có, dài tối đa 40 ký tự.", "code")
    if not name or len(name) > 300:
        raise FactError("Tên đơn vị phải có, dài tối đa 300 ký tự.", "name")
    if short_name and len(short_name) > 80:
        raise FactError("Tên viết tắt dài tối đa 80 ký tự.", "short_name")
    check_period(valid_from, valid_to, "valid_to")
    successor = None
    if successor_code:
        if successor_code == code:
            raise FactError("Đơn vị không thể kế thừa chính nó.", "successor_code")
        successor = session.scalars(
            sa.select(Organisation).where(Organisation.code == successor_code)
        ).one_or_none()
        if successor is None or successor.kind != "department":
            raise FactError(f"Không có đơn vị kế thừa mã '{successor_code}'.", "successor_code")
    org = session.scalars(sa.select(Organisation).where(Organisation.code == code)).one_or_none()
    if org is not None and org.kind != "department":
        raise FactError(f"Mã '{code}' đã dùng cho một đơn vị không phải sở, ban, ngành.", "code")
    values = dict(
        name=name,
        short_name=short_name or None,
        valid_from=valid_from,
        valid_to=valid_to,
        successor_id=successor.id if successor else None,
    )
    if source:
        values["source"] = source
    if org is None:
        org = Organisation(code=code, kind="department", **values)
        return create(session, org, by), "create"
    if all(getattr(org, key) == value for key, value in values.items()):
        return org, "unchanged"
    before = snapshot(org)
    for key, value in values.items():
        setattr(org, key, value)
    audit(session, org, "update", by, before)
    return org, "update"
