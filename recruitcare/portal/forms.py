"""Forms on the candidate's page. Labels are written for candidates, not recruiters."""

from zoneinfo import available_timezones

from flask_wtf import FlaskForm
from markupsafe import Markup
from wtforms import (
    BooleanField,
    EmailField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, InputRequired, Length, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget, html_params

from recruitcare.domain.portal import CONSENT_MONTHS, NOTE_MAX, QUESTION_MAX, CallMedium
from recruitcare.formutil import choices, strip

_ZONES = sorted(available_timezones())
_ZONE_SET = frozenset(_ZONES)


class ZoneSelect:
    """A select of every IANA time zone. WTForms would escape ~600 options on every page
    view; the options are rendered once and only the chosen one is marked per request."""

    _options: Markup | None = None

    def __call__(self, field, **kwargs):
        if ZoneSelect._options is None:
            ZoneSelect._options = Markup("").join(
                Markup('<option value="{0}">{0}</option>').format(zone) for zone in _ZONES
            )
        kwargs.setdefault("id", field.id)
        options = str(ZoneSelect._options)
        if field.data in available_zones():
            chosen = f'<option value="{field.data}">'
            options = options.replace(chosen, f'<option value="{field.data}" selected>', 1)
        return Markup(f"<select {html_params(name=field.name, **kwargs)}>{options}</select>")


def available_zones() -> frozenset[str]:
    return _ZONE_SET


class CheckboxesField(SelectMultipleField):
    """A list of checkboxes: easier to use on a phone than a multiple select."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class CallForm(FlaskForm):
    times = TextAreaField(
        "When could you talk?",
        validators=[DataRequired(), Length(max=500)],
        filters=[strip],
        description="A few days and times that suit you, for example “Tuesday or Thursday "
        "after 2 pm”.",
    )
    timezone = SelectField(
        "Your time zone", choices=choices((z, z) for z in _ZONES), widget=ZoneSelect()
    )
    medium = RadioField(
        "How would you like to talk?",
        choices=choices((m.value, m.label) for m in CallMedium),
        default=CallMedium.VIDEO.value,
        validators=[InputRequired()],
    )
    phone = StringField(
        "Phone number (for a phone call)",
        validators=[Length(max=40)],
        filters=[strip],
    )
    submit = SubmitField("Ask for a call")

    def validate_phone(self, field):
        if self.medium.data == CallMedium.PHONE.value and not field.data:
            raise ValidationError("Give a number we can call you on, or choose a video call.")


class QuestionForm(FlaskForm):
    question = TextAreaField(
        "Your question",
        validators=[DataRequired(), Length(min=5, max=QUESTION_MAX)],
        filters=[strip],
        description="You can ask one follow-up question about your feedback.",
    )
    submit = SubmitField("Send my question")


class RatingForm(FlaskForm):
    rating = RadioField(
        "How helpful was this feedback?",
        choices=choices(
            (str(n), label)
            for n, label in enumerate(
                ("Not helpful", "A little helpful", "Helpful", "Very helpful", "Extremely helpful"),
                start=1,
            )
        ),
        validators=[InputRequired(message="Choose how helpful it was.")],
    )
    comment = TextAreaField(
        "Anything to add? (optional)", validators=[Length(max=1000)], filters=[strip]
    )
    submit = SubmitField("Send")


class PoolForm(FlaskForm):
    role_families = CheckboxesField("Kinds of role")
    locations = CheckboxesField("Locations")
    months = RadioField(
        "For how long may we contact you about other roles?",
        choices=choices((str(m), f"{m} months") for m in CONSENT_MONTHS),
        default=str(CONSENT_MONTHS[1]),
        validators=[InputRequired()],
    )
    submit = SubmitField("Consider me for other roles")

    def validate_role_families(self, field):
        if not field.data and not self.locations.data:
            raise ValidationError("Choose at least one kind of role or location.")


class StopPoolForm(FlaskForm):
    submit = SubmitField("Stop considering me")


class NoteForm(FlaskForm):
    body = TextAreaField(
        "Your note",
        validators=[DataRequired(), Length(max=NOTE_MAX)],
        filters=[strip],
        description="We pass it on to the people who interviewed you. Nobody's email address "
        "is shown.",
    )
    submit = SubmitField("Send the note")


class WithdrawForm(FlaskForm):
    reason = TextAreaField(
        "Would you tell us why? (optional)", validators=[Length(max=1000)], filters=[strip]
    )
    confirm = BooleanField(
        "Yes, withdraw my application",
        validators=[DataRequired(message="Tick the box to confirm.")],
    )
    submit = SubmitField("Withdraw my application")


class DeleteForm(FlaskForm):
    confirm = BooleanField(
        "Yes, delete my data",
        validators=[DataRequired(message="Tick the box to confirm.")],
    )
    submit = SubmitField("Ask for my data to be deleted")


class NewLinkForm(FlaskForm):
    email = EmailField(
        "Your email address",
        validators=[DataRequired(), Email(), Length(max=254)],
        filters=[strip],
    )
    submit = SubmitField("Email me a new link")
