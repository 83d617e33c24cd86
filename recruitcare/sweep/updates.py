"""Messages that keep a waiting candidate informed, and the promise history behind them.

A status update follows an outcome that moves the candidate on or puts them on hold; an interim
update follows a promise that lapsed with no decision. Both are rendered from the message
templates with the placeholder language (never Jinja), and enqueued in the caller's transaction.
Operations flush; the caller commits.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import select, update

from recruitcare import audit
from recruitcare.domain import messages as wording
from recruitcare.domain.closure import DEFAULT_TEMPLATES
from recruitcare.domain.deadlines import PromisePolicy
from recruitcare.domain.enums import (
    CandidateUpdateStatus,
    Decision,
    InterimPolicy,
    OutcomeStatus,
    PromiseEventKind,
    StatusUpdatePolicy,
)
from recruitcare.domain.sweep import Lapse, LapseAction, SweepLimits, decided_promise
from recruitcare.domain.tokens import strip_placeholder
from recruitcare.extensions import db
from recruitcare.models import (
    Application,
    CandidateUpdate,
    MessageTemplate,
    OutboxMessage,
    PromiseEvent,
    StageOutcome,
    User,
)
from recruitcare.outbox import services as outbox

STATUS_PURPOSE = "status"
INTERIM_PURPOSE = "interim"
# The decision is later than every date we gave: no new promise, an apology and a next date.
LATE_PURPOSE = "late"
# Which template tells the candidate about each decision that keeps them in the process.
STATUS_TEMPLATES = {Decision.ADVANCE: "status_advanced", Decision.HOLD: "status_on_hold"}
INTERIM_TEMPLATE = "interim_update"
OVERDUE_TEMPLATE = "decision_overdue"


class UpdateError(ValueError):
    """An update that cannot go to the candidate; the message is safe to show."""


# ---- rendering --------------------------------------------------------------------------------


@dataclass(frozen=True)
class RenderedUpdate:
    subject: str
    text: str
    html: str
    missing: tuple[str, ...]


def template_wording(key: str) -> tuple[str, str]:
    """The subject and body of a situation's template as the recruiters left it, or the
    default wording when the templates have not been set up yet."""
    stored = db.session.scalar(select(MessageTemplate).where(MessageTemplate.key == key))
    if stored is not None:
        return stored.subject, stored.body
    default = next(t for t in DEFAULT_TEMPLATES if t.key == key)
    return default.subject, default.body


def render_update(application: Application, key: str) -> RenderedUpdate:
    """The message for this candidate, with the promise as it stands on ``application``."""
    from recruitcare.closure.services import Context, values_for

    config = current_app.config
    ctx = Context(
        templates={},
        feedback={},
        closures={},
        others={},
        company=config["COMPANY_NAME"],
        base_url=config["BASE_URL"],
        zone=ZoneInfo(config["ORG_TIMEZONE"]),
    )
    values = {
        name: value if value is None or name == "feedback_link" else strip_placeholder(value)
        for name, value in values_for(application, ctx).items()
    }
    subject_template, body = template_wording(key)
    subject = wording.render_text(subject_template, values)
    text = wording.render_text(body, values)
    html = wording.render_html(body, values)
    missing = tuple(sorted(set(subject.missing) | set(text.missing)))
    return RenderedUpdate(subject.text, text.text, html.text, missing)


def _enqueue(
    application: Application,
    rendered: RenderedUpdate,
    *,
    purpose: str,
    key: str,
    send_after: datetime,
    now: datetime,
) -> OutboxMessage:
    if rendered.missing:
        names = ", ".join(rendered.missing)
        raise UpdateError(f"The template has no value for: {names}.")
    company = current_app.config["COMPANY_NAME"]
    owner = application.requisition.owner
    candidate = application.candidate
    try:
        return outbox.enqueue(
            purpose=purpose,
            idempotency_key=key,
            recipient=candidate.email,
            recipient_name=candidate.name,
            subject=wording.clean_header(rendered.subject),
            text_body=rendered.text,
            html_body=rendered.html,
            reply_to=owner.email,
            sender_name=f"{owner.name}, {company}" if company else owner.name,
            send_after=send_after,
            now=now,
            application=application,
        )
    except (outbox.HeaderError, ValueError) as error:
        raise UpdateError(str(error)) from error


# ---- status updates ---------------------------------------------------------------------------


def after_outcome(
    application: Application,
    outcome: StageOutcome,
    *,
    previous_due_at: datetime | None,
    was_must_decide: bool,
    actor: User | None,
    now: datetime,
) -> None:
    """What an outcome owes the candidate and the promise record; ``record_outcome`` calls it.

    The promise the decision answers is counted as kept or broken; anything still waiting to
    tell the candidate something older is withdrawn; and a candidate who moved on or was put
    on hold gets a status update with their new promised date (or the recruiter gets it to
    approve, by the requisition's policy).
    """
    kind = decided_promise(previous_due_at, now, already_broken=was_must_decide)
    if kind is not None:
        db.session.add(
            PromiseEvent(
                application=application,
                kind=kind,
                old_due_at=previous_due_at,
                new_due_at=application.decision_due_at,
                outcome=outcome,
                at=now,
            )
        )
    withdraw_pending(application, now=now, reason="a newer outcome was recorded")
    key = STATUS_TEMPLATES.get(outcome.decision)
    if key is None or not application.status.is_open or application.candidate.anonymised_at:
        return
    if application.requisition.status_update_policy is StatusUpdatePolicy.PROPOSE:
        db.session.add(
            CandidateUpdate(application=application, kind="status", outcome=outcome, created_at=now)
        )
        return
    delay = timedelta(minutes=current_app.config["STATUS_UPDATE_DELAY_MINUTES"])
    try:
        send_status_update(application, outcome, now=now, send_after=now + delay)
    except UpdateError as error:
        # The outcome stands; the candidate's promise shows on the recruiter's lists.
        audit.record(
            "status_update.not_sent", application, actor=actor, now=now, problem=str(error)
        )


def send_status_update(
    application: Application, outcome: StageOutcome, *, now: datetime, send_after: datetime
) -> OutboxMessage:
    key = STATUS_TEMPLATES[outcome.decision]
    message = _enqueue(
        application,
        render_update(application, key),
        purpose=STATUS_PURPOSE,
        key=f"{STATUS_PURPOSE}:{application.id}:{outcome.id}",
        send_after=send_after,
        now=now,
    )
    application.last_contact_at = now
    return message


def withdraw_pending(application: Application, *, now: datetime, reason: str) -> None:
    """Status and interim updates and late notices not yet sent, or awaiting approval, are
    out of date."""
    for purpose in (STATUS_PURPOSE, INTERIM_PURPOSE, LATE_PURPOSE):
        outbox.cancel_for_application(application.id, purpose=purpose, reason=reason, now=now)
    requisition = application.requisition
    if (
        requisition.status_update_policy is StatusUpdatePolicy.PROPOSE
        or requisition.interim_policy is InterimPolicy.APPROVE
    ):
        _dismiss_pending(application.id, now=now)


def _dismiss_pending(application_id: int, *, now: datetime) -> None:
    db.session.execute(
        update(CandidateUpdate)
        .where(
            CandidateUpdate.application_id == application_id,
            CandidateUpdate.status == CandidateUpdateStatus.PENDING,
        )
        .values(status=CandidateUpdateStatus.DISMISSED, decided_at=now)
        .execution_options(synchronize_session="fetch")
    )


def after_undo(application: Application, outcome: StageOutcome, *, now: datetime) -> None:
    """An undone outcome never happened: its promise record and its status update go."""
    outbox.cancel_for_application(
        application.id, purpose=STATUS_PURPOSE, reason="outcome undone", now=now
    )
    _dismiss_pending(application.id, now=now)
    for event in db.session.scalars(select(PromiseEvent).where(PromiseEvent.outcome == outcome)):
        db.session.delete(event)


# ---- interim updates --------------------------------------------------------------------------


def _lapse_key(purpose: str, application: Application, due_at: datetime) -> str:
    """One message per lapsed date: a second sweep, even a concurrent one, cannot send another."""
    return f"{purpose}:{application.id}:{due_at:%Y%m%dT%H%M%SZ}"


def send_interim_update(application: Application, lapse: Lapse, *, now: datetime) -> OutboxMessage:
    """Tell the candidate we have not decided yet and when they will hear, and move the promise.

    Raises UpdateError (and changes nothing) when the message cannot be written or addressed.
    """
    old_due_at = application.decision_due_at
    application.decision_due_at = lapse.new_due_at
    try:
        message = _enqueue(
            application,
            render_update(application, INTERIM_TEMPLATE),
            purpose=INTERIM_PURPOSE,
            key=_lapse_key(INTERIM_PURPOSE, application, old_due_at),
            send_after=now,
            now=now,
        )
    except UpdateError:
        application.decision_due_at = old_due_at
        raise
    application.promise_extensions = lapse.extension
    application.last_contact_at = now
    db.session.add(
        PromiseEvent(
            application=application,
            kind=PromiseEventKind.EXTENDED,
            old_due_at=old_due_at,
            new_due_at=lapse.new_due_at,
            extension=lapse.extension,
            at=now,
        )
    )
    audit.record(
        "promise.extended",
        application,
        actor=None,
        now=now,
        extension=lapse.extension,
        old=old_due_at.isoformat(),
        new=lapse.new_due_at.isoformat(),
        outbox_message=message.id,
    )
    return message


def mark_must_decide(
    application: Application, *, now: datetime, problem: str = "", notice_due_at: datetime
) -> None:
    """The promise lapsed and will not be extended again: a person has to decide now.

    The broken promise is counted once. ``notice_due_at`` is when the candidate next hears
    from us if nobody decides: the sweep sends them an overdue notice then.
    """
    application.must_decide_since = now
    db.session.add(
        PromiseEvent(
            application=application,
            kind=PromiseEventKind.BROKEN,
            old_due_at=application.decision_due_at,
            new_due_at=notice_due_at,
            at=now,
        )
    )
    application.decision_due_at = notice_due_at
    audit.record(
        "promise.must_decide",
        application,
        actor=None,
        now=now,
        extensions=application.promise_extensions,
        problem=problem or None,
    )


def send_overdue_notice(application: Application, lapse: Lapse, *, now: datetime) -> None:
    """Tell the candidate the decision is late, and when they will hear from us again.

    The first time, the application also goes on the "must decide" list. When the message
    cannot be written or addressed, the list and the date still move (so the sweep does not
    retry every few minutes) and UpdateError says why; the recruiter's digest lists it daily.
    """
    old_due_at = application.decision_due_at
    if application.must_decide_since is None:
        mark_must_decide(application, now=now, notice_due_at=lapse.new_due_at)
    else:
        application.decision_due_at = lapse.new_due_at
    notice = {"old": old_due_at.isoformat(), "new": lapse.new_due_at.isoformat()}
    try:
        message = _enqueue(
            application,
            render_update(application, OVERDUE_TEMPLATE),
            purpose=LATE_PURPOSE,
            key=_lapse_key(LATE_PURPOSE, application, old_due_at),
            send_after=now,
            now=now,
        )
    except UpdateError as error:
        audit.record(
            "promise.overdue_notice", application, actor=None, now=now, problem=str(error), **notice
        )
        raise
    application.last_contact_at = now
    audit.record(
        "promise.overdue_notice",
        application,
        actor=None,
        now=now,
        outbox_message=message.id,
        **notice,
    )


def queue_for_approval(application: Application, *, now: datetime) -> CandidateUpdate:
    update_ = CandidateUpdate(application=application, kind="interim", created_at=now)
    db.session.add(update_)
    return update_


# ---- approvals --------------------------------------------------------------------------------


def approve_update(
    pending: CandidateUpdate,
    *,
    actor: User,
    now: datetime,
    limits: SweepLimits,
    calendar: PromisePolicy,
) -> OutboxMessage:
    """Send an update a recruiter approved, rendered now with the promise as it stands now.

    Raises UpdateError when the update no longer applies (it is then dismissed) or cannot be
    sent.
    """
    if pending.status is not CandidateUpdateStatus.PENDING:
        raise UpdateError("That update was already handled.")
    application = pending.application
    if not application.status.is_open:
        _close(pending, CandidateUpdateStatus.DISMISSED, actor=actor, now=now)
        raise UpdateError("A decision has been recorded since; this update is no longer needed.")
    if pending.kind == "status":
        outcome = pending.outcome
        if outcome is None or outcome.status is not OutcomeStatus.CONFIRMED:
            _close(pending, CandidateUpdateStatus.DISMISSED, actor=actor, now=now)
            raise UpdateError("The outcome it reported was undone; nothing was sent.")
        message = send_status_update(application, outcome, now=now, send_after=now)
    else:
        # The sweep found the promise lapsed; the new date counts from the approval.
        if application.promise_extensions >= limits.max_extensions:
            _close(pending, CandidateUpdateStatus.DISMISSED, actor=actor, now=now)
            raise UpdateError("The promise can no longer be extended; nothing was sent.")
        lapse = Lapse(
            LapseAction.EXTEND,
            extension=application.promise_extensions + 1,
            new_due_at=calendar.due_at(now, limits.extension_days),
        )
        message = send_interim_update(application, lapse, now=now)
    _close(pending, CandidateUpdateStatus.SENT, actor=actor, now=now)
    pending.outbox_message_id = message.id
    audit.record(f"{pending.kind}_update.approved", application, actor=actor, now=now)
    return message


def dismiss_update(
    pending: CandidateUpdate,
    *,
    actor: User,
    now: datetime,
    limits: SweepLimits,
    calendar: PromisePolicy,
) -> None:
    """Not sent. A dismissed interim update means the recruiter will decide instead: the
    application goes on the "must decide" list, so the sweep does not queue it again. If no
    decision comes within ``limits.overdue_notice_days``, the candidate is told it is late."""
    if pending.status is not CandidateUpdateStatus.PENDING:
        raise UpdateError("That update was already handled.")
    _close(pending, CandidateUpdateStatus.DISMISSED, actor=actor, now=now)
    application = pending.application
    if (
        pending.kind == "interim"
        and application.status.is_open
        and application.must_decide_since is None
    ):
        mark_must_decide(
            application,
            now=now,
            problem="interim update dismissed",
            notice_due_at=calendar.due_at(now, limits.overdue_notice_days),
        )
    audit.record(f"{pending.kind}_update.dismissed", application, actor=actor, now=now)


def _close(pending: CandidateUpdate, status: CandidateUpdateStatus, *, actor, now) -> None:
    pending.status = status
    pending.decided_by_id = actor.id if actor else None
    pending.decided_at = now
    db.session.flush()
