"""Delivery over real SMTP: an aiosmtpd server started by these tests, programmed per recipient
to refuse, stall or drop the connection. The clock is moved forward between runs."""

import socket
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import select

from recruitcare.domain.enums import DeliveryStatus
from recruitcare.extensions import db
from recruitcare.models import OutboxMessage
from recruitcare.outbox import services as outbox
from recruitcare.outbox.mailer import SmtpMailer
from recruitcare.outbox.worker import Worker, claim_due
from tests.factories import NOW, make_application
from tests.smtp_server import Rule, SmtpServer
from tests.test_outbox_services import queue

pytestmark = pytest.mark.smtp

LATER = timedelta(hours=2)  # past any retry delay at the default settings


@pytest.fixture(scope="module")
def _server():
    with SmtpServer() as server:
        yield server


@pytest.fixture
def server(_server):
    if not _server.running:
        _server.start()
    _server.reset()
    yield _server
    _server.reset()


@pytest.fixture
def smtp_app(make_app, server):
    return make_app(
        MAIL_BACKEND="smtp", MAIL_SERVER=server.host, MAIL_PORT=server.port, MAIL_TIMEOUT=5
    )


def rows() -> list[OutboxMessage]:
    db.session.expire_all()
    return list(db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def test_canary_a_message_actually_arrives(smtp_app, server):
    with smtp_app.app_context():
        message = queue(
            recipient="ann@mail.example",
            recipient_name="Ann Ward",
            subject="About your application",
            reply_to="Rita Recruiter <rita@company.example>",
        )
        db.session.commit()
        Worker.from_app(smtp_app).run_batch(now=NOW)
        [received] = server.received
        assert received.sender == "no-reply@recruitcare.example"
        assert received.recipients == ("ann@mail.example",)
        assert received.message_id == message.message_id
        email = received.message
        assert email["To"] == "Ann Ward <ann@mail.example>"
        assert email["From"] == "Northwind Recruiting <no-reply@recruitcare.example>"
        assert email["Reply-To"] == "Rita Recruiter <rita@company.example>"
        assert email["Subject"] == "About your application"
        assert email["Date"]
        assert email.get_body(("plain",)).get_content().startswith("Thank you for your time.")
        assert "<p>Thank you" in email.get_body(("html",)).get_content()
        [row] = rows()
        assert (row.status, row.smtp_code, row.attempts) == (DeliveryStatus.DELIVERED, 250, 1)
        assert row.delivered_at == NOW


def test_a_batch_goes_over_one_connection(smtp_app, server):
    with smtp_app.app_context():
        messages = [queue() for _ in range(25)]
        db.session.commit()
        report = Worker.from_app(smtp_app).run_batch(now=NOW)
        assert report.outcomes == {"delivered": 25}
        assert server.connections == 1
        assert server.message_ids() == [m.message_id for m in messages]
        assert {r.status for r in rows()} == {DeliveryStatus.DELIVERED}


def test_temporary_failures_are_retried_until_delivered(smtp_app, server):
    server.rules["busy@mail.example"] = Rule(temporary_failures=3)
    with smtp_app.app_context():
        busy = queue(recipient="busy@mail.example")
        fine = queue(recipient="fine@mail.example")  # same batch, after the refusal
        db.session.commit()
        worker = Worker.from_app(smtp_app)
        now = NOW
        for attempt in (1, 2, 3):
            worker.run_batch(now=now)
            row = db.session.get(OutboxMessage, busy.id)
            db.session.refresh(row)
            assert (row.status, row.attempts, row.smtp_code) == (
                DeliveryStatus.RETRYING,
                attempt,
                451,
            )
            assert "temporary failure (451)" in row.last_error
            assert now < row.next_attempt_at <= now + timedelta(minutes=2 ** (attempt - 1))
            assert worker.run_batch(now=now).claimed == 0  # not due again yet
            now += LATER
        worker.run_batch(now=now)
        busy_row, fine_row = rows()
        assert (busy_row.status, busy_row.attempts, busy_row.smtp_code) == (
            DeliveryStatus.DELIVERED,
            4,
            250,
        )
        assert busy_row.first_attempt_at == NOW
        assert busy_row.delivered_at == now
        assert (fine_row.status, fine_row.attempts) == (DeliveryStatus.DELIVERED, 1)
        assert server.message_ids() == [fine.message_id, busy.message_id]


def test_a_permanent_refusal_fails_after_one_attempt(smtp_app, server):
    server.rules["gone@mail.example"] = Rule(reject=True)
    with smtp_app.app_context():
        queue(recipient="gone@mail.example")
        db.session.commit()
        worker = Worker.from_app(smtp_app)
        assert worker.run_batch(now=NOW).outcomes == {"failed": 1}
        [row] = rows()
        assert (row.status, row.attempts, row.smtp_code) == (DeliveryStatus.FAILED, 1, 550)
        assert "refused (550)" in row.last_error
        assert worker.run_batch(now=NOW + timedelta(days=1)).claimed == 0
        assert server.received == []


def test_a_connection_lost_after_data_is_resent_with_the_same_message_id(smtp_app, server):
    server.rules["flaky@mail.example"] = Rule(drop_after_data=1)
    with smtp_app.app_context():
        flaky = queue(recipient="flaky@mail.example")
        after = queue(recipient="after@mail.example")
        db.session.commit()
        worker = Worker.from_app(smtp_app)
        assert worker.run_batch(now=NOW).outcomes == {"retrying": 1, "delivered": 1}
        assert server.connections == 2  # a new connection for the rest of the batch
        flaky_row, after_row = rows()
        assert flaky_row.status is DeliveryStatus.RETRYING
        assert flaky_row.data_sent_unconfirmed
        assert "same Message-ID" in flaky_row.last_error
        assert after_row.status is DeliveryStatus.DELIVERED
        worker.run_batch(now=NOW + LATER)
        assert rows()[0].status is DeliveryStatus.DELIVERED
        assert Counter(server.message_ids()) == {flaky.message_id: 2, after.message_id: 1}


def test_server_down_then_up_loses_nothing(smtp_app, server):
    with smtp_app.app_context():
        messages = [queue() for _ in range(5)]
        db.session.commit()
        server.stop()
        worker = Worker.from_app(smtp_app)
        assert worker.run_batch(now=NOW).outcomes == {"retrying": 5}
        for row in rows():
            assert (row.status, row.attempts, row.smtp_code) == (DeliveryStatus.RETRYING, 1, None)
            assert "connection error: cannot connect" in row.last_error
        server.start()
        assert worker.run_batch(now=NOW + LATER).outcomes == {"delivered": 5}
        # Retries come back in the order of their (jittered) retry times.
        assert sorted(server.message_ids()) == sorted(m.message_id for m in messages)
        assert server.connections == 1


@pytest.mark.parametrize(("stall_at", "data_sent"), [("rcpt", False), ("data", True)])
def test_a_slow_server_times_out_and_the_message_is_retried(make_app, server, stall_at, data_sent):
    app = make_app(
        MAIL_BACKEND="smtp", MAIL_SERVER=server.host, MAIL_PORT=server.port, MAIL_TIMEOUT=2
    )
    # The timeout leaves room for a loaded machine; the one stall is far longer than it.
    server.rules["slow@mail.example"] = Rule(stall_seconds=6, stall_at=stall_at)
    with app.app_context():
        slow = queue(recipient="slow@mail.example")
        db.session.commit()
        worker = Worker.from_app(app)
        assert worker.run_batch(now=NOW).outcomes == {"retrying": 1}
        [row] = rows()
        assert row.status is DeliveryStatus.RETRYING
        assert "timed out" in row.last_error
        assert row.data_sent_unconfirmed is data_sent
        assert worker.run_batch(now=NOW + LATER).outcomes == {"delivered": 1}
        assert server.message_ids() == [slow.message_id]


def test_giving_up_after_three_days_of_failures(smtp_app, server):
    server.rules["busy@mail.example"] = Rule(temporary_failures=10_000)
    with smtp_app.app_context():
        queue(recipient="busy@mail.example")
        db.session.commit()
        worker = Worker.from_app(smtp_app)
        worker.run_batch(now=NOW)
        worker.run_batch(now=NOW + timedelta(days=2))
        assert rows()[0].status is DeliveryStatus.RETRYING
        worker.run_batch(now=NOW + timedelta(days=3))
        [row] = rows()
        assert (row.status, row.attempts) == (DeliveryStatus.FAILED, 3)
        assert row.last_error.startswith("gave up after 3 days: temporary failure (451)")


def test_header_injection_never_reaches_the_server(smtp_app, server):
    with smtp_app.app_context():
        with pytest.raises(outbox.HeaderError):
            queue(subject="Hi\r\nBcc: everyone@mail.example")
        db.session.commit()
        assert Worker.from_app(smtp_app).run_batch(now=NOW).claimed == 0
    assert server.received == []
    assert server.connections == 0


def test_cancelled_and_anonymised_messages_are_not_sent(smtp_app, server):
    with smtp_app.app_context():
        withdrawn, anonymised, owed = make_application(), make_application(), make_application()
        early = queue(application=withdrawn, purpose="closure")
        in_batch = queue(application=withdrawn, purpose="interim")
        gone = queue(application=anonymised)
        sent = queue(application=owed)
        db.session.commit()
        outbox.cancel(early, reason="withdrawn", now=NOW)
        db.session.commit()
        worker = Worker.from_app(smtp_app)
        ids = claim_due(worker=worker.name, now=NOW, limit=10, lease=timedelta(minutes=10))
        assert ids == [in_batch.id, gone.id, sent.id]
        # While the batch waits its turn: the application closes, the candidate is anonymised.
        outbox.cancel_for_application(withdrawn.id, reason="withdrawn", now=NOW)
        anonymised.candidate.anonymised_at = NOW
        db.session.commit()
        report = worker.deliver_claimed(ids, now=NOW)
        assert report.outcomes == {"skipped": 1, "cancelled": 1, "delivered": 1}
        by_id = {row.id: row for row in rows()}
        assert by_id[early.id].status is DeliveryStatus.CANCELLED
        assert by_id[in_batch.id].status is DeliveryStatus.CANCELLED
        assert by_id[gone.id].status is DeliveryStatus.CANCELLED
        assert by_id[gone.id].cancel_reason == "the candidate's data was removed"
        assert by_id[sent.id].status is DeliveryStatus.DELIVERED
        assert server.message_ids() == [sent.message_id]


def test_outbox_run_once_through_the_cli(smtp_app, server):
    with smtp_app.app_context():
        message_ids = [queue().message_id for _ in range(3)]
        db.session.commit()
    result = smtp_app.test_cli_runner().invoke(args=["outbox", "run", "--once", "--batch", "2"])
    assert result.exit_code == 0, result.output
    assert "smtp backend, batches of 2" in result.output
    assert "Outbox worker done: 3 claimed: 3 delivered." in result.output
    assert server.message_ids() == message_ids
    assert server.connections == 2
    status = smtp_app.test_cli_runner().invoke(args=["outbox", "status"])
    assert "Delivered          3" in status.output.splitlines()
    assert status.output.splitlines()[-1] == "Nothing is due."


def test_the_mailer_sends_after_a_refusal_on_the_same_connection(server):
    server.rules["no@mail.example"] = Rule(reject=True)
    with SmtpMailer(host=server.host, port=server.port, timeout=5) as mailer:
        refused = mailer.send("from@x.example", "no@mail.example", b"Subject: a\r\n\r\n.hi\r\n")
        accepted = mailer.send("from@x.example", "yes@mail.example", b"Subject: b\r\n\r\n.hi\r\n")
    assert (refused.code, refused.data_sent) == (550, False)
    assert (accepted.code, accepted.data_sent) == (250, True)
    assert server.connections == 1
    assert server.received[0].content.endswith(b"\r\n.hi\r\n")  # dot-stuffing undone


def test_an_unreachable_server_is_reported_without_trying_each_message(make_app):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # bound, not listening: connections are refused
        app = make_app(MAIL_BACKEND="smtp", MAIL_SERVER="127.0.0.1", MAIL_PORT=port)
        with app.app_context():
            for _ in range(3):
                queue()
            db.session.commit()
            attempts = []
            worker = Worker.from_app(app)
            factory = worker.mailer_factory

            def counting_factory():
                mailer = factory()
                original = mailer.open

                def open_():
                    attempts.append(1)
                    original()

                mailer.open = open_
                return mailer

            worker.mailer_factory = counting_factory
            assert worker.run_batch(now=NOW).outcomes == {"retrying": 3}
            assert len(attempts) == 1
