"""The recruiter's list of candidate requests, the talent pool, and managing links."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.orm import joinedload

from recruitcare import audit
from recruitcare.access import (
    get_application_or_404,
    get_requisition_or_404,
    require_login,
    role_required,
    visible_requisitions,
)
from recruitcare.candidate_requests import pool, services
from recruitcare.candidate_requests.forms import AnswerForm, DeletePersonForm
from recruitcare.clock import utcnow
from recruitcare.domain.enums import RequisitionStatus, Role
from recruitcare.domain.portal import RequestKind
from recruitcare.domain.words import plural
from recruitcare.extensions import db
from recruitcare.models import Requisition
from recruitcare.portal import services as portal

bp = Blueprint("requests", __name__)
bp.before_request(require_login)
staff = role_required(Role.ADMIN, Role.RECRUITER)


@bp.get("/requests")
@staff
def index():
    return render_template(
        "candidate_requests/index.html",
        open_requests=services.open_requests(current_user),
        done=services.done_requests(current_user, limit=20),
        now=utcnow(),
    )


@bp.get("/requests/<int:request_id>")
@staff
def show(request_id: int):
    item = services.get_request_or_404(current_user, request_id)
    return _detail(item)


def _detail(item, *, answer_form=None, delete_form=None, findings=None, status=200):
    return render_template(
        "candidate_requests/show.html",
        item=item,
        answer_form=answer_form or AnswerForm(),
        delete_form=delete_form or DeletePersonForm(),
        findings=findings or [],
        now=utcnow(),
    ), status


@bp.post("/requests/<int:request_id>/done")
@staff
def done(request_id: int):
    item = services.get_request_or_404(current_user, request_id)
    services.mark_done(item, actor=current_user, now=utcnow())
    db.session.commit()
    flash(f"{item.kind.label} from {item.application.candidate.name} marked done.", "success")
    return redirect(url_for("requests.index"))


@bp.post("/requests/<int:request_id>/answer")
@staff
def answer(request_id: int):
    item = services.get_request_or_404(current_user, request_id)
    if item.kind is not RequestKind.QUESTION:
        abort(404)
    form = AnswerForm()
    if not form.validate():
        return _detail(item, answer_form=form, status=422)
    try:
        services.answer_question(
            item,
            answer=form.answer.data,
            override_reason=form.override_reason.data or "",
            actor=current_user,
            now=utcnow(),
        )
    except services.RequestError as error:
        form.answer.errors.append(str(error))
        findings = services.check_answer(form.answer.data, item)
        return _detail(item, answer_form=form, findings=findings, status=422)
    db.session.commit()
    flash("The answer is on the candidate's page and on its way by email.", "success")
    return redirect(url_for("requests.index"))


@bp.post("/requests/<int:request_id>/delete-person")
@staff
def delete_person(request_id: int):
    item = services.get_request_or_404(current_user, request_id)
    if item.kind is not RequestKind.DELETION:
        abort(404)
    form = DeletePersonForm()
    if not form.validate():
        return _detail(item, delete_form=form, status=422)
    services.delete_person(item, actor=current_user, now=utcnow())
    db.session.commit()
    flash("The person's data is deleted; only counts remain.", "success")
    return redirect(url_for("requests.index"))


@bp.get("/talent-pool")
@staff
def talent_pool():
    role_family = request.args.get("role_family", "").strip()
    location = request.args.get("location", "").strip()
    families, locations = portal.pool_choices()
    entries = services.talent_pool(now=utcnow(), role_family=role_family, location=location)
    open_jobs = list(
        db.session.scalars(
            visible_requisitions(current_user)
            .where(Requisition.status == RequisitionStatus.OPEN)
            .order_by(Requisition.title)
        )
    )
    return render_template(
        "candidate_requests/talent_pool.html",
        entries=entries,
        openings=pool.matching_open_requisitions([e.consent for e in entries], open_jobs),
        families=families,
        locations=locations,
        role_family=role_family,
        location=location,
    )


def pool_suggestions(requisition: Requisition) -> list[pool.Suggestion] | None:
    """The board's "From the talent pool" panel, for recruiters and admins while the job is
    open; None when the panel is not shown. A template global, so the board includes the
    panel with one line and its view stays the pipeline's."""
    if not current_user.can_manage_pipeline or requisition.status is not RequisitionStatus.OPEN:
        return None
    return pool.suggest_from_pool(requisition, now=utcnow())


bp.add_app_template_global(pool_suggestions)


@bp.post("/requisitions/<int:requisition_id>/talent-pool/<int:consent_id>/invite")
@staff
def invite_from_pool(requisition_id: int, consent_id: int):
    """Invite one person from the pool to apply; a refusal sends nothing and says why."""
    requisition = get_requisition_or_404(
        current_user, requisition_id, joinedload(Requisition.owner)
    )
    consent = pool.get_consent_or_404(consent_id)
    name = consent.candidate.name
    try:
        pool.invite_to_apply(requisition, consent, actor=current_user, now=utcnow())
    except pool.InviteError as error:
        db.session.rollback()
        flash(str(error), "error")
    else:
        db.session.commit()
        flash(f"{name} is invited to apply; the email is on its way.", "success")
    return redirect(
        url_for("pipeline.board", requisition_id=requisition_id, pool=1, _anchor="talent-pool")
    )


@bp.post("/applications/<int:application_id>/link/send")
@staff
def send_link(application_id: int):
    """Email the candidate a fresh link; the old ones stop working."""
    application = get_application_or_404(current_user, application_id)
    portal.send_new_link(application, now=utcnow(), actor=current_user)
    db.session.commit()
    flash(f"A new private link is on its way to {application.candidate.email}.", "success")
    return redirect(url_for("pipeline.application", application_id=application.id))


@bp.post("/applications/<int:application_id>/link/revoke")
@staff
def revoke_links(application_id: int):
    application = get_application_or_404(current_user, application_id)
    count = portal.revoke_links(application, now=utcnow())
    audit.record("portal.links_revoked", application, actor=current_user, now=utcnow())
    db.session.commit()
    flash(f"{plural(count, 'link')} revoked.", "success")
    return redirect(url_for("pipeline.application", application_id=application.id))
