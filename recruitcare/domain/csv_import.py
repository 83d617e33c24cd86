"""Reading a candidate CSV: every row checked and every problem named by line, before any import."""

import csv
import io
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, replace
from functools import cache
from zoneinfo import available_timezones

MAX_ROWS = 50_000
MAX_NAME_LENGTH = 200
# Values echoed in a reason are cut to this length so one odd cell cannot swamp the report.
MAX_ECHO = 60

HEADER_ALIASES = {
    "name": "name",
    "email": "email",
    "stage": "stage",
    "timezone": "timezone",
    "time_zone": "timezone",
    "time zone": "timezone",
}
REQUIRED_COLUMNS = ("name", "email")


@dataclass(frozen=True, slots=True)
class CandidateRow:
    """A valid row: a cleaned name, a normalised lower-case email, canonical stage and zone."""

    line: int
    name: str
    email: str
    stage: str | None = None
    timezone: str | None = None


@dataclass(frozen=True, slots=True)
class RowError:
    line: int
    reason: str


@dataclass(frozen=True)
class CsvImport:
    """What a file holds. ``file_error`` set means the file as a whole was refused."""

    rows: tuple[CandidateRow, ...] = ()
    errors: tuple[RowError, ...] = ()
    file_error: str | None = None

    @property
    def valid_count(self) -> int:
        return len(self.rows)

    @property
    def error_count(self) -> int:
        return len(self.errors)

    @property
    def ok(self) -> bool:
        """True only when every row can be imported as it is."""
        return self.file_error is None and not self.errors

    def with_errors(self, more: Iterable[RowError]) -> "CsvImport":
        """Move the rows named by ``more`` from the valid rows into the errors, in line order."""
        more = list(more)
        if not more:
            return self
        bad = {error.line for error in more}
        return replace(
            self,
            rows=tuple(row for row in self.rows if row.line not in bad),
            errors=tuple(sorted((*self.errors, *more), key=lambda error: error.line)),
        )


@cache
def _zones_by_folded_name() -> dict[str, str]:
    return {name.casefold(): name for name in available_timezones()}


def time_zone_names() -> list[str]:
    """Every IANA time zone name this system knows, sorted."""
    return sorted(_zones_by_folded_name().values())


def find_time_zone(name: str) -> str | None:
    """The canonical IANA name for ``name`` in any letter case, or None when it is unknown."""
    return _zones_by_folded_name().get(name.strip().casefold())


def _echo(value: str) -> str:
    return value if len(value) <= MAX_ECHO else value[: MAX_ECHO - 1] + "…"


def _delimiter(header_line: str) -> str:
    return ";" if header_line.count(";") > header_line.count(",") else ","


def _columns(header: list[str]) -> dict[str, int] | str:
    """Column positions by canonical name, or the reason the header is refused."""
    positions: dict[str, int] = {}
    for index, cell in enumerate(header):
        name = HEADER_ALIASES.get(" ".join(cell.split()).casefold())
        if name is None:
            continue
        if name in positions:
            return f'The header row has the column "{name}" twice.'
        positions[name] = index
    missing = [name for name in REQUIRED_COLUMNS if name not in positions]
    if missing:
        found = ", ".join(cell.strip() for cell in header if cell.strip()) or "nothing"
        return (
            f"The header row must name the columns {' and '.join(REQUIRED_COLUMNS)}; "
            f"{' and '.join(missing)} is missing (found: {_echo(found)})."
        )
    return positions


def parse_candidates(
    data: bytes,
    *,
    stage_names: Collection[str],
    check_email: Callable[[str], str],
    max_rows: int = MAX_ROWS,
) -> CsvImport:
    """Check a whole candidate file.

    ``check_email`` returns the normalised address or raises ``ValueError``; the caller passes
    it in so this module stays free of third-party code. Stage names match in any letter case
    and come back as the requisition spells them. A repeated email is an error on the second
    and later lines, naming the first, even when the first line has other problems.
    """
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return CsvImport(file_error='The file is not UTF-8 text; save it as "CSV UTF-8".')
    if not text.strip():
        return CsvImport(file_error="The file is empty.")
    if "\x00" in text:
        return CsvImport(file_error="The file contains NUL characters; export it as CSV text.")

    header_line = next(line for line in text.splitlines() if line.strip())
    stages = {name.casefold(): name for name in reversed(list(stage_names))}
    reader = csv.reader(
        io.StringIO(text, newline=""), delimiter=_delimiter(header_line), strict=True
    )
    rows: list[CandidateRow] = []
    errors: list[RowError] = []
    first_line_of: dict[str, int] = {}
    columns: dict[str, int] | None = None
    count = 0
    last_line = 0
    try:
        for record in reader:
            line, last_line = last_line + 1, reader.line_num
            if not any(cell.strip() for cell in record):
                continue
            if columns is None:
                found = _columns(record)
                if isinstance(found, str):
                    return CsvImport(file_error=found)
                columns = found
                continue
            count += 1
            if count > max_rows:
                return CsvImport(
                    file_error=f"The file has more than {max_rows:,} rows; split it into "
                    "smaller files and import them one by one."
                )
            values = {
                name: record[index].strip() if index < len(record) else ""
                for name, index in columns.items()
            }
            row, problems = _check_row(line, values, stages, check_email)
            if row.email:
                first = first_line_of.setdefault(row.email, line)
                if first != line:
                    problems.append(f"duplicate email, first on line {first}")
            if problems:
                errors.append(RowError(line, "; ".join(problems)))
            else:
                rows.append(row)
    except csv.Error as error:
        return CsvImport(
            file_error=f"Line {last_line + 1} cannot be read as CSV ({error}); check its quotes."
        )
    if columns is None:
        return CsvImport(file_error="The file is empty.")
    if count == 0:
        return CsvImport(file_error="The file has a header row but no candidates.")
    return CsvImport(rows=tuple(rows), errors=tuple(errors))


def _check_row(
    line: int,
    values: dict[str, str],
    stages: dict[str, str],
    check_email: Callable[[str], str],
) -> tuple[CandidateRow, list[str]]:
    """The cleaned row and its problems; the row is only kept when there are none."""
    problems = []
    name = " ".join(values["name"].split())
    if not name:
        problems.append("missing name")
    elif len(name) > MAX_NAME_LENGTH:
        problems.append(f"name longer than {MAX_NAME_LENGTH} characters")
    raw_email, email = values["email"], ""
    if not raw_email:
        problems.append("missing email")
    else:
        try:
            email = check_email(raw_email).lower()
        except ValueError:
            problems.append(f'bad email "{_echo(raw_email)}"')
    raw_stage, stage = values.get("stage", ""), None
    if raw_stage:
        stage = stages.get(raw_stage.casefold())
        if stage is None:
            problems.append(f'unknown stage "{_echo(raw_stage)}"')
    raw_zone, zone = values.get("timezone", ""), None
    if raw_zone:
        zone = find_time_zone(raw_zone)
        if zone is None:
            problems.append(f'unknown time zone "{_echo(raw_zone)}"')
    return CandidateRow(line, name, email, stage, zone), problems
