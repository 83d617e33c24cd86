"""Business days and promise states, as tables."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from recruitcare.domain.deadlines import (
    PromisePolicy,
    add_business_days,
    business_days_between,
    days_since,
    promise_due_at,
)
from recruitcare.domain.enums import PromiseState

TORONTO = ZoneInfo("America/Toronto")
XMAS = date(2026, 12, 25)
BOXING = date(2026, 12, 28)


@pytest.mark.parametrize(
    ("start", "days", "holidays", "expected"),
    [
        (date(2026, 11, 16), 1, (), date(2026, 11, 17)),  # Mon + 1 = Tue
        (date(2026, 11, 20), 1, (), date(2026, 11, 23)),  # Fri + 1 = Mon
        (date(2026, 11, 21), 1, (), date(2026, 11, 23)),  # Sat + 1 = Mon
        (date(2026, 11, 16), 7, (), date(2026, 11, 25)),  # Mon + 7 = next Wed
        (date(2026, 11, 16), 5, (), date(2026, 11, 23)),  # a full week
        (date(2026, 12, 24), 1, (XMAS,), date(2026, 12, 28)),  # skips a Friday holiday
        (date(2026, 12, 24), 1, (XMAS, BOXING), date(2026, 12, 29)),
        (date(2026, 11, 21), 0, (), date(2026, 11, 23)),  # zero days rolls to a business day
        (date(2026, 11, 18), 0, (), date(2026, 11, 18)),
    ],
)
def test_add_business_days(start, days, holidays, expected):
    assert add_business_days(start, days, holidays) == expected


def test_negative_days_are_refused():
    with pytest.raises(ValueError):
        add_business_days(date(2026, 11, 16), -1)


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (date(2026, 11, 16), date(2026, 11, 16), 0),
        (date(2026, 11, 16), date(2026, 11, 20), 4),
        (date(2026, 11, 20), date(2026, 11, 23), 1),
        (date(2026, 11, 23), date(2026, 11, 20), -1),
    ],
)
def test_business_days_between(start, end, expected):
    assert business_days_between(start, end) == expected


def test_promise_falls_at_end_of_local_business_day():
    # Friday 23:30 in Toronto is Saturday 04:30 UTC; the promise counts from the local Friday.
    now = datetime(2026, 11, 21, 4, 30, tzinfo=UTC)
    due = promise_due_at(now, 1, TORONTO)
    assert due.astimezone(TORONTO) == datetime(2026, 11, 23, 17, 0, tzinfo=TORONTO)
    assert due.tzinfo == ZoneInfo("UTC")


NOW = datetime(2026, 11, 18, 15, 0, tzinfo=UTC)  # Wednesday 10:00 in Toronto


@pytest.mark.parametrize(
    ("due", "expected"),
    [
        (datetime(2026, 11, 18, 14, 0, tzinfo=UTC), PromiseState.OVERDUE),
        (datetime(2026, 11, 18, 22, 0, tzinfo=UTC), PromiseState.DUE_SOON),  # today 17:00
        (datetime(2026, 11, 20, 22, 0, tzinfo=UTC), PromiseState.DUE_SOON),  # Friday: 2 days
        (datetime(2026, 11, 23, 22, 0, tzinfo=UTC), PromiseState.ON_TRACK),  # Monday: 3 days
    ],
)
def test_promise_state(due, expected):
    assert PromisePolicy(TORONTO, warning_days=2).state(due, NOW) is expected


def test_a_holiday_brings_due_soon_forward():
    monday = datetime(2026, 11, 23, 22, 0, tzinfo=UTC)
    policy = PromisePolicy(TORONTO, holidays=[date(2026, 11, 20)], warning_days=2)
    assert policy.state(monday, NOW) is PromiseState.DUE_SOON


@pytest.mark.parametrize(
    ("then", "expected"),
    [(None, None), (datetime(2026, 11, 15, 15, 0, tzinfo=UTC), 3), (NOW, 0)],
)
def test_days_since(then, expected):
    assert days_since(then, NOW) == expected
