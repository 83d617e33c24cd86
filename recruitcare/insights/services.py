"""The Insights figures, each in a fixed number of queries whatever the data's size, always
within the user's visible requisitions and the chosen filters. Read only."""

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, case, exists, func, or_, select
from sqlalchemy.sql.elements import ColumnElement

from recruitcare.access import requisition_filter
from recruitcare.domain import insights as rules
from recruitcare.domain.enums import (
    OPEN_APPLICATION_STATUSES,
    ApplicationStatus,
    Decision,
    DeliveryStatus,
    OutcomeStatus,
    PromiseEventKind,
    RequisitionStatus,
    ScorecardStatus,
)
from recruitcare.domain.portal import RequestKind
from recruitcare.extensions import db
from recruitcare.models import (
    Application,
    Candidate,
    CandidateFeedback,
    ClosureMessage,
    FeedbackVersion,
    Interview,
    OutboxMessage,
    PromiseEvent,
    Requisition,
    Scorecard,
    Stage,
    StageOutcome,
    User,
    interview_interviewers,
    requisition_members,
)
from recruitcare.models.portal import CandidateRequest, FeedbackRating

# Decisions that answer an interviewed candidate; a hold or a withdrawal does not.
DECIDING = (Decision.ADVANCE, Decision.REJECT)


@dataclass(frozen=True)
class Filters:
    period: rules.Period
    waiting_days: int = rules.DEFAULT_WAITING_DAYS
    requisition_id: int | None = None
    recruiter_id: int | None = None
    hiring_manager_id: int | None = None


def scope(user: User, filters: Filters) -> list[ColumnElement[bool]]:
    """Conditions on Requisition: what the user may see, narrowed by the filters."""
    conditions = [requisition_filter(user)]
    if filters.requisition_id is not None:
        conditions.append(Requisition.id == filters.requisition_id)
    if filters.recruiter_id is not None:
        conditions.append(Requisition.owner_id == filters.recruiter_id)
    if filters.hiring_manager_id is not None:
        conditions.append(
            exists().where(
                requisition_members.c.requisition_id == Requisition.id,
                requisition_members.c.user_id == filters.hiring_manager_id,
            )
        )
    return conditions


# ---- the filter's choices ---------------------------------------------------------------------


@dataclass(frozen=True)
class Choices:
    requisitions: list[tuple[int, str]]
    recruiters: list[tuple[int, str]]
    hiring_managers: list[tuple[int, str]]


def list_filter_choices(user: User) -> Choices:
    """Only what the user can see: their requisitions, those requisitions' owners and hiring
    team members. Three queries."""
    visible = requisition_filter(user)
    requisitions = [
        (rid, title if status is RequisitionStatus.OPEN else f"{title} ({status.label.lower()})")
        for rid, title, status in db.session.execute(
            select(Requisition.id, Requisition.title, Requisition.status)
            .where(visible)
            .order_by(Requisition.title, Requisition.id)
        )
    ]
    owners = select(Requisition.owner_id).where(visible)
    recruiters = [
        (uid, name)
        for uid, name in db.session.execute(
            select(User.id, User.name).where(User.id.in_(owners)).order_by(User.name, User.id)
        )
    ]
    # An alias: the visibility rule has its own subquery on the members table.
    team = requisition_members.alias("team")
    members = (
        select(team.c.user_id)
        .join(Requisition, Requisition.id == team.c.requisition_id)
        .where(visible)
    )
    managers = [
        (uid, name)
        for uid, name in db.session.execute(
            select(User.id, User.name).where(User.id.in_(members)).order_by(User.name, User.id)
        )
    ]
    return Choices(requisitions, recruiters, managers)


# ---- candidates waiting -----------------------------------------------------------------------


@dataclass(frozen=True)
class WaitingCandidate:
    application_id: int
    name: str
    requisition: str
    stage: str
    last_contact_at: datetime
    days: int


