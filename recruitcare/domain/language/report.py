"""Plain-text and JSON renderings of findings, for the command-line checker."""

from __future__ import annotations

from collections.abc import Sequence

from .model import Finding


def format_report(text: str, findings: Sequence[Finding]) -> str:
    """Human-readable report: the text with flagged spans in ``[[...]]``, then one line per
    finding with its severity, rule, the flagged words, why, and what to write instead."""
    if not findings:
        return f"{text}\n  no findings"
    spans = sorted((f.start, f.end) for f in findings if f.end > f.start)
    merged: list[list[int]] = []
    for s, e in spans:
        if merged and s <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], e)
        else:
            merged.append([s, e])
    parts: list[str] = []
    pos = 0
    for s, e in merged:
        parts.append(text[pos:s])
        parts.append(f"[[{text[s:e]}]]")
        pos = e
    parts.append(text[pos:])
    lines = ["".join(parts)]
    for f in findings:
        where = f'"{text[f.start : f.end]}"' if f.end > f.start else "(whole message)"
        lines.append(
            f"  {f.severity.upper():5} {f.rule} [{f.category}] {where} {f.start}-{f.end}: "
            f"{f.message} Suggestion: {f.suggestion}"
        )
    return "\n".join(lines)


def findings_to_json_line(line_no: int, findings: Sequence[Finding]) -> dict:
    """One JSON Lines record for a checked input line: ``{"line": N, "findings": [...]}``."""
    return {"line": line_no, "findings": [f.to_dict() for f in findings]}
