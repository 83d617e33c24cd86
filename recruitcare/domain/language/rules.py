"""Loading and compiling the checker's rules from the TOML files in ``rules/``."""

from __future__ import annotations

import functools
import re
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from .model import Finding, Severity

if TYPE_CHECKING:
    from collections.abc import Iterator

    from .text import Prepared

RULES_DIR = Path(__file__).with_name("rules")
CONTEXTS = ("any", "person", "predicate")
KINDS = ("legal", "process", "style")
_WORD = re.compile(r"\w+")
_WORD_CACHE_LIMIT = 50_000
# ``{start}`` in a pattern: the start of a sentence that opens with a capital letter, so that a
# pattern written for "she transitioned" also finds the note "Transitioned a few years ago.".
_SENTENCE_START = r"(?:^|(?<=[.;!?] )|(?<=[.;!?]  )|(?<=\n))(?-i:(?=[A-Z]))"
_CRITERION_TEMPLATE = (
    "Describe the gap against a job criterion: 'On {criterion}, we observed <evidence>; "
    "the role needs <gap>; a next step would be <next step>.'"
)


@dataclass(frozen=True, slots=True)
class Category:
    """A group of rules sharing a legal basis or a style concern."""

    id: str
    label: str
    kind: str
    explanation: str
    advice: str


def weighed_by_reader(category: Category) -> bool:
    """Whether the second reader may turn a term of ``category`` into a block: the legal
    categories and the process ones about the decision (comparisons, vague fit), not style
    or the message checks."""
    return category.kind in ("legal", "process") and category.id != "message"


class Regex:
    """A case-insensitive rule regex, and its twin for lower-case ASCII text.

    Python's ``re`` tries every branch of an alternation in full under IGNORECASE, but skips
    a branch by its first character without it: on the benchmark's sentences the pattern
    rules scanned in about 0.6 of the time that way. So a regex without case-sensitive parts
    also has a twin, its letters lower-cased and without the flag, to run on the lower-cased
    text. For ASCII text the two find the same spans; other text gets the original.

    A regex with case-sensitive groups (``(?-i:[A-Z][a-z]+)``, a name) has a sieve instead:
    the twin with those groups made case-insensitive, which finds something in the
    lower-cased text wherever the original finds something in the text. A text the sieve
    finds nothing in is not scanned again: on the benchmark's sentences, 6,246 of the 6,967
    a sieve read.

    A twin or sieve is compiled when first used: most texts need a few dozen of the rules'
    regexes, and compiling all of them twice would double the time it takes to load the rules.
    """

    __slots__ = ("pattern", "_lowered", "_folded", "exact")

    def __init__(self, pattern: re.Pattern[str], lowered: str | None, exact: bool = True):
        self.pattern = pattern
        self._lowered = lowered  # the twin's or sieve's source, or None when there is none
        self._folded: re.Pattern[str] | None = None
        self.exact = exact  # a twin finds the very spans; a sieve only says where to look

    @property
    def folded(self) -> re.Pattern[str] | None:
        """The twin or sieve, compiled on first use (None when there is none)."""
        if self._folded is None and self._lowered is not None:
            try:
                self._folded = re.compile(self._lowered, self.pattern.flags & ~re.IGNORECASE)
            except re.error:  # a range such as [Z-a] that lower-casing turns around
                self._lowered = None
        return self._folded

    def finditer(self, prep: Prepared) -> Iterator[re.Match[str]]:
        """The matches in ``prep``'s text (spans only: a twin's matched text is lower-case)."""
        low = prep.folded
        if low is not None and self._lowered is not None:
            folded = self._folded or self.folded
            if folded is not None:
                if self.exact:
                    return folded.finditer(low)
                if folded.search(low) is None:
                    return iter(())
        return self.pattern.finditer(prep.text)


