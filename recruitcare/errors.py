"""Error pages that look like the rest of the site and leak nothing."""

from flask import Flask, render_template
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import BadRequest

from recruitcare.extensions import db

CSRF_REASON = (
    "The form had expired or was sent without its security token. Go back, reload the page "
    "and try again."
)


class Refused(BadRequest):
    """A request refused for a reason written for the person who sent it, shown on the page."""


def register(app: Flask) -> None:
    for code in (403, 404, 405, 429):
        app.register_error_handler(code, _page(code))
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(Refused, _refused)
    app.register_error_handler(BadRequest, _bad_request)
    app.register_error_handler(500, _server_error)


def _page(code: int):
    def handler(error):
        return render_template(f"errors/{code}.html", error=error), code

    return handler


def _csrf_error(error):
    return render_template("errors/400.html", reason=CSRF_REASON), 400


def _refused(error: Refused):
    return render_template("errors/400.html", reason=error.description), 400


def _bad_request(error: BadRequest):
    # Werkzeug's own descriptions are written for developers: the page says it plainly.
    return render_template("errors/400.html", reason=None), 400


def _server_error(error):
    db.session.rollback()
    return render_template("errors/500.html"), 500
