"""The checker: finds wording in candidate feedback that could be read as discrimination."""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Iterable, Mapping
from dataclasses import replace

from .model import Criterion, Finding, Severity
from .rules import Rule, RuleSet, Vocabulary, load_rules, words_of
from .scorer import PassageScorer, load_scorer
from .text import Prepared, Tokens, prepare, sentence_spans

CriterionLike = str | tuple[str, str] | Criterion | Mapping[str, str]

_LOOK_AHEAD = 3
_WINDOW_BEFORE = 6
_WINDOW_AFTER = 4
_CONJUNCTIONS = frozenset(
    ["and", "but", "or", "so", "yet", "though", "although", "which", "who", "whereas", "too"]
)
# Conjunctions after which a subject may be left out: "strong on SQL but seemed too old".
_ELIDING = frozenset(["and", "but", "yet", "though", "although", "so"])
_DETERMINERS = frozenset(
    ["the", "a", "an", "this", "that", "these", "those", "our", "its", "their", "new"]
)
_QUANTIFIERS = frozenset(["every", "each", "any", "no", "some", "all", "most", "another"])
# Prepositions that open a phrase after a subject: "everyone in that office", "the lads on
# the floor".
_PREPOSITIONS = frozenset(["in", "on", "at", "from", "of", "across", "around", "within"])
# Person nouns that also name things ("JOIN generation within the query", "a family of fonts"):
# too weak to make the head of such a phrase a person.
_COLLECTIVE = frozenset(["generation", "generations", "family", "families", "community", "crowd"])
_SUBJECT_PRONOUNS = frozenset(["he", "she", "they", "you", "i", "we"])
# Words that open a sentence without being its subject: "If the file exists but is older ...".
_OPENERS = frozenset(
    [
        *("if", "when", "whenever", "because", "although", "though", "while", "once", "unless"),
        *("since", "after", "before", "as", "so", "then", "however", "also", "in", "on", "at"),
        *("for", "with", "from", "by", "to", "of", "and", "but", "or", "there", "here", "note"),
        *("see", "where", "whether", "until", "what", "which", "how", "why", "it", "this"),
    ]
)
# Words after a comma that open a clause about the sentence's subject: "Solid, but a bit ...".
_CONTRASTS = frozenset(["but", "though", "although", "yet", "albeit"])
# "A bit old", "a little too young": an article that starts a degree, not a noun phrase.
_DEGREE = frozenset(["bit", "little", "tad", "touch", "lot", "kind", "sort"])
# Words that may stand between a subject and its verb: "she can be", "he'd seem", "she'll be",
# "I didn't expect him to be".
_MODALS = frozenset(
    ["can", "could", "would", "should", "might", "may", "will", "must", "ll", "d", "not", "t"]
    + ["to"]
)
# How many words after a sensitive term a product noun may come and still make the term the
# topic of a piece of work: "an insulin dosage calculator", "the immigration case system".
_PRODUCT_REACH = 3
_COORDINATORS = frozenset(["and", "or"])  # "the halal and kosher filters"
# How many ordinary words after a term a field-of-work noun may come ("statutory maternity and
# paternity pay", "an Islamic finance desk"); capitalised names and possessives are not
# counted ("the Aboriginal and Torres Strait Islander liaison team", "young people's service"),
# up to _FIELD_SPAN words in all.
_FIELD_REACH = 3
_FIELD_SPAN = 7
# Possessives that make the term the candidate's own: "her maternity pay", "his family law case".
_OWNERS = frozenset(["her", "his", "their", "your", "my"])
# A field noun followed by one of these names a person, not a place: "a Muslim team member".
# Words a little before the term that make it the candidate's own request, need or history:
# "asked about our parental leave policy", "needs a wheelchair-accessible desk", "went to a
# Catholic school".
_ASKING = frozenset(
    [
        *("asked", "asks", "asking", "ask", "enquired", "inquired", "queried", "wanted", "wants"),
        *("need", "needs", "needed", "needing", "require", "requires", "required", "request"),
        *("requested", "requesting", "mentioned", "mentions", "raised"),
        # A person's own schooling, upbringing or practice: "went to a Catholic school".
        *("went", "goes", "attended", "attends", "educated", "schooled", "grew", "brought"),
        *("belongs", "belonged", "worships", "worshipped"),
    ]
)
_ASKING_REACH = 4
_MEMBER = frozenset(["member", "members", "mate", "mates"])
# Knowing about a subject: "good knowledge of diabetic foot checks", "a grasp of postnatal care",
# "strong on the genetics of", "a good ear for".
_KNOWING = frozenset(
    [
        *("knowledge", "grasp", "understanding", "awareness", "expertise", "know-how"),
        *("training", "qualification", "qualifications", "course", "courses", "module"),
        *("specialism", "competence", "competency", "competencies", "certificate", "diploma"),
        *("thesis", "dissertation", "research", "paper", "papers", "study", "review", "project"),
        *("explanation", "explanations", "ear", "eye", "strong", "excellent", "solid"),
    ]
)
_KNOWING_PREPOSITIONS = frozenset(
    ["of", "in", "on", "about", "around", "into", "covered", "covering", "examined", "explored"]
)
_KNOWN_REACH = 7
_OWNER_REACH = 3
# A group served, before the term: "a charity supporting refugees", "serving older adults".
_SERVING = frozenset(["supporting", "supports", "serving", "serves", "caring"])
# A client noun followed by one of these has the term said of them: "a tenant with a hearing
# impairment", "clients at or near retirement", "residents living with dementia".
_CLIENT_LINKS = frozenset(["with", "at", "near", "living", "aged"])
# Words through which a following noun still belongs to the term ("the age of the codebase").
_LINKERS = frozenset(["of", "the", "a", "an", "its", "this", "that", "our", "their"])
_SUFFIXES = ("ations", "ation", "ings", "ing", "ions", "ion", "ments", "ment")
_SUFFIXES += ("ed", "es", "s", "ly")
# Words too common to show that a criterion is being discussed.
_GENERIC = frozenset(
    [
        *("and", "or", "of", "the", "a", "an", "with", "for", "to", "in", "on", "at", "by"),
        *("skill", "skills", "ability", "abilities", "experience", "knowledge", "level"),
        *("strong", "good", "general", "basic", "advanced"),
    ]
)


