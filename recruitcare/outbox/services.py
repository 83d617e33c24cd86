"""Outbox operations the rest of the app calls: enqueue, cancel, resend, and what stands where.

These add and flush, never commit: the caller commits once, so a message rides the transaction
of the change that owes it, and a rolled-back request sends nothing.
"""

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import make_msgid

from flask import current_app
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from recruitcare.dbutil import in_batch, insert_rows
from recruitcare.domain.enums import DeliveryStatus
from recruitcare.domain.outbox import (
    LINE_BREAKS,
    HeaderError,
    check_address,
    check_headers,
    check_mailbox,
)
from recruitcare.extensions import db
from recruitcare.models import Application, OutboxMessage
from recruitcare.models.outbox import PENDING
from recruitcare.outbox.mailer import message_id_domain

__all__ = [
    "DuplicateMessage",
    "HeaderError",
    "NewMessage",
    "NotFailed",
    "NotPending",
    "OutboxError",
    "cancel",
    "cancel_for_application",
    "delivery_for_applications",
    "enqueue",
    "enqueue_many",
    "new_message_id",
    "oldest_due_age",
    "resend",
    "status_counts",
]

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


_HEADER_LENGTHS = {field: _max_length(field) for field in HEADER_FIELDS}


def new_message_id(domain: str | None = None) -> str:
    """A fresh Message-ID such as ``<175...@recruitcare.example>``."""
    return make_msgid(domain=domain or message_id_domain(current_app.config))


@dataclass(frozen=True)
class NewMessage:
    """One fully rendered message for ``enqueue_many``, due at ``send_after``."""

    purpose: str
    idempotency_key: str
    recipient: str
    subject: str
    text_body: str
    html_body: str
    send_after: datetime
    recipient_name: str = ""
    reply_to: str = ""
    sender_name: str = ""
    application: Application | None = None


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
    """Add one fully rendered message, due at ``send_after``; never commits.

    Raises HeaderError and DuplicateMessage as ``enqueue_many`` does.
    """
    new = NewMessage(
        purpose=purpose,
        idempotency_key=idempotency_key,
        recipient=recipient,
        subject=subject,
        text_body=text_body,
        html_body=html_body,
        send_after=send_after,
        recipient_name=recipient_name,
        reply_to=reply_to,
        sender_name=sender_name,
        application=application,
    )
    (message_id,) = enqueue_many([new], now=now)
    return db.session.get_one(OutboxMessage, message_id)


def enqueue_many(messages: Sequence[NewMessage], *, now: datetime) -> list[int]:
    """Add fully rendered messages, all or none; returns their ids in the order given.

    Everything is checked before anything is written: HeaderError when a header value has a
    line break or NUL in it (or is too long; in a batch of several, the error starts with
    the message's key and carries it as ``idempotency_key``), DuplicateMessage when a key is
    taken already or given twice (one query). Then every row goes in through the driver
    (``insert_rows``) and the ids come back with one SELECT: the unit of work would cost
    about half a millisecond per row, a hundred times the INSERT itself.
    The rows are not loaded into the session; ``enqueue`` loads its one message.

    Never commits. When a key is taken by a transaction that committed between our check
    and our insert, the database refuses the rows (DuplicateMessage); the session must then
    be rolled back, exactly as for the change that owed the message, which the other
    transaction has already made.
    """
    if not messages:
        return []
    checked: set[tuple[str, str]] = set()
    for new in messages:
        try:
            _check(new, checked)
        except HeaderError as error:
            if len(messages) == 1:
                raise
            wrapped = HeaderError(f"{new.idempotency_key}: {error}")
            wrapped.idempotency_key = new.idempotency_key
            raise wrapped from error
    keys = [new.idempotency_key for new in messages]
    if len(set(keys)) < len(keys):
        twice = [key for key, seen in Counter(keys).items() if seen > 1]
        raise DuplicateMessage(f"{_naming(twice)} given twice in one batch.")
    taken = _ids_by_key(keys)
    if taken:
        raise DuplicateMessage(f"{_naming([k for k in keys if k in taken])} exists already.")
    if any(new.application is not None and new.application.id is None for new in messages):
        db.session.flush()  # a new application gets its id
    domain = message_id_domain(current_app.config)
    rows = [
        {
            "application_id": None if new.application is None else new.application.id,
            "purpose": new.purpose,
            "idempotency_key": new.idempotency_key,
            "recipient": new.recipient,
            "recipient_name": new.recipient_name,
            "sender_name": new.sender_name,
            "reply_to": new.reply_to,
            "subject": new.subject,
            "text_body": new.text_body,
            "html_body": new.html_body,
            "message_id": make_msgid(domain=domain),
            "status": DeliveryStatus.SCHEDULED,
            "send_after": new.send_after,
            "next_attempt_at": new.send_after,
            "attempts": 0,
            "data_sent_unconfirmed": False,
            "last_error": "",
            "cancel_reason": "",
            "created_at": now,
        }
        for new in messages
    ]
    try:
        insert_rows(OutboxMessage.__table__, rows)
    except IntegrityError as error:
        if "idempotency_key" in str(error.orig):
            which = _naming(keys) if len(keys) == 1 else "a message with one of these keys"
            raise DuplicateMessage(f"{which} exists already.") from error
        raise
    ids = _ids_by_key(keys)
    return [ids[key] for key in keys]


