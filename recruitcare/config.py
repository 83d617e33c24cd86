"""Default settings: every key RecruitCare reads, each with a safe default and what it does.

Layers, later wins: these defaults, then ``instance/config.py``, then ``RECRUITCARE_*``
environment variables (values parsed as JSON where they can be), then the test mapping.
"""

# "development" or "production". Production refuses to start without a real secret key
# and a database URL, and turns on secure cookies.
ENV = "development"

# Signs sessions, CSRF tokens and set-password links. Development writes a random one into
# instance/secret_key on first run; production must set RECRUITCARE_SECRET_KEY.
SECRET_KEY = None

# Database. None means the embedded SQLite file instance/recruitcare.sqlite.
# PostgreSQL in production: postgresql+psycopg://user:password@host/dbname
SQLALCHEMY_DATABASE_URI = None
SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}

# Organisation clock: promised decision dates fall at the end of a business day here.
ORG_TIMEZONE = "America/Toronto"
# Dates (YYYY-MM-DD) that are not business days, on top of Saturdays and Sundays.
HOLIDAYS = []
# How many business days a stage promises when none is set.
DEFAULT_PROMISE_DAYS = 7
# A promise is "due soon" this many business days before it lapses.
PROMISE_WARNING_DAYS = 2

# Sign-in throttling: this many failures for one account inside the window lock the account
# for LOGIN_LOCK_MINUTES (the right password is refused too while locked).
LOGIN_MAX_FAILURES = 10
LOGIN_FAILURE_WINDOW_MINUTES = 15
LOGIN_LOCK_MINUTES = 15
# Per-address limit on sign-in attempts (Flask-Limiter syntax).
LOGIN_RATE_LIMIT = "30 per minute;300 per hour"
# The live language check is called as people type (debounced), so it allows bursts.
CHECK_RATE_LIMIT = "120 per minute"

# Flask-Limiter storage. memory:// is right for one process; several app servers need a shared
# store such as redis://host:6379/0.
RATELIMIT_STORAGE_URI = "memory://"
RATELIMIT_ENABLED = True
RATELIMIT_HEADERS_ENABLED = True

# Password hashing (argon2id). The defaults follow RFC 9106's second recommended option.
PASSWORD_HASH_TIME_COST = 3
PASSWORD_HASH_MEMORY_KIB = 65536
PASSWORD_HASH_PARALLELISM = 4
PASSWORD_MIN_LENGTH = 12
PASSWORD_MAX_LENGTH = 128
# How long an invitation or reset link to set a password stays valid.
SET_PASSWORD_LINK_HOURS = 72

# Cookies. Production forces Secure; SameSite=Lax keeps links from email working.
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = False
REMEMBER_COOKIE_HTTPONLY = True
REMEMBER_COOKIE_SAMESITE = "Lax"
REMEMBER_COOKIE_SECURE = False
REMEMBER_COOKIE_DURATION = 14 * 24 * 3600

# CSRF tokens last as long as the session; a form left open all day still submits.
WTF_CSRF_TIME_LIMIT = None

# Outgoing mail (Flask-Mail settings). The sender candidates see, and the SMTP server.
MAIL_DEFAULT_SENDER = ("RecruitCare", "no-reply@recruitcare.example")
MAIL_SERVER = "localhost"
MAIL_PORT = 25
MAIL_USE_TLS = False
MAIL_USE_SSL = False
MAIL_USERNAME = None
MAIL_PASSWORD = None

# --- Outbox and mail delivery (flask outbox run) ---------------------------------------
# "file" writes one .eml per message into MAIL_FILE_DIR and counts it delivered; "smtp" sends
# through MAIL_SERVER. None means smtp when ENV is production, file otherwise.
MAIL_BACKEND = None
# Where the file backend writes; None means instance/mail.
MAIL_FILE_DIR = None
# Seconds allowed for every SMTP operation (connect, each command, the message data).
MAIL_TIMEOUT = 30
# Right-hand side of generated Message-IDs; None takes the domain of MAIL_DEFAULT_SENDER.
MAIL_MESSAGE_ID_DOMAIN = None
# Name the worker gives in EHLO; None asks the operating system for this host's name.
MAIL_LOCAL_HOSTNAME = None
# Messages a worker claims and sends over one SMTP connection.
OUTBOX_BATCH_SIZE = 50
# Seconds a waiting worker sleeps between looks for due messages.
OUTBOX_POLL_SECONDS = 5
# A message claimed longer ago than this belongs to a worker that died; another takes it over.
OUTBOX_LEASE_SECONDS = 600
# Retries wait OUTBOX_RETRY_BASE_SECONDS, doubling each time up to OUTBOX_RETRY_CAP_SECONDS.
OUTBOX_RETRY_BASE_SECONDS = 60
OUTBOX_RETRY_CAP_SECONDS = 3600
# A message still failing this long after its first attempt is marked failed.
OUTBOX_GIVE_UP_AFTER_HOURS = 72
# --- end of outbox and mail delivery ---------------------------------------------------

# Public address of this site, used in links inside email.
BASE_URL = "http://127.0.0.1:5000"

