"""The batch helpers: rows written below Core's own executemany must read back exactly as
Core would have written them, on SQLite and on PostgreSQL."""

import gc
from datetime import UTC, datetime, timedelta, timezone
from types import SimpleNamespace

import pytest
from sqlalchemy import bindparam, delete, event, insert, select, update
from sqlalchemy.exc import DBAPIError, IntegrityError

from recruitcare.dbutil import DriverStatement, bulk, commit_batch, in_batch, insert_rows
from recruitcare.domain.enums import DeliveryStatus, Role
from recruitcare.extensions import db
from recruitcare.models import AuditEvent, OutboxMessage, User
from tests.factories import make_user

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)


def _outbox_rows(count: int, prefix: str) -> list[dict]:
    """Rows with every kind of value: enums, aware datetimes at other offsets, booleans,
    None, text with quotes, tabs, backslashes and line breaks (which COPY must escape)."""
    later = (NOW + timedelta(hours=2)).astimezone(timezone(timedelta(hours=-5)))
    return [
        {
            "application_id": None,
            "purpose": "test",
            "idempotency_key": f"{prefix}:{i}",
            "recipient": f"person{i}@example.com",
            "recipient_name": f"Ana O'Neil {i}",
            "sender_name": "Rhea Castellano, Northwind",
            "reply_to": "",
            "subject": f"Your application {i}",
            "text_body": f'Dear Ana,\n\ttab\\backslash "quoted" {i}\r\nend',
            "html_body": f"<p>Dear Ana {i}</p>",
            "message_id": f"<{prefix}.{i}@example.com>",
            "status": DeliveryStatus.RETRYING if i % 2 else DeliveryStatus.SCHEDULED,
            "send_after": NOW if i % 3 else later,
            "next_attempt_at": NOW,
            "attempts": i % 4,
            "data_sent_unconfirmed": bool(i % 2),
            "last_error": "",
            "cancel_reason": "",
            "created_at": NOW,
        }
        for i in range(count)
    ]


def _read_outbox(prefix: str) -> list[tuple]:
    table = OutboxMessage.__table__
    columns = [c for c in table.c if c.name != "id"]
    rows = db.session.execute(
        select(*columns)
        .where(table.c.idempotency_key.startswith(f"{prefix}:"))
        .order_by(table.c.message_id)
    )
    return [tuple(row) for row in rows]


def test_rows_read_back_as_cores_own_insert_writes_them(app):
    with app.app_context():
        insert_rows(OutboxMessage.__table__, _outbox_rows(50, "ours"))
        db.session.execute(insert(OutboxMessage.__table__), _outbox_rows(50, "core"))
        db.session.commit()
        ours, core = _read_outbox("ours"), _read_outbox("core")
        assert len(ours) == 50
        # The same values apart from the key and Message-ID, which carry the prefix.
        strip = [
            tuple(v.replace("ours", "core") if isinstance(v, str) else v for v in row)
            for row in ours
        ]
        assert strip == core
        assert {row[11] for row in ours} == {DeliveryStatus.RETRYING, DeliveryStatus.SCHEDULED}
        assert all(row[12].tzinfo is UTC for row in ours)


def test_text_that_copy_treats_specially_reads_back_unchanged(app):
    """COPY's text format has its own escapes: a literal backslash-N is not NULL, an empty
    string is not NULL, and a line holding only a backslash and a dot does not end the data."""
    tricky = ["\\N", "", "\\.", "line\n\\.\nafter", "tab\tend\\", "Zoë Ōkubo – ✓", "\\\\t"]
    rows = _outbox_rows(len(tricky), "tricky")
    for row, text in zip(rows, tricky, strict=True):
        row["text_body"] = text
        row["last_error"] = text
    with app.app_context():
        insert_rows(OutboxMessage.__table__, rows)
        db.session.commit()
        found = db.session.execute(
            select(
                OutboxMessage.idempotency_key, OutboxMessage.text_body, OutboxMessage.last_error
            ).where(OutboxMessage.idempotency_key.startswith("tricky:"))
        ).all()
        assert sorted(found) == sorted((f"tricky:{i}", t, t) for i, t in enumerate(tricky))


def test_a_nul_character_refuses_the_whole_batch(app):
    """PostgreSQL text cannot hold NUL; SQLite can. Either way nothing is half-written."""
    rows = _outbox_rows(3, "nul")
    rows[1]["text_body"] = "before\x00after"
    with app.app_context():
        dialect = db.engine.dialect.name
        if dialect == "postgresql":
            with pytest.raises(DBAPIError):
                insert_rows(OutboxMessage.__table__, rows)
            db.session.rollback()
            assert _read_outbox("nul") == []
        else:
            insert_rows(OutboxMessage.__table__, rows)
            db.session.commit()
            assert [row[8] for row in _read_outbox("nul")][1] == "before\x00after"


