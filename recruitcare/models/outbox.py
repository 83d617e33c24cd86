"""The outbox: every outgoing email is a row written in the same transaction as its cause."""

from datetime import datetime

from sqlalchemy import ColumnElement, ForeignKey, Index, String, Text, literal_column, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from recruitcare.domain.enums import DeliveryStatus
from recruitcare.extensions import db
from recruitcare.models.hiring import Application
from recruitcare.models.types import EnumText, UTCDateTime

# The states of a message still on its way.
PENDING = (DeliveryStatus.SCHEDULED, DeliveryStatus.SENDING, DeliveryStatus.RETRYING)
_PENDING_LITERALS = tuple(f"'{status.value}'" for status in PENDING)
_PENDING_SQL = f"status IN ({', '.join(_PENDING_LITERALS)})"


def pending_as_written(status: ColumnElement) -> ColumnElement[bool]:
    """``status IN (...)`` for the pending states, their values written into the SQL rather
    than bound, as in the partial index on pending messages: the planner can then match
    the two whatever plan it keeps for the statement."""
    return status.in_([literal_column(value) for value in _PENDING_LITERALS])


class OutboxMessage(db.Model):
    """One email to send. The worker claims due rows, sends them and records what happened.

    ``idempotency_key`` is unique per application and purpose, so enqueuing the same closure
    twice is refused by the database; ``message_id`` is fixed at enqueue time, so a resend
    after a lost connection carries the same Message-ID.
    """

    __tablename__ = "outbox_messages"
    __table_args__ = (
        Index("ix_outbox_messages_status_next_attempt_at", "status", "next_attempt_at"),
        # Pending messages in the order workers claim them: a claim reads the batch it
        # takes, not every message due, however long the queue behind it.
        Index(
            "ix_outbox_messages_pending",
            "next_attempt_at",
            "id",
            postgresql_where=text(_PENDING_SQL),
            sqlite_where=text(_PENDING_SQL),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int | None] = mapped_column(
        ForeignKey("applications.id", ondelete="SET NULL"), index=True
    )
    # What the message is for: closure, interim, status, link, digest, ...
    purpose: Mapped[str] = mapped_column(String(40))
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    recipient: Mapped[str] = mapped_column(String(254))
    recipient_name: Mapped[str] = mapped_column(String(200), default="")
    sender_name: Mapped[str] = mapped_column(String(200), default="")
    reply_to: Mapped[str] = mapped_column(String(254), default="")
    subject: Mapped[str] = mapped_column(String(300))
    text_body: Mapped[str] = mapped_column(Text)
    html_body: Mapped[str] = mapped_column(Text)
    message_id: Mapped[str] = mapped_column(String(255), unique=True)
    status: Mapped[DeliveryStatus] = mapped_column(
        EnumText(DeliveryStatus, 20), default=DeliveryStatus.SCHEDULED
    )
    send_after: Mapped[datetime] = mapped_column(UTCDateTime())
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(default=0)
    first_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Set while a worker holds the row; a stale claim (the worker died) is taken over.
    claimed_by: Mapped[str | None] = mapped_column(String(120))
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The message data was sent but the reply never came: resent with the same Message-ID.
    data_sent_unconfirmed: Mapped[bool] = mapped_column(default=False)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str] = mapped_column(Text, default="")
    smtp_code: Mapped[int | None]
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cancel_reason: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    application: Mapped["Application | None"] = relationship()

    @property
    def failure_text(self) -> str:
        """Why it was not delivered, for the recruiter: the server's reply code once (the
        stored reason also carries it, for the logs), then what went wrong."""
        reason = self.last_error or "No reason given."
        if self.smtp_code is None:
            return reason
        return f"Mail server answered {self.smtp_code}: " + reason.replace(
            f" ({self.smtp_code})", "", 1
        )
