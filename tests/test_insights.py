"""The Insights dashboard: figures on a small world built by hand, who may see which numbers,
the filter's validation, the CSV export, the charts, and a query count that ignores data size."""

import csv
import io
from contextlib import contextmanager
from datetime import timedelta
from itertools import count

import pytest
from sqlalchemy import event, insert, select, update

from recruitcare.domain.enums import (
    ApplicationStatus,
    ClosureStatus,
    Decision,
    DeliveryStatus,
    FeedbackStatus,
    OutcomeStatus,
    PromiseEventKind,
    Role,
    ScorecardStatus,
)
from recruitcare.domain.portal import RequestKind
from recruitcare.extensions import db
from recruitcare.models import (
    Application,
    CandidateFeedback,
    ClosureMessage,
    FeedbackVersion,
    Interview,
    OutboxMessage,
    PromiseEvent,
    Scorecard,
    StageOutcome,
)
from recruitcare.models.portal import CandidateRequest, FeedbackRating
from tests.factories import (
    NOW,
    bulk_applications,
    login,
    make_application,
    make_candidate,
    make_requisition,
    make_user,
)

DAY = timedelta(days=1)
_keys = count(1)


@pytest.fixture(autouse=True)
def clock(monkeypatch):
    monkeypatch.setattr("recruitcare.insights.views.utcnow", lambda: NOW)


# ---- building the world -----------------------------------------------------------------------


def _application(requisition, name, *, created, stage=0, contact=None, status=None, closed=None):
    application = make_application(
        requisition,
        make_candidate(name=name, now=created),
        now=created,
        stage=requisition.stages[stage],
    )
    application.last_contact_at = contact
    if status is not None:
        application.status = status
        application.closed_at = closed
        application.decision_due_at = None
    db.session.flush()
    return application


def _outbox(application, *, delivered=None, purpose="closure"):
    n = next(_keys)
    return OutboxMessage(
        application=application,
        purpose=purpose,
        idempotency_key=f"{purpose}:{application.id}:{n}",
        recipient=application.candidate.email,
        subject="Your application",
        text_body="Thank you.",
        html_body="<p>Thank you.</p>",
        message_id=f"<m{n}@test.example>",
        status=DeliveryStatus.DELIVERED if delivered else DeliveryStatus.SCHEDULED,
        send_after=NOW - 30 * DAY,
        next_attempt_at=NOW - 30 * DAY,
        delivered_at=delivered,
        created_at=NOW - 30 * DAY,
    )


def _closure(application, *, delivered=None):
    db.session.add(
        ClosureMessage(
            application=application,
            template_key="rejected_after_review",
            subject="Your application",
            body="Thank you.",
            status=ClosureStatus.SCHEDULED,
            created_at=NOW - 30 * DAY,
            updated_at=NOW - 30 * DAY,
            outbox_message=_outbox(application, delivered=delivered),
        )
    )


def _feedback(application, *, approved):
    fb = CandidateFeedback(
        application=application,
        status=FeedbackStatus.APPROVED if approved else FeedbackStatus.DRAFT,
        created_at=NOW - 30 * DAY,
        updated_at=NOW - 30 * DAY,
    )
    if approved:
        fb.versions.append(
            FeedbackVersion(version=1, content={}, text="Strengths ...", approved_at=NOW - 19 * DAY)
        )
    db.session.add(fb)


def _interview(application, stage, at, interviewers, submitted=(), drafts=()):
    interview = Interview(
        application=application,
        stage=application.requisition.stages[stage],
        scheduled_at=at,
        created_at=at - 5 * DAY,
        interviewers=list(interviewers),
    )
    db.session.add(interview)
    db.session.flush()
    for person, status in [(p, ScorecardStatus.SUBMITTED) for p in submitted] + [
        (p, ScorecardStatus.DRAFT) for p in drafts
    ]:
        db.session.add(
            Scorecard(
                interview=interview,
                interviewer=person,
                application_id=application.id,
                status=status,
                version=1 if status is ScorecardStatus.SUBMITTED else 0,
                created_at=at,
                updated_at=at,
                submitted_at=at if status is ScorecardStatus.SUBMITTED else None,
            )
        )
    return interview


