"""The production configuration check, rule by rule."""

import pytest

from recruitcare.domain.deploy import deploy_problems

GOOD = {
    "ENV": "production",
    "DEBUG": False,
    "TESTING": False,
    "SECRET_KEY": "3xq9V_2mC8kPz0aRt7LwY4nB6dF1hJ5sQeUiOp",
    "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://rc@db.internal/recruitcare",
    "SESSION_COOKIE_SECURE": True,
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "REMEMBER_COOKIE_SECURE": True,
    "REMEMBER_COOKIE_HTTPONLY": True,
    "REMEMBER_COOKIE_SAMESITE": "Lax",
    "WTF_CSRF_ENABLED": True,
    "BASE_URL": "https://careers.acme-widgets.test",
    "PREFERRED_URL_SCHEME": "https",
    "MAIL_BACKEND": "smtp",
    "MAIL_SERVER": "smtp.acme-widgets.test",
    "MAIL_USE_TLS": True,
    "MAIL_DEFAULT_SENDER": ["Acme Careers", "careers@acme-widgets.test"],
    "RATELIMIT_ENABLED": True,
    "RATELIMIT_STORAGE_URI": "redis://cache.internal:6379/0",
    "WEB_PROCESSES": 8,
    "COMPANY_NAME": "Acme Widgets",
}


def test_a_good_production_config_has_no_problems():
    assert deploy_problems(GOOD) == []


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"ENV": "development"}, "ENV is not 'production'"),
        ({"DEBUG": True}, "DEBUG is on"),
        ({"SECRET_KEY": None}, "SECRET_KEY is not set"),
        ({"SECRET_KEY": "short"}, "SECRET_KEY has 5 characters"),
        ({"SECRET_KEY": "a" * 40}, "low-variety"),
        ({"SQLALCHEMY_DATABASE_URI": "sqlite:////srv/rc.sqlite"}, "The database is SQLite"),
        ({"SESSION_COOKIE_SECURE": False}, "SESSION_COOKIE_SECURE is off"),
        ({"REMEMBER_COOKIE_HTTPONLY": False}, "REMEMBER_COOKIE_HTTPONLY is off"),
        ({"SESSION_COOKIE_SAMESITE": None}, "SESSION_COOKIE_SAMESITE"),
        ({"WTF_CSRF_ENABLED": False}, "WTF_CSRF_ENABLED is off"),
        ({"BASE_URL": "http://careers.acme-widgets.test"}, "does not start with https"),
        ({"BASE_URL": "https://127.0.0.1:5000"}, "points at this machine"),
        ({"PREFERRED_URL_SCHEME": "http"}, "PREFERRED_URL_SCHEME"),
        ({"MAIL_BACKEND": "file"}, "MAIL_BACKEND is 'file'"),
        ({"MAIL_SERVER": "localhost"}, "MAIL_SERVER is not set"),
        ({"MAIL_USE_TLS": False}, "without TLS"),
        ({"MAIL_DEFAULT_SENDER": ("RecruitCare", "no-reply@recruitcare.example")}, "placeholder"),
        ({"RATELIMIT_ENABLED": False}, "RATELIMIT_ENABLED is off"),
        ({"RATELIMIT_STORAGE_URI": "memory://"}, "kept in memory"),
        ({"COMPANY_NAME": "Northwind"}, "demo name"),
    ],
)
def test_each_unsafe_setting_is_named(change, expected):
    problems = deploy_problems(GOOD | change)
    assert len(problems) == 1, problems
    assert expected in problems[0]


def test_memory_rate_limits_are_fine_for_one_process():
    assert deploy_problems(GOOD | {"RATELIMIT_STORAGE_URI": "memory://", "WEB_PROCESSES": 1}) == []


def test_every_problem_is_listed_at_once():
    problems = deploy_problems({})
    assert len(problems) >= 10
