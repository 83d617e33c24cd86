"""The candidate portal: private links, what the candidate sees, and what they can do."""

import json
import logging
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, inspect, select

from recruitcare.domain.enums import ApplicationStatus, Decision, Recommendation, Role
from recruitcare.domain.feedback import FeedbackDraft, Item
from recruitcare.domain.portal import RequestKind
from recruitcare.domain.tokens import hash_token
from recruitcare.extensions import db
from recruitcare.feedback import services as feedback
from recruitcare.models import (
    Application,
    AuditEvent,
    Candidate,
    CandidateLink,
    OutboxMessage,
    Reason,
    Requisition,
)
from recruitcare.models.portal import CandidateNote, CandidateRequest, FeedbackRating, PoolConsent
from recruitcare.pipeline import services as pipeline
from recruitcare.pipeline.services import seed_default_reasons
from recruitcare.policies import promise_policy
from recruitcare.portal import links
from tests.factories import NOW, login, make_application, make_candidate, make_user

PRIVATE = "PRIVATE-NOTE-7731"
EVIDENCE = "EVIDENCE-NOTE-5512"
OTHER_NAME = "Zebulon Othercandidate"
OTHER_EMAIL = "zebulon.other@example.com"
INTERVIEWER_EMAIL = "hm.private@example.com"
INTERNAL_REASON = "INTERNAL-REASON-DETAIL-4410"
MARKERS = (PRIVATE, EVIDENCE, OTHER_NAME, OTHER_EMAIL, INTERVIEWER_EMAIL, INTERNAL_REASON)


def _now():
    return NOW + timedelta(days=2)


@pytest.fixture
def clock(monkeypatch):
    """Portal views read the clock; tests pin it a little after the seeded events."""
    moment = {"now": _now()}
    for module in (
        "recruitcare.portal.views",
        "recruitcare.candidate_requests.views",
    ):
        monkeypatch.setattr(f"{module}.utcnow", lambda: moment["now"])
    return moment


def _interviewed(requisition, candidate, hm, recruiter, policy, *, evidence=EVIDENCE):
    application = make_application(requisition, candidate)
    pipeline.record_outcome(
        application, decision=Decision.ADVANCE, actor=recruiter, now=NOW, policy=policy
    )
    interview = pipeline.schedule_interview(
        application,
        stage=application.stage,
        when=NOW,
        interviewers=[hm],
        actor=recruiter,
        now=NOW,
    )
    criteria = requisition.criteria
    data = feedback.ScorecardInput(
        ratings={c.id: 3 for c in criteria},
        evidence={c.id: f"{evidence} about {c.name}" for c in criteria},
        strengths=[Item(criteria[0].id, "Your design walk-through was clear and concrete.")],
        growth=[Item(criteria[1].id, "Show how you measured the result of your work.")],
        next_step="Practise a two-minute summary of one project with its numbers.",
        recommendation=Recommendation.NO,
        private_notes=PRIVATE,
    )
    feedback.save_scorecard(interview, hm, data, submit=True, now=NOW)
    return application


@pytest.fixture
def world(app):
    """A rejected, interviewed candidate with approved feedback and a link; plus another
    candidate on the same job, whose details must never show on the first one's page."""
    with app.app_context():
        seed_default_reasons()
        policy = promise_policy(app.config)
        recruiter = make_user(Role.RECRUITER, email="rita@example.com", name="Rita Recruiter")
        hm = make_user(Role.HIRING_MANAGER, email=INTERVIEWER_EMAIL, name="Hana Manager")
        requisition = pipeline.create_requisition(
            title="Data Engineer",
            owner=recruiter,
            actor=recruiter,
            now=NOW,
            location="Toronto",
            role_family="Engineering",
            members=[hm],
            criteria=[("System design", "Designs data flows."), ("Delivery", "Ships results.")],
        )
        candidate = make_candidate(name="Amara Okafor", email="amara@example.com")
        application = _interviewed(requisition, candidate, hm, recruiter, policy)
        other = _interviewed(
            requisition,
            make_candidate(name=OTHER_NAME, email=OTHER_EMAIL),
            hm,
            recruiter,
            policy,
        )
        reason = db.session.scalar(select(Reason).where(Reason.code == "criteria_mismatch"))
        for a in (application, other):
            pipeline.record_outcome(
                a,
                decision=Decision.REJECT,
                reason=reason,
                details=INTERNAL_REASON,
                actor=recruiter,
                now=NOW,
                policy=policy,
            )
        criteria = requisition.criteria
        draft = FeedbackDraft(
            strengths=[
                Item(criteria[0].id, "Your design walk-through was clear and concrete."),
                Item(criteria[1].id, "You explained the trade-offs of your last release."),
            ],
            growth=[Item(criteria[1].id, "Show how you measured the result of your work.")],
            next_step="Practise a two-minute summary of one project with its numbers.",
        )
        feedback.approve_feedback(application, draft, actor=recruiter, now=NOW)
        token = links.issue_link(application.id, now=NOW)
        other_token = links.issue_link(other.id, now=NOW)
        db.session.commit()
        return {
            "token": token,
            "other_token": other_token,
            "application": application.id,
            "requisition": requisition.id,
            "recruiter": recruiter.id,
        }


