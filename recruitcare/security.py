"""Security headers on every response: a strict Content-Security-Policy (no inline scripts,
nothing from other sites), no MIME sniffing, no framing, and HSTS in production; and no NUL
character in what a request sends.

A handful of fixed headers; HTTPS redirects are left to the proxy in front of the app.
"""

from flask import Flask, Response, request

from recruitcare.errors import Refused

NUL_REFUSED = (
    "What was sent contains a NUL character, an invisible control character that text copied "
    "from some programs carries and that cannot be saved. Go back, paste the text as plain "
    "text or type it again, and send it once more."
)

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'; form-action 'self'"
)
HSTS = "max-age=31536000; includeSubDomains"


def register(app: Flask) -> None:
    production = app.config["ENV"] == "production"

    @app.before_request
    def refuse_nul() -> None:
        """PostgreSQL text cannot hold NUL (SQLite stores it), so a form or query value with
        one would fail only when saved there: such a request is refused up front instead."""
        for values in (request.args, request.form):
            for key, value in values.items(multi=True):
                if "\0" in key or "\0" in value:
                    raise Refused(NUL_REFUSED)

    @app.after_request
    def security_headers(response: Response) -> Response:
        headers = response.headers
        headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("X-Frame-Options", "DENY")
        # Pages that must not leak their address (the candidate portal) set no-referrer.
        headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        if production:
            headers.setdefault("Strict-Transport-Security", HSTS)
        return response