def _outcome(application, stage, decision, at, status=OutcomeStatus.CONFIRMED):
    db.session.add(
        StageOutcome(
            application=application,
            stage=application.requisition.stages[stage],
            decision=decision,
            status=status,
            decided_at=at,
            previous={},
        )
    )


def _promise(application, kind, at):
    db.session.add(
        PromiseEvent(application=application, kind=kind, old_due_at=at, new_due_at=None, at=at)
    )


def _request(application, kind, *, respond_by, done=None):
    db.session.add(
        CandidateRequest(
            application=application,
            kind=kind,
            body="Mornings",
            details={},
            created_at=respond_by - 2 * DAY,
            respond_by=respond_by,
            done_at=done,
        )
    )


def _rating(application, rating, at):
    db.session.add(
        FeedbackRating(application_id=application.id, rating=rating, created_at=at, updated_at=at)
    )


@pytest.fixture
def world(app):
    """Team one (recruiter Rhea, hiring manager Hank) has two requisitions; team two (recruiter
    Otto, hiring manager Olga) has one. Every figure has something to count on each side."""
    with app.app_context():
        admin = make_user(Role.ADMIN, email="admin@example.com", name="Ada Admin")
        rhea = make_user(Role.RECRUITER, email="rhea@example.com", name="Rhea Recruiter")
        otto = make_user(Role.RECRUITER, email="otto@example.com", name="Otto Other")
        hank = make_user(Role.HIRING_MANAGER, email="hank@example.com", name="Hank Manager")
        olga = make_user(Role.HIRING_MANAGER, email="olga@example.com", name="Olga Outside")
        req1 = make_requisition(rhea, members=[hank], title="Backend Engineer")
        req2 = make_requisition(rhea, title="Designer")
        req2.stages[1].name = "Portfolio <review>"  # names are escaped wherever they appear
        req3 = make_requisition(otto, members=[olga], title="Secret Other Team Job")
        created = NOW - 30 * DAY

        a1 = _application(req1, "=Ada Formula", created=created, contact=NOW - 10 * DAY)
        a2 = _application(req1, "Ben Recent", created=created, stage=1, contact=NOW - 3 * DAY)
        rejected = {"status": ApplicationStatus.REJECTED, "created": created, "stage": 2}
        a3 = _application(req1, "Cleo Closed", closed=NOW - 20 * DAY, **rejected)
        a4 = _application(req1, "Dan Delivered", closed=NOW - 10 * DAY, **rejected)
        a5 = _application(
            req1,
            "Eve Pending",
            created=created,
            status=ApplicationStatus.REJECTED,
            closed=NOW - 5 * DAY,
            contact=NOW - 40 * DAY,
        )
        a6 = _application(
            req1,
            "Fay Forgotten",
            created=NOW - 210 * DAY,
            status=ApplicationStatus.REJECTED,
            closed=NOW - 200 * DAY,
        )
        b1 = _application(req2, "Gus Offer", created=NOW - 40 * DAY, stage=4, contact=NOW - 9 * DAY)

        # Closures: a3 after 2 days, a4 after 4 days, a5 still scheduled; a6 long ago.
        _closure(a3, delivered=NOW - 18 * DAY)
        _closure(a4, delivered=NOW - 6 * DAY)
        _closure(a5)
        _closure(a6, delivered=NOW - 199 * DAY)
        _feedback(a3, approved=True)
        _feedback(a4, approved=False)

        # Interviews and decisions: last interview to decision 1, 3 and 5 days.
        _interview(a3, 2, NOW - 23 * DAY, [hank], submitted=[hank])
        _interview(a3, 2, NOW - 21 * DAY, [hank, rhea], submitted=[hank])  # Rhea's is missing
        _outcome(a3, 2, Decision.REJECT, NOW - 20 * DAY)
        _interview(a4, 2, NOW - 13 * DAY, [hank], drafts=[hank])  # a draft is still pending
        _outcome(a4, 2, Decision.REJECT, NOW - 10 * DAY)
        _interview(a2, 1, NOW - 8 * DAY, [hank], submitted=[hank])
        _outcome(a2, 1, Decision.ADVANCE, NOW - 3 * DAY)
        _outcome(a2, 1, Decision.HOLD, NOW - 2 * DAY)  # not a decision
        _outcome(a2, 1, Decision.REJECT, NOW - 1 * DAY, OutcomeStatus.UNDONE)  # undone
        _interview(a1, 0, NOW + 2 * DAY, [hank])  # not held yet

        _promise(a1, PromiseEventKind.KEPT, NOW - 12 * DAY)
        _promise(a2, PromiseEventKind.KEPT, NOW - 5 * DAY)
        _promise(a2, PromiseEventKind.EXTENDED, NOW - 4 * DAY)
        _promise(a1, PromiseEventKind.BROKEN, NOW - 2 * DAY)
        _promise(a6, PromiseEventKind.KEPT, NOW - 100 * DAY)  # before the period

        _request(a3, RequestKind.CALL, respond_by=NOW - DAY)  # open and overdue
        _request(a4, RequestKind.CALL, respond_by=NOW - 3 * DAY, done=NOW - 4 * DAY)
        _request(a4, RequestKind.QUESTION, respond_by=NOW + DAY)  # not a call
        _request(b1, RequestKind.CALL, respond_by=NOW + DAY)  # open, in time
        _rating(a3, 5, NOW - 15 * DAY)
        _rating(a4, 2, NOW - 5 * DAY)
        _rating(a6, 1, NOW - 150 * DAY)  # before the period

        # The other team: one of everything, none of it visible to team one.
        c1 = _application(req3, "Hidden Waiting", created=created)
        c2 = _application(req3, "Hidden Rejected", closed=NOW - 5 * DAY, **rejected)
        _closure(c2, delivered=NOW - 4 * DAY)
        _interview(c2, 2, NOW - 7 * DAY, [olga])
        _promise(c1, PromiseEventKind.BROKEN, NOW - 3 * DAY)
        _request(c2, RequestKind.CALL, respond_by=NOW - DAY)
        _rating(c2, 1, NOW - 3 * DAY)
        db.session.commit()
        return {
            "rhea": rhea.id,
            "otto": otto.id,
            "hank": hank.id,
            "olga": olga.id,
            "req1": req1.id,
            "req2": req2.id,
            "req3": req3.id,
            "a1": a1.id,
            "admin": admin.id,
        }