# What lower-casing a regex's letters would change the meaning of: inline flags (``(?-i:``
# marks a case-sensitive part), named groups, and escapes naming a character by its code.
_CASE_BOUND = re.compile(r"\\(?:[xuUN]|[0-7])|\(\?(?:P|[aiLmsux-]+[:)])")
_ESCAPE_OR_LETTERS = re.compile(r"\\.|[A-Z]+", re.DOTALL)
_CASE_SENSITIVE = "(?-i:"
# Inside a case-sensitive group, what a sieve would turn from "not this capital" into "not
# this letter" (a negated class, a negative lookaround); and a negative lookaround, around
# such a group, would turn from "not a capital" into "not a letter".
_GROUP_OPENING = re.compile(r"\\.|\[\^?\]?(?:\\.|[^\]])*\]|\((?:\?(?:-i:|<?!))?|\)", re.DOTALL)


def compile_regex(source: str, flags: int) -> Regex:
    """Compile ``source``, with a lower-case twin when it is case-insensitive throughout, or
    a sieve when its only case-sensitive parts are groups a sieve can widen safely."""
    pattern = re.compile(source, flags)
    if not flags & re.IGNORECASE:
        return Regex(pattern, None)
    bound = _CASE_BOUND.findall(source)
    if bound and (any(b != _CASE_SENSITIVE for b in bound) or not _sieve_safe(source)):
        return Regex(pattern, None)
    lowered = _ESCAPE_OR_LETTERS.sub(
        lambda m: m.group() if m.group().startswith("\\") else m.group().lower(), source
    )
    if not bound:
        return Regex(pattern, lowered)
    return Regex(pattern, lowered.replace(_CASE_SENSITIVE, "(?:"), exact=False)


def _sieve_safe(source: str) -> bool:
    """Whether widening ``source``'s ``(?-i:`` groups to any case finds a superset: no
    negated class or negative lookaround inside one, and none inside a negative lookaround."""
    stack: list[str] = []
    for m in _GROUP_OPENING.finditer(source):
        token = m.group()
        inside = _CASE_SENSITIVE in stack
        if token.startswith("\\"):
            continue
        if token.startswith("["):
            if token.startswith("[^") and inside:
                return False
        elif token == ")":
            if stack:
                stack.pop()
        elif token == _CASE_SENSITIVE:
            if "negative" in stack:
                return False
            stack.append(token)
        elif token.endswith("!"):
            if inside:
                return False
            stack.append("negative")
        else:
            stack.append("group")
    return True


class Part(NamedTuple):
    """One regex of a rule, with the words that decide when it is worth running.

    ``triggers`` index the part: it is a candidate for a text containing one of them
    (``stem*`` for any word starting with ``stem``). ``needs``, for a group of phrases, holds
    per phrase, and per way of writing it, the words it cannot match without; the part runs
    only when one of these sets is all there, so "discussed her salary with" is not run on
    every text that says "discussed", nor "he-she" on every text that says "she". None for
    patterns, whose words the loader cannot know.
    """

    triggers: tuple[str, ...]
    regex: Regex
    needs: tuple[frozenset[str], ...] | None = None


@dataclass(frozen=True, slots=True)
class Rule:
    """One compiled rule: what to match, when the match counts, and what to tell the writer.

    ``context`` decides when a match counts: ``any`` always; ``person`` unless the words around
    it are about a thing (``the age of the codebase``); ``predicate`` only when the term is said
    of a person (``she is old``, ``an old man``, ``being old``, ``as an old person``).
    With ``predicate_end`` the term must also close the phrase (``she is tall.``), so that
    ``she is big on testing`` or ``he is short on time`` do not count. With ``product_guard``
    a product noun right after the term means it names a topic of work (``a pregnancy
    tracking app``, ``the disability insurance product``), not the candidate, and so does a
    verb of making before it (``built a passport photo checker``) unless ``work_guard`` is
    false (``launched a class action`` is an act, not a piece of work). With ``field_guard``
    (on by default with ``product_guard``) a term that names the candidate's field of work
    does not count: a noun phrase naming a workplace, unit, service, law or scheme (``a
    maternity ward``, ``a Catholic school``, ``the Older People's Mental Health team``,
    ``statutory maternity pay``), or a client group (``residents with dementia``, ``a
    resident's family``), unless a possessive such as ``her`` makes it the candidate's own.
    """

    id: str
    category: str
    severity: Severity
    context: str
    parts: tuple[Part, ...]
    unless: Regex | None
    unless_next: frozenset[str]
    unless_prev: frozenset[str]
    person_next: frozenset[str]
    predicate_end: bool
    product_guard: bool
    work_guard: bool
    field_guard: bool
    message: str
    suggestion: str
    kind: str
    # A cue is never a finding on its own: its matches go to the second reader, which blocks
    # them only in a passage it reads as clearly risky ("a lovely smile" in "would brighten up
    # the reception").
    cue: bool = False

    def suggestion_for(self, criterion: str | None) -> str:
        """Suggestion text, naming the first job criterion when the caller supplied one."""
        return self.suggestion.replace("{criterion}", criterion or "<criterion>")

    def finding(self, start: int, end: int, criterion: str | None) -> Finding:
        """This rule's finding for ``text[start:end]``, its suggestion naming ``criterion``."""
        return Finding(
            self.id,
            self.category,
            self.severity,
            start,
            end,
            self.message,
            self.suggestion_for(criterion),
        )


