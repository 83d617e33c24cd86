"""Operations on requisitions and applications. They flush; the caller commits."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, case, exists, func, select

from recruitcare import audit
from recruitcare.domain.deadlines import PromisePolicy
from recruitcare.domain.enums import (
    OPEN_APPLICATION_STATUSES,
    ApplicationStatus,
    Decision,
    DeliveryStatus,
    InterimPolicy,
    OutcomeStatus,
    RequisitionStatus,
    StatusUpdatePolicy,
)
from recruitcare.domain.pipeline import (
    DEFAULT_STAGES,
    TransitionError,
    apply_decision,
    can_undo,
)
from recruitcare.domain.words import plural
from recruitcare.extensions import db
from recruitcare.models import (
    Application,
    Candidate,
    Criterion,
    Interview,
    OutboxMessage,
    Reason,
    Requisition,
    Stage,
    StageOutcome,
    User,
)


class PipelineError(ValueError):
    """A pipeline request that cannot be done; the message is safe to show."""


# Finished applications that are owed a closure message.
CLOSURE_OWED = (ApplicationStatus.REJECTED, ApplicationStatus.WITHDRAWN)


def create_requisition(
    *,
    title: str,
    owner: User,
    actor: User | None,
    now: datetime,
    team: str = "",
    location: str = "",
    role_family: str = "",
    members: Iterable[User] = (),
    criteria: Sequence[tuple[str, str]] = (),
    stages: Sequence[tuple[str, bool]] = DEFAULT_STAGES,
    promise_days: int = 7,
) -> Requisition:
    requisition = Requisition(
        title=title.strip(),
        team=team.strip(),
        location=location.strip(),
        role_family=role_family.strip(),
        owner=owner,
        status=RequisitionStatus.OPEN,
        created_at=now,
        members=list(members),
        criteria=[
            Criterion(position=i, name=name, description=description)
            for i, (name, description) in enumerate(criteria)
        ],
        stages=[
            Stage(position=i, name=name, is_interview=interview, promise_days=promise_days)
            for i, (name, interview) in enumerate(stages)
        ],
    )
    db.session.add(requisition)
    db.session.flush()
    audit.record("requisition.created", requisition, actor=actor, now=now, title=requisition.title)
    return requisition


def set_requisition_status(
    requisition: Requisition, status: RequisitionStatus, *, actor: User | None, now: datetime
) -> None:
    """Any explicit status replaces a close-out still waiting for its deliveries."""
    requisition.closing_as = None
    if requisition.status is status:
        return
    audit.record(
        "requisition.status_changed",
        requisition,
        actor=actor,
        now=now,
        old=requisition.status.value,
        new=status.value,
    )
    requisition.status = status
    closing = status in (RequisitionStatus.FILLED, RequisitionStatus.CANCELLED)
    requisition.closed_at = now if closing else None


def close_when_delivered(
    requisition: Requisition, status: RequisitionStatus, *, actor: User, now: datetime
) -> bool:
    """Mark the requisition filled or cancelled now if every candidate's closure has been
    delivered, or else as soon as the last one is (``finish_closing``). Returns whether it
    closed now. Every candidate must have a final outcome first: raises CloseOutNeeded."""
    remaining = closeout_remaining(requisition.id)
    if remaining.undecided:
        raise CloseOutNeeded(remaining, CLOSING_STATUSES[status])
    if not remaining.undelivered:
        set_requisition_status(requisition, status, actor=actor, now=now)
        return True
    if requisition.closing_as is not status:
        audit.record(
            "requisition.closing",
            requisition,
            actor=actor,
            now=now,
            status=status.value,
            undelivered=remaining.undelivered,
        )
    requisition.closing_as = status
    return False


def finish_closing(*, now: datetime) -> int:
    """Requisitions waiting to close whose candidates all have a delivered closure now get
    their status; returns how many. A failed delivery keeps its requisition waiting."""
    closed = 0
    for requisition in db.session.scalars(
        select(Requisition).where(Requisition.closing_as.is_not(None)).order_by(Requisition.id)
    ):
        if not closeout_remaining(requisition.id).total:
            set_requisition_status(requisition, requisition.closing_as, actor=None, now=now)
            closed += 1
    db.session.flush()
    return closed


CLOSING_STATUSES = {RequisitionStatus.FILLED: "fill", RequisitionStatus.CANCELLED: "cancel"}


@dataclass(frozen=True)
class CloseOutRemaining:
    """Applications that stop a requisition from closing."""

    # Still open: no final outcome yet.
    undecided: int
    # Rejected or withdrawn, but their closure message has not been delivered.
    undelivered: int

    @property
    def total(self) -> int:
        return self.undecided + self.undelivered

    def explain(self) -> str:
        parts = []
        if self.undecided:
            n = self.undecided
            parts.append(f"{plural(n, 'candidate')} still without a final outcome")
        if self.undelivered:
            n = self.undelivered
            parts.append(f"{plural(n, 'closure message')} not delivered yet")
        return " and ".join(parts)


class CloseOutNeeded(PipelineError):
    """The requisition cannot close while candidates are still waiting to hear."""

    def __init__(self, remaining: CloseOutRemaining, mode: str):
        super().__init__(
            f"This requisition cannot be closed yet: {remaining.explain()}. "
            "Close out the remaining candidates first."
        )
        self.remaining = remaining
        self.mode = mode


def closeout_remaining(requisition_id: int) -> CloseOutRemaining:
    """Who still waits: open applications, and finished ones whose closure was not delivered
    (anonymised people excepted: there is nobody left to write to). One query."""
    delivered = exists().where(
        OutboxMessage.application_id == Application.id,
        OutboxMessage.purpose == "closure",
        OutboxMessage.status == DeliveryStatus.DELIVERED,
    )
    is_open = Application.status.in_(OPEN_APPLICATION_STATUSES)
    owed = and_(Application.status.in_(CLOSURE_OWED), ~delivered)
    undecided, undelivered = db.session.execute(
        select(func.count(case((is_open, 1))), func.count(case((owed, 1))))
        .select_from(Application)
        .join(Application.candidate)
        .where(Application.requisition_id == requisition_id, Candidate.anonymised_at.is_(None))
    ).one()
    return CloseOutRemaining(undecided, undelivered)


def check_can_close(requisition: Requisition, status: RequisitionStatus) -> None:
    """A requisition is marked filled or cancelled only when every candidate has a final
    outcome and a delivered closure; otherwise raises CloseOutNeeded."""
    mode = CLOSING_STATUSES.get(status)
    if mode is None or requisition.status is status or requisition.id is None:
        return
    remaining = closeout_remaining(requisition.id)
    if remaining.total:
        raise CloseOutNeeded(remaining, mode)


def find_or_create_candidate(
    *, name: str, email: str, now: datetime, timezone: str = "UTC", language: str = "en"
) -> Candidate:
    """The same email address is the same person, whatever name a new application gives."""
    email = email.strip().lower()
    candidate = db.session.scalar(select(Candidate).where(Candidate.email == email))
    if candidate is None:
        candidate = Candidate(
            name=" ".join(name.split()),
            email=email,
            timezone=timezone or "UTC",
            language=language or "en",
            created_at=now,
        )
        db.session.add(candidate)
        db.session.flush()
    return candidate


def add_application(
    requisition: Requisition,
    candidate: Candidate,
    *,
    now: datetime,
    policy: PromisePolicy,
    actor: User | None,
    stage: Stage | None = None,
) -> Application:
    stage = stage or requisition.stages[0]
    existing = db.session.scalar(
        select(Application).where(
            Application.candidate_id == candidate.id, Application.requisition_id == requisition.id
        )
    )
    if existing is not None:
        raise PipelineError(f"{candidate.email} has already applied to this requisition.")
    application = Application(
        candidate=candidate,
        requisition=requisition,
        stage=stage,
        status=ApplicationStatus.ACTIVE,
        decision_due_at=policy.due_at(now, stage.promise_days),
        created_at=now,
    )
    db.session.add(application)
    db.session.flush()
    audit.record("application.created", application, actor=actor, now=now, stage=stage.name)
    return application


def schedule_interview(
    application: Application,
    *,
    stage: Stage,
    when: datetime,
    interviewers: Iterable[User],
    actor: User | None,
    now: datetime,
) -> Interview:
    interview = Interview(
        application=application,
        stage=stage,
        scheduled_at=when,
        interviewers=list(interviewers),
        created_by_id=actor.id if actor else None,
        created_at=now,
    )
    db.session.add(interview)
    db.session.flush()
    audit.record(
        "interview.scheduled",
        interview,
        actor=actor,
        now=now,
        application=application.id,
        when=when.isoformat(),
    )
    return interview


def _snapshot(application: Application) -> dict:
    def iso(value):
        return value.isoformat() if value else None

    return {
        "status": application.status.value,
        "stage_id": application.stage_id,
        "decision_due_at": iso(application.decision_due_at),
        "last_contact_at": iso(application.last_contact_at),
        "closed_at": iso(application.closed_at),
        "promise_extensions": application.promise_extensions,
        "must_decide_since": iso(application.must_decide_since),
    }


def record_outcome(
    application: Application,
    *,
    decision: Decision,
    actor: User | None,
    now: datetime,
    policy: PromisePolicy,
    reason: Reason | None = None,
    details: str = "",
) -> StageOutcome:
    """Decide the current stage: move the application, renew or end its promise, audit it."""
    details = details.strip()
    _check_reason(decision, reason, details)
    stages = application.requisition.stages
    index = stages.index(application.stage) if application.stage in stages else 0
    try:
        move = apply_decision(decision, application.status, index, len(stages))
    except TransitionError as error:
        raise PipelineError(str(error)) from error
    outcome = StageOutcome(
        application=application,
        stage=application.stage,
        decision=decision,
        status=OutcomeStatus.CONFIRMED,
        reason=reason,
        reason_details=details,
        decided_by_id=actor.id if actor else None,
        decided_at=now,
        previous=_snapshot(application),
    )
    new_stage = stages[move.stage_index]
    previous_due_at = application.decision_due_at if application.status.is_open else None
    was_must_decide = application.must_decide_since is not None
    application.status = move.status
    application.stage = new_stage
    application.last_contact_at = now  # every decision owes the candidate a message
    application.promise_extensions = 0
    application.must_decide_since = None
    if move.closed:
        application.decision_due_at = None
        application.closed_at = now
    else:
        application.decision_due_at = policy.due_at(now, new_stage.promise_days)
    db.session.add(outcome)
    db.session.flush()
    # The candidate hears about it, and the promise it answered is counted as kept or broken.
    from recruitcare.sweep.updates import after_outcome

    after_outcome(
        application,
        outcome,
        previous_due_at=previous_due_at,
        was_must_decide=was_must_decide,
        actor=actor,
        now=now,
    )
    audit.record(
        "outcome.recorded",
        application,
        actor=actor,
        now=now,
        outcome=outcome.id,
        decision=decision.value,
        reason=reason.code if reason else None,
        status=move.status.value,
    )
    return outcome


def undo_outcome(
    outcome: StageOutcome, *, actor: User, now: datetime, policy: PromisePolicy
) -> None:
    """Put the application back as it was before ``outcome``; only its latest, same day."""
    application = outcome.application
    latest = db.session.scalar(
        select(StageOutcome)
        .where(
            StageOutcome.application_id == application.id,
            StageOutcome.status == OutcomeStatus.CONFIRMED,
        )
        .order_by(StageOutcome.decided_at.desc(), StageOutcome.id.desc())
        .limit(1)
    )
    if outcome.status is not OutcomeStatus.CONFIRMED or latest is not outcome:
        raise PipelineError("Only the latest outcome of an application can be undone.")
    if not can_undo(outcome.decided_at, now, policy.zone):
        raise PipelineError("Outcomes can only be undone on the day they were recorded.")
    before = outcome.previous
    application.status = ApplicationStatus(before["status"])
    application.stage = db.session.get(Stage, before["stage_id"]) if before["stage_id"] else None
    for field in ("decision_due_at", "last_contact_at", "closed_at", "must_decide_since"):
        value = before.get(field)
        setattr(application, field, datetime.fromisoformat(value) if value else None)
    application.promise_extensions = before["promise_extensions"]
    outcome.status = OutcomeStatus.UNDONE
    outcome.undone_by_id = actor.id
    outcome.undone_at = now
    db.session.flush()
    # A closure or status update scheduled for the undone decision must not go out.
    from recruitcare.closure.services import cancel_for_status_change
    from recruitcare.sweep.updates import after_undo

    cancel_for_status_change(application, actor=actor, now=now)
    after_undo(application, outcome, now=now)
    audit.record(
        "outcome.undone",
        application,
        actor=actor,
        now=now,
        outcome=outcome.id,
        decision=outcome.decision.value,
    )


def seed_default_reasons() -> int:
    """Add the default reasons that are missing; returns how many were added."""
    from recruitcare.domain.reasons import DEFAULT_REASONS

    known = set(db.session.scalars(select(Reason.code)))
    added = 0
    for position, default in enumerate(DEFAULT_REASONS):
        if default.code in known:
            continue
        db.session.add(
            Reason(
                code=default.code,
                decision=default.decision,
                label=default.label,
                candidate_explanation=default.candidate_explanation,
                default_template=default.default_template,
                requires_details=default.requires_details,
                position=position,
            )
        )
        added += 1
    db.session.flush()
    return added


def update_requisition(
    requisition: Requisition,
    *,
    actor: User,
    now: datetime,
    title: str,
    team: str,
    location: str,
    role_family: str,
    owner: User,
    members: Iterable[User],
    publicly_advertised: bool,
    status: RequisitionStatus,
    interim_policy: InterimPolicy | None = None,
    status_update_policy: StatusUpdatePolicy | None = None,
) -> None:
    """Raises CloseOutNeeded, changing nothing, when the new status would close the
    requisition with candidates still waiting."""
    check_can_close(requisition, status)
    if interim_policy is not None:
        requisition.interim_policy = interim_policy
    if status_update_policy is not None:
        requisition.status_update_policy = status_update_policy
    requisition.title = title.strip()
    requisition.team = team.strip()
    requisition.location = location.strip()
    requisition.role_family = role_family.strip()
    requisition.publicly_advertised = publicly_advertised
    if requisition.owner_id != owner.id:
        audit.record(
            "requisition.owner_changed",
            requisition,
            actor=actor,
            now=now,
            old=requisition.owner_id,
            new=owner.id,
        )
        requisition.owner = owner
    requisition.members = list(members)
    set_requisition_status(requisition, status, actor=actor, now=now)
    db.session.flush()


def add_criterion(requisition: Requisition, name: str, description: str) -> Criterion:
    criterion = Criterion(name=name.strip(), description=description.strip())
    requisition.criteria.append(criterion)
    _renumber(requisition.criteria)
    db.session.flush()
    return criterion


def add_stage(requisition: Requisition, name: str, promise_days: int, is_interview: bool) -> Stage:
    """New stages go before the last one, which is normally the offer."""
    stage = Stage(name=name.strip(), promise_days=promise_days, is_interview=is_interview)
    at = max(len(requisition.stages) - 1, 0)
    requisition.stages.insert(at, stage)
    _renumber(requisition.stages)
    db.session.flush()
    return stage


def move_item(items: list, item, offset: int) -> None:
    """Move a criterion or stage up (-1) or down (+1) in its ordered list."""
    index = items.index(item)
    target = index + offset
    if 0 <= target < len(items):
        items.insert(target, items.pop(index))
        _renumber(items)
        db.session.flush()


def _renumber(items: list) -> None:
    for position, item in enumerate(items):
        item.position = position


def remove_stage(requisition: Requisition, stage: Stage) -> None:
    in_use = db.session.scalar(select(Application.id).where(Application.stage_id == stage.id))
    if in_use is not None:
        raise PipelineError(f"“{stage.name}” still has applications; move them first.")
    if len(requisition.stages) <= 2:
        raise PipelineError("A pipeline needs at least two stages.")
    requisition.stages.remove(stage)
    _renumber(requisition.stages)
    db.session.flush()


def remove_criterion(requisition: Requisition, criterion: Criterion) -> None:
    requisition.criteria.remove(criterion)
    _renumber(requisition.criteria)
    db.session.flush()


def propose_outcome(
    application: Application,
    *,
    decision: Decision,
    actor: User,
    now: datetime,
    reason: Reason | None = None,
    details: str = "",
) -> StageOutcome:
    """A hiring manager's proposal: recorded, but the application moves only when confirmed."""
    _check_reason(decision, reason, details.strip())
    if not application.status.is_open:
        raise PipelineError(f"The application is already {application.status.label.lower()}.")
    outcome = StageOutcome(
        application=application,
        stage=application.stage,
        decision=decision,
        status=OutcomeStatus.PROPOSED,
        reason=reason,
        reason_details=details.strip(),
        decided_by_id=actor.id,
        decided_at=now,
    )
    db.session.add(outcome)
    db.session.flush()
    audit.record(
        "outcome.proposed",
        application,
        actor=actor,
        now=now,
        outcome=outcome.id,
        decision=decision.value,
    )
    return outcome


