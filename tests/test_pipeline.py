"""The recruiter's workspace: requisitions, setup, outcomes with reasons, undo, proposals, bulk."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from recruitcare.domain.enums import ApplicationStatus, Decision, OutcomeStatus, Role
from recruitcare.extensions import db
from recruitcare.models import Application, AuditEvent, Reason, Requisition, StageOutcome
from recruitcare.pipeline import services
from recruitcare.pipeline.services import seed_default_reasons
from recruitcare.policies import promise_policy
from tests.factories import NOW, login, make_application, make_requisition, make_user


@pytest.fixture
def team(app):
    """A recruiter who owns a requisition with one application, and its hiring manager."""
    with app.app_context():
        seed_default_reasons()
        recruiter = make_user(Role.RECRUITER, email="rec@example.com")
        manager = make_user(Role.HIRING_MANAGER, email="hm@example.com")
        outsider = make_user(Role.HIRING_MANAGER, email="other-hm@example.com")
        requisition = make_requisition(recruiter, members=[manager], title="Data Engineer")
        application = make_application(requisition)
        db.session.commit()
        return {
            "req": requisition.id,
            "app": application.id,
            "outsider": outsider.email,
            "reasons": {r.code: r.id for r in db.session.scalars(select(Reason))},
        }


def _app(app, application_id):
    with app.app_context():
        application = db.session.get(Application, application_id)
        _ = application.stage.name, application.requisition.stages
        return application


def _events(app, action):
    with app.app_context():
        return db.session.scalars(select(AuditEvent).filter_by(action=action)).all()


def test_recruiter_creates_a_requisition_with_the_default_stages(app, client, team):
    login(client, "rec@example.com")
    response = client.post(
        "/requisitions/new",
        data={
            "title": " Platform Engineer ",
            "team": "Infra",
            "location": "Toronto",
            "owner": "1",
            "status": "open",
            "promise_days": "5",
            "publicly_advertised": "y",
        },
    )
    assert response.status_code == 302
    with app.app_context():
        requisition = db.session.scalar(select(Requisition).filter_by(title="Platform Engineer"))
        assert [s.name for s in requisition.stages] == [
            "Application review",
            "Recruiter screen",
            "Hiring manager interview",
            "Panel interview",
            "Offer",
        ]
        assert {s.promise_days for s in requisition.stages} == {5}
    assert response.headers["Location"].endswith(f"/requisitions/{requisition.id}/setup")


def test_requisition_form_errors_rerender(client, team):
    login(client, "rec@example.com")
    response = client.post("/requisitions/new", data={"title": "", "owner": "1", "status": "open"})
    assert response.status_code == 200
    assert "This field is required." in response.get_data(as_text=True)


def test_setup_adds_and_reorders_criteria_and_stages(app, client, team):
    login(client, "rec@example.com")
    base = f"/requisitions/{team['req']}"
    client.post(f"{base}/criteria", data={"name": "SQL", "description": "Writes good SQL"})
    with app.app_context():
        requisition = db.session.get(Requisition, team["req"])
        assert [c.name for c in requisition.criteria] == ["Python", "SQL"]
        sql_id = requisition.criteria[1].id
        offer = requisition.stages[-1]
    client.post(f"{base}/criteria/{sql_id}/move", data={"direction": "up"})
    client.post(
        f"{base}/stages", data={"name": "Take-home", "promise_days": "4", "is_interview": "y"}
    )
    client.post(f"{base}/stages/{offer.id}", data={"name": "Offer", "promise_days": "3"})
    with app.app_context():
        requisition = db.session.get(Requisition, team["req"])
        assert [c.name for c in requisition.criteria] == ["SQL", "Python"]
        assert [s.name for s in requisition.stages][-2:] == ["Take-home", "Offer"]
        assert requisition.stages[-1].promise_days == 3
        first_stage = requisition.stages[0].id
    response = client.post(f"{base}/stages/{first_stage}/delete", follow_redirects=True)
    assert "still has applications" in response.get_data(as_text=True)


def test_status_change_is_audited(app, client, team):
    login(client, "rec@example.com")
    client.post(
        f"/requisitions/{team['req']}/edit",
        data={"title": "Data Engineer", "owner": "1", "status": "on_hold"},
    )
    [event] = _events(app, "requisition.status_changed")
    assert event.payload == {"old": "open", "new": "on_hold"}


def test_advance_moves_the_stage_and_renews_the_promise(app, client, team):
    login(client, "rec@example.com")
    before = _app(app, team["app"])
    client.post(f"/applications/{team['app']}/outcome", data={"decision": "advance"})
    after = _app(app, team["app"])
    assert after.stage.name == "Recruiter screen"
    assert after.status is ApplicationStatus.ACTIVE
    assert after.decision_due_at > before.decision_due_at
    assert after.last_contact_at is not None
    assert _events(app, "outcome.recorded")[0].payload["decision"] == "advance"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"decision": "reject"}, "Reject needs a reason."),
        ({"decision": "withdrawn", "reason": "criteria_mismatch"}, "Candidate withdrew needs"),
        ({"decision": "reject", "reason": "other_reject"}, "needs written details"),
    ],
)
def test_reject_and_withdraw_need_a_fitting_reason(app, client, team, data, message):
    login(client, "rec@example.com")
    if "reason" in data:
        data = {**data, "reason": str(team["reasons"][data["reason"]])}
    response = client.post(f"/applications/{team['app']}/outcome", data=data)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert _app(app, team["app"]).status is ApplicationStatus.ACTIVE


def test_reject_with_reason_closes_and_undo_restores(app, client, team):
    login(client, "rec@example.com")
    before = _app(app, team["app"])
    client.post(
        f"/applications/{team['app']}/outcome",
        data={"decision": "reject", "reason": str(team["reasons"]["criteria_mismatch"])},
    )
    rejected = _app(app, team["app"])
    assert rejected.status is ApplicationStatus.REJECTED
    assert rejected.decision_due_at is None and rejected.closed_at is not None
    with app.app_context():
        outcome = db.session.scalar(select(StageOutcome))
    client.post(f"/outcomes/{outcome.id}/undo")
    restored = _app(app, team["app"])
    assert restored.status is ApplicationStatus.ACTIVE
    assert restored.decision_due_at == before.decision_due_at
    assert restored.stage_id == before.stage_id and restored.closed_at is None
    assert _events(app, "outcome.undone")


def test_undo_is_refused_the_next_day(app, team):
    with app.app_context():
        application = db.session.get(Application, team["app"])
        policy = promise_policy(app.config)
        actor = application.requisition.owner
        outcome = services.record_outcome(
            application, decision=Decision.HOLD, actor=actor, now=NOW, policy=policy
        )
        with pytest.raises(services.PipelineError, match="on the day"):
            services.undo_outcome(outcome, actor=actor, now=NOW + timedelta(days=1), policy=policy)


def test_only_the_latest_outcome_can_be_undone(app, team):
    with app.app_context():
        application = db.session.get(Application, team["app"])
        policy, actor = promise_policy(app.config), application.requisition.owner
        first = services.record_outcome(
            application, decision=Decision.ADVANCE, actor=actor, now=NOW, policy=policy
        )
        services.record_outcome(
            application, decision=Decision.HOLD, actor=actor, now=NOW, policy=policy
        )
        with pytest.raises(services.PipelineError, match="latest"):
            services.undo_outcome(first, actor=actor, now=NOW, policy=policy)


def test_hiring_manager_proposes_and_recruiter_confirms(app, client, team):
    login(client, "hm@example.com")
    client.post(f"/applications/{team['app']}/outcome", data={"decision": "advance"})
    assert _app(app, team["app"]).stage.name == "Application review"  # not moved yet
    with app.app_context():
        proposal = db.session.scalar(select(StageOutcome))
        assert proposal.status is OutcomeStatus.PROPOSED
    assert client.post(f"/outcomes/{proposal.id}/confirm").status_code == 403
    recruiter = app.test_client()
    login(recruiter, "rec@example.com")
    assert "Proposed by the hiring team" in recruiter.get(f"/applications/{team['app']}").text
    recruiter.post(f"/outcomes/{proposal.id}/confirm")
    assert _app(app, team["app"]).stage.name == "Recruiter screen"
    assert recruiter.post(f"/outcomes/{proposal.id}/confirm", follow_redirects=True).text.count(
        "already handled"
    )


def test_hiring_managers_cannot_schedule_or_bulk(client, team):
    login(client, "hm@example.com")
    assert client.get(f"/requisitions/{team['req']}").status_code == 200
    assert client.post(f"/applications/{team['app']}/interviews").status_code == 403
    assert client.post(f"/requisitions/{team['req']}/bulk").status_code == 403
    assert client.get(f"/requisitions/{team['req']}/setup").status_code == 403


def test_other_teams_objects_are_404(client, team):
    login(client, team["outsider"])
    assert client.get(f"/requisitions/{team['req']}").status_code == 404
    assert client.get(f"/requisitions/{team['req']}/applications").status_code == 404
    assert client.get(f"/applications/{team['app']}").status_code == 404
    response = client.post(f"/applications/{team['app']}/outcome", data={"decision": "advance"})
    assert response.status_code == 404


def test_interview_with_hiring_team_interviewers(app, client, team):
    login(client, "rec@example.com")
    with app.app_context():
        requisition = db.session.get(Requisition, team["req"])
        screen = requisition.stages[1]
        manager = requisition.members[0]
    response = client.post(
        f"/applications/{team['app']}/interviews",
        data={
            "stage": screen.id,
            "scheduled_at": "2026-11-25T10:30",
            "interviewers": [str(manager.id)],
        },
    )
    assert response.status_code == 302
    page = client.get(f"/applications/{team['app']}").text
    assert "Interview (Recruiter screen) with" in page and manager.name in page
    assert "Wed 25 Nov 2026, 10:30" in page
    outsider = client.post(
        f"/applications/{team['app']}/interviews",
        data={"stage": screen.id, "scheduled_at": "2026-11-25T10:30", "interviewers": ["999"]},
    )
    assert outsider.status_code == 200
    assert "is not a valid choice" in outsider.text


def test_bulk_reject_reports_changed_and_skipped(app, client, team):
    with app.app_context():
        requisition = db.session.get(Requisition, team["req"])
        others = [make_application(requisition) for _ in range(2)]
        reason = db.session.get(Reason, team["reasons"]["closer_candidate"])
        services.record_outcome(
            others[1],
            decision=Decision.REJECT,
            reason=reason,
            actor=requisition.owner,
            now=NOW,
            policy=promise_policy(app.config),
        )
        db.session.commit()
        ids = [team["app"], others[0].id, others[1].id]
    login(client, "rec@example.com")
    response = client.post(
        f"/requisitions/{team['req']}/bulk",
        data={
            "application_ids": [str(i) for i in ids],
            "action": "reject",
            "reason": str(team["reasons"]["closer_candidate"]),
        },
        follow_redirects=True,
    )
    assert "2 of 3 applications changed" in response.text
    assert "Skipped" in response.text and "already rejected" in response.text


def test_bulk_ignores_applications_of_other_requisitions(app, client, team):
    with app.app_context():
        elsewhere = make_application()
        db.session.commit()
        foreign_id = elsewhere.id
    login(client, "rec@example.com")
    client.post(
        f"/requisitions/{team['req']}/bulk",
        data={"application_ids": [str(foreign_id)], "action": "hold"},
    )
    assert _app(app, foreign_id).status is ApplicationStatus.ACTIVE


def test_board_shows_promise_badges(app, client, team):
    with app.app_context():
        application = db.session.get(Application, team["app"])
        application.decision_due_at = NOW - timedelta(days=3)
        db.session.commit()
    login(client, "rec@example.com")
    page = client.get(f"/requisitions/{team['req']}").text
    assert "badge badge-danger" in page and "Overdue" in page


def test_reasons_admin_refuses_fit(app, client, team):
    with app.app_context():
        make_user(Role.ADMIN, email="boss@example.com")
        db.session.commit()
    login(client, "boss@example.com")
    data = {
        "code": "Team Fit!",
        "decision": "reject",
        "label": "Not a culture fit",
        "candidate_explanation": "x",
        "active": "y",
    }
    assert "not a reason a candidate can act on" in client.post("/admin/reasons", data=data).text
    data |= {"label": "Did not hold the required licence", "code": "No licence"}
    assert client.post("/admin/reasons", data=data).status_code == 302
    with app.app_context():
        assert db.session.scalar(select(Reason).filter_by(code="no_licence")) is not None


def test_hiring_manager_home_lists_their_interviews(app, client, team):
    with app.app_context():
        application = db.session.get(Application, team["app"])
        requisition = application.requisition
        services.schedule_interview(
            application,
            stage=requisition.stages[2],
            when=NOW + timedelta(days=400),
            interviewers=requisition.members,
            actor=requisition.owner,
            now=NOW,
        )
        db.session.commit()
        name = application.candidate.name
    login(client, "hm@example.com")
    page = client.get("/").text
    assert "Your interviews" in page and name in page and "Hiring manager interview" in page
    other = app.test_client()
    login(other, team["outsider"])
    assert name not in other.get("/").text
