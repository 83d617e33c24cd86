"""Account lock-out after repeated failures."""

from datetime import UTC, datetime, timedelta

from recruitcare.domain.throttle import CLEAR, ThrottleRule, after_failure, is_locked

T0 = datetime(2026, 11, 18, 12, 0, tzinfo=UTC)
RULE = ThrottleRule(max_failures=10, window=timedelta(minutes=15), lock=timedelta(minutes=15))


def fail_n(n, start=T0, step=timedelta(seconds=30)):
    state = CLEAR
    for i in range(n):
        state = after_failure(state, start + i * step, RULE)
    return state


def test_nine_failures_do_not_lock():
    state = fail_n(9)
    assert state.failures == 9
    assert state.locked_until is None


def test_tenth_failure_locks_for_fifteen_minutes():
    state = fail_n(10)
    last = T0 + 9 * timedelta(seconds=30)
    assert state.locked_until == last + timedelta(minutes=15)
    assert is_locked(state.locked_until, last + timedelta(minutes=14, seconds=59))
    assert not is_locked(state.locked_until, last + timedelta(minutes=15))


def test_failures_spread_beyond_the_window_do_not_lock():
    state = fail_n(30, step=timedelta(minutes=2))
    assert state.locked_until is None
    assert state.failures < 10


def test_not_locked_without_a_lock():
    assert not is_locked(None, T0)