def test_json_values_and_shared_objects_are_written_per_row(app):
    """The payload dict shared by every row and the one ``now`` are converted once and
    still land in every row."""
    shared = {"rules": ["age"], "reason": 'said "fit"\n'}
    rows = [
        {
            "actor_id": None,
            "action": "test.json",
            "object_type": "x",
            "object_id": i,
            "payload": shared if i % 2 else {"n": i},
            "created_at": NOW,
        }
        for i in range(6)
    ]
    with app.app_context():
        insert_rows(AuditEvent.__table__, rows)
        db.session.commit()
        found = db.session.execute(
            select(AuditEvent.object_id, AuditEvent.payload, AuditEvent.created_at)
            .where(AuditEvent.action == "test.json")
            .order_by(AuditEvent.object_id)
        ).all()
        assert [(i, p) for i, p, _at in found] == [
            (i, shared if i % 2 else {"n": i}) for i in range(6)
        ]
        assert {at for _i, _p, at in found} == {NOW}


def test_a_missing_column_that_has_a_default_is_refused_before_anything_is_written(app):
    rows = _outbox_rows(3, "short")
    for row in rows:
        del row["attempts"]
    with app.app_context():
        with pytest.raises(ValueError, match="give attempts"):
            insert_rows(OutboxMessage.__table__, rows)
        db.session.rollback()
        assert _read_outbox("short") == []


def test_a_taken_unique_key_refuses_the_whole_batch(app):
    with app.app_context():
        insert_rows(OutboxMessage.__table__, _outbox_rows(1, "dup"))
        db.session.commit()
        batch = _outbox_rows(1, "fresh") + _outbox_rows(1, "dup")
        batch[1]["message_id"] = "<other@example.com>"
        with pytest.raises(IntegrityError):
            insert_rows(OutboxMessage.__table__, batch)
        db.session.rollback()
        assert _read_outbox("fresh") == []
        assert len(_read_outbox("dup")) == 1


def test_in_batch_finds_exactly_the_given_values(app):
    with app.app_context():
        insert_rows(OutboxMessage.__table__, _outbox_rows(30, "find"))
        db.session.commit()
        table = OutboxMessage.__table__
        wanted = [f"find:{i}" for i in range(0, 30, 3)] + ["find:nope", "it's"]
        keys = db.session.scalars(
            select(table.c.idempotency_key).where(in_batch(table.c.idempotency_key, wanted))
        ).all()
        assert sorted(keys) == sorted(wanted[:-2])
        # Keys with what an array literal or a JSON array treats specially.
        odd = ['say "hi"', "back\\slash", "NULL", "", "a,b", "{c}", " padded ", "it's"]
        rows = _outbox_rows(len(odd), "odd")
        for row, key in zip(rows, odd, strict=True):
            row["idempotency_key"] = key
        insert_rows(table, rows)
        for chosen in (odd, odd[::2], ["null", "say", "a", "b", "c"]):
            found = db.session.scalars(
                select(table.c.idempotency_key).where(in_batch(table.c.idempotency_key, chosen))
            ).all()
            assert sorted(found) == sorted(set(chosen) & set(odd))
        ids = db.session.scalars(select(table.c.id)).all()
        some = set(ids[::4])
        found = db.session.scalars(select(table.c.id).where(in_batch(table.c.id, some))).all()
        assert set(found) == some
        assert db.session.scalars(select(table.c.id).where(in_batch(table.c.id, []))).all() == []
        with pytest.raises(TypeError, match="ints or strings, not int, str"):
            in_batch(table.c.id, [1, "1"])
        db.session.execute(delete(table))
        db.session.commit()


def test_in_batch_gives_postgresql_one_constant_array(app):
    """The batch reaches the planner as a constant of the column's array type, which it
    parses once and hashes; the same text cast from a typed parameter stays an expression,
    read again for every row the filter sees (10,000 rows took seconds that way)."""
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("arrays are PostgreSQL's")
        table = OutboxMessage.__table__
        for column, values, typed in (
            (table.c.id, [3, 1, 2], "'{3,1,2}'::integer[]"),
            (table.c.idempotency_key, ['a"b', "c"], '\'{"a\\"b",c}\'::text[]'),
        ):
            statement = select(table.c.id).where(in_batch(column, values))
            compiled = statement.compile(db.engine)
            with db.session.connection().connection.cursor() as cursor:
                cursor.execute(
                    "EXPLAIN " + compiled.string.replace("%(param_1)s", "%s"),
                    [compiled.params["param_1"]],
                )
                plan = "\n".join(row[0] for row in cursor.fetchall())
            assert typed in plan
            assert "cstring" not in plan


