"""Closure messages: drafting from templates, checking, approving into the outbox.

Operations flush; the view that calls them commits, so approving a batch and enqueuing its
messages is one transaction: if anything fails, nothing is sent.
"""

import functools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import bindparam, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import contains_eager, joinedload, selectinload
from sqlalchemy.orm.attributes import instance_dict, set_committed_value

from recruitcare import audit
from recruitcare.dbutil import bulk, in_batch, insert_rows
from recruitcare.domain import messages as wording
from recruitcare.domain.closure import (
    DEFAULT_TEMPLATES,
    TEMPLATE_KEYS,
    needs_closure,
    template_key_for,
)
from recruitcare.domain.enums import (
    OPEN_APPLICATION_STATUSES,
    ApplicationStatus,
    ClosureStatus,
    DeliveryStatus,
    OutcomeStatus,
)
from recruitcare.domain.language import Finding, Severity, check
from recruitcare.domain.tokens import link_template, strip_placeholder
from recruitcare.extensions import db
from recruitcare.models import (
    Application,
    Candidate,
    CandidateFeedback,
    ClosureMessage,
    Interview,
    MessageTemplate,
    OutboxMessage,
    Reason,
    Requisition,
    Stage,
    StageOutcome,
    User,
)
from recruitcare.outbox import services as outbox
from recruitcare.policies import promise_policy

PURPOSE = "closure"


class ClosureError(ValueError):
    """A closure that cannot be approved or sent; the message is safe to show."""


# ---- templates -------------------------------------------------------------------------------


def seed_default_templates(*, now: datetime) -> int:
    """Add the default template of each situation that is missing; returns how many."""
    existing = set(db.session.scalars(select(MessageTemplate.key)))
    added = 0
    for default in DEFAULT_TEMPLATES:
        if default.key not in existing:
            db.session.add(
                MessageTemplate(
                    key=default.key,
                    name=default.name,
                    situation=default.situation,
                    subject=default.subject,
                    body=default.body,
                    updated_at=now,
                )
            )
            added += 1
    db.session.flush()
    return added


def all_templates() -> dict[str, MessageTemplate]:
    rows = db.session.scalars(select(MessageTemplate)).all()
    order = {key: i for i, key in enumerate(TEMPLATE_KEYS)}
    return {t.key: t for t in sorted(rows, key=lambda t: (order.get(t.key, 99), t.key))}


def template_errors(subject: str, body: str) -> dict[str, list[str]]:
    errors = {"subject": wording.template_errors(subject), "body": wording.template_errors(body)}
    if "\n" in subject or "\r" in subject:
        errors["subject"].append("The subject must be one line.")
    return {k: v for k, v in errors.items() if v}


def save_template(
    template: MessageTemplate, *, name: str, subject: str, body: str, actor: User, now: datetime
) -> None:
    """Refuses unknown placeholders at save time, so a message never fails later for them."""
    errors = template_errors(subject, body)
    if errors:
        raise ClosureError(" ".join(e for es in errors.values() for e in es))
    template.name, template.subject, template.body = name.strip(), subject.strip(), body
    template.updated_by, template.updated_at = actor, now
    audit.record("template.updated", template, actor=actor, now=now, key=template.key)


@dataclass(frozen=True)
class ClosureSummary:
    needed: bool
    message: ClosureMessage | None


def closure_summary(application: Application) -> ClosureSummary:
    """For the application page: is a closure owed, and where is it."""
    message = db.session.scalar(
        select(ClosureMessage)
        .where(ClosureMessage.application_id == application.id)
        .options(joinedload(ClosureMessage.outbox_message))
    )
    return ClosureSummary(needs_closure(application.status), message)


# ---- one application's message ------------------------------------------------------------------


