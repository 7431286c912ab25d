"""The audit trail: before and after of every create, update and delete."""

from __future__ import annotations

import datetime as dt
import decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from geo.models import AuditEvent

ACTIONS = ("create", "update", "delete", "restore", "sign_in", "sign_in_fail", "sign_out")


def _plain(value: Any) -> Any:
    """A JSON-storable copy of ``value`` (dates as ISO text, decimals as floats)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_plain(v) for v in value]
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return float(value)
    return value


def record(
    session: Session,
    entity: str,
    entity_id: int,
    action: str,
    by: str,
    before: dict | None = None,
    after: dict | None = None,
    unit_id: int | None = None,
) -> AuditEvent:
    """Add one audit event to the session (committed with the change it describes)."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}; one of {ACTIONS}")
    event = AuditEvent(
        entity=entity,
        entity_id=entity_id,
        action=action,
        by=by,
        unit_id=unit_id,
        before=_plain(before) if before is not None else None,
        after=_plain(after) if after is not None else None,
    )
    session.add(event)
    session.flush()
    return event


def changed_fields(before: dict | None, after: dict | None) -> list[str]:
    """Names of the fields whose value differs between ``before`` and ``after``."""
    before, after = before or {}, after or {}
    return sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))


def history_for_unit(
    session: Session, unit_id: int, limit: int = 500, former_unit_ids: tuple[int, ...] = ()
) -> list[AuditEvent]:
    """A commune's audit events (and its former units' ones, when given), newest first."""
    return list(
        session.scalars(
            sa.select(AuditEvent)
            .where(AuditEvent.unit_id.in_((unit_id, *former_unit_ids)))
            .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
            .limit(limit)
        )
    )


def history_for_entity(session: Session, entity: str, entity_id: int) -> list[AuditEvent]:
    """One record's audit events, oldest first."""
    return list(
        session.scalars(
            sa.select(AuditEvent)
            .where(AuditEvent.entity == entity, AuditEvent.entity_id == entity_id)
            .order_by(AuditEvent.at, AuditEvent.id)
        )
    )
