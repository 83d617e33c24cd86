"""Behaviour of the language checker's public API: findings, offsets, overlaps, criteria,
message-level checks, report formats and rule loading."""

import ast
import dataclasses
import json
import re
import sys
from pathlib import Path

import pytest

import recruitcare.domain.language as language
from recruitcare.domain.language import (
    Criterion,
    Finding,
    RuleSet,
    Severity,
    check,
    findings_to_json_line,
    format_report,
    load_rules,
    worst_severity,
)
from recruitcare.domain.language.rules import Regex, compile_regex, words_of
from recruitcare.domain.language.text import prepare

PACKAGE_DIR = Path(language.__file__).parent


def test_finding_dict_has_exactly_the_public_fields():
    (finding,) = check("She is too old for this role.")
    assert set(finding.to_dict()) == {
        "rule",
        "category",
        "severity",
        "start",
        "end",
        "message",
        "suggestion",
    }
    assert finding.to_dict()["severity"] == "block"
    with pytest.raises(dataclasses.FrozenInstanceError):
        finding.start = 0


@pytest.mark.parametrize(
    ("text", "span"),
    [
        ("It just didn\u2019t click.", "didn\u2019t click"),
        ("\u201cShe is pregnant,\u201d he said.", "pregnant"),
        ("She is preg\u00adnant.", "preg\u00adnant"),
        ("Zo\u00eb said\u200b she is pregnant.", "pregnant"),
        ("He is 58\u00a0years old.", "58\u00a0years old"),
        ("She is a devout Bah\u00e1\u2019\u00ed.", "Bah\u00e1\u2019\u00ed"),
    ],
)
def test_offsets_point_into_the_original_text(text, span):
    spans = [text[f.start : f.end] for f in check(text)]
    assert span in spans


def test_negation_does_not_clear_a_protected_reference():
    assert worst_severity(check("This is not about your age.")) is Severity.BLOCK


def test_case_is_ignored():
    assert worst_severity(check("SHE IS PREGNANT.")) is Severity.BLOCK


def test_empty_text_has_no_findings():
    assert check("") == []
    assert check("   ") == []


def test_overlaps_keep_the_most_severe_finding():
    findings = check("She looked unwell.")
    assert [f.severity for f in findings] == [Severity.BLOCK]


def test_overlapping_findings_of_different_categories_are_both_kept():
    categories = {f.category for f in check("She is an older woman.")}
    assert {"age", "sex_gender"} <= categories


def test_findings_are_ordered_by_start():
    findings = check("Off the record, she is pregnant and too old, and not a culture fit.")
    starts = [f.start for f in findings]
    assert starts == sorted(starts)
    assert len(findings) >= 4


def test_legal_suggestion_names_the_first_criterion():
    (finding,) = check("She is too old.", criteria=("System design", "Communication"))
    assert "On System design, we observed" in finding.suggestion
    (bare,) = check("She is too old.")
    assert "On <criterion>, we observed" in bare.suggestion


def test_style_suggestion_offers_word_alternatives():
    (finding,) = check("That design is crazy.")
    assert finding.severity is Severity.WARN
    assert "Try:" in finding.suggestion and "'surprising'" in finding.suggestion


@pytest.mark.parametrize(
    "criteria",
    [
        ["System design"],
        [("System design", "Designs services that scale")],
        [Criterion("System design")],
        [{"name": "System design", "description": ""}],
    ],
)
def test_criteria_may_be_given_in_several_forms(criteria):
    (finding,) = check("She is too old.", criteria=criteria)
    assert "On System design" in finding.suggestion


def _rules(findings):
    return [f.rule for f in findings]


def test_message_checks_are_off_by_default():
    assert check("Thanks for your time.", criteria=["System design"]) == []


def test_message_without_next_step_or_criterion_gets_both_warnings():
    findings = check("Thanks for your time.", criteria=["System design"], message_checks=True)
    assert _rules(findings) == ["message.no-next-step", "message.no-criterion"]
    assert all(f.start == f.end == 0 and f.severity is Severity.WARN for f in findings)
    assert "System design" in findings[0].suggestion


