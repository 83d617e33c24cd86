"""Talent-pool suggestions on an open requisition's board, and inviting people to apply."""

import re
from datetime import timedelta

import pytest
from flask import current_app
from sqlalchemy import event, func, select

from recruitcare.candidate_requests import pool
from recruitcare.domain.enums import Decision, RequisitionStatus, Role
from recruitcare.domain.feedback import FeedbackDraft, Item
from recruitcare.extensions import db
from recruitcare.feedback import services as feedback
from recruitcare.models import AuditEvent, OutboxMessage, Reason, Requisition
from recruitcare.models.portal import PoolConsent
from recruitcare.pipeline import services as pipeline
from recruitcare.policies import promise_policy
from recruitcare.portal import services as portal
from recruitcare.privacy.services import anonymise_candidates
from tests.factories import (
    NOW,
    login,
    make_application,
    make_candidate,
    make_requisition,
    make_user,
)

STRENGTH = "Your design walk-through was clear and concrete."


@pytest.fixture
def clock(monkeypatch):
    moment = {"now": NOW + timedelta(days=2)}
    monkeypatch.setattr("recruitcare.candidate_requests.views.utcnow", lambda: moment["now"])
    return moment


def _in_pool(requisition, *, name, families=(), locations=(), approve=True):
    """Someone who applied to ``requisition``, got approved feedback and joined the pool."""
    candidate = make_candidate(name=name, email=f"{name.split()[0].lower()}@mail.example")
    interview = next(s for s in requisition.stages if s.is_interview)
    application = make_application(requisition, candidate, stage=interview)
    pipeline.record_outcome(
        application,
        decision=Decision.REJECT,
        reason=db.session.scalar(select(Reason).where(Reason.code == "criteria_mismatch")),
        details="Another candidate's design depth.",
        actor=requisition.owner,
        now=NOW,
        policy=promise_policy(current_app.config),
    )
    if approve:
        criteria = requisition.criteria
        draft = FeedbackDraft(
            strengths=[Item(criteria[0].id, "An early draft."), Item(criteria[1].id, "Shipped.")],
            growth=[Item(criteria[1].id, "Show how you measured the result of your work.")],
            next_step="Practise a two-minute summary of one project with its numbers.",
        )
        recruiter = requisition.owner
        feedback.approve_feedback(application, draft, actor=recruiter, now=NOW)
        draft.strengths[0] = Item(criteria[0].id, STRENGTH)
        feedback.approve_feedback(application, draft, actor=recruiter, now=NOW)
    return portal.consent_to_pool(
        application,
        role_families=list(families),
        locations=list(locations),
        months=6,
        now=NOW,
    )


@pytest.fixture
def world(app):
    """An open Engineering job in Toronto and a pool of people from an earlier job: two
    match (one by kind of role, one by place), the others must never be suggested."""
    with app.app_context():
        pipeline.seed_default_reasons()
        recruiter = make_user(Role.RECRUITER, email="rita@example.com", name="Rita Recruiter")
        hm = make_user(Role.HIRING_MANAGER, email="hana@example.com")
        make_user(Role.RECRUITER, email="otto@example.com")
        earlier = make_requisition(
            recruiter,
            title="Platform Engineer",
            role_family="Engineering",
            location="Berlin",
            criteria=[("System design", "Designs data flows."), ("Delivery", "Ships results.")],
        )
        job = make_requisition(
            recruiter,
            members=[hm],
            title="R&D Engineer <Toronto>",
            role_family="Engineering",
            location="Toronto",
        )
        by_family = _in_pool(earlier, name="Amara Okafor", families=[" engineering "])
        by_place = _in_pool(
            earlier, name="Bao Cho", families=["Design"], locations=["TORONTO"], approve=False
        )
        _in_pool(earlier, name="Chiara Elsewhere", families=["Design"], locations=["Berlin"])
        expired = _in_pool(earlier, name="Dmitri Expired", families=["Engineering"])
        expired.expires_at = NOW + timedelta(days=1)
        withdrawn = _in_pool(earlier, name="Elif Withdrawn", families=["Engineering"])
        portal.withdraw_consent(withdrawn.candidate, now=NOW)
        gone = _in_pool(earlier, name="Farid Anonymised", families=["Engineering"])
        anonymise_candidates([gone.candidate_id], actor=recruiter, now=NOW, why="test")
        applied = _in_pool(earlier, name="Gwen Applied", locations=["Toronto"])
        make_application(job, applied.candidate)
        db.session.commit()
        return {
            "job": job.id,
            "earlier": earlier.id,
            "by_family": by_family.id,
            "by_place": by_place.id,
            "withdrawn": withdrawn.id,
            "earlier_application": by_family.application_id,
        }


