"""Plain factory functions: each adds to the session and flushes; the test commits if needed."""

from datetime import UTC, datetime
from itertools import count

from recruitcare.auth.passwords import hash_password
from recruitcare.domain.enums import Role
from recruitcare.extensions import db
from recruitcare.models import User
from recruitcare.pipeline import services as pipeline
from recruitcare.policies import promise_policy

PASSWORD = "correct horse battery staple"
NOW = datetime(2026, 11, 18, 15, 0, tzinfo=UTC)  # a Wednesday
_serial = count(1)


def make_user(role: Role = Role.RECRUITER, *, email=None, name=None, password=PASSWORD, **kw):
    n = next(_serial)
    user = User(
        email=email or f"user{n}@example.com",
        name=name or f"Test User {n}",
        role=role,
        password_hash=hash_password(password) if password else None,
        created_at=NOW,
        **kw,
    )
    db.session.add(user)
    db.session.flush()
    return user


def make_requisition(owner=None, *, members=(), title=None, now=NOW, **kw):
    owner = owner or make_user(Role.RECRUITER)
    return pipeline.create_requisition(
        title=title or f"Requisition {next(_serial)}",
        owner=owner,
        members=members,
        actor=owner,
        now=now,
        criteria=kw.pop("criteria", (("Python", "Writes clear Python."),)),
        **kw,
    )


def make_candidate(*, name=None, email=None, now=NOW, **kw):
    n = next(_serial)
    return pipeline.find_or_create_candidate(
        name=name or f"Candidate Number{n}",
        email=email or f"candidate{n}@mail.example",
        now=now,
        **kw,
    )


def make_application(requisition=None, candidate=None, *, now=NOW, stage=None):
    from flask import current_app

    requisition = requisition or make_requisition()
    candidate = candidate or make_candidate()
    return pipeline.add_application(
        requisition,
        candidate,
        now=now,
        policy=promise_policy(current_app.config),
        actor=requisition.owner,
        stage=stage,
    )


def login(client, user_or_email, password=PASSWORD, **extra):
    email = getattr(user_or_email, "email", user_or_email)
    return client.post("/auth/login", data={"email": email, "password": password, **extra})


def bulk_applications(requisition, count_, *, now=NOW, due=None, stage=None):
    """Insert many candidates and open applications at once, for size-independence tests;
    returns the applications' ids."""
    from datetime import timedelta

    from sqlalchemy import insert, select

    from recruitcare.models import Application, Candidate

    tag = next(_serial)
    stage = stage or requisition.stages[0]
    db.session.execute(
        insert(Candidate),
        [
            {
                "name": f"Bulk Person{tag}x{i}",
                "email": f"bulk{tag}x{i}@mail.example",
                "timezone": "UTC",
                "language": "en",
                "created_at": now,
            }
            for i in range(count_)
        ],
    )
    ids = db.session.scalars(select(Candidate.id).where(Candidate.email.like(f"bulk{tag}x%"))).all()
    db.session.execute(
        insert(Application),
        [
            {
                "candidate_id": cid,
                "requisition_id": requisition.id,
                "stage_id": (
                    requisition.stages[i % len(requisition.stages)] if stage == "spread" else stage
                ).id,
                "status": "active",
                "decision_due_at": due or now + timedelta(days=(i % 20) - 5),
                "promise_extensions": 0,
                "created_at": now,
            }
            for i, cid in enumerate(ids)
        ],
    )
    db.session.flush()
    return db.session.scalars(
        select(Application.id).where(Application.candidate_id.in_(ids)).order_by(Application.id)
    ).all()