@bulk
def load_for_closure(application_ids: Iterable[int]) -> list[Application]:
    """Applications with their candidate, stage, requisition and its owner, in three queries
    whatever the batch.

    A batch has thousands of applications but few stages and requisitions: those are read
    once each and handed to every application, which costs a fraction of what a
    relationship loader spends on each row. The outcomes and interviews that choose a
    closure's wording are not loaded here: ``Context.build`` reads the few facts it needs
    from them for the whole batch.
    """
    ids = list(application_ids)
    if not ids:
        return []
    applications = list(
        db.session.scalars(
            select(Application)
            .where(in_batch(Application.id, ids))
            .options(joinedload(Application.candidate))
        )
    )
    stages = {
        s.id: s
        for s in db.session.scalars(
            select(Stage).where(Stage.id.in_({a.stage_id for a in applications}))
        )
    }
    requisitions = {
        r.id: r
        for r in db.session.scalars(
            select(Requisition)
            .where(Requisition.id.in_({a.requisition_id for a in applications}))
            .options(joinedload(Requisition.owner))
        )
    }
    for application in applications:
        loaded = instance_dict(application)  # one loaded earlier keeps what it has
        if "stage" not in loaded:
            set_committed_value(application, "stage", stages.get(application.stage_id))
        if "requisition" not in loaded:
            set_committed_value(
                application, "requisition", requisitions[application.requisition_id]
            )
    return applications


class Facts(NamedTuple):
    """What an application's closure wording depends on beyond its own row."""

    reason: Reason | None
    """The reason of its latest confirmed outcome."""
    had_interview: bool


@dataclass
class Context:
    """What is shared by every message of a batch: templates, feedback, closures, other
    applications of the same people.

    ``others`` holds, per person, their open applications that may hold back a closure;
    ``build`` leaves out a person whose only open application is the one being closed.
    """

    templates: dict[str, MessageTemplate]
    feedback: dict[int, str]
    closures: dict[int, ClosureMessage]
    others: dict[int, list[Application]]
    company: str
    base_url: str
    zone: ZoneInfo
    # By application id, read by ``build``; an application missing here is asked directly.
    facts: dict[int, Facts] = field(default_factory=dict, repr=False)
    # values_for's answers, by application id: drafting and reviewing ask for them again.
    values: dict[int, dict[str, str | None]] = field(default_factory=dict, repr=False)
    # The values every candidate of one requisition shares, by requisition id.
    shared: dict[int, dict[str, str | None]] = field(default_factory=dict, repr=False)

    @classmethod
    @bulk
    def build(cls, applications: Sequence[Application]) -> "Context":
        ids = [a.id for a in applications]
        feedback = {}
        for fb in db.session.scalars(
            select(CandidateFeedback)
            .where(in_batch(CandidateFeedback.application_id, ids))
            .options(selectinload(CandidateFeedback.versions))
        ):
            if fb.approved is not None:
                feedback[fb.application_id] = fb.approved.text
        closures = {
            c.application_id: c
            for c in db.session.scalars(
                select(ClosureMessage)
                .where(in_batch(ClosureMessage.application_id, ids))
                .options(joinedload(ClosureMessage.outbox_message))
            )
        }
        config = current_app.config
        return cls(
            templates=all_templates(),
            feedback=feedback,
            closures=closures,
            others=_open_elsewhere(applications),
            company=config["COMPANY_NAME"],
            base_url=config["BASE_URL"],
            zone=ZoneInfo(config["ORG_TIMEZONE"]),
            facts=_facts(ids),
        )


def _facts(ids: list[int]) -> dict[int, Facts]:
    """Each application's latest confirmed reason and whether it had an interview, in two
    queries. ORM columns, so outcomes and interviews added in this transaction are flushed
    first and count, as they would in the loaded collections."""
    latest: dict[int, tuple] = {}
    for application_id, decided_at, outcome_id, reason_id in db.session.execute(
        select(
            StageOutcome.application_id,
            StageOutcome.decided_at,
            StageOutcome.id,
            StageOutcome.reason_id,
        ).where(
            in_batch(StageOutcome.application_id, ids),
            StageOutcome.status == OutcomeStatus.CONFIRMED,
        )
    ):
        known = latest.get(application_id)
        if known is None or (decided_at, outcome_id) > known[:2]:
            latest[application_id] = (decided_at, outcome_id, reason_id)
    wanted = {reason_id for *_, reason_id in latest.values() if reason_id is not None}
    reasons = (
        {r.id: r for r in db.session.scalars(select(Reason).where(Reason.id.in_(wanted)))}
        if wanted
        else {}
    )
    interviewed = set(
        db.session.scalars(
            select(Interview.application_id)
            .where(in_batch(Interview.application_id, ids))
            .distinct()
        )
    )
    facts = {}
    for application_id in ids:
        outcome = latest.get(application_id)
        reason = reasons.get(outcome[2]) if outcome and outcome[2] is not None else None
        facts[application_id] = Facts(reason, application_id in interviewed)
    return facts