def _suggested(app, job_id, now):
    with app.app_context():
        job = db.session.get(Requisition, job_id)
        return {s.consent.candidate.name: s for s in pool.suggest_from_pool(job, now=now)}


def _invite(client, world, consent="by_family"):
    return client.post(f"/requisitions/{world['job']}/talent-pool/{world[consent]}/invite", data={})


def _panel(page: str) -> str:
    start = page.index('id="talent-pool"')
    return page[start : page.index("</details>", start)]


def _messages(app):
    with app.app_context():
        return db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()


# ---- matching ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("families", "locations", "expected"),
    [
        (["Engineering"], [], (["Engineering"], [])),
        ([" engineering "], ["Berlin"], ([" engineering "], [])),
        (["Design"], ["toronto "], ([], ["toronto "])),
        (["Engineering"], ["Toronto"], (["Engineering"], ["Toronto"])),
        (["Design"], ["Berlin"], ([], [])),
        ([], [], ([], [])),
    ],
)
def test_matching_is_trimmed_and_case_insensitive(families, locations, expected):
    assert pool.matches(families, locations, role_family="Engineering", location="Toronto") == (
        expected
    )


def test_a_job_without_a_role_family_or_location_matches_nobody_on_it():
    assert pool.matches([""], [""], role_family="  ", location="") == ([], [])


# ---- suggestions -------------------------------------------------------------------------------


def test_suggestions_match_by_role_family_or_location_and_skip_the_rest(app, world):
    found = _suggested(app, world["job"], NOW + timedelta(days=2))
    assert set(found) == {"Amara Okafor", "Bao Cho"}
    amara, bao = found["Amara Okafor"], found["Bao Cho"]
    assert (amara.role_families, amara.locations) == ([" engineering "], [])
    assert (bao.role_families, bao.locations) == ([], ["TORONTO"])
    # Strengths of the latest approval, with their criterion; none without feedback.
    assert [(s["criterion"], s["text"]) for s in amara.strengths] == [
        ("System design", STRENGTH),
        ("Delivery", "Shipped."),
    ]
    assert bao.strengths == []
    assert amara.invitation is None and bao.invitation is None


def test_expired_consent_leaves_the_pool(app, world):
    later = NOW + timedelta(days=200)
    assert _suggested(app, world["job"], later) == {}


def test_the_board_shows_the_panel_to_recruiters_while_the_job_is_open(app, world, clock):
    client = app.test_client()
    login(client, "rita@example.com")
    page = _panel(client.get(f"/requisitions/{world['job']}").text)
    assert "From the talent pool" in page
    assert re.search(r'<span class="count">2</span>', page)
    assert "Amara Okafor" in page and "Bao Cho" in page
    assert STRENGTH in page and "System design" in page
    assert "valid until" in page
    assert page.count("Invite to apply") == 2
    for name in ("Chiara", "Dmitri", "Elif", "Farid", "Gwen"):
        assert name not in page
    # Hiring managers do not see the pool.
    hm = app.test_client()
    login(hm, "hana@example.com")
    assert "From the talent pool" not in hm.get(f"/requisitions/{world['job']}").text
    # Nor does anyone once the job is on hold.
    with app.app_context():
        job = db.session.get(Requisition, world["job"])
        pipeline.set_requisition_status(job, RequisitionStatus.ON_HOLD, actor=job.owner, now=NOW)
        db.session.commit()
    assert "From the talent pool" not in client.get(f"/requisitions/{world['job']}").text


