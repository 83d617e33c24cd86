"""The sweep, end to end through ``flask sweep``: reminders, escalations, interim updates, the
duty to inform; status updates after outcomes; and the guard on closing a requisition."""

from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event, func, select

from recruitcare.closure.services import seed_default_templates
from recruitcare.domain.enums import (
    ApplicationStatus,
    CandidateUpdateStatus,
    Decision,
    DeliveryStatus,
    InterimPolicy,
    PromiseEventKind,
    RequisitionStatus,
    Role,
    ScorecardStatus,
    StatusUpdatePolicy,
)
from recruitcare.extensions import db
from recruitcare.models import (
    Application,
    AuditEvent,
    CandidateUpdate,
    DigestSent,
    DutyToInformRecord,
    MessageTemplate,
    OutboxMessage,
    PromiseEvent,
    Reason,
    Requisition,
    Scorecard,
)
from recruitcare.pipeline import services as pipeline
from recruitcare.pipeline.services import seed_default_reasons
from recruitcare.policies import promise_policy
from tests.factories import (
    NOW,
    login,
    make_application,
    make_candidate,
    make_requisition,
    make_user,
)

TORONTO = ZoneInfo("America/Toronto")


def toronto(*args) -> datetime:
    return datetime(*args, tzinfo=TORONTO).astimezone(UTC)


# NOW is Wednesday 18 November 2026, 10:00 in Toronto. A 7-business-day promise made then
# lapses on Friday 27 November at 17:00.
FIRST_DUE = toronto(2026, 11, 27, 17)
MONDAY = toronto(2026, 11, 30, 10)  # after the first lapse
SECOND_DUE = toronto(2026, 12, 7, 17)  # five business days after MONDAY
TUESDAY_AFTER = toronto(2026, 12, 8, 10)
THIRD_DUE = toronto(2026, 12, 15, 17)
WEDNESDAY_LATER = toronto(2026, 12, 16, 10)
NOTICE_DUE = toronto(2026, 12, 23, 17)  # five business days after WEDNESDAY_LATER


def count(model, *where):
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def sweep(runner, when: datetime, *extra):
    result = runner.invoke(args=["sweep", "--now", when.isoformat(), *extra])
    assert result.exit_code == 0, result.output
    return result.output


def lines(output: str) -> dict[str, str]:
    return dict(line.split(": ", 1) for line in output.splitlines() if ": " in line)


def messages(purpose, *where):
    return db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.purpose == purpose, *where).order_by("id")
    ).all()


@pytest.fixture
def team(app):
    with app.app_context():
        seed_default_reasons()
        recruiter = make_user(Role.RECRUITER, email="rec@example.com", name="Rita Recruiter")
        manager = make_user(Role.HIRING_MANAGER, email="hm@example.com", name="Hugo Manager")
        interviewer = make_user(Role.RECRUITER, email="int@example.com", name="Ines Interviewer")
        make_user(Role.RECRUITER, email="other@example.com", name="Otto Other")
        requisition = make_requisition(
            recruiter, members=[manager, interviewer], title="Data Analyst"
        )
        candidate = make_candidate(name="<b>Ada</b> Lovelace", email="ada@mail.example")
        application = make_application(requisition, candidate)
        db.session.commit()
        return {
            "req": requisition.id,
            "app": application.id,
            "rec": recruiter.id,
            "hm": manager.id,
            "int": interviewer.id,
        }


# ---- a promise left untouched ---------------------------------------------------------------


