"""Answering candidates' requests. Queries are scoped to the user's requisitions, so
another team's request is a 404. Operations flush; the view commits."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import current_app, render_template
from sqlalchemy import Select, func, select
from sqlalchemy.orm import contains_eager, joinedload

from recruitcare import audit
from recruitcare.access import requisition_filter
from recruitcare.candidate_requests import pool
from recruitcare.domain.language import Finding, Severity, check
from recruitcare.domain.portal import RequestKind
from recruitcare.domain.tokens import link_template
from recruitcare.extensions import db
from recruitcare.models import Application, Candidate, CandidateLink, User
from recruitcare.models.portal import CandidateNote, CandidateRequest, FeedbackRating, PoolConsent
from recruitcare.outbox import services as outbox
from recruitcare.portal import services as portal
from recruitcare.privacy.services import anonymise_candidates


class RequestError(ValueError):
    """A request that cannot be handled as asked; the message is safe to show."""


def visible_requests(user: User) -> Select[tuple[CandidateRequest]]:
    return (
        select(CandidateRequest)
        .join(CandidateRequest.application)
        .join(Application.requisition)
        .where(requisition_filter(user))
    )


def open_requests(user: User, *, limit: int | None = None) -> list[CandidateRequest]:
    """Requests nobody has dealt with yet, the one whose promise lapses first on top."""
    stmt = (
        visible_requests(user)
        .where(CandidateRequest.done_at.is_(None))
        .options(
            joinedload(CandidateRequest.application).joinedload(Application.candidate),
            joinedload(CandidateRequest.application).joinedload(Application.requisition),
        )
        .order_by(CandidateRequest.respond_by, CandidateRequest.id)
    )
    if limit is not None:
        stmt = stmt.limit(limit)
    return list(db.session.scalars(stmt))


def open_request_count(user: User) -> int:
    stmt = visible_requests(user).where(CandidateRequest.done_at.is_(None))
    return db.session.scalar(select(func.count()).select_from(stmt.subquery()))


def done_requests(user: User, *, limit: int) -> list[CandidateRequest]:
    return list(
        db.session.scalars(
            visible_requests(user)
            .where(CandidateRequest.done_at.is_not(None))
            .options(
                joinedload(CandidateRequest.application).joinedload(Application.candidate),
                joinedload(CandidateRequest.application).joinedload(Application.requisition),
                joinedload(CandidateRequest.done_by),
            )
            .order_by(CandidateRequest.done_at.desc())
            .limit(limit)
        )
    )


def get_request_or_404(user: User, request_id: int) -> CandidateRequest:
    return db.first_or_404(
        visible_requests(user)
        .where(CandidateRequest.id == request_id)
        .options(
            joinedload(CandidateRequest.application).joinedload(Application.candidate),
            joinedload(CandidateRequest.application).joinedload(Application.requisition),
        )
    )


def mark_done(request: CandidateRequest, *, actor: User, now: datetime) -> None:
    if request.done_at is not None:
        return
    request.done_at, request.done_by = now, actor
    audit.record("request.done", request, actor=actor, now=now, kind=request.kind.value)


def check_answer(answer: str, request: CandidateRequest) -> list[Finding]:
    criteria = [(c.name, c.description) for c in request.application.requisition.criteria]
    return check(answer, criteria)


def answer_question(
    request: CandidateRequest, *, answer: str, override_reason: str, actor: User, now: datetime
) -> None:
    """The answer shows on the candidate's page and goes to them by email.

    It passes the same language check as feedback: wording that blocks needs a reason.
    """
    if request.kind is not RequestKind.QUESTION:
        raise RequestError("Only a question can be answered.")
    if request.answer:
        raise RequestError("This question has been answered already.")
    findings = check_answer(answer, request)
    blocking = [f for f in findings if f.severity is Severity.BLOCK]
    if blocking and not override_reason.strip():
        raise RequestError("Reword the flagged phrases or give a reason to override.")
    application = request.application
    candidate = application.candidate
    owner = application.requisition.owner
    config = current_app.config
    request.answer = answer
    mark_done(request, actor=actor, now=now)
    values = {
        "candidate": candidate,
        "requisition": application.requisition,
        "question": request.body,
        "answer": answer,
        "sender": actor,
        "company": config["COMPANY_NAME"],
        "link": link_template(config["BASE_URL"]),
    }
    outbox.enqueue(
        purpose="answer",
        idempotency_key=f"answer:{request.id}",
        recipient=candidate.email,
        recipient_name=candidate.name,
        subject=f"Your question about {application.requisition.title}",
        text_body=render_template("candidate_requests/email/answer.txt", **values),
        html_body=render_template("candidate_requests/email/answer.html", **values),
        reply_to=owner.email,
        sender_name=f"{actor.name}, {config['COMPANY_NAME']}",
        send_after=now,
        now=now,
        application=application,
    )
    audit.record("request.answered", request, actor=actor, now=now)
    if blocking:
        audit.record(
            "request.override",
            request,
            actor=actor,
            now=now,
            rules=sorted({f.rule for f in blocking}),
            reason=override_reason.strip(),
        )


def delete_person(request: CandidateRequest, *, actor: User, now: datetime) -> None:
    """Carry out a deletion request: the person is anonymised, only counts remain."""
    if request.kind is not RequestKind.DELETION:
        raise RequestError("Only a deletion request deletes a person.")
    mark_done(request, actor=actor, now=now)
    anonymise_candidates(
        [request.application.candidate_id], actor=actor, now=now, why="candidate request"
    )


# ---- the application's portal panel ------------------------------------------------------------


@dataclass
class PortalPanel:
    """What the candidate did on their page, for the application page's timeline."""

    requests: list[CandidateRequest]
    notes: list[CandidateNote]
    rating: FeedbackRating | None
    consent: PoolConsent | None
    live_links: int


def portal_panel(application: Application, *, now: datetime) -> PortalPanel:
    return PortalPanel(
        requests=portal.requests_of(application.id),
        notes=portal.notes_of(application.id),
        rating=portal.rating_of(application.id),
        consent=portal.valid_consent(application.candidate_id, now=now),
        live_links=db.session.scalar(
            select(func.count()).where(
                CandidateLink.application_id == application.id,
                CandidateLink.revoked_at.is_(None),
            )
        ),
    )


# ---- the talent pool ---------------------------------------------------------------------------


@dataclass
class PoolEntry:
    consent: PoolConsent
    strengths: list[dict[str, Any]]


def talent_pool(*, now: datetime, role_family: str = "", location: str = "") -> list[PoolEntry]:
    """People whose consent to be considered is still valid, with the strengths from their
    earlier feedback. Expired or withdrawn consent is simply not here.

    A filter keeps the people who named that role family (or location), compared as the
    board's suggestions compare them, and those who named none of that kind: they are open
    to any.
    """
    consents = list(
        db.session.scalars(
            select(PoolConsent)
            .join(PoolConsent.candidate)
            .where(
                PoolConsent.valid_at(now),
                Candidate.anonymised_at.is_(None),
            )
            .options(
                contains_eager(PoolConsent.candidate),
                joinedload(PoolConsent.application).joinedload(Application.requisition),
            )
            .order_by(PoolConsent.given_at.desc())
        )
    )
    consents = [
        c
        for c in consents
        if (not role_family or not c.role_families or pool.matching(c.role_families, role_family))
        and (not location or not c.locations or pool.matching(c.locations, location))
    ]
    strengths = pool.approved_strengths(c.application_id for c in consents)
    return [PoolEntry(c, strengths.get(c.application_id, [])) for c in consents]
