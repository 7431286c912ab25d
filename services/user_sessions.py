"""Server-side records of signed-in sessions: a copied cookie stops working once its session
is ended, and disabling an account or changing its password ends all of them."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

import sqlalchemy as sa
from sqlalchemy.orm import Session

from geo.models import UserSession


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def _digest(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


def start(session: Session, user_id: int) -> str:
    """A new session of ``user_id``; returns its id (for the cookie; only its digest is kept)."""
    session_id = secrets.token_urlsafe(32)
    session.add(UserSession(id_sha256=_digest(session_id), user_id=user_id))
    session.flush()
    return session_id


def is_live(session: Session, session_id: str | None, user_id: int) -> bool:
    if not session_id or len(session_id) > 100:
        return False
    row = session.get(UserSession, _digest(session_id))
    return row is not None and row.user_id == user_id and row.ended_at is None


def end(session: Session, session_id: str | None) -> None:
    if session_id:
        session.execute(
            sa.update(UserSession)
            .where(UserSession.id_sha256 == _digest(session_id), UserSession.ended_at.is_(None))
            .values(ended_at=_now())
        )


def end_all(session: Session, user_id: int, keep: str | None = None) -> int:
    """End every live session of ``user_id`` (but ``keep``); how many."""
    query = sa.update(UserSession).where(
        UserSession.user_id == user_id, UserSession.ended_at.is_(None)
    )
    if keep:
        query = query.where(UserSession.id_sha256 != _digest(keep))
    return session.execute(query.values(ended_at=_now())).rowcount  # type: ignore[attr-defined]