def page(client, token):
    return client.get(f"/c/{token}")


# ---- the link ------------------------------------------------------------------------------------


def test_tokens_are_256_bits_from_secrets_and_only_their_hash_is_stored(app, world, monkeypatch):
    import secrets

    from recruitcare.domain import tokens

    calls = []
    real = secrets.token_urlsafe
    monkeypatch.setattr(tokens.secrets, "token_urlsafe", lambda n: calls.append(n) or real(n))
    token = tokens.new_token()
    assert calls == [32]
    assert len(token) == 43 and re.fullmatch(r"[A-Za-z0-9_-]{43}", token)
    assert len({tokens.new_token() for _ in range(200)}) == 200
    with app.app_context():
        stored = db.session.scalars(select(CandidateLink.token_hash)).all()
    assert hash_token(world["token"]) in stored
    assert world["token"] not in stored


def test_the_raw_token_is_nowhere_in_the_database_after_a_full_flow(app, client, world, clock):
    token = world["token"]
    client.post(
        f"/c/{token}/call",
        data={"call-times": "Tuesday after 2 pm", "call-timezone": "UTC", "call-medium": "video"},
    )
    client.post(f"/c/{token}/question", data={"question-question": "What should I practise?"})
    client.post(f"/c/{token}/rating", data={"rating-rating": "4"})
    client.post(
        f"/c/{token}/pool",
        data={"pool-role_families": ["Engineering"], "pool-months": "12"},
    )
    client.post(f"/c/{token}/note", data={"note-body": "Thank you for your time."})
    client.get(f"/c/{token}/my-data.json")
    with app.app_context():
        for table in db.metadata.sorted_tables:
            for row in db.session.execute(select(table)):
                assert token not in repr(tuple(row)), table.name


def _invalid_cases(app, world, clock):
    """A token for each way a link can fail."""
    with app.app_context():
        application = db.session.get(Application, world["application"])
        revoked = links.issue_link(application.id, now=NOW)
        db.session.flush()
        db.session.execute(
            CandidateLink.__table__.update()
            .where(CandidateLink.token_hash == hash_token(revoked))
            .values(revoked_at=NOW)
        )
        # Expired: a closed application whose link outlived PORTAL_LINK_DAYS.
        expired_app = make_application(
            db.session.get(Requisition, world["requisition"]),
            make_candidate(name="Old Timer", email="old@example.com"),
        )
        expired_app.status = ApplicationStatus.REJECTED
        expired_app.closed_at = NOW - timedelta(days=app.config["PORTAL_LINK_DAYS"] + 1)
        expired = links.issue_link(expired_app.id, now=NOW)
        # Deleted: the person was anonymised.
        gone_app = make_application(
            db.session.get(Requisition, world["requisition"]),
            make_candidate(name="Gone Person", email="gone@example.com"),
        )
        gone = links.issue_link(gone_app.id, now=NOW)
        gone_app.candidate.anonymised_at = NOW
        db.session.commit()
    good = world["token"]
    return {
        "unknown": "A" * 43,
        "altered": good[:-1] + ("B" if good[-1] != "B" else "C"),
        "short": good[:20],
        "odd characters": "%3Cscript%3E",
        "revoked": revoked,
        "expired": expired,
        "deleted": gone,
        "extra path": f"{good}x/unknown",
    }


def test_every_invalid_link_gets_the_same_404_page(app, client, world, clock):
    bodies = {}
    for case, token in _invalid_cases(app, world, clock).items():
        response = client.get(f"/c/{token}")
        assert response.status_code == 404, case
        bodies[case] = response.data
    assert len(set(bodies.values())) == 1, {k: len(v) for k, v in bodies.items()}
    assert b"This link is not valid" in next(iter(bodies.values()))
    # A fresh visitor (no cookies) sees the same bytes too.
    assert app.test_client().get("/c/" + "A" * 43).data == bodies["unknown"]


