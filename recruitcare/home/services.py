"""What a person's home page counts."""

from datetime import datetime, timedelta

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import joinedload

from recruitcare.access import requisition_filter, visible_requisitions
from recruitcare.domain.enums import OPEN_APPLICATION_STATUSES, CandidateUpdateStatus
from recruitcare.extensions import db
from recruitcare.models import (
    Application,
    CandidateUpdate,
    Interview,
    Requisition,
    User,
    interview_interviewers,
)


def requisition_summaries(user: User, now: datetime) -> list[tuple[Requisition, int, int, int]]:
    """Each visible requisition with its open, overdue and total applications, in one query."""
    is_open = Application.status.in_(OPEN_APPLICATION_STATUSES)
    open_count = func.count(case((is_open, 1)))
    overdue = func.count(case((and_(is_open, Application.decision_due_at < now), 1)))
    stmt = (
        visible_requisitions(user)
        .outerjoin(Application, Application.requisition_id == Requisition.id)
        .add_columns(open_count, overdue, func.count(Application.id))
        .group_by(Requisition.id)
        .order_by(Requisition.status, Requisition.title)
    )
    return [tuple(row) for row in db.session.execute(stmt)]


def my_interviews(user: User, now: datetime, limit: int = 20) -> list[Interview]:
    """Interviews this person sits on, from yesterday on, within their visible requisitions."""
    stmt = (
        select(Interview)
        .join(interview_interviewers, interview_interviewers.c.interview_id == Interview.id)
        .join(Interview.application)
        .join(Application.requisition)
        .where(
            interview_interviewers.c.user_id == user.id,
            Interview.scheduled_at >= now - timedelta(days=1),
            requisition_filter(user),
        )
        .options(
            joinedload(Interview.application).joinedload(Application.candidate),
            joinedload(Interview.application).joinedload(Application.requisition),
            joinedload(Interview.stage),
        )
        .order_by(Interview.scheduled_at)
        .limit(limit)
    )
    return list(db.session.scalars(stmt))


def must_decide(user: User, limit: int = 50) -> tuple[list[Application], int]:
    """Open applications whose promise lapsed past its last extension, longest waiting first,
    within the person's visible requisitions: the first ``limit`` and how many there are.
    Two queries whatever the number of applications."""
    where = (
        Application.must_decide_since.is_not(None),
        Application.status.in_(OPEN_APPLICATION_STATUSES),
        requisition_filter(user),
    )
    rows = db.session.scalars(
        select(Application)
        .join(Application.requisition)
        .where(*where)
        .options(
            joinedload(Application.candidate),
            joinedload(Application.stage),
            joinedload(Application.requisition),
        )
        .order_by(Application.must_decide_since, Application.id)
        .limit(limit)
    ).all()
    total = db.session.scalar(
        select(func.count()).select_from(Application).join(Application.requisition).where(*where)
    )
    return list(rows), total


def pending_updates(user: User, limit: int = 50) -> list[CandidateUpdate]:
    """Status and interim updates waiting for a recruiter's approval, oldest first."""
    return list(
        db.session.scalars(
            select(CandidateUpdate)
            .join(CandidateUpdate.application)
            .join(Application.requisition)
            .where(
                CandidateUpdate.status == CandidateUpdateStatus.PENDING,
                requisition_filter(user),
            )
            .options(
                joinedload(CandidateUpdate.application).joinedload(Application.candidate),
                joinedload(CandidateUpdate.application).joinedload(Application.stage),
                joinedload(CandidateUpdate.application).joinedload(Application.requisition),
            )
            .order_by(CandidateUpdate.created_at, CandidateUpdate.id)
            .limit(limit)
        )
    )


def get_update_or_404(user: User, update_id: int) -> CandidateUpdate:
    """A pending update, loaded only through the person's visible requisitions."""
    return db.first_or_404(
        select(CandidateUpdate)
        .join(CandidateUpdate.application)
        .join(Application.requisition)
        .where(CandidateUpdate.id == update_id, requisition_filter(user))
    )