def test_untouched_application_gets_interim_updates_then_must_be_decided(app, client, runner, team):
    with app.app_context():
        assert db.session.get(Application, team["app"]).decision_due_at == FIRST_DUE

    first = lines(sweep(runner, MONDAY))
    assert first["interim updates"].startswith("1 sent")
    assert first["escalations"].startswith("2 digests")
    with app.app_context():
        application = db.session.get(Application, team["app"])
        # The promise moved, and the candidate was told so, honestly.
        assert application.decision_due_at == SECOND_DUE
        assert application.promise_extensions == 1
        assert application.last_contact_at == MONDAY
        (interim,) = messages("interim")
        assert interim.recipient == "ada@mail.example"
        assert interim.application_id == team["app"]
        assert interim.idempotency_key.startswith(f"interim:{team['app']}:")
        assert interim.send_after == MONDAY
        assert "we have not made it yet" in interim.text_body
        assert "you will hear from us by Monday 7 December 2026" in interim.text_body
        assert "Dear &lt;b&gt;Ada&lt;/b&gt;," in interim.html_body  # escaped in HTML
        assert "<b>Ada</b>" not in interim.html_body
        assert interim.reply_to == "rec@example.com"
        (event_,) = db.session.scalars(select(PromiseEvent)).all()
        assert (event_.kind, event_.old_due_at, event_.new_due_at, event_.extension) == (
            PromiseEventKind.EXTENDED,
            FIRST_DUE,
            SECOND_DUE,
            1,
        )
        # The recruiter and the hiring manager hear about it in their daily digest.
        digests = {m.recipient: m for m in messages("digest")}
        assert set(digests) == {"rec@example.com", "hm@example.com"}
        digest = digests["rec@example.com"]
        assert digest.idempotency_key == f"digest:escalation:{team['rec']}:2026-11-30"
        assert "Past the promised date" in digest.text_body
        assert "<b>Ada</b> Lovelace" in digest.text_body
        assert "&lt;b&gt;Ada&lt;/b&gt; Lovelace" in digest.html_body
        assert f"/applications/{team['app']}" in digest.html_body
        assert count(DigestSent) == 2

    # Running again at once does nothing.
    again = lines(sweep(runner, MONDAY + timedelta(minutes=5)))
    assert again["interim updates"].startswith("0 sent")
    assert again["escalations"].startswith("0 digests")
    with app.app_context():
        assert count(OutboxMessage) == 3
        assert db.session.get(Application, team["app"]).decision_due_at == SECOND_DUE

    # The second lapse: one more interim update.
    second = lines(sweep(runner, TUESDAY_AFTER))
    assert second["interim updates"].startswith("1 sent")
    with app.app_context():
        application = db.session.get(Application, team["app"])
        assert (application.promise_extensions, application.decision_due_at) == (2, THIRD_DUE)
        assert len(messages("interim")) == 2

    # The third lapse: no more extensions; the recruiter must decide, and the candidate is
    # told the decision is late and when they will hear again.
    third = lines(sweep(runner, WEDNESDAY_LATER))
    assert "1 must decide" in third["interim updates"]
    assert "1 late notices" in third["interim updates"]
    assert third["interim updates"].startswith("0 sent")
    with app.app_context():
        application = db.session.get(Application, team["app"])
        assert application.must_decide_since == WEDNESDAY_LATER
        assert application.decision_due_at == NOTICE_DUE
        assert application.last_contact_at == WEDNESDAY_LATER
        assert application.promise_extensions == 2
        (late,) = messages("late")
        assert late.subject.endswith("our decision is late")
        assert "later than we told you" in late.text_body
        assert "Wednesday 23 December 2026" in late.text_body
        kinds = db.session.scalars(select(PromiseEvent.kind).order_by(PromiseEvent.id)).all()
        assert kinds == [PromiseEventKind.EXTENDED] * 2 + [PromiseEventKind.BROKEN]
        broken = db.session.scalars(select(PromiseEvent).order_by(PromiseEvent.id)).all()[-1]
        assert (broken.old_due_at, broken.new_due_at) == (THIRD_DUE, NOTICE_DUE)
    later = lines(sweep(runner, WEDNESDAY_LATER + timedelta(days=1)))
    assert later["interim updates"].startswith("0 sent")
    assert "0 late notices" in later["interim updates"]
    with app.app_context():
        assert len(messages("interim")) == 2
        assert len(messages("late")) == 1

    # Still undecided when that date passes: another late notice, and no new broken promise.
    after_notice = NOTICE_DUE + timedelta(hours=15)
    fourth = lines(sweep(runner, after_notice))
    assert "1 late notices" in fourth["interim updates"]
    assert "0 must decide" in fourth["interim updates"]
    assert "1 late notices" not in lines(sweep(runner, after_notice))["interim updates"]
    with app.app_context():
        application = db.session.get(Application, team["app"])
        assert application.must_decide_since == WEDNESDAY_LATER
        assert application.decision_due_at > after_notice
        assert len(messages("late")) == 2
        assert count(PromiseEvent) == 3
        assert count(AuditEvent, AuditEvent.action == "promise.overdue_notice") == 2
        assert count(AuditEvent, AuditEvent.action == "promise.must_decide") == 1

    login(client, "rec@example.com")
    home = client.get("/")
    assert b"Must decide" in home.data and b"&lt;b&gt;Ada&lt;/b&gt; Lovelace" in home.data
    listed = client.get(f"/requisitions/{team['req']}/applications")
    assert b'<span class="badge badge-danger">Must decide</span>' in listed.data

    # A decision takes it off the list; the promise was counted as broken only once.
    with app.app_context():
        application = db.session.get(Application, team["app"])
        pipeline.record_outcome(
            application,
            decision=Decision.ADVANCE,
            actor=application.requisition.owner,
            now=after_notice + timedelta(hours=1),
            policy=promise_policy(app.config),
        )
        db.session.commit()
        assert application.must_decide_since is None
        assert application.promise_extensions == 0
        assert count(PromiseEvent) == 3
    assert b"Must decide" not in client.get("/").data