@dataclass(frozen=True, slots=True)
class Vocabulary:
    """Word lists that tell whether a term is said of a person or of a thing."""

    person_nouns: frozenset[str]
    role_nouns: frozenset[str]
    pronouns: frozenset[str]
    things: frozenset[str]
    product_nouns: frozenset[str]
    person_parts: frozenset[str]
    not_subjects: frozenset[str]
    copulas: frozenset[str]
    fillers: frozenset[str]
    person_markers: frozenset[str]
    stop_words: frozenset[str]
    work_verbs: frozenset[str]
    field_nouns: frozenset[str]
    field_before: frozenset[str]
    client_nouns: frozenset[str]


@dataclass(frozen=True, slots=True)
class RuleSet:
    """All rules plus the indexes that let ``check`` run only the rules a text can match."""

    rules: tuple[Rule, ...]
    categories: dict[str, Category]
    vocabulary: Vocabulary
    exact_triggers: dict[str, tuple[tuple[int, int], ...]]
    prefix_triggers: dict[str, tuple[tuple[str, tuple[tuple[int, int], ...]], ...]]
    next_step: re.Pattern[str]
    no_next_step: Rule
    no_criterion: Rule
    # Notes the second reader adds to a finding: "cleared" when it lowers a block to a
    # warning, "raised" when it raises a warning to a block, "read_in" when it blocks a term
    # the context checks passed over, "cue" when it blocks a cue.
    reader_notes: dict[str, str]
    # Word -> the (rule, part) pairs it triggers. Feedback reuses a small vocabulary, so most
    # words are looked up once; the cache stops growing at _WORD_CACHE_LIMIT words.
    word_cache: dict[str, frozenset[tuple[int, int]]] = field(
        default_factory=dict, compare=False, repr=False
    )
    # The categories the second reader may turn into blocks (``weighed_by_reader``).
    weighed: frozenset[str] = field(init=False, compare=False, repr=False)
    # (rule, part) -> for the parts that have ``needs``: a word of each set that is not a
    # trigger where it can be (a text without any of them lacks every set), and the sets.
    needs: dict[tuple[int, int], tuple[frozenset[str], tuple[frozenset[str], ...]]] = field(
        init=False, compare=False, repr=False
    )
    # The same keys as a set: a text's candidates are checked against it in one step.
    needed: frozenset[tuple[int, int]] = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        weighed = frozenset(c.id for c in self.categories.values() if weighed_by_reader(c))
        object.__setattr__(self, "weighed", weighed)
        needs = {
            (i, j): (_keys_of(part), part.needs)
            for i, rule in enumerate(self.rules)
            for j, part in enumerate(rule.parts)
            if part.needs is not None
        }
        object.__setattr__(self, "needs", needs)
        object.__setattr__(self, "needed", frozenset(needs))

    def candidates(self, words: set[str]) -> list[tuple[int, int]]:
        """(rule, part) indexes whose trigger words occur in ``words`` (lower-case tokens),
        less the phrase groups none of whose phrases has all its words there."""
        cache = self.word_cache
        hits = list(map(cache.get, words))
        if None in hits:
            for k, (w, hit) in enumerate(zip(words, hits, strict=True)):
                if hit is None:
                    hit = hits[k] = self._triggered_by(w)
                    if len(cache) < _WORD_CACHE_LIMIT:
                        cache[w] = hit
        found = set().union(*hits)
        needs = self.needs
        has_all = words.issuperset
        for p in found & self.needed:
            keys, sets = needs[p]
            if words.isdisjoint(keys) or not any(map(has_all, sets)):
                found.discard(p)
        return sorted(found)

    def _triggered_by(self, word: str) -> frozenset[tuple[int, int]]:
        found: set[tuple[int, int]] = set(self.exact_triggers.get(word, ()))
        for key in {word[:1], word[:2]}:
            for stem, pairs in self.prefix_triggers.get(key, ()):
                if word.startswith(stem):
                    found.update(pairs)
        return frozenset(found)


