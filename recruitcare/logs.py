"""Logging that never writes a candidate's link token, and one structured line per request.

The request line carries the duration and the number of SQL queries, so a page whose query
count grows with the data shows up in production logs, not only in tests.
"""

import json
import logging
import sys
import time

from flask import Flask, g, has_request_context, request
from flask_login import current_user
from sqlalchemy import event
from sqlalchemy.engine import Engine

from recruitcare.domain.portal import redact_links


class RedactLinks(logging.Filter):
    """Rewrites the record's message with every /c/<token> replaced by a marker."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact_links(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


REDACT = RedactLinks()
# Loggers that write request paths: the development server's access log, Flask's error
# report ("Exception on /c/... [GET]") and gunicorn's access and error logs.
LOGGERS = ("werkzeug", "gunicorn.access", "gunicorn.error")
request_log = logging.getLogger("recruitcare.requests")


def register(app: Flask) -> None:
    for name in LOGGERS:
        logger = logging.getLogger(name)
        if REDACT not in logger.filters:
            logger.addFilter(REDACT)
    if REDACT not in app.logger.filters:
        app.logger.addFilter(REDACT)
    enabled = app.config["LOG_REQUESTS"]
    if enabled is None:
        enabled = app.config["ENV"] == "production"
    if enabled:
        _log_requests(app)


def _count_query(*_args, **_kwargs) -> None:
    if has_request_context() and "request_queries" in g:
        g.request_queries += 1


def _log_requests(app: Flask) -> None:
    if not event.contains(Engine, "before_cursor_execute", _count_query):
        event.listen(Engine, "before_cursor_execute", _count_query)
    if not request_log.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(message)s"))
        request_log.addHandler(handler)
        request_log.setLevel(logging.INFO)
        request_log.propagate = False

    @app.before_request
    def start_clock() -> None:
        g.request_started = time.perf_counter()
        g.request_queries = 0

    @app.after_request
    def log_request(response):
        started = g.get("request_started")
        if started is not None:
            request_log.info(
                json.dumps(
                    {
                        "method": request.method,
                        "path": redact_links(request.path),
                        "status": response.status_code,
                        "ms": round((time.perf_counter() - started) * 1000, 1),
                        "queries": g.get("request_queries", 0),
                        "user": current_user.get_id().split(":")[0]
                        if current_user and current_user.is_authenticated
                        else None,
                    },
                    separators=(",", ":"),
                )
            )
        return response
