"""The home page."""

from flask import Blueprint, render_template
from flask_login import current_user

from recruitcare.access import require_login
from recruitcare.clock import utcnow
from recruitcare.home.services import my_interviews, requisition_summaries

bp = Blueprint("home", __name__)
bp.before_request(require_login)


@bp.get("/")
def index():
    now = utcnow()
    return render_template(
        "home/index.html",
        summaries=requisition_summaries(current_user, now),
        interviews=my_interviews(current_user, now),
    )
