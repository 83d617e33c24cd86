"""Query helpers shared by features."""

from collections.abc import Iterable

from sqlalchemy import any_, bindparam
from sqlalchemy.dialects.postgresql import ARRAY

from recruitcare.extensions import db


def in_batch(column, values: Iterable):
    """``column IN values`` for a batch of thousands of values. PostgreSQL gets them as one
    array parameter (``= ANY``), which it binds and plans several times faster than one
    parameter per value; SQLite, which has no arrays, gets the plain ``IN``."""
    values = list(values)
    if db.session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam(None, values, type_=ARRAY(column.type)))
    return column.in_(values)
