"""Forms for scorecards and candidate feedback.

A scorecard has one rating and one evidence field per criterion of the requisition, so its
form class is built for the criteria at hand.
"""

from collections.abc import Sequence

from flask_wtf import FlaskForm
from wtforms import (
    FieldList,
    Form,
    FormField,
    RadioField,
    SelectField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import Length, ValidationError

from recruitcare.domain import feedback as rules
from recruitcare.domain.enums import Recommendation
from recruitcare.formutil import choices, strip
from recruitcare.models import Criterion

TEXT_LIMIT = 4000


def optional_int(value):
    """Select values: an empty choice is None, anything else an id."""
    if value in ("", None):
        return None
    return int(value)


def optional_rating(value):
    """A rating: none chosen is None (a draft may leave it out), else one of the anchors;
    anything else is a form error, never a number saved as a rating."""
    rating = optional_int(value)
    if rating is not None and rating not in rules.RATING_VALUES:
        raise ValueError("not a rating")
    return rating


class ItemForm(Form):
    """A strength or growth area, tied to a criterion of the job."""

    criterion = SelectField("Criterion", coerce=optional_int)
    text = TextAreaField("What to tell the candidate", validators=[Length(max=TEXT_LIMIT)])


def _prepare_items(form_items, criteria: Sequence[Criterion], noun: str) -> None:
    """Criterion choices, and labels that say which slot a screen reader is in."""
    options = choices([("", "Choose a criterion"), *((c.id, c.name) for c in criteria)])
    for number, entry in enumerate(form_items, start=1):
        entry.criterion.choices = options
        entry.criterion.label.text = f"{noun} {number}: criterion"
        entry.text.label.text = f"{noun} {number}: what to tell the candidate"


class ScorecardForm(FlaskForm):
    strengths = FieldList(FormField(ItemForm), min_entries=rules.STRENGTH_SLOTS)
    growth = FieldList(FormField(ItemForm), min_entries=rules.GROWTH_SLOTS)
    next_step = TextAreaField(
        "A next step for the candidate",
        validators=[Length(max=TEXT_LIMIT)],
        filters=[strip],
        description="A skill to practise, a resource, or an example to prepare next time.",
    )
    recommendation = RadioField(
        "Your recommendation",
        choices=choices((r.value, r.label) for r in Recommendation),
        validate_choice=False,
    )
    private_notes = TextAreaField(
        "Private notes",
        validators=[Length(max=TEXT_LIMIT)],
        filters=[strip],
        description="Never shared with the candidate, but can be disclosed in a legal dispute.",
    )
    save = SubmitField("Save draft")
    submit = SubmitField("Submit scorecard")

    criteria: Sequence[Criterion] = ()

    def rating(self, criterion: Criterion):
        return self[f"rating_{criterion.id}"]

    def evidence(self, criterion: Criterion):
        return self[f"evidence_{criterion.id}"]

    def validate_recommendation(self, field) -> None:
        if field.data and field.data not in {r.value for r in Recommendation}:
            raise ValidationError("Choose one of the recommendations.")


def scorecard_form(criteria: Sequence[Criterion], **kwargs) -> ScorecardForm:
    """A scorecard form with a rating and an evidence field for each of ``criteria``."""

    class _Form(ScorecardForm):
        pass

    anchors = choices((a.value, f"{a.value} · {a.title}") for a in rules.RATING_ANCHORS)
    for criterion in criteria:
        setattr(
            _Form,
            f"rating_{criterion.id}",
            RadioField(
                criterion.name, choices=anchors, coerce=optional_rating, validate_choice=False
            ),
        )
        setattr(
            _Form,
            f"evidence_{criterion.id}",
            TextAreaField(
                "Evidence: what did you observe?",
                validators=[Length(max=TEXT_LIMIT)],
                filters=[strip],
            ),
        )
    form = _Form(**kwargs)
    form.criteria = criteria
    _prepare_items(form.strengths, criteria, "Strength")
    _prepare_items(form.growth, criteria, "Growth area")
    return form


class FeedbackForm(FlaskForm):
    strengths = FieldList(FormField(ItemForm), min_entries=rules.MAX_STRENGTHS)
    growth = FieldList(FormField(ItemForm), min_entries=rules.MAX_GROWTH)
    next_step = TextAreaField(
        "A next step",
        validators=[Length(max=TEXT_LIMIT)],
        filters=[strip],
        description="What would strengthen a future application.",
    )
    override_reason = TextAreaField(
        "Reason to share despite the flagged wording",
        validators=[Length(max=2000)],
        filters=[strip],
        description="Only when the flagged wording is job-related and accurate. It is audited.",
    )
    save = SubmitField("Save draft")
    approve = SubmitField("Approve for the candidate")


def feedback_form(criteria: Sequence[Criterion], **kwargs) -> FeedbackForm:
    form = FeedbackForm(**kwargs)
    _prepare_items(form.strengths, criteria, "Strength")
    _prepare_items(form.growth, criteria, "Growth area")
    return form


def items_of(entries) -> list[rules.Item]:
    return [rules.Item(e.criterion.data, e.text.data or "") for e in entries]


def fill_items(entries, items: Sequence[rules.Item]) -> None:
    for entry, item in zip(entries, items, strict=False):
        entry.criterion.data = item.criterion_id
        entry.text.data = item.text
