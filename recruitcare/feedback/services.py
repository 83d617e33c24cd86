"""Scorecards and candidate feedback: loading within the user's reach, checking, saving.

Operations flush; the view or command that calls them commits.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import joinedload, selectinload

from recruitcare import audit
from recruitcare.access import requisition_filter
from recruitcare.domain import feedback as rules
from recruitcare.domain.enums import FeedbackStatus, Recommendation, ScorecardStatus
from recruitcare.domain.language import Finding, Severity, check
from recruitcare.extensions import db
from recruitcare.models import (
    Application,
    CandidateFeedback,
    Criterion,
    FeedbackVersion,
    Interview,
    Scorecard,
    ScorecardRating,
    ScorecardVersion,
    User,
    interview_interviewers,
)


class FeedbackError(ValueError):
    """A feedback request that cannot be done; the message is safe to show."""


# ---- conversions between stored JSON and domain items -------------------------------------


def items_from(stored: Iterable[Mapping]) -> list[rules.Item]:
    return [rules.Item(d.get("criterion_id"), str(d.get("text", ""))) for d in stored or ()]


def items_to_json(items: Iterable[rules.Item]) -> list[dict]:
    return [{"criterion_id": i.criterion_id, "text": i.text.strip()} for i in items if i.filled]


def scorecard_content(scorecard: Scorecard) -> rules.ScorecardContent:
    return rules.ScorecardContent(
        ratings={r.criterion_id: r.rating for r in scorecard.ratings if r.rating is not None},
        strengths=items_from(scorecard.strengths),
        growth=items_from(scorecard.growth_areas),
        next_step=scorecard.next_step,
    )


# ---- checking text ---------------------------------------------------------------------------


@dataclass
class Checked:
    """Findings per field; ``blocking`` are the block findings that stop sharing or submitting."""

    by_field: dict[str, list[Finding]] = field(default_factory=dict)
    warn_only: frozenset[str] = frozenset()

    @property
    def blocking(self) -> list[tuple[str, Finding]]:
        return [
            (key, f)
            for key, findings in self.by_field.items()
            if key not in self.warn_only
            for f in findings
            if f.severity is Severity.BLOCK
        ]


def marked_segments(text: str, findings: Sequence[Finding]) -> list[tuple[str, bool]]:
    """``text`` cut into (piece, flagged) so a template can highlight the flagged spans."""
    segments: list[tuple[str, bool]] = []
    pos = 0
    for start, end in sorted((f.start, f.end) for f in findings if f.end > f.start):
        start = max(start, pos)
        if end <= start:
            continue
        segments += [(text[pos:start], False), (text[start:end], True)]
        pos = end
    segments.append((text[pos:], False))
    return [s for s in segments if s[0]]


def check_fields(
    texts: Mapping[str, str],
    criteria: Sequence[Criterion],
    *,
    warn_only: Iterable[str] = (),
    focus: Mapping[str, int | None] | None = None,
) -> Checked:
    """Run the language checker on each field; ``warn_only`` fields never block.

    ``focus`` names the criterion a field is about, so its suggested rewrite uses it.
    """
    result = Checked(warn_only=frozenset(warn_only))
    for key, text in texts.items():
        if text and text.strip():
            wanted = (focus or {}).get(key)
            ordered = sorted(criteria, key=lambda c: c.id != wanted)
            found = check(text, [(c.name, c.description) for c in ordered])
            if found:
                result.by_field[key] = found
    return result


# ---- scorecards ------------------------------------------------------------------------------


def get_interview_or_404(user: User, interview_id: int) -> Interview:
    """An interview this person sits on, within their requisitions."""
    stmt = (
        select(Interview)
        .join(interview_interviewers, interview_interviewers.c.interview_id == Interview.id)
        .join(Interview.application)
        .join(Application.requisition)
        .where(
            Interview.id == interview_id,
            interview_interviewers.c.user_id == user.id,
            requisition_filter(user),
        )
        .options(
            joinedload(Interview.application).joinedload(Application.candidate),
            joinedload(Interview.stage),
        )
    )
    return db.first_or_404(stmt)


def own_scorecard(interview: Interview, user: User) -> Scorecard | None:
    return db.session.scalars(
        select(Scorecard)
        .where(Scorecard.interview_id == interview.id, Scorecard.interviewer_id == user.id)
        .options(selectinload(Scorecard.ratings))
    ).first()


@dataclass(frozen=True)
class ScorecardInput:
    """What the interviewer typed, keyed by criterion id where it belongs to one."""

    ratings: Mapping[int, int | None]
    evidence: Mapping[int, str]
    strengths: Sequence[rules.Item]
    growth: Sequence[rules.Item]
    next_step: str
    recommendation: Recommendation | None
    private_notes: str

    def content(self) -> rules.ScorecardContent:
        return rules.ScorecardContent(
            ratings={k: v for k, v in self.ratings.items() if v is not None},
            strengths=self.strengths,
            growth=self.growth,
            next_step=self.next_step,
        )

    def texts(self) -> dict[str, str]:
        """Every written field by form key: what the checker reads."""
        texts = {f"evidence_{cid}": text for cid, text in self.evidence.items()}
        texts |= {f"strengths-{i}-text": item.text for i, item in enumerate(self.strengths)}
        texts |= {f"growth-{i}-text": item.text for i, item in enumerate(self.growth)}
        texts["next_step"] = self.next_step
        texts["private_notes"] = self.private_notes
        return texts


PRIVATE_FIELDS = ("private_notes",)


def item_focus(strengths: Sequence[rules.Item], growth: Sequence[rules.Item]) -> dict:
    focus = {f"strengths-{i}-text": item.criterion_id for i, item in enumerate(strengths)}
    focus |= {f"growth-{i}-text": item.criterion_id for i, item in enumerate(growth)}
    return focus


def check_scorecard(data: ScorecardInput, criteria: Sequence[Criterion]) -> Checked:
    """Private notes can be disclosed in a dispute, so they are checked, but only warned."""
    focus = item_focus(data.strengths, data.growth)
    focus |= {f"evidence_{cid}": cid for cid in data.evidence}
    return check_fields(data.texts(), criteria, warn_only=PRIVATE_FIELDS, focus=focus)


def scorecard_problems(data: ScorecardInput, criteria: Sequence[Criterion]) -> dict[str, str]:
    return rules.scorecard_problems(
        data.content(),
        data.evidence,
        [c.id for c in criteria],
        data.recommendation.value if data.recommendation else None,
    )


def save_scorecard(
    interview: Interview,
    interviewer: User,
    data: ScorecardInput,
    *,
    submit: bool,
    now: datetime,
) -> Scorecard:
    """Save a draft, or submit (a new version when it was submitted before).

    Submitting needs a complete scorecard with no block findings outside the private notes;
    the view checks both first and this refuses again so no caller can skip it.
    """
    criteria = interview.application.requisition.criteria
    if submit and (scorecard_problems(data, criteria) or check_scorecard(data, criteria).blocking):
        raise FeedbackError("The scorecard is not complete or has wording to fix.")
    scorecard = own_scorecard(interview, interviewer)
    if scorecard is None:
        scorecard = Scorecard(
            interview=interview,
            interviewer=interviewer,
            application_id=interview.application_id,
            status=ScorecardStatus.DRAFT,
            version=0,
            created_at=now,
        )
        db.session.add(scorecard)
    by_criterion = {r.criterion_id: r for r in scorecard.ratings}
    for criterion in criteria:
        rating = by_criterion.get(criterion.id)
        if rating is None:
            rating = ScorecardRating(criterion_id=criterion.id)
            scorecard.ratings.append(rating)
        rating.rating = data.ratings.get(criterion.id)
        rating.evidence = data.evidence.get(criterion.id, "").strip()
    scorecard.strengths = items_to_json(data.strengths)
    scorecard.growth_areas = items_to_json(data.growth)
    scorecard.next_step = data.next_step.strip()
    scorecard.recommendation = data.recommendation
    scorecard.private_notes = data.private_notes.strip()
    scorecard.updated_at = now
    if submit:
        amended = scorecard.status is ScorecardStatus.SUBMITTED
        scorecard.status = ScorecardStatus.SUBMITTED
        scorecard.version += 1
        scorecard.submitted_at = scorecard.submitted_at or now
        scorecard.versions.append(
            ScorecardVersion(
                version=scorecard.version,
                submitted_at=now,
                content=_snapshot(scorecard, criteria),
            )
        )
        db.session.flush()
        audit.record(
            "scorecard.amended" if amended else "scorecard.submitted",
            scorecard,
            actor=interviewer,
            now=now,
            version=scorecard.version,
        )
    db.session.flush()
    return scorecard


def _snapshot(scorecard: Scorecard, criteria: Sequence[Criterion]) -> dict:
    names = {c.id: c.name for c in criteria}
    return {
        "ratings": [
            {
                "criterion_id": r.criterion_id,
                "criterion": names.get(r.criterion_id, ""),
                "rating": r.rating,
                "evidence": r.evidence,
            }
            for r in scorecard.ratings
        ],
        "strengths": scorecard.strengths,
        "growth_areas": scorecard.growth_areas,
        "next_step": scorecard.next_step,
        "recommendation": scorecard.recommendation.value if scorecard.recommendation else None,
        "private_notes": scorecard.private_notes,
    }


@dataclass(frozen=True)
class ScorecardsView:
    """The scorecards a person may read for one application, and why others are hidden."""

    shown: list[Scorecard]
    hidden: int
    own_pending: list[Interview]


def scorecards_for(application: Application, user: User) -> ScorecardsView:
    """Independent evaluation: others' scorecards stay hidden until the reader submits theirs.

    Drafts are never shown to anyone but their author.
    """
    cards = db.session.scalars(
        select(Scorecard)
        .where(Scorecard.application_id == application.id)
        .options(
            selectinload(Scorecard.ratings),
            selectinload(Scorecard.versions),
            joinedload(Scorecard.interviewer),
            joinedload(Scorecard.interview).joinedload(Interview.stage),
        )
        .order_by(Scorecard.submitted_at, Scorecard.id)
    ).all()
    mine_interviews = [i for i in application.interviews if user in i.interviewers]
    submitted_mine = {
        c.interview_id
        for c in cards
        if c.interviewer_id == user.id and c.status is ScorecardStatus.SUBMITTED
    }
    pending = [i for i in mine_interviews if i.id not in submitted_mine]
    may_see = rules.may_see_other_scorecards(bool(mine_interviews), bool(submitted_mine))
    submitted = [c for c in cards if c.status is ScorecardStatus.SUBMITTED]
    shown = [c for c in submitted if may_see or c.interviewer_id == user.id]
    return ScorecardsView(shown, len(submitted) - len(shown), pending)


@dataclass(frozen=True)
class Summary:
    """What the application page shows about scorecards and feedback."""

    submitted: int
    mine: list[tuple[Interview, Scorecard | None]]
    feedback: CandidateFeedback | None
    can_compose: bool


def summary_for(application: Application, user: User) -> Summary:
    cards = db.session.scalars(
        select(Scorecard).where(Scorecard.application_id == application.id)
    ).all()
    own = {c.interview_id: c for c in cards if c.interviewer_id == user.id}
    mine = [(i, own.get(i.id)) for i in application.interviews if user in i.interviewers]
    submitted = sum(c.status is ScorecardStatus.SUBMITTED for c in cards)
    composable = can_compose(application)
    return Summary(submitted, mine, feedback_of(application) if composable else None, composable)


@dataclass(frozen=True)
class PendingScorecard:
    interview: Interview
    scorecard: Scorecard | None
    waiting: str


def my_interviews(user: User, now: datetime) -> tuple[list[PendingScorecard], list[Interview]]:
    """Held interviews still missing my submitted scorecard (oldest first), then upcoming ones."""
    mine = and_(Scorecard.interview_id == Interview.id, Scorecard.interviewer_id == user.id)
    stmt = (
        select(Interview, Scorecard)
        .join(interview_interviewers, interview_interviewers.c.interview_id == Interview.id)
        .join(Interview.application)
        .join(Application.requisition)
        .outerjoin(Scorecard, mine)
        .where(
            interview_interviewers.c.user_id == user.id,
            requisition_filter(user),
            or_(Scorecard.id.is_(None), Scorecard.status != ScorecardStatus.SUBMITTED),
        )
        .options(
            joinedload(Interview.application).joinedload(Application.candidate),
            joinedload(Interview.application).joinedload(Application.requisition),
            joinedload(Interview.stage),
        )
        .order_by(Interview.scheduled_at, Interview.id)
    )
    pending, upcoming = [], []
    for interview, scorecard in db.session.execute(stmt).unique():
        if interview.scheduled_at <= now:
            pending.append(
                PendingScorecard(
                    interview, scorecard, rules.waiting_label(interview.scheduled_at, now)
                )
            )
        else:
            upcoming.append(interview)
    return pending, upcoming


# ---- candidate-facing feedback ----------------------------------------------------------------


def feedback_of(application: Application) -> CandidateFeedback | None:
    return db.session.scalars(
        select(CandidateFeedback)
        .where(CandidateFeedback.application_id == application.id)
        .options(selectinload(CandidateFeedback.versions))
    ).first()


def submitted_contents(application: Application) -> list[rules.ScorecardContent]:
    cards = db.session.scalars(
        select(Scorecard)
        .where(
            Scorecard.application_id == application.id,
            Scorecard.status == ScorecardStatus.SUBMITTED,
        )
        .options(selectinload(Scorecard.ratings))
    ).all()
    return [scorecard_content(c) for c in cards]


def can_compose(application: Application) -> bool:
    stage = application.stage
    return rules.feedback_applicable(application.status, bool(stage and stage.is_interview))


def starting_draft(
    application: Application, contents: Sequence[rules.ScorecardContent]
) -> rules.FeedbackDraft:
    """The saved draft, or a fresh one pre-filled from the submitted scorecards."""
    saved = feedback_of(application)
    if saved is not None:
        return rules.FeedbackDraft(
            items_from(saved.strengths), items_from(saved.growth_areas), saved.next_step
        )
    ids = [c.id for c in application.requisition.criteria]
    return rules.prefill_feedback(ids, contents)


def feedback_texts(draft: rules.FeedbackDraft) -> dict[str, str]:
    texts = {f"strengths-{i}-text": item.text for i, item in enumerate(draft.strengths)}
    texts |= {f"growth-{i}-text": item.text for i, item in enumerate(draft.growth)}
    texts["next_step"] = draft.next_step
    return texts


def check_feedback(
    application: Application, draft: rules.FeedbackDraft, bands: Mapping[int, str]
) -> tuple[str, Checked]:
    """The text the candidate would read, and the checker's findings on it.

    Each field is checked so findings show where they are; the whole message gets the
    message-level checks only, so a phrase is not reported twice.
    """
    criteria = application.requisition.criteria
    rendered = rules.render_feedback(draft, {c.id: c.name for c in criteria}, bands)
    focus = item_focus(draft.strengths, draft.growth)
    fields = check_fields(feedback_texts(draft), criteria, focus=focus)
    whole = [
        f
        for f in check(rendered, [(c.name, c.description) for c in criteria], message_checks=True)
        if f.category == "message"
    ]
    if whole:
        fields.by_field["message"] = whole
    return rendered, fields


def save_feedback_draft(
    application: Application, draft: rules.FeedbackDraft, *, actor: User, now: datetime
) -> CandidateFeedback:
    if not can_compose(application):
        raise FeedbackError("Feedback is written for candidates rejected after an interview.")
    feedback = feedback_of(application)
    if feedback is None:
        feedback = CandidateFeedback(
            application=application, status=FeedbackStatus.DRAFT, created_at=now
        )
        db.session.add(feedback)
    feedback.strengths = items_to_json(draft.strengths)
    feedback.growth_areas = items_to_json(draft.growth)
    feedback.next_step = draft.next_step.strip()
    feedback.drafted_by = actor
    feedback.updated_at = now
    feedback.status = FeedbackStatus.DRAFT
    db.session.flush()
    return feedback


def approve_feedback(
    application: Application,
    draft: rules.FeedbackDraft,
    *,
    actor: User,
    now: datetime,
    override_reason: str = "",
) -> FeedbackVersion:
    """Store the approved text as a new version: the record of what the candidate reads.

    Text with a block finding is refused unless the recruiter writes why it is fine; that
    override is audited with the rules it set aside.
    """
    if not actor.can_manage_pipeline:
        raise FeedbackError("Only a recruiter can approve feedback.")
    criteria = application.requisition.criteria
    problems = rules.feedback_problems(draft, [c.id for c in criteria])
    if problems:
        raise FeedbackError(" ".join(problems.values()))
    bands = rules.criterion_bands(submitted_contents(application))
    rendered, checked = check_feedback(application, draft, bands)
    blocking = checked.blocking
    reason = override_reason.strip()
    if blocking and not reason:
        raise FeedbackError(
            "This text has wording that must be fixed, or overridden with a reason."
        )
    feedback = save_feedback_draft(application, draft, actor=actor, now=now)
    names = {c.id: c.name for c in criteria}

    def frozen(items: Iterable[rules.Item]) -> list[dict]:
        return [
            {
                "criterion_id": i.criterion_id,
                "criterion": names.get(i.criterion_id, ""),
                "band": bands.get(i.criterion_id),
                "text": i.text.strip(),
            }
            for i in items
            if i.filled
        ]

    version = FeedbackVersion(
        version=len(feedback.versions) + 1,
        content={
            "strengths": frozen(draft.strengths),
            "growth_areas": frozen(draft.growth),
            "next_step": draft.next_step.strip(),
        },
        text=rendered,
        approved_by=actor,
        approved_at=now,
        findings=[f.to_dict() for fs in checked.by_field.values() for f in fs],
        override_reason=reason if blocking else "",
    )
    feedback.versions.append(version)
    feedback.status = FeedbackStatus.APPROVED
    db.session.flush()
    audit.record("feedback.approved", feedback, actor=actor, now=now, version=version.version)
    if blocking:
        audit.record(
            "feedback.override",
            feedback,
            actor=actor,
            now=now,
            version=version.version,
            rules=sorted({f.rule for _key, f in blocking}),
            reason=reason,
        )
    return version
