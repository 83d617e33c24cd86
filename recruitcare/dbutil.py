"""Helpers for reading and writing batches of thousands of rows, shared by features."""

import functools
import gc
import json
from collections import namedtuple
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ParamSpec, TypeVar

from sqlalchemy import (
    Table,
    any_,
    bindparam,
    cast,
    exc,
    func,
    insert,
    literal_column,
    select,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.types import NullType

from recruitcare.extensions import db

P = ParamSpec("P")
R = TypeVar("R")


def in_batch(column, values: Iterable):
    """``column IN values`` for a batch of thousands of values, bound as one parameter.

    One parameter per value makes the statement's compiling and binding cost grow with the
    batch. PostgreSQL gets the values as an array (``= ANY``), written as the text of an
    array literal. The parameter has no type of its own, so the server reads it as the
    array and the planner sees a constant it hashes once; text cast to an array would stay
    an expression, evaluated again for every row. SQLite, which has no arrays, gets a JSON
    array it unpacks with ``json_each``.
    """
    values = list(values)
    strings = _all_strings(values)
    if db.session.get_bind().dialect.name == "postgresql":
        literal = bindparam(None, _array_literal(values, strings), type_=NullType())
        return column == any_(cast(literal, ARRAY(column.type)))
    unpacked = select(literal_column("value")).select_from(
        func.json_each(bindparam(None, json.dumps(values)))
    )
    return column.in_(unpacked.scalar_subquery())


def _all_strings(values: list) -> bool:
    """Whether ``values`` are all strings (True) or all ints (False); anything else is
    refused, on either database."""
    if all(type(value) is int for value in values):
        return False
    if all(type(value) is str for value in values):
        return True
    kinds = sorted({type(value).__name__ for value in values})
    raise TypeError(f"in_batch takes ints or strings, not {', '.join(kinds)}")


def _array_literal(values: list, strings: bool) -> str:
    """PostgreSQL's text form of a one-dimensional array of ints or strings.

    The driver's array dumper handles each element in Python, about 1.5 microseconds apiece,
    several times what joining the text costs; a batch of 10,000 ids is bound several times
    in one close-out. Every string is quoted, so none reads as NULL, and backslashes and
    double quotes are escaped: the only characters special inside quotes.
    """
    return "{" + ",".join(map(_quoted, values) if strings else map(str, values)) + "}"


def _quoted(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def insert_rows(table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert many rows of ``table``, every row with the same keys, straight through the
    driver: one executemany on SQLite, one COPY on PostgreSQL.

    Core's executemany builds a parameter dict per row and calls each column's bind
    processor once per value, which for tens of thousands of rows costs several times the
    INSERT itself. Here each column's processor runs over its values in one pass, and a
    value that is the very object before it (a batch's one ``now``) is converted once. Every
    column the INSERT would fill with a default must be given: nothing is filled in here.
    """
    if not rows:
        return
    names = list(rows[0])
    connection = db.session.connection()
    dialect = connection.dialect
    compiled = insert(table).compile(dialect=dialect, column_keys=names)
    missing = set(compiled.binds) - set(names)
    if missing:
        raise ValueError(f"insert_rows into {table.name}: give {', '.join(sorted(missing))}")
    columns = []
    for name in names:
        values = [row[name] for row in rows]
        process = table.c[name].type.dialect_impl(dialect).bind_processor(dialect)
        columns.append(values if process is None else _converted(process, values))
    if dialect.name == "postgresql":
        _copy_rows(connection, table, names, columns)
        return
    if compiled.positional:
        index = {name: i for i, name in enumerate(names)}
        params = list(zip(*(columns[index[name]] for name in compiled.positiontup), strict=True))
    else:
        params = [dict(zip(names, values, strict=True)) for values in zip(*columns, strict=True)]
    connection.exec_driver_sql(compiled.string, params)


def _copy_rows(connection, table: Table, names: list[str], columns: list[list]) -> None:
    """The rows in by PostgreSQL's binary COPY, which takes tens of thousands of rows in a
    fraction of the time of any INSERT; a refused row refuses them all.

    Binary, because long text then goes as it is, where the text format escapes it on the
    way out and unescapes it on the way in. Binary COPY converts nothing, so each value is
    sent as its column's own type, which a query of no rows reads from the table first.
    """
    from psycopg import sql  # PostgreSQL only

    name, listed = sql.Identifier(table.name), sql.SQL(", ").join(map(sql.Identifier, names))
    statement = sql.SQL("COPY {} ({}) FROM STDIN (FORMAT BINARY)").format(name, listed)
    cursor = connection.connection.cursor()
    try:
        cursor.execute(sql.SQL("SELECT {} FROM {} LIMIT 0").format(listed, name))
        types = [column.type_code for column in cursor.description]
        with cursor.copy(statement) as copy:
            copy.set_types(types)
            for row in zip(*columns, strict=True):
                copy.write_row(row)
    except connection.dialect.dbapi.Error as error:
        raise exc.DBAPIError.instance(
            str(statement), None, error, connection.dialect.dbapi.Error
        ) from error
    finally:
        cursor.close()


def _converted(process: Callable[[Any], Any], values: list) -> list:
    """``process`` over ``values``, once for each run of the very same object."""
    out = []
    last, last_out = object(), None
    for value in values:
        if value is not last:
            last, last_out = value, process(value)
        out.append(last_out)
    return out


class DriverStatement:
    """A small Core statement compiled once per dialect and run straight on the driver.

    For loops that run a few one-row statements per item, such as the outbox worker once
    per message: Core's execution context and result object cost more than twice the
    driver's own call. Parameters still go through each bind's type processor, and result
    columns through theirs, so values go and come back as through Core. Only named
    parameters are taken; a statement with an expanding IN list is refused. The statement
    runs in the connection's transaction, which the caller begins and commits as usual.
    """

    def __init__(self, statement):
        self.statement = statement
        self._compiled: dict[str, _Compiled] = {}

    def first(self, connection, **params):
        """The first row (a named tuple) or None."""
        compiled, row = self._run(connection, params, lambda cursor: cursor.fetchone())
        return None if row is None else compiled.row(row)

    def all(self, connection, **params) -> list:
        """Every row, as named tuples (a SELECT, or a statement with RETURNING)."""
        compiled, rows = self._run(connection, params, lambda cursor: cursor.fetchall())
        return [compiled.row(row) for row in rows]

    def execute(self, connection, **params) -> int:
        """Run it; the number of rows it changed."""
        return self._run(connection, params, lambda cursor: cursor.rowcount)[1]

    def sent(self, dialect, **params) -> tuple[str, Any]:
        """The SQL and the driver's arguments it would send (to EXPLAIN it, say)."""
        compiled = self._for(dialect)
        return compiled.sql, compiled.arguments(params)

    def _run(self, connection, params: dict, read: Callable):
        dialect = connection.dialect
        compiled = self._for(dialect)
        arguments = compiled.arguments(params)
        cursor = connection.connection.cursor()
        try:
            cursor.execute(compiled.sql, arguments)
            return compiled, read(cursor)
        except dialect.dbapi.Error as error:
            raise exc.DBAPIError.instance(
                compiled.sql, arguments, error, dialect.dbapi.Error
            ) from error
        finally:
            cursor.close()

    def _for(self, dialect) -> "_Compiled":
        compiled = self._compiled.get(dialect.name)
        if compiled is None:
            compiled = self._compiled[dialect.name] = self._compile(dialect)
        return compiled

    def _compile(self, dialect) -> "_Compiled":
        compiled = self.statement.compile(dialect=dialect)
        if compiled.post_compile_params or compiled.escaped_bind_names:
            raise ValueError("DriverStatement takes plainly named parameters only")
        binds = {name: bind for bind, name in compiled.bind_names.items()}
        columns = self.statement.exported_columns or None  # selected or RETURNING
        return _Compiled(
            sql=compiled.string,
            order=tuple(compiled.positiontup) if compiled.positional else None,
            given={name: bind.effective_value for name, bind in binds.items() if not bind.required},
            processors={
                name: bind.type.dialect_impl(dialect).bind_processor(dialect)
                for name, bind in binds.items()
            },
            row_type=namedtuple("Row", columns.keys()) if columns is not None else None,
            readers=tuple(
                column.type.dialect_impl(dialect).result_processor(dialect, None)
                for column in columns or ()
            ),
        )


@dataclass(frozen=True)
class _Compiled:
    sql: str
    order: tuple[str, ...] | None  # the parameters' order, for positional drivers
    given: dict[str, Any]  # values written into the statement itself
    processors: dict[str, Callable | None]
    row_type: type | None
    readers: tuple[Callable | None, ...]

    def arguments(self, params: dict):
        values = {**self.given, **params}
        if values.keys() != self.processors.keys():
            missing = sorted(self.processors.keys() - values.keys())
            unknown = sorted(values.keys() - self.processors.keys())
            raise TypeError(f"statement parameters missing: {missing}, unknown: {unknown}")
        processed = {
            name: value if (process := self.processors[name]) is None else process(value)
            for name, value in values.items()
        }
        return processed if self.order is None else tuple(processed[n] for n in self.order)

    def row(self, values: tuple):
        return self.row_type._make(
            value if read is None else read(value)
            for read, value in zip(self.readers, values, strict=True)
        )


def commit_batch() -> None:
    """Commit without expiring every object the session holds.

    A close-out of 10,000 candidates holds their applications and people, 20,000 objects,
    and expiring each at commit took about a tenth of a second, for a request that then
    only redirects. Objects keep what they held at commit, which is what was committed for
    anything changed through them; a caller that goes on to read something changed by a
    bulk statement must use ``db.session.commit()`` instead.
    """
    session = db.session()
    expiring, session.expire_on_commit = session.expire_on_commit, False
    try:
        session.commit()
    finally:
        session.expire_on_commit = expiring


def bulk(function: Callable[P, R]) -> Callable[P, R]:
    """Run ``function`` with the cyclic garbage collector paused.

    A batch makes tens of thousands of objects that live until it ends, and every full
    collection walks all of them: on a batch of 10,000 closures that was about a fifth of
    the time. The batch makes no reference cycles that need collecting early; anything it
    leaves is collected when the collector runs again afterwards.
    """

    @functools.wraps(function)
    def paused(*args: P.args, **kwargs: P.kwargs) -> R:
        if not gc.isenabled():  # an outer batch paused it and will resume it
            return function(*args, **kwargs)
        gc.disable()
        try:
            return function(*args, **kwargs)
        finally:
            gc.enable()

    return paused
