"""Forms for answering candidates."""

from flask_wtf import FlaskForm
from wtforms import BooleanField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length

from recruitcare.formutil import strip


class AnswerForm(FlaskForm):
    answer = TextAreaField(
        "Your answer",
        validators=[DataRequired(), Length(max=5000)],
        filters=[strip],
        description="It appears on the candidate's page and is emailed to them. It is checked "
        "like feedback.",
    )
    override_reason = TextAreaField(
        "Reason to send despite the flagged wording",
        validators=[Length(max=2000)],
        filters=[strip],
        description="Only when the flagged wording is job-related and accurate. It is audited.",
    )
    submit = SubmitField("Send the answer")


class DeletePersonForm(FlaskForm):
    confirm = BooleanField(
        "I understand: the name, email address and everything written about this person is "
        "removed for good; only counts remain.",
        validators=[DataRequired(message="Tick the box to confirm.")],
    )
    submit = SubmitField("Delete this person's data")
