"""Message templates, and the closure message each finished application is owed."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from recruitcare.domain.enums import ClosureStatus
from recruitcare.extensions import db
from recruitcare.models.hiring import Application
from recruitcare.models.outbox import OutboxMessage
from recruitcare.models.types import EnumText, UTCDateTime
from recruitcare.models.users import User


class MessageTemplate(db.Model):
    """Wording for one situation, in the placeholder language (never a Jinja template)."""

    __tablename__ = "message_templates"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    situation: Mapped[str] = mapped_column(Text, default="")
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    updated_by: Mapped["User | None"] = relationship()


class ClosureMessage(db.Model):
    """The personal message that closes one application, from draft to the outbox.

    ``subject`` and ``body`` are this candidate's copy of the template, already filled in and
    editable; the portal link stays a placeholder until the message is sent, so the link
    itself is never stored.
    """

    __tablename__ = "closure_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("applications.id", ondelete="CASCADE"), unique=True
    )
    template_key: Mapped[str] = mapped_column(String(64))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[ClosureStatus] = mapped_column(
        EnumText(ClosureStatus, 20), default=ClosureStatus.DRAFT
    )
    # True once someone changed the wording for this candidate.
    edited: Mapped[bool] = mapped_column(default=False)
    held_reason: Mapped[str] = mapped_column(Text, default="")
    # Approvals so far; part of the outbox idempotency key, so a re-approval is a new message.
    revision: Mapped[int] = mapped_column(default=0)
    findings: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    override_reason: Mapped[str] = mapped_column(Text, default="")
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    outbox_message_id: Mapped[int | None] = mapped_column(
        ForeignKey("outbox_messages.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    application: Mapped[Application] = relationship()
    approved_by: Mapped["User | None"] = relationship()
    outbox_message: Mapped["OutboxMessage | None"] = relationship()
