"""Discrimination-safety checker for candidate feedback: pure standard-library Python.

Feedback about a candidate must not refer to protected characteristics or their proxies, must
not compare the candidate with others, and should rest on the job's criteria. ``check`` finds
wording that breaks these rules so a reviewer can fix it before the message is shared::

    findings = check(text, criteria=("System design", "Communication"))
    if worst_severity(findings) is Severity.BLOCK:
        ...  # do not send

The rules are TOML data in ``rules/``; they are compiled once per process by ``load_rules``.
"""

from .checker import check, worst_severity
from .model import Criterion, Finding, Severity
from .report import findings_to_json_line, format_report
from .rules import RuleSet, load_rules

__all__ = [
    "Criterion",
    "Finding",
    "RuleSet",
    "Severity",
    "check",
    "findings_to_json_line",
    "format_report",
    "load_rules",
    "worst_severity",
]