def test_dry_run_changes_and_sends_nothing(app, runner, team):
    output = sweep(runner, MONDAY, "--dry-run")
    assert lines(output)["interim updates"].startswith("1 sent")
    assert "Dry run: nothing was changed or sent." in output
    with app.app_context():
        assert count(OutboxMessage) == 0
        assert count(DigestSent) == 0
        assert db.session.get(Application, team["app"]).decision_due_at == FIRST_DUE


def test_due_soon_goes_to_the_recruiter_only(app, runner, team):
    thursday = toronto(2026, 11, 26, 9)  # the promise lapses tomorrow evening
    assert lines(sweep(runner, thursday))["escalations"].startswith("1 digests")
    with app.app_context():
        (digest,) = messages("digest")
        assert digest.recipient == "rec@example.com"
        assert "Promise due soon" in digest.text_body
        assert count(OutboxMessage, OutboxMessage.purpose == "interim") == 0


def test_digests_wait_for_a_business_morning(app, runner, team):
    saturday = toronto(2026, 11, 28, 10)
    output = lines(sweep(runner, saturday))
    assert "digests wait for a business day" in output["escalations"]
    # The candidate is still told at once: interim updates do not wait for office hours.
    assert output["interim updates"].startswith("1 sent")
    early_monday = toronto(2026, 11, 30, 7)
    assert "digests wait" in lines(sweep(runner, early_monday))["escalations"]
    assert lines(sweep(runner, MONDAY))["escalations"].startswith("2 digests")


def test_the_command_accepts_only_iso_times(runner, team):
    result = runner.invoke(args=["sweep", "--now", "next tuesday"])
    assert result.exit_code != 0 and "ISO 8601" in result.output


def test_an_interim_template_with_a_gap_sends_the_late_notice_instead(app, runner, team):
    with app.app_context():
        seed_default_templates(now=NOW)
        template = db.session.scalar(
            select(MessageTemplate).where(MessageTemplate.key == "interim_update")
        )
        template.body = "Dear {candidate_first_name}, here is your feedback: {feedback}"
        db.session.commit()
    output = lines(sweep(runner, MONDAY))
    assert "1 must decide" in output["interim updates"]
    assert "1 late notices" in output["interim updates"]
    with app.app_context():
        application = db.session.get(Application, team["app"])
        assert application.must_decide_since == MONDAY
        assert application.promise_extensions == 0
        (late,) = messages("late")
        assert late.subject.endswith("our decision is late")
        assert count(OutboxMessage, OutboxMessage.purpose == "interim") == 0