def _keys_of(part: Part) -> frozenset[str]:
    """One word of each of a part's ``needs`` sets, the longest that is not a trigger: most
    texts that set the part off lack all of them, which one set operation shows."""
    triggers = set(part.triggers)
    return frozenset(
        max(need, key=lambda w: (w not in triggers, len(w), w)) for need in part.needs or ()
    )


def phrase_pattern(phrase: str) -> str:
    """Regex for a literal phrase: flexible spaces, optional hyphens and apostrophes.

    ``wheelchair-bound`` also matches ``wheelchair bound`` and ``wheelchairbound``;
    ``didn't`` also matches ``didnt``; a trailing ``*`` on a word allows any ending.
    """
    out: list[str] = []
    for part in re.split(r"(\s+|-|'|\*)", phrase.strip()):
        if not part:
            continue
        if part.isspace():
            out.append(r"(?:\s+|\s*-\s*)")
        elif part == "-":
            out.append(r"(?:\s*-\s*|\s+)?")
        elif part == "'":
            out.append("'?")
        elif part == "*":
            out.append(r"\w*")
        else:
            out.append(re.escape(part))
    return "".join(out)


# Words too common to be good triggers: a phrase is indexed by a rarer word when it has one.
_COMMON = frozenset(
    [
        *("a", "an", "the", "and", "or", "of", "to", "in", "on", "at", "for", "with", "by"),
        *("is", "was", "are", "be", "he", "she", "they", "his", "her", "their", "your", "you"),
        *("we", "i", "it", "not", "no", "too", "so", "very", "just", "don", "didn", "t", "s"),
    ]
)


def _phrase_triggers(phrase: str) -> list[str]:
    """Trigger words for a phrase: its rarest-looking word, so common words trigger little.

    A word joined by a hyphen or apostrophe (``non-native``, ``didn't``) may be written as
    one word or two, so it yields its longest piece and the pieces run together; so does a
    word joined by a slash (``they/them``), whose pieces are separate words of the text.
    """
    parts = phrase.strip().lower().split()

    def score(part: str) -> tuple[bool, bool, int]:
        core = part.strip("*")
        return (core in _COMMON, bool(re.search(r"[-'/]", core)), -len(core))

    # Marks at either end are not part of any word of the text ("lgbtq+" is found by "lgbtq").
    part = re.sub(r"^[^\w*]+|[^\w*]+$", "", min(parts, key=score))
    if part.endswith("*") and not re.search(r"[-'/]", part):
        return [part]
    pieces = [p for p in re.split(r"[-'/]", part.rstrip("*")) if p]
    if len(pieces) == 1:
        return [pieces[0] + "*"] if part.endswith("*") else [pieces[0]]
    return [max(pieces, key=len), "".join(pieces) + "*"]


_JOINED = re.compile(r"\w+(?:[-']\w+){1,2}")


def _phrase_needs(phrase: str) -> tuple[frozenset[str], ...]:
    """The words a phrase cannot match without, for each way it may be written: one set
    when all its words are plain. A word joined by a hyphen or apostrophe ("he-she",
    "doctor's") may be written in pieces or run together ("he she", "heshe"; "doctor's",
    "doctors"), so it adds a set per way; a word with a star or another mark is left out."""
    forms: list[list[str]] = [[]]
    for word in phrase.strip().lower().split():
        if _WORD.fullmatch(word):
            forms = [[*f, word] for f in forms]
        elif _JOINED.fullmatch(word):
            pieces = re.split(r"[-']", word)
            # Each join may be kept or run together: "x-y-z" is x y z, xy z, x yz or xyz.
            ways = [[pieces[0]]]
            for piece in pieces[1:]:
                ways = [w for way in ways for w in ([*way, piece], [*way[:-1], way[-1] + piece])]
            forms = [[*f, *way] for f in forms for way in ways]
    return tuple(frozenset(f) for f in forms)


