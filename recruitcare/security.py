"""Security headers on every response: a strict Content-Security-Policy (no inline scripts,
nothing from other sites), no MIME sniffing, no framing, and HSTS in production.

A handful of fixed headers; HTTPS redirects are left to the proxy in front of the app.
"""

from flask import Flask, Response

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'; form-action 'self'"
)
HSTS = "max-age=31536000; includeSubDomains"


def register(app: Flask) -> None:
    production = app.config["ENV"] == "production"

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