def test_when_no_wording_can_be_sent_a_person_must_act(app, runner, team):
    """Neither the interim nor the late wording can be sent: the application must be decided,
    the sweep does not retry every run, and the recruiter's digest lists it."""
    with app.app_context():
        seed_default_templates(now=NOW)
        for template in db.session.scalars(
            select(MessageTemplate).where(
                MessageTemplate.key.in_(["interim_update", "decision_overdue"])
            )
        ):
            template.body = "Dear {candidate_first_name}, here is your feedback: {feedback}"
        db.session.commit()
    output = lines(sweep(runner, MONDAY))
    assert "1 could not be sent" in output["interim updates"]
    assert "1 must decide" in output["interim updates"]
    assert (
        "1 could not be sent"
        not in lines(sweep(runner, MONDAY + timedelta(hours=1)))["interim updates"]
    )
    with app.app_context():
        application = db.session.get(Application, team["app"])
        assert application.must_decide_since == MONDAY
        assert application.decision_due_at > MONDAY
        assert count(OutboxMessage, OutboxMessage.purpose.in_(["interim", "late"])) == 0
    sweep(runner, MONDAY + timedelta(days=1))
    with app.app_context():
        *_, digest = messages("digest", OutboxMessage.recipient == "rec@example.com")
        assert "must decide now" in digest.text_body


def test_recruiter_edited_interim_wording_is_used(app, runner, team):
    with app.app_context():
        seed_default_templates(now=NOW)
        template = db.session.scalar(
            select(MessageTemplate).where(MessageTemplate.key == "interim_update")
        )
        template.body = "Hi {candidate_first_name}, still deciding; news by {decision_date}."
        db.session.commit()
    sweep(runner, MONDAY)
    with app.app_context():
        (interim,) = messages("interim")
        assert interim.text_body == (
            "Hi <b>Ada</b>, still deciding; news by Monday 7 December 2026."
        )


# ---- approval policy ------------------------------------------------------------------------


def _set_policy(app, team, **values):
    with app.app_context():
        requisition = db.session.get(Requisition, team["req"])
        for name, value in values.items():
            setattr(requisition, name, value)
        db.session.commit()


def test_interim_updates_can_wait_for_the_recruiters_approval(app, client, runner, team):
    _set_policy(app, team, interim_policy=InterimPolicy.APPROVE)
    assert "1 for approval" in lines(sweep(runner, MONDAY))["interim updates"]
    assert "0 for approval" in lines(sweep(runner, MONDAY))["interim updates"]
    with app.app_context():
        assert count(OutboxMessage, OutboxMessage.purpose == "interim") == 0
        (pending,) = db.session.scalars(select(CandidateUpdate)).all()
        pending_id = pending.id
    login(client, "rec@example.com")
    home = client.get("/")
    assert b"Updates waiting for your approval" in home.data
    response = client.post(f"/updates/{pending_id}/approve")
    assert response.status_code == 302
    with app.app_context():
        (interim,) = messages("interim")
        application = db.session.get(Application, team["app"])
        assert application.promise_extensions == 1
        assert application.decision_due_at > datetime.now(UTC)
        assert db.session.get(CandidateUpdate, pending_id).status is CandidateUpdateStatus.SENT
    # Another team's recruiter cannot see or approve it.
    client.post("/auth/logout")
    login(client, "other@example.com")
    assert client.post(f"/updates/{pending_id}/approve").status_code == 404


def _update_for_approval(app, client, runner, team) -> int:
    """The sweep's interim update waiting for approval; the recruiter signed in to see it."""
    _set_policy(app, team, interim_policy=InterimPolicy.APPROVE)
    sweep(runner, MONDAY)
    with app.app_context():
        pending_id = db.session.scalar(select(CandidateUpdate.id))
    login(client, "rec@example.com")
    return pending_id


def test_an_update_approved_twice_at_once_is_sent_once(app, client, runner, team):
    pending_id = _update_for_approval(app, client, runner, team)
    client.post(f"/updates/{pending_id}/approve")
    with app.app_context():
        # The second click read the update before the first one was saved.
        db.session.get(CandidateUpdate, pending_id).status = CandidateUpdateStatus.PENDING
        db.session.commit()
    response = client.post(f"/updates/{pending_id}/approve", follow_redirects=True)
    assert response.status_code == 200
    assert "That update was already sent." in response.get_data(as_text=True)
    with app.app_context():
        assert len(messages("interim")) == 1


def test_dismissing_an_interim_update_means_deciding_instead(app, client, runner, team):
    pending_id = _update_for_approval(app, client, runner, team)
    client.post(f"/updates/{pending_id}/dismiss")
    with app.app_context():
        application = db.session.get(Application, team["app"])
        assert application.must_decide_since is not None
        assert count(OutboxMessage, OutboxMessage.purpose == "interim") == 0
    assert "0 for approval" in lines(sweep(runner, MONDAY + timedelta(hours=1)))["interim updates"]


