"""The candidate portal: finding a link's application, what the page shows, and what the
candidate can do. Operations flush; the view commits."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import uuid4
from zoneinfo import ZoneInfo

from flask import current_app, render_template
from sqlalchemy import func, select, update
from sqlalchemy.orm import joinedload, selectinload

from recruitcare import audit
from recruitcare.domain import portal as rules
from recruitcare.domain.enums import (
    Decision,
    DeliveryStatus,
    OutcomeStatus,
)
from recruitcare.domain.portal import CallMedium, RequestKind
from recruitcare.domain.tokens import LINK_TOKEN_PLACEHOLDER, fill_link, hash_token, link_template
from recruitcare.extensions import db
from recruitcare.models import (
    Application,
    Candidate,
    CandidateFeedback,
    CandidateLink,
    Interview,
    OutboxMessage,
    Reason,
    Requisition,
    StageOutcome,
    User,
)
from recruitcare.models.portal import CandidateNote, CandidateRequest, FeedbackRating, PoolConsent
from recruitcare.outbox import services as outbox
from recruitcare.policies import promise_policy

WITHDRAWAL_REASON = "candidate_withdrew"


class PortalError(ValueError):
    """A candidate's request that cannot be done; the message is safe to show them."""


# ---- the link -----------------------------------------------------------------------------------


def find_link(token: str, *, now: datetime) -> CandidateLink | None:
    """The live link for a token, with its application loaded; None for any invalid link.

    Wrong, revoked, expired and deleted links are all None: the caller shows one page for all.
    """
    if not rules.looks_like_token(token):
        return None
    link = db.session.scalar(
        select(CandidateLink)
        .where(CandidateLink.token_hash == hash_token(token))
        .options(
            joinedload(CandidateLink.application).joinedload(Application.candidate),
            joinedload(CandidateLink.application)
            .joinedload(Application.requisition)
            .joinedload(Requisition.owner),
            joinedload(CandidateLink.application).joinedload(Application.stage),
        )
    )
    if link is None:
        return None
    application = link.application
    valid = rules.link_is_valid(
        now=now,
        revoked_at=link.revoked_at,
        anonymised_at=application.candidate.anonymised_at,
        closed_at=application.closed_at,
        valid_days=current_app.config["PORTAL_LINK_DAYS"],
        expires_at=link.expires_at,
    )
    return link if valid else None


