"""Sign-in throttling per account: a fixed window of failures, then a lock-out."""

from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class ThrottleRule:
    max_failures: int = 10
    window: timedelta = timedelta(minutes=15)
    lock: timedelta = timedelta(minutes=15)


@dataclass(frozen=True)
class FailureState:
    failures: int
    first_failed_at: datetime | None
    locked_until: datetime | None


def is_locked(locked_until: datetime | None, now: datetime) -> bool:
    return locked_until is not None and now < locked_until


def after_failure(state: FailureState, now: datetime, rule: ThrottleRule) -> FailureState:
    """Count a failure; the window restarts once the first failure in it is older than the rule."""
    if state.first_failed_at is None or now - state.first_failed_at >= rule.window:
        failures, first = 1, now
    else:
        failures, first = state.failures + 1, state.first_failed_at
    locked_until = state.locked_until
    if failures >= rule.max_failures:
        locked_until = now + rule.lock
        failures, first = 0, None
    return FailureState(failures, first, locked_until)


CLEAR = FailureState(0, None, None)
