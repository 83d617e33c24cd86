"""Outbox worker throughput against plain smtplib loops: same messages, same server, same run.

An aiosmtpd server runs in its own process, as a real mail server would. The baseline is the
transport alone: a loop that hands already-built messages to smtplib over one connection. The
worker claims, re-checks, builds, sends and records each message in its own commit; the ratio
worker/transport is the figure to watch (target 0.3 or more). Two more loops build each message
as they go, with the worker's ``build_payload`` and with the email package (``build_message``),
to show what building costs.

Each way of sending runs ``ROUNDS`` times, interleaved, and the best time of each counts.
The database is SQLite in a temporary directory, or the URL in RECRUITCARE_BENCH_DATABASE_URI
(its outbox table is emptied before and after).

    python bench/bench_outbox.py [MESSAGES]
"""

import json
import os
import smtplib
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import delete, insert, select  # noqa: E402

from recruitcare import create_app  # noqa: E402
from recruitcare.clock import utcnow  # noqa: E402
from recruitcare.domain.enums import DeliveryStatus  # noqa: E402
from recruitcare.extensions import db  # noqa: E402
from recruitcare.models import OutboxMessage  # noqa: E402
from recruitcare.outbox import services as outbox  # noqa: E402
from recruitcare.outbox.mailer import build_message, build_payload  # noqa: E402
from recruitcare.outbox.worker import Worker  # noqa: E402

MESSAGES = 2_000
ROUNDS = 3
TARGET_RATIO = 0.3

TEXT = (
    "Dear {name},\n\n"
    "Thank you for the time you gave us for the Senior Data Engineer role. We have decided not "
    "to move forward with your application.\n\n"
    "What stood out: your walk-through of the ingestion pipeline was clear and well reasoned.\n"
    "What would have made the difference: more depth on streaming systems at scale.\n\n"
    "You are welcome to apply again; we keep no record against you.\n\n"
    "The Northwind hiring team\n"
)
HTML = "".join(f"<p>{paragraph}</p>" for paragraph in TEXT.split("\n\n"))

SERVER = """
import sys, threading
from aiosmtpd.controller import Controller

class Counting:
    received = 0
    async def handle_DATA(self, server, session, envelope):
        Counting.received += 1
        return "250 OK"

controller = Controller(Counting(), hostname="127.0.0.1", port=int(sys.argv[1]))
controller.start()
print("ready", flush=True)
for line in sys.stdin:
    if line.strip() == "count":
        print(Counting.received, flush=True)
    elif line.strip() == "reset":
        Counting.received = 0
        print("0", flush=True)
controller.stop()
"""


