"""Writing the audit trail: every change of status, outcome, role or user."""

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from recruitcare.dbutil import insert_rows
from recruitcare.extensions import db
from recruitcare.models import AuditEvent, User


def record(
    action: str,
    obj: Any,
    *,
    actor: User | None,
    now: datetime,
    **payload: Any,
) -> AuditEvent:
    """Add an audit event for ``obj`` to the current transaction (the caller commits)."""
    event = AuditEvent(
        actor_id=actor.id if actor is not None else None,
        action=action,
        object_type=obj.__tablename__,
        object_id=obj.id,
        payload=payload,
        created_at=now,
    )
    db.session.add(event)
    return event


def record_many(
    action: str,
    model: type,
    events: Iterable[tuple[int, Mapping[str, Any]]],
    *,
    actor: User | None,
    now: datetime,
) -> int:
    """Add one audit event per ``(object id, payload)`` of ``model`` with one multi-row
    INSERT; returns how many. For batches: the events are written, not loaded into the
    session, so use ``record`` when the caller needs the event itself."""
    actor_id = actor.id if actor is not None else None
    rows = [
        {
            "actor_id": actor_id,
            "action": action,
            "object_type": model.__tablename__,
            "object_id": object_id,
            "payload": dict(payload),
            "created_at": now,
        }
        for object_id, payload in events
    ]
    if rows:
        insert_rows(AuditEvent.__table__, rows)
    return len(rows)
