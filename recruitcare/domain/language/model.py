"""Value types of the language checker: severities, findings and job criteria."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Severity(StrEnum):
    """How strongly a finding should stop a message from being shared.

    ``block`` means the text must be rewritten before it goes to the candidate, ``warn`` means a
    reviewer should look at it, ``info`` is a style hint.
    """

    INFO = "info"
    WARN = "warn"
    BLOCK = "block"

    @property
    def rank(self) -> int:
        """Order used to pick the most severe of several findings (higher is worse)."""
        return _RANK[self]


_RANK = {Severity.INFO: 1, Severity.WARN: 2, Severity.BLOCK: 3}


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem in a text, located so that ``text[start:end]`` is the flagged span.

    Message-level findings (``category == "message"``) concern the text as a whole and use the
    empty span ``start == end == 0``.
    """

    rule: str
    category: str
    severity: Severity
    start: int
    end: int
    message: str
    suggestion: str

    def to_dict(self) -> dict[str, str | int]:
        """Plain dict for JSON output: exactly the seven public fields."""
        return {
            "rule": self.rule,
            "category": self.category,
            "severity": str(self.severity),
            "start": self.start,
            "end": self.end,
            "message": self.message,
            "suggestion": self.suggestion,
        }


@dataclass(frozen=True, slots=True)
class Criterion:
    """A job criterion of the requisition, so feedback can be tied to what the role needs."""

    name: str
    description: str = ""
