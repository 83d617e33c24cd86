"""Closure messages: the placeholder language, rendering, personal-touch checks and send times.

Recruiters edit closure templates, so a template is data, never code: ``{candidate_first_name}``
inserts a value, ``{{`` and ``}}`` write literal braces, and nothing else is understood. The
same template renders to plain text (and subjects) and to HTML in which no value can create
markup. A value that is missing is never rendered blank: it shows as ``[missing: name]`` and is
listed, because a message with a gap must not be approved.
"""

import difflib
import math
import re
from collections import Counter
from collections.abc import Collection, Hashable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from html import escape
from typing import Literal, TypeVar
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from recruitcare.domain.deadlines import is_business_day

PLACEHOLDERS: dict[str, str] = {
    "candidate_first_name": "The candidate's first name, as they gave it.",
    "candidate_name": "The candidate's full name.",
    "requisition_title": "The title of the job they applied for.",
    "stage": "The last stage they reached, such as the technical interview.",
    "feedback": "Their approved feedback; several lines, kept as written.",
    "feedback_link": "A web link where they can read their feedback.",
    "recruiter_name": "The name of the recruiter who signs the message.",
    "recruiter_email": "The address replies go to.",
    "company_name": "The organisation's name.",
    "decision_date": "The date the decision was made.",
    "reason": "The reason for the decision, as worded for candidates.",
}
"""Every placeholder a template may use, with the help text the editor shows."""


# --- The placeholder language ---------------------------------------------------------------


@dataclass(frozen=True)
class Text:
    """Literal template text, with ``{{`` and ``}}`` already turned into single braces."""

    text: str


@dataclass(frozen=True)
class Placeholder:
    name: str


Part = Text | Placeholder


class TemplateError(ValueError):
    """A template that cannot be rendered; ``errors`` are the readable reasons."""

    def __init__(self, errors: list[str]):
        super().__init__(" ".join(errors))
        self.errors = errors


_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_BRACE = re.compile(r"[{}]")
_NOT_PLAIN = frozenset(".[]!:")
# {{candidate_name}} is valid syntax for the literal text "{candidate_name}": almost certainly a
# habit from another template language rather than what the recruiter wants the candidate to see.
_DOUBLED = re.compile(r"(?<!\{)\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}(?!\})")


def _braced(name: str) -> str:
    return "{" + name + "}"


