"""The recruiter's workspace: requisition setup, the board and list, applications, outcomes."""

from zoneinfo import ZoneInfo

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from recruitcare import policies
from recruitcare.access import (
    get_application_or_404,
    get_outcome_or_404,
    get_requisition_or_404,
    require_login,
    role_required,
    visible_applications,
)
from recruitcare.candidate_requests.services import portal_panel
from recruitcare.clock import utcnow
from recruitcare.closure.services import closure_summary
from recruitcare.domain.enums import (
    ApplicationStatus,
    Decision,
    InterimPolicy,
    RequisitionStatus,
    Role,
    StatusUpdatePolicy,
)
from recruitcare.domain.pipeline import can_undo
from recruitcare.domain.sweep import duty_state
from recruitcare.extensions import db
from recruitcare.feedback import services as feedback_services
from recruitcare.formutil import choices
from recruitcare.ids import parse_id
from recruitcare.models import Application, Reason, Requisition, User
from recruitcare.pipeline import queries, services
from recruitcare.pipeline.forms import (
    BulkForm,
    ConfirmForm,
    CriterionForm,
    InterviewForm,
    MoveForm,
    OutcomeForm,
    RequisitionForm,
    StageForm,
)
from recruitcare.policies import promise_policy
from recruitcare.sweep import services as sweep

bp = Blueprint("pipeline", __name__)
bp.before_request(require_login)
manage = role_required(Role.ADMIN, Role.RECRUITER)


def _policy():
    return promise_policy(current_app.config)


def _duty_warning() -> int:
    return current_app.config["DUTY_TO_INFORM_WARNING_DAYS"]


# The application list's pages: one far past the last would overflow the database's OFFSET.
MAX_PAGE = 100_000
# How a recruiter may have told a candidate outside RecruitCare's own messages.
INFORM_WAYS = (
    ("phone", "By phone"),
    ("in_person", "In person"),
    ("other_email", "By email outside RecruitCare"),
)


# ---- requisitions -------------------------------------------------------------------------


def _people_choices(form: RequisitionForm) -> None:
    people = db.session.scalars(select(User).where(User.active).order_by(User.name)).all()
    form.owner.choices = choices(
        (p.id, p.name) for p in people if p.role in (Role.ADMIN, Role.RECRUITER)
    )
    form.members.choices = choices((p.id, f"{p.name} ({p.role.label})") for p in people)


def _users(ids) -> list[User]:
    if not ids:
        return []
    return list(db.session.scalars(select(User).where(User.id.in_(ids), User.active)))


@bp.route("/requisitions/new", methods=["GET", "POST"])
@manage
def new_requisition():
    form = RequisitionForm()
    _people_choices(form)
    if request.method == "GET":
        form.owner.data = current_user.id
    if form.validate_on_submit():
        now = utcnow()
        requisition = services.create_requisition(
            title=form.title.data,
            team=form.team.data,
            location=form.location.data,
            role_family=form.role_family.data,
            owner=db.session.get(User, form.owner.data),
            members=_users(form.members.data),
            actor=current_user,
            now=now,
            promise_days=form.promise_days.data or current_app.config["DEFAULT_PROMISE_DAYS"],
        )
        requisition.publicly_advertised = form.publicly_advertised.data
        requisition.status_update_policy = StatusUpdatePolicy(form.status_update_policy.data)
        requisition.interim_policy = InterimPolicy(form.interim_policy.data)
        services.set_requisition_status(
            requisition, RequisitionStatus(form.status.data), actor=current_user, now=now
        )
        db.session.commit()
        flash(f"“{requisition.title}” created. Add its criteria and check its stages.", "success")
        return redirect(url_for("pipeline.setup", requisition_id=requisition.id))
    return render_template("pipeline/new_requisition.html", form=form)


