"""Scorecards and candidate-facing feedback: the rules, free of storage and web.

Interviewers rate each of the job's criteria on a 4-point anchored scale. Candidates never see
those numbers: feedback shows a band per criterion, and tells them 2 or 3 strengths, 1 or 2
growth areas and a next step, each tied to a criterion so it stays about the job.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from recruitcare.domain.enums import ApplicationStatus


@dataclass(frozen=True)
class Anchor:
    value: int
    title: str
    description: str


RATING_ANCHORS: tuple[Anchor, ...] = (
    Anchor(1, "Not shown", "No evidence of this in the interview, or evidence against it."),
    Anchor(2, "Developing", "Some evidence, but below what the role needs today."),
    Anchor(3, "Meets the bar", "Clear evidence that the candidate does what the role needs."),
    Anchor(4, "Strong", "Clear evidence beyond what the role needs; could teach others."),
)
RATING_VALUES = tuple(a.value for a in RATING_ANCHORS)

STRENGTH_SLOTS = 3
GROWTH_SLOTS = 2
MIN_STRENGTHS, MAX_STRENGTHS = 2, 3
MIN_GROWTH, MAX_GROWTH = 1, 2


@dataclass(frozen=True)
class Item:
    """One strength or growth area, tied to a criterion of the job."""

    criterion_id: int | None
    text: str

    @property
    def filled(self) -> bool:
        return bool(self.text.strip())


@dataclass(frozen=True)
class ScorecardContent:
    """What one interviewer recorded; ``ratings`` maps criterion id to 1..4."""

    ratings: Mapping[int, int] = field(default_factory=dict)
    strengths: Sequence[Item] = ()
    growth: Sequence[Item] = ()
    next_step: str = ""


@dataclass(frozen=True)
class FeedbackDraft:
    strengths: Sequence[Item] = ()
    growth: Sequence[Item] = ()
    next_step: str = ""


def band_for(average: float) -> str:
    """The words a candidate sees instead of a score."""
    if average >= 3.5:
        return "strong"
    if average >= 2.5:
        return "solid"
    if average >= 1.5:
        return "developing"
    return "not yet shown"


def average_ratings(scorecards: Iterable[ScorecardContent]) -> dict[int, float]:
    totals: dict[int, list[int]] = {}
    for card in scorecards:
        for criterion_id, rating in card.ratings.items():
            if rating in RATING_VALUES:
                totals.setdefault(criterion_id, []).append(rating)
    return {cid: sum(values) / len(values) for cid, values in totals.items()}


def criterion_bands(scorecards: Iterable[ScorecardContent]) -> dict[int, str]:
    return {cid: band_for(avg) for cid, avg in average_ratings(scorecards).items()}


def _merge(items: Iterable[Item], order: Sequence[int]) -> list[Item]:
    """One item per criterion (texts from several interviewers joined), in ``order``."""
    texts: dict[int, list[str]] = {}
    for item in items:
        if item.criterion_id is None or not item.filled:
            continue
        bucket = texts.setdefault(item.criterion_id, [])
        if item.text.strip() not in bucket:
            bucket.append(item.text.strip())
    return [Item(cid, " ".join(texts[cid])) for cid in order if cid in texts]


def prefill_feedback(
    criterion_ids: Sequence[int], scorecards: Sequence[ScorecardContent]
) -> FeedbackDraft:
    """A first draft from the scorecards' shareable parts.

    Strengths come from the best-rated criteria, growth areas from the lowest-rated, so the
    draft agrees with the ratings; the recruiter edits from there.
    """
    averages = average_ratings(scorecards)
    position = {cid: i for i, cid in enumerate(criterion_ids)}
    known = list(criterion_ids)
    best_first = sorted(known, key=lambda cid: (-averages.get(cid, 0), position[cid]))
    worst_first = sorted(known, key=lambda cid: (averages.get(cid, 5), position[cid]))
    strengths = _merge((i for c in scorecards for i in c.strengths), best_first)
    growth = _merge((i for c in scorecards for i in c.growth), worst_first)
    steps: list[str] = []
    for card in scorecards:
        step = card.next_step.strip()
        if step and step not in steps:
            steps.append(step)
    return FeedbackDraft(
        strengths=strengths[:MAX_STRENGTHS],
        growth=growth[:MAX_GROWTH],
        next_step=" ".join(steps),
    )


def feedback_problems(draft: FeedbackDraft, criterion_ids: Iterable[int]) -> dict[str, str]:
    """What stops this feedback from being approved, by part; empty when it is complete."""
    valid = set(criterion_ids)
    problems: dict[str, str] = {}
    for key, items, low, high, noun in (
        ("strengths", draft.strengths, MIN_STRENGTHS, MAX_STRENGTHS, "strengths"),
        ("growth", draft.growth, MIN_GROWTH, MAX_GROWTH, "growth areas"),
    ):
        filled = [i for i in items if i.filled]
        if not low <= len(filled) <= high:
            problems[key] = f"Give {low} or {high} {noun}."
        elif any(i.criterion_id not in valid for i in filled):
            problems[key] = f"Tie each of the {noun} to one of the job's criteria."
    if not draft.next_step.strip():
        problems["next_step"] = "Suggest a next step that would strengthen a future application."
    return problems


def scorecard_problems(
    content: ScorecardContent,
    evidence: Mapping[int, str],
    criterion_ids: Iterable[int],
    recommendation: str | None,
) -> dict[str, str]:
    """What stops a scorecard from being submitted; drafts may be incomplete."""
    problems: dict[str, str] = {}
    for cid in criterion_ids:
        if content.ratings.get(cid) not in RATING_VALUES:
            problems[f"rating_{cid}"] = "Choose a rating."
        if not evidence.get(cid, "").strip():
            problems[f"evidence_{cid}"] = "Write what you observed."
    if not any(i.filled and i.criterion_id is not None for i in content.strengths):
        problems["strengths"] = "Write at least one strength, tied to a criterion."
    if not any(i.filled and i.criterion_id is not None for i in content.growth):
        problems["growth"] = "Write at least one growth area, tied to a criterion."
    if not content.next_step.strip():
        problems["next_step"] = "Suggest a concrete next step."
    if not recommendation:
        problems["recommendation"] = "Choose a recommendation."
    return problems


def may_see_other_scorecards(is_interviewer: bool, has_submitted_own: bool) -> bool:
    """Independent evaluation: an interviewer sees others' scorecards only after their own."""
    return has_submitted_own or not is_interviewer