def _snippet(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _field_problem(inner: str) -> str | None:
    """Why the text between two braces is not a placeholder, or None when it is one."""
    shown = _snippet(_braced(inner))
    if not inner.strip():
        return "empty braces {}: put a placeholder name inside, or write {{ and }} for braces."
    if _NOT_PLAIN & set(inner):
        return (
            f"{shown} is not allowed: placeholders are plain names, without attributes, "
            "indexes, conversions or formats."
        )
    if _NAME.match(inner.strip()) and inner != inner.strip():
        return f"{shown} has spaces inside the braces; write {_braced(inner.strip())}."
    if not _NAME.match(inner):
        return (
            f"{shown} is not a placeholder name (letters, digits and underscores only); "
            "write {{ and }} for literal braces."
        )
    return None


# What a template without syntax errors is made of, besides literal text without braces.
_TOKEN = re.compile(r"\{\{|\}\}|\{([A-Za-z_][A-Za-z0-9_]*)\}")


def _scan_well_formed(template: str) -> list[Part] | None:
    """The parts of a template without syntax errors, in one pass of ``_TOKEN``; None when
    a brace is left over, for ``_scan`` to read carefully and report."""
    parts: list[Part] = []
    literal: list[str] = []
    at = 0
    for token in _TOKEN.finditer(template):
        start = token.start()
        if start > at:
            chunk = template[at:start]
            if "{" in chunk or "}" in chunk:
                return None
            literal.append(chunk)
        name = token.group(1)
        if name is None:
            literal.append(template[start])
        else:
            if literal:
                parts.append(Text("".join(literal)))
                literal.clear()
            parts.append(Placeholder(name))
        at = token.end()
    tail = template[at:]
    if "{" in tail or "}" in tail:
        return None
    if text := "".join(literal) + tail:
        parts.append(Text(text))
    return parts


def _scan(template: str) -> tuple[list[Part], list[str]]:
    """Parts and syntax errors; on an error the offending text is kept as literal text."""
    well_formed = _scan_well_formed(template)
    if well_formed is not None:
        return well_formed, []
    return _scan_carefully(template)


def _scan_carefully(template: str) -> tuple[list[Part], list[str]]:
    """``_scan`` brace by brace, saying what is wrong with each brace that is."""
    parts: list[Part] = []
    errors: list[str] = []
    literal: list[str] = []

    def flush() -> None:
        if text := "".join(literal):
            parts.append(Text(text))
        literal.clear()

    def line(at: int) -> int:
        return template.count("\n", 0, at) + 1

    i, end = 0, len(template)
    while i < end:
        found = _BRACE.search(template, i)
        if found is None:
            literal.append(template[i:])
            break
        literal.append(template[i : found.start()])
        i = found.start()
        if template.startswith("{{", i) or template.startswith("}}", i):
            literal.append(template[i])
            i += 2
            continue
        if template[i] == "}":
            errors.append(f"Line {line(i)}: '}}' has no opening brace; write }}}} for a brace.")
            literal.append("}")
            i += 1
            continue
        close = template.find("}", i + 1)
        reopen = template.find("{", i + 1)
        if close == -1 or -1 < reopen < close:
            errors.append(f"Line {line(i)}: '{{' is never closed; write {{{{ for a brace.")
            literal.append("{")
            i += 1
            continue
        inner = template[i + 1 : close]
        problem = _field_problem(inner)
        if problem:
            errors.append(f"Line {line(i)}: {problem}")
            literal.append(template[i : close + 1])
        else:
            flush()
            parts.append(Placeholder(inner))
        i = close + 1
    flush()
    return parts, errors


def parse(template: str) -> list[Part]:
    """The template as literal texts and placeholders; raises TemplateError on bad syntax.

    Names are not checked here, so a stored template with a since-retired name still renders
    (as a visible missing marker); ``template_errors`` refuses unknown names at save time.
    """
    parts, errors = _scan(template)
    if errors:
        raise TemplateError(errors)
    return parts


def placeholders_in(template: str) -> set[str]:
    """The well-formed placeholder names used; tolerant of syntax errors, for a live editor."""
    parts, _ = _scan(template)
    return {p.name for p in parts if isinstance(p, Placeholder)}


def template_errors(template: str, *, single_line: bool = False) -> list[str]:
    """Everything that stops a template from being saved, in reading order; empty when fine.

    ``single_line`` is for subjects, which become a mail header.
    """
    parts, errors = _scan(template)
    if single_line and any(c in template for c in "\r\n"):
        errors.append("A subject must fit on one line.")
    reported: set[str] = set()
    for part in parts:
        if not isinstance(part, Placeholder) or part.name in PLACEHOLDERS:
            continue
        if part.name in reported:
            continue
        reported.add(part.name)
        close = difflib.get_close_matches(part.name.lower(), PLACEHOLDERS, n=1, cutoff=0.6)
        if close:
            hint = f"did you mean {_braced(close[0])}?"
        else:
            hint = "known placeholders are " + ", ".join(_braced(n) for n in PLACEHOLDERS) + "."
        errors.append(f"Unknown placeholder {_braced(part.name)}: {hint}")
    for match in _DOUBLED.finditer(template):
        name = match.group(1)
        if name in PLACEHOLDERS:
            errors.append(
                f"{_snippet(match.group(0))} shows the braces and the name as they are; "
                f"write {_braced(name)} to insert the value."
            )
    return errors


# --- Rendering -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Rendered:
    text: str
    missing: tuple[str, ...] = ()
    """Placeholders without a value, sorted; each is marked in ``text``."""

    @property
    def complete(self) -> bool:
        return not self.missing


def missing_marker(name: str) -> str:
    return f"[missing: {name}]"


def _value(values: Mapping[str, str | None], name: str) -> str | None:
    """The value to insert, or None when it is absent or blank (never rendered as blank)."""
    value = values.get(name)
    if value is None:
        return None
    value = str(value)
    return value if value.strip() else None


def render_text(template: str, values: Mapping[str, str | None]) -> Rendered:
    """The plain-text message; values go in exactly as given.

    Raises TemplateError when the template itself is broken, which saving should have refused.
    """
    out: list[str] = []
    missing: set[str] = set()
    for part in parse(template):
        if isinstance(part, Text):
            out.append(part.text)
            continue
        value = _value(values, part.name)
        if value is None:
            missing.add(part.name)
            out.append(missing_marker(part.name))
        else:
            out.append(value)
    return Rendered("".join(out), tuple(sorted(missing)))


def _one_newline_kind(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _lines_html(text: str) -> str:
    return "<br>\n".join(escape(line) for line in text.split("\n"))


def http_url(value: str) -> str | None:
    """The value as a web link when it is exactly one http(s) URL, else None.

    Anything else (``javascript:``, ``data:``, text with spaces) is shown as text, not linked.
    """
    candidate = value.strip()
    if not candidate or any(c.isspace() or ord(c) < 32 or ord(c) == 127 for c in candidate):
        return None
    try:
        split = urlsplit(candidate)
    except ValueError:
        return None
    if split.scheme.lower() not in ("http", "https") or not split.netloc:
        return None
    return candidate


def _value_html(value: str) -> str:
    url = http_url(value)
    if url is not None:
        return f'<a href="{escape(url)}">{escape(url)}</a>'
    return _lines_html(_one_newline_kind(value))


_BLANK_LINES = re.compile(r"\n[ \t]*\n\s*")
_EDGE_BREAKS = re.compile(r"^(?:\s|<br>)+|(?:\s|<br>)+$")


def render_html(template: str, values: Mapping[str, str | None]) -> Rendered:
    """The HTML message from the same template as the text one.

    Blank lines in the template start paragraphs; other newlines, in the template or in a value
    such as feedback, become ``<br>``. Everything is escaped, and the only markup a value can
    bring is a link, when the whole value is an http(s) URL.
    """
    paragraphs: list[list[str]] = [[]]
    missing: set[str] = set()
    for part in parse(template):
        if isinstance(part, Text):
            for k, chunk in enumerate(_BLANK_LINES.split(_one_newline_kind(part.text))):
                if k:
                    paragraphs.append([])
                paragraphs[-1].append(_lines_html(chunk))
            continue
        value = _value(values, part.name)
        if value is None:
            missing.add(part.name)
            paragraphs[-1].append(f"<mark>{escape(missing_marker(part.name))}</mark>")
        else:
            paragraphs[-1].append(_value_html(value))
    bodies = (_EDGE_BREAKS.sub("", "".join(p)) for p in paragraphs)
    html = "\n".join(f"<p>{body}</p>" for body in bodies if body)
    return Rendered(html, tuple(sorted(missing)))


# Characters that end a line for Python's str.splitlines, and NUL: any of them in a header could
# start a new header or body in some mail library along the way.
_HEADER_FORBIDDEN = {
    "\r": "a carriage return (CR)",
    "\n": "a line feed (LF)",
    "\0": "a NUL character",
    "\v": "a vertical tab",
    "\f": "a form feed",
    "\x1c": "a file separator",
    "\x1d": "a group separator",
    "\x1e": "a record separator",
    "\x85": "a next-line character",
    "\u2028": "a line separator",
    "\u2029": "a paragraph separator",
}


def clean_header(value: str) -> str:
    """A header value, trimmed; raises ValueError on anything that could break the header."""
    for position, char in enumerate(value):
        if char in _HEADER_FORBIDDEN:
            raise ValueError(
                f"A mail header must be a single line, but this one contains "
                f"{_HEADER_FORBIDDEN[char]} at position {position}."
            )
    return value.strip()


def render_subject(template: str, values: Mapping[str, str | None]) -> Rendered:
    """The subject line: the text renderer, then ``clean_header`` (which may raise ValueError)."""
    rendered = render_text(template, values)
    return Rendered(clean_header(rendered.text), rendered.missing)


# --- Personal touch ------------------------------------------------------------------------

PASSAGE_WORDS = 6
"""A passage this long (in words) is too long to be incidental."""
FEEDBACK_SHARE = 0.5
"""Share of the feedback's six-word runs that must be in the body for it to count as there."""
TOUCH_UP_SIMILARITY = 0.8
"""A body sentence this close to a template sentence is a touch-up, not a personal passage."""

_WORD = re.compile(r"\w+(?:['’]\w+)*")
_SENTENCE_BREAK = re.compile(r"(?<=[.!?])\s+|\n+")


def _words(text: str) -> list[str]:
    return _WORD.findall(text.casefold().replace("’", "'"))


def _sentences(text: str) -> list[list[str]]:
    return [words for s in _SENTENCE_BREAK.split(text) if (words := _words(s))]


def _runs(words: list[str], size: int) -> set[tuple[str, ...]]:
    return {tuple(words[i : i + size]) for i in range(len(words) - size + 1)}


def _includes_feedback(body: str, feedback: str | None) -> bool:
    wanted = _runs(_words(feedback or ""), PASSAGE_WORDS)
    if not wanted:
        return False
    found = wanted & _runs(_words(body), PASSAGE_WORDS)
    return len(found) >= FEEDBACK_SHARE * len(wanted)


def _has_personal_passage(body: str, template_render: str) -> bool:
    plain = " " + " ".join(_words(template_render)) + " "
    plain_sentences = _sentences(template_render)
    for sentence in _sentences(body):
        if len(sentence) < PASSAGE_WORDS or " " + " ".join(sentence) + " " in plain:
            continue
        if any(
            difflib.SequenceMatcher(None, sentence, other, autojunk=False).ratio()
            >= TOUCH_UP_SIMILARITY
            for other in plain_sentences
        ):
            continue
        return True
    return False


def is_personalized(body: str, *, template_render: str, feedback: str | None) -> bool:
    """Whether a message says something that belongs to this candidate alone.

    Either at least half their approved feedback is in the body (as runs of six words, so
    reflowed lines and punctuation do not matter), or the recruiter wrote a sentence of six or
    more words that is not in ``template_render`` (the template rendered for this candidate,
    unedited) and is not a light touch-up of one of its sentences.
    """
    return _includes_feedback(body, feedback) or _has_personal_passage(body, template_render)


K = TypeVar("K", bound=Hashable)

_START, _END = "\x02", "\x03"


def _comparable(body: str, names: Iterable[str] | str) -> str:
    """Words of the body in lower case, without the candidate's own name words."""
    if isinstance(names, str):
        names = (names,)
    own = {word for name in names for word in _words(name)}
    return " ".join(w for w in _words(body) if w not in own)


def near_duplicates(
    bodies: Mapping[K, str], names: Mapping[K, Iterable[str]], threshold: float = 0.9
) -> set[K]:
    """Messages in a batch whose bodies match another's apart from the candidate's name.

    Method: each body is reduced to its words in lower case, punctuation dropped, without that
    candidate's own name words (so a name that is also a common word, like "May", drops that
    word too). Identical reductions are flagged by grouping on the text. Distinct ones are
    compared by the Dice coefficient of their sets of three-word shingles, 2|A∩B| / (|A|+|B|),
    the set form of difflib's ratio: one changed word costs three shingles, so at 0.9 a
    100-word message with one sentence rewritten is still a near-duplicate.

    Candidates come from prefix filtering (as in the AllPairs similarity join), which misses
    nothing: each set's shingles are sorted rarest first across the batch, and two sets this
    similar must share one of their first few, taking messages shortest first so the indexed
    prefix can be shorter still. Template text is common to the whole batch, so prefixes hold
    the personal parts and messages with different personal parts are rarely compared. A
    message that already has a match is compared again only to find matches for others. Time
    grows with the batch (a few seconds for 10,000 messages); it approaches pairwise comparison
    only when thousands of messages share the same rare wording without being near-duplicates.
    """
    if not 0 < threshold <= 1:
        raise ValueError("threshold must be in (0, 1]")
    groups: dict[str, list[K]] = {}
    for key, body in bodies.items():
        groups.setdefault(_comparable(body, names.get(key, ())), []).append(key)
    texts = list(groups)
    flagged = {key for keys in groups.values() if len(keys) > 1 for key in keys}

    shingle_ids: dict[tuple[str, ...], int] = {}
    sets: list[frozenset[int]] = []
    for text in texts:
        words = [_START, *text.split(), _END]
        shingles = zip(words, words[1:], words[2:], strict=False) if len(words) > 2 else [words]
        sets.append(frozenset(shingle_ids.setdefault(tuple(s), len(shingle_ids)) for s in shingles))
    frequency = Counter(shingle for shingles in sets for shingle in shingles)
    rarest_first = sorted(frequency, key=lambda s: (frequency[s], s))
    rank = [0] * len(rarest_first)
    for position, shingle in enumerate(rarest_first):
        rank[shingle] = position
    jaccard = threshold / (2 - threshold)  # Dice >= t exactly when Jaccard >= t / (2 - t)

    def similar(a: int, b: int) -> bool:
        one, two = sets[a], sets[b]
        return 2 * len(one & two) >= threshold * (len(one) + len(two))

    # Messages indexed under each shingle of their index prefix, split by whether they have a
    # match yet. Shortest first, so everything indexed is at most as long as the message probing.
    unmatched_by_shingle: dict[int, dict[int, None]] = {}
    matched_by_shingle: dict[int, list[int]] = {}
    indexed: dict[int, list[int]] = {}
    matched = [False] * len(texts)

    def mark(other: int) -> None:
        if matched[other]:
            return
        matched[other] = True
        for shingle in indexed[other]:
            del unmatched_by_shingle[shingle][other]
            matched_by_shingle.setdefault(shingle, []).append(other)

    for item in sorted(range(len(sets)), key=lambda i: len(sets[i])):
        ordered = sorted(sets[item], key=rank.__getitem__)
        size = len(ordered)
        probe = ordered[: size - math.ceil(jaccard * size - 1e-9) + 1]
        smallest = jaccard * size - 1e-9
        seen: set[int] = set()
        # Every unmatched candidate must be checked, for its own sake.
        for shingle in probe:
            for other in list(unmatched_by_shingle.get(shingle, ())):
                if other not in seen:
                    seen.add(other)
                    if len(sets[other]) >= smallest and similar(item, other):
                        mark(other)
                        matched[item] = True
        # Matched candidates only until this message has a match of its own.
        for shingle in probe:
            if matched[item]:
                break
            for other in matched_by_shingle.get(shingle, ()):
                if other not in seen:
                    seen.add(other)
                    if len(sets[other]) >= smallest and similar(item, other):
                        matched[item] = True
                        break
        indexed[item] = ordered[: size - math.ceil(threshold * size - 1e-9) + 1]
        for shingle in indexed[item]:
            if matched[item]:
                matched_by_shingle.setdefault(shingle, []).append(item)
            else:
                unmatched_by_shingle.setdefault(shingle, {})[item] = None

    for item, text in enumerate(texts):
        if matched[item]:
            flagged.update(groups[text])
    return flagged


# --- When to send --------------------------------------------------------------------------

CoolOff = Literal["next_business_morning", "none"]


def resolve_zone(name: str | None) -> ZoneInfo:
    """The candidate's zone; UTC when the stored name is empty or not a zone."""
    if not name:
        return ZoneInfo("UTC")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return ZoneInfo("UTC")


def _require_aware(moment: datetime) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("datetimes must be time-zone aware")


def closure_send_after(
    now: datetime,
    *,
    candidate_zone: str | None,
    holidays: Collection[date],
    hour: int = 9,
    cool_off: CoolOff = "next_business_morning",
) -> datetime:
    """The earliest moment a closure message decided at ``now`` may go out, in UTC.

    The cool-off is at least one night: the message waits for ``hour`` o'clock on the first
    business day after the candidate's local date, even when ``now`` is early on a business
    morning, so a decision taken at 01:00 is not delivered eight hours later as if by reflex.
    Weekends and ``holidays`` (dates as the candidate keeps them) are skipped.
    """
    _require_aware(now)
    if cool_off == "none":
        return now.astimezone(UTC)
    if cool_off != "next_business_morning":
        raise ValueError(f"unknown cool-off {cool_off!r}")
    if not 0 <= hour <= 23:
        raise ValueError("hour must be between 0 and 23")
    zone = resolve_zone(candidate_zone)
    day = now.astimezone(zone).date() + timedelta(days=1)
    while not is_business_day(day, holidays):
        day += timedelta(days=1)
    return datetime.combine(day, time(hour), tzinfo=zone).astimezone(UTC)


def same_day(a: datetime, b: datetime, zone: str | tzinfo | None) -> bool:
    """Whether two moments fall on one calendar day where the candidate lives."""
    _require_aware(a)
    _require_aware(b)
    where = zone if isinstance(zone, tzinfo) else resolve_zone(zone)
    return a.astimezone(where).date() == b.astimezone(where).date()