def test_message_with_next_step_and_criterion_passes():
    text = (
        "Your design of the cache layer was clear, but failure modes were missing. "
        "A next step would be practising failure analysis; we would welcome a future "
        "application."
    )
    assert check(text, criteria=["System design"], message_checks=True) == []


def test_criterion_can_be_recognised_from_its_description():
    text = "You estimated capacity and sharded the queue well. Feel free to reapply."
    crits = [("Architecture", "capacity planning, sharding and queue design")]
    assert check(text, criteria=crits, message_checks=True) == []


def test_no_criterion_check_needs_criteria():
    findings = check("We will be in touch.", message_checks=True)
    assert findings == []


def test_worst_severity():
    assert worst_severity([]) is None
    assert worst_severity(check("That design is crazy.")) is Severity.WARN
    assert worst_severity(check("That design is crazy and she is pregnant.")) is Severity.BLOCK


def test_format_report_marks_spans_and_lists_findings():
    text = "She is too old and the design is crazy."
    report = format_report(text, check(text))
    lines = report.splitlines()
    assert lines[0] == "She is [[too old]] and the design is [[crazy]]."
    assert any(line.strip().startswith("BLOCK age.") for line in lines[1:])
    assert any(line.strip().startswith("WARN  ableist.") for line in lines[1:])
    assert format_report("Clear answers.", []).endswith("no findings")


def test_format_report_shows_message_findings_as_whole_message():
    findings = check("Thanks.", message_checks=True)
    assert "(whole message)" in format_report("Thanks.", findings)


def test_json_line_is_serialisable():
    record = findings_to_json_line(7, check("He is Muslim."))
    assert record["line"] == 7
    assert record["findings"][0]["category"] == "religion_belief"
    assert json.loads(json.dumps(record)) == record


def test_rules_are_compiled_once():
    assert load_rules() is load_rules()


def test_every_legal_rule_states_its_legal_basis():
    markers = ("Act", "Code", "Title VII", "GDPR", "U.S.C.", "Charter", "Bostock", "CROWN")
    for rule in load_rules().rules:
        if rule.kind == "legal":
            assert any(m in rule.message for m in markers), rule.id
        assert rule.message and rule.suggestion, rule.id


def test_rule_ids_follow_their_category_files():
    ids = [rule.id for rule in load_rules().rules]
    assert len(ids) == len(set(ids))
    assert all("." in rid for rid in ids)


def test_pattern_rules_must_declare_triggers(tmp_path):
    (tmp_path / "bad.toml").write_text(
        '[categories.message]\nexplanation = "x"\n'
        '[categories.x]\nexplanation = "x"\n'
        '[[rules]]\nid = "x.y"\ncategory = "x"\nseverity = "warn"\npatterns = ["a+b"]\n',
        encoding="utf-8",
    )
    with pytest.raises(ValueError, match="triggers"):
        load_rules(str(tmp_path))


@pytest.mark.parametrize(
    ("kind", "severity"), [("style", "block"), ("legal", "warn")], ids=["style", "warn"]
)
def test_a_cue_must_be_a_block_the_second_reader_can_read(tmp_path, kind, severity):
    (tmp_path / "bad.toml").write_text(
        '[categories.message]\nexplanation = "x"\n'
        f'[categories.x]\nexplanation = "x"\nkind = "{kind}"\n'
        f'[[rules]]\nid = "x.y"\ncategory = "x"\nseverity = "{severity}"\ncue = true\n'
        'phrases = ["smile"]\n',
        encoding="utf-8",
    )
    with pytest.raises(ValueError, match="cue x.y"):
        load_rules(str(tmp_path))


def _rules_with(tmp_path, rules_toml):
    """The shipped message and context files plus one category ``x`` with ``rules_toml``."""
    for name in ("message.toml", "context.toml"):
        (tmp_path / name).write_text((PACKAGE_DIR / "rules" / name).read_text(encoding="utf-8"))
    (tmp_path / "x.toml").write_text(
        '[categories.x]\nexplanation = "x"\n' + rules_toml, encoding="utf-8"
    )
    return load_rules(str(tmp_path))


