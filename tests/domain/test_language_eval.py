"""Evaluation of the language checker on labelled recruiter feedback.

Thirteen files, all written separately from the rule tables in test_language_rules.py (see
tests/data/PROVENANCE.md): language_eval.tsv (batches 1-3), language_holdout.tsv (batch 4),
language_batch5.tsv to language_batch15.tsv (batches 5-15; 7 to 15 written blind to the
rules by separate authors). Each batch was measured before the rules were tuned on its
failures, and those first figures are recorded in PROVENANCE.md (batch 6's with a caveat: its
author wrote the tuning examples after it). Batches 1 to 12 are in-sample twice over: the
rules were tuned on them and the second reader (scorer.py) was trained on them. Batches 13
to 15 are held out from both, so their figures say how the checker does on new text.
The test prints a per-category table for each file, for the held-out files and for all of
them together (``pytest -s``), and holds the checker, on all files together, to two targets:
at least 95% of block lines blocked, and at most 2% of safe lines blocked.
"""

import csv
from collections import defaultdict
from pathlib import Path

import pytest

from recruitcare.domain import messages as wording
from recruitcare.domain.closure import DEFAULT_TEMPLATES
from recruitcare.domain.language import Severity, check
from recruitcare.domain.language.scorer import load_scorer
from recruitcare.domain.reasons import DEFAULT_REASONS

DATA = Path(__file__).resolve().parents[1] / "data"
EVAL_PATH = DATA / "language_eval.tsv"
EVAL_FILES = {
    "batches 1-3": EVAL_PATH,
    "batch 4": DATA / "language_holdout.tsv",
    **{f"batch {n}": DATA / f"language_batch{n}.tsv" for n in range(5, 21)},
}
HELD_OUT = tuple(f"batch {n}" for n in range(13, 21))
# Lines the second reader also learns from, never evaluated on: messages to candidates, and
# feedback written for training alone.
TRAINING_ONLY = (DATA / "training_closure_voice.tsv", *sorted(DATA.glob("training_feedback_*.tsv")))
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
    per_cat = defaultdict(lambda: {"n": 0, "caught": 0, "flagged": 0, "category_hit": 0})
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
        entry["flagged"] += flagged
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


def format_table(result, title="language eval"):
    """A small plain-text table of the figures: for block lines ``caught`` means blocked, for
    warn lines flagged; ``flagged`` counts a warn or a block either way."""
    lines = [
        f"{title}: {result['counts']}",
        f"  block lines blocked      {result['block_recall']:.3f}",
        f"  warn lines flagged       {result['warn_recall']:.3f}",
        f"  safe lines blocked       {result['safe_blocked']:.3f}",
        f"  safe lines with a warn   {result['safe_flagged']:.3f}",
        f"  {'label':6} {'category':22} {'n':>4} {'caught':>7} {'flagged':>8} {'in category':>12}",
    ]
    for (label, category), e in sorted(result["per_category"].items()):
        lines.append(
            f"  {label:6} {category:22} {e['n']:4d} {e['caught'] / e['n']:7.2f}"
            f" {e['flagged'] / e['n']:8.2f} {e['category_hit'] / e['n']:12.2f}"
        )
    for label, category, text in result["misses"]:
        lines.append(f"  missed [{label}/{category}] {text}")
    for text, findings in result["false_blocks"]:
        rules = ", ".join(f.rule for f in findings if f.severity is Severity.BLOCK)
        lines.append(f"  safe line blocked ({rules}) {text}")
    return "\n".join(lines)


@pytest.fixture(scope="module")
def rows_by_file():
    return {name: load_eval(path) for name, path in EVAL_FILES.items()}


@pytest.fixture(scope="module")
def results(rows_by_file):
    out = {name: evaluate(rows) for name, rows in rows_by_file.items()}
    out["held-out files"] = evaluate([row for name in HELD_OUT for row in rows_by_file[name]])
    out["all files"] = evaluate([row for rows in rows_by_file.values() for row in rows])
    return out


@pytest.mark.parametrize("name", EVAL_FILES)
def test_eval_file_is_well_formed(rows_by_file, name):
    rows = rows_by_file[name]
    assert len(rows) >= 300
    assert {label for label, _, _ in rows} == {"block", "warn", "safe"}
    assert all(bool(category) == (label != "safe") for label, category, _ in rows)
    texts = [text for _, _, text in rows]
    assert len(texts) == len(set(texts))


def test_eval_files_do_not_share_lines(rows_by_file):
    seen: dict[str, str] = {}
    for name, rows in rows_by_file.items():
        for _, _, text in rows:
            assert seen.setdefault(text.lower(), name) == name, (text, seen[text.lower()], name)


def test_held_out_files_are_unseen_by_the_second_reader():
    trained_on = set(load_scorer().trained_on)
    assert trained_on, "the model names the files it was trained on"
    assert {p.name for p in EVAL_FILES.values()} | {p.name for p in TRAINING_ONLY} >= trained_on
    assert not trained_on & {EVAL_FILES[name].name for name in HELD_OUT}


@pytest.mark.parametrize("path", TRAINING_ONLY, ids=lambda p: p.name)
def test_training_only_files_share_no_line_with_the_eval_files(rows_by_file, path):
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE))
    assert rows and {r["label"] for r in rows} >= {"block", "safe"}
    training = {r["text"].lower() for r in rows}
    assert len(training) == len(rows)
    for name, eval_rows in rows_by_file.items():
        assert not training & {text.lower() for _, _, text in eval_rows}, name


def test_training_only_files_share_no_line_with_each_other():
    seen: dict[str, str] = {}
    for path in TRAINING_ONLY:
        with path.open(encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE):
                assert seen.setdefault(row["text"].lower(), path.name) == path.name, row["text"]


def test_eval_targets(results, capsys):
    with capsys.disabled():
        for name, result in results.items():
            print("\n" + format_table(result, title=f"language eval, {name}"))
    combined = results["all files"]
    assert combined["block_recall"] >= BLOCK_RECALL_TARGET
    assert combined["safe_blocked"] <= SAFE_BLOCKED_LIMIT


SAMPLE_VALUES = {
    "candidate_first_name": "Ana",
    "candidate_name": "Ana Okafor",
    "requisition_title": "Warehouse Lead",
    "stage": "the panel interview",
    "feedback": (
        "On stock control you walked us through a clear cycle-count plan. On forecasting, the "
        "role needs weekly demand plans; practising them with a public dataset would "
        "strengthen a future application."
    ),
    "feedback_link": "https://jobs.northwind.example/c/abc123",
    "recruiter_name": "Rhea Castellano",
    "recruiter_email": "rhea@northwind.example",
    "company_name": "Northwind",
    "decision_date": "Friday 4 December",
}


@pytest.mark.parametrize("template", DEFAULT_TEMPLATES, ids=lambda t: t.key)
def test_no_default_closure_template_is_blocked(template):
    """The second reader learnt mostly from feedback; the messages every candidate gets must
    not be blocked by it (or by the rules) before a recruiter has written a word, whichever
    default reason they carry."""
    for reason in DEFAULT_REASONS:
        values = {**SAMPLE_VALUES, "reason": reason.candidate_explanation}
        text = wording.render_text(template.body, values).text
        blocked = [f for f in check(text, message_checks=True) if f.severity is Severity.BLOCK]
        assert blocked == [], reason.code
