"""Every route of the app, walked: sign-in, CSRF, methods, other teams' objects, headers.

New routes are covered the moment they exist; a route whose object id this file cannot
fill in fails loudly, so it gets covered rather than skipped.
"""

import re

import pytest
from sqlalchemy import select

from recruitcare.domain.enums import Decision, Role
from recruitcare.domain.tokens import new_token
from recruitcare.extensions import db
from recruitcare.ids import MAX_ID
from recruitcare.models import ClosureMessage, OutboxMessage, Requisition, StageOutcome
from recruitcare.pipeline import services as pipeline
from recruitcare.policies import promise_policy
from recruitcare.security import CONTENT_SECURITY_POLICY
from tests.factories import NOW, PASSWORD, make_application, make_requisition, make_user

PUBLIC = {"static", "auth.login", "auth.set_password"}
PORTAL = "portal."
# Organisation-wide pages for admins only: not a team's objects.
ADMIN = "admin."


def _rules(app):
    return [r for r in app.url_map.iter_rules() if r.endpoint != "static"]


def _methods(rule):
    return sorted(rule.methods - {"HEAD", "OPTIONS"})


def _fill(rule, values):
    url = rule.rule
    for arg in rule.arguments:
        if arg not in values:
            pytest.fail(f"{rule.endpoint}: no test object for <{arg}>; add one to the fixture")
        url = re.sub(rf"<(?:\w+:)?{arg}>", str(values[arg]), url)
    return url


ANY = {
    "requisition_id": 1,
    "application_id": 1,
    "interview_id": 1,
    "closure_id": 1,
    "request_id": 1,
    "message_id": 1,
    "outcome_id": 1,
    "update_id": 1,
    "criterion_id": 1,
    "stage_id": 1,
    "user_id": 1,
    "reason_id": 1,
    "consent_id": 1,
    "key": "interim_update",
    "name": "x.eml",
    "token": "A" * 43,
    "anything": "x/y",
}


def _signed_in_admin(app):
    """A test client signed in as a new admin, who may open every staff page."""
    with app.app_context():
        make_user(Role.ADMIN, email="admin@example.com")
        db.session.commit()
    client = app.test_client()
    client.post("/auth/login", data={"email": "admin@example.com", "password": PASSWORD})
    return client


def test_anonymous_visitors_sign_in_first_and_portal_links_are_404(app):
    client = app.test_client()
    for rule in _rules(app):
        if rule.endpoint in PUBLIC:
            continue
        url = _fill(rule, ANY)
        for method in _methods(rule):
            response = client.open(url, method=method)
            if rule.endpoint == "portal.new_link":
                assert response.status_code == 200 if method == "GET" else 422
            elif rule.endpoint.startswith(PORTAL):
                assert response.status_code == 404, (rule.endpoint, method)
            else:
                assert response.status_code == 302, (rule.endpoint, method)
                assert response.headers["Location"].startswith("/auth/login"), rule.endpoint


def _csrf_token(client) -> str:
    page = client.get("/auth/login").get_data(as_text=True)
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)


