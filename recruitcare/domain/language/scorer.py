"""A trained second reader: scores a passage for how much it reads like risky feedback.

The rules find the phrases they were written for, and blind batches of feedback showed that
trade words next to a sentence about the candidate set them off wrongly ("the blind spot
mirrors", "the maternity ward rota"). A logistic regression over word and character n-grams
weighted by idf (``PassageScorer.score`` says how), trained on the labelled evaluation files
and on lines written for training alone, reads the passage as a whole, and ``check`` lets it
weigh what the rules saw: a block in a passage it finds plainly about the work becomes a
warning, and in a passage it finds clearly risky a legal or process warning, or such a term
the rules' context checks passed over, becomes a block.

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
_ZEROS = repeat(0j)  # the default of dict.get for every n-gram in a map


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
    # Per word n-gram, keyed by the word or the pair of words so that a passage's words are
    # looked up as they are found; and per word of the text, summed over its known character
    # pieces, which feedback's small vocabulary makes worth keeping (the cache stops growing
    # at _WORD_CACHE_LIMIT words). Each value is idf squared plus idf times weight times 1j:
    # a complex number carries both sums, so that one lookup and one sum in C give both.
    unigrams: dict[str, complex] = field(init=False, compare=False, repr=False)
    bigrams: dict[tuple[str, str], complex] = field(init=False, compare=False, repr=False)
    pieces: dict[str, complex] = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        unigrams: dict[str, complex] = {}
        bigrams: dict[tuple[str, str], complex] = {}
        for gram, idf in self.idf.items():
            if gram.startswith("="):
                first, _, second = gram[1:].partition(" ")
                value = complex(idf * idf, idf * self.weights[gram])
                if second:
                    bigrams[first, second] = value
                else:
                    unigrams[first] = value
        object.__setattr__(self, "unigrams", unigrams)
        object.__setattr__(self, "bigrams", bigrams)
        object.__setattr__(self, "pieces", {})

    def score(self, text: str) -> float:
        """Probability that the passage is risky feedback.

        Each occurrence of a known n-gram adds its idf times its weight, and that sum is
        divided by the square root of what the occurrences add in idf squared (the l2 norm
        of the tf-idf vector whenever no n-gram occurs twice); then the logistic. Unlike the
        l2 norm, both sums add up word by word: a word's character pieces are cut up and
        summed once, and a passage then costs a few lookups per word, all in C. This runs
        for every passage the checker reads; the norm's repeat counting was most of it.
        """
        low = _without_links(text.lower())
        words = _WORD.findall(low)
        split = low.split()
        pieces = self.pieces
        try:
            sums = sum(map(pieces.__getitem__, split))
        except KeyError:  # a word met for the first time: cut up each, keep what there is room for
            sums = 0j
            for word in split:
                value = self._piece_sums(word)
                sums += value
                if len(pieces) < _WORD_CACHE_LIMIT:
                    pieces[word] = value
        sums += sum(map(self.unigrams.get, words, _ZEROS))
        sums += sum(map(self.bigrams.get, zip(words, words[1:], strict=False), _ZEROS))
        total, weighted = sums.real, sums.imag
        z = self.intercept + (weighted / math.sqrt(total) if total > 0 else 0.0)
        return 1.0 / (1.0 + math.exp(-z)) if z > -700 else 0.0

    def _piece_sums(self, word: str) -> complex:
        """Idf squared and idf times weight (times 1j), summed over the word's character
        pieces, one term per occurrence."""
        idf, weights = self.idf, self.weights
        known = [g for g in char_features(word) if g in idf]
        return complex(sum(idf[g] ** 2 for g in known), sum(idf[g] * weights[g] for g in known))

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
