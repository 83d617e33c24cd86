"""Render, check and enqueue 10,000 personalized closures in one transaction, same run.

Times the three steps of a bulk close-out separately (drafting and rendering every message,
the language check and near-duplicate flags, approving into the outbox and committing) and
compares the enqueue step with a baseline: a bulk INSERT of the same 10,000 rendered rows.

    python bench/bench_closure.py [COUNT]
"""

import json
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import insert, select

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from recruitcare import create_app  # noqa: E402
from recruitcare.clock import utcnow  # noqa: E402
from recruitcare.closure import services  # noqa: E402
from recruitcare.domain import messages as wording  # noqa: E402
from recruitcare.domain.enums import DeliveryStatus, Role  # noqa: E402
from recruitcare.extensions import db  # noqa: E402
from recruitcare.models import Application, OutboxMessage  # noqa: E402
from tests.factories import bulk_applications, make_requisition, make_user  # noqa: E402

COUNT = 10_000


def main(count: int = COUNT) -> dict:
    workdir = Path(tempfile.mkdtemp())
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{workdir / 'closure.sqlite'}",
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
        ids = db.session.scalars(select(Application.id)).all()
        now = utcnow()

        start = time.perf_counter()
        applications = services.load_for_closure(ids)
        ctx = services.Context.build(applications)
        drafts = [
            services.draft_for(a, ctx, now=now, fallback="position_filled") for a in applications
        ]
        rendered = [
            wording.render_text(d.body, services.values_for(d.application, ctx)) for d in drafts
        ]
        render_seconds = time.perf_counter() - start

        start = time.perf_counter()
        reviews = [services.review(d.application, d, ctx) for d in drafts]
        services.flag_duplicates(reviews)
        check_seconds = time.perf_counter() - start

        start = time.perf_counter()
        services.approve([(r, "") for r in reviews], actor=owner, now=now)
        db.session.commit()
        enqueue_seconds = time.perf_counter() - start
        queued = db.session.scalar(
            select(db.func.count()).where(OutboxMessage.status == DeliveryStatus.SCHEDULED)
        )

        # Baseline: the same rows written with one bulk INSERT in one transaction.
        db.session.execute(db.delete(OutboxMessage).where(OutboxMessage.id > 0))
        db.session.commit()
        rows = [
            {
                "purpose": "baseline",
                "idempotency_key": f"baseline:{i}",
                "recipient": f"person{i}@mail.example",
                "subject": r.subject,
                "text_body": r.text,
                "html_body": r.html,
                "message_id": f"<baseline.{i}@bench.example>",
                "status": DeliveryStatus.SCHEDULED,
                "send_after": now,
                "next_attempt_at": now,
                "attempts": 0,
                "created_at": now,
            }
            for i, r in enumerate(reviews)
        ]
        start = time.perf_counter()
        db.session.execute(insert(OutboxMessage), rows)
        db.session.commit()
        baseline_seconds = time.perf_counter() - start

    result = {
        "messages": count,
        "queued": queued,
        "rendered": len(rendered),
        "render_seconds": round(render_seconds, 2),
        "check_seconds": round(check_seconds, 2),
        "enqueue_seconds": round(enqueue_seconds, 2),
        "render_and_enqueue_seconds": round(render_seconds + enqueue_seconds, 2),
        "baseline_insert_seconds": round(baseline_seconds, 2),
        "enqueue_vs_bulk_insert": round(enqueue_seconds / baseline_seconds, 1),
        "duplicates_flagged": sum(r.duplicate for r in reviews),
    }
    print(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else COUNT)
