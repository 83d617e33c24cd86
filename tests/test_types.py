"""The column types' stored values: what SQLite holds must not change with how it is written."""

import random
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import DateTime, select, text
from sqlalchemy.dialects import sqlite

from recruitcare.extensions import db
from recruitcare.models import AuditEvent
from recruitcare.models.types import UTCDateTime


def test_sqlite_stores_the_text_its_own_datetime_type_would():
    """Rows written before and after must compare as text in SQLite, so the stored form is
    SQLite's DateTime format to the character, from any offset."""
    dialect = sqlite.dialect()
    ours = UTCDateTime().dialect_impl(dialect).bind_processor(dialect)
    reference = DateTime().dialect_impl(dialect).bind_processor(dialect)
    rng = random.Random(7)
    for _ in range(5_000):
        moment = datetime(2, 1, 1, tzinfo=UTC) + timedelta(
            seconds=rng.uniform(0, 9_995 * 365 * 86_400)
        )
        if rng.random() < 0.3:
            moment = moment.replace(microsecond=0)
        offset = timezone(timedelta(minutes=rng.choice([0, 60, -330, 345, 840])))
        assert ours(moment.astimezone(offset)) == reference(moment.replace(tzinfo=None))
    assert ours(None) is None
    with pytest.raises(ValueError, match="naive datetime"):
        ours(datetime(2026, 11, 22, 9, 0))


def test_a_stored_moment_reads_back_as_the_same_aware_utc_datetime(app):
    with app.app_context():
        moment = datetime(2026, 11, 22, 9, 30, 5, tzinfo=timezone(timedelta(hours=5, minutes=30)))
        event = AuditEvent(action="check", object_type="x", object_id=1, created_at=moment)
        db.session.add(event)
        db.session.commit()
        event_id = event.id
        db.session.expunge_all()
        assert db.session.scalar(select(AuditEvent.created_at)) == moment
        assert db.session.scalar(select(AuditEvent.created_at)).tzinfo is UTC
        found = db.session.scalar(select(AuditEvent.id).where(AuditEvent.created_at == moment))
        assert found == event_id
        if db.engine.dialect.name == "sqlite":
            stored = db.session.scalar(text("SELECT created_at FROM audit_events"))
            assert stored == "2026-11-22 04:00:05.000000"