def confirm_outcome(
    proposal: StageOutcome, *, actor: User, now: datetime, policy: PromisePolicy
) -> StageOutcome:
    """A recruiter confirms a proposal: it is recorded as their outcome and the proposal closes."""
    if proposal.status is not OutcomeStatus.PROPOSED:
        raise PipelineError("That proposal was already handled.")
    if proposal.stage_id != proposal.application.stage_id:
        raise PipelineError("The application has moved on since this proposal was made.")
    outcome = record_outcome(
        proposal.application,
        decision=proposal.decision,
        actor=actor,
        now=now,
        policy=policy,
        reason=proposal.reason,
        details=proposal.reason_details,
    )
    proposal.status = OutcomeStatus.UNDONE
    proposal.confirmed_by_id = actor.id
    outcome.previous = {**outcome.previous, "proposal": proposal.id}
    return outcome


def _check_reason(decision: Decision, reason: Reason | None, details: str) -> None:
    if decision.needs_reason:
        if reason is None or reason.decision is not decision:
            raise PipelineError(f"{decision.label} needs a reason.")
        if reason.requires_details and not details:
            raise PipelineError(f"“{reason.label}” needs written details.")


def decide_many(
    applications: Sequence[Application],
    *,
    decision: Decision,
    actor: User,
    now: datetime,
    policy: PromisePolicy,
    reason: Reason | None = None,
    details: str = "",
) -> tuple[int, list[tuple[Application, str]]]:
    """Apply one decision to many applications; returns how many changed and why others not."""
    _check_reason(decision, reason, details.strip())
    changed, skipped = 0, []
    for application in applications:
        try:
            record_outcome(
                application,
                decision=decision,
                actor=actor,
                now=now,
                policy=policy,
                reason=reason,
                details=details,
            )
        except PipelineError as error:
            skipped.append((application, str(error)))
        else:
            changed += 1
    return changed, skipped
