"""How each decision moves an application through a five-stage pipeline, and the reasons it
may give."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from recruitcare.domain.enums import ApplicationStatus as S
from recruitcare.domain.enums import Decision as D
from recruitcare.domain.language import Severity, check
from recruitcare.domain.pipeline import TransitionError, apply_decision, can_undo
from recruitcare.domain.reasons import DEFAULT_REASONS

STAGES = 5


@pytest.mark.parametrize(
    ("decision", "status", "index", "expected"),
    [
        (D.ADVANCE, S.ACTIVE, 0, (S.ACTIVE, 1, False)),
        (D.ADVANCE, S.ACTIVE, 3, (S.OFFER, 4, False)),  # into the last stage: an offer
        (D.ADVANCE, S.OFFER, 4, (S.HIRED, 4, True)),
        (D.ADVANCE, S.ON_HOLD, 1, (S.ACTIVE, 2, False)),  # resuming from hold
        (D.HOLD, S.ACTIVE, 2, (S.ON_HOLD, 2, False)),
        (D.REJECT, S.ACTIVE, 2, (S.REJECTED, 2, True)),
        (D.REJECT, S.ON_HOLD, 2, (S.REJECTED, 2, True)),
        (D.WITHDRAWN, S.OFFER, 4, (S.WITHDRAWN, 4, True)),
    ],
)
def test_apply_decision(decision, status, index, expected):
    move = apply_decision(decision, status, index, STAGES)
    assert (move.status, move.stage_index, move.closed) == expected


@pytest.mark.parametrize(
    ("decision", "status"),
    [(D.ADVANCE, S.REJECTED), (D.REJECT, S.HIRED), (D.HOLD, S.ON_HOLD), (D.HOLD, S.WITHDRAWN)],
)
def test_impossible_decisions(decision, status):
    with pytest.raises(TransitionError):
        apply_decision(decision, status, 1, STAGES)


TORONTO = ZoneInfo("America/Toronto")


@pytest.mark.parametrize(
    ("decided", "now", "expected"),
    [
        (datetime(2026, 11, 18, 14, tzinfo=UTC), datetime(2026, 11, 18, 23, tzinfo=UTC), True),
        # 04:30 UTC on the 19th is still the 18th in Toronto
        (datetime(2026, 11, 18, 14, tzinfo=UTC), datetime(2026, 11, 19, 4, 30, tzinfo=UTC), True),
        (datetime(2026, 11, 18, 14, tzinfo=UTC), datetime(2026, 11, 19, 5, 30, tzinfo=UTC), False),
    ],
)
def test_undo_only_on_the_same_local_day(decided, now, expected):
    assert can_undo(decided, now, TORONTO) is expected


@pytest.mark.parametrize("reason", DEFAULT_REASONS, ids=lambda r: r.code)
def test_default_reasons_tell_the_candidate_nothing_the_checker_blocks(reason):
    """The explanation goes into closure messages; a blocked one stops every close-out."""
    findings = check(reason.candidate_explanation)
    assert [f.rule for f in findings if f.severity is Severity.BLOCK] == []