def find_waiting_candidates(
    user: User, filters: Filters, *, now: datetime, limit: int | None
) -> tuple[list[WaitingCandidate], int]:
    """Open applications whose candidate has not heard from us for more than
    ``filters.waiting_days`` whole days, longest first (up to ``limit``), and how many there
    are. Two queries."""
    contact = func.coalesce(Application.last_contact_at, Application.created_at)
    cutoff = now - timedelta(days=filters.waiting_days + 1)
    where = (
        *scope(user, filters),
        Application.status.in_(OPEN_APPLICATION_STATUSES),
        contact <= cutoff,
    )
    total = db.session.scalar(
        select(func.count(Application.id)).join(Application.requisition).where(*where)
    )
    stmt = (
        select(Application.id, Candidate.name, Requisition.title, Stage.name, contact)
        .join(Application.requisition)
        .join(Application.candidate)
        .outerjoin(Application.stage)
        .where(*where)
        .order_by(contact, Application.id)
    )
    if limit is not None:
        stmt = stmt.limit(limit)
    rows = [
        WaitingCandidate(aid, name, title, stage or "—", last, rules.waiting_days(last, now))
        for aid, name, title, stage, last in db.session.execute(stmt)
    ]
    return rows, total


# ---- rejections, closures and feedback ---------------------------------------------------------


@dataclass(frozen=True)
class Rejection:
    decided_at: datetime
    closure_delivered_at: datetime | None
    feedback: bool
    interviewed: bool


def list_rejections(user: User, filters: Filters, *, zone: ZoneInfo) -> list[Rejection]:
    """Rejected applications decided in the period, or whose closure was delivered in it, with
    when the closure was delivered and whether approved feedback exists. One query."""
    start, end = filters.period.bounds(zone)
    feedback = exists().where(
        CandidateFeedback.application_id == Application.id,
        FeedbackVersion.feedback_id == CandidateFeedback.id,
    )
    interviewed = exists().where(Interview.application_id == Application.id)
    stmt = (
        select(Application.closed_at, OutboxMessage.delivered_at, feedback, interviewed)
        .join(Application.requisition)
        .outerjoin(ClosureMessage, ClosureMessage.application_id == Application.id)
        .outerjoin(
            OutboxMessage,
            and_(
                OutboxMessage.id == ClosureMessage.outbox_message_id,
                OutboxMessage.status == DeliveryStatus.DELIVERED,
            ),
        )
        .where(
            *scope(user, filters),
            Application.status == ApplicationStatus.REJECTED,
            Application.closed_at.is_not(None),
            or_(
                and_(Application.closed_at >= start, Application.closed_at < end),
                and_(OutboxMessage.delivered_at >= start, OutboxMessage.delivered_at < end),
            ),
        )
    )
    return [
        Rejection(decided, delivered, bool(has_feedback), bool(was_interviewed))
        for decided, delivered, has_feedback, was_interviewed in db.session.execute(stmt)
    ]


@dataclass(frozen=True)
class ClosureFigures:
    rejected: int
    delivered: rules.Share
    feedback: rules.Share
    interviewed: int
    # Personalized feedback among the rejected who were interviewed: the ones it is for.
    feedback_interviewed: rules.Share
    decision_to_closure: rules.Timing


def closure_figures(rejections: list[Rejection], period_bounds) -> ClosureFigures:
    start, end = period_bounds
    decided = [r for r in rejections if start <= r.decided_at < end]
    delivered = [r for r in decided if r.closure_delivered_at is not None]
    interviewed = [r for r in decided if r.interviewed]
    return ClosureFigures(
        rejected=len(decided),
        delivered=rules.share(len(delivered), len(decided)),
        feedback=rules.share(sum(r.feedback for r in decided), len(decided)),
        interviewed=len(interviewed),
        feedback_interviewed=rules.share(sum(r.feedback for r in interviewed), len(interviewed)),
        decision_to_closure=rules.timing(
            rules.days_between(r.decided_at, r.closure_delivered_at) for r in delivered
        ),
    )


