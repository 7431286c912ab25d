"""The plan calendar (iCalendar, RFC 5545) a phone or mail client subscribes to, and its tokens.

A feed is read without a session, so its URL carries a long random token
(``secrets.token_urlsafe(32)``, 256 bits). Only the token's SHA-256 is stored: the token is
shown once, when made; revoking it (``revoke_token``) ends every subscription that uses it,
and a new one can be made at once. A token belongs to one unit (its planned items, the
province's tasks given to it included) or to one user (the items of the user's unit).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

import sqlalchemy as sa
from geoalchemy2.shape import to_shape
from icalendar import Calendar, Event
from sqlalchemy.orm import Session

from geo.coords import vn_number
from geo.errors import NotFoundError
from geo.models import PlanFeedToken, PlanItem, UserAccount
from services.activity_input import vn_date
from services.plans import check_by, now

PRODID = "-//ntm-map//Ngay thu 7 vi nong thon moi//VI"
#: how far back a feed reaches (phones keep older events themselves)
FEED_PAST_DAYS = 92


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def make_token(
    session: Session, by: str, *, organisation_id: int | None = None, user_id: int | None = None
) -> str:
    """A new feed token for a unit or a user; returns the token (shown once, never stored)."""
    if (organisation_id is None) == (user_id is None):
        raise ValueError("a feed token belongs to exactly one unit or one user")
    token = secrets.token_urlsafe(32)
    session.add(
        PlanFeedToken(
            token_sha256=_digest(token), organisation_id=organisation_id, user_id=user_id,
            created_by=check_by(by),
        )
    )  # fmt: skip
    session.flush()
    return token


def feed_for(session: Session, token: str | None) -> PlanFeedToken | None:
    """The live token row for ``token``, or None (unknown, revoked or empty)."""
    if not token or len(token) > 200:
        return None
    row = session.scalar(
        sa.select(PlanFeedToken).where(PlanFeedToken.token_sha256 == _digest(token))
    )
    if row is None or row.revoked_at is not None:
        return None
    if row.user_id is not None:
        # a disabled account's feeds end with it (and never widen to every unit)
        user = session.get(UserAccount, row.user_id)
        if user is None or not user.is_active:
            return None
    return row


def tokens_of(session: Session, *, organisation_id=None, user_id=None) -> list[PlanFeedToken]:
    """Live tokens of a unit or a user, newest first."""
    query = sa.select(PlanFeedToken).where(PlanFeedToken.revoked_at.is_(None))
    if organisation_id is not None:
        query = query.where(PlanFeedToken.organisation_id == organisation_id)
    if user_id is not None:
        query = query.where(PlanFeedToken.user_id == user_id)
    return list(session.scalars(query.order_by(PlanFeedToken.created_at.desc())))


def revoke_token(session: Session, token_id: int) -> PlanFeedToken:
    row = session.get(PlanFeedToken, token_id)
    if row is None:
        raise NotFoundError(f"Không có mã lịch số {token_id}.")
    row.revoked_at = row.revoked_at or now()
    session.flush()
    return row


def feed_organisation(session: Session, row: PlanFeedToken) -> int | None:
    """The unit whose items a token's feed holds."""
    if row.organisation_id is not None:
        return row.organisation_id
    user = session.get(UserAccount, row.user_id)
    if user is None or not user.is_active:
        raise NotFoundError("Mã lịch này không còn dùng được.")
    return user.organisation_id


def feed_items(
    session: Session, org_id: int | None, today: dt.date | None = None
) -> list[PlanItem]:
    """Items still planned or done of a unit (all units when None), from ``FEED_PAST_DAYS`` ago."""
    since = (today or dt.date.today()) - dt.timedelta(days=FEED_PAST_DAYS)
    query = sa.select(PlanItem).where(
        PlanItem.planned_date >= since, PlanItem.status.in_(("planned", "done"))
    )
    if org_id is not None:
        query = query.where(PlanItem.assignee_id == org_id)
    return list(session.scalars(query.order_by(PlanItem.planned_date, PlanItem.id)))


def _description(item: PlanItem) -> str:
    lines = [f"Công việc: {item.activity_type.name_vi}"]
    if item.planned_quantity is not None:
        lines.append(
            f"Khối lượng: {vn_number(item.planned_quantity, 1)} {item.quantity_unit or ''}".rstrip()
        )
    if item.criteria:
        lines.append(
            "Tiêu chí: " + "; ".join(f"TC{c.number:02d} {c.name_vi}" for c in item.criteria)
        )
    lines.append(f"Đơn vị: {item.assignee.name}")
    if item.lead_person:
        lines.append(f"Phụ trách: {item.lead_person}")
    if item.deadline:
        lines.append(f"Hạn hoàn thành: {vn_date(item.deadline)}")
    if item.status == "done":
        lines.append("Đã thực hiện.")
    if item.description:
        lines.append(item.description)
    return "\n".join(lines)


def _event(item: PlanItem, host: str) -> Event:
    event = Event()
    event.add("uid", f"plan-item-{item.id}@{host}")
    event.add("dtstamp", item.updated_at or item.created_at)
    event.add("dtstart", item.planned_date)
    event.add("dtend", item.planned_date + dt.timedelta(days=1))
    event.add("summary", f"{item.activity_type.name_vi} – {item.unit.name}")
    # one line: a village typed with line breaks is joined (RFC 5545 keeps LOCATION plain)
    village = " ".join((item.village or "").split())
    place = ", ".join(p for p in (village, item.unit.name, "Quảng Trị") if p)
    if item.geom is not None:
        centre = to_shape(item.geom).representative_point()
        event.add("geo", (round(centre.y, 6), round(centre.x, 6)))
        place += f" ({centre.y:.5f}, {centre.x:.5f})"
    event.add("location", place)
    event.add("description", _description(item))
    event.add("status", "CONFIRMED")
    event.add("sequence", item.version)
    event.add("transp", "TRANSPARENT")
    return event


def calendar_ics(items: list[PlanItem], name: str, host: str) -> bytes:
    """An iCalendar document with one all-day event per item."""
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", name)
    cal.add("x-wr-timezone", "Asia/Ho_Chi_Minh")
    for item in items:
        cal.add_component(_event(item, host))
    return cal.to_ical()
