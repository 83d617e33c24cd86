"""What the board, the list and the application page show, in a fixed number of queries."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, func, select
from sqlalchemy.orm import joinedload, selectinload

from recruitcare.domain.deadlines import PromisePolicy, days_since
from recruitcare.domain.enums import (
    OPEN_APPLICATION_STATUSES,
    ApplicationStatus,
    OutcomeStatus,
    PromiseState,
)
from recruitcare.extensions import db
from recruitcare.models import (
    Application,
    Candidate,
    Interview,
    Requisition,
    Stage,
    StageOutcome,
)


@dataclass(frozen=True)
class Card:
    application: Application
    days_waiting: int | None
    promise: PromiseState | None


@dataclass(frozen=True)
class Column:
    stage: Stage
    cards: list[Card]
    total: int

    @property
    def hidden(self) -> int:
        return self.total - len(self.cards)


def card_for(application: Application, now: datetime, policy: PromisePolicy) -> Card:
    """Days since we last spoke to the candidate (or since they applied) and the promise."""
    waiting = days_since(application.last_contact_at or application.created_at, now)
    due = application.decision_due_at
    promise = policy.state(due, now) if due and application.status.is_open else None
    return Card(application, waiting, promise)


def board_columns(
    requisition: Requisition, now: datetime, policy: PromisePolicy, per_stage: int = 25
) -> tuple[list[Column], dict[ApplicationStatus, int]]:
    """Open applications per stage, most urgent first, and closed counts by status.

    Three queries whatever the number of applications: counts, then the first ``per_stage``
    cards of every stage at once (a window function), with their candidates joined.
    """
    counts = db.session.execute(
        select(Application.stage_id, Application.status, func.count())
        .where(Application.requisition_id == requisition.id)
        .group_by(Application.stage_id, Application.status)
    ).all()
    open_per_stage: dict[int | None, int] = {}
    closed: dict[ApplicationStatus, int] = {}
    for stage_id, status, count in counts:
        if status in OPEN_APPLICATION_STATUSES:
            open_per_stage[stage_id] = open_per_stage.get(stage_id, 0) + count
        else:
            closed[status] = closed.get(status, 0) + count

    rank = (
        func.row_number()
        .over(
            partition_by=Application.stage_id,
            order_by=(Application.decision_due_at.asc(), Application.id.asc()),
        )
        .label("rank")
    )
    ranked = (
        select(Application.id, rank)
        .where(
            Application.requisition_id == requisition.id,
            Application.status.in_(OPEN_APPLICATION_STATUSES),
        )
        .subquery()
    )
    shown = db.session.scalars(
        select(Application)
        .join(ranked, ranked.c.id == Application.id)
        .where(ranked.c.rank <= per_stage)
        .options(joinedload(Application.candidate))
        .order_by(Application.decision_due_at.asc(), Application.id.asc())
    ).all()
    by_stage: dict[int | None, list[Card]] = {}
    for application in shown:
        by_stage.setdefault(application.stage_id, []).append(card_for(application, now, policy))
    columns = [
        Column(stage, by_stage.get(stage.id, []), open_per_stage.get(stage.id, 0))
        for stage in requisition.stages
    ]
    return columns, closed


SORTS = {
    "due": (Application.decision_due_at.asc(), Application.id.asc()),
    "name": (Candidate.name.asc(), Application.id.asc()),
    "stage": (Stage.position.asc(), Application.decision_due_at.asc(), Application.id.asc()),
    "waiting": (
        func.coalesce(Application.last_contact_at, Application.created_at).asc(),
        Application.id.asc(),
    ),
    "applied": (Application.created_at.desc(), Application.id.desc()),
}


def application_list_query(
    requisition: Requisition,
    *,
    now: datetime,
    stage_id: int | None = None,
    status: ApplicationStatus | None = None,
    open_only: bool = False,
    overdue: bool = False,
    search: str = "",
    sort: str = "due",
) -> Select[tuple[Application]]:
    stmt = (
        select(Application)
        .join(Application.candidate)
        .outerjoin(Application.stage)
        .where(Application.requisition_id == requisition.id)
        .options(joinedload(Application.candidate), joinedload(Application.stage))
    )
    if stage_id:
        stmt = stmt.where(Application.stage_id == stage_id)
    if status:
        stmt = stmt.where(Application.status == status)
    if open_only or overdue:
        stmt = stmt.where(Application.status.in_(OPEN_APPLICATION_STATUSES))
    if overdue:
        stmt = stmt.where(Application.decision_due_at < now)
    if search.strip():
        pattern = f"%{search.strip().lower()}%"
        stmt = stmt.where(func.lower(Candidate.name).like(pattern) | Candidate.email.like(pattern))
    return stmt.order_by(*SORTS.get(sort, SORTS["due"]))


def application_timeline(application: Application) -> list[tuple[datetime, str, object]]:
    """Interviews and outcomes (with proposals) in time order, for the application page."""
    interviews = db.session.scalars(
        select(Interview)
        .where(Interview.application_id == application.id)
        .options(selectinload(Interview.interviewers), joinedload(Interview.stage))
    ).all()
    outcomes = db.session.scalars(
        select(StageOutcome)
        .where(StageOutcome.application_id == application.id)
        .options(
            joinedload(StageOutcome.stage),
            joinedload(StageOutcome.reason),
            joinedload(StageOutcome.decided_by),
        )
    ).all()
    events = [(i.scheduled_at, "interview", i) for i in interviews]
    events += [(o.decided_at, "outcome", o) for o in outcomes]
    return sorted(events, key=lambda event: event[0], reverse=True)


def open_proposals(application: Application) -> list[StageOutcome]:
    return [o for o in application.outcomes if o.status is OutcomeStatus.PROPOSED]


def latest_confirmed(application: Application) -> StageOutcome | None:
    confirmed = [o for o in application.outcomes if o.status is OutcomeStatus.CONFIRMED]
    return max(confirmed, key=lambda o: (o.decided_at, o.id), default=None)