# ---- status updates after an outcome ------------------------------------------------------------


def _decide(app, team, decision, *, when=NOW, reason_code=None):
    with app.app_context():
        application = db.session.get(Application, team["app"])
        reason = (
            db.session.scalar(select(Reason).where(Reason.code == reason_code))
            if reason_code
            else None
        )
        outcome = pipeline.record_outcome(
            application,
            decision=decision,
            reason=reason,
            actor=application.requisition.owner,
            now=when,
            policy=promise_policy(app.config),
        )
        db.session.commit()
        return outcome.id


def test_advancing_sends_a_status_update_with_the_new_promise(app, team):
    outcome_id = _decide(app, team, Decision.ADVANCE)
    with app.app_context():
        application = db.session.get(Application, team["app"])
        (status,) = messages("status")
        assert status.idempotency_key == f"status:{team['app']}:{outcome_id}"
        assert status.send_after == NOW + timedelta(minutes=30)
        assert "moved on to the next step, Recruiter screen" in status.text_body
        due = application.decision_due_at.astimezone(UTC).strftime("%A %-d %B %Y")
        assert f"you will hear from us by {due}" in status.text_body
        assert "Dear &lt;b&gt;Ada&lt;/b&gt;," in status.html_body
        assert "<b>" not in status.html_body
        (kept,) = db.session.scalars(select(PromiseEvent)).all()
        assert kept.kind is PromiseEventKind.KEPT and kept.outcome_id == outcome_id


def test_hold_sends_the_on_hold_update_and_reject_withdraws_it(app, team):
    _decide(app, team, Decision.HOLD)
    with app.app_context():
        (status,) = messages("status")
        assert "we have paused it for now" in status.text_body
    _decide(
        app,
        team,
        Decision.REJECT,
        when=NOW + timedelta(minutes=5),
        reason_code="requirement_not_met",
    )
    with app.app_context():
        (status,) = messages("status")
        # Not sent yet, and no longer true: it is withdrawn; the closure will say what happened.
        assert status.status is DeliveryStatus.CANCELLED


def test_undoing_an_outcome_withdraws_its_status_update(app, client, team):
    outcome_id = _decide(app, team, Decision.ADVANCE, when=datetime.now(UTC))
    login(client, "rec@example.com")
    client.post(f"/outcomes/{outcome_id}/undo")
    with app.app_context():
        (status,) = messages("status")
        assert status.status is DeliveryStatus.CANCELLED
        assert count(PromiseEvent) == 0


def test_status_updates_can_be_proposed_to_the_recruiter(app, client, team):
    _set_policy(app, team, status_update_policy=StatusUpdatePolicy.PROPOSE)
    _decide(app, team, Decision.ADVANCE, when=datetime.now(UTC))
    with app.app_context():
        assert count(OutboxMessage) == 0
        pending_id = db.session.scalar(select(CandidateUpdate.id))
    login(client, "rec@example.com")
    assert b"status update" in client.get("/").data
    client.post(f"/updates/{pending_id}/approve")
    with app.app_context():
        (status,) = messages("status")
        assert "Recruiter screen" in status.text_body


def test_a_late_decision_breaks_the_promise(app, team):
    _decide(app, team, Decision.ADVANCE, when=FIRST_DUE + timedelta(hours=1))
    with app.app_context():
        (broken,) = db.session.scalars(select(PromiseEvent)).all()
        assert broken.kind is PromiseEventKind.BROKEN


# ---- scorecard reminders ----------------------------------------------------------------------


def _interview(app, team, when, *, submitted=False):
    with app.app_context():
        application = db.session.get(Application, team["app"])
        interviewer = next(m for m in application.requisition.members if m.id == team["int"])
        interview = pipeline.schedule_interview(
            application,
            stage=application.requisition.stages[1],
            when=when,
            interviewers=[interviewer],
            actor=application.requisition.owner,
            now=when,
        )
        if submitted:
            db.session.add(
                Scorecard(
                    interview=interview,
                    interviewer=interviewer,
                    application=application,
                    status=ScorecardStatus.SUBMITTED,
                    created_at=when,
                    updated_at=when,
                    submitted_at=when,
                )
            )
        db.session.commit()
        return interview.id


