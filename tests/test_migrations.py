"""One Alembic head, and the migrations build exactly the schema the models describe."""

import uuid
from pathlib import Path

import pytest
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from recruitcare.domain.enums import Role
from recruitcare.extensions import db
from recruitcare.models import Application
from tests.conftest import POSTGRES_URI
from tests.factories import make_application, make_candidate, make_requisition, make_user

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def test_single_head():
    config = Config(str(MIGRATIONS / "alembic.ini"))
    config.set_main_option("script_location", str(MIGRATIONS))
    assert len(ScriptDirectory.from_config(config).get_heads()) == 1


@pytest.fixture
def empty_database(tmp_path):
    """A database with nothing in it: a new SQLite file, or a new PostgreSQL database."""
    if not POSTGRES_URI:
        yield f"sqlite:///{tmp_path / 'migrated.sqlite'}"
        return
    name = f"migrations_{uuid.uuid4().hex[:8]}"
    admin = create_engine(POSTGRES_URI, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    yield make_url(POSTGRES_URI).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    admin.dispose()


def test_upgrade_then_check_finds_no_drift(make_app, empty_database):
    app = make_app(create_schema=False, SQLALCHEMY_DATABASE_URI=empty_database)
    runner = app.test_cli_runner()
    upgraded = runner.invoke(args=["db", "upgrade"])
    assert upgraded.exit_code == 0, upgraded.output
    checked = runner.invoke(args=["db", "check"])
    assert checked.exit_code == 0, checked.output
    downgraded = runner.invoke(args=["db", "downgrade", "base"])
    assert downgraded.exit_code == 0, downgraded.output


def test_a_downgrade_that_rebuilds_a_table_keeps_its_children(make_app, empty_database):
    """SQLite rebuilds a table to drop a column; the rows that point at it must survive."""
    app = make_app(create_schema=False, SQLALCHEMY_DATABASE_URI=empty_database)
    runner = app.test_cli_runner()
    assert runner.invoke(args=["db", "upgrade"]).exit_code == 0
    with app.app_context():
        owner = make_user(Role.RECRUITER, email="lena@example.com")
        make_application(make_requisition(owner), make_candidate())
        db.session.commit()
        db.session.remove()
    downgraded = runner.invoke(args=["db", "downgrade", "0003_closure"])
    assert downgraded.exit_code == 0, downgraded.output
    assert runner.invoke(args=["db", "upgrade"]).exit_code == 0
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Application)) == 1
        db.session.remove()