def test_commit_batch_commits_and_leaves_objects_as_they_were(app):
    with app.app_context():
        user = make_user(Role.RECRUITER, email="batch@example.com", name="Ana Ortiz")
        user.name = "Ana Ortiz-Lee"
        statements = []

        def counting(*_args):
            statements.append(1)

        event.listen(db.engine, "before_cursor_execute", counting)
        try:
            commit_batch()
            committed = len(statements)
            assert (user.name, user.email) == ("Ana Ortiz-Lee", "batch@example.com")
            assert len(statements) == committed  # nothing was expired, so nothing is read again
        finally:
            event.remove(db.engine, "before_cursor_execute", counting)
        assert db.session().expire_on_commit is True
        with db.engine.connect() as other:
            name = other.scalar(select(User.name).where(User.email == "batch@example.com"))
        assert name == "Ana Ortiz-Lee"
        db.session.commit()  # an ordinary commit still expires
        assert "name" not in user.__dict__


def test_commit_batch_keeps_expiring_after_a_refused_commit(app):
    with app.app_context():
        make_user(Role.RECRUITER, email="twice@example.com")
        db.session.commit()
        db.session.add(
            User(email="twice@example.com", name="B", role=Role.RECRUITER, created_at=NOW)
        )
        with pytest.raises(IntegrityError):
            commit_batch()
        db.session.rollback()
        assert db.session().expire_on_commit is True
        assert db.session.scalar(select(User.name).where(User.email == "twice@example.com"))


_OUTBOX = OutboxMessage.__table__
_READ = select(*(c for c in _OUTBOX.c if c.name != "id")).where(
    _OUTBOX.c.idempotency_key == bindparam("key")
)


def test_a_driver_statement_reads_what_core_reads(app):
    """Enums, aware datetimes, booleans, None and odd text come back as Core gives them."""
    with app.app_context():
        insert_rows(_OUTBOX, _outbox_rows(6, "read"))
        db.session.commit()
        statement = DriverStatement(_READ)
        with db.engine.connect() as connection:
            for i in range(6):
                ours = statement.first(connection, key=f"read:{i}")
                core = connection.execute(_READ, {"key": f"read:{i}"}).one()
                assert tuple(ours) == tuple(core)
                assert ours._fields == tuple(core._fields)
            assert isinstance(ours.status, DeliveryStatus)
            assert ours.send_after.tzinfo is UTC
            assert statement.first(connection, key="read:none") is None


def test_a_driver_statement_writes_what_core_writes(app):
    """The same UPDATE through the driver and through Core leaves the same row behind,
    literal values in the statement included."""
    later = (NOW + timedelta(hours=3)).astimezone(timezone(timedelta(hours=5, minutes=30)))
    values = {
        "status": DeliveryStatus.FAILED,
        "last_attempt_at": later,
        "delivered_at": None,
        "data_sent_unconfirmed": True,
        "last_error": 'refused: "550"\n\ttab',
        "smtp_code": 550,
    }
    change = (
        update(_OUTBOX)
        .where(_OUTBOX.c.idempotency_key == bindparam("key"))
        .where(_OUTBOX.c.status != DeliveryStatus.CANCELLED)
        .values({**{name: bindparam(name) for name in values}, "claimed_by": "worker-1"})
    )
    with app.app_context():
        insert_rows(_OUTBOX, _outbox_rows(1, "ours") + _outbox_rows(1, "core"))
        db.session.commit()
        with db.engine.connect() as connection:
            with connection.begin():
                changed = DriverStatement(change).execute(connection, key="ours:0", **values)
                connection.execute(change, {"key": "core:0", **values})
            assert changed == 1
            ours, core = (
                connection.execute(_READ, {"key": f"{k}:0"}).one() for k in ("ours", "core")
            )
            # Stored as Core stores it, so comparisons in SQL find both rows.
            found = select(_OUTBOX.c.idempotency_key).where(_OUTBOX.c.last_attempt_at == later)
            assert sorted(connection.scalars(found)) == ["core:0", "ours:0"]
        ours, core = ours._asdict(), core._asdict()
        for row in (ours, core):  # the only columns that carry the prefix
            del row["idempotency_key"], row["message_id"]
        assert ours == core
        ours = SimpleNamespace(**ours)
        assert (ours.status, ours.claimed_by, ours.last_attempt_at) == (
            DeliveryStatus.FAILED,
            "worker-1",
            later,
        )
        assert ours.last_attempt_at.tzinfo is UTC