def check(
    text: str,
    criteria: Iterable[CriterionLike] = (),
    *,
    message_checks: bool = False,
    rules: RuleSet | None = None,
    scorer: PassageScorer | None = None,
    second_reading: bool = True,
) -> list[Finding]:
    """Return the findings for ``text``, ordered by position.

    ``criteria`` are the requisition's job criteria (names, ``(name, description)`` pairs,
    :class:`Criterion` objects or mappings with ``name``/``description``). The first one is
    named in suggestions so that the rewrite is anchored to what the role needs.

    ``message_checks`` adds checks that only make sense for a whole message: that it offers a
    next step, and (when criteria are given) that it refers to at least one criterion. They
    are off by default because a single sentence is rarely a whole message.

    ``second_reading`` (on by default) has the trained scorer weigh the rules' findings: see
    :func:`_second_reading`. Rule tests turn it off to see the rules alone.
    """
    ruleset = rules or load_rules()
    crits = [_as_criterion(c) for c in criteria]
    first = crits[0].name if crits else None
    prep = prepare(text)
    findings: list[Finding] = []
    if prep.text.strip():
        matched, passed_over = _match(ruleset, prep, cues=second_reading)
        found = [rule.finding(s, e, first) for rule, s, e in _resolve(matched)]
        if second_reading:
            found = _second_reading(
                found, passed_over, prep, ruleset, scorer or load_scorer(), first
            )
        if prep.index is None:  # the offsets are the original text's already
            findings.extend(found)
        else:
            for f in found:
                start, end = prep.to_original(f.start, f.end)
                findings.append(replace(f, start=start, end=end))
    if message_checks:
        findings[:0] = _message_findings(ruleset, prep, crits, first)
    return findings


def worst_severity(findings: Iterable[Finding]) -> Severity | None:
    """The most severe level among ``findings`` (None when there are none): the gate to share."""
    worst: Severity | None = None
    for f in findings:
        if worst is None or f.severity.rank > worst.rank:
            worst = f.severity
    return worst


def _as_criterion(value: CriterionLike) -> Criterion:
    if isinstance(value, Criterion):
        return value
    if isinstance(value, str):
        return Criterion(value)
    if isinstance(value, Mapping):
        return Criterion(str(value["name"]), str(value.get("description", "") or ""))
    name, description = value
    return Criterion(name, description or "")


