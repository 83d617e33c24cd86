"""The sweep: the steps that see to it that no candidate is left waiting, in the order
``flask sweep`` runs them.

Each step is a verb-named function of ``now`` and the settings: it decides with the pure rules
in ``recruitcare.domain.sweep``, adds and flushes, and returns what it did; the command commits
after each step. Every step is idempotent: a second run at the same moment finds nothing to do,
because what it sends carries an idempotency key and what it changes no longer qualifies.
"""

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from urllib.parse import urlsplit

from flask import current_app, render_template
from sqlalchemy import and_, exists, func, or_, select, text
from sqlalchemy.orm import joinedload, selectinload

from recruitcare.domain.deadlines import PromisePolicy
from recruitcare.domain.enums import (
    OPEN_APPLICATION_STATUSES,
    ApplicationStatus,
    CandidateUpdateStatus,
    DeliveryStatus,
    InterimPolicy,
    Role,
    ScorecardStatus,
)
from recruitcare.domain.sweep import (
    DutyState,
    DutyToInformPolicy,
    Escalation,
    LapseAction,
    SweepLimits,
    digest_day,
    digest_key,
    due_soon_horizon,
    duty_applies,
    duty_due_at,
    duty_kept_until,
    duty_state,
    escalation_for,
    escalation_recipients,
    lapsed_promise,
    needs_scorecard_reminder,
)
from recruitcare.domain.words import plural
from recruitcare.extensions import db
from recruitcare.models import (
    Application,
    Candidate,
    CandidateUpdate,
    DigestSent,
    DutyToInformRecord,
    Interview,
    OutboxMessage,
    Requisition,
    Scorecard,
    StageOutcome,
    User,
    interview_interviewers,
)
from recruitcare.outbox import services as outbox
from recruitcare.pipeline.services import finish_closing
from recruitcare.policies import duty_policy, promise_policy, sweep_limits
from recruitcare.sweep import updates

DIGEST_PURPOSE = "digest"
# Messages that tell an interviewed candidate whether a decision has been made.
INFORMING_PURPOSES = (
    "closure",
    updates.INTERIM_PURPOSE,
    updates.LATE_PURPOSE,
    updates.STATUS_PURPOSE,
)


@dataclass(frozen=True)
class SweepSettings:
    """Everything the steps read from config, built once at the edge."""

    limits: SweepLimits
    calendar: PromisePolicy
    duty: DutyToInformPolicy | None
    headcount: int | None
    duty_warning_days: int
    base_url: str

    @classmethod
    def from_config(cls, config) -> "SweepSettings":
        return cls(
            limits=sweep_limits(config),
            calendar=promise_policy(config),
            duty=duty_policy(config),
            headcount=config["EMPLOYER_HEADCOUNT"],
            duty_warning_days=config["DUTY_TO_INFORM_WARNING_DAYS"],
            base_url=config["BASE_URL"],
        )


@dataclass
class StepResult:
    """What one step did, printed as one line."""

    name: str
    counts: dict[str, int] = field(default_factory=dict)
    note: str = ""

    def line(self) -> str:
        parts = ", ".join(f"{count} {what}" for what, count in self.counts.items())
        return f"{self.name}: {parts or 'nothing to do'}" + (f" ({self.note})" if self.note else "")


Step = Callable[[datetime, SweepSettings], StepResult]


# ---- helpers ----------------------------------------------------------------------------------


class Links:
    """Absolute links into RecruitCare for email, built from BASE_URL outside any request."""

    def __init__(self, base_url: str):
        parts = urlsplit(base_url)
        self.adapter = current_app.url_map.bind(
            parts.netloc, script_name=parts.path or "/", url_scheme=parts.scheme or "https"
        )

    def __call__(self, endpoint: str, **values) -> str:
        return self.adapter.build(endpoint, values, force_external=True)


