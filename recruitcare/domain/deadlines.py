"""Promised decision dates: business days, weekends and holidays, in the organisation's zone."""

from collections.abc import Collection
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from recruitcare.domain.enums import PromiseState

END_OF_DAY = time(17, 0)


def is_business_day(day: date, holidays: Collection[date] = ()) -> bool:
    return day.weekday() < 5 and day not in holidays


def add_business_days(start: date, days: int, holidays: Collection[date] = ()) -> date:
    """The date ``days`` business days after ``start`` (``start`` itself never counts)."""
    if days < 0:
        raise ValueError("days must not be negative")
    current = start
    remaining = days
    while remaining:
        current += timedelta(days=1)
        if is_business_day(current, holidays):
            remaining -= 1
    if days == 0:
        while not is_business_day(current, holidays):
            current += timedelta(days=1)
    return current


def business_days_between(start: date, end: date, holidays: Collection[date] = ()) -> int:
    """Business days after ``start`` up to and including ``end``; negative when end is earlier."""
    if end < start:
        return -business_days_between(end, start, holidays)
    count = 0
    current = start
    while current < end:
        current += timedelta(days=1)
        if is_business_day(current, holidays):
            count += 1
    return count


def promise_due_at(
    now: datetime, promise_days: int, zone: ZoneInfo, holidays: Collection[date] = ()
) -> datetime:
    """When a promise made at ``now`` lapses: the end of the business day it names, in UTC."""
    local_day = now.astimezone(zone).date()
    due_day = add_business_days(local_day, promise_days, holidays)
    return datetime.combine(due_day, END_OF_DAY, tzinfo=zone).astimezone(ZoneInfo("UTC"))


def promise_state(
    due_at: datetime,
    now: datetime,
    zone: ZoneInfo,
    holidays: Collection[date] = (),
    warning_days: int = 2,
) -> PromiseState:
    """Overdue once lapsed; due soon when it lapses within ``warning_days`` business days."""
    if now >= due_at:
        return PromiseState.OVERDUE
    left = business_days_between(
        now.astimezone(zone).date(), due_at.astimezone(zone).date(), holidays
    )
    return PromiseState.DUE_SOON if left <= warning_days else PromiseState.ON_TRACK


def days_since(then: datetime | None, now: datetime) -> int | None:
    """Whole calendar days since ``then``; None when it never happened."""
    if then is None:
        return None
    return max(0, (now - then).days)


class PromisePolicy:
    """The organisation's calendar, passed to every promise calculation."""

    __slots__ = ("zone", "holidays", "warning_days")

    def __init__(self, zone: ZoneInfo, holidays: Collection[date] = (), warning_days: int = 2):
        self.zone = zone
        self.holidays = frozenset(holidays)
        self.warning_days = warning_days

    def due_at(self, now: datetime, promise_days: int) -> datetime:
        return promise_due_at(now, promise_days, self.zone, self.holidays)

    def state(self, due_at: datetime, now: datetime) -> PromiseState:
        return promise_state(due_at, now, self.zone, self.holidays, self.warning_days)