def test_every_state_changing_route_refuses_a_post_without_csrf_token(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    with app.app_context():
        admin = make_user(Role.ADMIN, email="admin@example.com")
        db.session.commit()
        assert admin.id
    client = app.test_client()
    token = _csrf_token(client)
    signed_in = client.post(
        "/auth/login",
        data={"email": "admin@example.com", "password": PASSWORD, "csrf_token": token},
    )
    assert signed_in.status_code == 302
    posts = [r for r in _rules(app) if "POST" in r.methods]
    assert len(posts) > 30
    for rule in posts:
        response = client.post(_fill(rule, ANY), data={})
        assert response.status_code == 400, rule.endpoint
        assert b"security token" in response.data, rule.endpoint


def test_a_nul_character_is_refused_on_every_route_before_it_reaches_the_database(app):
    """PostgreSQL text cannot hold NUL: a value with one used to fail only when saved there."""
    with app.app_context():
        make_user(Role.RECRUITER, email="rec@example.com")
        db.session.commit()
    client = app.test_client()
    refused = client.post("/auth/login", data={"email": "rec\0@example.com", "password": "x"})
    assert refused.status_code == 400
    client.post("/auth/login", data={"email": "rec@example.com", "password": PASSWORD})
    response = client.post(
        "/requisitions/new", data={"title": "Plat\0form", "owner": "1", "status": "open"}
    )
    assert response.status_code == 400
    assert b"NUL character" in response.data
    with app.app_context():
        assert db.session.scalars(select(Requisition)).all() == []
    assert client.get("/talent-pool?location=Tor%00onto").status_code == 400
    assert client.get("/talent-pool?location=Toronto").status_code == 200
    for rule in _rules(app):
        url = _fill(rule, ANY)
        if "POST" in rule.methods:
            response = client.post(url, data={"note": "a\0b"})
        else:
            response = client.get(url, query_string={"q": "a\0b"})
        assert response.status_code == 400, rule.endpoint
        assert b"NUL character" in response.data, rule.endpoint


def test_post_only_routes_refuse_get(app):
    client = _signed_in_admin(app)
    for rule in _rules(app):
        if rule.methods & {"GET"} or rule.endpoint.startswith(PORTAL):
            continue
        assert client.get(_fill(rule, ANY)).status_code == 405, rule.endpoint


@pytest.fixture
def other_team(app):
    """Team A has one of everything; the test signs in as team B's recruiter."""
    from recruitcare.closure import services as closure
    from recruitcare.models.portal import CandidateRequest, PoolConsent
    from recruitcare.outbox import services as outbox

    with app.app_context():
        policy = promise_policy(app.config)
        pipeline.seed_default_reasons()
        closure.seed_default_templates(now=NOW)
        rec_a = make_user(Role.RECRUITER, email="a@example.com")
        make_user(Role.RECRUITER, email="b@example.com")
        requisition = make_requisition(rec_a, title="Alpha job")
        application = make_application(requisition)
        interview = pipeline.schedule_interview(
            application,
            stage=requisition.stages[1],
            when=NOW,
            interviewers=[rec_a],
            actor=rec_a,
            now=NOW,
        )
        outcome = pipeline.record_outcome(
            application, decision=Decision.HOLD, actor=rec_a, now=NOW, policy=policy
        )
        message = outbox.enqueue(
            purpose="closure",
            idempotency_key="closure:x",
            recipient="cand@example.com",
            subject="Hello",
            text_body="Hi",
            html_body="<p>Hi</p>",
            send_after=NOW,
            now=NOW,
            application=application,
        )
        draft = ClosureMessage(
            application=application,
            template_key="position_filled",
            subject="s",
            body="b",
            created_at=NOW,
            updated_at=NOW,
            outbox_message=message,
        )
        request = CandidateRequest(
            application=application,
            kind="question",
            body="Why?",
            created_at=NOW,
            respond_by=NOW,
        )
        consent = PoolConsent(
            candidate=application.candidate,
            application=application,
            role_families=["Engineering"],
            given_at=NOW,
            expires_at=NOW.replace(year=NOW.year + 5),
        )
        db.session.add_all([draft, request, consent])
        db.session.flush()
        values = {
            "requisition_id": requisition.id,
            "application_id": application.id,
            "interview_id": interview.id,
            "closure_id": draft.id,
            "request_id": request.id,
            "message_id": message.id,
            "outcome_id": outcome.id,
            "criterion_id": requisition.criteria[0].id,
            "stage_id": requisition.stages[0].id,
            "consent_id": consent.id,
        }
        try:
            from recruitcare.models.waiting import CandidateUpdate
        except ImportError:  # pragma: no cover - the model arrives with the sweep
            CandidateUpdate = None
        if CandidateUpdate is not None:
            update = CandidateUpdate(
                application=application, kind="status", outcome=outcome, created_at=NOW
            )
            db.session.add(update)
            db.session.flush()
            values["update_id"] = update.id
        db.session.commit()
        return values


def test_another_teams_objects_are_404_on_every_route(app, other_team):
    client = app.test_client()
    client.post("/auth/login", data={"email": "b@example.com", "password": PASSWORD})
    checked = 0
    for rule in _rules(app):
        ids = [a for a in rule.arguments if a.endswith("_id")]
        if not ids or rule.endpoint.startswith(ADMIN):
            continue
        url = _fill(rule, other_team)
        for method in _methods(rule):
            response = client.open(url, method=method, data={})
            assert response.status_code == 404, (rule.endpoint, method, response.status_code)
            checked += 1
    assert checked > 30
    # Nothing of team A changed hands.
    with app.app_context():
        outcome = db.session.get(StageOutcome, other_team["outcome_id"])
        assert outcome.undone_at is None
        message = db.session.scalar(select(OutboxMessage))
        assert message.cancelled_at is None


def test_an_id_past_the_databases_range_is_a_404_on_every_route(app):
    """PostgreSQL answers an INTEGER past 2**31 - 1 with an error where SQLite finds nothing."""
    client = _signed_in_admin(app)
    huge = {name: MAX_ID + 1 if name.endswith("_id") else value for name, value in ANY.items()}
    checked = 0
    for rule in _rules(app):
        if not any(a.endswith("_id") for a in rule.arguments):
            continue
        for method in _methods(rule):
            response = client.open(_fill(rule, huge), method=method, data={})
            assert response.status_code == 404, (rule.endpoint, method, response.status_code)
            checked += 1
    assert checked > 30


def test_every_response_carries_the_security_headers(app):
    client = app.test_client()
    for path in ("/auth/login", "/", "/c/" + new_token(), "/static/app.css", "/nowhere"):
        response = client.get(path)
        response.close()
        assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY, path
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["Referrer-Policy"]
        assert "Strict-Transport-Security" not in response.headers
    assert "script-src" not in CONTENT_SECURITY_POLICY  # default-src 'self': no inline scripts


def test_production_adds_hsts_and_secure_cookies(make_app):
    app = make_app(
        ENV="production",
        SQLALCHEMY_DATABASE_URI="sqlite://",
        WTF_CSRF_ENABLED=True,
        create_schema=False,
    )
    assert app.config["SESSION_COOKIE_SECURE"] and app.config["REMEMBER_COOKIE_SECURE"]
    response = app.test_client().get("/auth/login")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    cookie = response.headers.get("Set-Cookie", "")
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_no_template_has_an_inline_script_or_style():
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent / "templates"
    for path in root.rglob("*.html"):
        if "email" in path.parts:
            continue
        source = path.read_text()
        assert not re.search(r"<script(?![^>]*\bsrc=)", source), path
        assert not re.search(r"\son\w+=", source), path
        assert " style=" not in source, path
