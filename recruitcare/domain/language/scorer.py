"""A trained second reader: scores a passage for how much it reads like risky feedback.

The rules find the phrases they were written for, and blind batches of feedback showed that
trade words next to a sentence about the candidate set them off wrongly ("the blind spot
mirrors", "the maternity ward rota"). A logistic regression over tf-idf word and character
n-grams, trained on the labelled evaluation files and on lines written for training alone,
reads the passage as a whole, and ``check`` lets it weigh what the rules saw: a block in a
passage it finds plainly about the work becomes a warning, and in a passage it finds clearly
risky a legal or process warning, or such a term the rules' context checks passed over,
becomes a block.

The model is data (``scorer.json.gz``, written by ``scripts/train_language_scorer.py``); this
module only reads it, in pure Python. ``features`` is the one definition of the n-grams, used
by the training script too, so the two cannot drift apart.
"""

from __future__ import annotations

import functools
import gzip
import json
import math
import re
from collections import Counter
from dataclasses import dataclass, field
from itertools import repeat
from pathlib import Path

MODEL_PATH = Path(__file__).with_name("scorer.json.gz")
# Word n-grams and character n-grams inside words (padded with a space on each side).
_WORD = re.compile(r"\b\w\w+\b")
# Links and e-mail addresses are read as nothing: their pieces (hosts, ports, random tokens)
# say nothing about a candidate, yet could tip a score either way.
_LINK = re.compile(
    r"(?:https?://|www\.)\S*[^\s.,;:!?)\]'\"]|[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.IGNORECASE
)
# Every link or address has one of these: a text without them is not searched.
_LINK_MARKS = ("@", "://", "www.")
CHAR_NGRAMS = (3, 5)
_WORD_CACHE_LIMIT = 50_000
_ZEROS = repeat(0.0)  # the default of dict.get for every n-gram in a map


def _without_links(text: str) -> str:
    """``text``, already lower-case, with its links and e-mail addresses blanked out."""
    if any(mark in text for mark in _LINK_MARKS):
        return _LINK.sub(" ", text)
    return text


def word_features(text: str) -> list[str]:
    """Word uni- and bigrams of ``text``, lower-cased, marked with ``=`` so that a word is
    never the same feature as the same letters inside a longer word."""
    words = _WORD.findall(text.lower())
    return [f"={w}" for w in words] + [f"={a} {b}" for a, b in zip(words, words[1:], strict=False)]


def char_features(word: str) -> list[str]:
    """3- to 5-character pieces of one lower-case word, padded with a space on each side."""
    padded = f" {word} "
    size = len(padded)
    if size < CHAR_NGRAMS[0]:
        return [padded]
    lo, hi = CHAR_NGRAMS
    return [padded[i : i + n] for n in range(lo, min(hi, size) + 1) for i in range(size - n + 1)]


def features(text: str) -> list[str]:
    """The n-grams of ``text``: word uni- and bigrams, and 3- to 5-character pieces of words;
    links and e-mail addresses left out."""
    text = _without_links(text.lower())
    out = word_features(text)
    for word in text.split():
        out.extend(char_features(word))
    return out


class _Sublinear(dict):
    """count -> 1 + ln(count), worked out once per count (the tf of sublinear tf-idf)."""

    def __missing__(self, count: int) -> float:
        value = self[count] = 1.0 + math.log(count)
        return value


_TF = _Sublinear()


