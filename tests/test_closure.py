"""Closure messages: templates, composing one, bulk close-out, scheduling and delivery pages."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event, func, select

from recruitcare.domain.enums import (
    ApplicationStatus,
    ClosureStatus,
    Decision,
    DeliveryStatus,
    RequisitionStatus,
    Role,
)
from recruitcare.domain.tokens import LINK_TOKEN_PLACEHOLDER
from recruitcare.extensions import db
from recruitcare.models import (
    Application,
    AuditEvent,
    ClosureMessage,
    MessageTemplate,
    OutboxMessage,
    Reason,
    Requisition,
)
from recruitcare.pipeline import services as pipeline
from recruitcare.pipeline.services import seed_default_reasons
from recruitcare.policies import promise_policy
from tests.factories import (
    login,
    make_application,
    make_candidate,
    make_requisition,
    make_user,
)


def count(model, *where):
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


@pytest.fixture
def team(app):
    with app.app_context():
        seed_default_reasons()
        recruiter = make_user(Role.RECRUITER, email="rec@example.com", name="Rita Recruiter")
        other = make_user(Role.RECRUITER, email="other@example.com")
        requisition = make_requisition(recruiter, title="Data Analyst")
        make_requisition(other, title="Elsewhere")
        db.session.commit()
        return {"req": requisition.id}


def add(app, team, n=1, *, reject=True, code="requirement_not_met", zone="UTC", name=None):
    """``n`` applications on the team's requisition, rejected at review unless told not to."""
    ids = []
    with app.app_context():
        requisition = db.session.get(Requisition, team["req"])
        reason = db.session.scalar(select(Reason).where(Reason.code == code))
        for i in range(n):
            candidate = make_candidate(name=name or f"Ada Tester{i}", timezone=zone)
            application = make_application(requisition, candidate)
            if reject:
                pipeline.record_outcome(
                    application,
                    decision=Decision.REJECT,
                    reason=reason,
                    actor=requisition.owner,
                    now=datetime.now(UTC),
                    policy=promise_policy(app.config),
                )
            ids.append(application.id)
        db.session.commit()
    return ids


def approve_one(client, application_id, **extra):
    page = client.get(f"/applications/{application_id}/closure")
    assert page.status_code == 200
    data = {
        "template": extra.pop("template", None) or _selected_template(page.data),
        "subject": extra.pop("subject", None) or _field_value(page.data, "subject"),
        "body": extra.pop("body", None) or _textarea(page.data, "body"),
        "approve": "1",
        **extra,
    }
    return client.post(f"/applications/{application_id}/closure", data=data)


def _selected_template(html: bytes) -> str:
    return html.split(b'selected value="')[1].split(b'"')[0].decode()


def _field_value(html: bytes, name: str) -> str:
    import html as h

    chunk = html.split(f'name="{name}"'.encode())[1]
    return h.unescape(chunk.split(b'value="')[1].split(b'"')[0].decode())


def _textarea(html: bytes, name: str) -> str:
    import html as h

    chunk = html.split(f'name="{name}"'.encode())[1].split(b">", 1)[1]
    return h.unescape(chunk.split(b"</textarea>")[0].decode()).lstrip("\r\n")


# ---- templates ----------------------------------------------------------------------------------


def test_templates_are_seeded_and_unknown_placeholders_refused_on_save(app, client, team):
    login(client, "rec@example.com")
    page = client.get("/messages/templates")
    assert b"Position filled" in page.data and b"Interim update" in page.data
    response = client.post(
        "/messages/templates/position_filled",
        data={"name": "Filled", "subject": "About {requisition_title}", "body": "Hi {frist_name}"},
    )
    assert response.status_code == 200
    assert b"frist_name" in response.data
    with app.app_context():
        template = db.session.scalar(
            select(MessageTemplate).where(MessageTemplate.key == "position_filled")
        )
        assert "frist_name" not in template.body
    ok = client.post(
        "/messages/templates/position_filled",
        data={
            "name": "Filled",
            "subject": "About {requisition_title}",
            "body": "Dear {candidate_first_name}, {{literal}}",
        },
    )
    assert ok.status_code == 302


def test_hiring_managers_cannot_edit_templates_or_close_out(app, client, team):
    with app.app_context():
        make_user(Role.HIRING_MANAGER, email="hm@example.com")
        db.session.commit()
    login(client, "hm@example.com")
    assert client.get("/messages/templates").status_code == 403
    assert client.get(f"/requisitions/{team['req']}/closeout").status_code == 403


# ---- one application ----------------------------------------------------------------------------


