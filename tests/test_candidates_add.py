"""Adding one candidate by hand: validation, the same email is the same person, and who may."""

import pytest
from flask import url_for
from sqlalchemy import func, select

from recruitcare.extensions import db
from recruitcare.models import Application, AuditEvent, Candidate, Requisition
from recruitcare.policies import promise_policy
from tests.factories import login, make_application, make_candidate, make_requisition
from tests.factories_candidates import make_team


@pytest.fixture
def team(app):
    with app.app_context():
        requisition, *_ = make_team()
        db.session.commit()
        return requisition.id


def _url(requisition_id: int) -> str:
    return f"/requisitions/{requisition_id}/candidates/new"


def _board(app, requisition_id: int) -> str:
    with app.test_request_context():
        if "pipeline.board" in app.view_functions:
            return url_for("pipeline.board", requisition_id=requisition_id)
        return url_for("home.index")


def _applications(app, requisition_id: int) -> list[tuple[str, str, str, str]]:
    """(name, email, time zone, stage) of each application to the requisition."""
    with app.app_context():
        stmt = select(Application).where(Application.requisition_id == requisition_id)
        return [
            (a.candidate.name, a.candidate.email, a.candidate.timezone, a.stage.name)
            for a in db.session.scalars(stmt)
        ]


def test_the_form_defaults_to_the_org_zone_and_the_first_stage(app, client, team):
    login(client, "owner@example.com")
    page = client.get(_url(team)).get_data(as_text=True)
    assert '<option selected value="America/Toronto">' in page
    assert '<option selected value="en">English</option>' in page
    assert 'selected value="' in page.split('name="stage"')[1].split("</select>")[0]
    assert "Application review" in page
    assert 'for="email"' in page


def test_adding_a_candidate_creates_an_application_at_the_chosen_stage(app, client, team):
    login(client, "owner@example.com")
    with app.app_context():
        stage = db.session.get(Requisition, team).stages[1]
        stage_id, stage_name, promise = stage.id, stage.name, stage.promise_days
    response = client.post(
        _url(team),
        data={
            "name": "  Ana   Example ",
            "email": "Ana@Mail.Example",
            "timezone": "Europe/Lisbon",
            "language": "fr",
            "stage": stage_id,
        },
    )
    assert response.status_code == 302
    assert response.headers["Location"] == _board(app, team)
    assert _applications(app, team) == [
        ("Ana Example", "ana@mail.example", "Europe/Lisbon", stage_name)
    ]
    with app.app_context():
        application = db.session.scalar(select(Application))
        assert application.candidate.language == "fr"
        due = promise_policy(app.config).due_at(application.created_at, promise)
        assert application.decision_due_at == due
        created = select(func.count()).where(AuditEvent.action == "application.created")
        assert db.session.scalar(created) == 1
    assert "Ana Example added to Backend Engineer" in client.get("/").get_data(as_text=True)


def test_the_stage_may_be_left_out(app, client, team):
    login(client, "owner@example.com")
    data = {"name": "Sam Sample", "email": "sam@mail.example", "timezone": "UTC", "language": "en"}
    assert client.post(_url(team), data=data).status_code == 302
    assert _applications(app, team)[0][3] == "Application review"


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"name": "   "}, "name", "This field is required."),
        ({"email": ""}, "email", "This field is required."),
        ({"email": "x@"}, "email", "There must be something after the @-sign."),
        ({"email": "ana@mail.test"}, "email", "special-use or reserved name"),
        ({"timezone": "Mars/Olympus"}, "timezone", "Not a valid choice."),
        ({"language": "xx"}, "language", "Not a valid choice."),
        ({"stage": "999999"}, "stage", "Not a valid choice."),
    ],
)
def test_bad_input_rerenders_with_field_errors_and_loses_nothing(
    app, client, team, data, field, message
):
    login(client, "owner@example.com")
    form = {
        "name": "Ana Example",
        "email": "ana@mail.example",
        "timezone": "Asia/Tokyo",
        "language": "de",
        **data,
    }
    response = client.post(_url(team), data=form)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f'id="{field}-error"' in page and message in page
    assert f'aria-describedby="{field}-error"' in page or f"{field}-help {field}-error" in page
    for name, value in form.items():
        if name != field and name in ("name", "email"):
            assert f'value="{value}"' in page
    assert '<option selected value="Asia/Tokyo">' in page or field == "timezone"
    assert _applications(app, team) == []


def test_the_same_email_is_the_same_person_with_a_new_application(app, client, team):
    with app.app_context():
        other = make_requisition(title="Data Analyst")
        person = make_candidate(name="Ana Original", email="ana@mail.example")
        make_application(other, person)
        db.session.commit()
        person_id = person.id
    login(client, "owner@example.com")
    data = {"name": "Ana Changed", "email": "ANA@mail.example", "timezone": "UTC", "language": "en"}
    assert client.post(_url(team), data=data).status_code == 302
    with app.app_context():
        assert db.session.scalar(select(func.count(Candidate.id))) == 1
        applications = db.session.scalars(select(Application).filter_by(candidate_id=person_id))
        assert len(applications.all()) == 2


def test_someone_who_already_applied_is_an_email_error(app, client, team):
    with app.app_context():
        make_application(
            db.session.get(Requisition, team), make_candidate(email="ana@mail.example")
        )
        db.session.commit()
    login(client, "owner@example.com")
    data = {"name": "Ana Example", "email": "ana@mail.example", "timezone": "UTC", "language": "en"}
    response = client.post(_url(team), data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'id="email-error"' in page and "already applied to this requisition" in page
    assert len(_applications(app, team)) == 1


@pytest.mark.parametrize(
    ("email", "status"),
    [
        ("owner@example.com", 200),
        ("manager@example.com", 403),  # on the hiring team, but not a recruiter
        ("outsider@example.com", 404),  # another recruiter's requisition
    ],
)
def test_who_may_add_candidates(app, client, team, email, status):
    login(client, email)
    assert client.get(_url(team)).status_code == status
    data = {"name": "Ana Example", "email": "ana@mail.example", "timezone": "UTC", "language": "en"}
    assert client.post(_url(team), data=data).status_code == (302 if status == 200 else status)
    assert len(_applications(app, team)) == (1 if status == 200 else 0)


def test_team_recruiters_and_admins_may_add_candidates(app, client, team):
    from recruitcare.domain.enums import Role
    from tests.factories import make_user

    with app.app_context():
        requisition = db.session.get(Requisition, team)
        requisition.members.append(make_user(Role.RECRUITER, email="teammate@example.com"))
        make_user(Role.ADMIN, email="admin@example.com")
        db.session.commit()
    for email in ("teammate@example.com", "admin@example.com"):
        login(client, email)
        assert client.get(_url(team)).status_code == 200


def test_a_missing_requisition_is_404_and_anonymous_visitors_sign_in(app, client, team):
    assert client.get(_url(team)).status_code == 302
    login(client, "owner@example.com")
    assert client.get(_url(999999)).status_code == 404
