"""`flask check-deploy` fails on an unsafe production config and passes on the documented one."""

import pytest

from recruitcare import create_app

DOCUMENTED = {
    "RECRUITCARE_ENV": "production",
    "RECRUITCARE_SECRET_KEY": "Jx9_q2Lr8VmT4wZb7nYc1kPa5sDf3gHh6jKl0Qe",
    "RECRUITCARE_SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://rc:pw@db.internal/recruitcare",
    "RECRUITCARE_BASE_URL": "https://careers.acme-widgets.test",
    "RECRUITCARE_PREFERRED_URL_SCHEME": "https",
    "RECRUITCARE_COMPANY_NAME": "Acme Widgets",
    "RECRUITCARE_MAIL_SERVER": "smtp.acme-widgets.test",
    "RECRUITCARE_MAIL_PORT": "587",
    "RECRUITCARE_MAIL_USE_TLS": "true",
    "RECRUITCARE_MAIL_DEFAULT_SENDER": '["Acme Careers", "careers@acme-widgets.test"]',
    "RECRUITCARE_WEB_PROCESSES": "8",
    "RECRUITCARE_RATELIMIT_STORAGE_URI": "redis://cache.internal:6379/0",
}


@pytest.fixture
def environment(monkeypatch, tmp_path):
    def apply(values):
        for key, value in values.items():
            monkeypatch.setenv(key, value)
        return create_app(instance_path=str(tmp_path / "instance"))

    return apply


def test_the_documented_production_config_passes(environment):
    app = environment(DOCUMENTED)
    result = app.test_cli_runner().invoke(args=["check-deploy"])
    assert result.exit_code == 0, result.output
    assert "ready for production" in result.output


def test_an_unsafe_config_fails_with_every_problem(environment):
    app = environment(
        DOCUMENTED
        | {
            "RECRUITCARE_BASE_URL": "http://127.0.0.1:5000",
            "RECRUITCARE_RATELIMIT_STORAGE_URI": "memory://",
            "RECRUITCARE_SQLALCHEMY_DATABASE_URI": "sqlite:////srv/recruitcare.sqlite",
            "RECRUITCARE_MAIL_BACKEND": "file",
        }
    )
    result = app.test_cli_runner().invoke(args=["check-deploy"])
    assert result.exit_code == 1
    for expected in ("does not start with https", "kept in memory", "SQLite", "MAIL_BACKEND"):
        assert expected in result.output
    assert "4 problems" in result.output


def test_development_is_not_production_ready(environment, monkeypatch):
    monkeypatch.delenv("RECRUITCARE_ENV", raising=False)
    app = environment({})
    result = app.test_cli_runner().invoke(args=["check-deploy"])
    assert result.exit_code == 1
    assert "ENV is not 'production'" in result.output