def test_compose_and_approve_schedules_next_business_morning(app, client, team):
    (application_id,) = add(app, team, zone="Asia/Tokyo", name="<i>Mei</i> Tanaka")
    login(client, "rec@example.com")
    page = client.get(f"/applications/{application_id}/closure")
    assert b"Your application for Data Analyst" in page.data
    assert b"Dear &lt;i&gt;Mei&lt;/i&gt;," in page.data
    # The recruiter reads what the link will be, not the placeholder that stands in for it.
    assert b"/c/[private link, made when sent]" in page.data
    assert LINK_TOKEN_PLACEHOLDER.encode() not in page.data
    response = approve_one(client, application_id)
    assert response.status_code == 302
    scheduled = client.get(f"/applications/{application_id}/closure")
    assert b"/c/[private link, made when sent]" in scheduled.data
    assert LINK_TOKEN_PLACEHOLDER.encode() not in scheduled.data
    with app.app_context():
        closure = db.session.scalars(select(ClosureMessage)).one()
        assert closure.status is ClosureStatus.SCHEDULED
        message = db.session.scalars(select(OutboxMessage)).one()
        assert message.recipient == closure.application.candidate.email
        assert message.reply_to == "rec@example.com"
        assert message.idempotency_key == f"closure:{application_id}:1"
        local = message.send_after.astimezone(ZoneInfo("Asia/Tokyo"))
        assert (local.hour, local.minute) == (9, 0) and local.weekday() < 5
        assert message.send_after > datetime.now(UTC)
        # The link carries a placeholder, never a working token.
        assert f"/c/{LINK_TOKEN_PLACEHOLDER}" in message.text_body
        # Values are escaped in the HTML part.
        assert "<i>Mei</i>" not in message.html_body
        assert "Dear &lt;i&gt;Mei&lt;/i&gt;," in message.html_body


def test_missing_values_stop_approval_until_filled(app, client, team):
    (application_id,) = add(app, team, code="criteria_mismatch")
    login(client, "rec@example.com")
    # rejected_after_interview needs {feedback}; none was approved, so it cannot go.
    response = client.post(
        f"/applications/{application_id}/closure",
        data={
            "template": "rejected_after_interview",
            "subject": "Your interview",
            "body": "Dear {candidate_first_name}, here is your feedback: {feedback}",
            "approve": "1",
        },
    )
    assert response.status_code == 200
    assert b"Fill in: feedback." in response.data
    assert b"here is your feedback" in response.data  # what was typed is kept
    with app.app_context():
        assert count(OutboxMessage) == 0


def test_blocked_wording_needs_an_audited_override(app, client, team):
    (application_id,) = add(app, team)
    login(client, "rec@example.com")
    body = "Dear {candidate_first_name}, we felt you were too old for the team."
    data = {"template": "rejected_after_review", "subject": "Your application", "body": body}
    refused = client.post(f"/applications/{application_id}/closure", data={**data, "approve": "1"})
    assert b"reword the flagged phrases" in refused.data
    assert b"<mark>too old</mark>" in refused.data
    with app.app_context():
        assert count(OutboxMessage) == 0
    reason = "Quoted from the candidate's own question; reviewed."
    ok = client.post(
        f"/applications/{application_id}/closure",
        data={**data, "approve": "1", "override_reason": reason},
    )
    assert ok.status_code == 302
    with app.app_context():
        event_ = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "closure.override")
        ).one()
        assert event_.payload["reason"] == reason and event_.payload["rules"]


def test_one_person_one_voice_holds_the_rejection(app, client, team):
    (application_id,) = add(app, team)
    with app.app_context():
        application = db.session.get(Application, application_id)
        other = make_requisition(application.requisition.owner, title="Second Role")
        make_application(other, application.candidate)
        db.session.commit()
    login(client, "rec@example.com")
    response = approve_one(client, application_id)
    assert response.status_code == 200
    assert b"Held: this person is still in process for Second Role." in response.data
    with app.app_context():
        assert count(OutboxMessage) == 0


def test_cancel_by_hand_send_now_and_undo_cancels(app, client, team):
    first, second = add(app, team, 2)
    login(client, "rec@example.com")
    approve_one(client, first)
    approve_one(client, second)
    with app.app_context():
        closures = {c.application_id: c.id for c in db.session.scalars(select(ClosureMessage))}
    client.post(f"/closures/{closures[first]}/send-now")
    client.post(f"/closures/{closures[second]}/cancel")
    with app.app_context():
        by_app = {m.application_id: m for m in db.session.scalars(select(OutboxMessage))}
        assert by_app[first].next_attempt_at <= datetime.now(UTC)
        assert by_app[second].status is DeliveryStatus.CANCELLED
        assert db.session.get(ClosureMessage, closures[second]).status is ClosureStatus.CANCELLED
    # Undoing the rejection (same day) cancels the scheduled closure.
    (third,) = add(app, team)
    approve_one(client, third)
    with app.app_context():
        outcome = db.session.get(Application, third).outcomes[-1]
        outcome_id = outcome.id
    client.post(f"/outcomes/{outcome_id}/undo")
    with app.app_context():
        application = db.session.get(Application, third)
        assert application.status is ApplicationStatus.ACTIVE
        message = db.session.scalar(
            select(OutboxMessage).where(OutboxMessage.application_id == third)
        )
        assert message.status is DeliveryStatus.CANCELLED