def _group_needs(phrases: list[str]) -> tuple[frozenset[str], ...] | None:
    """The ``needs`` of a group of phrases: every way of writing each phrase, or None when
    one of them needs no word at all (the group then runs whenever it is triggered)."""
    forms = [form for phrase in phrases for form in _phrase_needs(phrase)]
    return None if not all(forms) else tuple(dict.fromkeys(forms))


def _alternation(alternatives: list[str], flags: int) -> Regex:
    """One regex for several alternatives, whole words only, longest alternative first (so
    that "too young for this role" wins over "too young")."""
    body = "|".join(sorted(alternatives, key=len, reverse=True))
    return compile_regex(rf"(?<![\w-])(?:{body})(?!\w)", flags)


def _words(values: list[str]) -> frozenset[str]:
    return frozenset(v.lower() for v in values)


def _compile_rule(data: dict, categories: dict[str, Category], source: str) -> Rule:
    rid = data["id"]
    try:
        category = categories[data["category"]]
    except KeyError:
        raise ValueError(
            f"{source}: rule {rid} has unknown category {data.get('category')}"
        ) from None
    context = data.get("context", "any")
    if context not in CONTEXTS:
        raise ValueError(f"{source}: rule {rid} has unknown context {context}")
    phrases = list(data.get("phrases", ()))
    patterns = [p.replace("{start}", _SENTENCE_START) for p in data.get("patterns", ())]
    if not phrases and not patterns:
        raise ValueError(f"{source}: rule {rid} has neither phrases nor patterns")
    if patterns and not data.get("triggers"):
        raise ValueError(f"{source}: rule {rid} uses patterns but declares no triggers")
    cue = bool(data.get("cue", False))
    if cue and (not weighed_by_reader(category) or data["severity"] != "block"):
        raise ValueError(
            f"{source}: cue {rid} must be a block of a legal or process category: the second "
            "reader reads only those, and what it reads in is a block"
        )
    flags = 0 if data.get("case_sensitive") else re.IGNORECASE
    # Phrases are grouped by trigger word and compiled per group: a text then runs only the
    # few small regexes whose trigger words it contains, not one huge alternation per rule.
    groups: dict[tuple[str, ...], list[str]] = {}
    for phrase in phrases:
        groups.setdefault(tuple(_phrase_triggers(phrase)), []).append(phrase)
    parts = [
        Part(
            key,
            _alternation([phrase_pattern(p) for p in group], flags),
            _group_needs(group),
        )
        for key, group in groups.items()
    ]
    if patterns:
        declared = tuple(t.lower() for t in data["triggers"])
        parts.append(Part(declared, _alternation([f"(?:{p})" for p in patterns], flags)))
    unless_list = list(data.get("unless", ()))
    unless = (
        compile_regex(
            "(?<!\\w)(?:" + "|".join(f"(?:{u})" for u in unless_list) + ")", re.IGNORECASE
        )
        if unless_list
        else None
    )
    explanation = data.get("explanation") or category.explanation
    advice = data.get("advice") or category.advice
    words = data.get("alternatives") or ()
    if words:
        shown = ", ".join(f"'{w}'" for w in words)
        suggestion = f"{advice} Try: {shown}.".strip()
    elif category.kind == "style":
        suggestion = advice
    else:
        suggestion = f"{advice} {_CRITERION_TEMPLATE}".strip()
    return Rule(
        id=rid,
        category=category.id,
        severity=Severity(data["severity"]),
        context=context,
        parts=tuple(parts),
        unless=unless,
        unless_next=_words(data.get("unless_next", [])),
        unless_prev=_words(data.get("unless_prev", [])),
        person_next=_words(data.get("person_next", [])),
        predicate_end=bool(data.get("predicate_end", False)),
        product_guard=bool(data.get("product_guard", False)),
        work_guard=bool(data.get("work_guard", data.get("product_guard", False))),
        field_guard=bool(data.get("field_guard", data.get("product_guard", False))),
        message=explanation,
        suggestion=suggestion,
        kind=category.kind,
        cue=cue,
    )


