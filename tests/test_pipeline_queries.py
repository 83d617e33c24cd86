"""The board and the list cost the same number of queries whatever the pipeline's size."""

from contextlib import contextmanager

import pytest
from sqlalchemy import event

from recruitcare.domain.enums import Role
from recruitcare.extensions import db
from tests.factories import bulk_applications, login, make_requisition, make_user


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
    app = make_app()
    with app.app_context():
        owner = make_user(Role.RECRUITER, email=f"owner{size}@example.com")
        requisition = make_requisition(owner)
        bulk_applications(requisition, size, stage="spread")
        db.session.commit()
        requisition_id = requisition.id
    client = app.test_client()
    login(client, f"owner{size}@example.com")
    client.get(path.format(id=requisition_id))  # warm up
    with count_queries(app) as statements:
        response = client.get(path.format(id=requisition_id))
    assert response.status_code == 200
    return len(statements), response.text


@pytest.mark.parametrize(
    "path",
    [
        "/requisitions/{id}",
        "/requisitions/{id}/applications",
        "/requisitions/{id}/applications?sort=name&status=open",
        "/requisitions/{id}/applications?overdue=1&sort=waiting&page=2",
        "/",
    ],
)
def test_query_count_does_not_grow_with_applications(make_app, path):
    small, _ = _queries_for(make_app, 50, path)
    large, page = _queries_for(make_app, 2000, path)
    assert small == large
    assert large <= 10


def test_board_shows_a_bounded_number_of_cards_and_links_to_the_rest(make_app):
    _, page = _queries_for(make_app, 2000, "/requisitions/{id}")
    assert page.count('class="card-item"') == 5 * 25
    assert "375 more in the list" in page  # 400 per stage, 25 shown
