"""The home page."""

from flask import Blueprint, render_template
from flask_login import current_user

from recruitcare.access import require_login
from recruitcare.clock import utcnow
from recruitcare.home.services import requisition_summaries

bp = Blueprint("home", __name__)
bp.before_request(require_login)


@bp.get("/")
def index():
    summaries = requisition_summaries(current_user, utcnow())
    return render_template("home/index.html", summaries=summaries)
