"""Sign-in, throttling, sessions that end server-side, and set-password links."""

import re
from datetime import timedelta

import pytest
from flask import Flask

from recruitcare.auth import services
from recruitcare.auth.passwords import hash_password
from recruitcare.clock import utcnow
from recruitcare.domain.enums import Role
from recruitcare.extensions import db
from recruitcare.models import AuditEvent, User
from tests.factories import PASSWORD, login, make_user


@pytest.fixture
def user(app):
    with app.app_context():
        person = make_user(Role.RECRUITER, email="Rhea.Castellano@Example.com")
        db.session.commit()
        return person.email


def test_sign_in_with_any_email_case_and_sign_out(client, user):
    response = login(client, "RHEA.castellano@example.COM")
    assert response.status_code == 302
    assert client.get("/").status_code == 200
    assert client.post("/auth/logout").status_code == 302
    assert client.get("/").status_code == 302


def test_refusals_look_identical(app, client, user):
    with app.app_context():
        make_user(Role.RECRUITER, email="gone@example.com", active=False)
        db.session.commit()
    pages = [
        login(client, user, "wrong password here").get_data(as_text=True),
        login(client, "nobody@example.com", "wrong password here").get_data(as_text=True),
        login(client, "gone@example.com", PASSWORD).get_data(as_text=True),
    ]
    assert all("did not match" in page for page in pages)
    # Apart from echoing the address typed, the three pages are byte-identical.
    pages = [re.sub(r'name="email"[^>]*>', "", page) for page in pages]
    assert pages[0] == pages[1] == pages[2]


def test_ten_failures_lock_the_account_even_for_the_right_password(app, client, user):
    for _ in range(10):
        assert login(client, user, "not the password at all").status_code == 200
    locked_page = login(client, user, PASSWORD)
    assert locked_page.status_code == 200  # refused, with the usual page
    assert client.get("/").status_code == 302
    with app.app_context():
        person = db.session.scalar(db.select(User).filter_by(email=user))
        assert person.locked_until is not None
        assert db.session.scalar(db.select(AuditEvent).filter_by(action="user.locked"))
        # Fifteen minutes later the lock has passed.
        person.locked_until = utcnow() - timedelta(seconds=1)
        db.session.commit()
    assert login(client, user, PASSWORD).status_code == 302


def test_per_address_rate_limit(make_app):
    app = make_app(RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="3 per minute")
    client = app.test_client()
    codes = [login(client, "someone@example.com", "whatever it is").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    assert client.get("/auth/login").status_code == 200  # only POST is limited


def test_signing_out_ends_every_session(app, user):
    laptop, phone = app.test_client(), app.test_client()
    login(laptop, user)
    login(phone, user, remember="y")
    assert phone.get("/").status_code == 200
    laptop.post("/auth/logout")
    assert phone.get("/").status_code == 302  # the remember cookie is refused too


def test_password_change_ends_other_sessions_but_keeps_this_one(app, user):
    laptop, phone = app.test_client(), app.test_client()
    login(laptop, user)
    login(phone, user)
    new = "a much longer new passphrase"
    response = laptop.post(
        "/auth/password", data={"current": PASSWORD, "password": new, "confirm": new}
    )
    assert response.status_code == 302
    assert laptop.get("/").status_code == 200
    assert phone.get("/").status_code == 302
    assert login(app.test_client(), user, new).status_code == 302


@pytest.mark.parametrize(
    ("password", "ok"), [("x" * 11, False), ("x" * 12, True), ("x" * 128, True), ("x" * 129, False)]
)
def test_password_length_is_the_only_rule(client, user, password, ok):
    login(client, user)
    response = client.post(
        "/auth/password", data={"current": PASSWORD, "password": password, "confirm": password}
    )
    assert (response.status_code == 302) is ok
    if not ok:
        assert "Use between 12 and 128 characters." in response.get_data(as_text=True)


def test_wrong_current_password_is_a_field_error(client, user):
    login(client, user)
    new = "another long passphrase"
    response = client.post(
        "/auth/password", data={"current": "not it at all", "password": new, "confirm": new}
    )
    assert response.status_code == 200
    assert "That is not your current password." in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("target", "expected"),
    [("/admin/users", "/admin/users"), ("https://evil.example/", "/"), ("//evil.example", "/")],
)
def test_next_only_redirects_to_this_site(client, user, target, expected):
    response = client.post(f"/auth/login?next={target}", data={"email": user, "password": PASSWORD})
    assert response.headers["Location"] == expected


def test_set_password_link_works_once(app, client):
    with app.app_context():
        person = make_user(Role.HIRING_MANAGER, email="new@example.com", password=None)
        db.session.commit()
        token = services.make_set_password_token(person, app.secret_key)
    url = f"/auth/set-password/{token}"
    assert client.get(url).status_code == 200
    new = "first password of mine"
    assert client.post(url, data={"password": new, "confirm": new}).status_code == 302
    assert client.get(url).status_code == 404
    assert client.get(url[:-2] + "xx").status_code == 404
    assert login(client, "new@example.com", new).status_code == 302


def test_invited_account_without_password_cannot_sign_in(app, client):
    with app.app_context():
        make_user(Role.RECRUITER, email="invited@example.com", password=None)
        db.session.commit()
    assert login(client, "invited@example.com", "any password at all").status_code == 200


def test_production_hash_is_argon2id_with_rfc_parameters():
    app = Flask(__name__)
    app.config.update(
        PASSWORD_HASH_TIME_COST=3, PASSWORD_HASH_MEMORY_KIB=65536, PASSWORD_HASH_PARALLELISM=4
    )
    from recruitcare import config
    from recruitcare.auth import passwords

    assert (config.PASSWORD_HASH_TIME_COST, config.PASSWORD_HASH_MEMORY_KIB) == (3, 65536)
    passwords.init_app(app)
    with app.app_context():
        assert hash_password("some password").startswith("$argon2id$v=19$m=65536,t=3,p=4$")