class ServerProcess:
    def __init__(self):
        from tests.smtp_server import free_port

        self.port = free_port()
        self.process = subprocess.Popen(
            [sys.executable, "-c", SERVER, str(self.port)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout.readline().strip() == "ready"

    def ask(self, command: str) -> int:
        self.process.stdin.write(command + "\n")
        self.process.stdin.flush()
        return int(self.process.stdout.readline())

    def close(self) -> None:
        self.process.stdin.close()
        self.process.wait(timeout=30)
        self.process.stdout.close()


def _queue(count: int) -> None:
    now = utcnow()
    db.session.execute(
        insert(OutboxMessage),
        [
            {
                "purpose": "closure",
                "idempotency_key": f"bench:{i}",
                "recipient": f"candidate{i}@mail.example",
                "recipient_name": f"Candidate Number{i}",
                "sender_name": "Northwind Recruiting",
                "reply_to": "recruiter@northwind.example",
                "subject": "Your application for Senior Data Engineer",
                "text_body": TEXT.format(name=f"Candidate Number{i}"),
                "html_body": HTML.format(name=f"Candidate Number{i}"),
                "message_id": outbox.new_message_id(),
                "status": DeliveryStatus.SCHEDULED,
                "send_after": now,
                "next_attempt_at": now,
                "attempts": 0,
                "data_sent_unconfirmed": False,
                "last_error": "",
                "cancel_reason": "",
                "created_at": now,
            }
            for i in range(count)
        ],
    )
    db.session.commit()


def _contents() -> list[dict]:
    columns = ("recipient", "recipient_name", "sender_name", "reply_to", "subject")
    columns += ("message_id", "text_body", "html_body")
    rows = db.session.execute(
        select(*(getattr(OutboxMessage, c) for c in columns)).order_by(OutboxMessage.id)
    )
    return [row._asdict() for row in rows]


def _build(content: dict, sender: tuple[str, str], builder=build_payload) -> bytes:
    values = {**content, "sender_name": content["sender_name"] or sender[0]}
    if builder is build_message:
        return build_message(**values, sender_address=sender[1], now=utcnow()).as_bytes()
    return builder(**values, sender_address=sender[1], now=utcnow())


def _plain_loop(port: int, contents: list[dict], sender, *, prebuilt: bool, builder=build_payload):
    """Seconds to send every message over one smtplib connection (building each, or not)."""
    payloads = [_build(content, sender) for content in contents] if prebuilt else None
    start = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as connection:
        for i, content in enumerate(contents):
            payload = payloads[i] if prebuilt else _build(content, sender, builder)
            connection.sendmail(sender[1], [content["recipient"]], payload)
    return time.perf_counter() - start


def _round(app, server: ServerProcess, count: int) -> dict[str, float]:
    """One round of each way of sending the same ``count`` messages; seconds for each."""
    db.session.execute(delete(OutboxMessage))
    _queue(count)
    sender = ("Northwind Recruiting", "no-reply@recruitcare.example")
    contents = _contents()
    db.session.rollback()
    seconds = {}
    for name, prebuilt, builder in (
        ("transport", True, build_payload),
        ("plain", False, build_payload),
        ("email_package", False, build_message),
    ):
        seconds[name] = _plain_loop(
            server.port, contents, sender, prebuilt=prebuilt, builder=builder
        )
        assert server.ask("count") == count
        server.ask("reset")
    worker = Worker.from_app(app)
    start = time.perf_counter()
    report = worker.run(once=True)
    seconds["worker"] = time.perf_counter() - start
    assert server.ask("count") == count, "the worker did not deliver every message"
    server.ask("reset")
    delivered = outbox.status_counts()[DeliveryStatus.DELIVERED]
    assert delivered == count, report.summary()
    db.session.execute(delete(OutboxMessage))
    db.session.commit()
    return seconds


def main(count: int = MESSAGES, rounds: int = ROUNDS) -> dict:
    server = ServerProcess()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            uri = (
                os.environ.get("RECRUITCARE_BENCH_DATABASE_URI") or f"sqlite:///{tmp}/bench.sqlite"
            )
            app = create_app(
                {
                    "SQLALCHEMY_DATABASE_URI": uri,
                    "SECRET_KEY": "bench-secret-key-bench-secret-key-bench",
                    "MAIL_BACKEND": "smtp",
                    "MAIL_SERVER": "127.0.0.1",
                    "MAIL_PORT": server.port,
                },
                instance_path=str(Path(tmp) / "instance"),
            )
            with app.app_context():
                db.create_all()
                measured = [_round(app, server, count) for _ in range(rounds)]
                database = db.engine.dialect.name
                batch_size = Worker.from_app(app).settings.batch_size
                db.session.remove()
                db.engine.dispose()
    finally:
        server.close()
    # Best of the rounds for each, as other processes on the machine only ever slow one down.
    rate = {name: count / min(r[name] for r in measured) for name in measured[0]}
    ratio = rate["worker"] / rate["transport"]
    return {
        "messages": count,
        "rounds": rounds,
        "database": database,
        "batch_size": batch_size,
        "transport_only_messages_per_second": round(rate["transport"]),
        "plain_loop_messages_per_second": round(rate["plain"]),
        "plain_loop_email_package_messages_per_second": round(rate["email_package"]),
        "worker_messages_per_second": round(rate["worker"]),
        "worker_ms_per_message": round(1000 / rate["worker"], 2),
        "ratio_worker_to_transport_only": round(ratio, 3),
        "ratio_worker_to_plain_loop": round(rate["worker"] / rate["plain"], 3),
        "ratio_worker_to_plain_loop_email_package": round(
            rate["worker"] / rate["email_package"], 3
        ),
        "target_ratio": TARGET_RATIO,
        "meets_target": ratio >= TARGET_RATIO,
    }


if __name__ == "__main__":
    print(json.dumps(main(int(sys.argv[1]) if len(sys.argv) > 1 else MESSAGES), indent=2))
