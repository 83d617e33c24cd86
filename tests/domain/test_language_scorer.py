"""The trained second reader: its n-grams, its arithmetic, and what it does to findings.

The shipped model's quality is measured on the evaluation files (test_language_eval.py); here
a tiny hand-made model pins down how ``check`` uses a score: it weighs the rules' findings and
never makes one of its own.
"""

import math
from collections import Counter

import pytest

from recruitcare.domain.language import Severity, check
from recruitcare.domain.language.scorer import PassageScorer, features, load_scorer

TEXTS = [
    "She handled the payroll reconciliation well but seemed a bit too old for a fast team.",
    "Solid SQL. The the the repeated words and repeated pieces: payroll, payroll, payroll.",
    "A",
    "Worked nights on the maternity ward; knows the escalation pathway inside out.",
    "Say so at https://jobs.example/c/Xk9_q-2 or write to ana.o@mail.example.org today.",
]


def _plain_score(scorer, text):
    """Count times idf over ``features``, divided by the square root of the sum of count times
    idf squared, then the logistic: the definition, as the training script scales its rows."""
    counts = {g: n for g, n in Counter(features(text)).items() if g in scorer.idf}
    scale = math.sqrt(sum(n * scorer.idf[g] ** 2 for g, n in counts.items()))
    dot = sum(n * scorer.idf[g] * scorer.weights[g] for g, n in counts.items())
    return 1 / (1 + math.exp(-(scorer.intercept + (dot / scale if scale else 0.0))))


@pytest.mark.parametrize("text", TEXTS)
def test_the_fast_score_is_the_plain_sum(text):
    scorer = load_scorer()
    assert scorer.score(text) == pytest.approx(_plain_score(scorer, text), abs=1e-9)
    assert scorer.score(text) == scorer.score(text)  # the word cache changes nothing


def test_words_and_pieces_of_words_are_different_features():
    grams = features("Old API")
    assert {"=old", "=api", "=old api"} <= set(grams)
    assert {" ol", "old", "old ", " old ", " api "} <= set(grams)
    assert "=old" != "old"


def test_the_shipped_model_is_whole():
    scorer = load_scorer()
    assert 0 < scorer.clear_below < scorer.block_above < 1
    assert scorer.idf.keys() == scorer.weights.keys()


def _tiny(**weights):
    """A model that knows only the given words, each with idf 1."""
    return PassageScorer(
        idf={f"={w}": 1.0 for w in weights},
        weights={f"={w}": v for w, v in weights.items()},
        intercept=0.0,
        block_above=0.8,
        clear_below=0.2,
        trained_on=(),
    )


def test_a_rule_block_in_a_passage_about_the_work_becomes_a_warning():
    text = "Too old for this role, and the codebase too."
    [ruled] = check(text, second_reading=False)
    assert ruled.severity is Severity.BLOCK
    [read] = check(text, scorer=_tiny(codebase=-10.0))
    assert (read.rule, read.start, read.end) == (ruled.rule, ruled.start, ruled.end)
    assert read.severity is Severity.WARN
    assert read.message.startswith(ruled.message)
    assert "this is a warning, not a block" in read.message


def test_a_legal_warning_in_a_clearly_risky_passage_becomes_a_block():
    text = "Solid on the test. She is overqualified and zorbly."
    [ruled] = check(text, second_reading=False)
    assert (ruled.category, ruled.severity) == ("age", Severity.WARN)
    [read] = check(text, scorer=_tiny(zorbly=10.0))
    assert (read.rule, read.start, read.end) == (ruled.rule, ruled.start, ruled.end)
    assert read.severity is Severity.BLOCK
    assert "this is a block, not a warning" in read.message


def test_a_style_warning_is_never_raised():
    text = "That deadline was crazy, and zorbly."
    [read] = check(text, scorer=_tiny(zorbly=10.0))
    assert (read.category, read.severity) == ("ableist_language", Severity.WARN)


def test_the_scorer_makes_no_finding_of_its_own():
    # Plain closure wording scored high by a model trained on feedback must not be blocked.
    text = "We have decided not to continue with your application. Zorbly."
    assert check(text, scorer=_tiny(zorbly=10.0)) == []


def test_a_term_the_context_checks_passed_over_blocks_in_a_clearly_risky_passage():
    # "old" before a thing noun is passed over by the rules; a passage that reads as clearly
    # risky brings it back, as a block that says why.
    text = "We kept the old API running, zorbly."
    assert check(text, second_reading=False) == []
    [read] = check(text, scorer=_tiny(zorbly=10.0))
    assert (read.category, read.severity, text[read.start : read.end]) == (
        "age",
        Severity.BLOCK,
        "old",
    )
    assert "the passage is about who the candidate is" in read.message


def test_a_passed_over_term_stays_quiet_unless_the_passage_reads_as_risky():
    text = "We kept the old API running, zorbly."
    assert check(text, scorer=_tiny()) == []  # undecided: 0.5
    assert check(text, scorer=_tiny(zorbly=-10.0)) == []


def test_a_cue_is_never_a_finding_on_its_own():
    text = "A warm smile when she greeted the panel, zorbly."
    assert check(text, second_reading=False) == []
    assert check(text, scorer=_tiny()) == []
    assert check(text, scorer=_tiny(zorbly=-10.0)) == []


def test_a_cue_in_a_clearly_risky_passage_blocks_and_says_why():
    text = "A warm smile when she greeted the panel, zorbly."
    [read] = check(text, scorer=_tiny(zorbly=10.0))
    assert (read.rule, read.severity, text[read.start : read.end]) == (
        "cue.appearance",
        Severity.BLOCK,
        "smile",
    )
    assert read.message.startswith("Appearance is not a job criterion")
    assert "not a problem on their own" in read.message


def test_the_shipped_reader_leaves_trade_words_said_of_the_work_alone():
    assert check("The old API and the young company both came up in the design round.") == []


def test_a_passage_only_far_away_does_not_weigh_a_finding():
    # Windows are two sentences: the risky third sentence does not reach the first.
    text = "She is overqualified. Solid SQL. Good tests. Zorbly zorbly."
    [read] = check(text, scorer=_tiny(zorbly=10.0))
    assert read.severity is Severity.WARN


def test_an_undecided_score_leaves_the_rules_findings_alone():
    text = "Too old for this role. She is overqualified."
    assert check(text, scorer=_tiny()) == check(text, second_reading=False)


def test_without_the_second_reading_the_rules_stand_alone():
    text = "Too old for this role, and the codebase too."
    assert check(text, scorer=_tiny(codebase=-10.0), second_reading=False)[0].severity is (
        Severity.BLOCK
    )


def test_weighed_findings_keep_offsets_into_the_original_text():
    text = "Too\u200b old for this role, and the code\u00adbase too."
    [read] = check(text, scorer=_tiny(codebase=-10.0))
    assert read.severity is Severity.WARN
    assert text[read.start : read.end] == "Too\u200b old"


def test_links_and_addresses_are_read_as_nothing():
    # A candidate's private link carries a random token; its pieces must not tip the score.
    scorer = load_scorer()
    plain = scorer.score("You can say so at .")
    for link in (
        "http://127.0.0.1:5000/c/__candidate_link_token__",
        "https://jobs.northwind.example/c/Zq81_x-Kc3",
        "rhea.castellano@northwind.example",
    ):
        assert scorer.score(f"You can say so at {link}.") == plain
