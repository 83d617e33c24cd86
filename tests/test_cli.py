"""The flask commands: readable failures, and an idempotent demo seed."""

import pytest
from sqlalchemy import func, select

from recruitcare.clock import utcnow
from recruitcare.domain.enums import DeliveryStatus, RequisitionStatus, Role
from recruitcare.extensions import db
from recruitcare.models import Application, Candidate, OutboxMessage, Reason, Requisition, User
from recruitcare.sweep.updates import STATUS_PURPOSE
from tests.factories import login


def test_users_create_reads_the_password_from_stdin(app, runner):
    result = runner.invoke(
        args=[
            "users",
            "create",
            "Jonas@Example.com",
            "--role",
            "hiring_manager",
            "--name",
            "Jonas Lindqvist",
            "--password-stdin",
        ],
        input="a long enough password\n",
    )
    assert result.exit_code == 0, result.output
    assert "Created hiring manager jonas@example.com." in result.output
    assert (
        login(app.test_client(), "jonas@example.com", "a long enough password").status_code == 302
    )


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (["not-an-email", "--role", "admin"], "a long enough password\n", "is not a valid email"),
        (["x@example.com", "--role", "admin"], "short\n", "between 12 and 128"),
    ],
)
def test_users_create_fails_with_one_line(runner, args, stdin, message):
    result = runner.invoke(args=["users", "create", *args, "--password-stdin"], input=stdin)
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and message in lines[0]


def test_users_create_refuses_a_duplicate(runner):
    args = ["users", "create", "dup@example.com", "--role", "recruiter", "--password-stdin"]
    assert runner.invoke(args=args, input="a long enough password\n").exit_code == 0
    again = runner.invoke(args=args, input="a long enough password\n")
    assert again.exit_code == 1
    assert "already exists" in again.output


def test_users_create_rejects_unknown_roles(runner):
    result = runner.invoke(args=["users", "create", "x@example.com", "--role", "owner"])
    assert result.exit_code == 2


def test_demo_seed_builds_a_believable_organisation_once(app, runner):
    first = runner.invoke(args=["demo", "seed"])
    assert first.exit_code == 0, first.output
    assert "admin@northwind.example" in first.output
    assert "recruitcare-demo-2026" in first.output
    with app.app_context():
        roles = dict(db.session.execute(select(User.role, func.count()).group_by(User.role)).all())
        assert roles == {Role.ADMIN: 1, Role.RECRUITER: 3, Role.HIRING_MANAGER: 5}
        statuses = set(db.session.scalars(select(Requisition.status)))
        assert len(db.session.scalars(select(Requisition.id)).all()) == 6
        assert {RequisitionStatus.OPEN, RequisitionStatus.ON_HOLD} <= statuses
        candidates = db.session.scalar(select(func.count(Candidate.id)))
        assert 100 <= candidates <= 140
        stages = set(db.session.scalars(select(Application.stage_id)))
        assert len(stages) > 10  # spread over the stages
        assert db.session.scalar(select(func.count(Reason.id))) >= 7
    second = runner.invoke(args=["demo", "seed"])
    assert second.exit_code == 0
    assert "left it as it is" in second.output
    assert "rhea@northwind.example" in second.output  # accounts shown again
    with app.app_context():
        assert db.session.scalar(select(func.count(Candidate.id))) == candidates


def test_demo_seed_leaves_no_past_status_update_to_mail_today(app, runner):
    """Updates of the demo's past count as delivered then; none goes out with a date gone by."""
    with app.app_context():
        before = utcnow()
    assert runner.invoke(args=["demo", "seed"]).exit_code == 0
    with app.app_context():
        queued = db.session.scalars(
            select(OutboxMessage.send_after).where(
                OutboxMessage.purpose == STATUS_PURPOSE,
                OutboxMessage.status == DeliveryStatus.SCHEDULED,
            )
        ).all()
        delivered = db.session.scalar(
            select(func.count()).where(
                OutboxMessage.purpose == STATUS_PURPOSE,
                OutboxMessage.status == DeliveryStatus.DELIVERED,
            )
        )
    assert all(send_after >= before for send_after in queued)
    assert delivered > 20


def test_demo_accounts_can_sign_in_and_see_their_requisitions(app, runner):
    runner.invoke(args=["demo", "seed"])
    client = app.test_client()
    assert login(client, "rhea@northwind.example", "recruitcare-demo-2026").status_code == 302
    page = client.get("/").get_data(as_text=True)
    assert "Senior Backend Engineer" in page
    assert "Product Designer" not in page  # owned by another recruiter
