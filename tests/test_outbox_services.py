"""Outbox services and the file backend: enqueue rides the caller's transaction, cancel, resend,
counts, and ``flask outbox`` with the development backend (no SMTP server involved)."""

import logging
from contextlib import contextmanager
from datetime import timedelta
from email import message_from_bytes, policy

import pytest
from sqlalchemy import event, func, select, text

from recruitcare import dbutil
from recruitcare.dbutil import in_batch, insert_rows
from recruitcare.domain.enums import DeliveryStatus
from recruitcare.extensions import db
from recruitcare.models import OutboxMessage
from recruitcare.outbox import services as outbox
from recruitcare.outbox import worker as worker_module
from recruitcare.outbox.mailer import FileMailer, SendResult, mail_backend
from recruitcare.outbox.worker import Worker, claim_due
from tests.factories import NOW, make_application, make_candidate

_serial = iter(range(1, 1_000_000))


def queue(**overrides) -> OutboxMessage:
    """Enqueue a plain message due at NOW; any field can be overridden."""
    n = next(_serial)
    fields = {
        "purpose": "closure",
        "idempotency_key": f"test:{n}",
        "recipient": f"person{n}@mail.example",
        "recipient_name": f"Person Number{n}",
        "subject": "About your application",
        "text_body": "Thank you for your time.\n\nThe hiring team",
        "html_body": "<p>Thank you for your time.</p><p>The hiring team</p>",
        "reply_to": "recruiter@company.example",
        "sender_name": "Northwind Recruiting",
        "send_after": NOW,
        "now": NOW,
    }
    fields.update(overrides)
    return outbox.enqueue(**fields)


def statuses() -> list[DeliveryStatus]:
    return list(db.session.scalars(select(OutboxMessage.status).order_by(OutboxMessage.id)))


def test_enqueue_schedules_with_a_fixed_message_id(app):
    with app.app_context():
        later = NOW + timedelta(hours=15)
        message = queue(send_after=later)
        assert message.id is not None  # flushed
        assert message.status is DeliveryStatus.SCHEDULED
        assert message.next_attempt_at == later
        assert message.attempts == 0
        assert message.message_id.startswith("<")
        assert message.message_id.endswith("@recruitcare.example>")  # the sender's domain


def test_message_id_domain_is_configurable(make_app):
    app = make_app(MAIL_MESSAGE_ID_DOMAIN="mail.northwind.example")
    with app.app_context():
        assert queue().message_id.endswith("@mail.northwind.example>")


def test_a_rolled_back_transaction_leaves_no_message(app):
    with app.app_context():
        queue()
        db.session.rollback()
        assert db.session.scalar(select(OutboxMessage.id)) is None


def test_a_duplicate_key_is_refused(app):
    with app.app_context():
        queue(idempotency_key="closure:application:7")
        db.session.commit()
        with pytest.raises(outbox.DuplicateMessage, match="closure:application:7"):
            queue(idempotency_key="closure:application:7")
        assert len(statuses()) == 1


def test_the_unique_constraint_catches_a_duplicate_the_check_missed(app, monkeypatch):
    """Two transactions enqueuing at once: the other one committed between our check and our
    insert, so the check saw nothing and the database refuses our row."""
    with app.app_context():
        queue(idempotency_key="closure:application:8")
        db.session.commit()
        lookup = outbox._ids_by_key
        calls = []

        def missed_once(keys):
            calls.append(keys)
            return {} if len(calls) == 1 else lookup(keys)

        monkeypatch.setattr(outbox, "_ids_by_key", missed_once)
        with pytest.raises(outbox.DuplicateMessage, match="closure:application:8"):
            queue(idempotency_key="closure:application:8")
        db.session.rollback()
        assert len(statuses()) == 1


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("subject", "Hello\r\nBcc: everyone@mail.example", "subject contains a carriage return"),
        ("subject", "Hello\nBcc: everyone@mail.example", "subject contains a line feed"),
        ("recipient_name", "Ann\nBcc: x@mail.example", "recipient_name contains a line feed"),
        ("sender_name", "Team\0", "sender_name contains a NUL"),
        ("reply_to", "r@company.example\r\nX-Evil: 1", "reply_to contains a carriage return"),
        ("recipient", "ann@mail.example\nbcc@mail.example", "recipient contains a line feed"),
        ("recipient", "ann@mail.example, bob@mail.example", "not an email address"),
        ("subject", "x" * 301, "longer than 300"),
        ("reply_to", "the recruiter", "not an email address"),
        ("reply_to", "a@company.example, b@company.example", "must be one email address"),
    ],
)
def test_header_injection_is_refused_at_enqueue(app, field, value, message):
    with app.app_context():
        with pytest.raises(outbox.HeaderError, match=message):
            queue(**{field: value})
        assert statuses() == []


