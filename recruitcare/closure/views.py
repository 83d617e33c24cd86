"""Closing applications with a personal message: one at a time or a whole requisition."""

from email import policy as email_policy
from email.parser import BytesParser
from pathlib import Path

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from sqlalchemy import exists, select
from sqlalchemy.exc import IntegrityError

from recruitcare.access import (
    get_application_or_404,
    get_requisition_or_404,
    require_login,
    requisition_filter,
    role_required,
)
from recruitcare.clock import utcnow
from recruitcare.closure import services
from recruitcare.closure.forms import ClosureForm, ResendForm, TemplateForm
from recruitcare.dbutil import commit_batch
from recruitcare.domain import messages as wording
from recruitcare.domain.enums import (
    OPEN_APPLICATION_STATUSES,
    ApplicationStatus,
    ClosureStatus,
    Decision,
    DeliveryStatus,
    RequisitionStatus,
    Role,
)
from recruitcare.domain.redirects import safe_next_path
from recruitcare.domain.words import plural
from recruitcare.extensions import db
from recruitcare.formutil import choices
from recruitcare.ids import parse_id
from recruitcare.models import (
    Application,
    Candidate,
    ClosureMessage,
    MessageTemplate,
    OutboxMessage,
    Reason,
    Requisition,
)
from recruitcare.outbox import services as outbox
from recruitcare.pipeline import services as pipeline
from recruitcare.policies import promise_policy

bp = Blueprint("closure", __name__)
bp.before_request(require_login)
manage = role_required(Role.ADMIN, Role.RECRUITER)

# How an "everyone still open" close-out ends the remaining applications.
CLOSE_MODES = {
    "fill": ("position_filled", "position_filled", RequisitionStatus.FILLED),
    "cancel": ("position_cancelled", "position_cancelled", RequisitionStatus.CANCELLED),
}


def _templates_ready() -> dict[str, MessageTemplate]:
    templates = services.all_templates()
    if len(templates) < len(services.TEMPLATE_KEYS):
        services.seed_default_templates(now=utcnow())
        db.session.commit()
        templates = services.all_templates()
    return templates


# ---- one application ----------------------------------------------------------------------------


@bp.route("/applications/<int:application_id>/closure", methods=["GET", "POST"])
@manage
def compose(application_id: int):
    get_application_or_404(current_user, application_id)
    _templates_ready()
    (application,) = services.load_for_closure([application_id])
    ctx = services.Context.build([application])
    fallback = request.args.get("situation")
    fallback = fallback if fallback in services.TEMPLATE_KEYS else None
    closure = services.draft_for(application, ctx, now=utcnow(), fallback=fallback)
    back = safe_next_path(request.args.get("next", ""))
    form = ClosureForm(obj=None if request.method == "POST" else closure)
    form.template.choices = choices((t.key, t.name) for t in ctx.templates.values())
    if request.method == "GET":
        form.template.data = closure.template_key
    error = None
    scheduled = closure.status is ClosureStatus.SCHEDULED
    if request.method == "POST" and not scheduled and form.validate():
        now = utcnow()
        if form.use_template.data:
            fresh = services.new_draft(application, ctx, key=form.template.data, now=now)
            form.subject.data, form.body.data = fresh.subject, fresh.body
            closure.template_key = fresh.template_key
        else:
            closure = services.save_draft(
                closure,
                subject=form.subject.data,
                body=form.body.data,
                key=form.template.data,
                actor=current_user,
                now=now,
            )
            if form.approve.data:
                item = services.review(application, closure, ctx)
                try:
                    services.require_outcome(application)
                    services.approve(
                        [(item, form.override_reason.data or "")], actor=current_user, now=now
                    )
                except services.ClosureError as refused:
                    db.session.rollback()
                    error = str(refused)
                else:
                    db.session.commit()
                    flash("Approved. The message is scheduled.", "success")
                    target = url_for("pipeline.application", application_id=application_id)
                    return redirect(back or target)
            else:
                db.session.commit()
                flash("Draft saved.", "success")
                return redirect(request.full_path)
    if error:
        # The rollback expired the objects; load them again to show what was typed.
        (application,) = services.load_for_closure([application_id])
        ctx = services.Context.build([application])
        closure = services.draft_for(application, ctx, now=utcnow(), fallback=fallback)
    shown = closure
    if request.method == "POST" and not scheduled:
        shown = services.Draft(
            application,
            form.template.data or closure.template_key,
            form.subject.data or "",
            form.body.data or "",
            status=closure.status,
            revision=closure.revision,
        )
    item = services.review(application, shown, ctx)
    return render_template(
        "closure/compose.html",
        application=application,
        closure=closure,
        form=form,
        review=item,
        error=error,
        placeholders=wording.PLACEHOLDERS,
        back=back,
    )


def _closure_or_404(closure_id: int) -> ClosureMessage:
    stmt = (
        select(ClosureMessage)
        .join(ClosureMessage.application)
        .join(Application.requisition)
        .where(ClosureMessage.id == closure_id, requisition_filter(current_user))
    )
    return db.first_or_404(stmt)


