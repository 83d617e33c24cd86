"""Text preparation: normalisation that keeps offsets, and word tokens with clause breaks."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from itertools import accumulate

# One-for-one replacements, so offsets into the normalised text are offsets into the original.
# Curly quotes and odd apostrophes become ASCII so that "didn’t" matches "didn't"; dashes used
# as punctuation become spaces so that "great—too old" still has a word boundary.
_ONE_FOR_ONE = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u201b": "'",
        "\u2032": "'",
        "\u02bc": "'",
        "\u00b4": "'",
        "`": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u201f": '"',
        "\u00ab": '"',
        "\u00bb": '"',
        "\u2010": "-",
        "\u2011": "-",
        "\u2012": "-",
        "\u2212": "-",
        "\u2013": " ",
        "\u2014": " ",
        "\u2015": " ",
        "\u00a0": " ",
        "\u2007": " ",
        "\u2009": " ",
        "\u200a": " ",
        "\u202f": " ",
        "\u3000": " ",
        "\t": " ",
    }
)
# Invisible characters are dropped; an index map then takes offsets back to the original.
_INVISIBLE = frozenset("\u200b\u200c\u200d\u2060\ufeff\u00ad")
_INVISIBLE_RE = re.compile("[" + "".join(sorted(_INVISIBLE)) + "]")

WORD_RE = re.compile(r"\w+")
# A full stop ends a sentence only before a space: "3.24.0", "major.minor" and "self.parent"
# stay one phrase.
_SENTENCE_BREAK_RE = re.compile(r"[.!?]['\")\]]*(?=\s)|[;\n]")
_CLAUSE_BREAK_RE = re.compile(r'[,:()\[\]{}"/|]')


@dataclass(slots=True)
class Prepared:
    """A text ready for matching: normalised copy, offset map and lazily built tokens.

    ``folded`` is the text lower-cased when it is ASCII (None otherwise): the rules' regexes
    without case-sensitive parts run on it, faster (``rules.Regex``).
    """

    original: str
    text: str
    index: list[int] | None = None
    _tokens: Tokens | None = field(default=None, repr=False)
    folded: str | None = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.folded = self.text.lower() if self.text.isascii() else None

    def to_original(self, start: int, end: int) -> tuple[int, int]:
        """Map a span of the normalised text back to the original text."""
        if self.index is None:
            return start, end
        if start >= end:
            pos = self.index[start] if start < len(self.index) else len(self.original)
            return pos, pos
        return self.index[start], self.index[end - 1] + 1

    @property
    def tokens(self) -> Tokens:
        if self._tokens is None:
            self._tokens = Tokens.of(self.text)
        return self._tokens


def prepare(original: str) -> Prepared:
    """Normalise quotes, dashes and spaces; drop invisible characters but remember offsets."""
    text = original if original.isascii() else original.translate(_ONE_FOR_ONE)
    if text.isascii() or not _INVISIBLE_RE.search(text):
        return Prepared(original, text.replace("`", "'").replace("\t", " "))
    kept: list[str] = []
    index: list[int] = []
    for i, ch in enumerate(text):
        if ch in _INVISIBLE:
            continue
        kept.append(ch)
        index.append(i)
    return Prepared(original, "".join(kept), index)


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence of ``text`` with a word in it, ends included, without
    the spaces around it. Cheaper than building Tokens, which many texts never need."""
    spans: list[tuple[int, int]] = []
    start = 0
    for end in [m.end() for m in _SENTENCE_BREAK_RE.finditer(text)] + [len(text)]:
        piece = text[start:end]
        stripped = piece.lstrip()
        if WORD_RE.search(stripped):
            first = start + len(piece) - len(stripped)
            spans.append((first, first + len(stripped.rstrip())))
        start = end
    return spans


_WORD_SPLIT = re.compile(f"({WORD_RE.pattern})")  # its words kept by split


class _GapBreaks(dict):
    """The text between two words -> the strength of the break it makes, worked out once per
    kind of gap (the cache stops growing at _GAP_CACHE_LIMIT kinds)."""

    def __missing__(self, gap: str) -> int:
        if gap and not gap.isspace():
            value = (
                2 if _SENTENCE_BREAK_RE.search(gap) else 1 if _CLAUSE_BREAK_RE.search(gap) else 0
            )
        else:  # spaces alone break only at a line end
            value = 2 if "\n" in gap else 0
        if len(self) < _GAP_CACHE_LIMIT:
            self[gap] = value
        return value


_GAP_CACHE_LIMIT = 10_000
_GAP_BREAKS = _GapBreaks()


@dataclass(slots=True)
class Tokens:
    """Word tokens of a text with the strength of the break before each one.

    ``brk[i]`` is 2 when a sentence ends between token ``i - 1`` and token ``i``, 1 for a clause
    break (comma, colon, brackets, quotes) and 0 otherwise.
    """

    starts: list[int]
    ends: list[int]
    raw: list[str]
    low: list[str]
    brk: list[int]

    @classmethod
    def of(cls, text: str) -> Tokens:
        """The words and the gaps around them come from one split, with no match object per
        word; offsets add up their lengths, and a gap's break is looked up (a text has few
        kinds of gap). The context checks build this for most texts with a match."""
        parts = _WORD_SPLIT.split(text)  # gap, word, gap, word, ..., gap
        offsets = list(accumulate(map(len, parts)))
        raw = parts[1::2]
        brk = list(map(_GAP_BREAKS.__getitem__, parts[0:-1:2]))
        return cls(offsets[0:-1:2], offsets[1::2], raw, list(map(str.lower, raw)), brk)
