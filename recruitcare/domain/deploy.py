"""Is this configuration safe to run in production? Pure: takes the settings mapping and
returns every problem, each a line a person can act on (``flask check-deploy``)."""

from collections.abc import Mapping
from urllib.parse import urlsplit

MIN_SECRET_KEY_LENGTH = 32
# Values seen in examples and tutorials; a key anyone can read is no secret.
KNOWN_WEAK_KEYS = {"dev", "development", "secret", "changeme", "change-me", "test", "insecure"}
DEMO_COMPANY = "Northwind"


def _secret_problems(key) -> list[str]:
    if not key:
        return ["SECRET_KEY is not set: set RECRUITCARE_SECRET_KEY to a random value."]
    key = str(key)
    problems = []
    if len(key) < MIN_SECRET_KEY_LENGTH:
        problems.append(
            f"SECRET_KEY has {len(key)} characters; use {MIN_SECRET_KEY_LENGTH} or more, "
            "for example from `python -c 'import secrets; print(secrets.token_urlsafe(48))'`."
        )
    elif key.lower() in KNOWN_WEAK_KEYS or len(set(key)) < 8:
        problems.append("SECRET_KEY is a well-known or low-variety value; generate a random one.")
    return problems


def deploy_problems(settings: Mapping) -> list[str]:
    """Every reason this configuration is unsafe in production; empty when it is fine."""
    get = settings.get
    problems: list[str] = []
    if get("ENV") != "production":
        problems.append("ENV is not 'production': set RECRUITCARE_ENV=production.")
    if get("DEBUG"):
        problems.append("DEBUG is on: it shows code and data to anyone who triggers an error.")
    if get("TESTING"):
        problems.append("TESTING is on: it turns off safety checks meant for production.")
    problems += _secret_problems(get("SECRET_KEY"))
    uri = str(get("SQLALCHEMY_DATABASE_URI") or "")
    if not uri or uri.startswith("sqlite"):
        problems.append(
            "The database is SQLite: use PostgreSQL (RECRUITCARE_SQLALCHEMY_DATABASE_URI="
            "postgresql+psycopg://...), which several servers and workers can share."
        )
    for name in ("SESSION_COOKIE", "REMEMBER_COOKIE"):
        if not get(f"{name}_SECURE"):
            problems.append(f"{name}_SECURE is off: cookies would travel over plain HTTP.")
        if not get(f"{name}_HTTPONLY"):
            problems.append(f"{name}_HTTPONLY is off: scripts could read the cookie.")
        if str(get(f"{name}_SAMESITE") or "").lower() not in ("lax", "strict"):
            problems.append(f"{name}_SAMESITE should be 'Lax'.")
    if not get("WTF_CSRF_ENABLED", True):
        problems.append("WTF_CSRF_ENABLED is off: forms could be posted from other sites.")
    base = urlsplit(str(get("BASE_URL") or ""))
    if base.scheme != "https":
        problems.append(
            "BASE_URL does not start with https://: links in email would be sent in clear."
        )
    elif base.hostname in ("localhost", "127.0.0.1", None):
        problems.append("BASE_URL points at this machine: candidates could not open their links.")
    if get("PREFERRED_URL_SCHEME") != "https":
        problems.append("PREFERRED_URL_SCHEME is not 'https'.")
    backend = get("MAIL_BACKEND") or "smtp"
    if backend != "smtp":
        problems.append(f"MAIL_BACKEND is {backend!r}: mail would never reach candidates.")
    if str(get("MAIL_SERVER") or "localhost") in ("localhost", "127.0.0.1"):
        problems.append("MAIL_SERVER is not set: set RECRUITCARE_MAIL_SERVER to your SMTP relay.")
    if not (get("MAIL_USE_TLS") or get("MAIL_USE_SSL")):
        problems.append("Mail is sent without TLS: set MAIL_USE_TLS (STARTTLS) or MAIL_USE_SSL.")
    sender = get("MAIL_DEFAULT_SENDER")
    address = sender[1] if isinstance(sender, list | tuple) else str(sender or "")
    if not address or address.endswith(".example"):
        problems.append("MAIL_DEFAULT_SENDER is the placeholder address; use your own domain.")
    if not get("RATELIMIT_ENABLED", True):
        problems.append("RATELIMIT_ENABLED is off: sign-in and the portal could be hammered.")
    storage = str(get("RATELIMIT_STORAGE_URI") or "memory://")
    if storage.startswith("memory://") and int(get("WEB_PROCESSES") or 1) > 1:
        problems.append(
            f"Rate limits are kept in memory but WEB_PROCESSES is {get('WEB_PROCESSES')}: each "
            "process would count alone. Set RECRUITCARE_RATELIMIT_STORAGE_URI=redis://..."
        )
    if get("COMPANY_NAME") in (None, "", DEMO_COMPANY):
        problems.append("COMPANY_NAME is the demo name: candidates would see it in every message.")
    return problems