def _open_elsewhere(applications: Sequence[Application]) -> dict[int, list[Application]]:
    """Per person, their open applications other than the one of theirs in the batch, in
    two queries: the ids of everyone's open applications, then only the few that matter."""
    batch: dict[int, set[int]] = {}
    for application in applications:
        batch.setdefault(application.candidate_id, set()).add(application.id)
    open_ids: dict[int, set[int]] = {}
    for candidate_id, application_id in db.session.execute(
        select(Application.candidate_id, Application.id).where(
            in_batch(Application.candidate_id, batch),
            Application.status.in_(OPEN_APPLICATION_STATUSES),
        )
    ):
        open_ids.setdefault(candidate_id, set()).add(application_id)
    # Someone whose one open application is the one being closed holds nothing back.
    wanted = {
        candidate_id: ids
        for candidate_id, ids in open_ids.items()
        if not (len(ids) == 1 and ids == batch[candidate_id])
    }
    others: dict[int, list[Application]] = {}
    if wanted:
        for other in db.session.scalars(
            select(Application)
            .where(in_batch(Application.id, {i for ids in wanted.values() for i in ids}))
            .options(joinedload(Application.requisition))
            .order_by(Application.id)
        ):
            others.setdefault(other.candidate_id, []).append(other)
    return others


def _facts_of(application: Application, ctx: "Context | None" = None) -> Facts:
    known = ctx.facts.get(application.id) if ctx is not None else None
    if known is not None:
        return known
    confirmed = [o for o in application.outcomes if o.status is OutcomeStatus.CONFIRMED]
    latest = max(confirmed, key=lambda o: (o.decided_at, o.id), default=None)
    return Facts(latest.reason if latest else None, bool(application.interviews))


def default_template_key(
    application: Application, fallback: str | None = None, *, ctx: Context | None = None
) -> str:
    """The situation's template; ``fallback`` for open applications (filled, cancelled)."""
    if application.status.is_open:
        return fallback or "position_filled"
    facts = _facts_of(application, ctx)
    return template_key_for(
        application.status,
        stage_is_interview=bool(application.stage and application.stage.is_interview),
        reason_template=facts.reason.default_template if facts.reason else None,
        had_interview=facts.had_interview,
    )


def values_for(application: Application, ctx: Context) -> dict[str, str | None]:
    """Placeholder values for this candidate; None where the value is not known yet.

    Asked again for the same application, the context gives the same answer.
    """
    known = ctx.values.get(application.id) if application.id is not None else None
    if known is not None:
        return known
    candidate, requisition = application.candidate, application.requisition
    shared = ctx.shared.get(requisition.id) if requisition.id is not None else None
    if shared is None:
        owner = requisition.owner
        shared = {
            "requisition_title": requisition.title,
            "feedback_link": link_template(ctx.base_url),
            "recruiter_name": owner.name,
            "recruiter_email": owner.email,
            "company_name": ctx.company or None,
        }
        if requisition.id is not None:
            ctx.shared[requisition.id] = shared
    reason = _facts_of(application, ctx).reason
    due = application.decision_due_at
    stage = application.stage
    values = {
        "candidate_first_name": candidate.first_name,
        "candidate_name": candidate.name,
        "requisition_title": shared["requisition_title"],
        "stage": stage.name if stage else None,
        "feedback": ctx.feedback.get(application.id),
        "feedback_link": shared["feedback_link"],
        "recruiter_name": shared["recruiter_name"],
        "recruiter_email": shared["recruiter_email"],
        "company_name": shared["company_name"],
        "decision_date": _decision_date(due, candidate.timezone) if due else None,
        "reason": reason.candidate_explanation if reason else None,
    }
    if application.id is not None:
        ctx.values[application.id] = values
    return values