def test_the_panel_says_when_nobody_matches(app, world, clock):
    with app.app_context():
        other = make_requisition(
            db.session.get(Requisition, world["job"]).owner,
            role_family="Finance",
            location="Halifax",
        )
        db.session.commit()
        other_id = other.id
    client = app.test_client()
    login(client, "rita@example.com")
    page = client.get(f"/requisitions/{other_id}").text
    assert "Nobody in the talent pool matches" in page
    assert "Invite to apply" not in page


def test_the_board_query_count_does_not_grow_with_suggestions(make_app, clock):
    def queries_for(size):
        app = make_app()
        with app.app_context():
            if not db.session.scalar(select(func.count(Reason.id))):
                pipeline.seed_default_reasons()
            owner = make_user(Role.RECRUITER, email=f"owner{size}@example.com")
            earlier = make_requisition(
                owner, criteria=[("Design", "Designs."), ("Delivery", "Ships.")]
            )
            job = make_requisition(owner, role_family=f"Family{size}", location="Toronto")
            for i in range(size):
                consent = _in_pool(
                    earlier, name=f"Person{size}x{i} Pool", families=[f"Family{size}"]
                )
                if i % 2:  # half of them invited already
                    pool.invite_to_apply(job, consent, actor=owner, now=NOW)
            db.session.commit()
            job_id, engine = job.id, db.engine
        client = app.test_client()
        login(client, f"owner{size}@example.com")
        client.get(f"/requisitions/{job_id}")  # warm up
        statements = []

        def record(conn, cursor, statement, *args):
            statements.append(statement)

        event.listen(engine, "before_cursor_execute", record)
        try:
            page = client.get(f"/requisitions/{job_id}").text
        finally:
            event.remove(engine, "before_cursor_execute", record)
        assert page.count("Pool</strong>") == size
        return len(statements)

    assert queries_for(2) == queries_for(12)


# ---- inviting ----------------------------------------------------------------------------------


def test_invite_enqueues_one_email_to_the_candidate(app, world, clock):
    client = app.test_client()
    login(client, "rita@example.com")
    response = _invite(client, world)
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/requisitions/{world['job']}?pool=1#talent-pool")
    (message,) = _messages(app)
    assert message.purpose == "pool_invite"
    assert message.recipient == "amara@mail.example"
    assert message.recipient_name == "Amara Okafor"
    assert message.reply_to == "rita@example.com"
    assert message.subject == "An opening at Northwind: R&D Engineer <Toronto>"
    assert message.idempotency_key == f"pool-invite:{world['job']}:{_candidate(app, world)}"
    # Tied to the application the consent came from: deleting the person cancels it.
    assert message.application_id == world["earlier_application"]
    text, html = message.text_body, message.html_body
    for body in (text, html):
        assert "Hello Amara" in body
        assert "Toronto" in body and "Platform Engineer" in body
        assert "System design and Delivery" in body
        assert "reply to this email" in body and "Rita Recruiter" in body
    assert "R&D Engineer <Toronto>" in text
    assert "R&amp;D Engineer &lt;Toronto&gt;" in html and "<Toronto>" not in html
    with app.app_context():
        event_ = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "pool.invited"))
        assert event_.object_id == world["job"]
        assert event_.payload["message"] == message.id
    page = client.get(response.headers["Location"]).text
    assert "is invited to apply" in page
    assert 'id="talent-pool" open' in page  # back where the recruiter was
    assert "Invited " in page and page.count("Invite to apply") == 1


def _candidate(app, world):
    with app.app_context():
        return db.session.get(PoolConsent, world["by_family"]).candidate_id


def test_a_second_invite_is_refused_and_sends_nothing(app, world, clock):
    client = app.test_client()
    login(client, "rita@example.com")
    _invite(client, world)
    response = _invite(client, world)
    assert response.status_code == 302
    assert "already invited" in client.get(response.headers["Location"]).text
    assert len(_messages(app)) == 1


