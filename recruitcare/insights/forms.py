"""The dashboard's filter: a GET form, so a filtered view is a link that can be shared."""

from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, SelectField, ValidationError
from wtforms.validators import NumberRange, Optional

from recruitcare.domain.insights import day_problem

CHOOSE_FROM_LIST = "Choose one from the list."


def _id_or_none(value):
    if value in (None, ""):
        return None
    return int(value)


class IdSelectField(SelectField):
    """A select of ids, "" meaning all, that says plainly when a value is not on the list."""

    def __init__(self, label, all_label: str, **kwargs):
        super().__init__(label, coerce=_id_or_none, validate_choice=False, **kwargs)
        self.all_label = all_label

    def set_options(self, pairs) -> None:
        self.choices = [("", self.all_label)] + [(str(i), text) for i, text in pairs]
        self.ids = {i for i, _ in pairs}

    def process_formdata(self, valuelist):
        if not valuelist:
            return
        try:
            self.data = _id_or_none(valuelist[0].strip())
        except ValueError:
            self.data = None
            raise ValueError(CHOOSE_FROM_LIST) from None

    def pre_validate(self, form):
        if self.data is not None and self.data not in self.ids:
            raise ValidationError(CHOOSE_FROM_LIST)


class FilterForm(FlaskForm):
    class Meta:
        csrf = False  # read only, and the filter travels in the address

    date_from = DateField("From", validators=[Optional()])
    date_to = DateField("To", validators=[Optional()])
    requisition = IdSelectField("Requisition", "All requisitions")
    recruiter = IdSelectField("Recruiter", "All recruiters")
    hiring_manager = IdSelectField("Hiring manager", "All hiring managers")
    waiting_days = IntegerField(
        "No contact for more than (days)",
        validators=[
            Optional(),
            NumberRange(min=1, max=365, message="Choose a number of days from 1 to 365."),
        ],
    )

    def validate_date_from(self, field):
        self._check_day(field)

    def validate_date_to(self, field):
        self._check_day(field)

    @staticmethod
    def _check_day(field):
        problem = field.data and day_problem(field.data)
        if problem:
            raise ValidationError(problem)