@functools.lru_cache(maxsize=4096)
def _decision_date(due: datetime, zone_name: str) -> str:
    """The promised date as the candidate reads it; a batch has few distinct ones."""
    return due.astimezone(_zone(zone_name)).strftime("%A %-d %B %Y")


@functools.lru_cache(maxsize=256)
def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (KeyError, ValueError):
        return ZoneInfo("UTC")


def _brace(value: str) -> str:
    return value.replace("{", "{{").replace("}", "}}")


def personal_copy(template_text: str, values: Mapping[str, str | None]) -> str:
    """The template filled in for one person, still in the placeholder language: values that
    are not known yet and the link stay as placeholders, typed braces stay literal.

    Rendering the copy gives what rendering the template with those values gives. The
    template's literal braces are written doubled again: single, they would make ``{{7*7}}``
    a syntax error in the copy, and a value written between literal braces a placeholder.
    """
    out = []
    for part in _copy_parts(template_text):
        if part.__class__ is str:
            out.append(part)
            continue
        name = part.name
        if name not in values:
            kept = None
        elif values[name] and name != "feedback_link":
            kept = _brace(strip_placeholder(values[name]))
        else:
            kept = "{" + name + "}"
        out.append(kept if kept and kept.strip() else wording.missing_marker(name))
    return "".join(out)


@functools.lru_cache(maxsize=64)
def _copy_parts(template_text: str) -> tuple[str | wording.Placeholder, ...]:
    """The template's parts, literal texts with their braces already doubled again."""
    return tuple(
        _brace(part.text) if isinstance(part, wording.Text) else part
        for part in wording.parse(template_text)
    )


@dataclass
class Draft:
    """A closure message not saved yet, read like a ClosureMessage by views and templates.

    A plain object: a close-out drafts one per candidate, thousands at a time, and building
    an ORM instance costs several times rendering its text. ``save_draft`` turns it into a
    ClosureMessage; approving writes its row directly.
    """

    application: Application
    template_key: str
    subject: str
    body: str
    created_at: datetime | None = None
    updated_at: datetime | None = None
    status: ClosureStatus = ClosureStatus.DRAFT
    revision: int = 0
    edited: bool = False
    held_reason: str = ""
    id: None = None
    outbox_message: None = None
    approved_by: None = None
    approved_at: None = None


def new_draft(application: Application, ctx: Context, *, key: str, now: datetime) -> Draft:
    template = ctx.templates[key]
    values = values_for(application, ctx)
    return Draft(
        application,
        key,
        personal_copy(template.subject, values),
        personal_copy(template.body, values),
        created_at=now,
        updated_at=now,
    )


def draft_for(
    application: Application, ctx: Context, *, now: datetime, fallback: str | None = None
) -> ClosureMessage | Draft:
    """The saved draft, or a new unsaved one from the default template (``save_draft`` saves
    it)."""
    saved = ctx.closures.get(application.id)
    if saved is not None:
        return saved
    key = default_template_key(application, fallback, ctx=ctx)
    return new_draft(application, ctx, key=key, now=now)


@dataclass
class Review:
    """Everything a recruiter needs to judge one message before approving it."""

    closure: ClosureMessage | Draft
    subject: str
    text: str
    html: str
    missing: list[str]
    findings: list[Finding]
    personalized: bool | None
    held: list[Application]
    problems: list[str] = field(default_factory=list)
    duplicate: bool = False

    @property
    def blocking(self) -> list[Finding]:
        return [f for f in self.findings if f.severity is Severity.BLOCK]

    @property
    def checker_state(self) -> str:
        if self.blocking:
            return "block"
        return "warn" if self.findings else "ok"


