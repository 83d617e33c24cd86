"""What keeps a candidate from waiting unheard: promise history, daily digests, the legal duty to
inform, and updates waiting for a recruiter's approval."""

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from recruitcare.domain.enums import CandidateUpdateStatus, PromiseEventKind
from recruitcare.extensions import db
from recruitcare.models.hiring import Application, StageOutcome
from recruitcare.models.outbox import OutboxMessage
from recruitcare.models.types import EnumText, UTCDateTime
from recruitcare.models.users import User


class PromiseEvent(db.Model):
    """How one promised decision date ended: kept by a decision in time, extended by an interim
    update, or broken (lapsed with neither). One event per promise, so they can be counted."""

    __tablename__ = "promise_events"
    __table_args__ = (Index("ix_promise_events_kind_at", "kind", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("applications.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[PromiseEventKind] = mapped_column(EnumText(PromiseEventKind, 20))
    # The promise this event ends, and the one that replaces it (None when none does).
    old_due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    new_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # For an extension, which interim update it was (1 for the first); 0 otherwise.
    extension: Mapped[int] = mapped_column(default=0)
    # The decision that kept or broke it; undoing the decision removes the event.
    outcome_id: Mapped[int | None] = mapped_column(
        ForeignKey("stage_outcomes.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = mapped_column(UTCDateTime())

    application: Mapped[Application] = relationship()
    outcome: Mapped["StageOutcome | None"] = relationship()


class DigestSent(db.Model):
    """One digest email to one person, of one kind, on one local business day: never two."""

    __tablename__ = "digests_sent"
    __table_args__ = (UniqueConstraint("user_id", "kind", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    # "scorecards" (reminders to interviewers) or "escalation" (promises needing attention).
    kind: Mapped[str] = mapped_column(String(40))
    # The organisation's local date the digest belongs to.
    day: Mapped[date] = mapped_column(Date)
    # How many items it listed.
    items: Mapped[int] = mapped_column(default=0)
    outbox_message_id: Mapped[int | None] = mapped_column(
        ForeignKey("outbox_messages.id", ondelete="SET NULL")
    )
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship()
    outbox_message: Mapped["OutboxMessage | None"] = relationship()


class DutyToInformRecord(db.Model):
    """A candidate's legal right to be told, after their last interview, whether a decision has
    been made: when it falls due, and when and how they were told. Kept until ``kept_until``."""

    __tablename__ = "duty_to_inform_records"
    __table_args__ = (
        UniqueConstraint("application_id", "last_interview_at"),
        Index("ix_duty_to_inform_records_informed_at_due_at", "informed_at", "due_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("applications.id", ondelete="CASCADE"), index=True
    )
    # The jurisdiction policy that created it, such as "ontario".
    policy: Mapped[str] = mapped_column(String(40))
    last_interview_at: Mapped[datetime] = mapped_column(UTCDateTime())
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # When the message that told them was delivered, and which kind it was
    # (closure, interim, status); None while they have not been told.
    informed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    how: Mapped[str] = mapped_column(String(40), default="")
    outbox_message_id: Mapped[int | None] = mapped_column(
        ForeignKey("outbox_messages.id", ondelete="SET NULL")
    )
    # The record must be kept until then (three years after informing, in Ontario).
    kept_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    application: Mapped[Application] = relationship()


class CandidateUpdate(db.Model):
    """A status or interim update for one candidate, waiting for a recruiter to approve it.

    Only requisitions whose policy asks for approval create these; approving renders the
    message then, with the promised date as it is at that moment.
    """

    __tablename__ = "candidate_updates"
    __table_args__ = (Index("ix_candidate_updates_status_created_at", "status", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("applications.id", ondelete="CASCADE"), index=True
    )
    # "status" (after advancing or holding) or "interim" (a lapsed promise).
    kind: Mapped[str] = mapped_column(String(20))
    status: Mapped[CandidateUpdateStatus] = mapped_column(
        EnumText(CandidateUpdateStatus, 20), default=CandidateUpdateStatus.PENDING
    )
    # The outcome a status update reports.
    outcome_id: Mapped[int | None] = mapped_column(
        ForeignKey("stage_outcomes.id", ondelete="CASCADE")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    outbox_message_id: Mapped[int | None] = mapped_column(
        ForeignKey("outbox_messages.id", ondelete="SET NULL")
    )

    application: Mapped[Application] = relationship()
    outcome: Mapped["StageOutcome | None"] = relationship()
    decided_by: Mapped["User | None"] = relationship()
