"""Jobs, people who apply, and what happens to each application."""

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    ForeignKey,
    Index,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from recruitcare.domain.enums import (
    ApplicationStatus,
    Decision,
    InterimPolicy,
    OutcomeStatus,
    RequisitionStatus,
    StatusUpdatePolicy,
)
from recruitcare.extensions import db
from recruitcare.models.types import EnumText, UTCDateTime
from recruitcare.models.users import User

requisition_members = Table(
    "requisition_members",
    db.metadata,
    Column("requisition_id", ForeignKey("requisitions.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
)

interview_interviewers = Table(
    "interview_interviewers",
    db.metadata,
    Column("interview_id", ForeignKey("interviews.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
)


class Requisition(db.Model):
    """A job being hired for, with its own criteria, stages and promises."""

    __tablename__ = "requisitions"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    team: Mapped[str] = mapped_column(String(120), default="")
    location: Mapped[str] = mapped_column(String(120), default="")
    # Groups similar jobs ("Engineering", "Design") for the talent pool.
    role_family: Mapped[str] = mapped_column(String(80), default="")
    status: Mapped[RequisitionStatus] = mapped_column(
        EnumText(RequisitionStatus, 20), default=RequisitionStatus.OPEN
    )
    # Duty-to-inform rules (for example Ontario's) apply to publicly advertised jobs.
    publicly_advertised: Mapped[bool] = mapped_column(default=True)
    # When a promise lapses undecided, the sweep sends an interim update ("auto") or queues it
    # for the recruiter's approval ("approve").
    interim_policy: Mapped[InterimPolicy] = mapped_column(
        EnumText(InterimPolicy, 20), default=InterimPolicy.AUTO
    )
    # Advancing or holding a candidate sends them a status update ("send") or proposes one to
    # the recruiter ("propose").
    status_update_policy: Mapped[StatusUpdatePolicy] = mapped_column(
        EnumText(StatusUpdatePolicy, 20), default=StatusUpdatePolicy.SEND
    )
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Filled or cancelled, once every candidate's closure is delivered: set when the recruiter
    # closes it while messages are still on their way; the outbox worker and the sweep finish.
    closing_as: Mapped[RequisitionStatus | None] = mapped_column(EnumText(RequisitionStatus, 20))

    owner: Mapped[User] = relationship(foreign_keys=[owner_id])
    members: Mapped[list[User]] = relationship(secondary=requisition_members, order_by=User.name)
    criteria: Mapped[list["Criterion"]] = relationship(
        back_populates="requisition", order_by="Criterion.position", cascade="all, delete-orphan"
    )
    stages: Mapped[list["Stage"]] = relationship(
        back_populates="requisition", order_by="Stage.position", cascade="all, delete-orphan"
    )


class Criterion(db.Model):
    """A competency the job asks for, and what good looks like."""

    __tablename__ = "criteria"

    id: Mapped[int] = mapped_column(primary_key=True)
    requisition_id: Mapped[int] = mapped_column(
        ForeignKey("requisitions.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(default=0)
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")

    requisition: Mapped[Requisition] = relationship(back_populates="criteria")


class Stage(db.Model):
    """A step of a requisition's pipeline, with the response it promises candidates."""

    __tablename__ = "stages"

    id: Mapped[int] = mapped_column(primary_key=True)
    requisition_id: Mapped[int] = mapped_column(
        ForeignKey("requisitions.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(default=0)
    name: Mapped[str] = mapped_column(String(120))
    # Business days within which a candidate at this stage hears a decision.
    promise_days: Mapped[int] = mapped_column(default=7)
    # Interview stages have interviews, scorecards and feedback; review stages do not.
    is_interview: Mapped[bool] = mapped_column(default=False)

    requisition: Mapped[Requisition] = relationship(back_populates="stages")


class Candidate(db.Model):
    """A person; one person may apply to several requisitions."""

    __tablename__ = "candidates"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    # Stored lower-cased: the same address is the same person.
    email: Mapped[str] = mapped_column(String(254), unique=True)
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    language: Mapped[str] = mapped_column(String(16), default="en")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Set when the person's data was removed; only counts remain.
    anonymised_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    applications: Mapped[list["Application"]] = relationship(back_populates="candidate")

    @validates("email")
    def _normalise_email(self, _key, value: str) -> str:
        return value.strip().lower()

    @property
    def first_name(self) -> str:
        return self.name.split()[0] if self.name.strip() else self.name


class Application(db.Model):
    """One candidate for one requisition, with the promise of when they will hear back."""

    __tablename__ = "applications"
    __table_args__ = (
        UniqueConstraint("candidate_id", "requisition_id"),
        Index("ix_applications_requisition_id_status", "requisition_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    candidate_id: Mapped[int] = mapped_column(ForeignKey("candidates.id"), index=True)
    requisition_id: Mapped[int] = mapped_column(ForeignKey("requisitions.id", ondelete="CASCADE"))
    stage_id: Mapped[int | None] = mapped_column(ForeignKey("stages.id", ondelete="SET NULL"))
    status: Mapped[ApplicationStatus] = mapped_column(
        EnumText(ApplicationStatus, 20), default=ApplicationStatus.ACTIVE
    )
    # The promised decision date; None once the application is closed.
    decision_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    # How many times the promise was moved with an interim update.
    promise_extensions: Mapped[int] = mapped_column(default=0)
    # Set by the sweep when the promise lapsed after its last allowed extension: the
    # application heads the recruiter's "must decide" list until a decision is recorded.
    must_decide_since: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    last_contact_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    candidate: Mapped[Candidate] = relationship(back_populates="applications")
    requisition: Mapped[Requisition] = relationship()
    stage: Mapped["Stage | None"] = relationship()
    interviews: Mapped[list["Interview"]] = relationship(
        back_populates="application", order_by="Interview.scheduled_at"
    )
    outcomes: Mapped[list["StageOutcome"]] = relationship(
        back_populates="application", order_by="StageOutcome.decided_at"
    )


class Interview(db.Model):
    __tablename__ = "interviews"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("applications.id", ondelete="CASCADE"), index=True
    )
    stage_id: Mapped[int | None] = mapped_column(ForeignKey("stages.id", ondelete="SET NULL"))
    scheduled_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    application: Mapped[Application] = relationship(back_populates="interviews")
    stage: Mapped["Stage | None"] = relationship()
    interviewers: Mapped[list[User]] = relationship(
        secondary=interview_interviewers, order_by=User.name
    )


class Reason(db.Model):
    """The two-layer reason taxonomy: an internal reason and what the candidate is told."""

    __tablename__ = "reasons"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    # Which decision it explains: reject or withdrawn.
    decision: Mapped[Decision] = mapped_column(EnumText(Decision, 20))
    label: Mapped[str] = mapped_column(String(200))
    candidate_explanation: Mapped[str] = mapped_column(Text)
    # "Other" reasons need written details.
    requires_details: Mapped[bool] = mapped_column(default=False)
    # The closure message template this reason suggests by default.
    default_template: Mapped[str | None] = mapped_column(String(64))
    position: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=True)


class StageOutcome(db.Model):
    """What was decided at a stage, by whom, why; undoable the same day."""

    __tablename__ = "stage_outcomes"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("applications.id", ondelete="CASCADE"), index=True
    )
    stage_id: Mapped[int | None] = mapped_column(ForeignKey("stages.id", ondelete="SET NULL"))
    decision: Mapped[Decision] = mapped_column(EnumText(Decision, 20))
    status: Mapped[OutcomeStatus] = mapped_column(
        EnumText(OutcomeStatus, 20), default=OutcomeStatus.CONFIRMED
    )
    reason_id: Mapped[int | None] = mapped_column(ForeignKey("reasons.id"))
    reason_details: Mapped[str] = mapped_column(Text, default="")
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime())
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    undone_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    undone_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # What the application looked like before, so an undo restores it exactly.
    previous: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    application: Mapped[Application] = relationship(back_populates="outcomes")
    stage: Mapped["Stage | None"] = relationship()
    reason: Mapped["Reason | None"] = relationship()
    decided_by: Mapped["User | None"] = relationship(foreign_keys=[decided_by_id])