def _second_reading(
    found: list[Finding],
    passed_over: list[tuple[Rule, int, int]],
    prep: Prepared,
    ruleset: RuleSet,
    scorer: PassageScorer,
    criterion: str | None,
) -> list[Finding]:
    """Have the trained scorer weigh the rules' findings, reading passages of two sentences.

    Rules written phrase by phrase set off on trade words said of the work ("the blind spot
    mirrors", "the maternity ward rota"), and their context checks pass over words that are
    said of the candidate in a way they were not written for ("a Black correspondent" after
    "our readers would warm to"). So a block finding stays a block only where a passage
    around it scores at least ``clear_below``, and becomes a warning otherwise; and where a
    passage scores above ``block_above``, a legal or process warning in it, a legal or
    process term the context checks passed over, and a cue (``rules/cues.toml``), become
    blocks. The scorer never blocks a passage in which the rules saw no such term: on text
    unlike its training lines, such as a closure message's plain process wording, its scores
    are not to be trusted alone. Offsets are into the prepared text.
    """
    weighed = ruleset.weighed
    # Only what the reading can change is read: a style warning stays as it is whatever the
    # score, and the passages around it need no score.
    spans = [
        (f.start, f.end) for f in found if f.severity is Severity.BLOCK or f.category in weighed
    ] + [(s, e) for _rule, s, e in passed_over]
    if not spans:
        return found
    sentences = sentence_spans(prep.text)
    if not sentences:
        return found
    text = prep.text
    last = len(sentences) - 1
    pairs = [(sentences[i][0], sentences[min(i + 1, last)][1]) for i in range(max(last, 1))]
    windows = [
        (s, e, scorer.score(text[s:e]))
        for s, e in pairs
        if any(s < end and start < e for start, end in spans)
    ]

    def worst(start: int, end: int) -> float:
        """A span's worst reading: any passage it sits in that reads as risky counts."""
        return max((p for s, e, p in windows if s < end and start < e), default=0.5)

    notes = ruleset.reader_notes
    out = []
    for f in found:
        score = worst(f.start, f.end)
        if f.severity is Severity.BLOCK and score < scorer.clear_below:
            f = replace(f, severity=Severity.WARN, message=f"{f.message} {notes['cleared']}")
        elif (
            f.severity is not Severity.BLOCK
            and f.category in weighed
            and score > scorer.block_above
        ):
            f = replace(f, severity=Severity.BLOCK, message=f"{f.message} {notes['raised']}")
        out.append(f)
    read_in = [
        (rule, s, e)
        for rule, s, e in passed_over
        if worst(s, e) > scorer.block_above and not any(s < f.end and f.start < e for f in out)
    ]
    if read_in:
        for rule, s, e in _resolve(read_in):
            f = rule.finding(s, e, criterion)
            note = notes["cue"] if rule.cue else notes["read_in"]
            out.append(replace(f, severity=Severity.BLOCK, message=f"{f.message} {note}"))
        out.sort(key=lambda f: (f.start, f.end, f.rule))
    return out


def _match(
    ruleset: RuleSet, prep: Prepared, *, cues: bool = True
) -> tuple[list[tuple[Rule, int, int]], list[tuple[Rule, int, int]]]:
    """All rule matches that count in their context, before overlaps are resolved; and, for
    the second reader, the matches of cues (unless ``cues`` is false: nobody reads them) and
    of legal and process rules that the context checks passed over."""
    found: list[tuple[Rule, int, int]] = []
    passed_over: list[tuple[Rule, int, int]] = []
    text = prep.text
    vocab = ruleset.vocabulary
    weighed = ruleset.weighed
    exceptions: dict[int, list[tuple[int, int]]] = {}
    for index, part in ruleset.candidates(words_of(text)):
        rule = ruleset.rules[index]
        if rule.cue:
            if cues:
                passed_over.extend((rule, *m.span()) for m in rule.parts[part].regex.finditer(prep))
            continue
        for m in rule.parts[part].regex.finditer(prep):
            s, e = m.span()
            if not _counts(rule, prep.tokens, s, e, vocab):
                if rule.category in weighed:
                    passed_over.append((rule, s, e))
                continue
            # The exceptions are big regexes: run them only for a match that otherwise counts.
            if rule.unless is not None:
                spans = exceptions.get(index)
                if spans is None:
                    spans = exceptions[index] = [x.span() for x in rule.unless.finditer(prep)]
                if any(xs <= s and e <= xe for xs, xe in spans):
                    if rule.category in weighed:
                        passed_over.append((rule, s, e))
                    continue
            found.append((rule, s, e))
    return found, passed_over