def _message_rule(rid: str, category: Category, text: dict) -> Rule:
    return Rule(
        id=rid,
        category=category.id,
        severity=Severity(text.get("severity", "warn")),
        context="any",
        parts=(),
        unless=None,
        unless_next=frozenset(),
        unless_prev=frozenset(),
        person_next=frozenset(),
        predicate_end=False,
        product_guard=False,
        work_guard=False,
        field_guard=False,
        message=text["explanation"],
        suggestion=text["advice"],
        kind=category.kind,
    )


def _bucket(
    prefix: dict[str, list[tuple[int, int]]],
) -> dict[str, tuple[tuple[str, tuple[tuple[int, int], ...]], ...]]:
    buckets: dict[str, list[tuple[str, tuple[tuple[int, int], ...]]]] = {}
    for stem, pairs in prefix.items():
        buckets.setdefault(stem[:2], []).append((stem, tuple(pairs)))
    return {k: tuple(v) for k, v in buckets.items()}


@functools.cache
def load_rules(directory: str | None = None) -> RuleSet:
    """Read and compile every ``*.toml`` rule file once; later calls reuse the result.

    Rules are data so that legal and HR reviewers can read and change them without touching
    code. Pass ``directory`` to load another rule set (tests do this).
    """
    folder = Path(directory) if directory else RULES_DIR
    documents = []
    for path in sorted(folder.glob("*.toml")):
        with path.open("rb") as fh:
            documents.append((path.name, tomllib.load(fh)))

    categories: dict[str, Category] = {}
    context: dict = {}
    message: dict = {}
    for _, doc in documents:
        for cid, cat in doc.get("categories", {}).items():
            kind = cat.get("kind", "legal")
            if kind not in KINDS:
                raise ValueError(f"category {cid} has unknown kind {kind}")
            categories[cid] = Category(
                cid, cat.get("label", cid), kind, cat["explanation"], cat.get("advice", "")
            )
        context.update(doc.get("context", {}))
        message.update(doc.get("message", {}))

    rules: list[Rule] = []
    seen: set[str] = set()
    for name, doc in documents:
        for data in doc.get("rules", ()):
            rule = _compile_rule(data, categories, name)
            if rule.id in seen:
                raise ValueError(f"{name}: duplicate rule id {rule.id}")
            seen.add(rule.id)
            rules.append(rule)

    exact: dict[str, list[tuple[int, int]]] = {}
    prefix: dict[str, list[tuple[int, int]]] = {}
    # Prefix triggers are bucketed by their first two letters (or one, if that is all).
    for i, rule in enumerate(rules):
        for j, part in enumerate(rule.parts):
            for trig in part.triggers:
                if trig.endswith("*"):
                    prefix.setdefault(trig[:-1], []).append((i, j))
                else:
                    exact.setdefault(trig, []).append((i, j))

    vocab = Vocabulary(**{f.name: _words(context.get(f.name, [])) for f in fields(Vocabulary)})
    cues = message.get("next_step_patterns", [])
    next_step = re.compile(
        r"(?<!\w)(?:" + "|".join(f"(?:{c})" for c in cues) + r")(?!\w)", re.IGNORECASE
    )
    msg_cat = categories["message"]
    return RuleSet(
        rules=tuple(rules),
        categories=categories,
        vocabulary=vocab,
        exact_triggers={k: tuple(v) for k, v in exact.items()},
        prefix_triggers=_bucket(prefix),
        next_step=next_step,
        no_next_step=_message_rule("message.no-next-step", msg_cat, message["no_next_step"]),
        no_criterion=_message_rule("message.no-criterion", msg_cat, message["no_criterion"]),
        reader_notes=dict(message["reader"]),
    )


def words_of(text: str) -> set[str]:
    """Lower-case word tokens of a text, used to pick candidate rules (``@`` and ``/`` count
    as words so that e-mail addresses and "she/her" can trigger rules)."""
    words = set(_WORD.findall(text.lower()))
    for mark in "@/":
        if mark in text:
            words.add(mark)
    return words
