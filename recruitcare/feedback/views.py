"""Scorecards, "My interviews", candidate feedback and the live language check."""

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from sqlalchemy.orm import selectinload

from recruitcare.access import get_application_or_404, get_requisition_or_404, require_login
from recruitcare.clock import utcnow
from recruitcare.domain import feedback as rules
from recruitcare.domain.enums import Recommendation, ScorecardStatus
from recruitcare.domain.language import check, worst_severity
from recruitcare.extensions import db, limiter
from recruitcare.feedback import services
from recruitcare.feedback.forms import (
    TEXT_LIMIT,
    feedback_form,
    fill_items,
    items_of,
    scorecard_form,
)
from recruitcare.ids import MAX_ID
from recruitcare.models import Application, Interview

bp = Blueprint("feedback", __name__)
bp.before_request(require_login)
bp.add_app_template_global(services.marked_segments, "marked_segments")


# ---- scorecards ------------------------------------------------------------------------------


def _scorecard_input(form) -> services.ScorecardInput:
    criteria = form.criteria
    return services.ScorecardInput(
        ratings={c.id: form.rating(c).data for c in criteria},
        evidence={c.id: form.evidence(c).data or "" for c in criteria},
        strengths=items_of(form.strengths),
        growth=items_of(form.growth),
        next_step=form.next_step.data or "",
        recommendation=Recommendation(form.recommendation.data)
        if form.recommendation.data
        else None,
        private_notes=form.private_notes.data or "",
    )


def _fill_scorecard_form(form, scorecard) -> None:
    ratings = {r.criterion_id: r for r in scorecard.ratings}
    for criterion in form.criteria:
        if criterion.id in ratings:
            form.rating(criterion).data = ratings[criterion.id].rating
            form.evidence(criterion).data = ratings[criterion.id].evidence
    fill_items(form.strengths, services.items_from(scorecard.strengths))
    fill_items(form.growth, services.items_from(scorecard.growth_areas))
    form.next_step.data = scorecard.next_step
    form.recommendation.data = scorecard.recommendation.value if scorecard.recommendation else None
    form.private_notes.data = scorecard.private_notes


def _attach(form, problems: dict[str, str]) -> None:
    """Show each problem under its own field; list-level ones stay in ``problems``."""
    for key, message in problems.items():
        if key in form:
            form[key].errors = [*form[key].errors, message]


@bp.route("/interviews/<int:interview_id>/scorecard", methods=["GET", "POST"])
def scorecard(interview_id: int):
    """The interviewer's own scorecard: save a draft at any time, submit when complete."""
    interview = services.get_interview_or_404(current_user, interview_id)
    application = interview.application
    criteria = application.requisition.criteria
    existing = services.own_scorecard(interview, current_user)
    form = scorecard_form(criteria)
    checked = services.Checked()
    problems: dict[str, str] = {}
    if request.method == "GET" and existing is not None:
        _fill_scorecard_form(form, existing)
    if request.method == "POST" and form.validate():
        data = _scorecard_input(form)
        checked = services.check_scorecard(data, criteria)
        submitting = bool(form.submit.data)
        if submitting:
            problems = services.scorecard_problems(data, criteria)
            _attach(form, problems)
        if not (submitting and (problems or checked.blocking)):
            services.save_scorecard(interview, current_user, data, submit=submitting, now=utcnow())
            db.session.commit()
            if submitting:
                flash("Scorecard submitted. You can now read the other scorecards.", "success")
                return redirect(url_for("feedback.scorecards", application_id=application.id))
            flash("Draft saved. Only you can see it.", "success")
            return redirect(url_for("feedback.scorecard", interview_id=interview.id))
    elif request.method == "GET" and existing is not None:
        checked = services.check_scorecard(_scorecard_input(form), criteria)
    return render_template(
        "feedback/scorecard.html",
        interview=interview,
        application=application,
        form=form,
        scorecard=existing,
        anchors=rules.RATING_ANCHORS,
        checked=checked,
        problems=problems,
        status=existing.status if existing else ScorecardStatus.DRAFT,
    )