def test_a_link_expires_after_the_configured_days_and_stops_on_deletion(app, client, world, clock):
    with app.app_context():
        closed_at = db.session.get(Application, world["application"]).closed_at
    clock["now"] = closed_at + timedelta(days=app.config["PORTAL_LINK_DAYS"]) - timedelta(hours=1)
    assert page(client, world["token"]).status_code == 200
    clock["now"] += timedelta(hours=2)
    assert page(client, world["token"]).status_code == 404


def test_opening_the_link_with_get_or_head_changes_nothing(app, client, world, clock):
    def snapshot():
        with app.app_context():
            return {
                t.name: db.session.execute(select(func.count()).select_from(t)).scalar()
                for t in db.metadata.sorted_tables
            } | {
                "links": [
                    tuple(r) for r in db.session.execute(select(CandidateLink.__table__)).all()
                ],
                "applications": [
                    tuple(r) for r in db.session.execute(select(Application.__table__)).all()
                ],
            }

    before = snapshot()
    token = world["token"]
    for path in ("", "/withdraw", "/delete", "/my-data.json"):
        assert client.get(f"/c/{token}{path}").status_code in (200, 302)
        assert client.head(f"/c/{token}{path}").status_code in (200, 302)
    assert snapshot() == before


def test_every_portal_response_sends_the_privacy_headers(app, client, world, clock):
    token = world["token"]
    responses = [
        client.get(f"/c/{token}"),
        client.get("/c/" + "A" * 43),
        client.get(f"/c/{token}/my-data.json"),
        client.get("/c/new"),
        client.post(f"/c/{token}/question", data={}),
    ]
    for response in responses:
        assert response.headers["Referrer-Policy"] == "no-referrer"
        assert response.headers["Cache-Control"] == "no-store"
        assert "noindex" in response.headers["X-Robots-Tag"]
    body = responses[0].get_data(as_text=True)
    # Nothing is loaded from another site.
    assert not re.search(r'(src|href)="(https?:)?//', body)


def test_every_action_needs_a_csrf_token(make_app, world):
    app = make_app(WTF_CSRF_ENABLED=True)
    with app.app_context():
        seed_default_reasons()
    client = app.test_client()
    for action in ("call", "question", "rating", "pool", "pool/stop", "note", "withdraw", "delete"):
        response = client.post(f"/c/{'A' * 43}/{action}", data={})
        assert response.status_code == 400, action
    assert client.post("/c/new", data={"email": "a@example.com"}).status_code == 400


def test_the_portal_is_rate_limited(make_app):
    app = make_app(RATELIMIT_ENABLED=True, PORTAL_RATE_LIMIT="5 per minute")
    client = app.test_client()
    codes = [client.get("/c/" + "A" * 43).status_code for _ in range(7)]
    assert codes[:5] == [404] * 5
    assert codes[5:] == [429, 429]


def test_the_token_never_reaches_the_logs(app, client, world, clock, caplog):
    from recruitcare.logs import REDACT

    caplog.set_level(logging.INFO)
    token = world["token"]
    record = logging.LogRecord(
        "werkzeug",
        logging.INFO,
        __file__,
        1,
        '"%s" %s %s',
        (f"GET /c/{token} HTTP/1.1", 200, 5),
        None,
    )
    REDACT.filter(record)
    assert token not in record.getMessage()
    assert "/c/[redacted]" in record.getMessage()
    assert REDACT in logging.getLogger("werkzeug").filters
    # An error report names the path too.
    app.logger.error("Exception on /c/%s/call [POST]", token)
    assert token not in caplog.text and "/c/[redacted]/call" in caplog.text


# ---- what the candidate sees -------------------------------------------------------------------


def test_the_page_shows_standing_and_feedback_in_bands(app, client, world, clock):
    body = page(client, world["token"]).get_data(as_text=True)
    assert "Data Engineer" in body
    assert "This process has ended" in body
    assert "Your design walk-through was clear and concrete." in body
    assert "System design" in body and "solid" in body
    assert "Practise a two-minute summary" in body
    # Ratings are never shown as scores.
    assert "3/4" not in body and "rating 3" not in body


