"""When a person's data has been kept long enough."""

from datetime import UTC, datetime, timedelta

import pytest

from recruitcare.domain.retention import is_expired, retention_ends_at

NOW = datetime(2026, 11, 22, 12, tzinfo=UTC)
MONTHS = 24
LIMIT = timedelta(days=30 * MONTHS)


@pytest.mark.parametrize(
    ("closed", "consents", "expired"),
    [
        ([NOW - LIMIT], [], True),
        ([NOW - LIMIT + timedelta(seconds=1)], [], False),
        ([NOW - LIMIT - timedelta(days=400)], [], True),
        # The latest closure counts, not the earliest.
        ([NOW - LIMIT - timedelta(days=400), NOW - timedelta(days=10)], [], False),
        # An open application keeps everything.
        ([NOW - LIMIT - timedelta(days=1), None], [], False),
        # A valid consent keeps them; an expired one does not.
        ([NOW - LIMIT - timedelta(days=1)], [NOW + timedelta(days=1)], False),
        ([NOW - LIMIT - timedelta(days=1)], [NOW - timedelta(days=1)], True),
        # Nobody with no applications is "expired" by this rule.
        ([], [], False),
    ],
)
def test_is_expired(closed, consents, expired):
    assert is_expired(now=NOW, closed_at=closed, consent_expires_at=consents, months=MONTHS) is (
        expired
    )


def test_retention_ends_months_after_closure():
    assert retention_ends_at(NOW, 1) == NOW + timedelta(days=30)
