"""Writing the audit trail: every change of status, outcome, role or user."""

from datetime import datetime
from typing import Any

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
