"""People: list, invite with a one-time link, change role, deactivate."""

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from recruitcare import audit
from recruitcare.access import role_required
from recruitcare.admin.forms import ConfirmForm, InviteForm, RoleForm
from recruitcare.admin.services import ReasonError, save_reason
from recruitcare.auth import services
from recruitcare.clock import utcnow
from recruitcare.domain.enums import Role
from recruitcare.extensions import db
from recruitcare.models import Reason, User
from recruitcare.pipeline.forms import ReasonForm

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.before_request
@role_required(Role.ADMIN)
def _admins_only():
    return None


def _set_password_url(user: User) -> str:
    token = services.make_set_password_token(user, current_app.secret_key)
    return url_for("auth.set_password", token=token, _external=True)


@bp.get("/users")
def users():
    people = db.session.scalars(select(User).order_by(User.active.desc(), User.name)).all()
    return render_template(
        "admin/users.html", people=people, role_form=RoleForm(), confirm=ConfirmForm()
    )


@bp.route("/users/invite", methods=["GET", "POST"])
def invite():
    form = InviteForm()
    if form.validate_on_submit():
        try:
            user = services.create_user(
                form.email.data,
                form.name.data,
                Role(form.role.data),
                password=None,
                now=utcnow(),
                actor=current_user,
            )
        except services.AccountError as error:
            form.email.errors.append(str(error))
        else:
            db.session.commit()
            return render_template("admin/invited.html", user=user, link=_set_password_url(user))
    return render_template("admin/invite.html", form=form)


def _get_user_or_404(user_id: int) -> User:
    return db.get_or_404(User, user_id)


@bp.post("/users/<int:user_id>/role")
def change_role(user_id: int):
    user = _get_user_or_404(user_id)
    form = RoleForm()
    if form.validate_on_submit():
        try:
            services.change_role(user, Role(form.role.data), actor=current_user, now=utcnow())
        except services.AccountError as error:
            flash(str(error), "error")
        else:
            db.session.commit()
            flash(f"{user.name} is now {user.role.label}.", "success")
    return redirect(url_for("admin.users"))


@bp.post("/users/<int:user_id>/deactivate")
def deactivate(user_id: int):
    return _set_active(user_id, False)


@bp.post("/users/<int:user_id>/reactivate")
def reactivate(user_id: int):
    return _set_active(user_id, True)


def _set_active(user_id: int, active: bool):
    user = _get_user_or_404(user_id)
    if ConfirmForm().validate_on_submit():
        try:
            services.set_active(user, active, actor=current_user, now=utcnow())
        except services.AccountError as error:
            flash(str(error), "error")
        else:
            db.session.commit()
            state = "can sign in again" if active else "is deactivated and signed out everywhere"
            flash(f"{user.name} {state}.", "success")
    return redirect(url_for("admin.users"))


@bp.post("/users/<int:user_id>/link")
def reset_link(user_id: int):
    user = _get_user_or_404(user_id)
    if not ConfirmForm().validate_on_submit() or not user.active:
        flash("Links can only be made for active accounts.", "error")
        return redirect(url_for("admin.users"))
    return render_template("admin/invited.html", user=user, link=_set_password_url(user))


# ---- the reason taxonomy ------------------------------------------------------------------


@bp.route("/reasons", methods=["GET", "POST"])
def reasons():
    form = ReasonForm()
    if form.validate_on_submit():
        try:
            reason = save_reason(None, form.data)
        except ReasonError as error:
            form.code.errors.append(str(error))
        else:
            audit.record(
                "reason.created", reason, actor=current_user, now=utcnow(), code=reason.code
            )
            db.session.commit()
            flash(f"Reason “{reason.label}” added.", "success")
            return redirect(url_for("admin.reasons"))
    taxonomy = db.session.scalars(select(Reason).order_by(Reason.decision, Reason.position)).all()
    return render_template("admin/reasons.html", taxonomy=taxonomy, form=form)


@bp.route("/reasons/<int:reason_id>", methods=["GET", "POST"])
def edit_reason(reason_id: int):
    reason = db.get_or_404(Reason, reason_id)
    form = ReasonForm(obj=reason)
    if request.method == "GET":
        form.decision.data = reason.decision.value
    if form.validate_on_submit():
        try:
            save_reason(reason, form.data)
        except ReasonError as error:
            form.code.errors.append(str(error))
        else:
            audit.record(
                "reason.changed", reason, actor=current_user, now=utcnow(), code=reason.code
            )
            db.session.commit()
            flash("Reason saved.", "success")
            return redirect(url_for("admin.reasons"))
    return render_template("admin/edit_reason.html", form=form, reason=reason)