@bp.post("/closures/<int:closure_id>/send-now")
@manage
def send_now(closure_id: int):
    closure = _closure_or_404(closure_id)
    try:
        services.send_now(closure, actor=current_user, now=utcnow())
    except services.ClosureError as error:
        flash(str(error), "error")
    else:
        db.session.commit()
        flash("The message goes out with the next run of the outbox worker.", "success")
    return redirect(url_for("pipeline.application", application_id=closure.application_id))


@bp.post("/closures/<int:closure_id>/cancel")
@manage
def cancel(closure_id: int):
    closure = _closure_or_404(closure_id)
    if services.cancel(closure, actor=current_user, now=utcnow(), reason="cancelled by hand"):
        db.session.commit()
        flash("The scheduled message was cancelled; the candidate still needs a closure.", "info")
    else:
        flash("That message has already gone out or was not scheduled.", "error")
    return redirect(url_for("pipeline.application", application_id=closure.application_id))


# ---- bulk close-out -----------------------------------------------------------------------------


def _needing_closure(requisition: Requisition, mode: str | None) -> list[Application]:
    """Finished applications without a scheduled closure, and the open ones when filling or
    cancelling the requisition."""
    scheduled = exists().where(
        ClosureMessage.application_id == Application.id,
        ClosureMessage.status == ClosureStatus.SCHEDULED,
    )
    statuses = [ApplicationStatus.REJECTED, ApplicationStatus.WITHDRAWN]
    if mode:
        statuses += list(OPEN_APPLICATION_STATUSES)
    ids = db.session.scalars(
        select(Application.id)
        .join(Application.candidate)
        .where(
            Application.requisition_id == requisition.id,
            Application.status.in_(statuses),
            ~scheduled,
            Candidate.anonymised_at.is_(None),
        )
        .order_by(Candidate.name, Application.id)
    ).all()
    loaded = {a.id: a for a in services.load_for_closure(ids)}
    return [loaded[i] for i in ids]


def _reviews(applications, mode):
    fallback = CLOSE_MODES[mode][0] if mode else None
    return services.review_all(applications, now=utcnow(), fallback=fallback)


@bp.route("/requisitions/<int:requisition_id>/closeout", methods=["GET", "POST"])
@manage
def closeout(requisition_id: int):
    requisition = get_requisition_or_404(current_user, requisition_id)
    mode = request.values.get("mode")
    mode = mode if mode in CLOSE_MODES else None
    _templates_ready()
    applications = _needing_closure(requisition, mode)
    error = None
    chosen = {i for v in request.form.getlist("selected") if (i := parse_id(v)) is not None}
    if request.method == "POST":
        batch = [a for a in applications if a.id in chosen]
        if not batch:
            error = "Select at least one candidate."
        else:
            try:
                count = _close_batch(requisition, batch, mode)
            except services.ClosureError as refused:
                db.session.rollback()
                error = str(refused)
                applications = _needing_closure(requisition, mode)
            else:
                commit_batch()
                flash(f"{plural(count, 'message')} approved and scheduled.", "success")
                if requisition.closing_as:
                    flash(
                        f"“{requisition.title}” will be marked "
                        f"{requisition.closing_as.label.lower()} as soon as every "
                        "candidate's message has been delivered.",
                        "info",
                    )
                # Candidates left open (not selected, or needing an edit) stay in view.
                still_open = mode and pipeline.closeout_remaining(requisition.id).undecided
                return redirect(
                    url_for(
                        "closure.closeout",
                        requisition_id=requisition.id,
                        mode=mode if still_open else None,
                    )
                )
    reviews = _reviews(applications, mode)
    return render_template(
        "closure/closeout.html",
        delivery=services.delivery_counts(requisition.id),
        completeness=services.closure_completeness(requisition.id),
        undelivered=services.undelivered_closures(requisition.id),
        requisition=requisition,
        reviews=reviews,
        mode=mode,
        error=error,
        selected=chosen,
        ready=sum(not r.problems for r in reviews),
    )


@bp.post("/requisitions/<int:requisition_id>/send-now")
@manage
def send_all_now(requisition_id: int):
    requisition = get_requisition_or_404(current_user, requisition_id)
    count = services.send_all_now(requisition.id, actor=current_user, now=utcnow())
    db.session.commit()
    flash(f"{count} scheduled messages go out with the next run of the outbox worker.", "success")
    return redirect(url_for("closure.closeout", requisition_id=requisition.id))


