"""Outbox delivery policy: header safety, reply classification, backoff and giving up."""

from datetime import UTC, datetime, timedelta

import pytest

from recruitcare.domain.outbox import (
    Classification,
    HeaderError,
    RetryPolicy,
    Verdict,
    after_attempt,
    check_address,
    check_header,
    check_headers,
    check_mailbox,
    classify,
    next_attempt_at,
    should_give_up,
)

T0 = datetime(2026, 11, 18, 12, 0, tzinfo=UTC)
MINUTE, HOUR, DAY = timedelta(minutes=1), timedelta(hours=1), timedelta(days=1)


@pytest.mark.parametrize(
    "value",
    ["Your application", "Ünïcödé façade — ok", "", "a" * 300, "tabs\tare folded, not breaks"],
)
def test_one_line_values_pass(value):
    check_header("subject", value)


@pytest.mark.parametrize(
    ("value", "named"),
    [
        ("Hello\r\nBcc: victim@example.com", "carriage return"),
        ("Hello\nBcc: victim@example.com", "line feed"),
        ("Hello\rthere", "carriage return"),
        ("Hello\0there", "NUL"),
        ("Hello\x0bthere", "vertical tab"),
        ("Hello\x85there", "next-line"),
        ("Hello\u2028there", "line separator"),
    ],
)
def test_line_breaks_and_nul_are_refused_by_name(value, named):
    with pytest.raises(HeaderError, match=named) as caught:
        check_header("subject", value)
    assert str(caught.value).startswith("subject contains")
    assert isinstance(caught.value, ValueError)


def test_length_limits_are_checked_per_field():
    check_headers({"subject": "x" * 300, "recipient_name": "Ann"}, {"subject": 300})
    with pytest.raises(HeaderError, match="subject is longer than 300"):
        check_headers({"subject": "x" * 301}, {"subject": 300})


@pytest.mark.parametrize("address", ["ann@mail.example", "first.last+tag@sub.mail.example"])
def test_plain_addresses_pass(address):
    check_address("recipient", address)


@pytest.mark.parametrize(
    "address",
    ["", "ann", "@mail.example", "ann@", "ann smith@mail.example", "Ann <ann@mail.example>"],
)
def test_anything_but_a_bare_address_is_refused(address):
    with pytest.raises(HeaderError, match="not an email address"):
        check_address("recipient", address)


@pytest.mark.parametrize(
    "value",
    [
        "rita@company.example",
        "Rita Recruiter <rita@company.example>",
        '"Recruiter, Rita" <rita@company.example>',
        "Ünïcode Name <rita@company.example>",
    ],
)
def test_one_mailbox_passes(value):
    check_mailbox("reply_to", value)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("rita", "not an email address"),
        ("Rita <>", "must be one email address"),
        ("a@company.example, b@company.example", "must be one email address"),
        ("Rita <rita@company.example>\r\nBcc: x@mail.example", "carriage return"),
    ],
)
def test_anything_but_one_mailbox_is_refused(value, message):
    with pytest.raises(HeaderError, match=message):
        check_mailbox("reply_to", value)


@pytest.mark.parametrize(
    ("code", "error", "data_sent", "verdict", "unconfirmed", "reason"),
    [
        (250, None, True, Verdict.DELIVERED, False, "accepted (250)"),
        (251, None, True, Verdict.DELIVERED, False, "accepted (251)"),
        (421, "closing", False, Verdict.RETRY, False, "temporary failure (421) closing"),
        (451, "busy", False, Verdict.RETRY, False, "temporary failure (451) busy"),
        (452, None, True, Verdict.RETRY, False, "temporary failure (452)"),
        (550, "no such user", False, Verdict.FAIL, False, "refused (550) no such user"),
        (554, None, True, Verdict.FAIL, False, "refused (554)"),
        (None, "Connection refused", False, Verdict.RETRY, False, "connection error"),
        (None, "timed out", False, Verdict.RETRY, False, "connection error: timed out"),
        (None, "timed out", True, Verdict.RETRY, True, "same Message-ID"),
        (None, None, True, Verdict.RETRY, True, "no reply from the mail server"),
        (354, None, False, Verdict.RETRY, False, "unexpected reply (354)"),
    ],
)
def test_classify(code, error, data_sent, verdict, unconfirmed, reason):
    outcome = classify(code, error=error, data_sent=data_sent)
    assert outcome.verdict is verdict
    assert outcome.data_sent_unconfirmed is unconfirmed
    assert reason in outcome.reason


