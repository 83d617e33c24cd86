"""Train the language checker's second reader from the labelled evaluation files.

Needs scikit-learn, NumPy and SciPy (``pip install -e ".[train]"``); the app itself only reads
the result, ``recruitcare/domain/language/scorer.json.gz``. Trains on every
``tests/data/language_*.tsv`` file except the held-out ones, which stay unseen so that the
evaluation can say how the checker does on new text; on
``tests/data/training_closure_voice.tsv``: messages to candidates, whose plain process wording
the feedback files hardly have; and on ``tests/data/training_feedback_*.tsv``, feedback lines
written for training alone. Lines labelled ``warn`` are left out: the model separates text that
must not be shared from text that may be.

    python scripts/train_language_scorer.py
"""

import csv
import sys
from pathlib import Path

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from recruitcare.domain.language.scorer import (  # noqa: E402
    MODEL_PATH,
    PassageScorer,
    features,
    save_scorer,
)

DATA = ROOT / "tests" / "data"
HELD_OUT = tuple(f"language_batch{n}.tsv" for n in range(13, 21))
BLOCK_ABOVE = 0.7  # a legal or process term in a passage scoring above this blocks
CLEAR_BELOW = 0.25  # a rule's block finding in a passage scoring below this becomes a warning
CLOSURE_VOICE = DATA / "training_closure_voice.tsv"  # label and text, for training only
MIN_DF = 2  # an n-gram must occur in two training lines to count
BLOCK_C = 8.0


def training_files() -> list[Path]:
    evaluation = [p for p in sorted(DATA.glob("language_*.tsv")) if p.name not in HELD_OUT]
    return [*evaluation, CLOSURE_VOICE, *sorted(DATA.glob("training_feedback_*.tsv"))]


def read_rows(paths: list[Path]) -> list[tuple[str, str, str]]:
    rows = []
    for path in paths:
        with path.open(encoding="utf-8", newline="") as fh:
            reader = csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE)
            rows.extend((r["label"], r.get("category", ""), r["text"]) for r in reader)
    return rows


def scaled(counts_idf, idf):
    """Each row (count times idf per n-gram) divided by the square root of the sum of count
    times idf squared: the scaling ``PassageScorer.score`` applies, which adds up word by word."""
    norms = np.sqrt(np.asarray(counts_idf.multiply(idf).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    return sparse.diags(1.0 / norms) @ counts_idf


def main() -> None:
    files = training_files()
    rows = [r for r in read_rows(files) if r[0] != "warn"]
    texts = [text for _label, _category, text in rows]
    risky = [label == "block" for label, _category, _text in rows]

    vectorizer = TfidfVectorizer(analyzer=features, min_df=MIN_DF, norm=None)
    model = LogisticRegression(C=BLOCK_C, max_iter=5000, class_weight="balanced")
    model.fit(scaled(vectorizer.fit_transform(texts), vectorizer.idf_), risky)
    vocabulary = vectorizer.vocabulary_.items()
    idf = {gram: round(float(vectorizer.idf_[i]), 4) for gram, i in vocabulary}
    weights = {gram: round(float(model.coef_[0][i]), 4) for gram, i in vocabulary}

    scorer = PassageScorer(
        idf=idf,
        weights=weights,
        intercept=round(float(model.intercept_[0]), 4),
        block_above=BLOCK_ABOVE,
        clear_below=CLEAR_BELOW,
        trained_on=tuple(p.name for p in files),
    )
    save_scorer(scorer, MODEL_PATH)
    print(
        f"trained on {len(files)} files, {len(rows)} lines ({sum(risky)} risky); "
        f"{len(idf)} n-grams, "
        f"{MODEL_PATH.stat().st_size / 1024:.0f} KiB"
    )


if __name__ == "__main__":
    main()