def review(application: Application, closure: ClosureMessage | Draft, ctx: Context) -> Review:
    values = values_for(application, ctx)
    subject = wording.render_text(closure.subject, values)
    text = wording.render_text(closure.body, values)
    html = wording.render_html(closure.body, values)
    criteria = [(c.name, c.description) for c in application.requisition.criteria]
    findings = check(text.text, criteria)
    personalized = None
    if _facts_of(application, ctx).had_interview:
        template = ctx.templates.get(closure.template_key)
        plain = wording.render_text(template.body, values).text if template else ""
        personalized = wording.is_personalized(
            text.text, template_render=plain, feedback=ctx.feedback.get(application.id)
        )
    held = [a for a in ctx.others.get(application.candidate_id, []) if a.id != application.id]
    problems = []
    missing = sorted(set(subject.missing) | set(text.missing))
    if missing:
        problems.append("Fill in: " + ", ".join(m.replace("_", " ") for m in missing) + ".")
    errors = template_errors(closure.subject, closure.body)
    problems += [e for es in errors.values() for e in es]
    try:
        wording.clean_header(subject.text)
    except ValueError as error:
        problems.append(str(error))
    if personalized is False:
        problems.append(
            "Add something specific to this candidate: their approved feedback or a "
            "personal passage."
        )
    if held:
        titles = ", ".join(a.requisition.title for a in held)
        problems.append(f"Held: this person is still in process for {titles}.")
    return Review(
        closure, subject.text, text.text, html.text, missing, findings, personalized, held, problems
    )


@bulk
def review_all(
    applications: Sequence[Application], *, now: datetime, fallback: str | None = None
) -> list[Review]:
    """Each application's draft (its saved one, or a new one from its default template, or
    ``fallback``) and its review, near-duplicates flagged: a bulk close-out's list."""
    ctx = Context.build(applications)
    reviews = [review(a, draft_for(a, ctx, now=now, fallback=fallback), ctx) for a in applications]
    flag_duplicates(reviews)
    return reviews


def flag_duplicates(reviews: Sequence[Review]) -> None:
    """Messages identical or nearly identical apart from the name are flagged in a batch."""
    bodies = {i: r.text for i, r in enumerate(reviews)}
    names = {i: r.closure.application.candidate.name.split() for i, r in enumerate(reviews)}
    for i in wording.near_duplicates(bodies, names):
        reviews[i].duplicate = True


def save_draft(
    closure: ClosureMessage | Draft,
    *,
    subject: str,
    body: str,
    key: str,
    actor: User,
    now: datetime,
) -> ClosureMessage:
    """Save the recruiter's text; a new draft becomes a ClosureMessage, which is returned."""
    if closure.status is ClosureStatus.SCHEDULED:
        raise ClosureError("This message is already scheduled; cancel it to change it.")
    edited = (subject, body) != (closure.subject, closure.body)
    if isinstance(closure, Draft):
        # Its text, key and status are set just below, as for a saved draft.
        closure = ClosureMessage(
            application=closure.application,
            revision=0,
            edited=False,
            created_at=closure.created_at or now,
        )
        db.session.add(closure)
    if edited:
        closure.edited = True
    closure.subject, closure.body, closure.template_key = subject.strip(), body, key
    closure.status = ClosureStatus.DRAFT
    closure.updated_at = now
    db.session.flush()
    return closure


def require_outcome(application: Application) -> None:
    """Refuse to approve one message while its application is still open.

    A closure tells the person it is over, so the pipeline must say so first. The close-out
    records the outcome of the open applications it closes before approving their messages;
    a message approved on its own needs the outcome recorded already.
    """
    if application.status.is_open:
        raise ClosureError(
            f"{application.candidate.name}: the application is still open "
            f"({application.status.label.lower()}). Record its outcome first, or approve the "
            "message from the requisition's close-out, which records it."
        )