def test_a_click_that_loses_the_race_is_refused(app, world, monkeypatch):
    """Two clicks checked at the same moment: the database keeps one message."""
    with app.app_context():
        job = db.session.get(Requisition, world["job"])
        consent = db.session.get(PoolConsent, world["by_family"])
        pool.invite_to_apply(job, consent, actor=job.owner, now=NOW)
        monkeypatch.setattr(pool, "sent_invitations", lambda *args: {})
        with pytest.raises(pool.InviteError, match="already been invited"):
            pool.invite_to_apply(job, consent, actor=job.owner, now=NOW)
        db.session.rollback()
        assert db.session.scalar(select(func.count(OutboxMessage.id))) == 0


@pytest.mark.parametrize("how", ["expired", "withdrawn"])
def test_consent_that_ended_since_the_page_loaded_is_refused(app, world, clock, how):
    client = app.test_client()
    login(client, "rita@example.com")
    if how == "expired":
        clock["now"] = NOW + timedelta(days=200)
        expected = "has expired"
    else:
        with app.app_context():
            consent = db.session.get(PoolConsent, world["by_family"])
            portal.withdraw_consent(consent.candidate, now=NOW + timedelta(days=1))
            db.session.commit()
        expected = "withdrew their consent"
    response = _invite(client, world)
    assert response.status_code == 302
    assert expected in client.get(response.headers["Location"]).text
    assert _messages(app) == []


def test_people_who_applied_or_do_not_match_are_refused(app, world, clock):
    with app.app_context():
        job = db.session.get(Requisition, world["job"])
        consent = db.session.get(PoolConsent, world["by_place"])
        make_application(job, consent.candidate)
        other = make_requisition(job.owner, role_family="Finance", location="Halifax")
        with pytest.raises(pool.InviteError, match="already applied"):
            pool.invite_to_apply(job, consent, actor=job.owner, now=NOW)
        with pytest.raises(pool.InviteError, match="other kinds of role"):
            pool.invite_to_apply(other, consent, actor=job.owner, now=NOW)
        assert db.session.scalar(select(func.count(OutboxMessage.id))) == 0


def test_another_teams_requisition_or_a_missing_consent_is_404(app, world, clock):
    outsider = app.test_client()
    login(outsider, "otto@example.com")
    assert _invite(outsider, world).status_code == 404
    client = app.test_client()
    login(client, "rita@example.com")
    missing = client.post(f"/requisitions/{world['job']}/talent-pool/999999/invite", data={})
    assert missing.status_code == 404
    hm = app.test_client()
    login(hm, "hana@example.com")
    assert _invite(hm, world).status_code == 403
    assert _messages(app) == []


def test_the_talent_pool_page_links_to_open_jobs_that_match(app, world, clock):
    client = app.test_client()
    login(client, "rita@example.com")
    page = client.get("/talent-pool").text
    link = f'href="/requisitions/{world["job"]}?pool=1#talent-pool"'
    amara = page[page.index("Amara Okafor") :]
    assert link in amara.split("</section>")[0]
    # Gwen applied already: no link for her.
    gwen = page[page.index("Gwen Applied") :]
    assert link not in gwen.split("</section>")[0]


def test_the_talent_pool_filter_compares_as_suggestions_do_and_keeps_the_open_minded(
    app, world, clock
):
    """Amara named " engineering ", Bao named Design and TORONTO, Gwen named only Toronto."""
    client = app.test_client()
    login(client, "rita@example.com")
    engineering = client.get("/talent-pool?role_family=Engineering").text
    assert "Amara Okafor" in engineering
    assert "Gwen Applied" in engineering  # named no kind of role: open to any
    assert "Bao Cho" not in engineering and "Chiara Elsewhere" not in engineering
    toronto = client.get("/talent-pool?location=Toronto").text
    assert "Bao Cho" in toronto and "Gwen Applied" in toronto
    assert "Amara Okafor" in toronto  # named no location
    assert "Chiara Elsewhere" not in toronto
