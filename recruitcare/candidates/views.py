"""Adding candidates to a requisition: one person by hand, or many from a CSV file."""

import hashlib

from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from flask_login import current_user

from recruitcare.access import get_requisition_or_404, require_login, role_required
from recruitcare.candidates import services
from recruitcare.candidates.forms import MAX_UPLOAD_BYTES, CandidateForm, ImportForm
from recruitcare.clock import utcnow
from recruitcare.domain.enums import Role
from recruitcare.extensions import db
from recruitcare.models import Requisition
from recruitcare.pipeline.services import PipelineError
from recruitcare.policies import promise_policy

bp = Blueprint("candidates", __name__)
bp.before_request(require_login)

# The report lists at most this many problems; the counts always cover the whole file.
REPORT_LIMIT = 1000


def _back_to(requisition: Requisition) -> str:
    """The requisition's board when that page exists, else home."""
    if "pipeline.board" in current_app.view_functions:
        return url_for("pipeline.board", requisition_id=requisition.id)
    return url_for("home.index")


@bp.route("/requisitions/<int:requisition_id>/candidates/new", methods=["GET", "POST"])
@role_required(Role.ADMIN, Role.RECRUITER)
def new(requisition_id: int):
    requisition = get_requisition_or_404(current_user, requisition_id)
    stages = requisition.stages
    form = CandidateForm(
        stages=stages,
        timezone=current_app.config["ORG_TIMEZONE"],
        stage=stages[0].id if stages else None,
    )
    if form.validate_on_submit():
        stage = next(stage for stage in stages if stage.id == form.stage.data)
        try:
            application = services.add_candidate(
                requisition,
                name=form.name.data,
                email=form.email.data,
                timezone=form.timezone.data,
                language=form.language.data,
                stage=stage,
                actor=current_user,
                now=utcnow(),
                policy=promise_policy(current_app.config),
            )
        except PipelineError as error:
            form.email.errors.append(str(error))
        else:
            db.session.commit()
            candidate = application.candidate
            flash(f"{candidate.name} added to {requisition.title} at {stage.name}.", "success")
            return redirect(_back_to(requisition))
    return render_template("candidates/new.html", form=form, requisition=requisition)


@bp.route(
    "/requisitions/<int:requisition_id>/candidates/import",
    methods=["GET", "POST"],
    endpoint="import",
)
@role_required(Role.ADMIN, Role.RECRUITER)
def import_file(requisition_id: int):
    """Upload, check, and import only when every row is valid or the user said so.

    Nothing is kept between requests: when the file has problems, the report page asks for
    the same file again with "import only the valid rows" ticked. The report carries the
    file's SHA-256 and its valid-row count; the rows are imported only if the file chosen
    again has the same digest and still the same number of valid rows, otherwise the new
    report is shown. This avoids storing uploads and the form-size limits of a hidden copy.
    """
    requisition = get_requisition_or_404(current_user, requisition_id)
    form = ImportForm()
    if not form.validate_on_submit():
        return render_template("candidates/import.html", form=form, requisition=requisition)
    data = form.file.data.read(MAX_UPLOAD_BYTES + 1)
    checked = services.check_candidate_file(requisition, data)
    if checked.file_error:
        form.file.errors.append(checked.file_error)
        return render_template("candidates/import.html", form=form, requisition=requisition)
    digest = hashlib.sha256(data).hexdigest()
    confirmed = (
        form.valid_only.data
        and form.digest.data == digest
        and form.expected.data == str(checked.valid_count)
    )
    if checked.ok or (confirmed and checked.valid_count):
        imported = services.import_candidates(
            requisition,
            checked.rows,
            actor=current_user,
            now=utcnow(),
            policy=promise_policy(current_app.config),
        )
        db.session.commit()
        skipped = f"; {checked.error_count:,} rows with problems skipped" if checked.errors else ""
        flash(
            f"Imported {imported.applications:,} candidates into {requisition.title}{skipped}.",
            "success",
        )
        return redirect(_back_to(requisition))
    report = ImportForm(
        formdata=None, valid_only=True, digest=digest, expected=str(checked.valid_count)
    )
    return render_template(
        "candidates/import_report.html",
        form=report,
        requisition=requisition,
        checked=checked,
        shown=checked.errors[:REPORT_LIMIT],
        filename=form.file.data.filename,
        cancel_url=_back_to(requisition),
    )
