"""Outbox operations the rest of the app calls: enqueue, cancel, resend, and what stands where.

These add and flush, never commit: the caller commits once, so a message rides the transaction
of the change that owes it, and a rolled-back request sends nothing.
"""

from collections.abc import Iterable
from datetime import datetime, timedelta
from email.utils import make_msgid

from flask import current_app
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from recruitcare.domain.enums import DeliveryStatus
from recruitcare.domain.outbox import HeaderError, check_address, check_headers, check_mailbox
from recruitcare.extensions import db
from recruitcare.models import Application, OutboxMessage
from recruitcare.outbox.mailer import message_id_domain

__all__ = [
    "DuplicateMessage",
    "HeaderError",
    "NotFailed",
    "NotPending",
    "OutboxError",
    "cancel",
    "cancel_for_application",
    "delivery_for_applications",
    "enqueue",
    "new_message_id",
    "oldest_due_age",
    "resend",
    "status_counts",
]

PENDING = (DeliveryStatus.SCHEDULED, DeliveryStatus.SENDING, DeliveryStatus.RETRYING)
DUE = (DeliveryStatus.SCHEDULED, DeliveryStatus.RETRYING)
HEADER_FIELDS = ("recipient", "recipient_name", "sender_name", "reply_to", "subject")


class OutboxError(Exception):
    """An outbox operation that does not apply to this message."""


class DuplicateMessage(OutboxError):
    """A message with this idempotency key exists already."""


class NotPending(OutboxError):
    """The message has already gone out, failed or been cancelled."""


class NotFailed(OutboxError):
    """Only a failed message can be sent again."""


def _max_length(field: str) -> int:
    return OutboxMessage.__table__.c[field].type.length


def new_message_id(domain: str | None = None) -> str:
    """A fresh Message-ID such as ``<175...@recruitcare.example>``."""
    return make_msgid(domain=domain or message_id_domain(current_app.config))


def enqueue(
    *,
    purpose: str,
    idempotency_key: str,
    recipient: str,
    subject: str,
    text_body: str,
    html_body: str,
    send_after: datetime,
    now: datetime,
    recipient_name: str = "",
    reply_to: str = "",
    sender_name: str = "",
    application: Application | None = None,
) -> OutboxMessage:
    """Add a fully rendered message, due at ``send_after``; flushes, never commits.

    Raises HeaderError when a header value has a line break or NUL in it (or is too long),
    and DuplicateMessage when the idempotency key is taken. When the key is taken by a
    transaction that committed between our check and our insert, the database refuses the
    row; the session must then be rolled back, exactly as for the change that owed the
    message, which the other transaction has already made.
    """
    values = {
        "recipient": recipient,
        "recipient_name": recipient_name,
        "sender_name": sender_name,
        "reply_to": reply_to,
        "subject": subject,
    }
    check_headers(values, {field: _max_length(field) for field in HEADER_FIELDS})
    check_address("recipient", recipient)
    if reply_to:
        check_mailbox("reply_to", reply_to)
    for field, value in (("purpose", purpose), ("idempotency_key", idempotency_key)):
        if not value or len(value) > _max_length(field):
            raise ValueError(f"{field} must have between 1 and {_max_length(field)} characters.")
    taken = db.session.scalar(
        select(OutboxMessage.id).where(OutboxMessage.idempotency_key == idempotency_key)
    )
    if taken is not None:
        raise DuplicateMessage(f"a message with key {idempotency_key!r} exists already.")
    message = OutboxMessage(
        application=application,
        purpose=purpose,
        idempotency_key=idempotency_key,
        **values,
        text_body=text_body,
        html_body=html_body,
        message_id=new_message_id(),
        status=DeliveryStatus.SCHEDULED,
        send_after=send_after,
        next_attempt_at=send_after,
        attempts=0,
        data_sent_unconfirmed=False,
        last_error="",
        cancel_reason="",
        created_at=now,
    )
    db.session.add(message)
    try:
        db.session.flush()
    except IntegrityError as error:
        if "idempotency_key" in str(error.orig):
            raise DuplicateMessage(
                f"a message with key {idempotency_key!r} exists already."
            ) from error
        raise
    return message


