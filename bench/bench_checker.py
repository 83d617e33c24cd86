"""Throughput of the feedback language checker, against plain-regex baselines in the same run.

Run from the repository root: ``python bench/bench_checker.py [--output bench/results.json]``.
``main()`` returns the figures as a dict so that an aggregate benchmark can collect them.
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from recruitcare.domain.language import check, load_rules  # noqa: E402
from recruitcare.domain.language.scorer import load_scorer  # noqa: E402

EVAL_PATH = ROOT / "tests" / "data" / "language_eval.tsv"
SENTENCES = 10_000
ROUNDS = 3
_VARIANTS = (
    "{}",
    "Panel note: {}",
    "{} We discussed this in the debrief.",
    "Overall, {}",
    "{} (second interview)",
)


def build_sentences(count: int = SENTENCES) -> list[str]:
    """``count`` sentences from the evaluation set, repeated with small variations."""
    with EVAL_PATH.open(encoding="utf-8", newline="") as fh:
        base = [row["text"] for row in csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE)]
    out: list[str] = []
    i = 0
    while len(out) < count:
        text = base[i % len(base)]
        variant = _VARIANTS[(i // len(base)) % len(_VARIANTS)]
        out.append(variant.format(text))
        i += 1
    return out


def _best_time(fn, sentences: list[str]) -> float:
    best = float("inf")
    for _ in range(ROUNDS):
        start = time.perf_counter()
        fn(sentences)
        best = min(best, time.perf_counter() - start)
    return best


def _run_checker(sentences: list[str]) -> None:
    for s in sentences:
        check(s)


def _run_rules(sentences: list[str]) -> None:
    """The rules without the trained second reader, to show what reading costs."""
    for s in sentences:
        check(s, second_reading=False)


_BASELINE_RE = re.compile(r"\b(?:too old|too young|pregnan\w*|culture fit)\b", re.IGNORECASE)


def _run_regex(sentences: list[str]) -> None:
    search = _BASELINE_RE.search
    for s in sentences:
        search(s)


def _run_lower(sentences: list[str]) -> None:
    for s in sentences:
        s.lower()


def main(argv: list[str] | None = None) -> dict:
    """Time the checker and two baselines; return (and optionally merge into a file) the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--output", type=Path, help="JSON file to create or update")
    parser.add_argument("--sentences", type=int, default=SENTENCES)
    args = parser.parse_args(argv)

    sentences = build_sentences(args.sentences)
    load_rules()  # compile once, outside the timed loop
    load_scorer()
    _run_checker(sentences[:200])  # warm caches
    checker = _best_time(_run_checker, sentences)
    rules = _best_time(_run_rules, sentences)
    regex = _best_time(_run_regex, sentences)
    lower = _best_time(_run_lower, sentences)
    n = len(sentences)
    result = {
        "checker_sentences": n,
        "checker_sentences_per_second": round(n / checker),
        "rules_only_sentences_per_second": round(n / rules),
        "baseline_regex_sentences_per_second": round(n / regex),
        "baseline_lower_sentences_per_second": round(n / lower),
        # How many times slower than one precompiled regex search per sentence.
        "ratio": round(checker / regex, 1),
        "ratio_rules_only": round(rules / regex, 1),
    }
    if args.output:
        existing = json.loads(args.output.read_text()) if args.output.exists() else {}
        existing.update(result)
        args.output.write_text(json.dumps(existing, indent=2, sort_keys=True) + "\n")
    return result


if __name__ == "__main__":
    print(json.dumps(main(), indent=2))