def test_an_open_application_shows_when_they_will_hear_back(app, client, world, clock):
    with app.app_context():
        application = make_application(
            db.session.get(Requisition, world["requisition"]),
            make_candidate(name="Bea Open", email="bea@example.com"),
        )
        token = links.issue_link(application.id, now=NOW)
        due = application.decision_due_at.strftime("%-d %B %Y")
        db.session.commit()
    body = page(client, token).get_data(as_text=True)
    assert "You will hear from us by" in body and due in body
    assert "Withdraw my application" in body


def test_private_notes_and_other_candidates_never_appear(app, client, world, clock):
    token = world["token"]
    client.post(f"/c/{token}/question", data={"question-question": "What should I practise?"})
    pages = [
        client.get(f"/c/{token}"),
        client.get(f"/c/{token}/my-data.json"),
        client.get(f"/c/{token}/withdraw"),
        client.get(f"/c/{token}/delete"),
        client.post(f"/c/{token}/note", data={}),
    ]
    for response in pages:
        body = response.get_data(as_text=True)
        for marker in MARKERS:
            assert marker not in body, (response.request.path, marker)


def test_the_data_download_is_the_persons_own_json(app, client, world, clock):
    response = client.get(f"/c/{world['token']}/my-data.json")
    assert response.mimetype == "application/json"
    assert "attachment" in response.headers["Content-Disposition"]
    document = json.loads(response.data)
    assert document["person"]["email"] == "amara@example.com"
    [application] = document["applications"]
    assert application["job"] == "Data Engineer"
    assert application["feedback"]["strengths"][0]["band"] == "solid"
    assert [s["decision"] for s in application["stages"]] == ["advance", "reject"]


# ---- what the candidate can do -----------------------------------------------------------------


def test_asking_for_a_call_creates_a_task_with_a_promise(app, client, world, clock):
    response = client.post(
        f"/c/{world['token']}/call",
        data={
            "call-times": "Tuesday or Thursday after 2 pm",
            "call-timezone": "America/Toronto",
            "call-medium": "phone",
            "call-phone": "+1 416 555 0101",
        },
    )
    assert response.status_code == 302
    with app.app_context():
        [task] = db.session.scalars(select(CandidateRequest)).all()
        assert task.kind is RequestKind.CALL
        assert task.details == {
            "medium": "phone",
            "timezone": "America/Toronto",
            "phone": "+1 416 555 0101",
        }
        assert task.respond_by > clock["now"]
    assert "We will get back to you by" in page(client, world["token"]).get_data(as_text=True)


def test_a_phone_call_needs_a_number_and_nothing_is_lost(app, client, world, clock):
    response = client.post(
        f"/c/{world['token']}/call",
        data={"call-times": "Mornings", "call-timezone": "UTC", "call-medium": "phone"},
    )
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert "Give a number we can call you on" in body
    assert "Mornings" in body
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(CandidateRequest)) == 0


def test_one_follow_up_question_answered_on_the_page_and_by_email(app, client, world, clock):
    token = world["token"]
    assert (
        client.post(
            f"/c/{token}/question", data={"question-question": "Which resource would help?"}
        ).status_code
        == 302
    )
    again = client.post(f"/c/{token}/question", data={"question-question": "And another?"})
    assert again.status_code == 422
    assert "already asked" in again.get_data(as_text=True)
    with app.app_context():
        question = db.session.scalar(select(CandidateRequest))
        question_id = question.id
    staff = app.test_client()
    login(staff, "rita@example.com")
    listed = staff.get("/requests").get_data(as_text=True)
    assert "Follow-up question" in listed and "Amara Okafor" in listed
    answer = "Try the public system design primer, chapter on data pipelines."
    response = staff.post(f"/requests/{question_id}/answer", data={"answer": answer})
    assert response.status_code == 302
    assert answer in page(client, token).get_data(as_text=True)
    with app.app_context():
        [mail] = db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.purpose == "answer")
        ).all()
        assert mail.recipient == "amara@example.com"
        assert answer in mail.text_body and mail.reply_to == "rita@example.com"


def test_an_answer_with_risky_wording_is_held(app, client, world, clock):
    client.post(f"/c/{world['token']}/question", data={"question-question": "Why not me?"})
    with app.app_context():
        question_id = db.session.scalar(select(CandidateRequest.id))
    staff = app.test_client()
    login(staff, "rita@example.com")
    response = staff.post(
        f"/requests/{question_id}/answer",
        data={"answer": "Honestly you were not a culture fit and seemed too old for the team."},
    )
    assert response.status_code == 422
    assert "Reword the flagged phrases" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(CandidateRequest.answer)) == ""
        assert db.session.scalar(select(func.count()).where(OutboxMessage.purpose == "answer")) == 0


