"""Data retention: when a person's data has been kept long enough. Pure; callers pass ``now``."""

from collections.abc import Iterable
from datetime import datetime, timedelta

# Months are counted as 30 days, as for consent: a retention period is a policy, not a calendar.
DAYS_PER_MONTH = 30


def retention_ends_at(last_closed_at: datetime, months: int) -> datetime:
    return last_closed_at + timedelta(days=DAYS_PER_MONTH * months)


def is_expired(
    *,
    now: datetime,
    closed_at: Iterable[datetime | None],
    consent_expires_at: Iterable[datetime],
    months: int,
) -> bool:
    """A person's data expires ``months`` after their last application closed, unless an
    application is still open or a consent to be considered is still valid."""
    closed = list(closed_at)
    if not closed or any(c is None for c in closed):
        return False
    if any(now < expires for expires in consent_expires_at):
        return False
    return now >= retention_ends_at(max(closed), months)
