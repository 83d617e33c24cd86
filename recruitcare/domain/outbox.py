"""Outbox delivery policy: which header values are safe, what an SMTP reply means, when to retry.

Pure rules: the caller passes ``now`` and the limits, and records what these functions decide.
"""

import random
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import getaddresses
from enum import StrEnum

# Characters that end a header line for some reader: CR and LF for SMTP itself, NUL for C code
# further down the line, and the other separators Python's str.splitlines() honours.
LINE_BREAKS = {
    "\r": "a carriage return (CR)",
    "\n": "a line feed (LF)",
    "\0": "a NUL character",
    "\x0b": "a vertical tab",
    "\x0c": "a form feed",
    "\x1c": "a file separator",
    "\x1d": "a group separator",
    "\x1e": "a record separator",
    "\x85": "a next-line character (NEL)",
    "\u2028": "a line separator",
    "\u2029": "a paragraph separator",
}

DEFAULT_GIVE_UP_AFTER = timedelta(days=3)


class HeaderError(ValueError):
    """A value meant for an email header could add headers of its own, or does not fit."""


def check_header(name: str, value: str, *, max_length: int | None = None) -> None:
    """Refuse a header value with a line break or NUL in it: it could smuggle in headers."""
    for char, description in LINE_BREAKS.items():
        if char in value:
            raise HeaderError(f"{name} contains {description}; email headers must be one line.")
    if max_length is not None and len(value) > max_length:
        raise HeaderError(f"{name} is longer than {max_length} characters.")


def check_headers(values: Mapping[str, str], max_lengths: Mapping[str, int] | None = None) -> None:
    """Check several header values; the first problem raises ``HeaderError``."""
    max_lengths = max_lengths or {}
    for name, value in values.items():
        check_header(name, value, max_length=max_lengths.get(name))


def check_address(name: str, value: str) -> None:
    """A bare address (no display name): one @ with something on each side, no spaces."""
    check_header(name, value)
    local, at, domain = value.rpartition("@")
    if not at or not local or not domain or any(c.isspace() for c in value) or "<" in value:
        raise HeaderError(f"{name} {value!r} is not an email address.")


def check_mailbox(name: str, value: str) -> None:
    """One address, bare or with a display name: ``rita@company.example`` or
    ``Rita Recruiter <rita@company.example>``."""
    check_header(name, value)
    found = getaddresses([value])
    if len(found) != 1 or not found[0][1]:
        raise HeaderError(f"{name} {value!r} must be one email address.")
    check_address(name, found[0][1])


class Verdict(StrEnum):
    DELIVERED = "delivered"
    RETRY = "retry"
    FAIL = "fail"


@dataclass(frozen=True)
class Classification:
    verdict: Verdict
    reason: str
    # The message data went out but no reply came back: the server may have it already, so
    # the retry must carry the same Message-ID for the recipient's mail system to spot it.
    data_sent_unconfirmed: bool = False


def classify(code: int | None, *, error: str | None, data_sent: bool) -> Classification:
    """What one attempt's outcome means.

    ``code`` is the SMTP reply code to RCPT or to the end of DATA, or None when no reply
    came (connection refused, lost or timed out; ``error`` says which). 2xx delivered, 4xx
    and connection errors retry, 5xx fail at once.
    """
    if code is None:
        what = error or "no reply from the mail server"
        if data_sent:
            return Classification(
                Verdict.RETRY,
                f"connection lost after the message was sent ({what}); "
                "resending with the same Message-ID",
                data_sent_unconfirmed=True,
            )
        return Classification(Verdict.RETRY, f"connection error: {what}")
    detail = f" {error}" if error else ""
    if 200 <= code < 300:
        return Classification(Verdict.DELIVERED, f"accepted ({code})")
    if 500 <= code < 600:
        return Classification(Verdict.FAIL, f"refused ({code}){detail}")
    if 400 <= code < 500:
        return Classification(Verdict.RETRY, f"temporary failure ({code}){detail}")
    return Classification(Verdict.RETRY, f"unexpected reply ({code}){detail}")


def next_attempt_at(
    attempts: int,
    now: datetime,
    base: timedelta,
    cap: timedelta,
    jitter_seed: int | str | None = None,
) -> datetime:
    """When to try again after ``attempts`` failed tries: base, 2x base, 4x base, ... up to cap.

    With a seed the delay is spread over its upper half, so messages that failed together do
    not all come back in the same second; the same seed always gives the same time.
    """
    exponent = max(attempts - 1, 0)
    delay = cap if exponent >= 62 else min(cap, base * (2**exponent))
    if jitter_seed is not None:
        delay = delay / 2 + delay / 2 * random.Random(jitter_seed).random()
    return now + delay


def should_give_up(
    first_attempt_at: datetime | None,
    now: datetime,
    give_up_after: timedelta = DEFAULT_GIVE_UP_AFTER,
) -> bool:
    """A message still failing this long after its first attempt is marked failed."""
    return first_attempt_at is not None and now - first_attempt_at >= give_up_after


@dataclass(frozen=True)
class RetryPolicy:
    base: timedelta = timedelta(minutes=1)
    cap: timedelta = timedelta(hours=1)
    give_up_after: timedelta = DEFAULT_GIVE_UP_AFTER


@dataclass(frozen=True)
class NextStep:
    """What to record after an attempt: the verdict, and when to try again for a retry."""

    verdict: Verdict
    reason: str
    retry_at: datetime | None = None
    data_sent_unconfirmed: bool = False


def after_attempt(
    outcome: Classification,
    *,
    attempts: int,
    first_attempt_at: datetime,
    now: datetime,
    policy: RetryPolicy,
    jitter_seed: int | str | None = None,
) -> NextStep:
    """Turn a retry into a failure once the message has been failing for too long."""
    if outcome.verdict is not Verdict.RETRY:
        return NextStep(outcome.verdict, outcome.reason)
    if should_give_up(first_attempt_at, now, policy.give_up_after):
        return NextStep(
            Verdict.FAIL,
            f"gave up after {_duration(now - first_attempt_at)}: {outcome.reason}",
            data_sent_unconfirmed=outcome.data_sent_unconfirmed,
        )
    return NextStep(
        Verdict.RETRY,
        outcome.reason,
        retry_at=next_attempt_at(attempts, now, policy.base, policy.cap, jitter_seed),
        data_sent_unconfirmed=outcome.data_sent_unconfirmed,
    )


def _duration(delta: timedelta) -> str:
    hours = int(delta.total_seconds() // 3600)
    if hours >= 48:
        return f"{hours // 24} days"
    if hours >= 1:
        return f"{hours} hours"
    return f"{int(delta.total_seconds() // 60)} minutes"
