"""Suggesting talent-pool people for an open requisition, and inviting them to apply.

The pool is the company's, as on /talent-pool: every recruiter sees everyone whose consent is
valid; the requisition is what is scoped to the user. An invitation is its outbox message,
keyed per requisition and person, so a double click sends once and no table records it.
Operations flush; the view commits.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import current_app, render_template
from sqlalchemy import exists, func, select
from sqlalchemy.orm import aliased, contains_eager, joinedload

from recruitcare import audit
from recruitcare.domain.enums import RequisitionStatus
from recruitcare.extensions import db
from recruitcare.models import (
    Application,
    Candidate,
    CandidateFeedback,
    FeedbackVersion,
    OutboxMessage,
    Requisition,
    User,
)
from recruitcare.models.portal import PoolConsent
from recruitcare.outbox import services as outbox
from recruitcare.templating import local_date

INVITE_PURPOSE = "pool_invite"


class InviteError(ValueError):
    """An invitation that cannot be sent; the message is safe to show the recruiter."""


def invite_key(requisition_id: int, candidate_id: int) -> str:
    return f"pool-invite:{requisition_id}:{candidate_id}"


# ---- matching (pure) ---------------------------------------------------------------------------


def matching(choices: Iterable[str], wanted: str) -> list[str]:
    """The choices equal to ``wanted``, compared trimmed and case-insensitively; an empty
    ``wanted`` matches none."""
    key = wanted.strip().casefold()
    return [c for c in choices if key and c.strip().casefold() == key]


def matches(
    role_families: Iterable[str], locations: Iterable[str], *, role_family: str, location: str
) -> tuple[list[str], list[str]]:
    """Which of the person's role families and locations are the job's, compared trimmed and
    case-insensitively. A job without a role family (or location) matches nobody on it, and
    an empty list in a consent matches nothing: the person chose the other one."""
    return matching(role_families, role_family), matching(locations, location)


# ---- suggestions -------------------------------------------------------------------------------


@dataclass
class Suggestion:
    consent: PoolConsent
    strengths: list[dict[str, Any]]
    role_families: list[str]
    locations: list[str]
    # The invitation already sent for this requisition, if any.
    invitation: OutboxMessage | None = None

    @property
    def matched(self) -> list[str]:
        return self.role_families + self.locations


def suggest_from_pool(requisition: Requisition, *, now: datetime) -> list[Suggestion]:
    """People whose consent is valid and whose role family or location is the job's, minus
    those who already applied to it; those not yet invited first, then the newest consent.

    Three queries whatever the pool's size (one when nobody matches): the consents, the
    strengths of the feedback approved for the application each consent was given from, and
    the invitations already sent for this requisition.
    """
    applied = exists().where(
        Application.candidate_id == PoolConsent.candidate_id,
        Application.requisition_id == requisition.id,
    )
    consents = db.session.scalars(
        select(PoolConsent)
        .join(PoolConsent.candidate)
        .where(
            PoolConsent.valid_at(now),
            Candidate.anonymised_at.is_(None),
            ~applied,
        )
        .options(
            contains_eager(PoolConsent.candidate),
            joinedload(PoolConsent.application).joinedload(Application.requisition),
        )
        .order_by(PoolConsent.given_at.desc(), PoolConsent.id.desc())
    )
    found: dict[int, Suggestion] = {}
    for consent in consents:
        families, locations = matches(
            consent.role_families,
            consent.locations,
            role_family=requisition.role_family,
            location=requisition.location,
        )
        if (families or locations) and consent.candidate_id not in found:
            found[consent.candidate_id] = Suggestion(consent, [], families, locations)
    if not found:
        return []
    strengths = approved_strengths(s.consent.application_id for s in found.values())
    invitations = sent_invitations(requisition.id, found)
    for candidate_id, suggestion in found.items():
        suggestion.strengths = strengths.get(suggestion.consent.application_id, [])
        suggestion.invitation = invitations.get(candidate_id)
    return sorted(found.values(), key=lambda s: s.invitation is not None)


def approved_strengths(application_ids: Iterable[int | None]) -> dict[int, list[dict[str, Any]]]:
    """The strengths of each application's latest approved feedback, in one query."""
    ids = sorted({i for i in application_ids if i is not None})
    if not ids:
        return {}
    later = aliased(FeedbackVersion)
    latest = (
        select(func.max(later.version))
        .where(later.feedback_id == FeedbackVersion.feedback_id)
        .scalar_subquery()
    )
    rows = db.session.execute(
        select(CandidateFeedback.application_id, FeedbackVersion.content)
        .join(FeedbackVersion, FeedbackVersion.feedback_id == CandidateFeedback.id)
        .where(CandidateFeedback.application_id.in_(ids), FeedbackVersion.version == latest)
    )
    return {application_id: content.get("strengths", []) for application_id, content in rows}


