"""Forms for adding a candidate and uploading a candidate file."""

from email_validator import EmailNotValidError
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired, FileSize
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    SelectChoice,
    SelectField,
    StringField,
)
from wtforms.validators import DataRequired, Length, ValidationError

from recruitcare.candidates.services import check_email
from recruitcare.domain.csv_import import MAX_NAME_LENGTH, MAX_ROWS, time_zone_names
from recruitcare.formutil import strip

LANGUAGES = [
    SelectChoice("en", "English"),
    SelectChoice("fr", "French"),
    SelectChoice("es", "Spanish"),
    SelectChoice("de", "German"),
]
# 50,000 rows with a few columns fit well inside this; the check happens in the form because
# the app sets no global request size limit.
MAX_UPLOAD_BYTES = 10 * 1024 * 1024


def _collapse(value: str | None) -> str | None:
    return " ".join(value.split()) if value else value


def _real_email(form, field) -> None:
    if field.data:
        try:
            field.data = check_email(field.data)
        except EmailNotValidError as error:
            raise ValidationError(str(error)) from error


class CandidateForm(FlaskForm):
    name = StringField(
        "Name", validators=[DataRequired(), Length(max=MAX_NAME_LENGTH)], filters=[_collapse]
    )
    email = EmailField(
        "Email", validators=[DataRequired(), Length(max=254), _real_email], filters=[strip]
    )
    timezone = SelectField(
        "Time zone",
        description="Where the candidate lives; messages and interview times use it.",
    )
    language = SelectField("Language", choices=LANGUAGES, default="en")
    stage = SelectField("Starting stage", coerce=int)

    def __init__(self, *args, stages=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.timezone.choices = [SelectChoice(name, name) for name in time_zone_names()]
        self.stage.choices = [SelectChoice(stage.id, stage.name) for stage in stages]


class ImportForm(FlaskForm):
    """An upload; on the report page also the choice to import only the valid rows.

    ``digest`` and ``expected`` hold what the report showed (the file's SHA-256 and how many
    rows were valid), so "import the valid rows" only acts on the file the user saw reported.
    """

    file = FileField(
        "CSV file",
        validators=[
            FileRequired("Choose a CSV file."),
            FileSize(MAX_UPLOAD_BYTES, message="The file is larger than 10 MB; split it."),
        ],
        description=(
            f"A header row with the columns name and email, optionally stage and time zone; "
            f"up to {MAX_ROWS:,} rows, UTF-8, separated by commas or semicolons."
        ),
    )
    valid_only = BooleanField("Import only the valid rows and skip the rows with problems")
    digest = HiddenField()
    expected = HiddenField()
