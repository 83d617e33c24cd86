"""Scorecards, independent evaluation, My interviews, candidate feedback and the live check."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from recruitcare.domain.enums import (
    ApplicationStatus,
    Decision,
    FeedbackStatus,
    Role,
    ScorecardStatus,
)
from recruitcare.extensions import db
from recruitcare.models import (
    Application,
    AuditEvent,
    CandidateFeedback,
    Criterion,
    FeedbackVersion,
    Interview,
    Reason,
    Scorecard,
    ScorecardVersion,
)
from recruitcare.pipeline import services as pipeline
from recruitcare.pipeline.services import seed_default_reasons
from recruitcare.policies import promise_policy
from tests.factories import login, make_application, make_requisition, make_user

SAFE_STRENGTH = "Explained the caching trade-offs clearly, with numbers."


@pytest.fixture
def team(app):
    """A requisition with two criteria, an interview with two interviewers, and an outsider."""
    with app.app_context():
        seed_default_reasons()
        recruiter = make_user(Role.RECRUITER, email="rec@example.com", name="Rita Recruiter")
        first = make_user(Role.HIRING_MANAGER, email="first@example.com", name="Fay First")
        second = make_user(Role.HIRING_MANAGER, email="second@example.com", name="Sam Second")
        outsider = make_user(Role.HIRING_MANAGER, email="out@example.com")
        requisition = make_requisition(
            recruiter,
            members=[first, second],
            title="Platform Engineer",
            criteria=(
                ("System design", "Designs services that scale."),
                ("Communication", "Explains decisions to the team."),
            ),
        )
        screen = requisition.stages[1]
        application = make_application(requisition, stage=screen)
        held = datetime.now(UTC) - timedelta(days=3)
        interview = pipeline.schedule_interview(
            application,
            stage=screen,
            when=held,
            interviewers=[first, second],
            actor=recruiter,
            now=held,
        )
        outsiders_req = make_requisition(make_user(Role.RECRUITER), members=[outsider])
        db.session.commit()
        return {
            "req": requisition.id,
            "app": application.id,
            "interview": interview.id,
            "criteria": [c.id for c in requisition.criteria],
            "other_req": outsiders_req.id,
        }


def scorecard_data(criteria, *, rating=(3, 2), strength=SAFE_STRENGTH, submit=True, **extra):
    design, talk = criteria
    data = {
        f"rating_{design}": str(rating[0]),
        f"evidence_{design}": "Sketched a queue-based design and sized it for 10k requests/s.",
        f"rating_{talk}": str(rating[1]),
        f"evidence_{talk}": "Answers were long; the summary came only when asked.",
        "strengths-0-criterion": str(design),
        "strengths-0-text": strength,
        "growth-0-criterion": str(talk),
        "growth-0-text": "Lead with the conclusion, then the detail.",
        "next_step": "Practise a two-minute summary of a design you built.",
        "recommendation": "no",
        "private_notes": "Second half was stronger.",
        "submit" if submit else "save": "1",
    }
    data.update(extra)
    return data


def post_scorecard(client, team, **kw):
    return client.post(
        f"/interviews/{team['interview']}/scorecard", data=scorecard_data(team["criteria"], **kw)
    )


def reject(app, team, when=None):
    with app.app_context():
        application = db.session.get(Application, team["app"])
        reason = db.session.scalars(
            select(Reason).where(Reason.requires_details.is_(False))
        ).first()
        pipeline.record_outcome(
            application,
            decision=Decision.REJECT,
            reason=reason,
            actor=application.requisition.owner,
            now=when or datetime.now(UTC),
            policy=promise_policy(app.config),
        )
        db.session.commit()


# ---- scorecards ---------------------------------------------------------------------------------


def test_interviewer_submits_a_complete_scorecard_with_a_first_version(app, client, team):
    login(client, "first@example.com")
    page = client.get(f"/interviews/{team['interview']}/scorecard")
    assert page.status_code == 200
    assert b"Meets the bar" in page.data and b"System design" in page.data

    response = post_scorecard(client, team)
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/applications/{team['app']}/scorecards")
    with app.app_context():
        card = db.session.scalars(select(Scorecard)).one()
        assert card.status is ScorecardStatus.SUBMITTED and card.version == 1
        assert {r.criterion_id: r.rating for r in card.ratings} == dict(
            zip(team["criteria"], (3, 2), strict=True)
        )
        version = db.session.scalars(select(ScorecardVersion)).one()
        assert version.content["ratings"][0]["evidence"].startswith("Sketched")
        assert db.session.scalar(
            select(func.count()).where(AuditEvent.action == "scorecard.submitted")
        )


def test_incomplete_scorecard_cannot_be_submitted_but_loses_nothing(app, client, team):
    login(client, "first@example.com")
    design = team["criteria"][0]
    response = post_scorecard(client, team, **{f"rating_{design}": "", "next_step": ""})
    assert response.status_code == 200
    assert b"Choose a rating." in response.data
    assert b"Suggest a concrete next step." in response.data
    # What was typed is still in the form.
    assert b"Lead with the conclusion" in response.data
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Scorecard)) == 0


def test_a_draft_may_be_incomplete_and_stays_private(app, client, team):
    login(client, "first@example.com")
    response = post_scorecard(client, team, submit=False, next_step="")
    assert response.status_code == 302
    with app.app_context():
        card = db.session.scalars(select(Scorecard)).one()
        assert card.status is ScorecardStatus.DRAFT and card.version == 0
    client.post("/auth/logout")
    login(client, "rec@example.com")
    page = client.get(f"/applications/{team['app']}/scorecards")
    assert b"Second half was stronger" not in page.data
    assert b"No scorecards submitted yet" in page.data


@pytest.mark.parametrize("rating", ["7", "0", "99999999999", "x"])
def test_a_draft_rating_off_the_scale_is_a_form_error(app, client, team, rating):
    """Not saved as a number the scale does not have (PostgreSQL refused the last outright)."""
    login(client, "first@example.com")
    design = team["criteria"][0]
    response = post_scorecard(client, team, submit=False, **{f"rating_{design}": rating})
    assert response.status_code == 200
    assert b"Lead with the conclusion" in response.data  # what was typed is still there
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Scorecard)) == 0


def test_a_recommendation_not_on_the_list_is_a_form_error(app, client, team):
    login(client, "first@example.com")
    response = post_scorecard(client, team, recommendation="hire at once")
    assert response.status_code == 200
    assert b"Choose one of the recommendations." in response.data
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Scorecard)) == 0


def test_blocked_wording_stops_submission_with_reason_and_rewrite(app, client, team):
    login(client, "first@example.com")
    response = post_scorecard(
        client, team, strength="Energetic, but honestly too old for this team."
    )
    assert response.status_code == 200
    assert b"must be reworded" in response.data
    assert b"finding-block" in response.data
    assert b"<mark>too old</mark>" in response.data
    assert b"Try:" in response.data
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Scorecard)) == 0
    # Fixing the phrase lets it through.
    assert post_scorecard(client, team).status_code == 302


def test_private_notes_are_checked_but_only_warned(app, client, team):
    login(client, "first@example.com")
    response = post_scorecard(client, team, private_notes="She seemed too old to keep up.")
    assert response.status_code == 302
    with app.app_context():
        card = db.session.scalars(select(Scorecard)).one()
        assert card.status is ScorecardStatus.SUBMITTED
    page = client.get(f"/interviews/{team['interview']}/scorecard")
    assert b"data-warn-only" in page.data and b"<mark>too old</mark>" in page.data
    assert b"finding-warn" in page.data and b"finding-block" not in page.data


def test_others_scorecards_are_hidden_until_the_reader_submits(app, client, team):
    login(client, "first@example.com")
    assert post_scorecard(client, team, private_notes="First's private view.").status_code == 302
    client.post("/auth/logout")

    login(client, "second@example.com")
    page = client.get(f"/applications/{team['app']}/scorecards")
    assert b"First&#39;s private view" not in page.data
    assert b"1 submitted scorecard is hidden" in page.data
    assert post_scorecard(client, team, rating=(2, 2)).status_code == 302
    page = client.get(f"/applications/{team['app']}/scorecards")
    assert b"First&#39;s private view" in page.data and b"Fay First" in page.data
    client.post("/auth/logout")

    # A recruiter who did not interview reads every submitted scorecard.
    login(client, "rec@example.com")
    page = client.get(f"/applications/{team['app']}/scorecards")
    assert page.data.count(b'class="card scorecard"') == 2


def test_amending_keeps_every_version(app, client, team):
    login(client, "first@example.com")
    post_scorecard(client, team)
    post_scorecard(client, team, rating=(4, 2))
    with app.app_context():
        card = db.session.scalars(select(Scorecard)).one()
        assert card.version == 2
        versions = [v.content["ratings"][0]["rating"] for v in card.versions]
        assert versions == [3, 4]
        actions = db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
        assert actions[-2:] == ["scorecard.submitted", "scorecard.amended"]


def test_only_the_interviews_interviewers_can_open_its_scorecard(app, client, team):
    login(client, "rec@example.com")  # owns the requisition but did not interview
    assert client.get(f"/interviews/{team['interview']}/scorecard").status_code == 404
    client.post("/auth/logout")
    login(client, "out@example.com")
    assert client.get(f"/interviews/{team['interview']}/scorecard").status_code == 404
    assert post_scorecard(client, team).status_code == 404
    assert client.get(f"/applications/{team['app']}/scorecards").status_code == 404


def test_my_interviews_lists_pending_scorecards_with_waiting_time(app, client, team):
    login(client, "first@example.com")
    page = client.get("/interviews/mine")
    assert b"Fill scorecard" in page.data and b"3 days" in page.data
    post_scorecard(client, team, submit=False)
    assert b"Continue draft" in client.get("/interviews/mine").data
    post_scorecard(client, team)
    page = client.get("/interviews/mine")
    assert b"Nothing waiting" in page.data


def test_my_interviews_query_count_does_not_grow(app, client, team):
    from sqlalchemy import event

    login(client, "first@example.com")

    def count_queries():
        seen = []
        with app.app_context():
            engine = db.engine
        listener = lambda *a, **k: seen.append(1)  # noqa: E731
        event.listen(engine, "before_cursor_execute", listener)
        try:
            assert client.get("/interviews/mine").status_code == 200
        finally:
            event.remove(engine, "before_cursor_execute", listener)
        return len(seen)

    few = count_queries()
    with app.app_context():
        interview = db.session.get(Interview, team["interview"])
        requisition = interview.application.requisition
        for _ in range(15):
            application = make_application(requisition, stage=requisition.stages[1])
            pipeline.schedule_interview(
                application,
                stage=requisition.stages[1],
                when=interview.scheduled_at,
                interviewers=interview.interviewers,
                actor=None,
                now=interview.scheduled_at,
            )
        db.session.commit()
    assert count_queries() == few


# ---- candidate-facing feedback ------------------------------------------------------------------


def feedback_data(criteria, *, strengths=None, growth=None, approve=False, **extra):
    design, talk = criteria
    strengths = strengths or [
        (design, "You sized the queue design against real traffic numbers."),
        (talk, "You checked your understanding of the problem before designing."),
    ]
    growth = growth or [(talk, "Lead with your conclusion, then the detail.")]
    data = {"next_step": "Practise a two-minute summary of a design you built.", **extra}
    for i, (cid, text) in enumerate(strengths):
        data[f"strengths-{i}-criterion"], data[f"strengths-{i}-text"] = str(cid), text
    for i, (cid, text) in enumerate(growth):
        data[f"growth-{i}-criterion"], data[f"growth-{i}-text"] = str(cid), text
    data["approve" if approve else "save"] = "1"
    return data


def test_compose_is_prefilled_from_scorecards_with_bands_not_scores(app, client, team):
    login(client, "first@example.com")
    post_scorecard(client, team, rating=(4, 2))
    client.post("/auth/logout")
    login(client, "second@example.com")
    post_scorecard(
        client,
        team,
        rating=(3, 1),
        strength="Designed for failure first: retries, idempotency keys.",
    )
    client.post("/auth/logout")
    reject(app, team)

    login(client, "rec@example.com")
    page = client.get(f"/applications/{team['app']}/feedback")
    assert page.status_code == 200
    body = page.data.decode()
    assert SAFE_STRENGTH in body and "Designed for failure first" in body
    assert "Lead with the conclusion" in body
    # System design averages 3.5: "strong"; Communication 1.5: "developing". No raw numbers.
    assert ">strong<" in body and ">developing<" in body
    assert "3.5" not in body and "1.5" not in body
    assert "Second half was stronger" not in body  # private notes never prefill


def test_compose_is_only_for_candidates_rejected_after_an_interview(app, client, team):
    login(client, "rec@example.com")
    response = client.get(f"/applications/{team['app']}/feedback")
    assert response.status_code == 302
    assert (
        client.post(
            f"/applications/{team['app']}/feedback", data=feedback_data(team["criteria"])
        ).status_code
        == 302
    )
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(CandidateFeedback)) == 0


def test_hiring_manager_drafts_and_recruiter_approves_a_versioned_record(app, client, team):
    reject(app, team)
    login(client, "first@example.com")
    # A hiring manager's approve is refused; the draft is kept.
    client.post(f"/applications/{team['app']}/feedback", data=feedback_data(team["criteria"]))
    response = client.post(
        f"/applications/{team['app']}/feedback",
        data=feedback_data(team["criteria"], approve=True),
    )
    assert b"Only a recruiter can approve" in response.data
    with app.app_context():
        feedback = db.session.scalars(select(CandidateFeedback)).one()
        assert feedback.status is FeedbackStatus.DRAFT and feedback.drafted_by.name == "Fay First"
        assert db.session.scalar(select(func.count()).select_from(FeedbackVersion)) == 0
    client.post("/auth/logout")

    login(client, "rec@example.com")
    page = client.get(f"/applications/{team['app']}/feedback")
    assert b"You sized the queue design" in page.data
    response = client.post(
        f"/applications/{team['app']}/feedback",
        data=feedback_data(team["criteria"], approve=True),
    )
    assert response.status_code == 302
    changed = feedback_data(team["criteria"], approve=True)
    changed["next_step"] = "Prepare one design story with the numbers up front."
    client.post(f"/applications/{team['app']}/feedback", data=changed)
    with app.app_context():
        feedback = db.session.scalars(select(CandidateFeedback)).one()
        assert feedback.status is FeedbackStatus.APPROVED
        assert [v.version for v in feedback.versions] == [1, 2]
        latest = feedback.approved
        assert latest.approved_by.name == "Rita Recruiter" and latest.approved_at is not None
        assert "numbers up front" in latest.text and "System design" in latest.text
        assert latest.content["strengths"][0]["criterion"] == "System design"
        assert "Practise a two-minute" in feedback.versions[0].text  # the old record is kept


def test_composition_rules_are_enforced(app, client, team):
    reject(app, team)
    login(client, "rec@example.com")
    design, talk = team["criteria"]
    response = client.post(
        f"/applications/{team['app']}/feedback",
        data=feedback_data(
            team["criteria"],
            strengths=[(design, "Sized the design well.")],
            growth=[("", "Lead with the conclusion.")],
            approve=True,
        ),
    )
    assert b"Give 2 or 3 strengths." in response.data
    assert b"Tie each of the growth areas to one of the job" in response.data
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(FeedbackVersion)) == 0


def test_blocked_feedback_needs_an_audited_override(app, client, team):
    reject(app, team)
    login(client, "rec@example.com")
    design, talk = team["criteria"]
    risky = feedback_data(
        team["criteria"],
        strengths=[
            (design, "You sized the queue design against real traffic numbers."),
            (talk, "Clear speaker; your accent was not a problem."),
        ],
        approve=True,
    )
    response = client.post(f"/applications/{team['app']}/feedback", data=risky)
    assert response.status_code == 200
    assert b"must be fixed, or overridden with a reason" in response.data
    assert b"override_reason" in response.data
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(FeedbackVersion)) == 0

    risky["override_reason"] = "The role is customer-facing phone support; reviewed with legal."
    assert client.post(f"/applications/{team['app']}/feedback", data=risky).status_code == 302
    with app.app_context():
        version = db.session.scalars(select(FeedbackVersion)).one()
        assert version.override_reason.startswith("The role is customer-facing")
        assert any(f["severity"] == "block" for f in version.findings)
        event = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "feedback.override")
        ).one()
        assert event.payload["reason"].startswith("The role is")
        assert event.payload["rules"]


def test_feedback_of_another_team_is_404(app, client, team):
    reject(app, team)
    login(client, "out@example.com")
    assert client.get(f"/applications/{team['app']}/feedback").status_code == 404
    response = client.post(
        f"/applications/{team['app']}/feedback", data=feedback_data(team["criteria"])
    )
    assert response.status_code == 404


# ---- the live check -----------------------------------------------------------------------------


def test_check_endpoint_returns_findings_with_offsets(app, client, team):
    login(client, "first@example.com")
    text = "Strong coder but too old for a fast team."
    response = client.post("/feedback/check", json={"text": text, "requisition_id": team["req"]})
    assert response.status_code == 200
    data = response.get_json()
    assert data["worst"] == "block"
    finding = next(f for f in data["findings"] if f["severity"] == "block")
    assert text[finding["start"] : finding["end"]] == "too old"
    assert "System design" in finding["suggestion"]
    assert client.post("/feedback/check", json={"text": "Clear design write-up."}).get_json() == {
        "findings": [],
        "worst": None,
        "warn_only": False,
    }


def test_check_endpoint_refuses_bad_input_and_other_teams(app, client, team):
    login(client, "first@example.com")
    assert client.post("/feedback/check", data="text").status_code == 400
    assert client.post("/feedback/check", json={"text": 5}).status_code == 400
    assert client.post("/feedback/check", json={"text": "x" * 20_000}).status_code == 413
    other = client.post("/feedback/check", json={"text": "ok", "requisition_id": team["other_req"]})
    assert other.status_code == 404


def test_check_endpoint_needs_sign_in_and_csrf(make_app, team):
    csrf_app = make_app(WTF_CSRF_ENABLED=True)
    client = csrf_app.test_client()
    with csrf_app.app_context():
        make_user(Role.HIRING_MANAGER, email="csrf@example.com")
        db.session.commit()
    page = client.get("/auth/login")
    token = page.data.split(b'name="csrf_token" type="hidden" value="')[1].split(b'"')[0].decode()
    headers = {"X-CSRFToken": token}
    assert client.post("/feedback/check", json={"text": "too old"}).status_code == 400
    anonymous = client.post("/feedback/check", json={"text": "too old"}, headers=headers)
    assert anonymous.status_code == 302 and "/auth/login" in anonymous.headers["Location"]
    login(client, "csrf@example.com", csrf_token=token)
    assert client.post("/feedback/check", json={"text": "too old"}).status_code == 400
    ok = client.post("/feedback/check", json={"text": "too old"}, headers=headers)
    assert ok.status_code == 200 and ok.get_json()["worst"] == "block"


def test_application_page_links_scorecards_and_feedback(app, client, team):
    login(client, "first@example.com")
    page = client.get(f"/applications/{team['app']}")
    assert f"/interviews/{team['interview']}/scorecard".encode() in page.data
    assert b"Not started" in page.data
    reject(app, team)
    client.post("/auth/logout")
    login(client, "rec@example.com")
    page = client.get(f"/applications/{team['app']}")
    assert f"/applications/{team['app']}/feedback".encode() in page.data
    assert b"Not written" in page.data


def test_criteria_deleted_after_scoring_do_not_break_pages(app, client, team):
    login(client, "first@example.com")
    post_scorecard(client, team)
    with app.app_context():
        db.session.delete(db.session.get(Criterion, team["criteria"][1]))
        db.session.commit()
        assert db.session.get(Application, team["app"]).status is ApplicationStatus.ACTIVE
    assert client.get(f"/applications/{team['app']}/scorecards").status_code == 200
    assert client.get(f"/interviews/{team['interview']}/scorecard").status_code == 200


def test_suggestions_name_the_criterion_the_item_is_about(app, client, team):
    login(client, "first@example.com")
    design, talk = team["criteria"]
    response = post_scorecard(
        client,
        team,
        strength="Clear speaker, though too old for a fast team.",
        **{"strengths-0-criterion": str(talk)},
    )
    suggestion = response.data.split(b'class="suggestion"')[1].split(b"</span>")[0]
    assert b"Communication" in suggestion and b"System design" not in suggestion