def revoke_links(application: Application, *, now: datetime) -> int:
    """Every link of the application stops working; returns how many were live."""
    result = db.session.execute(
        update(CandidateLink)
        .where(CandidateLink.application_id == application.id, CandidateLink.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    return result.rowcount


def send_new_link(application: Application, *, now: datetime, actor: User | None) -> OutboxMessage:
    """Email a fresh link to the candidate; their old links stop working now.

    The message carries the link placeholder, so the token is made when it is sent and is
    never stored.
    """
    revoke_links(application, now=now)
    candidate = application.candidate
    config = current_app.config
    values = {
        "candidate": candidate,
        "requisition": application.requisition,
        "company": config["COMPANY_NAME"],
        "link": link_template(config["BASE_URL"]),
        "days": config["PORTAL_LINK_DAYS"],
    }
    message = outbox.enqueue(
        purpose="link",
        idempotency_key=f"link:{application.id}:{uuid4().hex}",
        recipient=candidate.email,
        recipient_name=candidate.name,
        subject=f"Your private link for {application.requisition.title}",
        text_body=render_template("portal/email/new_link.txt", **values),
        html_body=render_template("portal/email/new_link.html", **values),
        sender_name=config["COMPANY_NAME"],
        send_after=now,
        now=now,
        application=application,
    )
    audit.record("portal.link_reissued", application, actor=actor, now=now)
    return message


def send_links_to(email: str, *, now: datetime) -> int:
    """A candidate asked for a fresh link: one email per application that still has a page.

    Returns the number of emails queued; the caller shows the same answer whatever it is,
    so nobody learns whether an address is known. Repeated asks inside
    ``PORTAL_NEW_LINK_MINUTES`` send nothing more.
    """
    config = current_app.config
    candidate = db.session.scalar(
        select(Candidate).where(
            Candidate.email == email.strip().lower(), Candidate.anonymised_at.is_(None)
        )
    )
    if candidate is None:
        return 0
    since = now - timedelta(minutes=config["PORTAL_NEW_LINK_MINUTES"])
    recent = db.session.scalar(
        select(func.max(OutboxMessage.created_at))
        .join(Application, Application.id == OutboxMessage.application_id)
        .where(Application.candidate_id == candidate.id, OutboxMessage.purpose == "link")
    )
    if recent is not None and recent > since:
        return 0
    sent = 0
    applications = db.session.scalars(
        select(Application)
        .where(Application.candidate_id == candidate.id)
        .options(joinedload(Application.requisition), joinedload(Application.candidate))
    )
    for application in applications:
        expiry = rules.link_expires_at(application.closed_at, config["PORTAL_LINK_DAYS"])
        if expiry is None or now < expiry:
            send_new_link(application, now=now, actor=None)
            sent += 1
    return sent


# ---- what the candidate sees -------------------------------------------------------------------


@dataclass
class Page:
    """Everything the candidate's page shows, loaded in a fixed number of queries."""

    application: Application
    history: list[StageOutcome]
    messages: list[OutboxMessage]
    feedback: dict[str, Any] | None
    requests: list[CandidateRequest]
    rating: FeedbackRating | None
    consent: PoolConsent | None
    notes: list[CandidateNote]
    interview_count: int
    zone: ZoneInfo

    @property
    def question(self) -> CandidateRequest | None:
        return next((r for r in self.requests if r.kind is RequestKind.QUESTION), None)

    @property
    def calls(self) -> list[CandidateRequest]:
        return [r for r in self.requests if r.kind is RequestKind.CALL]

    @property
    def deletion(self) -> CandidateRequest | None:
        return next((r for r in self.requests if r.kind is RequestKind.DELETION), None)

    @property
    def is_open(self) -> bool:
        return self.application.status.is_open

    @property
    def may_send_note(self) -> bool:
        return rules.may_send_note(self.interview_count, len(self.notes))

    def local(self, when: datetime) -> datetime:
        return when.astimezone(self.zone)


def candidate_zone(candidate: Candidate) -> ZoneInfo:
    try:
        return ZoneInfo(candidate.timezone)
    except (KeyError, ValueError):
        return ZoneInfo("UTC")


def requests_of(application_id: int) -> list[CandidateRequest]:
    return list(
        db.session.scalars(
            select(CandidateRequest)
            .where(CandidateRequest.application_id == application_id)
            .order_by(CandidateRequest.created_at)
        )
    )


def notes_of(application_id: int) -> list[CandidateNote]:
    return list(
        db.session.scalars(
            select(CandidateNote)
            .where(CandidateNote.application_id == application_id)
            .order_by(CandidateNote.created_at)
        )
    )


def rating_of(application_id: int) -> FeedbackRating | None:
    return db.session.scalar(
        select(FeedbackRating).where(FeedbackRating.application_id == application_id)
    )


def valid_consent(candidate_id: int, *, now: datetime) -> PoolConsent | None:
    """The person's current consent to be considered, if it is still valid."""
    return db.session.scalar(
        select(PoolConsent)
        .where(
            PoolConsent.candidate_id == candidate_id,
            PoolConsent.valid_at(now),
        )
        .order_by(PoolConsent.given_at.desc())
        .limit(1)
    )


def load_page(application: Application, *, now: datetime) -> Page:
    history = list(
        db.session.scalars(
            select(StageOutcome)
            .where(
                StageOutcome.application_id == application.id,
                StageOutcome.status == OutcomeStatus.CONFIRMED,
            )
            .options(joinedload(StageOutcome.stage))
            .order_by(StageOutcome.decided_at, StageOutcome.id)
        )
    )
    messages = list(
        db.session.scalars(
            select(OutboxMessage)
            .where(
                OutboxMessage.application_id == application.id,
                OutboxMessage.status == DeliveryStatus.DELIVERED,
                OutboxMessage.recipient == application.candidate.email,
            )
            .order_by(OutboxMessage.delivered_at)
        )
    )
    feedback = db.session.scalar(
        select(CandidateFeedback)
        .where(CandidateFeedback.application_id == application.id)
        .options(selectinload(CandidateFeedback.versions))
    )
    approved = feedback.approved if feedback is not None else None
    return Page(
        application=application,
        history=history,
        messages=messages,
        feedback=approved.content if approved is not None else None,
        requests=requests_of(application.id),
        rating=rating_of(application.id),
        consent=valid_consent(application.candidate_id, now=now),
        notes=notes_of(application.id),
        interview_count=db.session.scalar(
            select(func.count()).where(Interview.application_id == application.id)
        ),
        zone=candidate_zone(application.candidate),
    )


def message_text(message: OutboxMessage, token: str) -> str:
    """A delivered message as the candidate received it; its link is the page they are on."""
    return fill_link(message.text_body, token)


def pool_choices() -> tuple[list[str], list[str]]:
    """Role families and locations of the company's jobs, for the talent-pool form."""
    families = db.session.scalars(
        select(Requisition.role_family).where(Requisition.role_family != "").distinct()
    )
    locations = db.session.scalars(
        select(Requisition.location).where(Requisition.location != "").distinct()
    )
    return sorted(families), sorted(locations)


# ---- what the candidate can do -----------------------------------------------------------------


def _respond_by(now: datetime) -> datetime:
    config = current_app.config
    return promise_policy(config).due_at(now, config["REQUEST_RESPONSE_DAYS"])


def _new_request(
    application: Application, kind: RequestKind, *, body: str, now: datetime, details=None
) -> CandidateRequest:
    request = CandidateRequest(
        application=application,
        kind=kind,
        body=body,
        details=details or {},
        created_at=now,
        respond_by=_respond_by(now),
        answer="",
    )
    db.session.add(request)
    db.session.flush()
    return request


def request_call(
    application: Application,
    *,
    times: str,
    timezone: str,
    medium: CallMedium,
    phone: str,
    now: datetime,
) -> CandidateRequest:
    """A task for the recruiter, promised within REQUEST_RESPONSE_DAYS business days."""
    details = {"medium": medium.value, "timezone": timezone, "phone": phone}
    request = _new_request(application, RequestKind.CALL, body=times, now=now, details=details)
    audit.record("portal.call_requested", application, actor=None, now=now, request=request.id)
    return request


def ask_question(application: Application, *, question: str, now: datetime) -> CandidateRequest:
    existing = db.session.scalar(
        select(CandidateRequest.id).where(
            CandidateRequest.application_id == application.id,
            CandidateRequest.kind == RequestKind.QUESTION,
        )
    )
    if existing is not None:
        raise PortalError("You have already asked your follow-up question.")
    request = _new_request(application, RequestKind.QUESTION, body=question, now=now)
    audit.record("portal.question_asked", application, actor=None, now=now, request=request.id)
    return request


def rate_feedback(
    application: Application, *, rating: int, comment: str, now: datetime
) -> FeedbackRating:
    if not 1 <= rating <= 5:
        raise PortalError("Choose a rating from 1 to 5.")
    existing = db.session.scalar(
        select(FeedbackRating).where(FeedbackRating.application_id == application.id)
    )
    if existing is None:
        existing = FeedbackRating(application_id=application.id, created_at=now)
        db.session.add(existing)
    existing.rating, existing.comment, existing.updated_at = rating, comment, now
    db.session.flush()
    audit.record("portal.feedback_rated", application, actor=None, now=now, rating=rating)
    return existing


def consent_to_pool(
    application: Application,
    *,
    role_families: list[str],
    locations: list[str],
    months: int,
    now: datetime,
) -> PoolConsent:
    """Join the talent pool; a new consent replaces any earlier one of the same person."""
    if not role_families and not locations:
        raise PortalError("Choose at least one kind of role or location.")
    withdraw_consent(application.candidate, now=now, log=False)
    consent = PoolConsent(
        candidate_id=application.candidate_id,
        application_id=application.id,
        role_families=role_families,
        locations=locations,
        given_at=now,
        expires_at=rules.consent_expires_at(now, months),
    )
    db.session.add(consent)
    db.session.flush()
    audit.record(
        "portal.pool_consent", application, actor=None, now=now, months=months, consent=consent.id
    )
    return consent


def withdraw_consent(candidate: Candidate, *, now: datetime, log: bool = True) -> int:
    result = db.session.execute(
        update(PoolConsent)
        .where(PoolConsent.candidate_id == candidate.id, PoolConsent.withdrawn_at.is_(None))
        .values(withdrawn_at=now)
    )
    if log and result.rowcount:
        audit.record("portal.pool_consent_withdrawn", candidate, actor=None, now=now)
    return result.rowcount


def send_note(application: Application, *, body: str, now: datetime) -> CandidateNote:
    """Pass a note to everyone who interviewed the candidate; nobody sees anyone's address."""
    interviewers = list(
        db.session.scalars(
            select(User)
            .join(Interview.interviewers)
            .where(Interview.application_id == application.id, User.active.is_(True))
            .distinct()
        )
    )
    sent = db.session.scalar(
        select(func.count()).where(CandidateNote.application_id == application.id)
    )
    if not rules.may_send_note(1 if interviewers else 0, sent):
        raise PortalError(
            "This note cannot be sent: there is nobody to pass it to, or enough notes went already."
        )
    note = CandidateNote(
        application_id=application.id, body=body, recipients=len(interviewers), created_at=now
    )
    db.session.add(note)
    db.session.flush()
    config = current_app.config
    for person in interviewers:
        values = {
            "person": person,
            "candidate": application.candidate,
            "requisition": application.requisition,
            "body": body,
            "company": config["COMPANY_NAME"],
            "application_url": f"{config['BASE_URL'].rstrip('/')}/applications/{application.id}",
        }
        outbox.enqueue(
            purpose="note",
            idempotency_key=f"note:{note.id}:{person.id}",
            recipient=person.email,
            recipient_name=person.name,
            subject=f"A note from {application.candidate.name} ({application.requisition.title})",
            text_body=render_template("portal/email/note.txt", **values),
            html_body=render_template("portal/email/note.html", **values),
            sender_name=f"RecruitCare for {config['COMPANY_NAME']}",
            send_after=now,
            now=now,
            application=application,
        )
    audit.record("portal.note_sent", application, actor=None, now=now, recipients=len(interviewers))
    return note


def withdraw(application: Application, *, reason: str, now: datetime) -> CandidateRequest:
    """The candidate withdraws: the outcome is recorded, anything scheduled is cancelled and
    the recruiter gets the acknowledgement to send."""
    from recruitcare.closure import services as closure
    from recruitcare.pipeline.services import record_outcome

    if not application.status.is_open:
        raise PortalError("This application is already closed.")
    config = current_app.config
    withdrawal_reason = db.session.scalar(select(Reason).where(Reason.code == WITHDRAWAL_REASON))
    record_outcome(
        application,
        decision=Decision.WITHDRAWN,
        actor=None,
        now=now,
        policy=promise_policy(config),
        reason=withdrawal_reason,
        details=reason,
    )
    closure.cancel_for_status_change(application, actor=None, now=now)
    request = _new_request(application, RequestKind.WITHDRAWAL, body=reason, now=now)
    audit.record("portal.withdrawn", application, actor=None, now=now, request=request.id)
    return request


def request_deletion(application: Application, *, now: datetime) -> CandidateRequest:
    existing = db.session.scalar(
        select(CandidateRequest).where(
            CandidateRequest.application_id == application.id,
            CandidateRequest.kind == RequestKind.DELETION,
            CandidateRequest.done_at.is_(None),
        )
    )
    if existing is not None:
        return existing
    request = _new_request(application, RequestKind.DELETION, body="", now=now)
    audit.record("portal.deletion_requested", application, actor=None, now=now)
    return request


def export_data(candidate: Candidate, *, now: datetime) -> dict[str, Any]:
    """What RecruitCare holds about the person, as they may see it: never interviewers'
    private notes, internal reasons or anything about other candidates."""
    applications = list(
        db.session.scalars(
            select(Application)
            .where(Application.candidate_id == candidate.id)
            .options(
                joinedload(Application.requisition),
                joinedload(Application.stage),
                selectinload(Application.outcomes).joinedload(StageOutcome.stage),
            )
            .order_by(Application.created_at)
        )
    )
    ids = [a.id for a in applications]
    feedback = {
        f.application_id: f.approved.content
        for f in db.session.scalars(
            select(CandidateFeedback)
            .where(CandidateFeedback.application_id.in_(ids))
            .options(selectinload(CandidateFeedback.versions))
        )
        if f.approved is not None
    }
    messages: dict[int, list[dict]] = {}
    for m in db.session.scalars(
        select(OutboxMessage)
        .where(
            OutboxMessage.application_id.in_(ids),
            OutboxMessage.recipient == candidate.email,
            OutboxMessage.status == DeliveryStatus.DELIVERED,
        )
        .order_by(OutboxMessage.delivered_at)
    ):
        messages.setdefault(m.application_id, []).append(
            {
                "subject": m.subject,
                "delivered_at": _iso(m.delivered_at),
                "text": m.text_body.replace(LINK_TOKEN_PLACEHOLDER, rules.REDACTED),
            }
        )
    requests: dict[int, list[dict]] = {}
    for r in db.session.scalars(
        select(CandidateRequest).where(CandidateRequest.application_id.in_(ids))
    ):
        requests.setdefault(r.application_id, []).append(
            {
                "kind": r.kind.value,
                "text": r.body,
                "details": r.details,
                "asked_at": _iso(r.created_at),
                "answer": r.answer,
                "done_at": _iso(r.done_at),
            }
        )
    ratings = {
        r.application_id: {"rating": r.rating, "comment": r.comment}
        for r in db.session.scalars(
            select(FeedbackRating).where(FeedbackRating.application_id.in_(ids))
        )
    }
    notes: dict[int, list[dict]] = {}
    for n in db.session.scalars(select(CandidateNote).where(CandidateNote.application_id.in_(ids))):
        notes.setdefault(n.application_id, []).append(
            {"text": n.body, "sent_at": _iso(n.created_at)}
        )
    consents = [
        {
            "role_families": c.role_families,
            "locations": c.locations,
            "given_at": _iso(c.given_at),
            "expires_at": _iso(c.expires_at),
            "withdrawn_at": _iso(c.withdrawn_at),
        }
        for c in db.session.scalars(
            select(PoolConsent).where(PoolConsent.candidate_id == candidate.id)
        )
    ]
    return {
        "exported_at": _iso(now),
        "company": current_app.config["COMPANY_NAME"],
        "person": {
            "name": candidate.name,
            "email": candidate.email,
            "timezone": candidate.timezone,
            "language": candidate.language,
            "first_seen_at": _iso(candidate.created_at),
        },
        "applications": [
            {
                "job": a.requisition.title,
                "location": a.requisition.location,
                "applied_at": _iso(a.created_at),
                "status": a.status.value,
                "stage": a.stage.name if a.stage else None,
                "decision_due_at": _iso(a.decision_due_at),
                "closed_at": _iso(a.closed_at),
                "stages": [
                    {
                        "stage": o.stage.name if o.stage else None,
                        "decision": o.decision.value,
                        "decided_at": _iso(o.decided_at),
                    }
                    for o in a.outcomes
                    if o.status is OutcomeStatus.CONFIRMED
                ],
                "feedback": feedback.get(a.id),
                "messages": messages.get(a.id, []),
                "requests": requests.get(a.id, []),
                "feedback_rating": ratings.get(a.id),
                "notes_to_interviewers": notes.get(a.id, []),
            }
            for a in applications
        ],
        "talent_pool_consents": consents,
    }


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None