def new_message(**overrides) -> outbox.NewMessage:
    n = next(_serial)
    fields = {
        "purpose": "closure",
        "idempotency_key": f"batch:{n}",
        "recipient": f"person{n}@mail.example",
        "recipient_name": f"Person Number{n}",
        "subject": "About your application",
        "text_body": "Thank you for your time.",
        "html_body": "<p>Thank you for your time.</p>",
        "reply_to": "recruiter@company.example",
        "sender_name": "Northwind Recruiting",
        "send_after": NOW,
    }
    fields.update(overrides)
    return outbox.NewMessage(**fields)


@contextmanager
def count_statements(engine):
    """Collects every statement sent to ``engine`` while the block runs, the COPYs that
    PostgreSQL gets straight from the driver (unseen by SQLAlchemy's events) included."""
    seen = []

    def listener(_conn, _cursor, statement, *_args):
        seen.append(statement)

    def copying(connection, table, *args):
        seen.append(f"COPY {table.name}")
        return copy_rows(connection, table, *args)

    copy_rows = dbutil._copy_rows
    event.listen(engine, "before_cursor_execute", listener)
    dbutil._copy_rows = copying
    try:
        yield seen
    finally:
        dbutil._copy_rows = copy_rows
        event.remove(engine, "before_cursor_execute", listener)


@pytest.mark.parametrize("size", [3, 60])
def test_enqueue_many_writes_a_batch_in_a_fixed_number_of_statements(app, size):
    with app.app_context():
        application = make_application()
        batch = [new_message(application=application) for _ in range(size)]
        db.session.flush()
        with count_statements(db.engine) as statements:
            ids = outbox.enqueue_many(batch, now=NOW)
        # The taken-key check, the INSERT, and the ids read back.
        assert len(statements) == 3
        rows = {m.id: m for m in db.session.scalars(select(OutboxMessage))}
        assert [rows[i].idempotency_key for i in ids] == [m.idempotency_key for m in batch]
        assert {rows[i].application_id for i in ids} == {application.id}
        assert len({rows[i].message_id for i in ids}) == size
        assert all(rows[i].status is DeliveryStatus.SCHEDULED for i in ids)
        db.session.rollback()
        assert statuses() == []  # rides the caller's transaction
        assert outbox.enqueue_many([], now=NOW) == []


def test_enqueue_many_checks_every_header_before_writing_anything(app):
    with app.app_context():
        batch = [new_message() for _ in range(4)]
        batch[2] = new_message(idempotency_key="batch:bad", subject="Hi\r\nBcc: x@mail.example")
        refused = pytest.raises(outbox.HeaderError, match="batch:bad: subject contains")
        with count_statements(db.engine) as statements, refused as error:
            outbox.enqueue_many(batch, now=NOW)
        assert error.value.idempotency_key == "batch:bad"
        assert statements == []
        assert statuses() == []


def test_enqueue_many_refuses_a_batch_with_any_key_taken_or_given_twice(app):
    with app.app_context():
        queue(idempotency_key="closure:1:1")
        db.session.commit()
        batch = [new_message(), new_message(idempotency_key="closure:1:1"), new_message()]
        with pytest.raises(outbox.DuplicateMessage, match="'closure:1:1' exists already"):
            outbox.enqueue_many(batch, now=NOW)
        twice = [new_message(idempotency_key="k"), new_message(idempotency_key="k")]
        with pytest.raises(outbox.DuplicateMessage, match="given twice"):
            outbox.enqueue_many(twice, now=NOW)
        assert len(statuses()) == 1


