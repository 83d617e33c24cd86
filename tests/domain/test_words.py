import pytest

from recruitcare.domain.words import plural


@pytest.mark.parametrize(
    ("count", "word", "many", "expected"),
    [
        (0, "message", None, "0 messages"),
        (1, "message", None, "1 message"),
        (2, "link", None, "2 links"),
        (12000, "line", None, "12,000 lines"),
        (1, "person", "people", "1 person"),
        (3, "person", "people", "3 people"),
    ],
)
def test_plural(count, word, many, expected):
    assert plural(count, word, many) == expected
