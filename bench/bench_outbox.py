"""Outbox worker throughput against a plain smtplib loop: same messages, same server, same run.

An aiosmtpd server runs in its own process, as a real mail server would. The baseline is what
sending without an outbox looks like: a loop that builds each message with the same
``build_message`` and hands it to smtplib over one connection. The worker claims, re-checks,
builds, sends and records each message in its own commit; the ratio worker/baseline is the
figure to watch (target 0.3 or more). A second ratio charges the worker against sending
already-built bytes, the transport alone.

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
from recruitcare.outbox.mailer import build_message  # noqa: E402
from recruitcare.outbox.worker import Worker  # noqa: E402

MESSAGES = 2_000
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


def _build(content: dict, sender: tuple[str, str]) -> bytes:
    return build_message(
        **{**content, "sender_name": content["sender_name"] or sender[0]},
        sender_address=sender[1],
        now=utcnow(),
    ).as_bytes()


def _plain_loop(port: int, contents: list[dict], sender, *, prebuilt: bool) -> float:
    """Seconds to send every message over one smtplib connection (building each, or not)."""
    payloads = [_build(content, sender) for content in contents] if prebuilt else None
    start = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as connection:
        for i, content in enumerate(contents):
            payload = payloads[i] if prebuilt else _build(content, sender)
            connection.sendmail(sender[1], [content["recipient"]], payload)
    return time.perf_counter() - start


def main(count: int = MESSAGES) -> dict:
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
                db.session.execute(delete(OutboxMessage))
                _queue(count)
                sender = ("Northwind Recruiting", "no-reply@recruitcare.example")
                contents = _contents()
                db.session.rollback()
                transport_seconds = _plain_loop(server.port, contents, sender, prebuilt=True)
                assert server.ask("count") == count
                server.ask("reset")
                plain_seconds = _plain_loop(server.port, contents, sender, prebuilt=False)
                assert server.ask("count") == count
                server.ask("reset")

                worker = Worker.from_app(app)
                start = time.perf_counter()
                report = worker.run(once=True)
                worker_seconds = time.perf_counter() - start
                assert server.ask("count") == count, "the worker did not deliver every message"
                delivered = outbox.status_counts()[DeliveryStatus.DELIVERED]
                assert delivered == count, report.summary()
                db.session.execute(delete(OutboxMessage))
                db.session.commit()
                database = db.engine.dialect.name
                db.session.remove()
                db.engine.dispose()
    finally:
        server.close()
    rate = {
        "plain": count / plain_seconds,
        "transport": count / transport_seconds,
        "worker": count / worker_seconds,
    }
    ratio = rate["worker"] / rate["plain"]
    return {
        "messages": count,
        "database": database,
        "batch_size": worker.settings.batch_size,
        "plain_loop_messages_per_second": round(rate["plain"]),
        "transport_only_messages_per_second": round(rate["transport"]),
        "worker_messages_per_second": round(rate["worker"]),
        "worker_ms_per_message": round(1000 * worker_seconds / count, 2),
        "ratio_worker_to_plain_loop": round(ratio, 3),
        "ratio_worker_to_transport_only": round(rate["worker"] / rate["transport"], 3),
        "target_ratio": TARGET_RATIO,
        "meets_target": ratio >= TARGET_RATIO,
    }


if __name__ == "__main__":
    print(json.dumps(main(int(sys.argv[1]) if len(sys.argv) > 1 else MESSAGES), indent=2))