def _signed_in(app, email):
    client = app.test_client()
    assert login(client, email).status_code == 302
    return client


def _csv(response, figure=None):
    assert response.status_code == 200, response.text
    assert response.mimetype == "text/csv"
    return list(csv.reader(io.StringIO(response.get_data(as_text=True))))


# ---- figures ----------------------------------------------------------------------------------


def test_a_recruiter_sees_the_figures_of_their_own_requisitions(app, world):
    client = _signed_in(app, "rhea@example.com")
    page = client.get("/insights").get_data(as_text=True)
    assert "From 21 Aug 2026 to 18 Nov 2026 (90 days)" in page
    assert "Secret Other Team Job" not in page and "Hidden" not in page
    rows = {row[0]: row[1:] for row in _csv(client.get("/insights.csv?figure=closures"))}
    assert rows["rejected in period"] == ["3", "", ""]
    assert rows["rejected after an interview"] == ["2", "3", ""]
    assert rows["closure delivered"] == ["2", "3", "0.6667"]
    assert rows["personalized feedback"] == ["1", "3", "0.3333"]
    assert rows["personalized feedback, interviewed"] == ["1", "2", "0.5000"]


def test_figures_per_section(app, world):
    client = _signed_in(app, "rhea@example.com")

    def figure(name):
        return _csv(client.get(f"/insights.csv?figure={name}"))

    waiting = figure("waiting")
    assert waiting[0] == [
        "candidate",
        "requisition",
        "stage",
        "last_contact_utc",
        "days_without_contact",
    ]
    assert [(r[0], r[1], r[4]) for r in waiting[1:]] == [
        ("'=Ada Formula", "Backend Engineer", "10"),  # formula neutralised
        ("Gus Offer", "Designer", "9"),
    ]
    assert figure("timing")[1:] == [
        ["decision to delivered closure", "2", "3.00", "3.80"],
        ["last interview to decision", "3", "3.00", "4.60"],
    ]
    assert figure("promises")[1:] == [
        ["kept", "2", "0.5000"],
        ["extended", "1", "0.2500"],
        ["broken", "1", "0.2500"],
    ]
    scorecards = figure("scorecards")[1:]
    assert [(r[0], r[1], r[4]) for r in scorecards] == [
        ("Rhea Recruiter", "Cleo Closed", "21"),
        ("Hank Manager", "Dan Delivered", "13"),
    ]
    assert figure("calls")[1:] == [["open", "2"], ["overdue", "1"]]
    assert figure("ratings")[1:] == [
        ["1", "0"],
        ["2", "1"],
        ["3", "0"],
        ["4", "0"],
        ["5", "1"],
        ["mean", "3.50"],
    ]
    # a1, a5 at stage 0; a2 at 1; a3, a4 at 2 (a6 applied before the period); b1 at the offer.
    # The two requisitions call their second stage differently, so it is "Stage 2".
    assert figure("funnel")[1:] == [
        ["Application review", "6", "1.0000", "1.0000"],
        ["Stage 2", "4", "0.6667", "0.6667"],
        ["Hiring manager interview", "3", "0.5000", "0.7500"],
        ["Panel interview", "1", "0.1667", "0.3333"],
        ["Offer", "1", "0.1667", "1.0000"],
    ]
    trend = figure("trend")
    assert trend[0] == [
        "week_starting",
        "rejections_decided",
        "closures_delivered",
        "median_days_to_closure",
    ]
    weeks = {row[0]: row[1:] for row in trend[1:]}
    assert len(weeks) == 14  # 17 Aug (the week of 21 Aug) to 16 Nov
    assert weeks["2026-10-26"] == ["1", "1", "2.00"]  # a3 decided 29 Oct, delivered 31 Oct
    assert weeks["2026-11-02"] == ["1", "0", "4.00"]  # a4 decided 8 Nov
    assert weeks["2026-11-09"] == ["1", "1", ""]  # a5 decided 13 Nov; a4 delivered 12 Nov
    assert sum(int(row[1]) for row in trend[1:]) == 3


