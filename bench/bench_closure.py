"""Render, check and enqueue 10,000 personalized closures in one transaction, same run.

Times the three steps of a bulk close-out separately: rendering (loading the applications and
everything their messages need, drafting each message from the template and rendering it), the
check (language checker, personal touch, near-duplicate flags) and enqueuing (approving into
the outbox and committing). The target is rendering and enqueuing 10,000 messages in under
2 seconds.

The close-out runs ``--rounds`` times (3) on the same applications, its rows removed in
between; the figures are the median round's, and ``rounds`` lists every round's total.

Two baselines, measured in the same run on the same rows after the close-outs are removed:
a bare bulk INSERT of the same outbox rows, and a bare bulk INSERT of everything approving
writes (the outbox rows, the closures and the approval's one audit event), which is the floor
for the enqueue step.

``steps`` splits both timed parts further (load, context, drafts, render; approve, commit), so
a change can be traced to the step it moved. ``enqueue_statements`` counts what SQLAlchemy
sends; on PostgreSQL the rows go in by COPY straight through the driver, which it does not
see. ``--database`` runs it against another database (an empty PostgreSQL one, say); it
creates the tables and drops them all at the end, so never point it at real data.

    python bench/bench_closure.py [COUNT] [--database URL] [--rounds N]
"""

import argparse
import json
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import delete, event, func, insert, select, text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from recruitcare import create_app  # noqa: E402
from recruitcare.clock import utcnow  # noqa: E402
from recruitcare.closure import services  # noqa: E402
from recruitcare.dbutil import bulk, commit_batch  # noqa: E402
from recruitcare.domain import messages as wording  # noqa: E402
from recruitcare.domain.enums import ClosureStatus, DeliveryStatus, Role  # noqa: E402
from recruitcare.domain.language import load_rules  # noqa: E402
from recruitcare.extensions import db  # noqa: E402
from recruitcare.models import (  # noqa: E402
    Application,
    AuditEvent,
    ClosureMessage,
    OutboxMessage,
    User,
)
from tests.factories import bulk_applications, make_requisition, make_user  # noqa: E402

COUNT = 10_000
ROUNDS = 3
TARGET_SECONDS = 2.0


def _baseline_rows(reviews, owner, now) -> tuple[list[dict], list[dict], list[dict]]:
    """The rows approving writes, built beforehand, for the bare INSERT baselines."""
    outbox, closures, audit = [], [], []
    for i, review in enumerate(reviews):
        application = review.closure.application
        outbox.append(
            {
                "application_id": application.id,
                "purpose": "baseline",
                "idempotency_key": f"baseline:{i}",
                "recipient": application.candidate.email,
                "recipient_name": application.candidate.name,
                "sender_name": owner.name,
                "reply_to": owner.email,
                "subject": review.subject,
                "text_body": review.text,
                "html_body": review.html,
                "message_id": f"<baseline.{i}@bench.example>",
                "status": DeliveryStatus.SCHEDULED,
                "send_after": now,
                "next_attempt_at": now,
                "attempts": 0,
                "data_sent_unconfirmed": False,
                "last_error": "",
                "cancel_reason": "",
                "created_at": now,
            }
        )
        closures.append(
            {
                "application_id": application.id,
                "template_key": review.closure.template_key,
                "subject": review.closure.subject,
                "body": review.closure.body,
                "status": ClosureStatus.SCHEDULED,
                "edited": False,
                "held_reason": "",
                "revision": 1,
                "findings": [f.to_dict() for f in review.findings],
                "override_reason": "",
                "approved_by_id": owner.id,
                "approved_at": now,
                "outbox_message_id": None,
                "created_at": now,
                "updated_at": now,
            }
        )
    audit.append(
        {
            "actor_id": owner.id,
            "action": "closure.approved",
            "object_type": "requisitions",
            "object_id": reviews[0].closure.application.requisition_id,
            "payload": {
                "closure_messages": list(range(len(reviews))),
                "outbox_messages": list(range(len(reviews))),
            },
            "created_at": now,
        }
    )
    return outbox, closures, audit


class _Steps:
    """``with step("name"):`` adds the block's wall time to ``steps[name]``."""

    def __init__(self, steps: dict[str, float]):
        self.steps = steps

    @contextmanager
    def __call__(self, name: str):
        start = time.perf_counter()
        try:
            yield
        finally:
            self.steps[name] = self.steps.get(name, 0.0) + time.perf_counter() - start


def _timed_insert(*batches: tuple[type, list[dict]]) -> float:
    start = time.perf_counter()
    for model, rows in batches:
        db.session.execute(insert(model.__table__), rows)
    db.session.commit()
    elapsed = time.perf_counter() - start
    _remove_close_out()
    return elapsed


