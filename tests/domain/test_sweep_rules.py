"""The sweep's time rules, as tables: reminders, digests, escalation, lapses, duty to inform."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from recruitcare.domain.enums import PromiseEventKind
from recruitcare.domain.sweep import (
    DUTY_TO_INFORM_POLICIES,
    DutyState,
    Escalation,
    LapseAction,
    decided_promise,
    digest_day,
    digest_key,
    due_soon_horizon,
    duty_applies,
    duty_due_at,
    duty_kept_until,
    duty_state,
    duty_to_inform_policy,
    escalation_for,
    escalation_recipients,
    lapsed_promise,
    needs_scorecard_reminder,
    scorecard_overdue_at,
)

TORONTO = ZoneInfo("America/Toronto")
ONTARIO = DUTY_TO_INFORM_POLICIES["ontario"]
THANKSGIVING = date(2026, 10, 12)  # a Monday


def toronto(*args) -> datetime:
    """A Toronto wall-clock time as an aware UTC datetime."""
    return datetime(*args, tzinfo=TORONTO).astimezone(UTC)


# ---- scorecard reminders ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("interview", "now", "holidays", "expected"),
    [
        # Monday 10:00 interview: late from the end of Wednesday (2 business days).
        (toronto(2026, 11, 16, 10), toronto(2026, 11, 18, 16, 59), (), False),
        (toronto(2026, 11, 16, 10), toronto(2026, 11, 18, 17, 0), (), True),
        (toronto(2026, 11, 16, 10), toronto(2026, 11, 19, 9), (), True),
        # Thursday: the weekend does not count, so not before Monday evening.
        (toronto(2026, 11, 19, 15), toronto(2026, 11, 23, 12), (), False),
        (toronto(2026, 11, 19, 15), toronto(2026, 11, 23, 17, 30), (), True),
        # Friday before a holiday Monday: Tuesday and Wednesday are the two days.
        (toronto(2026, 10, 9, 11), toronto(2026, 10, 13, 18), (THANKSGIVING,), False),
        (toronto(2026, 10, 9, 11), toronto(2026, 10, 14, 18), (THANKSGIVING,), True),
        # Not held yet, or too old to chase (over 30 days).
        (toronto(2026, 11, 20, 10), toronto(2026, 11, 19, 10), (), False),
        (toronto(2026, 10, 1, 10), toronto(2026, 11, 18, 10), (), False),
        (toronto(2026, 10, 20, 10), toronto(2026, 11, 18, 10), (), True),
    ],
)
def test_scorecard_reminders(interview, now, holidays, expected):
    assert (
        needs_scorecard_reminder(
            interview, now, days=2, window_days=30, zone=TORONTO, holidays=holidays
        )
        is expected
    )


def test_scorecard_is_late_at_the_end_of_the_business_day():
    late = scorecard_overdue_at(toronto(2026, 11, 16, 10), 2, TORONTO)
    assert late == toronto(2026, 11, 18, 17)


# ---- digests ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (toronto(2026, 11, 18, 7, 59), None),  # before the digest hour
        (toronto(2026, 11, 18, 8, 0), date(2026, 11, 18)),
        (toronto(2026, 11, 18, 23, 59), date(2026, 11, 18)),
        # 01:00 UTC on Thursday is still Wednesday evening in Toronto.
        (datetime(2026, 11, 19, 1, 0, tzinfo=UTC), date(2026, 11, 18)),
        (toronto(2026, 11, 21, 10), None),  # Saturday
        (toronto(2026, 10, 12, 10), None),  # the holiday
    ],
)
def test_digest_day_is_a_local_business_day_from_the_digest_hour(now, expected):
    assert digest_day(now, TORONTO, (THANKSGIVING,), hour=8) == expected


def test_one_digest_key_per_person_kind_and_day():
    key = digest_key("escalation", 7, date(2026, 11, 18))
    assert key == "digest:escalation:7:2026-11-18"
    assert key != digest_key("scorecards", 7, date(2026, 11, 18))
    assert key != digest_key("escalation", 7, date(2026, 11, 19))


# ---- escalation ---------------------------------------------------------------------------------

WEDNESDAY = toronto(2026, 11, 18, 10)


@pytest.mark.parametrize(
    ("due", "extensions", "must_decide", "expected"),
    [
        (toronto(2026, 11, 27, 17), 0, False, None),  # 7 business days away
        (toronto(2026, 11, 23, 17), 0, False, None),  # Monday: 3 business days
        (toronto(2026, 11, 20, 17), 0, False, Escalation.DUE_SOON),  # Friday: 2
        (toronto(2026, 11, 18, 17), 0, False, Escalation.DUE_SOON),  # tonight
        (toronto(2026, 11, 18, 9), 0, False, Escalation.OVERDUE),  # lapsed an hour ago
        (toronto(2026, 11, 27, 17), 1, False, Escalation.EXTENDED),  # on track, but moved once
        (toronto(2026, 11, 17, 17), 2, False, Escalation.OVERDUE),
        (toronto(2026, 11, 17, 17), 2, True, Escalation.OVERDUE),
        (None, 0, False, None),
        (None, 0, True, Escalation.OVERDUE),
    ],
)
def test_escalation(due, extensions, must_decide, expected):
    assert (
        escalation_for(
            due,
            WEDNESDAY,
            extensions=extensions,
            must_decide=must_decide,
            zone=TORONTO,
            warning_days=2,
        )
        is expected
    )


@pytest.mark.parametrize(
    ("now", "holidays", "expected"),
    [
        # Wednesday with 2 warning days: Thursday and Friday count, and the weekend after.
        (WEDNESDAY, (), toronto(2026, 11, 23, 0)),
        (toronto(2026, 11, 20, 10), (), toronto(2026, 11, 25, 0)),  # Friday
        (toronto(2026, 10, 8, 10), (THANKSGIVING,), toronto(2026, 10, 14, 0)),
    ],
)
def test_due_soon_horizon_bounds_every_due_soon_promise(now, holidays, expected):
    horizon = due_soon_horizon(now, TORONTO, holidays, warning_days=2)
    assert horizon == expected
    rules = {"zone": TORONTO, "holidays": holidays, "warning_days": 2}
    just_before = horizon - timedelta(minutes=1)
    assert escalation_for(just_before, now, **rules) is Escalation.DUE_SOON
    assert escalation_for(horizon, now, **rules) is None


@pytest.mark.parametrize(
    ("escalation", "expected"),
    [
        (Escalation.DUE_SOON, (1,)),
        (Escalation.EXTENDED, (1, 5, 6)),
        (Escalation.OVERDUE, (1, 5, 6)),
    ],
)
def test_escalation_recipients(escalation, expected):
    assert escalation_recipients(escalation, 1, [5, 1, 6]) == expected


# ---- lapsed promises ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("due", "extensions", "must_decide", "action", "extension", "new_due"),
    [
        (toronto(2026, 11, 18, 17), 0, False, LapseAction.WAIT, 0, None),  # not lapsed yet
        (None, 0, False, LapseAction.WAIT, 0, None),  # closed: no promise
        # Lapsed: five business days from today, at the end of the day.
        (toronto(2026, 11, 17, 17), 0, False, LapseAction.EXTEND, 1, toronto(2026, 11, 25, 17)),
        (toronto(2026, 11, 17, 17), 1, False, LapseAction.EXTEND, 2, toronto(2026, 11, 25, 17)),
        # After two extensions the promise is not moved again: the candidate is told the
        # decision is late, and hears again three business days on.
        (
            toronto(2026, 11, 17, 17),
            2,
            False,
            LapseAction.MUST_DECIDE,
            0,
            toronto(2026, 11, 23, 17),
        ),
        (
            toronto(2026, 11, 17, 17),
            5,
            False,
            LapseAction.MUST_DECIDE,
            0,
            toronto(2026, 11, 23, 17),
        ),
        # Already on the "must decide" list: the date of the last late notice passed.
        (toronto(2026, 11, 17, 17), 0, True, LapseAction.MUST_DECIDE, 0, toronto(2026, 11, 23, 17)),
        (toronto(2026, 11, 18, 17), 2, True, LapseAction.WAIT, 0, None),
    ],
)
def test_lapsed_promise(due, extensions, must_decide, action, extension, new_due):
    lapse = lapsed_promise(
        due,
        WEDNESDAY,
        extensions=extensions,
        max_extensions=2,
        extension_days=5,
        overdue_notice_days=3,
        must_decide=must_decide,
        zone=TORONTO,
    )
    assert (lapse.action, lapse.extension, lapse.new_due_at) == (action, extension, new_due)


def test_a_promise_lapses_at_its_exact_moment():
    due = toronto(2026, 11, 18, 17)
    common = {"extensions": 0, "max_extensions": 2, "extension_days": 5, "zone": TORONTO}
    assert lapsed_promise(due, due, **common).action is LapseAction.EXTEND
    before = toronto(2026, 11, 18, 16, 59)
    assert lapsed_promise(due, before, **common).action is LapseAction.WAIT


def test_no_extensions_allowed_means_must_decide_at_once():
    lapse = lapsed_promise(
        toronto(2026, 11, 17, 17),
        WEDNESDAY,
        extensions=0,
        max_extensions=0,
        extension_days=5,
        zone=TORONTO,
    )
    assert lapse.action is LapseAction.MUST_DECIDE


@pytest.mark.parametrize(
    ("due", "decided", "already_broken", "expected"),
    [
        (toronto(2026, 11, 18, 17), toronto(2026, 11, 18, 16), False, PromiseEventKind.KEPT),
        (toronto(2026, 11, 18, 17), toronto(2026, 11, 18, 17), False, PromiseEventKind.KEPT),
        (toronto(2026, 11, 18, 17), toronto(2026, 11, 19, 9), False, PromiseEventKind.BROKEN),
        (toronto(2026, 11, 18, 17), toronto(2026, 11, 19, 9), True, None),  # counted already
        (None, toronto(2026, 11, 19, 9), False, None),
    ],
)
def test_decided_promise(due, decided, already_broken, expected):
    assert decided_promise(due, decided, already_broken=already_broken) is expected


# ---- duty to inform -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headcount", "advertised", "interview", "expected"),
    [
        (None, True, toronto(2026, 3, 2, 10), True),  # unknown headcount: assume covered
        (25, True, toronto(2026, 3, 2, 10), True),
        (24, True, toronto(2026, 3, 2, 10), False),  # small employer
        (500, False, toronto(2026, 3, 2, 10), False),  # not publicly advertised
        (500, True, toronto(2025, 12, 31, 16), False),  # before the rule came into force
        (500, True, toronto(2026, 1, 1, 0, 30), True),
    ],
)
def test_ontario_duty_applies(headcount, advertised, interview, expected):
    assert (
        duty_applies(
            ONTARIO,
            headcount=headcount,
            publicly_advertised=advertised,
            last_interview_at=interview,
            zone=TORONTO,
        )
        is expected
    )


def test_no_policy_means_no_duty():
    assert not duty_applies(
        None,
        headcount=1000,
        publicly_advertised=True,
        last_interview_at=WEDNESDAY,
        zone=TORONTO,
    )


@pytest.mark.parametrize(
    ("interview", "expected"),
    [
        # 45 calendar days after the local day of the last interview, end of the business day.
        (toronto(2026, 11, 18, 10), toronto(2027, 1, 2, 17)),
        # 22:30 in Toronto is the next day in UTC; the local day counts.
        (toronto(2026, 3, 2, 22, 30), toronto(2026, 4, 16, 17)),
    ],
)
def test_ontario_duty_due_45_days_after_the_last_interview(interview, expected):
    assert duty_due_at(ONTARIO, interview, TORONTO) == expected


DUE = toronto(2027, 1, 2, 17)


@pytest.mark.parametrize(
    ("informed", "now", "expected"),
    [
        (None, toronto(2026, 12, 1, 9), DutyState.OPEN),
        (None, toronto(2026, 12, 26, 17), DutyState.DUE_SOON),  # 7 days before
        (None, toronto(2027, 1, 2, 17), DutyState.DUE_SOON),  # the last moment
        (None, toronto(2027, 1, 2, 17, 1), DutyState.BREACHED),
        (toronto(2026, 12, 1, 9), toronto(2027, 3, 1, 9), DutyState.MET),
        (toronto(2027, 1, 2, 17), toronto(2027, 3, 1, 9), DutyState.MET),
        (toronto(2027, 1, 4, 9), toronto(2027, 3, 1, 9), DutyState.LATE),
    ],
)
def test_duty_state(informed, now, expected):
    state = duty_state(DUE, informed, now, warning_days=7)
    assert state is expected
    assert state.needs_action is (expected in (DutyState.DUE_SOON, DutyState.BREACHED))


@pytest.mark.parametrize(
    ("informed", "expected"),
    [
        (datetime(2026, 11, 18, 15, tzinfo=UTC), datetime(2029, 11, 18, 15, tzinfo=UTC)),
        # A record made on 29 February is kept to 1 March, never a day short.
        (datetime(2028, 2, 29, 15, tzinfo=UTC), datetime(2031, 3, 1, 15, tzinfo=UTC)),
    ],
)
def test_records_are_kept_three_years(informed, expected):
    assert duty_kept_until(ONTARIO, informed) == expected


def test_policies_by_name():
    assert duty_to_inform_policy("ontario") is ONTARIO
    assert duty_to_inform_policy(None) is None
    assert duty_to_inform_policy("") is None
    with pytest.raises(ValueError, match="unknown duty-to-inform policy 'atlantis'"):
        duty_to_inform_policy("atlantis")
