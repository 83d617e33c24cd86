"""The home page, and approving the candidate updates it lists."""

from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from flask_login import current_user

from recruitcare.access import require_login, role_required
from recruitcare.candidate_requests.services import open_request_count, open_requests
from recruitcare.clock import utcnow
from recruitcare.domain.enums import Role
from recruitcare.extensions import db
from recruitcare.home.services import (
    get_update_or_404,
    must_decide,
    my_interviews,
    pending_updates,
    requisition_summaries,
)
from recruitcare.outbox import services as outbox
from recruitcare.pipeline.forms import ConfirmForm
from recruitcare.policies import promise_policy, sweep_limits
from recruitcare.sweep import updates

bp = Blueprint("home", __name__)
bp.before_request(require_login)
manage = role_required(Role.ADMIN, Role.RECRUITER)
# Candidate requests on the home page, the one due first on top; the rest are on /requests.
REQUESTS_SHOWN = 10


@bp.get("/")
def index():
    now = utcnow()
    deciding, deciding_total = must_decide(current_user)
    return render_template(
        "home/index.html",
        summaries=requisition_summaries(current_user, now),
        interviews=my_interviews(current_user, now),
        must_decide=deciding,
        must_decide_total=deciding_total,
        updates=pending_updates(current_user) if current_user.can_manage_pipeline else [],
        requests=open_requests(current_user, limit=REQUESTS_SHOWN)
        if current_user.can_manage_pipeline
        else [],
        requests_total=open_request_count(current_user) if current_user.can_manage_pipeline else 0,
        now=now,
    )


@bp.post("/updates/<int:update_id>/approve")
@manage
def approve_update(update_id: int):
    pending = get_update_or_404(current_user, update_id)
    if ConfirmForm().validate():
        config = current_app.config
        try:
            updates.approve_update(
                pending,
                actor=current_user,
                now=utcnow(),
                limits=sweep_limits(config),
                calendar=promise_policy(config),
            )
        except updates.UpdateError as error:
            db.session.commit()  # a dismissal that the check decided on is kept
            flash(str(error), "error")
        except outbox.DuplicateMessage:
            # Approved twice at once (a second click, another recruiter): the first one sent it.
            db.session.rollback()
            flash("That update was already sent.", "info")
        else:
            db.session.commit()
            flash(f"Update sent to {pending.application.candidate.name}.", "success")
    return redirect(url_for("home.index"))


@bp.post("/updates/<int:update_id>/dismiss")
@manage
def dismiss_update(update_id: int):
    pending = get_update_or_404(current_user, update_id)
    if ConfirmForm().validate():
        try:
            config = current_app.config
            updates.dismiss_update(
                pending,
                actor=current_user,
                now=utcnow(),
                limits=sweep_limits(config),
                calendar=promise_policy(config),
            )
        except updates.UpdateError as error:
            flash(str(error), "error")
        else:
            db.session.commit()
            note = " It is on your “Must decide” list." if pending.kind == "interim" else ""
            flash(f"Update not sent.{note}", "success")
    return redirect(url_for("home.index"))