def lock_step(name: str) -> bool:
    """On PostgreSQL, only one sweep runs a step at a time (until the step's transaction ends);
    a second one skips it. SQLite serialises writers by itself."""
    if db.session.get_bind().dialect.name != "postgresql":
        return True
    key = int.from_bytes(f"sweep:{name}".encode()[:8].ljust(8, b"\0"), "big", signed=True)
    return bool(db.session.scalar(text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": key}))


def _digests_sent(kind: str, day: date) -> set[int]:
    return set(
        db.session.scalars(
            select(DigestSent.user_id).where(DigestSent.kind == kind, DigestSent.day == day)
        )
    )


def send_digest(
    user: User, *, kind: str, day: date, subject: str, template: str, now: datetime, **context
) -> OutboxMessage:
    """One digest email, text and HTML from the Jinja files in templates/sweep/ (values are
    escaped in the HTML; nothing a recruiter typed is ever run as a template)."""
    context.update(user=user, day=day)
    message = outbox.enqueue(
        purpose=DIGEST_PURPOSE,
        idempotency_key=digest_key(kind, user.id, day),
        recipient=user.email,
        recipient_name=user.name,
        subject=subject,
        text_body=render_template(f"sweep/{template}.txt", **context),
        html_body=render_template(f"sweep/{template}.html", **context),
        sender_name="RecruitCare",
        send_after=now,
        now=now,
    )
    db.session.add(
        DigestSent(
            user=user,
            kind=kind,
            day=day,
            items=context.get("count", 0),
            outbox_message=message,
            sent_at=now,
        )
    )
    return message


# ---- 1. scorecard reminders -------------------------------------------------------------------


@dataclass(frozen=True)
class PendingScorecard:
    interview: Interview
    late_since: datetime


def remind_interviewers(now: datetime, settings: SweepSettings) -> StepResult:
    """One digest a day to each interviewer with scorecards still missing after the limit."""
    result = StepResult("scorecard reminders", {"digests": 0, "scorecards": 0})
    limits, calendar = settings.limits, settings.calendar
    day = digest_day(now, calendar.zone, calendar.holidays, limits.digest_hour)
    if day is None:
        result.note = "digests wait for a business day"
        return result
    interviewer = interview_interviewers.c.user_id
    submitted = exists().where(
        Scorecard.interview_id == Interview.id,
        Scorecard.interviewer_id == interviewer,
        Scorecard.status == ScorecardStatus.SUBMITTED,
    )
    rows = db.session.execute(
        select(Interview, User)
        .join(interview_interviewers, interview_interviewers.c.interview_id == Interview.id)
        .join(User, User.id == interviewer)
        .join(Application, Application.id == Interview.application_id)
        .join(Candidate, Candidate.id == Application.candidate_id)
        .where(
            Interview.scheduled_at <= now,
            Interview.scheduled_at >= now - timedelta(days=limits.scorecard_reminder_window_days),
            User.active,
            Candidate.anonymised_at.is_(None),
            ~submitted,
            User.id.not_in(_digests_sent("scorecards", day)),
        )
        .options(
            joinedload(Interview.application).joinedload(Application.candidate),
            joinedload(Interview.application).joinedload(Application.requisition),
            joinedload(Interview.stage),
        )
        .order_by(Interview.scheduled_at, Interview.id)
    )
    waiting: dict[int, tuple[User, list[Interview]]] = {}
    for interview, user in rows:
        if needs_scorecard_reminder(
            interview.scheduled_at,
            now,
            days=limits.scorecard_reminder_days,
            window_days=limits.scorecard_reminder_window_days,
            zone=calendar.zone,
            holidays=calendar.holidays,
        ):
            waiting.setdefault(user.id, (user, []))[1].append(interview)
    links = Links(settings.base_url)
    for user, interviews in waiting.values():
        send_digest(
            user,
            kind="scorecards",
            day=day,
            subject=f"{plural(len(interviews), 'scorecard')} waiting for you",
            template="digest_scorecards",
            now=now,
            interviews=interviews,
            count=len(interviews),
            links=links,
            days=limits.scorecard_reminder_days,
        )
        result.counts["digests"] += 1
        result.counts["scorecards"] += len(interviews)
    db.session.flush()
    return result


# ---- duty to inform ---------------------------------------------------------------------------


def track_duty_to_inform(now: datetime, settings: SweepSettings) -> StepResult:
    """Open a record for each interviewed candidate the jurisdiction's rule covers, and note
    when and how each was told whether a decision has been made."""
    result = StepResult("duty to inform", {"new": 0, "told": 0, "past deadline": 0})
    policy, zone = settings.duty, settings.calendar.zone
    if policy is None:
        result.note = "no jurisdiction policy configured"
        return result
    if settings.headcount is not None and settings.headcount < policy.min_employees:
        result.note = f"{policy.name} exempts employers under {policy.min_employees} employees"
        return result
    # The duty runs from the last interview, so a later interview moves an open record on.
    since = now - timedelta(days=2 * policy.days)
    last = (
        select(Interview.application_id, func.max(Interview.scheduled_at).label("last"))
        .where(Interview.scheduled_at <= now, Interview.scheduled_at >= since)
        .group_by(Interview.application_id)
        .subquery()
    )
    interviewed = db.session.execute(
        select(last.c.application_id, last.c.last, Requisition.publicly_advertised)
        .join(Application, Application.id == last.c.application_id)
        .join(Requisition, Requisition.id == Application.requisition_id)
    ).all()
    records: dict[int, list[DutyToInformRecord]] = defaultdict(list)
    for record in db.session.scalars(
        select(DutyToInformRecord).where(
            DutyToInformRecord.application_id.in_([row[0] for row in interviewed])
        )
    ):
        records[record.application_id].append(record)
    for application_id, last_at, advertised in interviewed:
        if not duty_applies(
            policy,
            headcount=settings.headcount,
            publicly_advertised=advertised,
            last_interview_at=last_at,
            zone=zone,
        ):
            continue
        existing = records[application_id]
        if any(r.last_interview_at == last_at for r in existing):
            continue
        untold = next((r for r in existing if r.informed_at is None), None)
        if untold is not None:
            untold.last_interview_at = last_at
            untold.due_at = duty_due_at(policy, last_at, zone)
            continue
        db.session.add(
            DutyToInformRecord(
                application_id=application_id,
                policy=policy.key,
                last_interview_at=last_at,
                due_at=duty_due_at(policy, last_at, zone),
                created_at=now,
            )
        )
        result.counts["new"] += 1
    db.session.flush()
    result.counts["told"] = _note_informed(policy, now)
    result.counts["past deadline"] = db.session.scalar(
        select(func.count())
        .select_from(DutyToInformRecord)
        .where(DutyToInformRecord.informed_at.is_(None), DutyToInformRecord.due_at < now)
    )
    return result


def _note_informed(policy: DutyToInformPolicy, now: datetime) -> int:
    """The first delivered message after the last interview tells the candidate; a hire
    knows by their offer."""
    told = 0
    rows = db.session.execute(
        select(DutyToInformRecord, OutboxMessage)
        .join(
            OutboxMessage,
            and_(
                OutboxMessage.application_id == DutyToInformRecord.application_id,
                OutboxMessage.status == DeliveryStatus.DELIVERED,
                OutboxMessage.purpose.in_(INFORMING_PURPOSES),
                OutboxMessage.delivered_at >= DutyToInformRecord.last_interview_at,
            ),
        )
        .where(DutyToInformRecord.informed_at.is_(None))
        .order_by(OutboxMessage.delivered_at, OutboxMessage.id)
    )
    for record, message in rows:
        if record.informed_at is None:
            record.informed_at = message.delivered_at
            record.how = message.purpose
            record.outbox_message_id = message.id
            record.kept_until = duty_kept_until(policy, message.delivered_at)
            told += 1
    for record, closed_at in db.session.execute(
        select(DutyToInformRecord, Application.closed_at)
        .join(Application, Application.id == DutyToInformRecord.application_id)
        .where(
            DutyToInformRecord.informed_at.is_(None),
            Application.status == ApplicationStatus.HIRED,
        )
    ):
        record.informed_at = max(closed_at or now, record.last_interview_at)
        record.how = "hired"
        record.kept_until = duty_kept_until(policy, record.informed_at)
        told += 1
    db.session.flush()
    return told


def record_informed(
    application: Application, *, how: str, actor: User, now: datetime, policy: DutyToInformPolicy
) -> int:
    """A recruiter told the candidate outside RecruitCare (by phone, in person): every open
    duty of the application is met now. Returns how many."""
    from recruitcare import audit

    records = db.session.scalars(
        select(DutyToInformRecord).where(
            DutyToInformRecord.application_id == application.id,
            DutyToInformRecord.informed_at.is_(None),
            DutyToInformRecord.last_interview_at <= now,
        )
    ).all()
    for record in records:
        record.informed_at = now
        record.how = how
        record.kept_until = duty_kept_until(policy, now)
    if records:
        application.last_contact_at = now
        audit.record("duty_to_inform.recorded", application, actor=actor, now=now, how=how)
    db.session.flush()
    return len(records)


def duty_records(application_id: int) -> list[DutyToInformRecord]:
    return list(
        db.session.scalars(
            select(DutyToInformRecord)
            .where(DutyToInformRecord.application_id == application_id)
            .order_by(DutyToInformRecord.last_interview_at.desc())
        )
    )


# ---- 2. escalations ---------------------------------------------------------------------------


@dataclass(frozen=True)
class EscalationItem:
    escalation: Escalation
    application: Application


@dataclass(frozen=True)
class DutyItem:
    record: DutyToInformRecord
    state: DutyState


def _key(escalation: Escalation) -> str:
    return escalation.value.replace("_", " ")


def _hiring_managers(requisition: Requisition) -> list[User]:
    return [m for m in requisition.members if m.role is Role.HIRING_MANAGER]


def escalate_promises(now: datetime, settings: SweepSettings) -> StepResult:
    """One digest a day per person: promises due soon to the owning recruiter; overdue,
    extended and must-decide ones, and duties to inform coming due, to the hiring managers too."""
    counts = dict.fromkeys(("digests", *(_key(e) for e in Escalation), "duty to inform"), 0)
    result = StepResult("escalations", counts)
    limits, calendar = settings.limits, settings.calendar
    day = digest_day(now, calendar.zone, calendar.holidays, limits.digest_hour)
    if day is None:
        result.note = "digests wait for a business day"
        return result
    horizon = due_soon_horizon(now, calendar.zone, calendar.holidays, limits.warning_days)
    applications = db.session.scalars(
        select(Application)
        .join(Application.candidate)
        .where(
            Application.status.in_(OPEN_APPLICATION_STATUSES),
            Candidate.anonymised_at.is_(None),
            or_(
                Application.decision_due_at < horizon,
                Application.promise_extensions > 0,
                Application.must_decide_since.is_not(None),
            ),
        )
        .options(
            joinedload(Application.candidate),
            joinedload(Application.stage),
            joinedload(Application.requisition).joinedload(Requisition.owner),
            joinedload(Application.requisition).selectinload(Requisition.members),
        )
        .order_by(Application.decision_due_at, Application.id)
    ).all()
    people: dict[int, User] = {}
    items: dict[int, list[EscalationItem]] = defaultdict(list)
    for application in applications:
        escalation = escalation_for(
            application.decision_due_at,
            now,
            extensions=application.promise_extensions,
            must_decide=application.must_decide_since is not None,
            zone=calendar.zone,
            holidays=calendar.holidays,
            warning_days=limits.warning_days,
        )
        if escalation is None:
            continue
        result.counts[_key(escalation)] += 1
        requisition = application.requisition
        managers = _hiring_managers(requisition)
        people.update({u.id: u for u in [requisition.owner, *managers]})
        for user_id in escalation_recipients(
            escalation, requisition.owner_id, [m.id for m in managers]
        ):
            items[user_id].append(EscalationItem(escalation, application))
    duties: dict[int, list[DutyItem]] = defaultdict(list)
    for record in _duties_needing_action(now, settings.duty_warning_days):
        state = duty_state(record.due_at, None, now, warning_days=settings.duty_warning_days)
        result.counts["duty to inform"] += 1
        requisition = record.application.requisition
        managers = _hiring_managers(requisition)
        people.update({u.id: u for u in [requisition.owner, *managers]})
        for user_id in dict.fromkeys([requisition.owner_id, *(m.id for m in managers)]):
            duties[user_id].append(DutyItem(record, state))
    already = _digests_sent("escalation", day)
    links = Links(settings.base_url)
    for user_id in sorted(set(items) | set(duties)):
        user = people[user_id]
        if user_id in already or not user.active:
            continue
        mine = sorted(items[user_id], key=lambda i: (i.escalation.rank, i.application.id))
        count = len(mine) + len(duties[user_id])
        send_digest(
            user,
            kind="escalation",
            day=day,
            subject=f"{plural(count, 'candidate')} waiting on a decision",
            template="digest_escalation",
            now=now,
            groups=[(e, [i for i in mine if i.escalation is e]) for e in Escalation],
            duties=duties[user_id],
            count=count,
            links=links,
            warning_days=limits.warning_days,
        )
        result.counts["digests"] += 1
    db.session.flush()
    return result


def _duties_needing_action(now: datetime, warning_days: int) -> Iterable[DutyToInformRecord]:
    return db.session.scalars(
        select(DutyToInformRecord)
        .join(Application, Application.id == DutyToInformRecord.application_id)
        .join(Candidate, Candidate.id == Application.candidate_id)
        .where(
            DutyToInformRecord.informed_at.is_(None),
            DutyToInformRecord.due_at <= now + timedelta(days=warning_days),
            Candidate.anonymised_at.is_(None),
        )
        .options(
            joinedload(DutyToInformRecord.application).joinedload(Application.candidate),
            joinedload(DutyToInformRecord.application)
            .joinedload(Application.requisition)
            .joinedload(Requisition.owner),
            joinedload(DutyToInformRecord.application)
            .joinedload(Application.requisition)
            .selectinload(Requisition.members),
        )
        .order_by(DutyToInformRecord.due_at)
    )


# ---- 3. interim updates -----------------------------------------------------------------------


def send_interim_updates(now: datetime, settings: SweepSettings) -> StepResult:
    """Every lapsed promise gets an honest interim update and a new date (or is queued for the
    recruiter's approval, by the requisition's policy); past the limit, it must be decided, and
    the candidate is told the decision is late each time the date they were given passes."""
    result = StepResult(
        "interim updates",
        {"sent": 0, "for approval": 0, "must decide": 0, "late notices": 0, "could not be sent": 0},
    )
    limits, calendar = settings.limits, settings.calendar
    awaiting_approval = exists().where(
        CandidateUpdate.application_id == Application.id,
        CandidateUpdate.kind == "interim",
        CandidateUpdate.status == CandidateUpdateStatus.PENDING,
    )
    lapsed = db.session.scalars(
        select(Application)
        .join(Application.candidate)
        .where(
            Application.status.in_(OPEN_APPLICATION_STATUSES),
            Application.decision_due_at <= now,
            Candidate.anonymised_at.is_(None),
            ~awaiting_approval,
        )
        .options(
            joinedload(Application.candidate),
            joinedload(Application.stage),
            joinedload(Application.requisition).joinedload(Requisition.owner),
            selectinload(Application.outcomes).joinedload(StageOutcome.reason),
        )
        .order_by(Application.decision_due_at, Application.id)
    ).all()
    rules = {
        "max_extensions": limits.max_extensions,
        "extension_days": limits.extension_days,
        "overdue_notice_days": limits.overdue_notice_days,
        "zone": calendar.zone,
        "holidays": calendar.holidays,
    }
    for application in lapsed:
        due_at, extensions = application.decision_due_at, application.promise_extensions
        must_decide = application.must_decide_since is not None
        lapse = lapsed_promise(due_at, now, extensions=extensions, must_decide=must_decide, **rules)
        if lapse.action is LapseAction.EXTEND:
            if application.requisition.interim_policy is InterimPolicy.APPROVE:
                updates.queue_for_approval(application, now=now)
                result.counts["for approval"] += 1
                continue
            try:
                updates.send_interim_update(application, lapse, now=now)
            except updates.UpdateError:
                # The interim wording cannot be sent: a person has to act today, and the
                # candidate hears that the decision is late instead.
                lapse = lapsed_promise(
                    due_at, now, extensions=extensions, must_decide=True, **rules
                )
            else:
                result.counts["sent"] += 1
                continue
        if lapse.action is LapseAction.MUST_DECIDE:
            try:
                updates.send_overdue_notice(application, lapse, now=now)
            except updates.UpdateError:
                result.counts["could not be sent"] += 1
            else:
                result.counts["late notices"] += 1
            result.counts["must decide"] += not must_decide
    db.session.flush()
    return result


# ---- 4. scheduled messages --------------------------------------------------------------------


def count_due_messages(now: datetime, settings: SweepSettings) -> StepResult:
    """Scheduled messages that are due go out with the outbox worker (``flask outbox run``),
    which claims them safely beside other workers; the sweep only says how many wait."""
    due = db.session.scalar(
        select(func.count())
        .select_from(OutboxMessage)
        .where(
            OutboxMessage.status.in_([DeliveryStatus.SCHEDULED, DeliveryStatus.RETRYING]),
            OutboxMessage.next_attempt_at <= now,
        )
    )
    return StepResult("scheduled messages", {"due for the outbox worker": due})


def finish_closing_requisitions(now: datetime, settings: SweepSettings) -> StepResult:
    """Requisitions filled or cancelled while closures were on their way close once every
    candidate's message is delivered (the outbox worker does this too, after each batch)."""
    return StepResult("closing requisitions", {"closed": finish_closing(now=now)})


# ---- 4b. data retention ------------------------------------------------------------------------


def apply_retention(now: datetime, settings: SweepSettings) -> StepResult:
    """Anonymise people whose data is past RETENTION_MONTHS (unless a consent is valid).

    Anonymising blanks names, addresses and free text but keeps every row, so duty-to-inform
    records stay until their ``kept_until`` with their dates and how the person was told.
    """
    from recruitcare.privacy.services import apply_retention as anonymise_expired

    count = anonymise_expired(now=now, months=current_app.config["RETENTION_MONTHS"])
    return StepResult("retention", {"people anonymised": count})


# The steps, in order; ``flask sweep`` commits after each. The duty-to-inform records are
# brought up to date before the escalations, which report the duties coming due.
STEPS: tuple[Step, ...] = (
    remind_interviewers,
    track_duty_to_inform,
    escalate_promises,
    send_interim_updates,
    count_due_messages,
    finish_closing_requisitions,
    apply_retention,
)