def test_an_admin_sees_every_team_and_filters_narrow_it(app, world):
    client = _signed_in(app, "admin@example.com")

    def waiting(query=""):
        rows = _csv(client.get(f"/insights.csv?figure=waiting&{query}"))
        return [r[0] for r in rows[1:]]

    assert waiting() == ["Hidden Waiting", "'=Ada Formula", "Gus Offer"]
    assert waiting(f"recruiter={world['otto']}") == ["Hidden Waiting"]
    assert waiting(f"hiring_manager={world['hank']}") == ["'=Ada Formula"]
    assert waiting(f"requisition={world['req2']}") == ["Gus Offer"]
    assert waiting("waiting_days=9") == ["Hidden Waiting", "'=Ada Formula"]
    closures = _csv(client.get("/insights.csv?figure=closures"))
    assert closures[1] == ["rejected in period", "4", "", ""]
    # A period of the last twelve days: only a4 and a5 were rejected in it.
    period = "date_from=2026-11-06&date_to=2026-11-18"
    closures = _csv(client.get(f"/insights.csv?figure=closures&recruiter={world['rhea']}&{period}"))
    assert closures[1] == ["rejected in period", "2", "", ""]
    # Only the "from" end: the period runs to today.
    page = client.get("/insights?date_from=2026-11-01").get_data(as_text=True)
    assert "From 1 Nov 2026 to 18 Nov 2026 (18 days)" in page