def measure_interview_to_decision(user: User, filters: Filters, *, zone: ZoneInfo) -> rules.Timing:
    """Days from the last interview at a stage to the decision (advance or reject) taken at
    that stage, for decisions in the period. One query."""
    start, end = filters.period.bounds(zone)
    last_interview = func.max(Interview.scheduled_at)
    stmt = (
        select(StageOutcome.decided_at, last_interview)
        .join(Application, Application.id == StageOutcome.application_id)
        .join(Application.requisition)
        .join(
            Interview,
            and_(
                Interview.application_id == StageOutcome.application_id,
                Interview.stage_id == StageOutcome.stage_id,
                Interview.scheduled_at <= StageOutcome.decided_at,
            ),
        )
        .where(
            *scope(user, filters),
            StageOutcome.status == OutcomeStatus.CONFIRMED,
            StageOutcome.decision.in_(DECIDING),
            StageOutcome.decided_at >= start,
            StageOutcome.decided_at < end,
        )
        .group_by(StageOutcome.id, StageOutcome.decided_at)
    )
    return rules.timing(
        rules.days_between(interviewed, decided)
        for decided, interviewed in db.session.execute(stmt)
    )


# ---- promises, scorecards, call requests, ratings ----------------------------------------------


def count_promises(user: User, filters: Filters, *, zone: ZoneInfo) -> dict[PromiseEventKind, int]:
    """How the promises that ended in the period ended. One query."""
    start, end = filters.period.bounds(zone)
    rows = db.session.execute(
        select(PromiseEvent.kind, func.count())
        .join(Application, Application.id == PromiseEvent.application_id)
        .join(Application.requisition)
        .where(*scope(user, filters), PromiseEvent.at >= start, PromiseEvent.at < end)
        .group_by(PromiseEvent.kind)
    )
    counts = dict.fromkeys(PromiseEventKind, 0)
    for kind, count in rows:
        counts[kind] = count
    return counts


@dataclass(frozen=True)
class PendingScorecard:
    application_id: int
    interviewer: str
    candidate: str
    requisition: str
    interview_at: datetime
    days: int


def find_pending_scorecards(
    user: User, filters: Filters, *, now: datetime, limit: int | None
) -> tuple[list[PendingScorecard], int]:
    """Interviews already held whose interviewer has not submitted a scorecard (none started,
    or a draft), oldest first (up to ``limit``), and how many. Two queries."""
    submitted = exists().where(
        Scorecard.interview_id == Interview.id,
        Scorecard.interviewer_id == interview_interviewers.c.user_id,
        Scorecard.status == ScorecardStatus.SUBMITTED,
    )
    where = (*scope(user, filters), Interview.scheduled_at <= now, ~submitted)
    base = (
        select(interview_interviewers.c.user_id)
        .select_from(interview_interviewers)
        .join(Interview, Interview.id == interview_interviewers.c.interview_id)
        .join(Application, Application.id == Interview.application_id)
        .join(Application.requisition)
        .where(*where)
    )
    total = db.session.scalar(select(func.count()).select_from(base.subquery()))
    stmt = (
        select(Application.id, User.name, Candidate.name, Requisition.title, Interview.scheduled_at)
        .select_from(interview_interviewers)
        .join(Interview, Interview.id == interview_interviewers.c.interview_id)
        .join(User, User.id == interview_interviewers.c.user_id)
        .join(Application, Application.id == Interview.application_id)
        .join(Application.candidate)
        .join(Application.requisition)
        .where(*where)
        .order_by(Interview.scheduled_at, Interview.id, User.name)
    )
    if limit is not None:
        stmt = stmt.limit(limit)
    rows = [
        PendingScorecard(aid, interviewer, candidate, title, at, rules.waiting_days(at, now))
        for aid, interviewer, candidate, title, at in db.session.execute(stmt)
    ]
    return rows, total