def test_enqueue_many_gives_a_new_application_its_id_first(app):
    with app.app_context():
        from recruitcare.models import Application

        existing = make_application()
        application = Application(
            candidate=make_candidate(),
            requisition=existing.requisition,
            stage=existing.stage,
            status=existing.status,
            decision_due_at=NOW,
            promise_extensions=0,
            created_at=NOW,
        )
        db.session.add(application)
        with db.session.no_autoflush:
            message = queue(application=application)
        assert message.application_id == application.id is not None
        assert message.application is application


def test_cancel_a_pending_message(app):
    with app.app_context():
        message = queue()
        outbox.cancel(message, reason="application reopened", now=NOW)
        assert message.status is DeliveryStatus.CANCELLED
        assert message.cancelled_at == NOW
        assert message.cancel_reason == "application reopened"
        with pytest.raises(outbox.NotPending, match="cancelled"):
            outbox.cancel(message, reason="again", now=NOW)


def test_cancel_refuses_a_delivered_message(app):
    with app.app_context():
        message = queue()
        message.status = DeliveryStatus.DELIVERED
        db.session.flush()
        with pytest.raises(outbox.NotPending, match="delivered"):
            outbox.cancel(message, reason="too late", now=NOW)


def test_cancel_for_application_cancels_only_what_is_pending(app):
    with app.app_context():
        application, other = make_application(), make_application()
        closure = queue(application=application, purpose="closure")
        interim = queue(application=application, purpose="interim")
        sent = queue(application=application, purpose="status")
        sent.status = DeliveryStatus.DELIVERED
        elsewhere = queue(application=other, purpose="closure")
        db.session.flush()
        assert (
            outbox.cancel_for_application(
                application.id, purpose="closure", reason="status changed", now=NOW
            )
            == 1
        )
        assert closure.status is DeliveryStatus.CANCELLED
        assert interim.status is DeliveryStatus.SCHEDULED
        assert outbox.cancel_for_application(application.id, reason="withdrawn", now=NOW) == 1
        assert interim.status is DeliveryStatus.CANCELLED
        assert interim.cancel_reason == "withdrawn"
        assert sent.status is DeliveryStatus.DELIVERED
        assert elsewhere.status is DeliveryStatus.SCHEDULED


def _failed(message: OutboxMessage) -> OutboxMessage:
    message.status = DeliveryStatus.FAILED
    message.attempts = 1
    message.first_attempt_at = message.last_attempt_at = NOW
    message.smtp_code = 550
    message.last_error = "refused (550) No such mailbox"
    db.session.flush()
    return message


def test_resend_to_the_same_address_keeps_the_message_id(app):
    with app.app_context():
        message = _failed(queue(recipient="ann@mail.example"))
        original = message.message_id
        later = NOW + timedelta(days=1)
        outbox.resend(message, now=later)
        assert message.status is DeliveryStatus.SCHEDULED
        assert message.next_attempt_at == later
        assert (message.attempts, message.first_attempt_at, message.smtp_code) == (0, None, None)
        assert message.last_error == ""
        assert message.message_id == original
        outbox.cancel(message, reason="x", now=later)
        _failed(message)
        outbox.resend(message, recipient="ANN@mail.example", now=later)  # same address
        assert message.message_id == original


def test_resend_to_a_corrected_address_gets_a_new_message_id(app):
    with app.app_context():
        message = _failed(queue(recipient="ann@mial.example"))
        original = message.message_id
        outbox.resend(message, recipient=" ann@mail.example ", now=NOW)
        assert message.recipient == "ann@mail.example"
        assert message.message_id != original
        assert message.status is DeliveryStatus.SCHEDULED


def test_resend_refuses_what_did_not_fail_and_bad_addresses(app):
    with app.app_context():
        with pytest.raises(outbox.NotFailed, match="scheduled"):
            outbox.resend(queue(), now=NOW)
        message = _failed(queue())
        with pytest.raises(outbox.HeaderError):
            outbox.resend(message, recipient="a@mail.example\nBcc: b@mail.example", now=NOW)
        assert message.status is DeliveryStatus.FAILED


