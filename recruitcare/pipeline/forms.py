"""Forms for requisitions, interviews and stage outcomes."""

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from recruitcare.domain.enums import (
    Decision,
    InterimPolicy,
    RequisitionStatus,
    StatusUpdatePolicy,
)
from recruitcare.formutil import choices, strip
from recruitcare.ids import coerce_id


class RequisitionForm(FlaskForm):
    title = StringField("Job title", validators=[DataRequired(), Length(max=200)], filters=[strip])
    team = StringField(
        "Team or department", default="", validators=[Length(max=120)], filters=[strip]
    )
    location = StringField("Location", default="", validators=[Length(max=120)], filters=[strip])
    role_family = StringField(
        "Role family",
        default="",
        validators=[Length(max=80)],
        filters=[strip],
        description="Groups similar jobs (Engineering, Design) for the talent pool.",
    )
    owner = SelectField("Owner (recruiter)", coerce=int)
    members = SelectMultipleField(
        "Hiring team",
        coerce=int,
        description="Hiring managers and interviewers who work on this requisition.",
    )
    status = SelectField(
        "Status",
        choices=choices((s.value, s.label) for s in RequisitionStatus),
        default=RequisitionStatus.OPEN.value,
    )
    publicly_advertised = BooleanField("Publicly advertised", default=True)
    status_update_policy = SelectField(
        "When a candidate advances or is put on hold",
        choices=choices((p.value, p.label) for p in StatusUpdatePolicy),
        default=StatusUpdatePolicy.SEND.value,
        description="The update tells them their new promised decision date.",
    )
    interim_policy = SelectField(
        "When a promised decision date passes with no decision",
        choices=choices((p.value, p.label) for p in InterimPolicy),
        default=InterimPolicy.AUTO.value,
        description="An interim update says we have not decided yet and gives a new date.",
    )
    promise_days = IntegerField(
        "Response promise for every stage (business days)",
        default=7,
        validators=[Optional(), NumberRange(min=1, max=60)],
        description="You can set each stage's promise separately afterwards.",
    )
    submit = SubmitField("Save")


class CriterionForm(FlaskForm):
    name = StringField("Criterion", validators=[DataRequired(), Length(max=120)], filters=[strip])
    description = TextAreaField(
        "What good looks like", validators=[Length(max=2000)], filters=[strip]
    )
    submit = SubmitField("Save criterion")


class StageForm(FlaskForm):
    name = StringField("Stage name", validators=[DataRequired(), Length(max=120)], filters=[strip])
    promise_days = IntegerField(
        "Response promise (business days)",
        default=7,
        validators=[InputRequired(), NumberRange(min=1, max=60)],
    )
    is_interview = BooleanField("Interview stage (has interviews and scorecards)")
    submit = SubmitField("Save stage")


class MoveForm(FlaskForm):
    direction = HiddenField(validators=[DataRequired()])


class ConfirmForm(FlaskForm):
    submit = SubmitField("Confirm")


class InterviewForm(FlaskForm):
    stage = SelectField("Stage", coerce=int)
    scheduled_at = DateTimeLocalField(
        "Date and time", format="%Y-%m-%dT%H:%M", validators=[DataRequired()]
    )
    interviewers = SelectMultipleField(
        "Interviewers", coerce=int, validators=[DataRequired("Choose at least one interviewer.")]
    )
    submit = SubmitField("Save interview")


DECISION_CHOICES = choices((d.value, d.label) for d in Decision)


class OutcomeForm(FlaskForm):
    decision = RadioField("Decision", choices=DECISION_CHOICES, validators=[DataRequired()])
    reason = SelectField(
        "Reason",
        coerce=coerce_id,
        default=0,
        validate_choice=False,
        description="Needed to reject or record a withdrawal. The candidate sees only its "
        "candidate-safe explanation.",
    )
    details = TextAreaField("Details (internal)", validators=[Length(max=2000)], filters=[strip])
    submit = SubmitField("Record outcome")


class BulkForm(FlaskForm):
    action = SelectField(
        "Action",
        choices=choices(
            [
                (Decision.ADVANCE.value, "Move to the next stage"),
                (Decision.REJECT.value, "Reject"),
                (Decision.HOLD.value, "Put on hold"),
            ]
        ),
    )
    reason = SelectField("Reason (for reject)", coerce=coerce_id, default=0, validate_choice=False)
    details = TextAreaField("Details (internal)", validators=[Length(max=2000)], filters=[strip])
    submit = SubmitField("Apply to selected")


class ReasonForm(FlaskForm):
    code = StringField(
        "Code",
        validators=[DataRequired(), Length(max=64)],
        filters=[strip],
        description="A short identifier used in reports, e.g. criteria_mismatch.",
    )
    decision = SelectField(
        "Explains",
        choices=choices(
            [(Decision.REJECT.value, "Rejection"), (Decision.WITHDRAWN.value, "Withdrawal")]
        ),
    )
    label = StringField(
        "Internal reason", validators=[DataRequired(), Length(max=200)], filters=[strip]
    )
    candidate_explanation = TextAreaField(
        "What the candidate is told",
        validators=[DataRequired(), Length(max=2000)],
        filters=[strip],
    )
    default_template = StringField(
        "Default closure template", validators=[Length(max=64)], filters=[strip]
    )
    requires_details = BooleanField("Needs written details (for “other” reasons)")
    active = BooleanField("In use", default=True)
    submit = SubmitField("Save reason")