@dataclass(frozen=True)
class CallRequests:
    open: int
    overdue: int


def count_open_call_requests(user: User, filters: Filters, *, now: datetime) -> CallRequests:
    """Feedback calls candidates asked for that nobody has marked done. One query."""
    open_count, overdue = db.session.execute(
        select(
            func.count(CandidateRequest.id),
            func.count(case((CandidateRequest.respond_by < now, 1))),
        )
        .join(Application, Application.id == CandidateRequest.application_id)
        .join(Application.requisition)
        .where(
            *scope(user, filters),
            CandidateRequest.kind == RequestKind.CALL,
            CandidateRequest.done_at.is_(None),
        )
    ).one()
    return CallRequests(open_count, overdue)


def summarise_ratings(user: User, filters: Filters, *, zone: ZoneInfo) -> rules.RatingSummary:
    """Candidates' helpfulness ratings of their feedback, given or changed in the period. One
    query."""
    start, end = filters.period.bounds(zone)
    rows = db.session.execute(
        select(FeedbackRating.rating, func.count())
        .join(Application, Application.id == FeedbackRating.application_id)
        .join(Application.requisition)
        .where(
            *scope(user, filters),
            FeedbackRating.updated_at >= start,
            FeedbackRating.updated_at < end,
        )
        .group_by(FeedbackRating.rating)
    )
    return rules.rating_summary(dict(rows.all()))


# ---- the funnel -------------------------------------------------------------------------------


@dataclass(frozen=True)
class FunnelStage:
    name: str
    reached: int
    of_first: rules.Share
    of_previous: rules.Share


def count_funnel(user: User, filters: Filters, *, zone: ZoneInfo) -> list[FunnelStage]:
    """How far the applications made in the period got: one row per stage index, counting
    every application at that stage or later. Stage names are shared by index across
    requisitions; an index whose names differ is called "Stage n". Two queries."""
    start, end = filters.period.bounds(zone)
    conditions = scope(user, filters)
    at_position = db.session.execute(
        select(Application.requisition_id, Stage.position, func.count(Application.id))
        .join(Stage, Stage.id == Application.stage_id)
        .join(Application.requisition)
        .where(*conditions, Application.created_at >= start, Application.created_at < end)
        .group_by(Application.requisition_id, Stage.position)
    ).all()
    stages = db.session.execute(
        select(Stage.requisition_id, Stage.position, Stage.name)
        .join(Requisition, Requisition.id == Stage.requisition_id)
        .where(*conditions)
    ).all()
    positions: dict[int, list[int]] = defaultdict(list)
    for requisition_id, position, _ in stages:
        positions[requisition_id].append(position)
    index_of = {rid: rules.stage_indexes(found) for rid, found in positions.items()}
    names: dict[int, Counter] = defaultdict(Counter)
    used = {requisition_id for requisition_id, _, _ in at_position}
    for requisition_id, position, name in stages:
        if requisition_id in used:
            names[index_of[requisition_id][position]][name] += 1
    at_index: Counter = Counter()
    for requisition_id, position, count in at_position:
        at_index[index_of[requisition_id][position]] += count
    if not at_index:
        return []
    stage_count = max(names) + 1
    reached = rules.funnel(at_index, stage_count)
    result = []
    for index, count in enumerate(reached):
        found = names[index]
        name = next(iter(found)) if len(found) == 1 else f"Stage {index + 1}"
        previous = reached[index - 1] if index else count
        result.append(
            FunnelStage(name, count, rules.share(count, reached[0]), rules.share(count, previous))
        )
    return result


# ---- weekly trend -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Trend:
    weeks: list[date]
    decided: list[int]
    delivered: list[int]
    median_days: list[float | None]

    @property
    def labels(self) -> list[str]:
        return [rules.week_label(monday) for monday in self.weeks]


