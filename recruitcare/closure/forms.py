"""Forms for closure messages and their templates."""

from flask_wtf import FlaskForm
from wtforms import EmailField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Email, Length

from recruitcare.formutil import strip


class ClosureForm(FlaskForm):
    template = SelectField("Template")
    subject = StringField("Subject", validators=[DataRequired(), Length(max=300)], filters=[strip])
    body = TextAreaField("Message", validators=[DataRequired(), Length(max=20000)])
    override_reason = TextAreaField(
        "Reason to send despite the flagged wording",
        validators=[Length(max=2000)],
        filters=[strip],
        description="Only when the flagged wording is job-related and accurate. It is audited.",
    )
    use_template = SubmitField("Start again from this template")
    save = SubmitField("Save draft")
    approve = SubmitField("Approve and schedule")


class TemplateForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=200)], filters=[strip])
    subject = StringField("Subject", validators=[DataRequired(), Length(max=300)], filters=[strip])
    body = TextAreaField("Message", validators=[DataRequired(), Length(max=20000)])
    submit = SubmitField("Save template")


class ResendForm(FlaskForm):
    email = EmailField("Email address", validators=[DataRequired(), Email(), Length(max=254)])
    submit = SubmitField("Fix the address and resend")
