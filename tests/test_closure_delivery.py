"""A candidate is closed only once their message is delivered: a failed delivery lists them on
the close-out page again, and the closed count follows delivery."""

import pytest
from sqlalchemy import event, select, update

from recruitcare.clock import utcnow
from recruitcare.closure import services
from recruitcare.domain.enums import ApplicationStatus, DeliveryStatus, RequisitionStatus
from recruitcare.extensions import db
from recruitcare.models import AuditEvent, OutboxMessage, Requisition
from recruitcare.outbox.mailer import FileMailer, SendResult
from recruitcare.outbox.worker import Worker
from tests import test_closure
from tests.factories import login
from tests.test_closure import add, approve_one

team = test_closure.team  # the fixture: a recruiter and their requisition


class RefusingSome(FileMailer):
    """Writes files like the development backend, but refuses the addresses in ``refuse``."""

    def __init__(self, directory, refuse):
        super().__init__(directory)
        self.refuse = refuse

    def send(self, envelope_from, recipient, payload, *, label=""):
        if recipient in self.refuse:
            return SendResult(550, f"5.1.1 <{recipient}>: mailbox unavailable")
        return super().send(envelope_from, recipient, payload, label=label)


def deliver(app, tmp_path, refuse=()):
    with app.app_context():
        worker = Worker.from_app(app)
        worker.mailer_factory = lambda: RefusingSome(tmp_path / "mail", set(refuse))
        return worker.run(once=True)


def completeness(app, requisition_id):
    with app.app_context():
        return services.closure_completeness(requisition_id)


def test_a_failed_delivery_reopens_the_candidate_until_resent_and_delivered(
    app, client, team, tmp_path
):
    kept, bounced, waiting = add(app, team, 3)
    add(app, team, 1, reject=False)  # still open: owed nothing yet
    login(client, "rec@example.com")
    for application_id in (kept, bounced):
        assert approve_one(client, application_id).status_code == 302
    requisition_id = team["req"]
    # Approved and scheduled is not closed.
    assert completeness(app, requisition_id) == (0, 3)

    with app.app_context():
        messages = {m.application_id: m for m in db.session.scalars(db.select(OutboxMessage))}
        bad_address = messages[bounced].recipient
        bounced_message = messages[bounced].id
    client.post(f"/requisitions/{requisition_id}/send-now")
    report = deliver(app, tmp_path, refuse={bad_address})
    assert report.outcomes == {"delivered": 1, "failed": 1}
    assert completeness(app, requisition_id) == (1, 3)

    page = client.get(f"/requisitions/{requisition_id}/closeout").get_data(as_text=True)
    assert "Not delivered: not closed yet" in page
    assert "2 candidates still need a closure message" in page
    assert "1 not delivered" in page
    assert "Closed: <strong>1 of 3</strong>" in page
    undelivered = page.split('id="undelivered-heading"')[1].split("</section>")[0]
    assert "Ada Tester1" in undelivered and "Ada Tester0" not in undelivered
    assert "Mail server answered 550" in undelivered and "mailbox unavailable" in undelivered
    assert undelivered.count("550") == 1  # the reason as stored carries the code too
    assert f'href="/messages/not-delivered#message-{bounced_message}"' in undelivered
    # The one still waiting for approval is listed for approval as before.
    assert f'name="selected" value="{waiting}"' in page
    assert f'name="selected" value="{bounced}"' not in page
    not_delivered = client.get("/messages/not-delivered").get_data(as_text=True)
    assert f'id="message-{bounced_message}"' in not_delivered

    response = client.post(
        f"/messages/{bounced_message}/resend",
        data={f"m{bounced_message}-email": "ada.fixed@mail.example"},
    )
    assert response.status_code == 302
    # Resent but not delivered yet: still not closed, and no longer listed as failed.
    assert completeness(app, requisition_id) == (1, 3)
    page = client.get(f"/requisitions/{requisition_id}/closeout").get_data(as_text=True)
    assert "Not delivered: not closed yet" not in page
    assert deliver(app, tmp_path, refuse={bad_address}).outcomes == {"delivered": 1}
    assert completeness(app, requisition_id) == (2, 3)
    assert approve_one(client, waiting).status_code == 302
    client.post(f"/requisitions/{requisition_id}/send-now")
    deliver(app, tmp_path)
    assert completeness(app, requisition_id) == (3, 3)
    page = client.get(f"/requisitions/{requisition_id}/closeout").get_data(as_text=True)
    assert "Closed: <strong>3 of 3</strong>" in page
    assert "Every finished application has its closure message" in page


@pytest.mark.parametrize("size", [2, 25])
def test_completeness_is_one_query_whatever_the_size(app, team, size):
    add(app, team, size)
    with app.app_context():
        seen = []
        listener = lambda *_args: seen.append(1)  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            assert services.closure_completeness(team["req"]) == (0, size)
            assert services.undelivered_closures(team["req"]) == []
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        assert len(seen) == 2