def weekly_trend(rejections: list[Rejection], period: rules.Period, zone: ZoneInfo) -> Trend:
    """Per week: rejections decided, closures delivered, and the median days from decision to
    delivered closure for that week's decisions."""
    mondays = rules.weeks(period)
    start, end = period.bounds(zone)
    decided = [r for r in rejections if start <= r.decided_at < end]
    delivered_days = [
        rules.local_day(r.closure_delivered_at, zone)
        for r in rejections
        if r.closure_delivered_at is not None and start <= r.closure_delivered_at < end
    ]
    return Trend(
        weeks=mondays,
        decided=rules.weekly_counts(
            (rules.local_day(r.decided_at, zone) for r in decided), mondays
        ),
        delivered=rules.weekly_counts(delivered_days, mondays),
        median_days=rules.weekly_medians(
            (
                (
                    rules.local_day(r.decided_at, zone),
                    rules.days_between(r.decided_at, r.closure_delivered_at),
                )
                for r in decided
                if r.closure_delivered_at is not None
            ),
            mondays,
        ),
    )


# ---- everything at once -----------------------------------------------------------------------


@dataclass(frozen=True)
class Insights:
    filters: Filters
    waiting: list[WaitingCandidate]
    waiting_total: int
    closures: ClosureFigures
    interview_to_decision: rules.Timing
    promises: dict[PromiseEventKind, int]
    scorecards: list[PendingScorecard]
    scorecards_total: int
    calls: CallRequests
    ratings: rules.RatingSummary
    funnel: list[FunnelStage]
    trend: Trend

    @property
    def promises_total(self) -> int:
        return sum(self.promises.values())

    def promise_share(self, kind: PromiseEventKind) -> rules.Share:
        return rules.share(self.promises[kind], self.promises_total)

    @property
    def promises_kept(self) -> rules.Share:
        return self.promise_share(PromiseEventKind.KEPT)


def gather_insights(
    user: User, filters: Filters, *, now: datetime, zone: ZoneInfo, limit: int | None = 50
) -> Insights:
    """Every figure of the dashboard: eleven queries, whatever the number of applications.
    Lists stop at ``limit`` rows (None: all of them, for the export)."""
    waiting, waiting_total = find_waiting_candidates(user, filters, now=now, limit=limit)
    rejections = list_rejections(user, filters, zone=zone)
    scorecards, scorecards_total = find_pending_scorecards(user, filters, now=now, limit=limit)
    return Insights(
        filters=filters,
        waiting=waiting,
        waiting_total=waiting_total,
        closures=closure_figures(rejections, filters.period.bounds(zone)),
        interview_to_decision=measure_interview_to_decision(user, filters, zone=zone),
        promises=count_promises(user, filters, zone=zone),
        scorecards=scorecards,
        scorecards_total=scorecards_total,
        calls=count_open_call_requests(user, filters, now=now),
        ratings=summarise_ratings(user, filters, zone=zone),
        funnel=count_funnel(user, filters, zone=zone),
        trend=weekly_trend(rejections, filters.period, zone),
    )


# ---- charts -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Charts:
    trend: rules.BarChart
    closure_days: rules.LineChart
    funnel: rules.FunnelChart
    ratings: rules.BarChart


def draw_charts(insights: Insights) -> Charts:
    """Chart geometry for the page; the numbers themselves are in the tables beside them."""
    labels = insights.trend.labels
    return Charts(
        trend=rules.bar_chart(labels, [insights.trend.decided, insights.trend.delivered]),
        closure_days=rules.line_chart(labels, insights.trend.median_days),
        funnel=rules.funnel_chart(
            [stage.name for stage in insights.funnel], [stage.reached for stage in insights.funnel]
        ),
        ratings=rules.bar_chart(
            [str(score) for score in rules.RATING_SCALE],
            [list(insights.ratings.counts)],
            width=360,
            height=200,
        ),
    )