def _counts(rule: Rule, tk: Tokens, s: int, e: int, vocab: Vocabulary) -> bool:
    """Decide from the neighbouring words whether a match is about a person."""
    if (
        rule.context == "any"
        and not rule.unless_next
        and not rule.unless_prev
        and not rule.product_guard
        and not rule.work_guard
        and not rule.field_guard
    ):
        return True
    n = len(tk.low)
    i0 = bisect_left(tk.starts, s)
    i1 = bisect_left(tk.starts, e)
    if i1 < n and tk.brk[i1] == 0 and tk.low[i1] in rule.unless_next:
        return False
    if i0 > 0 and i0 < n and tk.brk[i0] == 0 and tk.low[i0 - 1] in rule.unless_prev:
        return False
    if rule.product_guard:
        for j in range(i1, min(n, i1 + _PRODUCT_REACH)):
            w = tk.low[j]
            if tk.brk[j] > 0 or (w in vocab.stop_words and w not in _COORDINATORS):
                break
            if w in vocab.product_nouns:
                return False
    if rule.work_guard:
        # "Built a passport photo checker": the object of a verb of making is a piece of work.
        j = i0 - 1
        while j >= 0 and i0 - j <= 3 and tk.brk[j + 1] == 0 and tk.low[j] in _DETERMINERS:
            j -= 1
        if j >= 0 and j < i0 - 1 and tk.brk[j + 1] == 0 and tk.low[j] in vocab.work_verbs:
            return False
    if rule.field_guard and _field_of_work(tk, i0, i1, vocab):
        return False
    if rule.context == "any":
        return True
    j = i1
    if _coordinated_noun(tk, i1, vocab):
        # "young and old generations": the noun after the second adjective is described too.
        j = i1 + 2
    while j < n and j < i1 + _LOOK_AHEAD and tk.brk[j] == 0:
        w = tk.low[j]
        if w in rule.person_next or w in vocab.person_nouns or w in vocab.role_nouns:
            # "old generation objects": a person noun that itself modifies a thing, and "the old
            # generations of the collector": a collective noun that belongs to a thing.
            if j + 1 < n and tk.brk[j + 1] == 0 and tk.low[j + 1] in vocab.things:
                return False
            return not (w in _COLLECTIVE and _belongs_to_thing(tk, j + 1, vocab))
        if w in vocab.things:
            # "a trans account manager": a thing noun that names a person's job.
            return j + 1 < n and tk.brk[j + 1] == 0 and tk.low[j + 1] in vocab.role_nouns
        if w in vocab.stop_words or w in _SUBJECT_PRONOUNS:
            # "after his transition he changed jobs": a subject pronoun starts another clause.
            break
        j += 1
    said = _said_of(tk, i0, vocab)
    if said is not None:
        if said and rule.predicate_end:
            return _ends_phrase(tk, i1)
        return said
    if rule.context == "predicate":
        return _opens_note(tk, i0, i1, vocab)
    return _near_person(tk, i0, i1, vocab)


def _field_of_work(tk: Tokens, i0: int, i1: int, vocab: Vocabulary) -> bool:
    """True when the term names a field of work rather than the candidate.

    The term either opens a noun phrase that ends in a workplace, unit, service, law or scheme
    ("a maternity ward", "a Church of England primary", "the Older People's Mental Health
    team", "kosher and halal catering"), follows a word such as "statutory" ("statutory
    maternity pay"), or is said of a client group ("residents with dementia", "a resident's
    family", "elderly residents"). A possessive before the term ("her maternity pay", "her
    children's school") makes it the candidate's own.
    """
    low, brk = tk.low, tk.brk
    n = len(low)
    if i0 > 0 and brk[i0] == 0:
        prev = low[i0 - 1]
        # "her maternity pay", and through a word or two: "your recent mental health history".
        for k in range(i0 - 1, max(-1, i0 - 1 - _OWNER_REACH), -1):
            if low[k] in _OWNERS:
                return False
            if brk[k] > 0 or low[k] in vocab.stop_words:
                break
        if prev in vocab.field_before:
            return True
        for k in range(i0 - 1, max(-1, i0 - 1 - _ASKING_REACH), -1):
            if low[k] in _ASKING:
                return False
            if brk[k] > 0:
                break
        if prev in vocab.client_nouns:
            # "the residents' families": a plural possessive (the apostrophe is not a token).
            return True
        if (
            prev in ("with", "s")
            and i0 > 1
            and brk[i0 - 1] == 0
            and low[i0 - 2] in vocab.client_nouns
        ):
            # "residents with dementia", "a resident's family".
            return True
        if _served_or_studied(tk, i0, vocab):
            return True
    counted = 0
    j = i1
    while j < n and counted < _FIELD_REACH and j - i1 < _FIELD_SPAN and brk[j] == 0:
        w = low[j]
        if w in vocab.field_nouns:
            return not (j + 1 < n and brk[j + 1] == 0 and low[j + 1] in _MEMBER)
        if w in vocab.client_nouns:
            return True
        if w == "s" or (w == "of" and j + 1 < n and tk.raw[j + 1][:1].isupper()):
            j += 1
            continue
        if w in _COORDINATORS:
            counted += 1
            j += 1
            continue
        if w in vocab.stop_words or w in _SUBJECT_PRONOUNS or w in vocab.copulas:
            return False
        if not tk.raw[j][:1].isupper():
            counted += 1
        j += 1
    return False