def test_interviewers_get_one_reminder_digest_a_day(app, runner, team):
    late = _interview(app, team, toronto(2026, 11, 16, 10))
    _interview(app, team, toronto(2026, 11, 17, 10), submitted=True)
    _interview(app, team, toronto(2026, 11, 19, 9))  # not late yet
    thursday = toronto(2026, 11, 19, 10)
    output = lines(sweep(runner, thursday))
    assert output["scorecard reminders"] == "1 digests, 1 scorecards"
    with app.app_context():
        (digest,) = messages("digest", OutboxMessage.recipient == "int@example.com")
        assert digest.subject == "1 scorecard waiting for you"
        assert f"/interviews/{late}/scorecard" in digest.text_body
        assert digest.idempotency_key == f"digest:scorecards:{team['int']}:2026-11-19"
    assert lines(sweep(runner, thursday + timedelta(hours=3)))["scorecard reminders"] == (
        "0 digests, 0 scorecards"
    )
    friday = lines(sweep(runner, toronto(2026, 11, 20, 10)))["scorecard reminders"]
    assert friday == "1 digests, 1 scorecards"


# ---- duty to inform -----------------------------------------------------------------------------


def test_duty_to_inform_is_recorded_warned_about_and_met(app, client, runner, team):
    _interview(app, team, toronto(2026, 11, 16, 10))
    first = lines(sweep(runner, toronto(2026, 11, 17, 10)))
    assert first["duty to inform"].startswith("1 new")
    with app.app_context():
        (record,) = db.session.scalars(select(DutyToInformRecord)).all()
        assert record.policy == "ontario"
        assert record.due_at == toronto(2026, 12, 31, 17)  # 45 days after the interview
        assert record.informed_at is None
    assert lines(sweep(runner, toronto(2026, 11, 17, 11)))["duty to inform"].startswith("0 new")

    # Told by the first interim update, once it is delivered.
    sweep(runner, MONDAY)
    with app.app_context():
        (interim,) = messages("interim")
        interim.status = DeliveryStatus.DELIVERED
        interim.delivered_at = MONDAY + timedelta(minutes=1)
        db.session.commit()
    told = lines(sweep(runner, MONDAY + timedelta(minutes=10)))
    assert "1 told" in told["duty to inform"]
    with app.app_context():
        record = db.session.scalar(select(DutyToInformRecord))
        assert record.informed_at == MONDAY + timedelta(minutes=1)
        assert record.how == "interim"
        assert record.kept_until == datetime(2029, 11, 30, 15, 1, tzinfo=UTC)
    login(client, "rec@example.com")
    page = client.get(f"/applications/{team['app']}")
    assert b"Duty to inform" in page.data and b"Told in time" in page.data


def test_a_duty_coming_due_is_escalated_and_can_be_recorded_by_hand(app, client, runner, team):
    _set_policy(app, team, interim_policy=InterimPolicy.APPROVE)  # nobody is told automatically
    _interview(app, team, toronto(2026, 11, 16, 10))
    sweep(runner, toronto(2026, 11, 17, 10))
    near = toronto(2026, 12, 28, 10)  # three days before the deadline
    sweep(runner, near)
    with app.app_context():
        digest = messages("digest", OutboxMessage.recipient == "hm@example.com")[-1]
        assert "Legal duty to inform (1)" in digest.text_body
    login(client, "rec@example.com")
    client.post(f"/applications/{team['app']}/informed", data={"how": "phone"})
    with app.app_context():
        record = db.session.scalar(select(DutyToInformRecord))
        assert record.how == "phone" and record.informed_at is not None


def test_no_duty_for_small_employers_or_unadvertised_jobs(make_app):
    for overrides in ({"EMPLOYER_HEADCOUNT": 10}, {"DUTY_TO_INFORM_POLICY": None}):
        app = make_app(**overrides)
        with app.app_context():
            recruiter = make_user(Role.RECRUITER)
            application = make_application(make_requisition(recruiter))
            pipeline.schedule_interview(
                application,
                stage=application.requisition.stages[1],
                when=NOW,
                interviewers=[recruiter],
                actor=recruiter,
                now=NOW,
            )
            db.session.commit()
        output = app.test_cli_runner().invoke(
            args=["sweep", "--now", (NOW + timedelta(days=1)).isoformat()]
        )
        assert output.exit_code == 0
        assert lines(output.output)["duty to inform"].startswith("0 new")
        with app.app_context():
            assert count(DutyToInformRecord) == 0