@bulk
def approve(reviews: Sequence[tuple[Review, str]], *, actor: User, now: datetime) -> list[int]:
    """Approve every message and put it in the outbox, or none of them.

    Each item is ``(review, override_reason)``: a block finding needs the reason, which is
    audited. Everything is checked before anything is written; then the outbox rows, the
    closures and the audit events are each written with one multi-row statement, so a batch
    of thousands costs a fixed number of statements. Returns the outbox message ids (not yet
    committed). A refused batch raises ClosureError, or DuplicateMessage when one of the
    messages was enqueued meanwhile; either way the caller rolls back.
    """
    refused = []
    flagged = []  # each item's blocking findings, worked out once
    for item, reason in reviews:
        application = item.closure.application
        blocking = item.blocking
        flagged.append(blocking)
        if item.problems:
            refused.append(f"{application.candidate.name}: {' '.join(item.problems)}")
        elif blocking and not reason.strip():
            refused.append(
                f"{application.candidate.name}: reword the flagged phrases or give a reason "
                "to override."
            )
        elif item.closure.status is ClosureStatus.SCHEDULED:
            refused.append(f"{application.candidate.name}: already scheduled.")
        elif not application.status.is_open and application.status not in (
            ApplicationStatus.REJECTED,
            ApplicationStatus.WITHDRAWN,
        ):
            refused.append(f"{application.candidate.name} is {application.status.label}.")
    if refused:
        raise ClosureError(" ".join(refused))
    company = current_app.config["COMPANY_NAME"]
    sending = SendTimes.from_config(current_app.config)
    # Other closures to the same people, fetched once; each new one joins them below.
    times = closure_times(r.closure.application.candidate_id for r, _reason in reviews)
    senders: dict[Requisition, tuple[str, str]] = {}  # (Reply-To, sender name)
    new_messages = []
    for item, _reason in reviews:
        application = item.closure.application
        candidate, requisition = application.candidate, application.requisition
        sender = senders.get(requisition)
        if sender is None:
            owner = requisition.owner
            sender = senders[requisition] = (owner.email, f"{owner.name}, {company}")
        taken = times.setdefault(candidate.id, [])
        send_after = sending.after(application, now, taken)
        taken.append((application.id, send_after))
        new_messages.append(
            outbox.NewMessage(
                purpose=PURPOSE,
                idempotency_key=f"{PURPOSE}:{application.id}:{item.closure.revision + 1}",
                recipient=candidate.email,
                recipient_name=candidate.name,
                subject=item.subject,
                text_body=item.text,
                html_body=item.html,
                reply_to=sender[0],
                sender_name=sender[1],
                send_after=send_after,
                application=application,
            )
        )
    try:
        message_ids = outbox.enqueue_many(new_messages, now=now)
    except outbox.HeaderError as error:
        names = {m.idempotency_key: m.recipient_name for m in new_messages}
        key = getattr(error, "idempotency_key", new_messages[0].idempotency_key)
        detail = str(error).removeprefix(f"{key}: ")
        raise ClosureError(f"{names[key]}: {detail}") from error
    closure_ids = _write_approved(reviews, flagged, message_ids, actor=actor, now=now)
    # One event per requisition for the one act of approving: each closure row keeps its own
    # approver and time, and a close-out of thousands adds one row here, not thousands.
    approved: dict[int, dict[str, list[int]]] = {}
    for (item, _reason), closure_id, message_id in zip(
        reviews, closure_ids, message_ids, strict=True
    ):
        lists = approved.setdefault(
            item.closure.application.requisition_id,
            {"closure_messages": [], "outbox_messages": []},
        )
        lists["closure_messages"].append(closure_id)
        lists["outbox_messages"].append(message_id)
    audit.record_many("closure.approved", Requisition, approved.items(), actor=actor, now=now)
    audit.record_many(
        "closure.override",
        ClosureMessage,
        (
            (closure_id, {"rules": sorted({f.rule for f in blocking}), "reason": reason.strip()})
            for (_item, reason), blocking, closure_id in zip(
                reviews, flagged, closure_ids, strict=True
            )
            if blocking
        ),
        actor=actor,
        now=now,
    )
    return message_ids


