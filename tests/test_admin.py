"""Admins invite people, change roles and deactivate accounts; each change is audited."""

import re

import pytest

from recruitcare.domain.enums import Role
from recruitcare.extensions import db
from recruitcare.models import AuditEvent, User
from tests.factories import login, make_user


@pytest.fixture
def admin_client(app, client):
    with app.app_context():
        make_user(Role.ADMIN, email="admin@example.com")
        db.session.commit()
    login(client, "admin@example.com")
    return client


def _user(app, email):
    with app.app_context():
        return db.session.scalar(db.select(User).filter_by(email=email))


def test_invite_gives_a_one_time_link(app, admin_client):
    response = admin_client.post(
        "/admin/users/invite",
        data={"name": "  Keiko Tanabe ", "email": "Keiko@Example.com", "role": "hiring_manager"},
    )
    page = response.get_data(as_text=True)
    link = re.search(r'value="(http[^"]+/auth/set-password/[^"]+)"', page).group(1)
    invited = _user(app, "keiko@example.com")
    assert invited.name == "Keiko Tanabe"
    assert invited.role is Role.HIRING_MANAGER
    assert invited.password_hash is None
    path = link.split("localhost", 1)[1]
    stranger = app.test_client()
    new = "keiko's own password"
    assert stranger.post(path, data={"password": new, "confirm": new}).status_code == 302
    assert login(stranger, "keiko@example.com", new).status_code == 302


def test_invite_rerenders_with_field_errors(admin_client):
    response = admin_client.post(
        "/admin/users/invite", data={"name": "", "email": "not-an-email", "role": "recruiter"}
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Invalid email address." in page
    assert "This field is required." in page


def test_duplicate_invite_is_a_field_error(app, admin_client):
    with app.app_context():
        make_user(Role.RECRUITER, email="taken@example.com")
        db.session.commit()
    response = admin_client.post(
        "/admin/users/invite", data={"name": "X Y", "email": "TAKEN@example.com", "role": "admin"}
    )
    assert "already exists" in response.get_data(as_text=True)


def test_role_change_is_audited_and_ends_sessions(app, admin_client):
    with app.app_context():
        person = make_user(Role.HIRING_MANAGER, email="hm@example.com")
        db.session.commit()
        person_id = person.id
    theirs = app.test_client()
    login(theirs, "hm@example.com")
    admin_client.post(f"/admin/users/{person_id}/role", data={"role": "recruiter"})
    assert _user(app, "hm@example.com").role is Role.RECRUITER
    assert theirs.get("/").status_code == 302
    with app.app_context():
        event = db.session.scalar(db.select(AuditEvent).filter_by(action="user.role_changed"))
        assert event.payload == {"old": "hiring_manager", "new": "recruiter"}
        assert event.object_id == person_id


def test_deactivation_ends_sessions_and_blocks_sign_in(app, admin_client):
    with app.app_context():
        person = make_user(Role.RECRUITER, email="leaver@example.com")
        db.session.commit()
        person_id = person.id
    theirs = app.test_client()
    login(theirs, "leaver@example.com")
    assert theirs.get("/").status_code == 200
    admin_client.post(f"/admin/users/{person_id}/deactivate")
    assert theirs.get("/").status_code == 302
    assert login(app.test_client(), "leaver@example.com").status_code == 200
    admin_client.post(f"/admin/users/{person_id}/reactivate")
    assert login(app.test_client(), "leaver@example.com").status_code == 302


def test_admins_cannot_lock_themselves_out(app, admin_client):
    admin = _user(app, "admin@example.com")
    admin_client.post(f"/admin/users/{admin.id}/deactivate")
    admin_client.post(f"/admin/users/{admin.id}/role", data={"role": "recruiter"})
    admin = _user(app, "admin@example.com")
    assert admin.active and admin.role is Role.ADMIN


def test_unknown_user_is_404(admin_client):
    assert admin_client.post("/admin/users/999999/deactivate").status_code == 404
