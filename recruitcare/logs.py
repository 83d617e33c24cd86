"""Logging that never writes a candidate's link token: access logs and error reports alike."""

import logging

from flask import Flask

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


def register(app: Flask) -> None:
    for name in LOGGERS:
        logger = logging.getLogger(name)
        if REDACT not in logger.filters:
            logger.addFilter(REDACT)
    if REDACT not in app.logger.filters:
        app.logger.addFilter(REDACT)
