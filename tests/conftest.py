"""The test kit: app, client and runner fixtures on SQLite or on the PostgreSQL given in
RECRUITCARE_TEST_DATABASE_URI (scripts/with_postgres.py starts one), and a mail guard."""

import os
import smtplib

import pytest
from sqlalchemy import text

from recruitcare import create_app
from recruitcare.extensions import db

POSTGRES_URI = os.environ.get("RECRUITCARE_TEST_DATABASE_URI")

TEST_CONFIG = {
    "TESTING": True,
    "SECRET_KEY": "test-secret-key-that-is-long-enough-for-production",
    # Cheap hashing keeps the suite fast; the production cost is asserted in test_auth.
    "PASSWORD_HASH_TIME_COST": 1,
    "PASSWORD_HASH_MEMORY_KIB": 64,
    "PASSWORD_HASH_PARALLELISM": 1,
    "RATELIMIT_ENABLED": False,
    "WTF_CSRF_ENABLED": False,
    "MAIL_SUPPRESS_SEND": True,
    "SERVER_NAME": None,
}


def pytest_collection_modifyitems(config, items):
    skip_pg = pytest.mark.skip(reason="needs PostgreSQL (make test-postgres)")
    for item in items:
        if "postgres" in item.keywords and not POSTGRES_URI:
            item.add_marker(skip_pg)


@pytest.fixture(scope="session")
def _postgres_schema():
    """On PostgreSQL the schema is built once; each test empties the tables afterwards."""
    if not POSTGRES_URI:
        yield None
        return
    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": POSTGRES_URI})
    with app.app_context():
        db.drop_all()
        db.create_all()
        db.engine.dispose()
    yield POSTGRES_URI


def _truncate_all() -> None:
    tables = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
    db.session.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    db.session.commit()


@pytest.fixture
def make_app(tmp_path, _postgres_schema):
    """Build apps with extra config; each gets an empty database and is cleaned up after."""
    apps = []

    def factory(create_schema=True, **overrides):
        """``create_schema=False`` leaves a database given in the overrides untouched."""
        uri = _postgres_schema or f"sqlite:///{tmp_path / f'test{len(apps)}.sqlite'}"
        app = create_app(
            {**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": uri, **overrides},
            instance_path=str(tmp_path / "instance"),
        )
        if create_schema and not _postgres_schema:
            with app.app_context():
                db.create_all()
        apps.append((app, create_schema))
        return app

    yield factory
    for app, created in apps:
        with app.app_context():
            db.session.remove()
            if _postgres_schema and created:
                _truncate_all()
            for engine in db.engines.values():
                engine.dispose()


@pytest.fixture
def app(make_app):
    return make_app()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture(autouse=True)
def _no_unexpected_smtp(request, monkeypatch):
    """Tests never reach a mail server by accident; delivery tests are marked ``smtp``."""
    if "smtp" in request.keywords:
        return

    def refuse(*args, **kwargs):
        raise AssertionError("unexpected SMTP connection in a test not marked smtp")

    monkeypatch.setattr(smtplib.SMTP, "connect", refuse)