# ---- Closure messages --------------------------------------------------------------------------
# Signs messages and fills {company_name}.
COMPANY_NAME = "Northwind"
# A closure goes out after a cool-off: the next business morning at this hour in the
# candidate's time zone ("next_business_morning"), or at once ("none").
CLOSURE_COOL_OFF = "next_business_morning"
CLOSURE_SEND_HOUR = 9

# ---- Candidate portal --------------------------------------------------------------------------
# A candidate's private link works while the application is open and this many days after it
# closed; then the same "link not valid" page as for a wrong link.
PORTAL_LINK_DAYS = 180
# Every portal page and action, per address (Flask-Limiter syntax).
PORTAL_RATE_LIMIT = "60 per minute;600 per hour"
# Asking for a fresh link by email: per address, and at most one email per person this often.
PORTAL_NEW_LINK_RATE_LIMIT = "5 per hour"
PORTAL_NEW_LINK_MINUTES = 15
# Business days within which a recruiter answers a call request, a question or a withdrawal.
REQUEST_RESPONSE_DAYS = 2

# ---- The sweep (flask sweep, run every few minutes) -------------------------------------------
# Interviewers are reminded of a scorecard still missing this many business days after the
# interview (in one digest a day), for interviews up to SCORECARD_REMINDER_WINDOW_DAYS old.
SCORECARD_REMINDER_DAYS = 2
SCORECARD_REMINDER_WINDOW_DAYS = 30
# Digests (scorecard reminders, escalations) go out on business days from this local hour.
DIGEST_HOUR = 8
# A lapsed promise is moved by an interim update at most this many times; then the application
# goes on the recruiter's "must decide" list instead.
MAX_PROMISE_EXTENSIONS = 2
# Business days from the interim update to the candidate's new promised date.
INTERIM_EXTENSION_DAYS = 5
# Once a decision is on the "must decide" list, the candidate is told it is late (whatever the
# requisition's interim policy: a person has already been asked) and when they will hear next;
# another notice follows every this many business days until the decision is made.
OVERDUE_NOTICE_DAYS = 5
# A status update (advanced, on hold) waits this many minutes, so an outcome recorded by
# mistake can be undone before the candidate hears of it.
STATUS_UPDATE_DELAY_MINUTES = 30
# The jurisdiction whose duty to inform interviewed candidates applies: "ontario", or None.
DUTY_TO_INFORM_POLICY = "ontario"
# Employees on the day a job is posted; duty-to-inform rules exempt small employers. None means
# unknown, and the duty is then assumed to apply.
EMPLOYER_HEADCOUNT = None
# A duty to inform shows in the escalation digest this many calendar days before its deadline.
DUTY_TO_INFORM_WARNING_DAYS = 7

# ---- Privacy -------------------------------------------------------------------------------------
# Months after a person's last application closed before the sweep anonymises them, unless they
# gave a consent to be considered that is still valid (flask retention report shows who).
RETENTION_MONTHS = 24

# ---- Production --------------------------------------------------------------------------------
# One JSON line per request (method, redacted path, status, duration, query count) on stderr.
# None means on in production, off in development (the development server logs requests).
LOG_REQUESTS = None
# How many app server processes serve the site in total, over all machines. With more than
# one, rate limits need shared storage (RATELIMIT_STORAGE_URI); flask check-deploy says so.
WEB_PROCESSES = 1
# Links Flask builds outside a request use this scheme; production is served over HTTPS.
PREFERRED_URL_SCHEME = "http"

# Rows per page on long lists.
PAGE_SIZE = 50


class ConfigError(SystemExit):
    """A setting that makes starting unsafe; exits with one readable line."""

    def __init__(self, message: str):
        super().__init__(f"RecruitCare cannot start: {message}")


MIN_SECRET_KEY_LENGTH = 32


def configure(app, test_config=None) -> None:
    """Load the layers, then fill what development may generate and production must be given."""
    import secrets
    from pathlib import Path

    app.config.from_object(__name__)
    app.config.from_pyfile("config.py", silent=True)
    app.config.from_prefixed_env("RECRUITCARE")
    if test_config:
        app.config.update(test_config)

    production = app.config["ENV"] == "production"
    instance = Path(app.instance_path)
    if not app.config["SQLALCHEMY_DATABASE_URI"]:
        if production:
            raise ConfigError("set RECRUITCARE_SQLALCHEMY_DATABASE_URI to the PostgreSQL URL.")
        instance.mkdir(parents=True, exist_ok=True)
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{instance / 'recruitcare.sqlite'}"
    if not app.config["SECRET_KEY"]:
        if production:
            raise ConfigError("set RECRUITCARE_SECRET_KEY to a random value of 32+ characters.")
        instance.mkdir(parents=True, exist_ok=True)
        key_file = instance / "secret_key"
        if not key_file.exists():
            key_file.write_text(secrets.token_urlsafe(48))
            key_file.chmod(0o600)
        app.config["SECRET_KEY"] = key_file.read_text().strip()
    if production:
        if len(str(app.config["SECRET_KEY"])) < MIN_SECRET_KEY_LENGTH:
            raise ConfigError("RECRUITCARE_SECRET_KEY is shorter than 32 characters.")
        app.config.update(SESSION_COOKIE_SECURE=True, REMEMBER_COOKIE_SECURE=True)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        # SQLite has no pool worth keeping and pre-ping only costs a query.
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {}
