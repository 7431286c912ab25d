"""Sign-in attempts throttled in the database, so every web process sees the same counts.

Two limits:
- per client address: at most ``address_limit`` failures in ``window``; then every sign-in
  from that address waits until the window has passed (HTTP 429);
- per user name *and* address: after ``max_failures`` failures in a row, that name from that
  address waits ``lock_minutes``, doubled at each further failure (capped at a day). Someone
  else cannot lock an account out from their own machine, and the answer is the same whether
  the name exists or not.

Keys are sha256 digests: neither names nor addresses are stored here.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
from dataclasses import dataclass
from http import HTTPStatus

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from geo.errors import NtmError
from geo.models import SignInThrottle

MAX_LOCK = dt.timedelta(days=1)


class SignInWaitError(NtmError):
    """Too many failures: this address, or this name from this address, must wait."""

    http_status = HTTPStatus.TOO_MANY_REQUESTS


@dataclass(frozen=True)
class Limits:
    max_failures: int = 5
    lock_minutes: int = 15
    address_limit: int = 20
    window: dt.timedelta = dt.timedelta(minutes=10)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def _key(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _address_key(address: str) -> str:
    return _key(f"addr:{address}")


def _name_key(username: str, address: str) -> str:
    return _key(f"name:{(username or '').strip().lower()}|{address}")


def _minutes(until: dt.datetime, now: dt.datetime) -> int:
    return max(1, math.ceil((until - now).total_seconds() / 60))


def check(session: Session, username: str, address: str, limits: Limits, now=None) -> None:
    """Raise ``SignInWaitError`` when this address or this name from it must wait."""
    now = now or _now()
    rows = {
        r.key: r
        for r in session.scalars(
            sa.select(SignInThrottle).where(
                SignInThrottle.key.in_((_address_key(address), _name_key(username, address)))
            )
        )
    }
    by_address = rows.get(_address_key(address))
    if (
        by_address is not None
        and by_address.failures >= limits.address_limit
        and by_address.first_failure_at > now - limits.window
    ):
        until = by_address.first_failure_at + limits.window
        raise SignInWaitError(
            "Có quá nhiều lần đăng nhập sai từ địa chỉ này. Vui lòng chờ "
            f"{_minutes(until, now)} phút rồi thử lại."
        )
    by_name = rows.get(_name_key(username, address))
    if by_name is not None and by_name.locked_until and by_name.locked_until > now:
        raise SignInWaitError(
            "Tên đăng nhập này tạm khoá trên máy này do nhập sai nhiều lần. Thử lại sau "
            f"{_minutes(by_name.locked_until, now)} phút, hoặc nhờ quản trị đặt lại mật khẩu."
        )


def _insert(session: Session):
    return pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert


def failed(session: Session, username: str, address: str, limits: Limits, now=None) -> None:
    """Count a failure for the address and for the name from it (atomic upserts)."""
    now = now or _now()
    insert = _insert(session)
    t = SignInThrottle.__table__
    # the address: a window of ``limits.window`` from its first failure
    stmt = insert(t).values(key=_address_key(address), failures=1, first_failure_at=now)
    expired = t.c.first_failure_at <= now - limits.window
    session.execute(
        stmt.on_conflict_do_update(
            index_elements=[t.c.key],
            set_={
                "failures": sa.case((expired, 1), else_=t.c.failures + 1),
                "first_failure_at": sa.case((expired, now), else_=t.c.first_failure_at),
            },
        )
    )
    stmt = insert(t).values(key=_name_key(username, address), failures=1, first_failure_at=now)
    session.execute(
        stmt.on_conflict_do_update(index_elements=[t.c.key], set_={"failures": t.c.failures + 1})
    )
    row = session.get(SignInThrottle, _name_key(username, address), populate_existing=True)
    if row is not None and row.failures >= limits.max_failures:
        doublings = min(row.failures - limits.max_failures, 16)
        lock = min(dt.timedelta(minutes=limits.lock_minutes * 2**doublings), MAX_LOCK)
        row.locked_until = now + lock
    session.flush()


def succeeded(session: Session, username: str, address: str) -> None:
    """A right password ends the name's count from that address."""
    session.execute(
        sa.delete(SignInThrottle).where(SignInThrottle.key == _name_key(username, address))
    )


def forget(session: Session, before: dt.datetime) -> int:
    """Remove counts whose last lock and window ended before ``before``; how many."""
    return session.execute(
        sa.delete(SignInThrottle).where(
            SignInThrottle.first_failure_at < before,
            sa.or_(SignInThrottle.locked_until.is_(None), SignInThrottle.locked_until < before),
        )
    ).rowcount  # type: ignore[attr-defined]