@dataclass(frozen=True, slots=True)
class PassageScorer:
    """A binary model, risky feedback or not: each n-gram's idf and weight, and the
    thresholds ``check`` acts on. ``trained_on`` names the labelled files it learnt from, so
    an evaluation can tell held-out files apart.
    """

    idf: dict[str, float]
    weights: dict[str, float]
    intercept: float
    block_above: float
    clear_below: float
    trained_on: tuple[str, ...]
    # idf squared and idf times weight per n-gram, and per word its known character pieces
    # with their sums: feedback reuses a small vocabulary, so most words are cut up once (the
    # cache stops growing at _WORD_CACHE_LIMIT words).
    squares: dict[str, float] = field(init=False, compare=False, repr=False)
    products: dict[str, float] = field(init=False, compare=False, repr=False)
    piece_cache: dict[str, tuple[frozenset[str], float, float, dict[str, int]]] = field(
        init=False, compare=False, repr=False
    )

    def __post_init__(self) -> None:
        squares = {g: v * v for g, v in self.idf.items()}
        products = {g: v * self.weights[g] for g, v in self.idf.items()}
        object.__setattr__(self, "squares", squares)
        object.__setattr__(self, "products", products)
        object.__setattr__(self, "piece_cache", {})

    def score(self, text: str) -> float:
        """Probability that the passage is risky feedback: tf-idf, l2-normalised, logistic.

        The sums over ``features(text)`` of tf times idf, squared and times the weight, with
        sublinear tf (1 + ln count). Each n-gram is first counted once per occurrence, from
        sums cached per word, and the few that occur more than once, found with set
        operations per word rather than by counting every n-gram, are then corrected: this
        runs for every passage the checker reads.
        """
        squares, products = self.squares, self.products
        low = _without_links(text.lower())
        words = _WORD.findall(low)
        grams = [f"={w}" for w in words]
        grams += [f"={a} {b}" for a, b in zip(words, words[1:], strict=False)]
        total = sum(map(squares.get, grams, _ZEROS))
        weighted = sum(map(products.get, grams, _ZEROS))
        seen = set(grams)
        # n-gram -> how often it occurs, for those that occur more than once.
        repeats: dict[str, int] = {}
        if len(seen) < len(grams):
            repeats.update((g, n) for g, n in Counter(grams).items() if n > 1)
        cache = self.piece_cache
        for word in low.split():
            entry = cache.get(word)
            if entry is None:
                entry = self._pieces_of(word)
                if len(cache) < _WORD_CACHE_LIMIT:
                    cache[word] = entry
            pieces, square_sum, product_sum, within = entry
            total += square_sum
            weighted += product_sum
            for gram, n in within.items():
                repeats[gram] = repeats.get(gram, 1 if gram in seen else 0) + n
            for gram in seen.intersection(pieces):
                if gram not in within:
                    repeats[gram] = repeats.get(gram, 1) + 1
            seen.update(pieces)
        for gram, count in repeats.items():
            if gram in squares:
                tf = _TF[count]
                total += (tf * tf - count) * squares[gram]
                weighted += (tf - count) * products[gram]
        z = self.intercept + (weighted / math.sqrt(total) if total > 0 else 0.0)
        return 1.0 / (1.0 + math.exp(-z)) if z > -700 else 0.0

    def _pieces_of(self, word: str) -> tuple[frozenset[str], float, float, dict[str, int]]:
        """A word's known character pieces, the sums of their squares and products counting
        each occurrence once, and the pieces it has more than once with their counts."""
        squares, products = self.squares, self.products
        pieces = [g for g in char_features(word) if g in squares]
        within = {g: n for g, n in Counter(pieces).items() if n > 1}
        return (
            frozenset(pieces),
            sum(map(squares.get, pieces)),
            sum(map(products.get, pieces)),
            within,
        )

    def to_json(self) -> dict:
        return {
            "terms": {g: [v, self.weights[g]] for g, v in self.idf.items()},
            "intercept": self.intercept,
            "block_above": self.block_above,
            "clear_below": self.clear_below,
            "trained_on": list(self.trained_on),
        }

    @classmethod
    def from_json(cls, data: dict) -> PassageScorer:
        return cls(
            idf={g: v[0] for g, v in data["terms"].items()},
            weights={g: v[1] for g, v in data["terms"].items()},
            intercept=data["intercept"],
            block_above=data["block_above"],
            clear_below=data["clear_below"],
            trained_on=tuple(data["trained_on"]),
        )


def save_scorer(scorer: PassageScorer, path: Path = MODEL_PATH) -> None:
    """Write the model compactly and byte-for-byte reproducibly (no timestamp in the gzip)."""
    raw = json.dumps(scorer.to_json(), separators=(",", ":"), sort_keys=True).encode()
    path.write_bytes(gzip.compress(raw, compresslevel=9, mtime=0))


@functools.cache
def load_scorer(path: Path = MODEL_PATH) -> PassageScorer:
    """Read the model once per process."""
    return PassageScorer.from_json(json.loads(gzip.decompress(path.read_bytes())))