def _served_or_studied(tk: Tokens, i0: int, vocab: Vocabulary) -> bool:
    """True when the words before the term make it a group served or a subject known: "a day
    centre for older people", "a charity supporting refugees", "a tenant with a hearing
    impairment", "clients at or near retirement", "good knowledge of diabetic foot checks",
    "strong on the genetics of inherited disease", "a good ear for regional dialect". A
    possessive on the way ("knowledge of her condition") makes it the candidate's own again."""
    low, brk = tk.low, tk.brk
    k = i0 - 1
    while k >= 0 and i0 - k <= _KNOWN_REACH and brk[k + 1] == 0:
        w = low[k]
        joined = k > 0 and brk[k] == 0
        if w == "s" and joined and low[k - 1] in vocab.client_nouns:
            return True
        if w in _OWNERS or w in _SUBJECT_PRONOUNS or w in vocab.copulas:
            return False
        if w in _SERVING:
            return True
        if w in _CLIENT_LINKS and joined and low[k - 1] in vocab.client_nouns:
            return True
        if w == "for" and joined:
            # "a centre for", "services for the": the noun before "for" is a place of work,
            # or a subject known ("a good ear for").
            return low[k - 1] in vocab.field_nouns or low[k - 1] in _KNOWING
        if w in _KNOWING_PREPOSITIONS and joined and low[k - 1] in _KNOWING:
            return True
        k -= 1
    return False


def _coordinated_noun(tk: Tokens, i1: int, vocab: Vocabulary) -> bool:
    """True for "<term> and <word> <noun>": the noun is described by both words."""
    n = len(tk.low)
    if i1 + 2 >= n or tk.low[i1] not in _COORDINATORS:
        return False
    if tk.brk[i1] or tk.brk[i1 + 1] or tk.brk[i1 + 2]:
        return False
    second = tk.low[i1 + 1]
    if (
        second in _DETERMINERS
        or second in _QUANTIFIERS
        or second in _SUBJECT_PRONOUNS
        or second in vocab.stop_words
        or second in vocab.pronouns
        or second in vocab.not_subjects
    ):
        # "Arab and some clients ...", "old and the design is ...": a new phrase, not an adjective.
        return False
    w = tk.low[i1 + 2]
    return w in vocab.person_nouns or w in vocab.role_nouns or w in vocab.things


def _belongs_to_thing(tk: Tokens, j: int, vocab: Vocabulary) -> bool:
    """True when words from ``j`` read "of/in/on the <thing>" ("generations of the heap")."""
    n = len(tk.low)
    if j >= n or tk.brk[j] or tk.low[j] not in ("of", "in", "on", "within", "inside"):
        return False
    for k in range(j + 1, min(n, j + 4)):
        if tk.brk[k]:
            return False
        w = tk.low[k]
        if w in vocab.things:
            return True
        if w in vocab.pronouns or w in vocab.person_nouns or w in vocab.role_nouns:
            return False
    return False