def test_the_page_shows_figures_lists_and_charts_with_their_tables(app, world):
    client = _signed_in(app, "rhea@example.com")
    response = client.get("/insights")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert ">2</span> waiting more than 7 days without contact" in page
    assert "67%</span> of 3 rejected candidates got a delivered closure" in page
    assert "&#39;=Ada Formula" not in page and "=Ada Formula" in page  # the page is not a CSV
    assert page.count('<svg class="chart" viewBox=') == 4
    for chart in ("chart-trend", "chart-closure-days", "chart-ratings", "chart-funnel"):
        assert f'role="img" aria-labelledby="{chart}-title {chart}-desc" id="{chart}"' in page
        assert f'<title id="{chart}-title">' in page and f'<desc id="{chart}-desc">' in page
    assert page.count('<div class="chart-pair">') == 4
    assert page.count("<table>") >= 4 + 4  # a table beside each chart, and the figures' tables
    assert 'fill="url(#chart-trend-hatch)"' in page  # the second series is hatched, not a colour
    assert "<script" not in page and " style=" not in page
    assert "Insights</a>" in page  # in the navigation


def test_text_in_charts_is_escaped(app, world):
    client = _signed_in(app, "rhea@example.com")
    page = client.get(f"/insights?requisition={world['req2']}").get_data(as_text=True)
    assert 'class="chart-label" x="8.0" y="62">Portfolio &lt;review&gt;</text>' in page
    assert "Portfolio <review>" not in page


# ---- who may see what -------------------------------------------------------------------------


def test_hiring_managers_are_refused_and_do_not_see_the_entry(app, world):
    client = _signed_in(app, "hank@example.com")
    assert client.get("/insights").status_code == 403
    assert client.get("/insights.csv").status_code == 403
    assert "Insights</a>" not in client.get("/").get_data(as_text=True)


def test_signed_out_visitors_sign_in_first(app, world):
    response = app.test_client().get("/insights.csv")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/auth/login")


def test_another_teams_requisition_is_not_found_and_never_counted(app, world):
    client = _signed_in(app, "rhea@example.com")
    other = world["req3"]
    assert client.get(f"/insights?requisition={other}").status_code == 404
    assert client.get(f"/insights.csv?requisition={other}&figure=waiting").status_code == 404
    assert client.get("/insights?requisition=999999").status_code == 404
    # Another team's people are not on the lists either: a plain field error.
    response = client.get(f"/insights?recruiter={world['otto']}")
    assert response.status_code == 400
    assert "Choose one from the list." in response.get_data(as_text=True)
    response = client.get(f"/insights.csv?hiring_manager={world['olga']}")
    assert response.status_code == 400
    # The admin may pick it, and sees its numbers only.
    admin = _signed_in(app, "admin@example.com")
    rows = _csv(admin.get(f"/insights.csv?requisition={other}&figure=calls"))
    assert rows[1:] == [["open", "1"], ["overdue", "1"]]


# ---- the filter's validation ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("date_from=2026-13-45", "Not a valid date value."),
        ("date_from=2026-11-10&date_to=2026-11-01", "The period must end on or after the day"),
        ("date_from=1500-01-01", "Choose a date from 2000 to 2099."),
        ("date_to=9999-12-31", "Choose a date from 2000 to 2099."),
        ("date_from=2020-01-01&date_to=2026-01-01", "Choose a period of at most 1098 days."),
        ("waiting_days=0", "Choose a number of days from 1 to 365."),
        ("waiting_days=100000", "Choose a number of days from 1 to 365."),
        ("waiting_days=soon", "Not a valid integer value."),
        ("requisition=abc", "Choose one from the list."),
        ("recruiter=-1", "Choose one from the list."),
        ("hiring_manager=1.5", "Choose one from the list."),
    ],
)
def test_bad_filters_get_a_field_error_not_a_crash(app, world, query, message):
    client = _signed_in(app, "rhea@example.com")
    response = client.get(f"/insights?{query}")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert message in page
    assert 'aria-invalid="true"' in page
    assert "Correct the filter above to see the figures." in page
    export = client.get(f"/insights.csv?{query}")
    assert export.status_code == 400
    assert message in export.get_data(as_text=True)


