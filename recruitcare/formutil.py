"""Small helpers shared by every feature's forms."""

from collections.abc import Iterable

from wtforms import SelectChoice


def choices(pairs: Iterable[tuple[object, str]]) -> list[SelectChoice]:
    """WTForms select choices from (value, label) pairs."""
    return [SelectChoice(value, label) for value, label in pairs]


def strip(value):
    """A field filter: surrounding whitespace is never meant."""
    return value.strip() if isinstance(value, str) else value
