"""Object ids from requests: only numbers that the database's integer keys can hold.

Every primary key is an INTEGER. PostgreSQL answers a larger number with an error where
SQLite finds nothing, so a URL or form carrying one would have been a server error there,
instead of the 404 or the form error it is everywhere else.
"""

from werkzeug.routing import IntegerConverter

MAX_ID = 2**31 - 1  # the largest INTEGER on PostgreSQL


class IdConverter(IntegerConverter):
    """``<int:...>`` in every route: a number past ``MAX_ID`` matches no route (a 404)."""

    def __init__(self, map, *args, **kwargs):  # noqa: A002 (Werkzeug's own name)
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def parse_id(value: str) -> int | None:
    """A form or query value as an id, or None when it cannot be one."""
    value = value.strip()
    if not (value.isascii() and value.isdigit()) or int(value) > MAX_ID:
        return None
    return int(value)


def coerce_id(value) -> int:
    """WTForms ``coerce`` for a select of ids: a value that cannot be one is a form error."""
    number = int(value)
    if not 0 <= number <= MAX_ID:
        raise ValueError("not an id")
    return number