def feedback_applicable(status: ApplicationStatus, stage_is_interview: bool) -> bool:
    """Candidate-facing feedback is written for people rejected after an interview stage."""
    return status is ApplicationStatus.REJECTED and stage_is_interview


def render_feedback(
    draft: FeedbackDraft, names: Mapping[int, str], bands: Mapping[int, str]
) -> str:
    """The plain-text feedback the candidate reads: bands, never scores."""

    def line(item: Item) -> str:
        name = names.get(item.criterion_id, "") if item.criterion_id is not None else ""
        band = bands.get(item.criterion_id) if item.criterion_id is not None else None
        label = f"{name} ({band})" if band else name
        return f"- {label}: {item.text.strip()}" if label else f"- {item.text.strip()}"

    parts = ["What went well:"]
    parts += [line(i) for i in draft.strengths if i.filled]
    parts += ["", "Where to grow:"]
    parts += [line(i) for i in draft.growth if i.filled]
    parts += ["", "A next step:", draft.next_step.strip()]
    return "\n".join(parts)


def waiting_label(since: datetime, now: datetime) -> str:
    """How long something has waited, the way a person would say it."""
    seconds = max(0, int((now - since).total_seconds()))
    days, rest = divmod(seconds, 86400)
    if days >= 1:
        return f"{days} day{'s' if days != 1 else ''}"
    hours = rest // 3600
    if hours >= 1:
        return f"{hours} hour{'s' if hours != 1 else ''}"
    return "less than an hour"
