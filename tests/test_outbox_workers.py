"""Worker processes: ``flask outbox run`` in subprocesses, stopped by signals, run side by side
(PostgreSQL), and killed mid-run then replaced (PostgreSQL)."""

import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import insert, select

from recruitcare import ROOT
from recruitcare.domain.enums import DeliveryStatus
from recruitcare.extensions import db
from recruitcare.models import OutboxMessage
from recruitcare.outbox import services as outbox
from tests.conftest import TEST_CONFIG
from tests.factories import NOW
from tests.smtp_server import SmtpServer
from tests.test_outbox_services import queue

MESSAGES = 1_000


def bulk_queue(count: int) -> list[str]:
    """Commit ``count`` due messages at once (the subprocesses only see committed rows)."""
    message_ids = [outbox.new_message_id() for _ in range(count)]
    db.session.execute(
        insert(OutboxMessage),
        [
            {
                "purpose": "bulk",
                "idempotency_key": f"bulk:{i}",
                "recipient": f"person{i}@mail.example",
                "recipient_name": f"Person {i}",
                "sender_name": "",
                "reply_to": "",
                "subject": f"Message {i}",
                "text_body": f"Message {i}.",
                "html_body": f"<p>Message {i}.</p>",
                "message_id": message_id,
                "status": DeliveryStatus.SCHEDULED,
                "send_after": NOW,
                "next_attempt_at": NOW,
                "attempts": 0,
                "data_sent_unconfirmed": False,
                "last_error": "",
                "cancel_reason": "",
                "created_at": NOW,
            }
            for i, message_id in enumerate(message_ids)
        ],
    )
    db.session.commit()
    return message_ids


def start_worker(app, log: Path, *args: str, server: SmtpServer | None = None, **env):
    environment = dict(
        os.environ,
        RECRUITCARE_SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
        RECRUITCARE_SECRET_KEY=TEST_CONFIG["SECRET_KEY"],
        RECRUITCARE_MAIL_TIMEOUT="5",
    )
    if server is not None:
        environment.update(
            RECRUITCARE_MAIL_BACKEND="smtp",
            RECRUITCARE_MAIL_SERVER=server.host,
            RECRUITCARE_MAIL_PORT=str(server.port),
        )
    environment.update(env)
    with log.open("w") as errors:
        return subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "recruitcare", "outbox", "run", *args],
            cwd=ROOT,
            env=environment,
            stdout=subprocess.PIPE,
            stderr=errors,
            text=True,
        )


def finish(process: subprocess.Popen, log: Path, timeout: float = 120) -> str:
    output, _ = process.communicate(timeout=timeout)
    assert process.returncode == 0, output + log.read_text()
    return output


def claimed(output: str) -> int:
    return int(re.search(r"Outbox worker \w+: (\d+) claimed", output).group(1))


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_stops_a_waiting_worker_cleanly(app, tmp_path, signum):
    with app.app_context():
        for _ in range(3):
            queue()
        db.session.commit()
    mail = tmp_path / "outgoing"
    process = start_worker(
        app, tmp_path / "worker.log", "--poll", "0.2", RECRUITCARE_MAIL_FILE_DIR=str(mail)
    )
    try:
        assert process.stdout.readline().startswith("Outbox worker ")  # started
        deadline = time.monotonic() + 30
        while len(list(mail.glob("*.eml"))) < 3 and time.monotonic() < deadline:
            time.sleep(0.05)
        process.send_signal(signum)
        output = finish(process, tmp_path / "worker.log", timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert "Outbox worker stopped: 3 claimed: 3 delivered." in output
    assert len(list(mail.glob("*.eml"))) == 3
    log = (tmp_path / "worker.log").read_text()
    assert log.count("delivered smtp=250") == 3
    for private in ("About your application", "Thank you", "@mail.example"):
        assert private not in log  # no subject, body or address in the log


@pytest.fixture
def server():
    with SmtpServer() as server:
        yield server


@pytest.mark.postgres
@pytest.mark.smtp
def test_two_workers_deliver_a_thousand_messages_exactly_once(app, server, tmp_path):
    with app.app_context():
        message_ids = bulk_queue(MESSAGES)
    server.delay_seconds = 0.002  # long enough for both workers to get going
    logs = [tmp_path / "a.log", tmp_path / "b.log"]
    workers = [start_worker(app, log, "--once", server=server) for log in logs]
    outputs = [finish(worker, log) for worker, log in zip(workers, logs, strict=True)]
    received = Counter(server.message_ids())
    assert len(received) == MESSAGES
    assert set(received) == set(message_ids)
    assert max(received.values()) == 1  # exactly once
    assert [claimed(output) > 0 for output in outputs] == [True, True]  # both took a share
    assert sum(claimed(output) for output in outputs) == MESSAGES
    with app.app_context():
        states = Counter(db.session.execute(select(OutboxMessage.status, OutboxMessage.attempts)))
        assert states == {(DeliveryStatus.DELIVERED, 1): MESSAGES}


@pytest.mark.postgres
@pytest.mark.smtp
def test_a_killed_worker_is_replaced_and_only_the_message_in_flight_repeats(app, server, tmp_path):
    with app.app_context():
        message_ids = bulk_queue(MESSAGES)
    server.delay_seconds = 0.001
    first = start_worker(app, tmp_path / "a.log", "--once", server=server)
    try:
        assert server.wait_for(MESSAGES // 3, timeout=60), (tmp_path / "a.log").read_text()
    finally:
        first.send_signal(signal.SIGKILL)
        first.communicate()
    assert first.returncode == -signal.SIGKILL
    received_at_kill = server.count()
    assert received_at_kill < MESSAGES, "the first worker finished before it could be killed"
    with app.app_context():
        in_flight = set(
            db.session.scalars(
                select(OutboxMessage.message_id).where(
                    OutboxMessage.status == DeliveryStatus.SENDING
                )
            )
        )
        db.session.rollback()
    assert 0 < len(in_flight) <= 50  # the batch the first worker held
    time.sleep(1.2)  # let the claim's one-second lease run out
    second = start_worker(
        app, tmp_path / "b.log", "--once", server=server, RECRUITCARE_OUTBOX_LEASE_SECONDS="1"
    )
    finish(second, tmp_path / "b.log")
    received = Counter(server.message_ids())
    assert set(received) == set(message_ids)  # nothing lost
    repeated = {message_id for message_id, times in received.items() if times > 1}
    assert len(repeated) <= 1  # one connection: at most one message was on the wire
    assert repeated <= in_flight
    assert all(received[message_id] == 2 for message_id in repeated)
    with app.app_context():
        rows = db.session.execute(
            select(
                OutboxMessage.message_id, OutboxMessage.status, OutboxMessage.data_sent_unconfirmed
            )
        ).all()
        assert {status for _, status, _ in rows} == {DeliveryStatus.DELIVERED}
        flagged = {message_id for message_id, _, unconfirmed in rows if unconfirmed}
        assert flagged == in_flight  # taken over from the dead worker: may have gone out
        assert repeated <= flagged
