"""Error pages that look like the rest of the site and leak nothing."""

from flask import Flask, render_template
from flask_wtf.csrf import CSRFError

from recruitcare.extensions import db


def register(app: Flask) -> None:
    for code in (403, 404, 405, 429):
        app.register_error_handler(code, _page(code))
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(500, _server_error)


def _page(code: int):
    def handler(error):
        return render_template(f"errors/{code}.html", error=error), code

    return handler


def _csrf_error(error):
    return render_template("errors/400.html", reason=error.description), 400


def _server_error(error):
    db.session.rollback()
    return render_template("errors/500.html"), 500