def test_a_driver_statement_returns_every_row_of_an_update(app):
    statement = DriverStatement(
        update(_OUTBOX)
        .where(_OUTBOX.c.status == DeliveryStatus.RETRYING)
        .values(status=DeliveryStatus.FAILED, last_attempt_at=bindparam("at"))
        .returning(_OUTBOX.c.idempotency_key, _OUTBOX.c.status, _OUTBOX.c.last_attempt_at)
    )
    with app.app_context():
        insert_rows(_OUTBOX, _outbox_rows(6, "many"))
        db.session.commit()
        with db.engine.connect() as connection, connection.begin():
            rows = statement.all(connection, at=NOW)
        assert sorted(rows) == [(f"many:{i}", DeliveryStatus.FAILED, NOW) for i in (1, 3, 5)]
        assert rows[0]._fields == ("idempotency_key", "status", "last_attempt_at")
        # What it sends: values written into the statement go under their own names.
        sql, arguments = statement.sent(db.engine.dialect, at=NOW)
        assert "RETURNING" in sql
        if db.engine.dialect.name == "postgresql":
            assert arguments == {"status": "failed", "at": NOW, "status_1": "retrying"}
        else:
            assert arguments == ("failed", "2026-11-22 09:00:00.000000", "retrying")


def test_a_driver_statement_runs_in_the_callers_transaction(app):
    statement = DriverStatement(
        update(_OUTBOX).where(_OUTBOX.c.idempotency_key == bindparam("key")).values(attempts=9)
    )
    with app.app_context():
        insert_rows(_OUTBOX, _outbox_rows(1, "undo"))
        db.session.commit()
        with db.engine.connect() as connection:
            with connection.begin() as transaction:
                assert statement.execute(connection, key="undo:0") == 1
                transaction.rollback()
            with connection.begin():
                assert connection.scalar(select(_OUTBOX.c.attempts)) == 0
                statement.execute(connection, key="undo:0")
        with db.engine.connect() as other:
            assert other.scalar(select(_OUTBOX.c.attempts)) == 9


def test_a_driver_statement_refuses_wrong_parameters_and_expanding_lists(app):
    with app.app_context(), db.engine.connect() as connection:
        statement = DriverStatement(_READ)
        with pytest.raises(TypeError, match=r"missing: \['key'\]"):
            statement.first(connection)
        with pytest.raises(TypeError, match=r"unknown: \['kee'\]"):
            statement.first(connection, key="x", kee="x")
        listing = DriverStatement(select(_OUTBOX.c.id).where(_OUTBOX.c.id.in_([1, 2])))
        with pytest.raises(ValueError, match="plainly named"):
            listing.first(connection)


def test_a_driver_statement_raises_the_databases_refusal_as_core_does(app):
    taken = DriverStatement(
        update(_OUTBOX)
        .where(_OUTBOX.c.idempotency_key == bindparam("key"))
        .values(message_id=bindparam("message_id"))
    )
    with app.app_context():
        insert_rows(_OUTBOX, _outbox_rows(2, "clash"))
        db.session.commit()
        with db.engine.connect() as connection:
            with pytest.raises(IntegrityError), connection.begin():
                taken.execute(connection, key="clash:0", message_id="<clash.1@example.com>")
            # The connection is usable again once the transaction has been rolled back.
            assert (
                connection.scalar(
                    select(_OUTBOX.c.message_id).where(_OUTBOX.c.idempotency_key == "clash:0")
                )
                == "<clash.0@example.com>"
            )


def test_bulk_pauses_the_collector_and_always_resumes_it():
    seen = []

    @bulk
    def inner():
        seen.append(("inner", gc.isenabled()))

    @bulk
    def outer(fail: bool):
        seen.append(("outer", gc.isenabled()))
        inner()
        seen.append(("after inner", gc.isenabled()))
        if fail:
            raise RuntimeError("refused")
        return "done"

    assert gc.isenabled()
    assert outer(False) == "done"
    assert gc.isenabled()
    with pytest.raises(RuntimeError):
        outer(True)
    assert gc.isenabled()
    assert seen == [("outer", False), ("inner", False), ("after inner", False)] * 2