def test_rejected_and_withdrawn_are_owed_a_closure():
    assert set(services.NEEDS_CLOSURE) == {ApplicationStatus.REJECTED, ApplicationStatus.WITHDRAWN}


# ---- a requisition closes only once every closure is delivered ----------------------------------


def requisition_state(app, requisition_id):
    with app.app_context():
        requisition = db.session.get(Requisition, requisition_id)
        return requisition.status, requisition.closing_as


def test_filling_closes_the_requisition_only_when_every_message_is_delivered(
    app, client, team, tmp_path
):
    ids = add(app, team, 3, reject=False)
    requisition_id = team["req"]
    login(client, "rec@example.com")
    response = client.post(
        f"/requisitions/{requisition_id}/closeout",
        data={"mode": "fill", "selected": [str(i) for i in ids]},
        follow_redirects=True,
    )
    page = response.get_data(as_text=True)
    assert "will be marked filled as soon as every candidate" in page
    assert "Closing as filled" in page
    # Everyone has an outcome and a scheduled message, but nobody has heard yet.
    assert requisition_state(app, requisition_id) == (
        RequisitionStatus.OPEN,
        RequisitionStatus.FILLED,
    )

    with app.app_context():
        bounced = db.session.scalar(
            select(OutboxMessage).where(OutboxMessage.application_id == ids[0])
        )
        bad_address, bounced_id = bounced.recipient, bounced.id
    client.post(f"/requisitions/{requisition_id}/send-now")
    assert deliver(app, tmp_path, refuse={bad_address}).outcomes == {"delivered": 2, "failed": 1}
    # One bounce keeps it waiting: that candidate has not heard from us.
    assert requisition_state(app, requisition_id) == (
        RequisitionStatus.OPEN,
        RequisitionStatus.FILLED,
    )

    client.post(
        f"/messages/{bounced_id}/resend", data={f"m{bounced_id}-email": "fixed@mail.example"}
    )
    assert deliver(app, tmp_path).outcomes == {"delivered": 1}
    assert requisition_state(app, requisition_id) == (RequisitionStatus.FILLED, None)
    with app.app_context():
        closing, changed = (
            db.session.scalars(
                select(AuditEvent).where(
                    AuditEvent.action == action, AuditEvent.object_id == requisition_id
                )
            ).one()
            for action in ("requisition.closing", "requisition.status_changed")
        )
        assert closing.actor_id is not None and closing.payload["undelivered"] == 3
        assert changed.actor_id is None and changed.payload["new"] == "filled"


def test_choosing_filled_with_messages_on_their_way_closes_on_delivery(
    app, client, runner, team, tmp_path
):
    (rejected,) = add(app, team, 1)
    requisition_id = team["req"]
    login(client, "rec@example.com")
    approve_one(client, rejected)
    form = client.get(f"/requisitions/{requisition_id}/edit").get_data(as_text=True)
    assert 'value="filled"' in form
    with app.app_context():
        requisition = db.session.get(Requisition, requisition_id)
        data = {
            "title": requisition.title,
            "team": requisition.team,
            "location": requisition.location,
            "role_family": requisition.role_family,
            "owner": requisition.owner_id,
            "members": [m.id for m in requisition.members],
            "status": "filled",
            "interim_policy": requisition.interim_policy.value,
            "status_update_policy": requisition.status_update_policy.value,
            "publicly_advertised": "y",
        }
    response = client.post(f"/requisitions/{requisition_id}/edit", data=data)
    assert response.status_code == 302 and "/closeout" in response.location
    flashed = client.get(response.location).get_data(as_text=True)
    assert "as soon as the last closure message is delivered" in flashed
    assert requisition_state(app, requisition_id) == (
        RequisitionStatus.OPEN,
        RequisitionStatus.FILLED,
    )

    # Choosing another status (here: open again) withdraws the pending close.
    client.post(f"/requisitions/{requisition_id}/edit", data={**data, "status": "open"})
    assert requisition_state(app, requisition_id) == (RequisitionStatus.OPEN, None)
    client.post(f"/requisitions/{requisition_id}/edit", data=data)

    # Delivered by a worker run elsewhere: the sweep finishes it.
    client.post(f"/requisitions/{requisition_id}/send-now")
    with app.app_context():
        db.session.execute(
            update(OutboxMessage).values(status=DeliveryStatus.DELIVERED, delivered_at=utcnow())
        )
        db.session.commit()
    result = runner.invoke(args=["sweep"])
    assert result.exit_code == 0, result.output
    assert "closing requisitions: 1 closed" in result.output
    assert requisition_state(app, requisition_id) == (RequisitionStatus.FILLED, None)
    assert "closing requisitions: 0 closed" in runner.invoke(args=["sweep"]).output
