"""The candidate's private page at /c/<token>.

Opening the page never changes anything (mail scanners open links before people do); every
action is a POST with a CSRF token. Any link that does not work, for whatever reason, gets
the same page with status 404.
"""

import json
from functools import wraps

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    url_for,
)

from recruitcare.clock import utcnow
from recruitcare.domain.portal import CallMedium
from recruitcare.extensions import db, limiter
from recruitcare.portal import services
from recruitcare.portal.forms import (
    CallForm,
    DeleteForm,
    NewLinkForm,
    NoteForm,
    PoolForm,
    QuestionForm,
    RatingForm,
    StopPoolForm,
    WithdrawForm,
)

bp = Blueprint("portal", __name__, url_prefix="/c")
limiter.limit(lambda: current_app.config["PORTAL_RATE_LIMIT"])(bp)

PRIVATE_HEADERS = {
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "X-Robots-Tag": "noindex, nofollow",
}


@bp.after_request
def private_headers(response: Response) -> Response:
    response.headers.update(PRIVATE_HEADERS)
    return response


def _page(name: str, **context):
    """The candidate's language where a translation exists, English otherwise."""
    language = context.get("language", "en")
    return render_template(
        [f"portal/{language}/{name}", f"portal/{name}"], page_language=language, **context
    )


def not_valid():
    """One page, byte for byte, for every link that does not work."""
    return render_template("portal/not_valid.html"), 404


def _load(token: str):
    link = services.find_link(token, now=utcnow())
    if link is None:
        return None
    return link.application


def with_application(view):
    """Resolve the token to its application, or answer with the one "not valid" page."""

    @wraps(view)
    def wrapped(token: str):
        application = _load(token)
        if application is None:
            return not_valid()
        return view(token, application)

    return wrapped


def _back(token: str, anchor: str = ""):
    return redirect(url_for("portal.page", token=token) + (f"#{anchor}" if anchor else ""))


def _forms(page: services.Page) -> dict:
    candidate = page.application.candidate
    call = CallForm(prefix="call")
    call.timezone.data = call.timezone.data or candidate.timezone
    pool = PoolForm(prefix="pool")
    families, locations = services.pool_choices()
    pool.role_families.choices = [(f, f) for f in families]
    pool.locations.choices = [(loc, loc) for loc in locations]
    return {
        "call_form": call,
        "question_form": QuestionForm(prefix="question"),
        "rating_form": RatingForm(prefix="rating"),
        "pool_form": pool,
        "stop_pool_form": StopPoolForm(prefix="stop"),
        "note_form": NoteForm(prefix="note"),
    }


def _show(token: str, application, *, status: int = 200, **forms):
    page = services.load_page(application, now=utcnow())
    context = _forms(page) | forms
    return (
        _page(
            "page.html",
            token=token,
            page=page,
            language=application.candidate.language,
            message_text=lambda m: services.message_text(m, token),
            **context,
        ),
        status,
    )


@bp.get("/<token>")
@with_application
def page(token: str, application):
    return _show(token, application)


@bp.post("/<token>/call")
@with_application
def request_call(token: str, application):
    form = CallForm(prefix="call")
    if not form.validate():
        return _show(token, application, status=422, call_form=form)
    services.request_call(
        application,
        times=form.times.data,
        timezone=form.timezone.data,
        medium=CallMedium(form.medium.data),
        phone=form.phone.data or "",
        now=utcnow(),
    )
    db.session.commit()
    flash("Thank you. We will get back to you about a call.", "success")
    return _back(token, "call")


@bp.post("/<token>/question")
@with_application
def ask_question(token: str, application):
    form = QuestionForm(prefix="question")
    if not form.validate():
        return _show(token, application, status=422, question_form=form)
    try:
        services.ask_question(application, question=form.question.data, now=utcnow())
    except services.PortalError as error:
        # The asked question replaces the form on the page, so the reason goes on top.
        flash(str(error), "error")
        return _show(token, application, status=422, question_form=form)
    db.session.commit()
    flash("Thank you. Your question was sent; the answer will appear here and by email.", "success")
    return _back(token, "question")


