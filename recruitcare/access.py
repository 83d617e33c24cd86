"""Who may see what: role decorators and queries scoped to the current user's visible set.

Objects are always loaded through these scopes, so another team's object is a 404 exactly
like a missing one; views never load by id and check afterwards.
"""

from collections.abc import Callable
from functools import wraps

from flask import abort
from flask_login import current_user
from sqlalchemy import Select, exists, or_, select
from sqlalchemy.orm.interfaces import LoaderOption

from recruitcare.domain.enums import Role
from recruitcare.extensions import db, login_manager
from recruitcare.models import Application, Requisition, StageOutcome, User, requisition_members


def require_login():
    """A blueprint's ``before_request``: anonymous visitors are sent to sign in."""
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    return None


def role_required(*roles: Role) -> Callable:
    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def requisition_filter(user: User):
    """Admins see every requisition; others those they own or are on the hiring team of."""
    if user.role is Role.ADMIN:
        return True
    member = exists().where(
        requisition_members.c.requisition_id == Requisition.id,
        requisition_members.c.user_id == user.id,
    )
    if user.role is Role.RECRUITER:
        return or_(Requisition.owner_id == user.id, member)
    return member


def visible_requisitions(user: User) -> Select[tuple[Requisition]]:
    return select(Requisition).where(requisition_filter(user))


def visible_applications(user: User) -> Select[tuple[Application]]:
    return select(Application).join(Application.requisition).where(requisition_filter(user))


def get_requisition_or_404(user: User, requisition_id: int, *options: LoaderOption) -> Requisition:
    stmt = visible_requisitions(user).where(Requisition.id == requisition_id).options(*options)
    return db.first_or_404(stmt)


def get_application_or_404(user: User, application_id: int, *options: LoaderOption) -> Application:
    stmt = visible_applications(user).where(Application.id == application_id).options(*options)
    return db.first_or_404(stmt)


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    """Sessions carry ``id:session_version``; an old version means the session was ended."""
    try:
        raw_id, raw_version = user_id.split(":")
        uid, version = int(raw_id), int(raw_version)
    except ValueError:
        return None
    user = db.session.get(User, uid)
    if user is None or not user.active or user.session_version != version:
        return None
    return user


def get_outcome_or_404(user: User, outcome_id: int) -> StageOutcome:
    stmt = (
        select(StageOutcome)
        .join(StageOutcome.application)
        .join(Application.requisition)
        .where(StageOutcome.id == outcome_id, requisition_filter(user))
    )
    return db.first_or_404(stmt)