def test_status_counts_and_the_oldest_due_age(app):
    with app.app_context():
        assert outbox.status_counts() == dict.fromkeys(DeliveryStatus, 0)
        assert outbox.oldest_due_age(NOW) is None
        queue(send_after=NOW - timedelta(minutes=30))
        queue(send_after=NOW - timedelta(minutes=5))
        queue(send_after=NOW + timedelta(hours=1))  # not due yet
        outbox.cancel(queue(send_after=NOW - timedelta(days=2)), reason="x", now=NOW)
        counts = outbox.status_counts()
        assert counts[DeliveryStatus.SCHEDULED] == 3
        assert counts[DeliveryStatus.CANCELLED] == 1
        assert sum(counts.values()) == 4
        assert outbox.oldest_due_age(NOW) == timedelta(minutes=30)


def test_delivery_for_applications_takes_the_latest_in_one_query(app):
    with app.app_context():
        first, second, silent = make_application(), make_application(), make_application()
        queue(application=first, purpose="closure")
        latest = queue(application=first, purpose="closure")
        interim = queue(application=first, purpose="interim")
        only = queue(application=second, purpose="closure")
        db.session.flush()
        statements = []
        listener = lambda *args: statements.append(1)  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            found = outbox.delivery_for_applications(
                [first.id, second.id, silent.id], purposes=["closure"]
            )
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        assert found == {first.id: latest, second.id: only}
        assert len(statements) == 1
        assert outbox.delivery_for_applications([first.id])[first.id] is interim
        assert outbox.delivery_for_applications([]) == {}


def test_backend_defaults_to_files_and_to_smtp_in_production(make_app):
    assert mail_backend(make_app().config) == "file"
    assert mail_backend(make_app(ENV="production").config) == "smtp"
    assert mail_backend(make_app(ENV="production", MAIL_BACKEND="file").config) == "file"
    with pytest.raises(ValueError, match="MAIL_BACKEND"):
        mail_backend({"MAIL_BACKEND": "pigeon"})


def test_outbox_run_once_writes_eml_files_in_development(app, runner, tmp_path):
    with app.app_context():
        queue(
            recipient="ann@mail.example",
            recipient_name="Ann Émilie Ward",
            subject="Your application — next steps",
            send_after=NOW,
        )
        queue(send_after=NOW + timedelta(days=365 * 20))  # not due
        db.session.commit()
    result = runner.invoke(args=["outbox", "run", "--once"])
    assert result.exit_code == 0, result.output
    assert "file backend" in result.output
    assert "Outbox worker done: 1 claimed: 1 delivered." in result.output
    files = list((tmp_path / "instance" / "mail").glob("*.eml"))
    assert len(files) == 1
    email = message_from_bytes(files[0].read_bytes(), policy=policy.default)
    assert email["To"] == "Ann Émilie Ward <ann@mail.example>"
    assert email["From"] == "Northwind Recruiting <no-reply@recruitcare.example>"
    assert email["Reply-To"] == "recruiter@company.example"
    assert email["Subject"] == "Your application — next steps"
    assert email.get_content_type() == "multipart/alternative"
    parts = [part.get_content_type() for part in email.iter_parts()]
    assert parts == ["text/plain", "text/html"]
    assert "Thank you for your time." in email.get_body(("plain",)).get_content()
    with app.app_context():
        delivered = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).first()
        assert email["Message-ID"] == delivered.message_id
        assert delivered.status is DeliveryStatus.DELIVERED
        assert (delivered.delivered_at is not None, delivered.smtp_code) == (True, 250)


