"""The candidate portal: private links (only the token's hash is stored) and what candidates
ask for from their page."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ColumnElement, ForeignKey, Index, String, Text, and_, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from recruitcare.domain.portal import RequestKind
from recruitcare.extensions import db
from recruitcare.models.hiring import Application, Candidate
from recruitcare.models.types import EnumText, UTCDateTime
from recruitcare.models.users import User


class CandidateLink(db.Model):
    __tablename__ = "candidate_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("applications.id", ondelete="CASCADE"), index=True
    )
    # SHA-256 of the token, hex; the token itself exists only in the email sent.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # None while the application is open; set from its closure date.
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    application: Mapped[Application] = relationship()


class CandidateRequest(db.Model):
    """Something a candidate asked for from their page; it stays on the recruiter's list,
    with its own promised response date, until someone marks it done."""

    __tablename__ = "candidate_requests"
    __table_args__ = (
        # One follow-up question per application.
        Index(
            "uq_candidate_requests_one_question",
            "application_id",
            unique=True,
            sqlite_where=text("kind = 'question'"),
            postgresql_where=text("kind = 'question'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("applications.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[RequestKind] = mapped_column(EnumText(RequestKind, 20))
    # The candidate's words: the question, the withdrawal reason, preferred call times.
    body: Mapped[str] = mapped_column(Text, default="")
    # Call requests: {"medium": "phone"|"video", "timezone": ..., "phone": ...}.
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    respond_by: Mapped[datetime] = mapped_column(UTCDateTime())
    # A question's answer, shown on the candidate's page and emailed.
    answer: Mapped[str] = mapped_column(Text, default="")
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    done_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    application: Mapped[Application] = relationship()
    done_by: Mapped["User | None"] = relationship()


class FeedbackRating(db.Model):
    """How helpful the candidate found their feedback; they may change their mind."""

    __tablename__ = "feedback_ratings"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("applications.id", ondelete="CASCADE"), unique=True
    )
    rating: Mapped[int]
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class PoolConsent(db.Model):
    """A candidate's consent to be considered for other roles, until it expires."""

    __tablename__ = "pool_consents"

    id: Mapped[int] = mapped_column(primary_key=True)
    candidate_id: Mapped[int] = mapped_column(
        ForeignKey("candidates.id", ondelete="CASCADE"), index=True
    )
    # The application the consent was given from, for the strengths of its feedback.
    application_id: Mapped[int | None] = mapped_column(
        ForeignKey("applications.id", ondelete="SET NULL")
    )
    role_families: Mapped[list[str]] = mapped_column(JSON, default=list)
    locations: Mapped[list[str]] = mapped_column(JSON, default=list)
    given_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    candidate: Mapped[Candidate] = relationship()
    application: Mapped["Application | None"] = relationship()

    @classmethod
    def valid_at(cls, now: datetime) -> ColumnElement[bool]:
        """The one definition of a consent in force: not withdrawn, not expired at ``now``."""
        return and_(cls.withdrawn_at.is_(None), cls.expires_at > now)


class CandidateNote(db.Model):
    """A note from the candidate to their interviewers, passed on without any address."""

    __tablename__ = "candidate_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("applications.id", ondelete="CASCADE"), index=True
    )
    body: Mapped[str] = mapped_column(Text)
    # How many interviewers it was passed on to.
    recipients: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
