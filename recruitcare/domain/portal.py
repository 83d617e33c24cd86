"""Rules of the candidate portal: when a link works, what a request promises, how long
consent lasts, and keeping tokens out of logs. Pure: callers pass ``now`` and limits."""

import re
from datetime import datetime, timedelta
from enum import StrEnum

# A token from tokens.new_token: 32 bytes, URL-safe base64 without padding.
TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{43}$")
# A portal path in a log line or error report; whatever follows /c/ is treated as secret.
_LINK_IN_TEXT = re.compile(r"(/c/)[^/\s?#\"']+")
REDACTED = "[redacted]"

# How long a candidate may choose to stay in the talent pool.
CONSENT_MONTHS = (6, 12, 24)
# A candidate's follow-up question and notes: enough to ask, not enough to flood anyone.
QUESTION_MAX = 2000
NOTE_MAX = 2000
NOTES_PER_APPLICATION = 3


class RequestKind(StrEnum):
    """What a candidate asked for from their page; each owes them a response."""

    CALL = "call"
    QUESTION = "question"
    WITHDRAWAL = "withdrawal"
    DELETION = "deletion"

    @property
    def label(self) -> str:
        return {
            "call": "Feedback call",
            "question": "Follow-up question",
            "withdrawal": "Withdrawal",
            "deletion": "Deletion request",
        }[self.value]


class CallMedium(StrEnum):
    PHONE = "phone"
    VIDEO = "video"

    @property
    def label(self) -> str:
        return {"phone": "Phone", "video": "Video call"}[self.value]


def looks_like_token(value: str) -> bool:
    """Cheap shape check before hashing; a wrong shape is just another invalid link."""
    return bool(TOKEN_RE.match(value))


def link_expires_at(closed_at: datetime | None, valid_days: int) -> datetime | None:
    """Links work while the application is open and for ``valid_days`` after it closed."""
    return None if closed_at is None else closed_at + timedelta(days=valid_days)


def link_is_valid(
    *,
    now: datetime,
    revoked_at: datetime | None,
    anonymised_at: datetime | None,
    closed_at: datetime | None,
    valid_days: int,
    expires_at: datetime | None = None,
) -> bool:
    """Revoked, deleted or expired links all fail alike; callers must not say which."""
    if revoked_at is not None or anonymised_at is not None:
        return False
    for limit in (expires_at, link_expires_at(closed_at, valid_days)):
        if limit is not None and now >= limit:
            return False
    return True


def consent_expires_at(given_at: datetime, months: int) -> datetime:
    """Consent to be considered lasts the months the candidate chose (30-day months)."""
    if months not in CONSENT_MONTHS:
        raise ValueError(f"months must be one of {CONSENT_MONTHS}")
    return given_at + timedelta(days=30 * months)


def consent_is_valid(*, now: datetime, expires_at: datetime, withdrawn_at: datetime | None) -> bool:
    return withdrawn_at is None and now < expires_at


def may_rate_feedback(has_approved_feedback: bool) -> bool:
    return has_approved_feedback


def may_send_note(interview_count: int, notes_sent: int) -> bool:
    """Notes go to interviewers, so there must have been an interview; and a few at most."""
    return interview_count > 0 and notes_sent < NOTES_PER_APPLICATION


def redact_links(text: str) -> str:
    """Replace every candidate-link token in a log line with a marker."""
    return _LINK_IN_TEXT.sub(r"\1" + REDACTED, text)