@pytest.mark.parametrize(
    ("attempts", "delay"),
    [
        (0, MINUTE),
        (1, MINUTE),
        (2, 2 * MINUTE),
        (3, 4 * MINUTE),
        (6, 32 * MINUTE),
        (7, HOUR),  # 64 minutes, capped
        (40, HOUR),
        (10_000, HOUR),
    ],
)
def test_backoff_doubles_up_to_the_cap(attempts, delay):
    assert next_attempt_at(attempts, T0, MINUTE, HOUR) == T0 + delay


@pytest.mark.parametrize("attempts", [1, 3, 7, 20])
def test_jitter_stays_in_the_upper_half_and_repeats_for_a_seed(attempts):
    plain = next_attempt_at(attempts, T0, MINUTE, HOUR) - T0
    times = {next_attempt_at(attempts, T0, MINUTE, HOUR, jitter_seed=f"{n}:1") for n in range(50)}
    assert all(T0 + plain / 2 <= t <= T0 + plain for t in times)
    assert len(times) > 40  # spread out
    again = next_attempt_at(attempts, T0, MINUTE, HOUR, jitter_seed="7:1")
    assert again == next_attempt_at(attempts, T0, MINUTE, HOUR, jitter_seed="7:1")


@pytest.mark.parametrize(
    ("first", "now", "give_up"),
    [
        (None, T0, False),
        (T0, T0, False),
        (T0, T0 + 3 * DAY - MINUTE, False),
        (T0, T0 + 3 * DAY, True),
        (T0, T0 + 10 * DAY, True),
    ],
)
def test_give_up_after_three_days_by_default(first, now, give_up):
    assert should_give_up(first, now) is give_up


def test_give_up_limit_is_an_argument():
    assert should_give_up(T0, T0 + 2 * HOUR, timedelta(hours=2))
    assert not should_give_up(T0, T0 + 2 * HOUR, timedelta(hours=3))


POLICY = RetryPolicy(base=MINUTE, cap=HOUR, give_up_after=3 * DAY)


@pytest.mark.parametrize(
    ("outcome", "now", "verdict", "retry_at", "reason"),
    [
        (Classification(Verdict.DELIVERED, "accepted (250)"), T0, Verdict.DELIVERED, None, "acc"),
        (Classification(Verdict.FAIL, "refused (550)"), T0, Verdict.FAIL, None, "refused (550)"),
        (Classification(Verdict.RETRY, "busy"), T0, Verdict.RETRY, T0 + 4 * MINUTE, "busy"),
        (
            Classification(Verdict.RETRY, "busy"),
            T0 + 3 * DAY,
            Verdict.FAIL,
            None,
            "gave up after 3 days: busy",
        ),
    ],
)
def test_after_attempt(outcome, now, verdict, retry_at, reason):
    step = after_attempt(outcome, attempts=3, first_attempt_at=T0, now=now, policy=POLICY)
    assert step.verdict is verdict
    assert step.retry_at == retry_at
    assert reason in step.reason


def test_after_attempt_keeps_the_unconfirmed_flag():
    outcome = classify(None, error="timed out", data_sent=True)
    step = after_attempt(outcome, attempts=1, first_attempt_at=T0, now=T0, policy=POLICY)
    assert step.verdict is Verdict.RETRY
    assert step.data_sent_unconfirmed