def _close_out(ids: list[int], owner, now) -> dict:
    """One timed close-out of every application, committed; returns its times and reviews."""
    steps: dict[str, float] = {}
    step = _Steps(steps)
    start = time.perf_counter()
    with step("load"):
        applications = services.load_for_closure(ids)
    with step("context"):
        ctx = services.Context.build(applications)
    # As in services.review_all, which drafts and reviews a close-out's messages.
    with step("drafts"):
        drafts = bulk(list)(
            services.draft_for(a, ctx, now=now, fallback="position_filled") for a in applications
        )
    with step("render"):
        rendered = bulk(list)(
            wording.render_text(d.body, services.values_for(d.application, ctx)) for d in drafts
        )
    render_seconds = time.perf_counter() - start

    start = time.perf_counter()
    reviews = [services.review(d.application, d, ctx) for d in drafts]
    services.flag_duplicates(reviews)
    check_seconds = time.perf_counter() - start

    statements = []
    counting = lambda *_args: statements.append(1)  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", counting)
    start = time.perf_counter()
    with step("approve"):
        services.approve([(r, "") for r in reviews], actor=owner, now=now)
    with step("commit"):
        commit_batch()  # as the close-out page does
    enqueue_seconds = time.perf_counter() - start
    event.remove(db.engine, "before_cursor_execute", counting)
    return {
        "render": render_seconds,
        "check": check_seconds,
        "enqueue": enqueue_seconds,
        "total": render_seconds + enqueue_seconds,
        "statements": len(statements),
        "steps": steps,
        "rendered": len(rendered),
        "reviews": reviews,
    }


def _remove_close_out() -> None:
    """Remove what a close-out wrote, so the next one starts from the same rows.

    PostgreSQL truncates: deleted rows would stay in the tables and their indexes until a
    vacuum, and each round would check its keys against the dead ones of the rounds before.
    (CASCADE empties the tables that point at these, empty themselves in this database.)
    """
    models = (AuditEvent, ClosureMessage, OutboxMessage)
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text(f"TRUNCATE {', '.join(m.__tablename__ for m in models)} CASCADE"))
    else:
        for model in models:
            db.session.execute(delete(model.__table__))
    db.session.commit()
    db.session.expunge_all()


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("count", nargs="?", type=int, default=COUNT, help="messages (10,000)")
    parser.add_argument("--database", help="a throwaway database URL (a new SQLite file)")
    parser.add_argument("--rounds", type=int, default=ROUNDS, help="close-outs timed (3)")
    args = parser.parse_args(argv)
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")
    count = args.count

    workdir = Path(tempfile.mkdtemp())
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": args.database or f"sqlite:///{workdir / 'closure.sqlite'}",
            "SECRET_KEY": "bench-secret-key-bench-secret-key-bench",
            "PASSWORD_HASH_TIME_COST": 1,
            "PASSWORD_HASH_MEMORY_KIB": 64,
            "PASSWORD_HASH_PARALLELISM": 1,
        },
        instance_path=str(workdir / "instance"),
    )
    with app.test_request_context():
        db.create_all()
        owner = make_user(Role.RECRUITER, email="bench@example.com")
        requisition = make_requisition(owner, title="Warehouse Lead")
        bulk_applications(requisition, count)
        services.seed_default_templates(now=utcnow())
        db.session.commit()
        owner_id = owner.id
        ids = db.session.scalars(select(Application.id)).all()
        load_rules()  # compiled once per process, outside the timed steps
        now = utcnow()

        measured = []
        for _ in range(args.rounds):
            if measured:
                del measured[-1]["reviews"]  # only the last round's are used below
                _remove_close_out()
            measured.append(_close_out(ids, db.session.get(User, owner_id), now))
        last = measured[-1]
        queued = db.session.scalar(
            select(func.count()).where(OutboxMessage.status == DeliveryStatus.SCHEDULED)
        )
        audited = db.session.scalar(
            select(func.count()).where(AuditEvent.action == "closure.approved")
        )

        # Baselines: the same rows again, written with bare INSERTs in one transaction.
        baseline_rows = _baseline_rows(last["reviews"], db.session.get(User, owner_id), now)
        _remove_close_out()
        outbox_rows, closure_rows, audit_rows = baseline_rows
        insert_seconds = _timed_insert((OutboxMessage, outbox_rows))
        floor_seconds = _timed_insert(
            (OutboxMessage, outbox_rows), (ClosureMessage, closure_rows), (AuditEvent, audit_rows)
        )
        dialect = db.engine.dialect.name
        if args.database:
            db.session.rollback()
            db.drop_all()

    # The median round: one slow moment of the machine moves it less than a single run.
    typical = sorted(measured, key=lambda m: m["total"])[len(measured) // 2]
    total, enqueue_seconds = typical["total"], typical["enqueue"]
    return {
        "messages": count,
        "queued": queued,
        "audit_events": audited,
        "rendered": last["rendered"],
        "rounds": [round(m["total"], 2) for m in measured],
        "render_seconds": round(typical["render"], 2),
        "check_seconds": round(typical["check"], 2),
        "enqueue_seconds": round(enqueue_seconds, 2),
        "enqueue_statements": typical["statements"],
        "render_and_enqueue_seconds": round(total, 2),
        "target_seconds": TARGET_SECONDS,
        "meets_target": total < TARGET_SECONDS,
        "baseline_insert_seconds": round(insert_seconds, 2),
        "baseline_insert_all_rows_seconds": round(floor_seconds, 2),
        "ratio_enqueue_to_insert": round(enqueue_seconds / insert_seconds, 1),
        "ratio_enqueue_to_insert_all_rows": round(enqueue_seconds / floor_seconds, 1),
        "ratio_render_and_enqueue_to_insert": round(total / insert_seconds, 1),
        "duplicates_flagged": sum(r.duplicate for r in last["reviews"]),
        "database": dialect,
        "steps": {name: round(seconds, 2) for name, seconds in typical["steps"].items()},
    }


if __name__ == "__main__":
    print(json.dumps(main(), indent=2))
