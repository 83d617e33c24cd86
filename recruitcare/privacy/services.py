"""Anonymising people: names, addresses and free text go; statuses, dates and numbers stay,
so every count and chart still adds up. Flushes; the caller commits."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, delete, func, select, update

from recruitcare import audit
from recruitcare.domain import retention as rules
from recruitcare.domain.enums import DeliveryStatus
from recruitcare.domain.retention import DAYS_PER_MONTH
from recruitcare.extensions import db
from recruitcare.models import (
    Application,
    Candidate,
    CandidateFeedback,
    CandidateLink,
    ClosureMessage,
    FeedbackVersion,
    OutboxMessage,
    Scorecard,
    ScorecardRating,
    ScorecardVersion,
    StageOutcome,
    User,
)
from recruitcare.models.portal import CandidateNote, CandidateRequest, FeedbackRating, PoolConsent

DELETED_NAME = "Deleted candidate"


def anonymised_email(candidate_id: int) -> str:
    """Unique per person (the column is unique) and undeliverable by design (RFC 2606)."""
    return f"deleted-{candidate_id}@anonymised.invalid"


def anonymise_candidates(
    candidate_ids: list[int], *, actor: User | None, now: datetime, why: str
) -> int:
    """Remove everything that identifies these people or was written about them.

    Pending messages to them are cancelled; their links stop working. Returns how many
    people were anonymised (those already anonymised are skipped).
    """
    emails = dict(
        db.session.execute(
            select(Candidate.id, Candidate.email).where(
                Candidate.id.in_(candidate_ids), Candidate.anonymised_at.is_(None)
            )
        ).all()
    )
    ids = list(emails)
    if not ids:
        return 0
    apps = select(Application.id).where(Application.candidate_id.in_(ids)).scalar_subquery()
    scorecards = select(Scorecard.id).where(Scorecard.application_id.in_(apps)).scalar_subquery()
    feedback = (
        select(CandidateFeedback.id)
        .where(CandidateFeedback.application_id.in_(apps))
        .scalar_subquery()
    )
    session = db.session
    session.flush()
    session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.application_id.in_(apps),
            OutboxMessage.status.in_(
                [DeliveryStatus.SCHEDULED, DeliveryStatus.RETRYING, DeliveryStatus.SENDING]
            ),
        )
        .values(status=DeliveryStatus.CANCELLED, cancelled_at=now, cancel_reason="person deleted")
    )
    blank = {"subject": "", "text_body": "", "html_body": "", "recipient_name": ""}
    session.execute(
        update(OutboxMessage).where(OutboxMessage.application_id.in_(apps)).values(**blank)
    )
    session.execute(
        update(StageOutcome).where(StageOutcome.application_id.in_(apps)).values(reason_details="")
    )
    session.execute(
        update(Scorecard)
        .where(Scorecard.id.in_(scorecards))
        .values(strengths=[], growth_areas=[], next_step="", private_notes="")
    )
    session.execute(
        update(ScorecardRating)
        .where(ScorecardRating.scorecard_id.in_(scorecards))
        .values(evidence="")
    )
    session.execute(
        update(ScorecardVersion)
        .where(ScorecardVersion.scorecard_id.in_(scorecards))
        .values(content={})
    )
    session.execute(
        update(CandidateFeedback)
        .where(CandidateFeedback.id.in_(feedback))
        .values(strengths=[], growth_areas=[], next_step="")
    )
    session.execute(
        update(FeedbackVersion)
        .where(FeedbackVersion.feedback_id.in_(feedback))
        .values(content={}, text="", findings=[], override_reason="")
    )
    session.execute(
        update(ClosureMessage)
        .where(ClosureMessage.application_id.in_(apps))
        .values(subject="", body="", findings=[], override_reason="", held_reason="")
    )
    session.execute(
        update(CandidateRequest)
        .where(CandidateRequest.application_id.in_(apps))
        .values(body="", details={}, answer="")
    )
    session.execute(
        update(FeedbackRating).where(FeedbackRating.application_id.in_(apps)).values(comment="")
    )
    session.execute(
        update(CandidateNote).where(CandidateNote.application_id.in_(apps)).values(body="")
    )
    session.execute(delete(PoolConsent).where(PoolConsent.candidate_id.in_(ids)))
    session.execute(delete(CandidateLink).where(CandidateLink.application_id.in_(apps)))
    for candidate_id in ids:
        session.execute(
            update(Candidate)
            .where(Candidate.id == candidate_id)
            .values(
                name=DELETED_NAME,
                email=anonymised_email(candidate_id),
                timezone="UTC",
                language="en",
                anonymised_at=now,
            )
        )
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.recipient == emails[candidate_id])
            .values(recipient=anonymised_email(candidate_id))
        )
    session.expire_all()
    for candidate_id in ids:
        audit.record(
            "candidate.anonymised",
            _Ref("candidates", candidate_id),
            actor=actor,
            now=now,
            why=why,
        )
    return len(ids)


class _Ref:
    """Enough of an object for the audit trail, without loading the row again."""

    def __init__(self, table: str, id_: int):
        self.__tablename__, self.id = table, id_


# ---- retention -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Expired:
    """A person whose data the retention policy says to remove now."""

    candidate_id: int
    name: str
    applications: int
    last_closed_at: datetime


def expired_candidates(*, now: datetime, months: int) -> list[Expired]:
    """Everyone past retention, in two queries whatever their number.

    Candidates with an open application or a valid consent are kept.
    """
    rows = db.session.execute(
        select(
            Candidate.id,
            Candidate.name,
            func.count(Application.id),
            func.max(Application.closed_at),
            func.sum(case((Application.closed_at.is_(None), 1), else_=0)),
        )
        .join(Application, Application.candidate_id == Candidate.id)
        .where(Candidate.anonymised_at.is_(None))
        .group_by(Candidate.id, Candidate.name)
        .having(func.sum(case((Application.closed_at.is_(None), 1), else_=0)) == 0)
        .having(func.max(Application.closed_at) <= now - timedelta(days=DAYS_PER_MONTH * months))
    ).all()
    consents: dict[int, list[datetime]] = {}
    for candidate_id, expires_at in db.session.execute(
        select(PoolConsent.candidate_id, PoolConsent.expires_at).where(PoolConsent.valid_at(now))
    ):
        consents.setdefault(candidate_id, []).append(expires_at)
    expired = []
    for candidate_id, name, count, last_closed, _open in rows:
        if rules.is_expired(
            now=now,
            closed_at=[last_closed],
            consent_expires_at=consents.get(candidate_id, []),
            months=months,
        ):
            expired.append(Expired(candidate_id, name, count, last_closed))
    return sorted(expired, key=lambda e: e.last_closed_at)


def apply_retention(*, now: datetime, months: int, batch: int = 500) -> int:
    """Anonymise everyone past retention; one audit event per person. Returns the count."""
    ids = [e.candidate_id for e in expired_candidates(now=now, months=months)]
    done = 0
    for start in range(0, len(ids), batch):
        done += anonymise_candidates(
            ids[start : start + batch], actor=None, now=now, why="retention"
        )
    return done
