"""Held-out evaluation of the language checker on labelled recruiter feedback.

tests/data/language_eval.tsv was written separately from the rule tables in
test_language_rules.py (see tests/data/PROVENANCE.md). The test prints a per-category table
and holds the checker to two targets: at least 95% of block lines blocked, and at most 2% of
safe lines blocked.
"""

import csv
from collections import defaultdict
from pathlib import Path

import pytest

from recruitcare.domain.language import Severity, check

EVAL_PATH = Path(__file__).resolve().parents[1] / "data" / "language_eval.tsv"
BLOCK_RECALL_TARGET = 0.95
SAFE_BLOCKED_LIMIT = 0.02


def load_eval(path=EVAL_PATH):
    """Rows of (label, category, text) from the evaluation TSV."""
    with path.open(encoding="utf-8", newline="") as fh:
        return [
            (row["label"], row["category"], row["text"])
            for row in csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE)
        ]


def evaluate(rows):
    """Figures for the evaluation set: overall rates and one entry per expected category."""
    per_cat = defaultdict(lambda: {"n": 0, "caught": 0, "category_hit": 0})
    block_lines = block_hits = safe_lines = safe_blocked = safe_flagged = 0
    warn_lines = warn_hits = 0
    misses, false_blocks = [], []
    for label, category, text in rows:
        findings = check(text)
        blocked = any(f.severity is Severity.BLOCK for f in findings)
        flagged = any(f.severity is not Severity.INFO for f in findings)
        if label == "safe":
            safe_lines += 1
            safe_blocked += blocked
            safe_flagged += flagged
            if blocked:
                false_blocks.append((text, findings))
            continue
        caught = blocked if label == "block" else flagged
        entry = per_cat[(label, category)]
        entry["n"] += 1
        entry["caught"] += caught
        entry["category_hit"] += any(f.category == category for f in findings)
        if label == "block":
            block_lines += 1
            block_hits += blocked
        else:
            warn_lines += 1
            warn_hits += flagged
        if not caught:
            misses.append((label, category, text))
    return {
        "block_recall": block_hits / block_lines,
        "warn_recall": warn_hits / warn_lines,
        "safe_blocked": safe_blocked / safe_lines,
        "safe_flagged": safe_flagged / safe_lines,
        "counts": {"block": block_lines, "warn": warn_lines, "safe": safe_lines},
        "per_category": dict(per_cat),
        "misses": misses,
        "false_blocks": false_blocks,
    }


def format_table(result):
    """A small plain-text table of the figures."""
    lines = [
        f"language eval: {result['counts']}",
        f"  block lines blocked      {result['block_recall']:.3f}",
        f"  warn lines flagged       {result['warn_recall']:.3f}",
        f"  safe lines blocked       {result['safe_blocked']:.3f}",
        f"  safe lines with a warn   {result['safe_flagged']:.3f}",
        f"  {'label':6} {'category':22} {'n':>4} {'caught':>7} {'in category':>12}",
    ]
    for (label, category), e in sorted(result["per_category"].items()):
        lines.append(
            f"  {label:6} {category:22} {e['n']:4d} {e['caught'] / e['n']:7.2f}"
            f" {e['category_hit'] / e['n']:12.2f}"
        )
    for label, category, text in result["misses"]:
        lines.append(f"  missed [{label}/{category}] {text}")
    for text, findings in result["false_blocks"]:
        rules = ", ".join(f.rule for f in findings if f.severity is Severity.BLOCK)
        lines.append(f"  safe line blocked ({rules}) {text}")
    return "\n".join(lines)


@pytest.fixture(scope="module")
def result():
    return evaluate(load_eval())


def test_eval_file_is_well_formed():
    rows = load_eval()
    assert len(rows) >= 400
    assert {label for label, _, _ in rows} == {"block", "warn", "safe"}
    assert all(bool(category) == (label != "safe") for label, category, _ in rows)
    texts = [text for _, _, text in rows]
    assert len(texts) == len(set(texts))


def test_eval_targets(result, capsys):
    with capsys.disabled():
        print("\n" + format_table(result))
    assert result["block_recall"] >= BLOCK_RECALL_TARGET
    assert result["safe_blocked"] <= SAFE_BLOCKED_LIMIT