def _write_approved(
    reviews: Sequence[tuple[Review, str]],
    flagged: Sequence[list[Finding]],
    message_ids: list[int],
    *,
    actor: User,
    now: datetime,
) -> list[int]:
    """Write the approved closures with one multi-row statement each for new and saved
    drafts; returns their ids in order.

    The rows are written directly, not through the session's unit of work, which would cost
    about half a millisecond per closure. Saved drafts are expired so they reload if read
    again; new drafts are left as they were, outside the session.
    """
    table = ClosureMessage.__table__
    new_rows, saved_rows = [], []
    # Each closure's id, or its application's while it has none; read before any expiry.
    keys: list[tuple[bool, int]] = []
    for (item, reason), blocking, message_id in zip(reviews, flagged, message_ids, strict=True):
        closure = item.closure
        row = {
            "revision": closure.revision + 1,
            "status": ClosureStatus.SCHEDULED,
            "findings": [f.to_dict() for f in item.findings],
            "override_reason": reason.strip() if blocking else "",
            "approved_by_id": actor.id,
            "approved_at": now,
            "updated_at": now,
            "outbox_message_id": message_id,
        }
        if closure.id is None:
            row["application_id"] = closure.application.id
            row["template_key"] = closure.template_key
            row["subject"] = closure.subject
            row["body"] = closure.body
            row["edited"] = bool(closure.edited)
            row["held_reason"] = closure.held_reason or ""
            row["created_at"] = closure.created_at or now
            new_rows.append(row)
            keys.append((True, row["application_id"]))
        else:
            row["closure_id"] = closure.id
            saved_rows.append(row)
            keys.append((False, closure.id))
    if saved_rows:
        db.session.execute(
            update(table).where(table.c.id == bindparam("closure_id")),
            saved_rows,
        )
        for item, _reason in reviews:
            if item.closure.id is not None:
                db.session.expire(item.closure)
    ids: dict[int, int] = {}
    if new_rows:
        try:
            insert_rows(table, new_rows)
        except IntegrityError as error:
            raise ClosureError(
                "Another closure was saved for one of these candidates meanwhile; "
                "reload the page and approve again."
            ) from error
        found = db.session.execute(
            select(table.c.application_id, table.c.id).where(
                in_batch(table.c.application_id, [row["application_id"] for row in new_rows])
            )
        )
        ids.update(found.all())
    return [ids[key] if is_new else key for is_new, key in keys]


def closure_times(candidate_ids: Iterable[int]) -> dict[int, list[tuple[int, datetime]]]:
    """Per person, the (application, send or delivery time) of closures still going or gone,
    in one query for a whole batch."""
    rows = db.session.execute(
        select(
            Application.candidate_id,
            Application.id,
            func.coalesce(OutboxMessage.delivered_at, OutboxMessage.next_attempt_at),
        )
        .join(Application, Application.id == OutboxMessage.application_id)
        .where(
            in_batch(Application.candidate_id, set(candidate_ids)),
            OutboxMessage.purpose == PURPOSE,
            OutboxMessage.status.not_in([DeliveryStatus.CANCELLED, DeliveryStatus.FAILED]),
        )
    )
    times: dict[int, list[tuple[int, datetime]]] = {}
    for candidate_id, application_id, when in rows:
        times.setdefault(candidate_id, []).append((application_id, when))
    return times


@dataclass(frozen=True)
class SendTimes:
    """When closures may go out: the settings read once for a whole batch, and the first
    possible moment worked out once per time zone."""

    holidays: frozenset
    hour: int
    cool_off: str
    _first: dict = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_config(cls, config) -> "SendTimes":
        return cls(
            frozenset(promise_policy(config).holidays),
            config["CLOSURE_SEND_HOUR"],
            config["CLOSURE_COOL_OFF"],
        )

    def after(
        self, application: Application, now: datetime, times: list[tuple[int, datetime]]
    ) -> datetime:
        """After the cool-off, and never on the same day as another closure to this person.

        ``times`` are this person's other closures (from ``closure_times``).
        """
        zone = application.candidate.timezone
        when = self._first.get((now, zone))
        if when is None:
            when = self._first[now, zone] = wording.closure_send_after(
                now,
                candidate_zone=zone,
                holidays=self.holidays,
                hour=self.hour,
                cool_off=self.cool_off,
            )
        taken = [t for application_id, t in times if application_id != application.id]
        if not taken:
            return when
        for _ in range(len(taken) + 1):
            if not any(wording.same_day(when, t, zone) for t in taken):
                break
            when = wording.closure_send_after(
                when,
                candidate_zone=zone,
                holidays=self.holidays,
                hour=self.hour,
                cool_off="next_business_morning",
            )
        return when


def cancel(closure: ClosureMessage, *, actor: User | None, now: datetime, reason: str) -> bool:
    """Cancel a scheduled closure that has not gone out; False when it already went."""
    message = closure.outbox_message
    if closure.status is not ClosureStatus.SCHEDULED:
        return False
    if message is not None and not message.status.is_pending:
        return False
    if message is not None:
        outbox.cancel(message, reason=reason, now=now)
    closure.status = ClosureStatus.CANCELLED
    closure.updated_at = now
    audit.record("closure.cancelled", closure, actor=actor, now=now, reason=reason)
    return True


