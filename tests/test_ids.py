"""Ids sent in forms, queries and JSON that no row can have: a form error, a 404 or nothing
chosen, never a server error (PostgreSQL refuses an INTEGER past 2**31 - 1 outright)."""

from sqlalchemy import select

from recruitcare.domain.enums import ApplicationStatus
from recruitcare.extensions import db
from recruitcare.ids import MAX_ID, coerce_id, parse_id
from recruitcare.models import Application, StageOutcome
from tests.factories import login
from tests.test_pipeline import team  # noqa: F401  (the fixture)

TOO_BIG = str(MAX_ID + 1)


def test_parse_id_takes_only_plain_digits_in_range():
    assert parse_id(" 42 ") == 42
    assert parse_id(str(MAX_ID)) == MAX_ID
    for value in (TOO_BIG, "²", "-1", "4.2", "", "x1"):
        assert parse_id(value) is None, value


def test_coerce_id_refuses_what_cannot_be_an_id():
    assert coerce_id("7") == 7
    for value in (TOO_BIG, "-1", "x"):
        try:
            coerce_id(value)
        except ValueError:
            continue
        raise AssertionError(value)


def test_a_reason_past_the_range_is_a_form_error(app, client, team):  # noqa: F811
    login(client, "rec@example.com")
    response = client.post(
        f"/applications/{team['app']}/outcome", data={"decision": "reject", "reason": TOO_BIG}
    )
    assert response.status_code == 200  # the form again, with its error
    assert "Invalid Choice" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalars(select(StageOutcome)).all() == []
    bulk = client.post(
        f"/requisitions/{team['req']}/bulk",
        data={"action": "reject", "reason": TOO_BIG, "application_ids": [str(team["app"])]},
    )
    assert bulk.status_code == 302
    with app.app_context():
        assert db.session.get(Application, team["app"]).status is ApplicationStatus.ACTIVE


def test_selected_ids_past_the_range_choose_nothing(app, client, team):  # noqa: F811
    login(client, "rec@example.com")
    response = client.post(
        f"/requisitions/{team['req']}/bulk",
        data={"action": "advance", "application_ids": [TOO_BIG, "²"]},
    )
    assert response.status_code == 302
    closeout = client.post(
        f"/requisitions/{team['req']}/closeout", data={"selected": [TOO_BIG, "²"]}
    )
    assert closeout.status_code == 200


def test_a_requisition_filter_that_is_no_id_is_a_field_error(client, team):  # noqa: F811
    login(client, "rec@example.com")
    assert client.get(f"/insights?requisition={TOO_BIG}").status_code == 404
    page = client.get("/insights?requisition=%C2%B2")  # "²", a digit that int() refuses
    assert page.status_code == 400  # the filter form again, with its error
    assert "Choose one from the list." in page.get_data(as_text=True)


def test_the_live_check_treats_an_impossible_requisition_as_missing(client, team):  # noqa: F811
    login(client, "rec@example.com")
    check = "/feedback/check"
    assert (
        client.post(check, json={"text": "Fine.", "requisition_id": MAX_ID + 1}).status_code == 404
    )
    assert client.post(check, json={"text": "Fine.", "requisition_id": True}).status_code == 400
    ok = client.post(check, json={"text": "Fine.", "requisition_id": team["req"]})
    assert ok.status_code == 200