def test_empty_fields_mean_the_defaults(app, world):
    client = _signed_in(app, "rhea@example.com")
    query = "date_from=&date_to=&waiting_days=&requisition=&recruiter=&hiring_manager="
    page = client.get(f"/insights?{query}").get_data(as_text=True)
    assert "From 21 Aug 2026 to 18 Nov 2026 (90 days)" in page
    assert 'value="7"' in page


# ---- CSV --------------------------------------------------------------------------------------


def test_the_whole_export_has_one_section_per_figure(app, world):
    client = _signed_in(app, "rhea@example.com")
    response = client.get("/insights.csv?waiting_days=9")
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="insights-2026-08-21-2026-11-18.csv"'
    )
    rows = _csv(response)
    sections = [row[0] for row in rows if row and row[0].startswith("# ")]
    assert sections == [
        "# Candidates waiting without contact",
        "# Rejected candidates: closure and feedback",
        "# Time to decision and to closure",
        "# Promises",
        "# Pending scorecards",
        "# Open feedback-call requests",
        "# Helpfulness of feedback",
        "# Funnel by stage",
        "# Weekly trend",
    ]
    waiting = rows[rows.index(["# Candidates waiting without contact"]) + 2]
    assert waiting[0] == "'=Ada Formula"
    assert ["Gus Offer"] not in [r[:1] for r in rows]  # 9 days is not more than 9


def test_one_figure_per_file(app, world):
    client = _signed_in(app, "rhea@example.com")
    response = client.get("/insights.csv?figure=funnel&date_from=2026-11-01&date_to=2026-11-18")
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="insights-2026-11-01-2026-11-18-funnel.csv"'
    )
    assert _csv(response) == [["stage", "reached", "share_of_first", "share_of_previous"]]
    unknown = client.get("/insights.csv?figure=everything")
    assert unknown.status_code == 400
    assert "Unknown figure" in unknown.get_data(as_text=True)


# ---- query count ------------------------------------------------------------------------------


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


def _queries_for(make_app, size, path):
    """A requisition with ``size`` applications, a third of them rejected with a delivered
    closure and a rating, each with a kept promise and a held interview without scorecard."""
    app = make_app()
    with app.app_context():
        owner = make_user(Role.RECRUITER, email=f"owner{size}@example.com")
        requisition = make_requisition(owner)
        ids = bulk_applications(requisition, size, now=NOW - 20 * DAY, stage="spread")
        rejected = ids[::3]
        db.session.execute(
            update(Application)
            .where(Application.id.in_(rejected))
            .values(status=ApplicationStatus.REJECTED, closed_at=NOW - 10 * DAY)
        )
        db.session.execute(
            insert(PromiseEvent),
            [
                {"application_id": i, "kind": "kept", "old_due_at": NOW - DAY, "at": NOW - DAY}
                for i in ids
            ],
        )
        db.session.execute(
            insert(FeedbackRating),
            [
                {"application_id": i, "rating": 4, "created_at": NOW - DAY, "updated_at": NOW - DAY}
                for i in rejected
            ],
        )
        for application in db.session.scalars(
            select(Application).where(Application.id.in_(rejected))
        ):
            _closure(application, delivered=NOW - 8 * DAY)
            _interview(application, 1, NOW - 12 * DAY, [owner])
            _request(application, RequestKind.CALL, respond_by=NOW - DAY)
        db.session.commit()
    client = app.test_client()
    login(client, f"owner{size}@example.com")
    client.get(path)  # warm up
    with count_queries(app) as statements:
        response = client.get(path)
    assert response.status_code == 200
    return len(statements)


@pytest.mark.parametrize("path", ["/insights", "/insights.csv", "/insights?waiting_days=30"])
def test_query_count_does_not_grow_with_the_data(make_app, path):
    small = _queries_for(make_app, 30, path)
    large = _queries_for(make_app, 600, path)
    assert small == large
    assert large <= 16
