"""Operations on requisitions and applications. They flush; the caller commits."""

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import select

from recruitcare import audit
from recruitcare.domain.deadlines import PromisePolicy
from recruitcare.domain.enums import (
    ApplicationStatus,
    Decision,
    OutcomeStatus,
    RequisitionStatus,
)
from recruitcare.domain.pipeline import (
    DEFAULT_STAGES,
    TransitionError,
    apply_decision,
    can_undo,
)
from recruitcare.extensions import db
from recruitcare.models import (
    Application,
    Candidate,
    Criterion,
    Interview,
    Reason,
    Requisition,
    Stage,
    StageOutcome,
    User,
)


class PipelineError(ValueError):
    """A pipeline request that cannot be done; the message is safe to show."""


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
    requisition: Requisition, status: RequisitionStatus, *, actor: User, now: datetime
) -> None:
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
    if decision.needs_reason:
        if reason is None or reason.decision is not decision:
            raise PipelineError(f"{decision.label} needs a reason.")
        if reason.requires_details and not details:
            raise PipelineError(f"“{reason.label}” needs written details.")
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
    application.status = move.status
    application.stage = new_stage
    application.last_contact_at = now  # every decision owes the candidate a message
    application.promise_extensions = 0
    if move.closed:
        application.decision_due_at = None
        application.closed_at = now
    else:
        application.decision_due_at = policy.due_at(now, new_stage.promise_days)
    db.session.add(outcome)
    db.session.flush()
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
    for field in ("decision_due_at", "last_contact_at", "closed_at"):
        value = before[field]
        setattr(application, field, datetime.fromisoformat(value) if value else None)
    application.promise_extensions = before["promise_extensions"]
    outcome.status = OutcomeStatus.UNDONE
    outcome.undone_by_id = actor.id
    outcome.undone_at = now
    db.session.flush()
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