def cancel(message: OutboxMessage, *, reason: str, now: datetime) -> None:
    """Stop a message that has not gone out; raises NotPending when it is too late.

    A worker re-checks each message just before sending it. On PostgreSQL a message already
    on the wire is locked by its worker, so this waits for the outcome and then refuses.
    """
    if not message.status.is_pending:
        raise NotPending(f"message {message.id} is {message.status.value}; it cannot be cancelled.")
    result = db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message.id, OutboxMessage.status.in_(PENDING))
        .values(_cancelled(reason, now))
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(message)
    if result.rowcount == 0:
        raise NotPending(f"message {message.id} is {message.status.value}; it cannot be cancelled.")


def cancel_for_application(
    application_id: int, *, purpose: str | None = None, reason: str, now: datetime
) -> int:
    """Cancel an application's messages still waiting to go out (of one purpose, if given).

    For when the application changes before a scheduled message is sent. Returns how many.
    """
    statement = update(OutboxMessage).where(
        OutboxMessage.application_id == application_id, OutboxMessage.status.in_(PENDING)
    )
    if purpose is not None:
        statement = statement.where(OutboxMessage.purpose == purpose)
    result = db.session.execute(
        statement.values(_cancelled(reason, now)).execution_options(synchronize_session="fetch")
    )
    return result.rowcount


def _cancelled(reason: str, now: datetime) -> dict:
    return {
        "status": DeliveryStatus.CANCELLED,
        "cancelled_at": now,
        "cancel_reason": reason[: _max_length("cancel_reason")],
        "claimed_by": None,
        "claimed_at": None,
    }


def resend(message: OutboxMessage, *, recipient: str | None = None, now: datetime) -> None:
    """Send a failed message again from now, to a corrected address if one is given.

    The same address keeps the Message-ID (the recipient's system may have seen it); a new
    address is a new message to a new person and gets a new Message-ID.
    """
    if message.status is not DeliveryStatus.FAILED:
        raise NotFailed(f"message {message.id} is {message.status.value}, not failed.")
    if recipient is not None:
        recipient = recipient.strip()
        check_headers({"recipient": recipient}, {"recipient": _max_length("recipient")})
        check_address("recipient", recipient)
        if recipient.lower() != message.recipient.lower():
            message.recipient = recipient
            message.message_id = new_message_id()
    message.status = DeliveryStatus.SCHEDULED
    message.next_attempt_at = now
    message.attempts = 0
    message.first_attempt_at = None
    message.last_attempt_at = None
    message.claimed_by = None
    message.claimed_at = None
    message.data_sent_unconfirmed = False
    message.smtp_code = None
    message.last_error = ""
    db.session.flush()


def status_counts() -> dict[DeliveryStatus, int]:
    """How many messages stand in each state (every state present, zero when none)."""
    counts = dict.fromkeys(DeliveryStatus, 0)
    rows = db.session.execute(
        select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
    )
    for status, count in rows:
        counts[status] = count
    return counts


def oldest_due_age(now: datetime) -> timedelta | None:
    """How long the longest-waiting due message has been due; None when nothing is due."""
    oldest = db.session.scalar(
        select(func.min(OutboxMessage.next_attempt_at)).where(
            OutboxMessage.status.in_(DUE), OutboxMessage.next_attempt_at <= now
        )
    )
    return None if oldest is None else now - oldest


def delivery_for_applications(
    application_ids: Iterable[int], *, purposes: Iterable[str] | None = None
) -> dict[int, OutboxMessage]:
    """The latest message (of the given purposes, if any) for each application, in one query.

    Pages use it to show whether a closure went out; applications without one are left out.
    """
    ids = list(application_ids)
    if not ids:
        return {}
    latest = (
        select(func.max(OutboxMessage.id))
        .where(OutboxMessage.application_id.in_(ids))
        .group_by(OutboxMessage.application_id)
    )
    if purposes is not None:
        latest = latest.where(OutboxMessage.purpose.in_(list(purposes)))
    messages = db.session.scalars(select(OutboxMessage).where(OutboxMessage.id.in_(latest)))
    return {message.application_id: message for message in messages}