def test_other_teams_closures_are_404(app, client, team):
    (application_id,) = add(app, team)
    login(client, "rec@example.com")
    approve_one(client, application_id)
    with app.app_context():
        closure_id = db.session.scalar(select(ClosureMessage.id))
    client.post("/auth/logout")
    login(client, "other@example.com")
    assert client.get(f"/applications/{application_id}/closure").status_code == 404
    assert client.post(f"/closures/{closure_id}/send-now").status_code == 404
    assert client.post(f"/closures/{closure_id}/cancel").status_code == 404
    assert client.get(f"/requisitions/{team['req']}/closeout").status_code == 404


# ---- bulk close-out -----------------------------------------------------------------------------


def test_close_out_everyone_still_open_in_one_transaction(app, client, team):
    add(app, team, 40, reject=False)
    login(client, "rec@example.com")
    page = client.get(f"/requisitions/{team['req']}/closeout?mode=fill")
    assert page.data.count(b'name="selected"') == 40
    assert b"Same as others but the name" in page.data  # identical default wording is flagged
    assert page.data.count(b"/c/[private link, made when sent]") == 40
    assert LINK_TOKEN_PLACEHOLDER.encode() not in page.data
    with app.app_context():
        ids = db.session.scalars(select(Application.id)).all()
    response = client.post(
        f"/requisitions/{team['req']}/closeout",
        data={"mode": "fill", "selected": [str(i) for i in ids]},
    )
    assert response.status_code == 302
    with app.app_context():
        assert count(OutboxMessage, OutboxMessage.status == DeliveryStatus.SCHEDULED) == 40
        assert count(Application, Application.status == ApplicationStatus.REJECTED) == 40
        # Filled only once every message is delivered (tests/test_closure_delivery.py).
        requisition = db.session.get(Requisition, team["req"])
        assert requisition.status is RequisitionStatus.OPEN
        assert requisition.closing_as is RequisitionStatus.FILLED
        keys = db.session.scalars(select(OutboxMessage.idempotency_key)).all()
        assert len(set(keys)) == 40
    assert b"Every finished application" in client.get(f"/requisitions/{team['req']}/closeout").data


def test_an_open_applications_message_is_saved_there_and_approved_with_its_outcome(
    app, client, team
):
    """A closure tells the person it is over, so it goes out only once the pipeline says so:
    the message of an application still open is saved on its page and approved by the
    close-out, which records the outcome in the same transaction."""
    (application_id,) = add(app, team, reject=False)
    login(client, "rec@example.com")
    compose = f"/applications/{application_id}/closure?situation=position_filled"
    page = client.get(compose)
    assert "application is still open (active)" in page.get_data(as_text=True)
    assert b'name="approve"' not in page.data
    passage = "Your plan for the returns backlog was the clearest we saw."
    body = _textarea(page.data, "body") + "\n" + passage

    # Approving anyway, from a page loaded before, is refused: nothing goes out.
    refused = approve_one(client, application_id, body=body)
    assert refused.status_code == 200
    assert "the application is still open (active)" in refused.get_data(as_text=True)
    assert passage in refused.get_data(as_text=True)  # what was typed is still there
    with app.app_context():
        assert count(OutboxMessage) == 0 and count(ClosureMessage) == 0
        assert db.session.get(Application, application_id).status is ApplicationStatus.ACTIVE

    saved = client.post(
        compose,
        data={
            "template": "position_filled",
            "subject": _field_value(page.data, "subject"),
            "body": body,
            "save": "1",
        },
    )
    assert saved.status_code == 302
    closeout = f"/requisitions/{team['req']}/closeout"
    assert passage in client.get(f"{closeout}?mode=fill").get_data(as_text=True)
    approved = client.post(closeout, data={"mode": "fill", "selected": [str(application_id)]})
    assert approved.status_code == 302
    with app.app_context():
        assert db.session.get(Application, application_id).status is ApplicationStatus.REJECTED
        message = db.session.scalar(select(OutboxMessage))
        assert passage in message.text_body


def test_a_batch_with_one_problem_approves_nothing(app, client, team):
    ids = add(app, team, 5, reject=False)
    with app.app_context():
        application = db.session.get(Application, ids[0])
        other = make_requisition(application.requisition.owner, title="Second Role")
        make_application(other, application.candidate)
        db.session.commit()
    login(client, "rec@example.com")
    response = client.post(
        f"/requisitions/{team['req']}/closeout",
        data={"mode": "cancel", "selected": [str(i) for i in ids]},
    )
    assert response.status_code == 200
    assert b"Nothing was approved." in response.data and b"Held" in response.data
    with app.app_context():
        assert count(OutboxMessage) == 0
        assert count(Application, Application.status == ApplicationStatus.REJECTED) == 0
        assert db.session.get(Requisition, team["req"]).status is RequisitionStatus.OPEN


