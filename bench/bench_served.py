"""Requests per second through gunicorn, as ratios against a hello-world Flask app served by
the same gunicorn config in the same run:

- a candidate's portal page (/c/<token>, with approved feedback);
- a recruiter's requisition board with 20,000 applications.

The database is RECRUITCARE_BENCH_DATABASE_URI or RECRUITCARE_TEST_DATABASE_URI (PostgreSQL
in `make bench`, which starts one) or a temporary SQLite file. The load comes from keep-alive
connections in threads of this process, so the absolute figures depend on the machine; the
ratios are what to compare.

    python bench/bench_served.py
"""

import http.client
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SECONDS = float(os.environ.get("BENCH_SECONDS", 8))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", 4))
WORKERS = os.environ.get("BENCH_WORKERS", "2")
BOARD_SIZE = 20_000
SECRET = "bench-secret-key-bench-secret-key-bench-secret"
PASSWORD = "correct horse battery staple"

HELLO = """
from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello():
    return "Hello, World!"
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _seed(database: str, instance: Path) -> dict:
    """One candidate with approved feedback and a link; a board of 20,000 applications."""
    from recruitcare import create_app
    from recruitcare.auth.passwords import hash_password
    from recruitcare.domain.enums import Decision, Recommendation, Role
    from recruitcare.domain.feedback import FeedbackDraft, Item
    from recruitcare.extensions import db
    from recruitcare.feedback import services as feedback
    from recruitcare.models import User
    from recruitcare.pipeline import services as pipeline
    from recruitcare.policies import promise_policy
    from recruitcare.portal import links
    from tests.factories import NOW, bulk_applications, make_application, make_candidate

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database,
            "SECRET_KEY": SECRET,
            "PASSWORD_HASH_TIME_COST": 1,
            "PASSWORD_HASH_MEMORY_KIB": 64,
            "PASSWORD_HASH_PARALLELISM": 1,
        },
        instance_path=str(instance),
    )
    with app.app_context():
        db.drop_all()
        db.create_all()
        policy = promise_policy(app.config)
        pipeline.seed_default_reasons()
        owner = User(
            email="bench@example.com",
            name="Bench Recruiter",
            role=Role.RECRUITER,
            password_hash=hash_password(PASSWORD),
            created_at=NOW,
        )
        db.session.add(owner)
        db.session.flush()
        requisition = pipeline.create_requisition(
            title="Platform Engineer",
            owner=owner,
            actor=owner,
            now=NOW,
            members=[owner],
            criteria=[("System design", "Designs systems."), ("Delivery", "Ships.")],
        )
        application = make_application(requisition, make_candidate(name="Ada Bench"))
        pipeline.record_outcome(
            application, decision=Decision.ADVANCE, actor=owner, now=NOW, policy=policy
        )
        interview = pipeline.schedule_interview(
            application,
            stage=application.stage,
            when=NOW,
            interviewers=[owner],
            actor=owner,
            now=NOW,
        )
        criteria = requisition.criteria
        feedback.save_scorecard(
            interview,
            owner,
            feedback.ScorecardInput(
                ratings={c.id: 3 for c in criteria},
                evidence={c.id: "Walked through a concrete example." for c in criteria},
                strengths=[Item(criteria[0].id, "Clear design walk-through.")],
                growth=[Item(criteria[1].id, "Show measured results.")],
                next_step="Practise a two-minute project summary.",
                recommendation=Recommendation.NO,
                private_notes="",
            ),
            submit=True,
            now=NOW,
        )
        pipeline.record_outcome(
            application,
            decision=Decision.REJECT,
            actor=owner,
            now=NOW,
            policy=policy,
            reason=_reason(db),
        )
        feedback.approve_feedback(
            application,
            FeedbackDraft(
                strengths=[
                    Item(criteria[0].id, "Clear design walk-through."),
                    Item(criteria[1].id, "Explained trade-offs well."),
                ],
                growth=[Item(criteria[1].id, "Show measured results.")],
                next_step="Practise a two-minute project summary.",
            ),
            actor=owner,
            now=NOW,
        )
        token = links.issue_link(application.id, now=NOW)
        board = pipeline.create_requisition(
            title="Support Specialist", owner=owner, actor=owner, now=NOW, members=[owner]
        )
        bulk_applications(board, BOARD_SIZE, stage="spread")
        db.session.commit()
        return {"token": token, "board": board.id}


def _reason(db):
    from sqlalchemy import select

    from recruitcare.models import Reason

    return db.session.scalar(select(Reason).where(Reason.code == "criteria_mismatch"))


def _serve(app_spec: str, env: dict, cwd: Path) -> tuple[subprocess.Popen, int]:
    port = _free_port()
    process = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "-c",
            str(ROOT / "deploy" / "gunicorn.conf.py"),
            app_spec,
        ],
        env={**env, "RECRUITCARE_BIND": f"127.0.0.1:{port}", "WEB_CONCURRENCY": WORKERS},
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return process, port
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"gunicorn did not start for {app_spec}")


def _stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()


def _load(port: int, path: str, headers: dict | None = None) -> float:
    """Requests per second over CONNECTIONS keep-alive connections for SECONDS."""
    counts = [0] * CONNECTIONS
    errors = []
    stop = 0.0

    def run(slot: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        try:
            while time.perf_counter() < stop:
                connection.request("GET", path, headers=headers or {})
                response = connection.getresponse()
                response.read()
                if response.status != 200:
                    errors.append(response.status)
                    return
                counts[slot] += 1
        finally:
            connection.close()

    # Warm up every worker before measuring.
    for _ in range(20):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn.request("GET", path, headers=headers or {})
        conn.getresponse().read()
        conn.close()
    started = time.perf_counter()
    stop = started + SECONDS
    threads = [threading.Thread(target=run, args=(i,)) for i in range(CONNECTIONS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise RuntimeError(f"{path} answered {errors[0]}")
    return sum(counts) / (time.perf_counter() - started)


def _session_cookie(port: int) -> str:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    body = f"email=bench%40example.com&password={PASSWORD.replace(' ', '+')}"
    connection.request(
        "POST",
        "/auth/login",
        body=body,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    response = connection.getresponse()
    response.read()
    cookies = response.headers.get_all("Set-Cookie") or []
    connection.close()
    session = next(c.split(";")[0] for c in cookies if c.startswith("session="))
    return session


def main() -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        database = (
            os.environ.get("RECRUITCARE_BENCH_DATABASE_URI")
            or os.environ.get("RECRUITCARE_TEST_DATABASE_URI")
            or f"sqlite:///{tmp_path / 'bench.sqlite'}"
        )
        seeded = _seed(database, tmp_path / "instance")
        (tmp_path / "hello_app.py").write_text(HELLO)
        env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "RECRUITCARE_SQLALCHEMY_DATABASE_URI": database,
            "RECRUITCARE_SECRET_KEY": SECRET,
            "RECRUITCARE_RATELIMIT_ENABLED": "false",
            "RECRUITCARE_WTF_CSRF_ENABLED": "false",
            "RECRUITCARE_LOG_REQUESTS": "false",
        }
        hello, hello_port = _serve("hello_app:app", env, tmp_path)
        try:
            hello_rps = _load(hello_port, "/")
        finally:
            _stop(hello)
        app, port = _serve("recruitcare:create_app()", env, tmp_path)
        try:
            portal_rps = _load(port, f"/c/{seeded['token']}")
            cookie = _session_cookie(port)
            board_rps = _load(port, f"/requisitions/{seeded['board']}", {"Cookie": cookie})
        finally:
            _stop(app)
    return {
        "database": re.sub(r"//[^@/]*@", "//", database.split("?")[0]).split(":")[0],
        "gunicorn_workers": int(WORKERS),
        "connections": CONNECTIONS,
        "hello_world_rps": round(hello_rps, 1),
        "portal_page_rps": round(portal_rps, 1),
        "portal_to_hello_ratio": round(portal_rps / hello_rps, 3),
        "board_applications": BOARD_SIZE,
        "board_page_rps": round(board_rps, 1),
        "board_to_hello_ratio": round(board_rps / hello_rps, 3),
    }


if __name__ == "__main__":
    print(json.dumps(main(), indent=2))