def _said_of(tk: Tokens, i0: int, vocab: Vocabulary) -> bool | None:
    """For ``X is <term>``, ``being <term>`` or ``as a <term>``: is X a person?

    Returns None when the term is not in such a construction at all. Interview notes often
    leave the candidate out (``Seemed too old for the team.``, ``strong on SQL but seemed
    old``): a link with no subject before it is said of the candidate.
    """
    j = _before_fillers(tk, i0, vocab)
    if j < 0 or tk.brk[j + 1] != 0:
        return None
    w = tk.low[j]
    if w in vocab.person_markers:
        return not _thing_before(tk, j, vocab)
    if w not in vocab.copulas:
        return None
    k = j - 1
    while k >= 0 and tk.brk[k + 1] == 0 and tk.low[k] in _MODALS:
        k -= 1
    if k < 0 or tk.brk[k + 1] == 2:
        return True
    subject = tk.low[k]
    if tk.brk[k + 1] == 1 or subject in _ELIDING:
        return _sentence_about_person(tk, k, vocab)
    if (
        subject in vocab.pronouns
        or subject in vocab.person_nouns
        or subject in vocab.role_nouns
        or subject in vocab.person_parts
    ):
        return True
    if _person_before_phrase(tk, k, vocab):
        # "Everyone in that office is white", "the guys on the floor are all young".
        return True
    if subject in vocab.not_subjects or subject in vocab.things:
        return False
    raw = tk.raw[k]
    return raw[0].isupper() and not raw.isupper()


def _person_before_phrase(tk: Tokens, k: int, vocab: Vocabulary) -> bool:
    """True when the word before the link ends a phrase such as "in that office" that follows
    a person: the person, not the office, is the subject ("everyone in that office is ...")."""
    m = k
    while m > 0 and k - m < 3 and tk.brk[m] == 0:
        if tk.low[m - 1] in _PREPOSITIONS and m - 1 > 0 and tk.brk[m - 1] == 0:
            head = tk.low[m - 2]
            if head in _COLLECTIVE:
                return False
            return head in vocab.pronouns or head in vocab.person_nouns or head in vocab.role_nouns
        m -= 1
    return False


def _before_fillers(tk: Tokens, i0: int, vocab: Vocabulary) -> int:
    """Index of the first word before the term that is not a filler (-1 at the start)."""
    j = i0 - 1
    steps = 0
    while j >= 0 and tk.brk[j + 1] == 0 and tk.low[j] in vocab.fillers and steps < 5:
        j -= 1
        steps += 1
    return j


def _opens_note(tk: Tokens, i0: int, i1: int, vocab: Vocabulary) -> bool:
    """A term that opens a sentence, after fillers only, is said of the candidate when it
    closes its phrase or is followed by "for": "Very religious, might ...", "Clearly trans.",
    "A bit old for the team." ("Old habits ...", "Native iOS work ..." do not count, nor does
    an article that opens a noun phrase: "The slow, obvious answer", "A young, small team".)"""
    j = _before_fillers(tk, i0, vocab)
    if j >= 0 and tk.brk[j + 1] < 2 and not _elliptical(tk, j, vocab):
        return False
    for m in range(j + 1, i0):
        w = tk.low[m]
        if w == "the" or (w in ("a", "an") and tk.low[m + 1] not in _DEGREE):
            return False
    return _ends_phrase(tk, i1) or tk.low[i1] == "for"


def _elliptical(tk: Tokens, j: int, vocab: Vocabulary) -> bool:
    """True when word ``j`` is "but" (or "though", "yet") after a comma in a note about a
    person: what follows is said of that person ("Solid on GAAP, but a bit flamboyant")."""
    return (
        tk.low[j] in _CONTRASTS
        and j > 0
        and tk.brk[j] == 1
        and tk.brk[j + 1] == 0
        and _sentence_about_person(tk, j, vocab)
    )


def _sentence_about_person(tk: Tokens, k: int, vocab: Vocabulary) -> bool:
    """For a subject left out after a conjunction ("knows SQL but seemed old"): is the
    sentence about a person? Decided by the words that open the sentence."""
    s = k
    while s > 0 and tk.brk[s] < 2:
        s -= 1
    w = tk.low[s]
    if w in vocab.pronouns or w in vocab.person_nouns or w in vocab.role_nouns:
        return True
    if w in vocab.not_subjects or w in vocab.things or w in _OPENERS:
        return False
    if w in _DETERMINERS or w in _QUANTIFIERS:
        for j in range(s + 1, min(k, s + 4)):
            v = tk.low[j]
            if v in vocab.person_nouns or v in vocab.role_nouns:
                return True
            if v in vocab.things:
                return False
        return False
    return True


