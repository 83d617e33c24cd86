"""The one place that reads the wall clock; everything below it takes ``now``."""

from datetime import UTC, datetime


def utcnow() -> datetime:
    return datetime.now(UTC)