# ---- closing a requisition ----------------------------------------------------------------------


def test_a_requisition_cannot_close_while_candidates_wait(app, client, team):
    login(client, "rec@example.com")
    data = {"title": "Data Analyst (closed)", "owner": str(team["rec"]), "status": "filled"}
    response = client.post(f"/requisitions/{team['req']}/edit", data=data)
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/requisitions/{team['req']}/closeout?mode=fill")
    page = client.get(response.headers["Location"])
    assert b"1 candidate still without a final outcome" in page.data
    with app.app_context():
        requisition = db.session.get(Requisition, team["req"])
        assert requisition.status is RequisitionStatus.OPEN
        assert requisition.title == "Data Analyst (closed)"  # the other edits are kept

    # Rejected, closure approved but not delivered: still waiting.
    _decide(app, team, Decision.REJECT, reason_code="requirement_not_met")
    with app.app_context():
        application = db.session.get(Application, team["app"])
        closure = OutboxMessage(
            application=application,
            purpose="closure",
            idempotency_key=f"closure:{application.id}:1",
            recipient="ada@mail.example",
            subject="Your application",
            text_body="...",
            html_body="<p>...</p>",
            message_id="<closure-test@example>",
            status=DeliveryStatus.SCHEDULED,
            send_after=NOW,
            next_attempt_at=NOW,
            created_at=NOW,
        )
        db.session.add(closure)
        db.session.commit()
    response = client.post(
        f"/requisitions/{team['req']}/edit", data={**data, "status": "cancelled"}
    )
    # Everyone has an outcome: it will close as soon as the message is delivered.
    assert response.headers["Location"].endswith(f"/requisitions/{team['req']}/closeout")
    page = client.get(response.headers["Location"])
    assert b"as soon as the last closure message is delivered" in page.data
    with app.app_context():
        requisition = db.session.get(Requisition, team["req"])
        assert requisition.status is RequisitionStatus.OPEN
        assert requisition.closing_as is RequisitionStatus.CANCELLED

    with app.app_context():
        closure = messages("closure")[0]
        closure.status, closure.delivered_at = DeliveryStatus.DELIVERED, NOW
        # A hire needs no closure message.
        hired = make_application(db.session.get(Requisition, team["req"]))
        hired.status = ApplicationStatus.HIRED
        db.session.commit()
    response = client.post(f"/requisitions/{team['req']}/edit", data=data)
    assert response.headers["Location"].endswith(f"/requisitions/{team['req']}")
    with app.app_context():
        requisition = db.session.get(Requisition, team["req"])
        assert (requisition.status, requisition.closing_as) == (RequisitionStatus.FILLED, None)


# ---- the home page ----------------------------------------------------------------------------


@contextmanager
def count_queries(app):
    statements = []
    with app.app_context():
        engine = db.engine

    def record(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


def _home_queries(make_app, size):
    app = make_app()
    with app.app_context():
        recruiter = make_user(Role.RECRUITER, email=f"home{size}@example.com")
        for _ in range(2):
            requisition = make_requisition(recruiter)
            for _ in range(size):
                application = make_application(requisition)
                application.must_decide_since = NOW
                application.promise_extensions = 2
                db.session.add(
                    CandidateUpdate(application=application, kind="interim", created_at=NOW)
                )
        db.session.commit()
    client = app.test_client()
    login(client, f"home{size}@example.com")
    client.get("/")
    with count_queries(app) as statements:
        page = client.get("/")
    assert page.status_code == 200
    return len(statements), page.data


def test_home_page_queries_do_not_grow_with_must_decide(make_app):
    small, small_page = _home_queries(make_app, 1)
    large, large_page = _home_queries(make_app, 30)
    assert small == large
    # The list itself grows: one row per candidate who must be decided.
    assert _must_decide_rows(small_page) < _must_decide_rows(large_page)


def _must_decide_rows(page: bytes) -> int:
    return page.split(b'id="must-decide"')[1].split(b"</table>")[0].count(b"<tr>")
