"""Config layers: defaults, instance/config.py, RECRUITCARE_* variables, then the test mapping."""

import pytest

from recruitcare import create_app
from recruitcare.config import ConfigError


@pytest.fixture
def instance(tmp_path, monkeypatch):
    for name in (
        "RECRUITCARE_ENV",
        "RECRUITCARE_SECRET_KEY",
        "RECRUITCARE_SQLALCHEMY_DATABASE_URI",
    ):
        monkeypatch.delenv(name, raising=False)
    path = tmp_path / "instance"
    path.mkdir()
    return path


def test_defaults_use_sqlite_in_instance_and_generate_a_secret(instance):
    app = create_app(instance_path=str(instance))
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{instance / 'recruitcare.sqlite'}"
    key = app.config["SECRET_KEY"]
    assert len(key) >= 32
    assert (instance / "secret_key").stat().st_mode & 0o077 == 0
    assert create_app(instance_path=str(instance)).config["SECRET_KEY"] == key  # kept


def test_layers_override_in_order(instance, monkeypatch):
    (instance / "config.py").write_text("PAGE_SIZE = 20\nORG_TIMEZONE = 'Europe/London'\n")
    assert create_app(instance_path=str(instance)).config["PAGE_SIZE"] == 20
    monkeypatch.setenv("RECRUITCARE_PAGE_SIZE", "30")
    app = create_app(instance_path=str(instance))
    assert app.config["PAGE_SIZE"] == 30  # parsed as JSON: an int
    assert app.config["ORG_TIMEZONE"] == "Europe/London"
    assert create_app({"PAGE_SIZE": 40}, instance_path=str(instance)).config["PAGE_SIZE"] == 40


def test_environment_selects_the_database(instance, monkeypatch):
    monkeypatch.setenv("RECRUITCARE_SQLALCHEMY_DATABASE_URI", "sqlite:///" + str(instance / "x.db"))
    app = create_app(instance_path=str(instance))
    assert app.config["SQLALCHEMY_DATABASE_URI"].endswith("x.db")


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({}, "RECRUITCARE_SQLALCHEMY_DATABASE_URI"),
        ({"RECRUITCARE_SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://db/x"}, "SECRET_KEY"),
        (
            {
                "RECRUITCARE_SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://db/x",
                "RECRUITCARE_SECRET_KEY": "too-short",
            },
            "shorter than 32",
        ),
    ],
)
def test_production_refuses_to_start_with_one_clear_line(instance, monkeypatch, env, message):
    monkeypatch.setenv("RECRUITCARE_ENV", "production")
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as caught:
        create_app(instance_path=str(instance))
    text = str(caught.value)
    assert message in text and "\n" not in text
    assert not (instance / "secret_key").exists()


def test_production_with_real_settings_starts_with_secure_cookies(instance, monkeypatch):
    monkeypatch.setenv("RECRUITCARE_ENV", "production")
    monkeypatch.setenv("RECRUITCARE_SQLALCHEMY_DATABASE_URI", "postgresql+psycopg://db/x")
    monkeypatch.setenv("RECRUITCARE_SECRET_KEY", "k" * 40)
    app = create_app(instance_path=str(instance))
    assert app.config["SESSION_COOKIE_SECURE"] and app.config["REMEMBER_COOKIE_SECURE"]
    assert app.config["SESSION_COOKIE_HTTPONLY"] and app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