@bp.get("/applications/<int:application_id>/scorecards")
def scorecards(application_id: int):
    application = get_application_or_404(
        current_user,
        application_id,
        selectinload(Application.interviews).selectinload(Interview.interviewers),
    )
    view = services.scorecards_for(application, current_user)
    return render_template(
        "feedback/scorecards.html",
        application=application,
        view=view,
        criteria=application.requisition.criteria,
        anchors={a.value: a for a in rules.RATING_ANCHORS},
    )


@bp.get("/interviews/mine")
def my_interviews():
    pending, upcoming = services.my_interviews(current_user, utcnow())
    return render_template("feedback/mine.html", pending=pending, upcoming=upcoming)


# ---- candidate-facing feedback ------------------------------------------------------------------


@bp.route("/applications/<int:application_id>/feedback", methods=["GET", "POST"])
def compose(application_id: int):
    """Draft (hiring managers and recruiters) and approve (recruiters) what the candidate reads."""
    application = get_application_or_404(current_user, application_id)
    criteria = application.requisition.criteria
    if not services.can_compose(application):
        flash("Feedback is written once a candidate is rejected after an interview stage.", "info")
        return redirect(url_for("pipeline.application", application_id=application.id))
    contents = services.submitted_contents(application)
    bands = rules.criterion_bands(contents)
    form = feedback_form(criteria)
    if request.method == "GET":
        draft = services.starting_draft(application, contents)
        fill_items(form.strengths, draft.strengths)
        fill_items(form.growth, draft.growth)
        form.next_step.data = draft.next_step
    draft = rules.FeedbackDraft(
        items_of(form.strengths), items_of(form.growth), form.next_step.data or ""
    )
    problems: dict[str, str] = {}
    error = None
    if request.method == "POST" and form.validate():
        now = utcnow()
        if form.approve.data:
            try:
                services.approve_feedback(
                    application,
                    draft,
                    actor=current_user,
                    now=now,
                    override_reason=form.override_reason.data or "",
                )
            except services.FeedbackError as refused:
                error = str(refused)
                problems = rules.feedback_problems(draft, [c.id for c in criteria])
            else:
                db.session.commit()
                flash("Feedback approved. This version is what the candidate will read.", "success")
                return redirect(url_for("feedback.compose", application_id=application.id))
        else:
            services.save_feedback_draft(application, draft, actor=current_user, now=now)
            db.session.commit()
            flash("Draft saved. A recruiter approves it before the candidate sees it.", "success")
            return redirect(url_for("feedback.compose", application_id=application.id))
    rendered, checked = services.check_feedback(application, draft, bands)
    saved = services.feedback_of(application)
    return render_template(
        "feedback/compose.html",
        application=application,
        form=form,
        criteria=criteria,
        bands=bands,
        rendered=rendered,
        checked=checked,
        problems=problems,
        error=error,
        feedback=saved,
        scorecard_count=len(contents),
    )


# ---- the live check ----------------------------------------------------------------------------


@bp.post("/feedback/check")
@limiter.limit(lambda: current_app.config["CHECK_RATE_LIMIT"])
def check_text():
    """Findings for a text as the person types: JSON in, JSON out, CSRF-protected.

    ``requisition_id`` (optional) brings the job's criteria into the suggestions; it is
    loaded within the user's reach, so another team's id is a 404.
    """
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict) or not isinstance(payload.get("text"), str):
        return jsonify(error='Send JSON with a "text" string.'), 400
    text = payload["text"]
    if len(text) > TEXT_LIMIT * 4:
        return jsonify(error="The text is too long to check at once."), 413
    criteria = []
    requisition_id = payload.get("requisition_id")
    if requisition_id is not None:
        if type(requisition_id) is not int:  # True and False are ints too
            return jsonify(error="requisition_id must be a number."), 400
        if not 0 < requisition_id <= MAX_ID:
            abort(404)
        requisition = get_requisition_or_404(current_user, requisition_id)
        criteria = [(c.name, c.description) for c in requisition.criteria]
    findings = check(text, criteria, message_checks=bool(payload.get("message")))
    worst = worst_severity(findings)
    return jsonify(
        findings=[f.to_dict() for f in findings],
        worst=str(worst) if worst else None,
        warn_only=bool(payload.get("private")),
    )
