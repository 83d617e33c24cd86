"""Scorecard and feedback rules: bands, pre-filling, completeness, independence, waiting."""

from datetime import UTC, datetime, timedelta

import pytest

from recruitcare.domain.enums import ApplicationStatus
from recruitcare.domain.feedback import (
    FeedbackDraft,
    Item,
    ScorecardContent,
    band_for,
    criterion_bands,
    feedback_applicable,
    feedback_problems,
    may_see_other_scorecards,
    prefill_feedback,
    render_feedback,
    scorecard_problems,
    waiting_label,
)


@pytest.mark.parametrize(
    ("average", "band"),
    [
        (4, "strong"),
        (3.5, "strong"),
        (3.49, "solid"),
        (2.5, "solid"),
        (2, "developing"),
        (1.5, "developing"),
        (1.49, "not yet shown"),
        (1, "not yet shown"),
    ],
)
def test_bands(average, band):
    assert band_for(average) == band


def test_bands_average_every_interviewer_and_ignore_missing_ratings():
    cards = [ScorecardContent({1: 4, 2: 1}), ScorecardContent({1: 3}), ScorecardContent({2: 2})]
    assert criterion_bands(cards) == {1: "strong", 2: "developing"}


def test_prefill_takes_strengths_from_best_rated_and_growth_from_lowest():
    cards = [
        ScorecardContent(
            {1: 2, 2: 4, 3: 3},
            strengths=[Item(1, "Clean tests."), Item(2, "Great design."), Item(3, "Clear.")],
            growth=[Item(1, "More tests."), Item(3, "Shorter answers.")],
            next_step="Practise a design review.",
        ),
        ScorecardContent(
            {1: 1, 2: 4, 3: 3},
            strengths=[Item(2, "Great design."), Item(2, "Sized it well.")],
            growth=[Item(1, "Cover edge cases.")],
            next_step="Practise a design review.",
        ),
    ]
    draft = prefill_feedback([1, 2, 3], cards)
    assert [i.criterion_id for i in draft.strengths] == [2, 3, 1]
    assert draft.strengths[0].text == "Great design. Sized it well."  # duplicates once
    assert [i.criterion_id for i in draft.growth] == [1, 3]
    assert draft.growth[0].text == "More tests. Cover edge cases."
    assert draft.next_step == "Practise a design review."


def test_prefill_drops_items_of_unknown_criteria_and_caps_counts():
    cards = [ScorecardContent({}, strengths=[Item(9, "Gone."), Item(None, "Loose.")])]
    assert prefill_feedback([1], cards) == FeedbackDraft([], [], "")


@pytest.mark.parametrize(
    ("strengths", "growth", "step", "expected"),
    [
        ([Item(1, "a"), Item(2, "b")], [Item(1, "c")], "Do x.", set()),
        ([Item(1, "a"), Item(2, "b"), Item(1, "d")], [Item(1, "c"), Item(2, "e")], "x", set()),
        ([Item(1, "a")], [Item(1, "c")], "x", {"strengths"}),
        (
            [Item(1, "a"), Item(2, "b"), Item(1, "c"), Item(2, "d")],
            [Item(1, "c")],
            "x",
            {"strengths"},
        ),
        ([Item(1, "a"), Item(2, "b")], [], "x", {"growth"}),
        ([Item(1, "a"), Item(None, "b")], [Item(1, "c")], "x", {"strengths"}),
        ([Item(1, "a"), Item(2, "b")], [Item(7, "c")], "x", {"growth"}),
        ([Item(1, "a"), Item(2, "b"), Item(2, "  ")], [Item(1, "c")], " ", {"next_step"}),
    ],
)
def test_feedback_problems(strengths, growth, step, expected):
    assert set(feedback_problems(FeedbackDraft(strengths, growth, step), [1, 2])) == expected


def test_scorecard_problems_name_each_missing_part():
    content = ScorecardContent({1: 3}, strengths=[Item(1, "x")], growth=[], next_step="")
    problems = scorecard_problems(content, {1: "saw it", 2: ""}, [1, 2], None)
    assert set(problems) == {"rating_2", "evidence_2", "growth", "next_step", "recommendation"}
    complete = ScorecardContent({1: 3, 2: 1}, [Item(1, "x")], [Item(2, "y")], "Practise.")
    assert scorecard_problems(complete, {1: "a", 2: "b"}, [1, 2], "yes") == {}


@pytest.mark.parametrize(
    ("interviewer", "submitted", "sees"),
    [(True, False, False), (True, True, True), (False, False, True)],
)
def test_independence(interviewer, submitted, sees):
    assert may_see_other_scorecards(interviewer, submitted) is sees


@pytest.mark.parametrize(
    ("status", "interview", "applicable"),
    [
        (ApplicationStatus.REJECTED, True, True),
        (ApplicationStatus.REJECTED, False, False),
        (ApplicationStatus.ACTIVE, True, False),
        (ApplicationStatus.WITHDRAWN, True, False),
    ],
)
def test_feedback_applicable(status, interview, applicable):
    assert feedback_applicable(status, interview) is applicable


def test_rendered_feedback_shows_bands_never_scores():
    draft = FeedbackDraft([Item(1, "Sized it."), Item(2, "Clear.")], [Item(2, "Shorter.")], "Go.")
    text = render_feedback(draft, {1: "Design", 2: "Talk"}, {1: "strong", 2: "developing"})
    assert text.splitlines()[:3] == [
        "What went well:",
        "- Design (strong): Sized it.",
        "- Talk (developing): Clear.",
    ]
    assert "- Talk (developing): Shorter." in text and text.endswith("A next step:\nGo.")
    assert not any(ch.isdigit() for ch in text)


@pytest.mark.parametrize(
    ("delta", "label"),
    [
        (timedelta(minutes=5), "less than an hour"),
        (timedelta(hours=1), "1 hour"),
        (timedelta(hours=23), "23 hours"),
        (timedelta(days=1), "1 day"),
        (timedelta(days=3, hours=5), "3 days"),
        (-timedelta(hours=2), "less than an hour"),
    ],
)
def test_waiting_label(delta, label):
    now = datetime(2026, 11, 20, 12, tzinfo=UTC)
    assert waiting_label(now - delta, now) == label