def test_start_in_a_pattern_also_finds_a_note_without_a_subject(tmp_path):
    rules = _rules_with(
        tmp_path,
        '[[rules]]\nid = "x.left"\ncategory = "x"\nseverity = "warn"\n'
        'patterns = ["(?:she |{start})left early"]\ntriggers = ["left"]\n',
    )

    def starts(text):
        return [f.start for f in check(text, rules=rules)]

    assert starts("She left early.") == [0]
    assert starts("Left early.") == [0]
    assert starts("Good answers. Left early.") == [14]
    assert starts("The train left early.") == []


def _sentences():
    from tests.domain.test_language_eval import EVAL_FILES, load_eval
    from tests.domain.test_language_rules import NEGATIVES, POSITIVES

    texts = [text for _, _, text in POSITIVES] + [text for _, text in NEGATIVES]
    return texts + [text for path in EVAL_FILES.values() for _, _, text in load_eval(path)]


def test_trigger_prefilter_never_hides_a_finding(monkeypatch):
    texts = _sentences()
    with_filter = [check(t) for t in texts]
    monkeypatch.setattr(
        RuleSet,
        "candidates",
        lambda self, words: [(i, j) for i, r in enumerate(self.rules) for j in range(len(r.parts))],
    )
    without_filter = [check(t) for t in texts]
    assert with_filter == without_filter


def test_lower_case_twins_find_what_the_case_insensitive_regexes_find(monkeypatch):
    texts = _sentences()
    with_twins = [check(t) for t in texts]
    monkeypatch.setattr(Regex, "finditer", lambda self, prep: self.pattern.finditer(prep.text))
    assert [check(t) for t in texts] == with_twins


def test_a_phrase_group_runs_only_when_one_phrase_has_all_its_words(tmp_path):
    rules = _rules_with(
        tmp_path,
        '[[rules]]\nid = "x.pay"\ncategory = "x"\nseverity = "block"\n'
        'phrases = ["discussed her salary with", "discussed his pay"]\n'
        '[[rules]]\nid = "x.runner"\ncategory = "x"\nseverity = "block"\n'
        'phrases = ["runner-up", "didn\'t gel"]\n',
    )

    def candidates(text):
        return {rules.rules[i].id for i, _ in rules.candidates(words_of(text))}

    assert candidates("we discussed the roadmap") == set()
    assert candidates("she discussed her salary with him") == {"x.pay"}
    assert candidates("he discussed his pay") == {"x.pay"}
    # A word with a hyphen or apostrophe may be written in pieces or run together: either
    # way of writing it is enough, and a piece alone is not.
    assert candidates("a runnerup") == {"x.runner"}
    assert candidates("the runner-up") == {"x.runner"}
    assert candidates("the runner") == set()
    assert candidates("we didnt gel") == {"x.runner"}
    assert candidates("it didn't rain") == set()
    assert [f.rule for f in check("She was the runnerup.", rules=rules)] == ["x.runner"]
    assert [f.rule for f in check("We didnt gel.", rules=rules)] == ["x.runner"]


@pytest.mark.parametrize(
    ("source", "flags", "twin"),
    [
        (r"too\s+Old\b", re.IGNORECASE, r"too\s+old\b"),
        (r"\S+ \W [A-Z]", re.IGNORECASE, r"\S+ \W [a-z]"),
        (r"(?P<Who>she) left", re.IGNORECASE, None),
        (r"\x41ge", re.IGNORECASE, None),
        (r"(?i:Old) (?-i:[A-Z])", re.IGNORECASE, None),
        (r"Old", 0, None),
        # Lower-cased, the range would run backwards: no twin, the original is used.
        (r"[Z-a]x", re.IGNORECASE, None),
    ],
)
def test_a_twin_is_compiled_only_where_lower_casing_keeps_the_meaning(source, flags, twin):
    regex = compile_regex(source, flags)
    assert (regex.folded.pattern if regex.folded else None) == twin
    assert regex.exact