def test_outbox_status_prints_counts_and_the_oldest_due(app, runner):
    with app.app_context():
        queue(send_after=NOW)
        queue(send_after=NOW)
        _failed(queue())
        db.session.commit()
    result = runner.invoke(args=["outbox", "status"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "Scheduled          2" in lines
    assert "Failed             1" in lines
    assert "Delivered          0" in lines
    assert lines[-1].startswith("Oldest due message has waited ")
    assert "days" in lines[-1]  # NOW is a fixed date in the past


def test_outbox_status_when_nothing_is_due(runner):
    result = runner.invoke(args=["outbox", "status"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1] == "Nothing is due."


def test_outbox_resend_schedules_a_failed_message_again(app, runner):
    with app.app_context():
        message = _failed(queue(recipient="ann@mial.example"))
        db.session.commit()
        message_id, original = message.id, message.message_id
    result = runner.invoke(args=["outbox", "resend", str(message_id)])
    assert result.exit_code == 0, result.output
    assert result.output == f"Message {message_id} to ann@mial.example is scheduled again.\n"
    with app.app_context():
        message = db.session.get(OutboxMessage, message_id)
        assert (message.status, message.message_id) == (DeliveryStatus.SCHEDULED, original)
        _failed(message)
        db.session.commit()
    result = runner.invoke(args=["outbox", "resend", str(message_id), "--to", "ann@mail.example"])
    assert result.exit_code == 0, result.output
    assert result.output == (
        f"Message {message_id} to ann@mail.example is scheduled again with a new Message-ID.\n"
    )
    with app.app_context():
        message = db.session.get(OutboxMessage, message_id)
        assert message.recipient == "ann@mail.example" and message.message_id != original
        assert message.status is DeliveryStatus.SCHEDULED


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (["999"], "Error: there is no message 999."),
        (["{pending}"], "Error: message {pending} is scheduled, not failed."),
        (["{failed}", "--to", "a@mail.example\nBcc: b@mail.example"], "Error: recipient contains"),
        (["{failed}", "--to", "not an address"], "Error: recipient 'not an address' is not an"),
    ],
)
def test_outbox_resend_refuses_in_one_line(app, runner, args, error):
    with app.app_context():
        ids = {"pending": queue().id, "failed": _failed(queue()).id}
        db.session.commit()
    result = runner.invoke(args=["outbox", "resend", *(a.format(**ids) for a in args)])
    assert result.exit_code == 1
    assert len(result.output.splitlines()) == 1
    assert result.output.startswith(error.format(**ids))
    with app.app_context():
        assert db.session.get(OutboxMessage, ids["failed"]).status is DeliveryStatus.FAILED


def test_log_lines_name_the_message_not_its_content(app, caplog):
    caplog.set_level(logging.INFO, logger="recruitcare.outbox")
    with app.app_context():
        message = queue(
            recipient="secret.person@mail.example",
            text_body="Your link: https://portal.example/t/TOKEN-abc123",
            html_body='<a href="https://portal.example/t/TOKEN-abc123">link</a>',
        )
        db.session.commit()
        Worker.from_app(app).run(once=True)
        assert f"outbox message {message.id} delivered smtp=250 attempt=1" in caplog.text
    assert "TOKEN-abc123" not in caplog.text
    assert "secret.person" not in caplog.text
    assert "Thank you" not in caplog.text


def test_a_batch_runs_on_one_connection_and_commits_each_message(app, tmp_path):
    """One connection for the whole batch, however many messages; each result committed
    before the next message is sent."""
    with app.app_context():
        ids = [queue().id for _ in range(5)]
        db.session.commit()
        checkouts, commits = [], []
        seen_delivered = []

        class Watching(FileMailer):
            def send(self, *args, **kwargs):
                # What another connection sees: every earlier message is recorded already.
                with db.engine.connect() as other:
                    seen_delivered.append(
                        other.scalar(
                            select(func.count()).where(
                                OutboxMessage.status == DeliveryStatus.DELIVERED
                            )
                        )
                    )
                return super().send(*args, **kwargs)

        worker = Worker.from_app(app)
        worker.mailer_factory = lambda: Watching(tmp_path / "mail")
        claimed = claim_due(worker=worker.name, now=NOW, limit=10, lease=timedelta(minutes=10))
        assert claimed == ids
        listeners = {
            "checkout": lambda *_: checkouts.append(1),
            "commit": lambda *_: commits.append(1),
        }
        for name, listener in listeners.items():
            event.listen(db.engine, name, listener)
        try:
            report = worker.deliver_claimed(claimed, now=NOW)
        finally:
            for name, listener in listeners.items():
                event.remove(db.engine, name, listener)
        assert report.outcomes == {"delivered": 5}
        assert seen_delivered == [0, 1, 2, 3, 4]
        assert len(checkouts) - len(seen_delivered) == 1  # the batch's own connection
        assert len(commits) >= 5
        assert statuses() == [DeliveryStatus.DELIVERED] * 5


def test_a_caller_in_a_transaction_keeps_its_session(app, tmp_path):
    with app.app_context():
        ids = [queue().id for _ in range(2)]
        db.session.commit()
        worker = Worker.from_app(app)
        worker.mailer_factory = lambda: FileMailer(tmp_path / "mail")
        claimed = claim_due(worker=worker.name, now=NOW, limit=10, lease=timedelta(minutes=10))
        session = db.session()
        db.session.scalar(select(OutboxMessage.id))  # a transaction is open
        assert worker.deliver_claimed(claimed, now=NOW).outcomes == {"delivered": 2}
        assert db.session() is session
        assert claimed == ids


class StoppingMailer(FileMailer):
    """Asks the worker to stop while the first message is on its way."""

    worker: Worker

    def send(self, *args, **kwargs):
        self.worker.request_stop()
        return super().send(*args, **kwargs)


def test_a_stop_finishes_the_message_in_hand_and_hands_back_the_rest(app, tmp_path):
    with app.app_context():
        messages = [queue() for _ in range(5)]
        messages[1].attempts = 2  # a retry keeps its place as a retry
        db.session.commit()
        mailer = StoppingMailer(tmp_path / "mail")
        worker = Worker.from_app(app)
        worker.mailer_factory = lambda: mailer
        mailer.worker = worker
        report = worker.run(once=True)
        assert report.outcomes == {"delivered": 1, "released": 4}
        db.session.expire_all()
        assert (
            statuses()
            == [DeliveryStatus.DELIVERED, DeliveryStatus.RETRYING] + [DeliveryStatus.SCHEDULED] * 3
        )
        assert (
            db.session.scalar(
                select(OutboxMessage.claimed_by).where(OutboxMessage.claimed_by.is_not(None))
            )
            is None
        )
        assert len(list((tmp_path / "mail").glob("*.eml"))) == 1


def test_a_stale_claim_is_taken_over_and_flagged(app):
    """A worker that died holding messages: after the lease another worker resends them."""
    with app.app_context():
        message = queue()
        db.session.commit()
        assert claim_due(worker="dead", now=NOW, limit=10, lease=timedelta(minutes=10)) == [
            message.id
        ]
        lease = timedelta(minutes=10)
        assert claim_due(worker="b", now=NOW + timedelta(minutes=9), limit=10, lease=lease) == []
        later = NOW + timedelta(minutes=10)
        assert claim_due(worker="b", now=later, limit=10, lease=lease) == [message.id]
        db.session.expire_all()
        taken = db.session.get(OutboxMessage, message.id)
        assert (taken.claimed_by, taken.claimed_at) == ("b", later)
        assert taken.data_sent_unconfirmed  # the dead worker may have sent it


def test_a_claim_walks_the_pending_index_in_order(app):
    """The claim reads the batch it takes off the index of pending messages, in claiming
    order, instead of sorting every due message (a queue of 10,000 took 35 ms a claim).
    On PostgreSQL it does so even before the table has statistics, as right after a bulk
    enqueue, when the planner would otherwise sort these 6,000 pending rows."""
    rows = [
        {
            "purpose": "closure",
            "idempotency_key": f"walk:{i}",
            "recipient": f"person{i}@mail.example",
            "recipient_name": "",
            "sender_name": "",
            "reply_to": "",
            "subject": "About your application",
            "text_body": "Thank you for your time. " * 20,
            "html_body": "<p>Thank you for your time.</p>" * 20,
            "message_id": f"<walk.{i}@mail.example>",
            "status": DeliveryStatus.DELIVERED if i % 3 == 0 else DeliveryStatus.SCHEDULED,
            "send_after": NOW,
            "next_attempt_at": NOW - timedelta(seconds=i % 1000),
            "attempts": 0,
            "data_sent_unconfirmed": False,
            "last_error": "",
            "cancel_reason": "",
            "created_at": NOW,
        }
        for i in range(9000)
    ]
    with app.app_context():
        insert_rows(OutboxMessage.__table__, rows)
        postgresql = db.engine.dialect.name == "postgresql"
        if not postgresql:
            db.session.execute(text("ANALYZE"))
        db.session.commit()
        oldest = list(
            db.session.scalars(
                select(OutboxMessage.id)
                .where(OutboxMessage.status == DeliveryStatus.SCHEDULED)
                .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
                .limit(10)
            )
        )
        db.session.commit()
        seen = []
        record = lambda *args: seen.append(args[2:4])  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", record)
        try:
            claimed = claim_due(worker="w", now=NOW, limit=10, lease=timedelta(minutes=10))
        finally:
            event.remove(db.engine, "before_cursor_execute", record)
        assert claimed == oldest
        sql, arguments = worker_module._CLAIM.sent(
            db.engine.dialect,
            worker="w",
            now=NOW,
            due_by=NOW,
            until=NOW,
            stale_before=NOW - timedelta(minutes=10),
            limit=10,
        )
        cursor = db.session.connection().connection.cursor()
        try:
            for statement, parameters in seen:  # what the claim set up beside its UPDATE
                cursor.execute(statement, parameters)
            cursor.execute(("EXPLAIN " if postgresql else "EXPLAIN QUERY PLAN ") + sql, arguments)
            plan = "\n".join(str(row[0] if postgresql else row[3]) for row in cursor.fetchall())
        finally:
            cursor.close()
            db.session.rollback()
        assert "ix_outbox_messages_pending" in plan
        assert "Sort" not in plan and "B-TREE" not in plan


class RecordingMailer(FileMailer):
    """Notes, at each send, the oldest claim among the messages still waiting in the batch."""

    def __init__(self, directory):
        super().__init__(directory)
        self.oldest_claims = []

    def send(self, *args, **kwargs):
        self.oldest_claims.append(
            db.session.scalar(
                select(func.min(OutboxMessage.claimed_at)).where(
                    OutboxMessage.status == DeliveryStatus.SENDING
                )
            )
        )
        return super().send(*args, **kwargs)


def test_a_long_batch_renews_its_claim(app, tmp_path):
    """Half-way through the lease, the messages still waiting are claimed afresh."""
    with app.app_context():
        for _ in range(4):
            queue()
        db.session.commit()
        ticks = iter(NOW + timedelta(minutes=2 * n) for n in range(100))
        mailer = RecordingMailer(tmp_path / "mail")
        worker = Worker.from_app(app, clock=lambda: next(ticks))
        worker.mailer_factory = lambda: mailer
        assert worker.run_batch().outcomes == {"delivered": 4}
        first, *later = mailer.oldest_claims
        assert first == NOW
        assert later[-1] - NOW > timedelta(minutes=5)  # renewed, never older than the lease


def test_a_run_once_does_not_chase_retries_that_fall_due_during_it(make_app, tmp_path):
    app = make_app(OUTBOX_RETRY_BASE_SECONDS=0)  # a failed message is due again at once
    with app.app_context():
        queue(recipient="ann@mail.example")
        db.session.commit()

        class Refusing(FileMailer):
            def send(self, *args, **kwargs):
                return SendResult(451, "try again later")

        worker = Worker.from_app(app)
        worker.mailer_factory = lambda: Refusing(tmp_path / "mail")
        assert worker.run(once=True).outcomes == {"retrying": 1}
        [row] = db.session.scalars(select(OutboxMessage)).all()
        assert (row.status, row.attempts) == (DeliveryStatus.RETRYING, 1)


def test_in_batch_finds_exactly_the_rows_given_on_either_database(app):
    with app.app_context():
        keys = [queue(idempotency_key=f"batch:{i}").idempotency_key for i in range(5)]
        db.session.flush()
        wanted = [keys[0], keys[3], "batch:missing"]
        found = db.session.scalars(
            select(OutboxMessage.idempotency_key).where(
                in_batch(OutboxMessage.idempotency_key, wanted)
            )
        ).all()
        assert sorted(found) == [keys[0], keys[3]]
        ids = db.session.scalars(select(OutboxMessage.id)).all()
        found_ids = db.session.scalars(
            select(OutboxMessage.id).where(in_batch(OutboxMessage.id, ids[:2]))
        ).all()
        assert sorted(found_ids) == sorted(ids[:2])
        assert (
            db.session.scalars(select(OutboxMessage.id).where(in_batch(OutboxMessage.id, []))).all()
            == []
        )