@bp.post("/<token>/rating")
@with_application
def rate_feedback(token: str, application):
    form = RatingForm(prefix="rating")
    if not form.validate():
        return _show(token, application, status=422, rating_form=form)
    services.rate_feedback(
        application, rating=int(form.rating.data), comment=form.comment.data or "", now=utcnow()
    )
    db.session.commit()
    flash("Thank you for telling us.", "success")
    return _back(token, "feedback")


@bp.post("/<token>/pool")
@with_application
def join_pool(token: str, application):
    form = PoolForm(prefix="pool")
    families, locations = services.pool_choices()
    form.role_families.choices = [(f, f) for f in families]
    form.locations.choices = [(loc, loc) for loc in locations]
    if not form.validate():
        return _show(token, application, status=422, pool_form=form)
    services.consent_to_pool(
        application,
        role_families=form.role_families.data,
        locations=form.locations.data,
        months=int(form.months.data),
        now=utcnow(),
    )
    db.session.commit()
    flash("Thank you. We will consider you for other roles.", "success")
    return _back(token, "other-roles")


@bp.post("/<token>/pool/stop")
@with_application
def leave_pool(token: str, application):
    if StopPoolForm(prefix="stop").validate():
        services.withdraw_consent(application.candidate, now=utcnow())
        db.session.commit()
        flash("Done. We will not contact you about other roles.", "success")
    return _back(token, "other-roles")


@bp.post("/<token>/note")
@with_application
def send_note(token: str, application):
    form = NoteForm(prefix="note")
    if not form.validate():
        return _show(token, application, status=422, note_form=form)
    try:
        services.send_note(application, body=form.body.data, now=utcnow())
    except services.PortalError as error:
        form.body.errors.append(str(error))
        return _show(token, application, status=422, note_form=form)
    db.session.commit()
    flash("Your note is on its way to the people who interviewed you.", "success")
    return _back(token, "note")


@bp.route("/<token>/withdraw", methods=["GET", "POST"])
@with_application
def withdraw(token: str, application):
    form = WithdrawForm()
    if not application.status.is_open:
        return _back(token)
    if form.validate_on_submit():
        services.withdraw(application, reason=form.reason.data or "", now=utcnow())
        db.session.commit()
        flash("Your application is withdrawn. We will confirm it by email.", "success")
        return _back(token)
    return _page(
        "withdraw.html",
        token=token,
        application=application,
        form=form,
        language=application.candidate.language,
    ), (422 if form.errors else 200)


@bp.get("/<token>/my-data.json")
@with_application
def download_data(token: str, application):
    document = services.export_data(application.candidate, now=utcnow())
    return Response(
        json.dumps(document, indent=2, ensure_ascii=False),
        mimetype="application/json",
        headers={"Content-Disposition": 'attachment; filename="my-data.json"'},
    )


@bp.route("/<token>/delete", methods=["GET", "POST"])
@with_application
def request_deletion(token: str, application):
    form = DeleteForm()
    if form.validate_on_submit():
        services.request_deletion(application, now=utcnow())
        db.session.commit()
        flash(
            "We have your request. Your data will be deleted and you will no longer be able "
            "to open this page.",
            "success",
        )
        return _back(token, "your-data")
    return _page(
        "delete.html",
        token=token,
        application=application,
        form=form,
        language=application.candidate.language,
    ), (422 if form.errors else 200)


@bp.route("/new", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["PORTAL_NEW_LINK_RATE_LIMIT"], methods=["POST"])
def new_link():
    """The answer is the same whether or not the address is known."""
    form = NewLinkForm()
    if form.validate_on_submit():
        services.send_links_to(form.email.data, now=utcnow())
        db.session.commit()
        return render_template("portal/new_link_sent.html")
    return render_template("portal/new_link.html", form=form), (422 if form.errors else 200)


@bp.route("/<path:anything>", methods=["GET", "POST", "HEAD"])
def anything_else(anything: str):
    return not_valid()