@bp.route("/requisitions/<int:requisition_id>/edit", methods=["GET", "POST"])
@manage
def edit_requisition(requisition_id: int):
    requisition = get_requisition_or_404(current_user, requisition_id)
    form = RequisitionForm(obj=requisition)
    del form.promise_days
    _people_choices(form)
    if request.method == "GET":
        form.owner.data = requisition.owner_id
        form.members.data = [m.id for m in requisition.members]
        form.status.data = requisition.status.value
        form.status_update_policy.data = requisition.status_update_policy.value
        form.interim_policy.data = requisition.interim_policy.value
    if form.validate_on_submit():
        status = RequisitionStatus(form.status.data)
        try:
            services.check_can_close(requisition, status)
        except services.CloseOutNeeded as blocked:
            # Everything else is saved; the status waits for the close-out.
            closeout = (blocked.mode, blocked.remaining)
            status = requisition.status
        else:
            closeout = None
        services.update_requisition(
            requisition,
            actor=current_user,
            now=utcnow(),
            title=form.title.data,
            team=form.team.data,
            location=form.location.data,
            role_family=form.role_family.data,
            owner=db.session.get(User, form.owner.data),
            members=_users(form.members.data),
            publicly_advertised=form.publicly_advertised.data,
            status=status,
            interim_policy=InterimPolicy(form.interim_policy.data),
            status_update_policy=StatusUpdatePolicy(form.status_update_policy.data),
        )
        if closeout is not None and not closeout[1].undecided:
            # Everyone has a final outcome: it closes as soon as the last message arrives.
            wanted = RequisitionStatus(form.status.data)
            services.close_when_delivered(requisition, wanted, actor=current_user, now=utcnow())
            db.session.commit()
            waiting = closeout[1].undelivered
            last = "closure message is" if waiting == 1 else f"{waiting} closure messages are"
            flash(
                f"Requisition saved. It will be marked {wanted.label.lower()} as soon as the "
                f"last {last} delivered.",
                "info",
            )
            return redirect(url_for("closure.closeout", requisition_id=requisition.id))
        db.session.commit()
        if closeout is not None:
            mode, remaining = closeout
            flash(
                f"Your other changes are saved, but the requisition stays "
                f"{requisition.status.label.lower()}: {remaining.explain()}. "
                "Close out the remaining candidates here first.",
                "warning",
            )
            return redirect(url_for("closure.closeout", requisition_id=requisition.id, mode=mode))
        flash("Requisition saved.", "success")
        return redirect(url_for("pipeline.board", requisition_id=requisition.id))
    return render_template("pipeline/edit_requisition.html", form=form, requisition=requisition)


@bp.get("/requisitions/<int:requisition_id>/setup")
@manage
def setup(requisition_id: int):
    requisition = get_requisition_or_404(current_user, requisition_id)
    return render_template(
        "pipeline/setup.html",
        requisition=requisition,
        criterion_form=CriterionForm(formdata=None),
        stage_form=StageForm(formdata=None),
        move=MoveForm(formdata=None),
    )


def _child_or_404(items, item_id: int):
    for item in items:
        if item.id == item_id:
            return item
    abort(404)


def _back_to_setup(requisition: Requisition):
    return redirect(url_for("pipeline.setup", requisition_id=requisition.id))


def _setup_with_errors(requisition: Requisition, **forms):
    forms.setdefault("criterion_form", CriterionForm(formdata=None))
    forms.setdefault("stage_form", StageForm(formdata=None))
    return render_template(
        "pipeline/setup.html", requisition=requisition, move=MoveForm(formdata=None), **forms
    )


@bp.post("/requisitions/<int:requisition_id>/criteria")
@manage
def add_criterion(requisition_id: int):
    requisition = get_requisition_or_404(current_user, requisition_id)
    form = CriterionForm()
    if not form.validate():
        return _setup_with_errors(requisition, criterion_form=form)
    services.add_criterion(requisition, form.name.data, form.description.data)
    db.session.commit()
    flash(f"Criterion “{form.name.data}” added.", "success")
    return _back_to_setup(requisition)


@bp.post("/requisitions/<int:requisition_id>/criteria/<int:criterion_id>")
@manage
def edit_criterion(requisition_id: int, criterion_id: int):
    requisition = get_requisition_or_404(current_user, requisition_id)
    criterion = _child_or_404(requisition.criteria, criterion_id)
    form = CriterionForm()
    if form.validate():
        criterion.name, criterion.description = form.name.data, form.description.data
        db.session.commit()
        flash("Criterion saved.", "success")
    else:
        flash("A criterion needs a name (120 characters at most).", "error")
    return _back_to_setup(requisition)