def _ids_by_key(keys: list[str]) -> dict[str, int]:
    """The ids of the messages with these idempotency keys, by key (one query: ``in_batch``
    binds the keys as one parameter, whatever their number)."""
    table = OutboxMessage.__table__
    rows = db.session.execute(
        select(table.c.idempotency_key, table.c.id).where(in_batch(table.c.idempotency_key, keys))
    )
    return dict(rows.all())


def _naming(keys: list[str], shown: int = 3) -> str:
    """'a message with key 'k'' or 'a message with each of the keys 'a', 'b' and 2 more'."""
    if len(keys) == 1:
        return f"a message with key {keys[0]!r}"
    listed = ", ".join(repr(key) for key in keys[:shown])
    more = f" and {len(keys) - shown} more" if len(keys) > shown else ""
    return f"a message with each of the keys {listed}{more}"


# Header values that pass these need no closer look: no character that could end a header line,
# and, for the recipient, one bare address. Anything else goes to the domain checks, which
# refuse it with their own words (or find it fine after all).
_LINE_BREAK = re.compile("[" + "".join(re.escape(char) for char in LINE_BREAKS) + "]")
_NOT_BARE = re.compile(r"[\s<]")
_KEY_LENGTHS = {field: _max_length(field) for field in ("purpose", "idempotency_key")}


def _plainly_fine(name: str, value: str) -> bool:
    if len(value) > _HEADER_LENGTHS[name] or _LINE_BREAK.search(value):
        return False
    if name == "recipient":
        local, at, domain = value.rpartition("@")
        return bool(local and domain) and not _NOT_BARE.search(value)
    return name != "reply_to" or not value


def _check(new: NewMessage, checked: set[tuple[str, str]]) -> None:
    """Refuse a message whose headers could break; ``checked`` skips values seen already in
    the batch (the same sender and Reply-To on thousands of messages)."""
    values = (
        ("recipient", new.recipient),
        ("recipient_name", new.recipient_name),
        ("sender_name", new.sender_name),
        ("reply_to", new.reply_to),
        ("subject", new.subject),
    )
    fresh = [item for item in values if item not in checked]
    if not all(_plainly_fine(name, value) for name, value in fresh):
        by_name = dict(fresh)
        check_headers(by_name, _HEADER_LENGTHS)
        if "recipient" in by_name:
            check_address("recipient", new.recipient)
        if new.reply_to and "reply_to" in by_name:
            check_mailbox("reply_to", new.reply_to)
    for field, longest in _KEY_LENGTHS.items():
        value = getattr(new, field)
        if not value or len(value) > longest:
            raise ValueError(f"{field} must have between 1 and {longest} characters.")
    checked.update(fresh)


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