@pytest.mark.parametrize(
    ("source", "sieve"),
    [
        (r"(?-i:[A-Z][a-z]+) can be", r"(?:[a-z][a-z]+) can be"),
        (r"\((?-i:Dr|[A-Z]\.)\) [(]x[)]", r"\((?:dr|[a-z]\.)\) [(]x[)]"),
        (r"met(?! you) (?-i:(?=[A-Z])\w+)", r"met(?! you) (?:(?=[a-z])\w+)"),
        # Widened, each of these would look for less, not more: no sieve.
        (r"met (?-i:[^A-Z]\w+)", None),
        (r"met (?-i:(?!The)[A-Z]\w+)", None),
        (r"met(?! (?-i:[A-Z]))", None),
        (r"met(?<!(?:x|(?-i:Y)))", None),
    ],
)
def test_a_sieve_is_compiled_only_where_widening_finds_more(source, sieve):
    regex = compile_regex(source, re.IGNORECASE)
    assert (regex.folded.pattern if regex.folded else None) == sieve
    assert regex.exact is (sieve is None)


def test_a_sieve_only_spares_the_scan_of_a_text_it_finds_nothing_in():
    regex = compile_regex(r"\bmet (?-i:[A-Z][a-z]+)\b", re.IGNORECASE)
    assert [m.span() for m in regex.finditer(prepare("We MET Ana today."))] == [(3, 10)]
    assert list(regex.finditer(prepare("we met ana today."))) == []  # the sieve passes it on
    assert list(regex.finditer(prepare("Nothing here."))) == []


def test_a_twin_is_not_used_on_text_that_is_not_ascii():
    regex = compile_regex(r"\bstra(?:ss|ß)e\b", re.IGNORECASE)
    assert regex.folded is not None
    assert [m.span() for m in regex.finditer(prepare("Die STRAẞE."))] == [(4, 10)]
    assert [m.span() for m in regex.finditer(prepare("the STRASSE"))] == [(4, 11)]


def test_package_imports_only_the_standard_library():
    for path in PACKAGE_DIR.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module]
            else:
                continue
            for name in names:
                root = name.split(".")[0]
                assert root in sys.stdlib_module_names or root == "__future__", (path, name)


def test_finding_type_is_exported():
    assert Finding.__name__ == "Finding"


def _plain_tokens(text):
    """Word offsets and breaks by one scan, word by word: what ``Tokens.of`` must give."""
    matches = list(re.finditer(r"\w+", text))
    brk = []
    prev_end = 0
    for m in matches:
        gap = text[prev_end : m.start()]
        if gap.strip():
            sentence = re.search(r"[.!?]['\")\]]*(?=\s)|[;\n]", gap)
            brk.append(2 if sentence else 1 if re.search(r'[,:()\[\]{}"/|]', gap) else 0)
        else:
            brk.append(2 if "\n" in gap else 0)
        prev_end = m.end()
    words = [m.group() for m in matches]
    return [m.start() for m in matches], [m.end() for m in matches], words, brk


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "word",
        " (Lead) engineer, 3.24.0; next.\nLine two \t\t ends here. ",
        "«Ünïcödé» — quotes… “and” dashes – here!)  Then: [brackets] {braces} a/b | c",
        'a.b. c? d!" e) f',
        "İstanbul ŞEHİR straße",
    ],
)
def test_tokens_give_the_offsets_and_breaks_of_a_plain_scan(text):
    tokens = prepare(text).tokens
    plain = _plain_tokens(prepare(text).text)
    assert (tokens.starts, tokens.ends, tokens.raw, tokens.brk) == plain
    assert tokens.low == [w.lower() for w in tokens.raw]


def test_tokens_of_every_evaluation_line_are_those_of_a_plain_scan():
    for text in _sentences():
        tokens = prepare(text).tokens
        plain = _plain_tokens(prepare(text).text)
        assert (tokens.starts, tokens.ends, tokens.raw, tokens.brk) == plain, text