def cancel_for_status_change(application: Application, *, actor: User | None, now: datetime):
    """The application changed status before its closure went out: the closure is off."""
    closure = db.session.scalar(
        select(ClosureMessage).where(ClosureMessage.application_id == application.id)
    )
    if closure is not None:
        cancel(closure, actor=actor, now=now, reason="application status changed")


def delivery_counts(requisition_id: int) -> dict[DeliveryStatus, int]:
    """How the requisition's closure messages stand in the outbox, in one query."""
    rows = db.session.execute(
        select(OutboxMessage.status, func.count())
        .join(Application, Application.id == OutboxMessage.application_id)
        .join(ClosureMessage, ClosureMessage.outbox_message_id == OutboxMessage.id)
        .where(Application.requisition_id == requisition_id)
        .group_by(OutboxMessage.status)
    )
    return {status: count for status, count in rows}  # noqa: C416 (rows are Row objects)


# Statuses whose applications are owed a closure message, as the domain rule says.
NEEDS_CLOSURE = tuple(status for status in ApplicationStatus if needs_closure(status))


def closure_completeness(requisition_id: int) -> tuple[int, int]:
    """(delivered, needed): of the requisition's applications owed a closure message, how
    many have theirs delivered. Scheduled, failed or cancelled messages do not count: a
    candidate is closed only once the message reached them. One query."""
    row = db.session.execute(
        select(
            func.count(Application.id),
            func.count(OutboxMessage.id).filter(OutboxMessage.status == DeliveryStatus.DELIVERED),
        )
        .select_from(Application)
        .outerjoin(ClosureMessage, ClosureMessage.application_id == Application.id)
        .outerjoin(OutboxMessage, OutboxMessage.id == ClosureMessage.outbox_message_id)
        .where(
            Application.requisition_id == requisition_id,
            Application.status.in_(NEEDS_CLOSURE),
        )
    ).one()
    needed, done = row
    return done, needed


def undelivered_closures(requisition_id: int) -> list[OutboxMessage]:
    """The requisition's approved closures whose message finally failed, newest failure
    first: those candidates are not closed until the address is fixed and it is resent.
    One query."""
    return list(
        db.session.scalars(
            select(OutboxMessage)
            .join(ClosureMessage, ClosureMessage.outbox_message_id == OutboxMessage.id)
            .join(Application, Application.id == ClosureMessage.application_id)
            .join(Candidate, Candidate.id == Application.candidate_id)
            .where(
                Application.requisition_id == requisition_id,
                ClosureMessage.status == ClosureStatus.SCHEDULED,
                OutboxMessage.status == DeliveryStatus.FAILED,
                Candidate.anonymised_at.is_(None),
            )
            .options(
                contains_eager(OutboxMessage.application).contains_eager(Application.candidate)
            )
            .order_by(OutboxMessage.last_attempt_at.desc().nulls_last(), OutboxMessage.id)
        )
    )


def send_all_now(requisition_id: int, *, actor: User, now: datetime) -> int:
    """Every closure of the requisition still waiting for its cool-off goes with the next run."""
    messages = db.session.scalars(
        select(OutboxMessage)
        .join(ClosureMessage, ClosureMessage.outbox_message_id == OutboxMessage.id)
        .join(Application, Application.id == OutboxMessage.application_id)
        .where(
            Application.requisition_id == requisition_id,
            OutboxMessage.status == DeliveryStatus.SCHEDULED,
            OutboxMessage.next_attempt_at > now,
        )
    ).all()
    for message in messages:
        message.send_after = message.next_attempt_at = now
    if messages:
        audit.record(
            "closure.send_all_now",
            messages[0].application.requisition,
            actor=actor,
            now=now,
            count=len(messages),
        )
    return len(messages)


def send_now(closure: ClosureMessage, *, actor: User, now: datetime) -> None:
    message = closure.outbox_message
    if message is None or message.status is not DeliveryStatus.SCHEDULED:
        raise ClosureError("Only a scheduled message can be sent now.")
    message.send_after = message.next_attempt_at = now
    audit.record("closure.send_now", closure, actor=actor, now=now)