def sent_invitations(requisition_id: int, candidate_ids: Iterable[int]) -> dict[int, OutboxMessage]:
    """The invitation to this requisition already in the outbox for each person, by person."""
    keys = {invite_key(requisition_id, c): c for c in candidate_ids}
    if not keys:
        return {}
    messages = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.idempotency_key.in_(list(keys)))
    )
    return {keys[m.idempotency_key]: m for m in messages}


def matching_open_requisitions(
    consents: list[PoolConsent], requisitions: list[Requisition]
) -> dict[int, list[Requisition]]:
    """For the talent-pool page: the open requisitions (already scoped to the user) each
    consent matches, leaving out those the person applied to; one query."""
    if not consents or not requisitions:
        return {}
    rows = db.session.execute(
        select(Application.candidate_id, Application.requisition_id).where(
            Application.candidate_id.in_({c.candidate_id for c in consents}),
            Application.requisition_id.in_([r.id for r in requisitions]),
        )
    )
    applied = {(candidate_id, requisition_id) for candidate_id, requisition_id in rows}
    return {
        consent.id: [
            r
            for r in requisitions
            if (consent.candidate_id, r.id) not in applied
            and any(
                matches(
                    consent.role_families,
                    consent.locations,
                    role_family=r.role_family,
                    location=r.location,
                )
            )
        ]
        for consent in consents
    }


# ---- inviting ----------------------------------------------------------------------------------


def get_consent_or_404(consent_id: int) -> PoolConsent:
    """A consent of someone not anonymised, whatever its state: the invitation says why an
    expired or withdrawn one cannot be used."""
    return db.first_or_404(
        select(PoolConsent)
        .join(PoolConsent.candidate)
        .where(PoolConsent.id == consent_id, Candidate.anonymised_at.is_(None))
        .options(contains_eager(PoolConsent.candidate))
    )


def invite_to_apply(
    requisition: Requisition, consent: PoolConsent, *, actor: User, now: datetime
) -> OutboxMessage:
    """Email the person an invitation to apply, once per requisition; replies reach the
    requisition's owner. Raises InviteError, with nothing written, when the job is not open,
    the consent no longer valid, the person does not match or has applied, or was invited."""
    candidate = consent.candidate
    if requisition.status is not RequisitionStatus.OPEN:
        raise InviteError(f"{requisition.title} is not open; nobody was invited.")
    if consent.withdrawn_at is not None:
        raise InviteError(
            f"{candidate.name} withdrew their consent to be considered; nothing was sent."
        )
    if consent.expires_at <= now:
        raise InviteError(
            f"{candidate.name}'s consent to be considered has expired; nothing was sent."
        )
    families, locations = matches(
        consent.role_families,
        consent.locations,
        role_family=requisition.role_family,
        location=requisition.location,
    )
    if not families and not locations:
        raise InviteError(
            f"{candidate.name}'s consent is for other kinds of role and places; nothing was sent."
        )
    has_applied = db.session.scalar(
        select(
            exists().where(
                Application.candidate_id == candidate.id,
                Application.requisition_id == requisition.id,
            )
        )
    )
    if has_applied:
        raise InviteError(f"{candidate.name} has already applied to {requisition.title}.")
    earlier = sent_invitations(requisition.id, [candidate.id]).get(candidate.id)
    if earlier is not None:
        raise InviteError(_already_invited(candidate, earlier))
    config = current_app.config
    company = config["COMPANY_NAME"]
    owner = requisition.owner
    earlier_application = consent.application
    values = {
        "candidate": candidate,
        "requisition": requisition,
        "company": company,
        "sender": actor,
        "owner": owner,
        "matched": families + locations,
        "strengths": approved_strengths([consent.application_id]).get(consent.application_id, []),
        "earlier_title": earlier_application.requisition.title if earlier_application else "",
        "consent": consent,
    }
    try:
        message = outbox.enqueue(
            purpose=INVITE_PURPOSE,
            idempotency_key=invite_key(requisition.id, candidate.id),
            recipient=candidate.email,
            recipient_name=candidate.name,
            subject=f"An opening at {company}: {requisition.title}",
            text_body=render_template("candidate_requests/email/pool_invite.txt", **values),
            html_body=render_template("candidate_requests/email/pool_invite.html", **values),
            reply_to=owner.email,
            sender_name=f"{actor.name}, {company}",
            send_after=now,
            now=now,
            # The earlier application: deleting the person blanks and cancels this too.
            application=earlier_application,
        )
    except outbox.DuplicateMessage as error:
        # Another click got there first; the caller rolls back.
        raise InviteError(
            f"{candidate.name} has already been invited; nothing more was sent."
        ) from error
    audit.record(
        "pool.invited",
        requisition,
        actor=actor,
        now=now,
        candidate=candidate.id,
        consent=consent.id,
        message=message.id,
    )
    return message


def _already_invited(candidate: Candidate, message: OutboxMessage) -> str:
    return (
        f"{candidate.name} was already invited to apply on {local_date(message.created_at)}; "
        "nothing more was sent."
    )
