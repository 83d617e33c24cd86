"""Forms for managing people."""

from flask_wtf import FlaskForm
from wtforms import EmailField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Email, Length

from recruitcare.domain.enums import Role
from recruitcare.formutil import choices, strip

ROLE_CHOICES = choices((role.value, role.label) for role in Role)


class InviteForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=120)], filters=[strip])
    email = EmailField("Email", validators=[DataRequired(), Email(), Length(max=254)])
    role = SelectField("Role", choices=ROLE_CHOICES, default=Role.RECRUITER.value)
    submit = SubmitField("Create account and link")


class RoleForm(FlaskForm):
    role = SelectField("Role", choices=ROLE_CHOICES)
    submit = SubmitField("Change role")


class ConfirmForm(FlaskForm):
    """A button that posts with a CSRF token and nothing else."""

    submit = SubmitField("Confirm")