def test_helpfulness_rating_can_be_changed(app, client, world, clock):
    token = world["token"]
    client.post(f"/c/{token}/rating", data={"rating-rating": "2"})
    client.post(f"/c/{token}/rating", data={"rating-rating": "5", "rating-comment": "Useful."})
    with app.app_context():
        [rating] = db.session.scalars(select(FeedbackRating)).all()
        assert (rating.rating, rating.comment) == (5, "Useful.")
    assert client.post(f"/c/{token}/rating", data={"rating-rating": "9"}).status_code == 422


def test_opting_into_other_roles_puts_them_in_the_pool_until_it_expires(app, client, world, clock):
    token = world["token"]
    response = client.post(
        f"/c/{token}/pool",
        data={
            "pool-role_families": ["Engineering"],
            "pool-locations": ["Toronto"],
            "pool-months": "6",
        },
    )
    assert response.status_code == 302
    staff = app.test_client()
    login(staff, "rita@example.com")
    pool = staff.get("/talent-pool").get_data(as_text=True)
    assert "Amara Okafor" in pool
    assert "Your design walk-through was clear and concrete." in pool
    with app.app_context():
        consent = db.session.scalar(select(PoolConsent))
        assert consent.expires_at == clock["now"] + timedelta(days=180)
    clock["now"] += timedelta(days=181)
    assert "Amara Okafor" not in staff.get("/talent-pool").get_data(as_text=True)


def test_the_pool_needs_a_choice_and_can_be_left(app, client, world, clock):
    token = world["token"]
    response = client.post(f"/c/{token}/pool", data={"pool-months": "12"})
    assert response.status_code == 422
    assert "Choose at least one" in response.get_data(as_text=True)
    client.post(f"/c/{token}/pool", data={"pool-locations": ["Toronto"], "pool-months": "12"})
    client.post(f"/c/{token}/pool/stop", data={})
    with app.app_context():
        assert db.session.scalar(select(PoolConsent.withdrawn_at)) is not None


def test_a_note_reaches_the_interviewers_without_addresses(app, client, world, clock):
    token = world["token"]
    response = client.post(f"/c/{token}/note", data={"note-body": "Thank you for the chat!"})
    assert response.status_code == 302
    with app.app_context():
        [mail] = db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.purpose == "note")
        ).all()
        assert mail.recipient == INTERVIEWER_EMAIL
        assert "amara@example.com" not in mail.text_body + mail.html_body + mail.reply_to
        assert "Thank you for the chat!" in mail.text_body
        assert db.session.scalar(select(CandidateNote.recipients)) == 1
    for _ in range(3):
        client.post(f"/c/{token}/note", data={"note-body": "Another one"})
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(CandidateNote)) == 3


def test_withdrawing_an_open_application(app, client, world, clock):
    with app.app_context():
        application = make_application(
            db.session.get(Requisition, world["requisition"]),
            make_candidate(name="Cleo Leaving", email="cleo@example.com"),
        )
        token = links.issue_link(application.id, now=NOW)
        application_id = application.id
        db.session.commit()
    unconfirmed = client.post(f"/c/{token}/withdraw", data={"reason": "Took another offer"})
    assert unconfirmed.status_code == 422
    response = client.post(
        f"/c/{token}/withdraw", data={"reason": "Took another offer", "confirm": "y"}
    )
    assert response.status_code == 302
    with app.app_context():
        application = db.session.get(Application, application_id)
        assert application.status is ApplicationStatus.WITHDRAWN
        assert application.decision_due_at is None
        task = db.session.scalar(
            select(CandidateRequest).where(CandidateRequest.kind == RequestKind.WITHDRAWAL)
        )
        assert task.body == "Took another offer"
    # The page still works, now showing the outcome.
    assert "You withdrew this application" in page(client, token).get_data(as_text=True)