def _move_child(requisition_id: int, collection: str, item_id: int):
    """Move a criterion or a stage one place up or down in its requisition's order."""
    requisition = get_requisition_or_404(current_user, requisition_id)
    items = getattr(requisition, collection)
    item = _child_or_404(items, item_id)
    form = MoveForm()
    if form.validate():
        services.move_item(items, item, -1 if form.direction.data == "up" else 1)
        db.session.commit()
    return _back_to_setup(requisition)


@bp.post("/requisitions/<int:requisition_id>/criteria/<int:criterion_id>/move")
@manage
def move_criterion(requisition_id: int, criterion_id: int):
    return _move_child(requisition_id, "criteria", criterion_id)


def _remove_child(requisition_id: int, collection: str, item_id: int, remove, noun: str):
    """Remove a criterion or a stage; a refusal from the service is shown, nothing changes."""
    requisition = get_requisition_or_404(current_user, requisition_id)
    item = _child_or_404(getattr(requisition, collection), item_id)
    if ConfirmForm().validate():
        try:
            remove(requisition, item)
        except services.PipelineError as error:
            flash(str(error), "error")
        else:
            db.session.commit()
            flash(f"{noun} “{item.name}” removed.", "success")
    return _back_to_setup(requisition)


@bp.post("/requisitions/<int:requisition_id>/criteria/<int:criterion_id>/delete")
@manage
def delete_criterion(requisition_id: int, criterion_id: int):
    return _remove_child(
        requisition_id, "criteria", criterion_id, services.remove_criterion, "Criterion"
    )


@bp.post("/requisitions/<int:requisition_id>/stages")
@manage
def add_stage(requisition_id: int):
    requisition = get_requisition_or_404(current_user, requisition_id)
    form = StageForm()
    if not form.validate():
        return _setup_with_errors(requisition, stage_form=form)
    services.add_stage(requisition, form.name.data, form.promise_days.data, form.is_interview.data)
    db.session.commit()
    flash(f"Stage “{form.name.data}” added before the last stage.", "success")
    return _back_to_setup(requisition)


@bp.post("/requisitions/<int:requisition_id>/stages/<int:stage_id>")
@manage
def edit_stage(requisition_id: int, stage_id: int):
    requisition = get_requisition_or_404(current_user, requisition_id)
    stage = _child_or_404(requisition.stages, stage_id)
    form = StageForm()
    if form.validate():
        stage.name, stage.promise_days = form.name.data, form.promise_days.data
        stage.is_interview = form.is_interview.data
        db.session.commit()
        flash("Stage saved. New promises use its response time.", "success")
    else:
        flash("A stage needs a name and a promise of 1 to 60 business days.", "error")
    return _back_to_setup(requisition)


@bp.post("/requisitions/<int:requisition_id>/stages/<int:stage_id>/move")
@manage
def move_stage(requisition_id: int, stage_id: int):
    return _move_child(requisition_id, "stages", stage_id)


@bp.post("/requisitions/<int:requisition_id>/stages/<int:stage_id>/delete")
@manage
def delete_stage(requisition_id: int, stage_id: int):
    return _remove_child(requisition_id, "stages", stage_id, services.remove_stage, "Stage")


# ---- board and list -----------------------------------------------------------------------


def _reason_choices(form) -> None:
    reasons = db.session.scalars(
        select(Reason).where(Reason.active).order_by(Reason.decision, Reason.position)
    ).all()
    form.reason.choices = choices(
        [(0, "Choose a reason")]
        + [
            (
                r.id,
                f"{r.label} ({'withdrawal' if r.decision is Decision.WITHDRAWN else 'rejection'})",
            )
            for r in reasons
        ]
    )


def _load_board_requisition(requisition_id: int) -> Requisition:
    return get_requisition_or_404(current_user, requisition_id, selectinload(Requisition.stages))


@bp.get("/requisitions/<int:requisition_id>")
def board(requisition_id: int):
    requisition = _load_board_requisition(requisition_id)
    columns, closed = queries.board_columns(requisition, utcnow(), _policy())
    bulk = BulkForm(formdata=None)
    _reason_choices(bulk)
    return render_template(
        "pipeline/board.html", requisition=requisition, columns=columns, closed=closed, bulk=bulk
    )


