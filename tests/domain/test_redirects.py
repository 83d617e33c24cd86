"""Only local paths are followed after sign-in."""

import pytest

from recruitcare.domain.redirects import safe_next_path


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/requisitions/3?view=list", "/requisitions/3?view=list"),
        ("/", "/"),
        (None, None),
        ("", None),
        ("https://evil.example/", None),
        ("//evil.example/", None),
        ("/\\evil.example", None),
        ("\\\\evil.example", None),
        ("/\t/evil.example", None),
        ("javascript:alert(1)", None),
        ("relative/path", None),
        ("http:/evil.example", None),
    ],
)
def test_safe_next_path(target, expected):
    assert safe_next_path(target) == expected