def test_a_deletion_request_then_anonymising_keeps_only_counts(app, client, world, clock):
    token = world["token"]
    client.post(f"/c/{token}/question", data={"question-question": "What should I practise?"})
    assert client.post(f"/c/{token}/delete", data={"confirm": "y"}).status_code == 302
    with app.app_context():
        deletion = db.session.scalar(
            select(CandidateRequest).where(CandidateRequest.kind == RequestKind.DELETION)
        )
        deletion_id = deletion.id
    staff = app.test_client()
    login(staff, "rita@example.com")
    assert "Deletion request" in staff.get("/requests").get_data(as_text=True)
    assert staff.post(f"/requests/{deletion_id}/delete-person", data={}).status_code == 422
    response = staff.post(f"/requests/{deletion_id}/delete-person", data={"confirm": "y"})
    assert response.status_code == 302
    assert page(client, token).status_code == 404
    with app.app_context():
        candidate = db.session.scalar(
            select(Candidate).join(Application).where(Application.id == world["application"])
        )
        assert candidate.name == "Deleted candidate"
        assert candidate.anonymised_at is not None
        assert db.session.scalar(select(func.count()).select_from(Application)) == 2
        dump = " ".join(
            repr(tuple(row))
            for table in db.metadata.sorted_tables
            for row in db.session.execute(select(table))
        )
        for gone in ("amara@example.com", "Amara Okafor", "What should I practise?"):
            assert gone not in dump
        assert db.session.scalar(
            select(func.count()).where(AuditEvent.action == "candidate.anonymised")
        )


def test_asking_for_a_new_link_says_the_same_whoever_asks(app, client, world, clock):
    known = client.post("/c/new", data={"email": "amara@example.com"})
    unknown = client.post("/c/new", data={"email": "nobody@example.com"})
    assert known.status_code == unknown.status_code == 200
    assert known.data == unknown.data
    with app.app_context():
        [mail] = db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.purpose == "link")
        ).all()
        assert mail.recipient == "amara@example.com"
    # The old link stopped working; asking again at once sends nothing more.
    assert page(client, world["token"]).status_code == 404
    client.post("/c/new", data={"email": "amara@example.com"})
    with app.app_context():
        assert db.session.scalar(select(func.count()).where(OutboxMessage.purpose == "link")) == 1


def test_a_reissued_link_arrives_by_email_and_works(app, client, world, clock, tmp_path):
    staff = app.test_client()
    login(staff, "rita@example.com")
    response = staff.post(f"/applications/{world['application']}/link/send")
    assert response.status_code == 302
    assert page(client, world["token"]).status_code == 404
    app.config.update(MAIL_BACKEND="file", MAIL_FILE_DIR=str(tmp_path / "mail"))
    result = app.test_cli_runner().invoke(args=["outbox", "run", "--once"])
    assert result.exit_code == 0, result.output
    [eml] = (tmp_path / "mail").glob("*.eml")
    found = re.search(r"/c/([A-Za-z0-9_-]{43})", eml.read_text())
    assert found
    assert page(client, found.group(1)).status_code == 200


def test_staff_cannot_reach_another_teams_requests(app, client, world, clock):
    client.post(f"/c/{world['token']}/question", data={"question-question": "A question?"})
    with app.app_context():
        make_user(Role.RECRUITER, email="stranger@example.com")
        db.session.commit()
        question_id = db.session.scalar(select(CandidateRequest.id))
    stranger = app.test_client()
    login(stranger, "stranger@example.com")
    assert stranger.get(f"/requests/{question_id}").status_code == 404
    assert stranger.post(f"/requests/{question_id}/done").status_code == 404
    assert stranger.post(f"/applications/{world['application']}/link/send").status_code == 404
    assert "Amara" not in stranger.get("/requests").get_data(as_text=True)


def test_the_schema_has_no_column_for_a_raw_token(app):
    with app.app_context():
        columns = {c["name"] for c in inspect(db.engine).get_columns("candidate_links")}
    assert "token" not in columns and "token_hash" in columns


def test_the_recruiter_sees_requests_on_home_and_the_application(app, client, world, clock):
    token = world["token"]
    client.post(
        f"/c/{token}/call",
        data={"call-times": "Friday morning", "call-timezone": "UTC", "call-medium": "video"},
    )
    client.post(f"/c/{token}/note", data={"note-body": "Thanks for the interview!"})
    staff = app.test_client()
    login(staff, "rita@example.com")
    home = staff.get("/").get_data(as_text=True)
    assert "Candidates waiting for you" in home and "Feedback call" in home
    page_ = staff.get(f"/applications/{world['application']}").get_data(as_text=True)
    assert "Feedback call" in page_ and "Thanks for the interview!" in page_
    assert "working link" in page_
