"""build_payload writes the same email as build_message: byte for byte in its headers when it
writes them itself, the same content when it hands over to the email package."""

import random
from datetime import UTC, datetime
from email import message_from_bytes, policy

import pytest

from recruitcare.outbox import mailer
from recruitcare.outbox.mailer import build_message, build_payload

NOW = datetime(2026, 11, 18, 15, 0, tzinfo=UTC)

BASE = {
    "sender_name": "Rita Recruiter, Northwind",
    "sender_address": "no-reply@recruitcare.example",
    "recipient": "ann.ward@mail.example",
    "recipient_name": "Ann Ward",
    "reply_to": "rita@northwind.example",
    "subject": "Your application for Senior Data Engineer",
    "message_id": "<175.1.2@recruitcare.example>",
    "text_body": "Dear Ann,\n\nThank you for your time.\n\nThe hiring team",
    "html_body": "<p>Dear Ann,</p><p>Thank you for your time.</p>",
    "now": NOW,
}

PLAIN = [
    {},
    {"html_body": ""},
    {"reply_to": ""},
    {"recipient_name": ""},
    {"sender_name": "Northwind Recruiting"},
    {"recipient_name": "J. R. O'Neil-Smith"},
    {"subject": "Re: 100% = done? (yes!) [ref #42]"},
    {"text_body": "a = b\n.\n.starts with a dot\nFrom me\ntrailing space \nend\t"},
    {"text_body": "x" * 500 + "\n" + "y = " * 60},
    {"text_body": "CRLF\r\nlines\rand\nmixed\r\n\r\n"},
    {"text_body": "Accents é, emoji 🙂, and NBSP\u00a0here", "html_body": "<p>ü</p>\n"},
    {"text_body": "", "html_body": "<p>only html</p>"},
]

HANDED_OVER = [
    {"recipient_name": "Ann Émilie Ward"},
    {"subject": "Your application — next steps"},
    {"subject": "x" * 90},
    {"subject": "=?utf-8?q?looks_encoded?="},
    {"subject": "two  spaces"},
    {"sender_name": 'Rita "the recruiter"'},
    {"recipient_name": "Ann (Ward)"},
    {"reply_to": "Rita Recruiter <rita@northwind.example>"},
    {"recipient": '"ann ward"@mail.example'},
    {"message_id": "<odd id@recruitcare.example>"},
    {"recipient_name": "Ann " + "Ward" * 20},
]


def both(**changes):
    values = {**BASE, **changes}
    random.seed(7)
    expected = build_message(**values).as_bytes()
    random.seed(7)
    return expected, build_payload(**values)


def parsed(raw: bytes):
    return message_from_bytes(raw, policy=policy.default)


def same_email(expected: bytes, actual: bytes) -> None:
    one, two = parsed(expected), parsed(actual)
    assert one.items() == two.items()
    assert [p.get_content_type() for p in one.walk()] == [p.get_content_type() for p in two.walk()]
    for a, b in zip(one.walk(), two.walk(), strict=True):
        if not a.is_multipart():
            assert a.get_content() == b.get_content()
            assert a.items() == b.items()


@pytest.mark.parametrize("changes", PLAIN)
def test_plain_values_are_written_directly_with_the_same_headers(changes, monkeypatch):
    expected, _ = both(**changes)
    monkeypatch.setattr(mailer, "build_message", None)  # the direct path must not need it
    random.seed(7)
    actual = build_payload(**{**BASE, **changes})
    same_email(expected, actual)
    assert actual.split(b"\r\n\r\n")[0] == expected.split(b"\r\n\r\n")[0]
    assert all(len(line) <= 78 for line in actual.split(b"\r\n"))
    assert b"\n" not in actual.replace(b"\r\n", b"")


@pytest.mark.parametrize("changes", HANDED_OVER)
def test_anything_else_is_left_to_the_email_package(changes):
    expected, actual = both(**changes)
    assert actual == expected


def test_a_non_ascii_recipient_is_refused_either_way():
    with pytest.raises(ValueError, match="non-ASCII"):
        build_payload(**{**BASE, "recipient": "anné@mail.example"})
