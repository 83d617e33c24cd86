"""Scorecards from interviewers and the feedback a candidate reads, with their versions."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from recruitcare.domain.enums import FeedbackStatus, Recommendation, ScorecardStatus
from recruitcare.extensions import db
from recruitcare.models.hiring import Application, Criterion, Interview
from recruitcare.models.types import EnumText, UTCDateTime
from recruitcare.models.users import User


class Scorecard(db.Model):
    """One interviewer's evaluation of one interview; the current state of their latest words.

    Strengths and growth areas are lists of ``{"criterion_id": int, "text": str}`` written for
    the candidate; private notes never leave the company.
    """

    __tablename__ = "scorecards"
    __table_args__ = (UniqueConstraint("interview_id", "interviewer_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    interview_id: Mapped[int] = mapped_column(ForeignKey("interviews.id", ondelete="CASCADE"))
    interviewer_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("applications.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[ScorecardStatus] = mapped_column(
        EnumText(ScorecardStatus, 20), default=ScorecardStatus.DRAFT
    )
    recommendation: Mapped[Recommendation | None] = mapped_column(EnumText(Recommendation, 20))
    strengths: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    growth_areas: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    next_step: Mapped[str] = mapped_column(Text, default="")
    private_notes: Mapped[str] = mapped_column(Text, default="")
    # Submitted versions so far: 1 after the first submission, 2 after an amendment, ...
    version: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    interview: Mapped[Interview] = relationship()
    interviewer: Mapped[User] = relationship()
    application: Mapped[Application] = relationship()
    ratings: Mapped[list["ScorecardRating"]] = relationship(
        back_populates="scorecard", cascade="all, delete-orphan"
    )
    versions: Mapped[list["ScorecardVersion"]] = relationship(
        order_by="ScorecardVersion.version", cascade="all, delete-orphan"
    )


class ScorecardRating(db.Model):
    """A rating of one criterion (1 to 4) with the evidence observed."""

    __tablename__ = "scorecard_ratings"
    __table_args__ = (UniqueConstraint("scorecard_id", "criterion_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    scorecard_id: Mapped[int] = mapped_column(ForeignKey("scorecards.id", ondelete="CASCADE"))
    criterion_id: Mapped[int] = mapped_column(
        ForeignKey("criteria.id", ondelete="CASCADE"), index=True
    )
    rating: Mapped[int | None]
    evidence: Mapped[str] = mapped_column(Text, default="")

    scorecard: Mapped[Scorecard] = relationship(back_populates="ratings")
    criterion: Mapped[Criterion] = relationship()


class ScorecardVersion(db.Model):
    """A submitted scorecard as it stood, kept when it is amended."""

    __tablename__ = "scorecard_versions"
    __table_args__ = (UniqueConstraint("scorecard_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    scorecard_id: Mapped[int] = mapped_column(ForeignKey("scorecards.id", ondelete="CASCADE"))
    version: Mapped[int]
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Ratings with criterion names, shareable parts and notes, as submitted.
    content: Mapped[dict[str, Any]] = mapped_column(JSON)


class CandidateFeedback(db.Model):
    """The feedback one candidate will read, being drafted; approvals are its versions."""

    __tablename__ = "candidate_feedback"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("applications.id", ondelete="CASCADE"), unique=True
    )
    status: Mapped[FeedbackStatus] = mapped_column(
        EnumText(FeedbackStatus, 20), default=FeedbackStatus.DRAFT
    )
    strengths: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    growth_areas: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    next_step: Mapped[str] = mapped_column(Text, default="")
    drafted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    application: Mapped[Application] = relationship()
    drafted_by: Mapped["User | None"] = relationship()
    versions: Mapped[list["FeedbackVersion"]] = relationship(
        order_by="FeedbackVersion.version", cascade="all, delete-orphan"
    )

    @property
    def approved(self) -> "FeedbackVersion | None":
        """The version the candidate reads: the latest approval."""
        return self.versions[-1] if self.versions else None


class FeedbackVersion(db.Model):
    """Approved candidate feedback: the record of what was shared, by whom and when."""

    __tablename__ = "feedback_versions"
    __table_args__ = (UniqueConstraint("feedback_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    feedback_id: Mapped[int] = mapped_column(
        ForeignKey("candidate_feedback.id", ondelete="CASCADE")
    )
    version: Mapped[int]
    # Items with criterion names and bands, frozen at approval.
    content: Mapped[dict[str, Any]] = mapped_column(JSON)
    text: Mapped[str] = mapped_column(Text)
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    approved_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # The checker's findings at approval; a block finding needs the override reason.
    findings: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    override_reason: Mapped[str] = mapped_column(Text, default="")

    approved_by: Mapped["User | None"] = relationship()