def test_never_two_closures_for_one_person_on_the_same_day(app, client, team):
    (first,) = add(app, team, name="Noor Example")
    with app.app_context():
        application = db.session.get(Application, first)
        other = make_requisition(application.requisition.owner, title="Second Role")
        second_app = make_application(other, application.candidate)
        pipeline.record_outcome(
            second_app,
            decision=Decision.REJECT,
            reason=db.session.scalar(select(Reason).where(Reason.code == "requirement_not_met")),
            actor=other.owner,
            now=datetime.now(UTC),
            policy=promise_policy(app.config),
        )
        db.session.commit()
        second = second_app.id
    login(client, "rec@example.com")
    assert approve_one(client, first).status_code == 302
    assert approve_one(client, second).status_code == 302
    with app.app_context():
        by_app = {m.application_id: m for m in db.session.scalars(select(OutboxMessage))}
        gap = by_app[second].send_after - by_app[first].send_after
        assert gap >= timedelta(hours=20)


def test_close_out_page_query_count_does_not_grow(app, client, team):
    add(app, team, 5)
    login(client, "rec@example.com")

    def queries():
        seen = []
        with app.app_context():
            engine = db.engine

        def listener(*_args, **_kw):
            seen.append(1)

        event.listen(engine, "before_cursor_execute", listener)
        try:
            assert client.get(f"/requisitions/{team['req']}/closeout").status_code == 200
        finally:
            event.remove(engine, "before_cursor_execute", listener)
        return len(seen)

    queries()  # the first visit adds the default templates
    few = queries()
    add(app, team, 30)
    assert queries() == few


# ---- delivery pages -----------------------------------------------------------------------------


def test_not_delivered_lists_failures_and_resends_to_a_fixed_address(app, client, team):
    (application_id,) = add(app, team)
    login(client, "rec@example.com")
    approve_one(client, application_id)
    with app.app_context():
        message = db.session.scalars(select(OutboxMessage)).one()
        message.status = DeliveryStatus.FAILED
        message.smtp_code = 550
        message.last_error = "5.1.1 mailbox unavailable"
        message.attempts = 1
        message.last_attempt_at = datetime.now(UTC)
        db.session.commit()
        message_id = message.id
    page = client.get("/messages/not-delivered")
    assert b"550" in page.data and b"mailbox unavailable" in page.data
    response = client.post(
        f"/messages/{message_id}/resend", data={f"m{message_id}-email": "fixed@mail.example"}
    )
    assert response.status_code == 302
    with app.app_context():
        message = db.session.get(OutboxMessage, message_id)
        assert message.status is DeliveryStatus.SCHEDULED
        assert message.recipient == "fixed@mail.example"
        assert db.session.get(Application, application_id).candidate.email == "fixed@mail.example"
    bad = client.post(f"/messages/{message_id}/resend", data={f"m{message_id}-email": "nope"})
    assert bad.status_code == 302


def test_sent_message_carries_a_working_link_whose_token_is_stored_only_as_a_hash(
    app, client, team, tmp_path
):
    import hashlib
    import re

    (application_id,) = add(app, team)
    login(client, "rec@example.com")
    approve_one(client, application_id)
    with app.app_context():
        closure_id = db.session.scalar(select(ClosureMessage.id))
    client.post(f"/closures/{closure_id}/send-now")
    app.config.update(MAIL_BACKEND="file", MAIL_FILE_DIR=str(tmp_path / "mail"))
    result = app.test_cli_runner().invoke(args=["outbox", "run", "--once"])
    assert result.exit_code == 0, result.output
    (eml,) = (tmp_path / "mail").glob("*.eml")
    raw = eml.read_text()
    token = re.search(r"/c/([A-Za-z0-9_-]{43})\b", raw).group(1)
    assert LINK_TOKEN_PLACEHOLDER not in raw
    with app.app_context():
        from recruitcare.models import CandidateLink

        link = db.session.scalars(select(CandidateLink)).one()
        assert link.application_id == application_id
        assert link.token_hash == hashlib.sha256(token.encode()).hexdigest()
        message = db.session.scalars(select(OutboxMessage)).one()
        assert message.status is DeliveryStatus.DELIVERED
        # Nowhere in the database is the token itself.
        for table in db.metadata.sorted_tables:
            for row in db.session.execute(select(table)):
                assert token not in repr(tuple(row))
    page = client.get("/messages/sent")
    assert page.status_code == 200 and b"Your application for Data Analyst" in page.data