@bp.get("/requisitions/<int:requisition_id>/applications")
def application_list(requisition_id: int):
    requisition = _load_board_requisition(requisition_id)
    args = request.args
    status = args.get("status", "")
    stmt = queries.application_list_query(
        requisition,
        now=utcnow(),
        stage_id=parse_id(args.get("stage", "")),
        status=ApplicationStatus(status)
        if status in ApplicationStatus._value2member_map_
        else None,
        open_only=status == "open",
        overdue=args.get("overdue") == "1",
        search=args.get("q", ""),
        sort=args.get("sort", "due"),
    )
    number = min(parse_id(args.get("page", "")) or 1, MAX_PAGE)
    page = db.paginate(
        stmt,
        page=number,
        per_page=current_app.config["PAGE_SIZE"],
        max_per_page=200,
        error_out=False,
    )
    now, policy = utcnow(), _policy()
    cards = [queries.card_for(application, now, policy) for application in page.items]
    bulk = BulkForm(formdata=None)
    _reason_choices(bulk)
    return render_template(
        "pipeline/application_list.html",
        requisition=requisition,
        page=page,
        cards=cards,
        bulk=bulk,
        statuses=ApplicationStatus,
    )


@bp.post("/requisitions/<int:requisition_id>/bulk")
@manage
def bulk_action(requisition_id: int):
    requisition = get_requisition_or_404(current_user, requisition_id)
    form = BulkForm()
    _reason_choices(form)
    back = request.form.get("back") or url_for("pipeline.board", requisition_id=requisition.id)
    ids = [i for v in request.form.getlist("application_ids") if (i := parse_id(v)) is not None]
    if not form.validate() or not ids:
        flash("Select at least one candidate and an action.", "error")
        return redirect(_local(back, requisition))
    applications = db.session.scalars(
        visible_applications(current_user).where(
            Application.requisition_id == requisition.id, Application.id.in_(ids)
        )
    ).all()
    decision = Decision(form.action.data)
    reason = db.session.get(Reason, form.reason.data) if form.reason.data else None
    try:
        changed, skipped = services.decide_many(
            applications,
            decision=decision,
            actor=current_user,
            now=utcnow(),
            policy=_policy(),
            reason=reason,
            details=form.details.data or "",
        )
    except services.PipelineError as error:
        flash(str(error), "error")
        return redirect(_local(back, requisition))
    db.session.commit()
    flash(f"{changed} of {len(ids)} applications changed ({decision.label.lower()}).", "success")
    for application, why in skipped:
        flash(f"Skipped {application.candidate.name}: {why}", "warning")
    return redirect(_local(back, requisition))


def _local(target: str, requisition: Requisition) -> str:
    from recruitcare.domain.redirects import safe_next_path

    return safe_next_path(target) or url_for("pipeline.board", requisition_id=requisition.id)


# ---- one application ----------------------------------------------------------------------


def _load_application(application_id: int) -> Application:
    return get_application_or_404(
        current_user,
        application_id,
        selectinload(Application.outcomes),
    )


def _interview_form(application: Application, formdata=None) -> InterviewForm:
    form = InterviewForm() if formdata is None else InterviewForm(formdata=formdata)
    requisition = application.requisition
    form.stage.choices = choices((s.id, s.name) for s in requisition.stages if s.is_interview)
    team = {u.id: u for u in [requisition.owner, *requisition.members]}
    form.interviewers.choices = choices((u.id, u.name) for u in team.values())
    if formdata is not None and not formdata and application.stage_id:
        form.stage.data = application.stage_id
    return form


def _application_page(application: Application, *, interview_form=None, outcome_form=None):
    if interview_form is None:
        interview_form = _interview_form(application, formdata={})
    if outcome_form is None:
        outcome_form = OutcomeForm(formdata=None)
    _reason_choices(outcome_form)
    now, policy = utcnow(), _policy()
    latest = queries.latest_confirmed(application)
    duty_policy = policies.duty_policy(current_app.config)
    duties = [
        (record, duty_state(record.due_at, record.informed_at, now, warning_days=_duty_warning()))
        for record in sweep.duty_records(application.id)
    ]
    return render_template(
        "pipeline/application.html",
        duties=duties,
        duty_policy=duty_policy,
        untold_duty=duty_policy is not None and any(r.informed_at is None for r, _ in duties),
        inform_ways=INFORM_WAYS,
        application=application,
        card=queries.card_for(application, now, policy),
        timeline=queries.application_timeline(application),
        proposals=queries.open_proposals(application),
        undoable=latest if latest and can_undo(latest.decided_at, now, policy.zone) else None,
        interview_form=interview_form,
        outcome_form=outcome_form,
        confirm=ConfirmForm(formdata=None),
        feedback=feedback_services.summary_for(application, current_user),
        closure=closure_summary(application),
        portal=portal_panel(application, now=now),
        portal_now=now,
    )