def _close_batch(requisition: Requisition, batch: list[Application], mode: str | None) -> int:
    """Record the outcome of open applications, then approve and enqueue every message; when
    filling or cancelling and none is left open, the requisition closes once they arrive."""
    now = utcnow()
    policy = promise_policy(current_app.config)
    if mode:
        code = CLOSE_MODES[mode][1]
        reason = db.session.scalar(select(Reason).where(Reason.code == code))
        for application in batch:
            if application.status.is_open:
                pipeline.record_outcome(
                    application,
                    decision=Decision.REJECT,
                    reason=reason,
                    actor=current_user,
                    now=now,
                    policy=policy,
                )
    reviews = _reviews(batch, mode)
    overrides = {a.id: request.form.get(f"override-{a.id}", "") for a in batch}
    services.approve(
        [(r, overrides[r.closure.application.id]) for r in reviews], actor=current_user, now=now
    )
    if mode:
        still_open = db.session.scalar(
            select(
                exists().where(
                    Application.requisition_id == requisition.id,
                    Application.status.in_(OPEN_APPLICATION_STATUSES),
                )
            )
        )
        if not still_open:
            pipeline.close_when_delivered(
                requisition, CLOSE_MODES[mode][2], actor=current_user, now=now
            )
    return len(reviews)


# ---- templates ----------------------------------------------------------------------------------


@bp.get("/messages/templates")
@manage
def templates():
    return render_template("closure/templates.html", templates=_templates_ready().values())


@bp.route("/messages/templates/<key>", methods=["GET", "POST"])
@manage
def edit_template(key: str):
    template = _templates_ready().get(key) or abort(404)
    form = TemplateForm(obj=template)
    if form.validate_on_submit():
        errors = services.template_errors(form.subject.data, form.body.data)
        for name, messages in errors.items():
            form[name].errors = [*form[name].errors, *messages]
        if not errors:
            services.save_template(
                template,
                name=form.name.data,
                subject=form.subject.data,
                body=form.body.data,
                actor=current_user,
                now=utcnow(),
            )
            db.session.commit()
            flash("Template saved.", "success")
            return redirect(url_for("closure.templates"))
    return render_template(
        "closure/edit_template.html",
        template=template,
        form=form,
        placeholders=wording.PLACEHOLDERS,
    )


# ---- delivery -----------------------------------------------------------------------------------


def _visible_messages():
    return (
        select(OutboxMessage)
        .join(Application, Application.id == OutboxMessage.application_id)
        .join(Application.requisition)
        .where(requisition_filter(current_user))
    )


@bp.get("/messages/not-delivered")
@manage
def not_delivered():
    failed = db.session.scalars(
        _visible_messages()
        .where(OutboxMessage.status == DeliveryStatus.FAILED)
        .order_by(OutboxMessage.last_attempt_at.desc())
    ).all()
    return render_template(
        "closure/not_delivered.html",
        failed=failed,
        forms={m.id: ResendForm(prefix=f"m{m.id}", email=m.recipient) for m in failed},
    )


@bp.post("/messages/<int:message_id>/resend")
@manage
def resend(message_id: int):
    message = db.first_or_404(_visible_messages().where(OutboxMessage.id == message_id))
    form = ResendForm(prefix=f"m{message.id}")
    if message.status is not DeliveryStatus.FAILED:
        flash("Only a message that was not delivered can be resent.", "error")
    elif not form.validate():
        flash(f"{message.recipient_name}: {' '.join(form.email.errors)}", "error")
    else:
        address = form.email.data.strip().lower()
        candidate = message.application.candidate
        try:
            if address != candidate.email:
                candidate.email = address
                db.session.flush()
            outbox.resend(message, recipient=address, now=utcnow())
            db.session.commit()
        except IntegrityError:
            db.session.rollback()
            flash(f"{address} already belongs to another candidate.", "error")
        else:
            flash(f"The message to {message.recipient_name} is scheduled again.", "success")
    return redirect(url_for("closure.not_delivered"))


def _mail_dir() -> Path:
    return Path(current_app.config["MAIL_FILE_DIR"] or Path(current_app.instance_path) / "mail")


@bp.get("/messages/sent")
@manage
def sent_mail():
    """Development mailbox: the messages the file backend wrote, newest first."""
    if current_app.config["MAIL_BACKEND"] != "file":
        abort(404)
    folder = _mail_dir()
    files = sorted(folder.glob("*.eml"), key=lambda p: p.stat().st_mtime, reverse=True)
    shown = []
    for path in files[:100]:
        with path.open("rb") as handle:
            headers = BytesParser(policy=email_policy.default).parse(handle, headersonly=True)
        shown.append((path.name, headers))
    return render_template("closure/sent.html", messages=shown, total=len(files))


@bp.get("/messages/sent/<name>")
@manage
def sent_message(name: str):
    if current_app.config["MAIL_BACKEND"] != "file" or "/" in name or not name.endswith(".eml"):
        abort(404)
    path = _mail_dir() / name
    if not path.is_file():
        abort(404)
    with path.open("rb") as handle:
        message = BytesParser(policy=email_policy.default).parse(handle)
    text = message.get_body(preferencelist=("plain",))
    return render_template(
        "closure/sent_message.html",
        message=message,
        text=text.get_content() if text else "",
    )