def _ends_phrase(tk: Tokens, i1: int) -> bool:
    """True when nothing but a break or a conjunction follows the term (``she is tall, and``)."""
    return i1 >= len(tk.low) or tk.brk[i1] > 0 or tk.low[i1] in _CONJUNCTIONS


def _thing_before(tk: Tokens, j: int, vocab: Vocabulary) -> bool:
    """True when the nearest noun before position ``j`` in the clause is a thing."""
    k = j - 1
    while k >= 0 and j - k <= 4 and tk.brk[k + 1] == 0:
        w = tk.low[k]
        if w in vocab.pronouns or w in vocab.person_nouns or w in vocab.role_nouns:
            return False
        if w in vocab.things or w in vocab.not_subjects:
            return True
        k -= 1
    return False


def _near_person(tk: Tokens, i0: int, i1: int, vocab: Vocabulary) -> bool:
    """Loose context: count the match unless a thing is nearer than any person in the sentence."""
    person = thing = 99
    # Degree words before the term ("way too young", "a bit old") are not the thing it is said of.
    k = _before_fillers(tk, i0, vocab)
    d = i0 - k
    while k >= 0 and d <= _WINDOW_BEFORE and tk.brk[k + 1] < 2:
        w = tk.low[k]
        if w in vocab.pronouns or w in vocab.person_nouns or w in vocab.role_nouns:
            person = min(person, d)
            break
        if w in vocab.things:
            thing = min(thing, d)
        k, d = k - 1, d + 1
    n = len(tk.low)
    k, d = i1, 1
    while k < n and d <= _WINDOW_AFTER and tk.brk[k] < 2:
        w = tk.low[k]
        if w in vocab.pronouns or w in vocab.person_nouns or w in vocab.role_nouns:
            person = min(person, d)
            break
        if w in vocab.things:
            thing = min(thing, d)
        elif w in vocab.stop_words and w not in _LINKERS:
            break
        k, d = k + 1, d + 1
    return person <= thing or thing == 99


def _resolve(spans: list[tuple[Rule, int, int]]) -> list[tuple[Rule, int, int]]:
    """Keep the most severe finding where spans overlap; same-level findings of different
    categories may overlap (``an older woman`` is about age and sex). Sorted by start."""
    order = sorted(spans, key=lambda x: (-x[0].severity.rank, -(x[2] - x[1]), x[1], x[0].id))
    kept: list[tuple[Rule, int, int]] = []
    for rule, s, e in order:
        clash = False
        for other, os_, oe in kept:
            if (
                s < oe
                and os_ < e
                and (other.severity.rank > rule.severity.rank or other.category == rule.category)
            ):
                clash = True
                break
        if not clash:
            kept.append((rule, s, e))
    kept.sort(key=lambda x: (x[1], x[2], x[0].id))
    return kept


def _message_findings(
    ruleset: RuleSet, prep: Prepared, crits: list[Criterion], first: str | None
) -> list[Finding]:
    out: list[Finding] = []
    for rule, missing in (
        (ruleset.no_next_step, not ruleset.next_step.search(prep.text)),
        (ruleset.no_criterion, bool(crits) and not _mentions_criterion(prep.text, crits)),
    ):
        if missing:
            out.append(rule.finding(0, 0, first))
    return out


def _stem(word: str) -> str:
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)]
    return word


def _keywords(text: str) -> set[str]:
    return {_stem(w) for w in words_of(text) if len(w) >= 3 and w not in _GENERIC}


def _related(a: str, b: str) -> bool:
    if a == b:
        return True
    return min(len(a), len(b)) >= 5 and (a.startswith(b) or b.startswith(a))


def _mentions_criterion(text: str, crits: list[Criterion]) -> bool:
    """A criterion counts as mentioned when a word of its name (or two of its description)
    appears in the text, allowing for simple word endings ("communicated" ~ "Communication")."""
    stems = _keywords(text)
    for crit in crits:
        name_words = _keywords(crit.name)
        if not name_words:
            pattern = r"(?<!\w)" + re.escape(crit.name.strip()) + r"(?!\w)"
            if crit.name.strip() and re.search(pattern, text, re.IGNORECASE):
                return True
            continue
        if any(_related(k, t) for k in name_words for t in stems):
            return True
        described = _keywords(crit.description)
        if sum(1 for k in described if any(_related(k, t) for t in stems)) >= 2:
            return True
    return False
