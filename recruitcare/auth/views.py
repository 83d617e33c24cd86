"""Sign-in, sign-out, setting and changing passwords."""

from datetime import timedelta

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user

from recruitcare.auth import services
from recruitcare.auth.forms import ChangePasswordForm, SetPasswordForm, SignInForm
from recruitcare.auth.passwords import verify_password
from recruitcare.clock import utcnow
from recruitcare.domain.redirects import safe_next_path
from recruitcare.domain.throttle import ThrottleRule
from recruitcare.extensions import db, limiter

bp = Blueprint("auth", __name__, url_prefix="/auth")

SIGN_IN_REFUSED = (
    "That email and password did not match an account that can sign in. "
    "After many attempts, sign-in pauses for 15 minutes."
)


def _throttle_rule() -> ThrottleRule:
    config = current_app.config
    return ThrottleRule(
        max_failures=config["LOGIN_MAX_FAILURES"],
        window=timedelta(minutes=config["LOGIN_FAILURE_WINDOW_MINUTES"]),
        lock=timedelta(minutes=config["LOGIN_LOCK_MINUTES"]),
    )


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    form = SignInForm()
    if form.validate_on_submit():
        user = services.authenticate(
            form.email.data, form.password.data, now=utcnow(), rule=_throttle_rule()
        )
        db.session.commit()
        if user is not None:
            login_user(user, remember=form.remember.data)
            return redirect(safe_next_path(request.args.get("next")) or url_for("home.index"))
        flash(SIGN_IN_REFUSED, "error")
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
@login_required
def logout():
    services.end_all_sessions(current_user)
    db.session.commit()
    logout_user()
    flash("You are signed out on every device.", "info")
    return redirect(url_for("auth.login"))


@bp.route("/set-password/<token>", methods=["GET", "POST"])
def set_password(token: str):
    max_age = current_app.config["SET_PASSWORD_LINK_HOURS"] * 3600
    user = services.load_set_password_token(token, current_app.secret_key, max_age)
    if user is None:
        abort(404)
    form = SetPasswordForm()
    if form.validate_on_submit():
        services.set_password(user, form.password.data, now=utcnow(), actor=user)
        db.session.commit()
        logout_user()
        flash("Your password is set. Sign in with it now.", "success")
        return redirect(url_for("auth.login"))
    return render_template("auth/set_password.html", form=form, user=user)


@bp.route("/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        if not verify_password(current_user.password_hash, form.current.data):
            form.current.errors.append("That is not your current password.")
        else:
            user = current_user._get_current_object()
            services.set_password(user, form.password.data, now=utcnow(), actor=user)
            db.session.commit()
            login_user(user)  # keep this session; every other one has ended
            flash("Password changed. Your other sessions are signed out.", "success")
            return redirect(url_for("home.index"))
    return render_template("auth/change_password.html", form=form)