@bp.get("/applications/<int:application_id>")
def application(application_id: int):
    return _application_page(_load_application(application_id))


@bp.post("/applications/<int:application_id>/interviews")
@manage
def schedule_interview(application_id: int):
    application = _load_application(application_id)
    form = _interview_form(application)
    if not form.validate():
        return _application_page(application, interview_form=form)
    zone = ZoneInfo(current_app.config["ORG_TIMEZONE"])
    when = form.scheduled_at.data.replace(tzinfo=zone)
    stage = _child_or_404(application.requisition.stages, form.stage.data)
    services.schedule_interview(
        application,
        stage=stage,
        when=when,
        interviewers=_users(form.interviewers.data),
        actor=current_user,
        now=utcnow(),
    )
    db.session.commit()
    flash(f"Interview saved for {when.strftime('%a %-d %b %Y, %H:%M')}.", "success")
    return redirect(url_for("pipeline.application", application_id=application.id))


@bp.post("/applications/<int:application_id>/outcome")
def record_outcome(application_id: int):
    """Recruiters record outcomes; a hiring manager's outcome is a proposal to confirm."""
    application = _load_application(application_id)
    form = OutcomeForm()
    _reason_choices(form)
    if not form.validate():
        return _application_page(application, outcome_form=form)
    decision = Decision(form.decision.data)
    reason = db.session.get(Reason, form.reason.data) if form.reason.data else None
    try:
        if current_user.can_manage_pipeline:
            services.record_outcome(
                application,
                decision=decision,
                reason=reason,
                details=form.details.data or "",
                actor=current_user,
                now=utcnow(),
                policy=_policy(),
            )
            message = f"Outcome recorded: {decision.label.lower()}."
        else:
            services.propose_outcome(
                application,
                decision=decision,
                reason=reason,
                details=form.details.data or "",
                actor=current_user,
                now=utcnow(),
            )
            message = "Your proposal was sent to the recruiter to confirm."
    except services.PipelineError as error:
        form.reason.errors.append(str(error))
        return _application_page(application, outcome_form=form)
    db.session.commit()
    flash(message, "success")
    return redirect(url_for("pipeline.application", application_id=application.id))


def _act_on_outcome(outcome_id: int, operation, done: str):
    """Confirm or undo an outcome: the same load, check, commit and message either way."""
    outcome = get_outcome_or_404(current_user, outcome_id)
    if ConfirmForm().validate():
        try:
            operation(outcome, actor=current_user, now=utcnow(), policy=_policy())
        except services.PipelineError as error:
            flash(str(error), "error")
        else:
            db.session.commit()
            flash(done, "success")
    return redirect(url_for("pipeline.application", application_id=outcome.application_id))


@bp.post("/outcomes/<int:outcome_id>/confirm")
@manage
def confirm_outcome(outcome_id: int):
    return _act_on_outcome(outcome_id, services.confirm_outcome, "Proposal confirmed.")


@bp.post("/outcomes/<int:outcome_id>/undo")
@manage
def undo_outcome(outcome_id: int):
    return _act_on_outcome(
        outcome_id,
        services.undo_outcome,
        "Outcome undone; the application is back where it was.",
    )


@bp.post("/applications/<int:application_id>/informed")
@manage
def record_informed(application_id: int):
    """The recruiter told an interviewed candidate outside RecruitCare whether a decision has
    been made: the duty to inform is met, and the record says when and how."""
    application = _load_application(application_id)
    how = request.form.get("how", "")
    policy = policies.duty_policy(current_app.config)
    if ConfirmForm().validate() and policy is not None and how in dict(INFORM_WAYS):
        count = sweep.record_informed(
            application, how=how, actor=current_user, now=utcnow(), policy=policy
        )
        db.session.commit()
        flash("Recorded." if count else "Nothing was waiting to be recorded.", "success")
    else:
        flash("Choose how you told the candidate.", "error")
    return redirect(url_for("pipeline.application", application_id=application.id))
