"""What a person's home page counts."""

from datetime import datetime

from sqlalchemy import and_, case, func

from recruitcare.access import visible_requisitions
from recruitcare.domain.enums import OPEN_APPLICATION_STATUSES
from recruitcare.extensions import db
from recruitcare.models import Application, Requisition, User


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
