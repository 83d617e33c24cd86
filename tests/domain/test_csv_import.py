"""The candidate CSV parser, as tables: encodings, headers, and every reason a row is refused."""

import pytest

from recruitcare.domain.csv_import import (
    MAX_ROWS,
    CandidateRow,
    RowError,
    find_time_zone,
    parse_candidates,
)

STAGES = ("Application review", "Phone screen", "Onsite")


def fake_check_email(address: str) -> str:
    """Enough of an email check for tables: one @ with something on both sides."""
    local, at, domain = address.partition("@")
    if not (local and at and "." in domain and " " not in address):
        raise ValueError("not an email address")
    return f"{local}@{domain.lower()}"


def parse(text: str | bytes, **kw):
    data = text.encode() if isinstance(text, str) else text
    return parse_candidates(data, stage_names=STAGES, check_email=fake_check_email, **kw)


@pytest.mark.parametrize(
    "data",
    [
        b"name,email\nAna Example,ana@mail.example\n",
        b"\xef\xbb\xbfname,email\nAna Example,ana@mail.example\n",  # BOM
        b"name;email\nAna Example;ana@mail.example\n",  # semicolons
        b"name,email\r\nAna Example,ana@mail.example\r\n",  # Windows line ends
        b"name,email\rAna Example,ana@mail.example\r",  # old Mac line ends
        b"\n\nname,email\n\nAna Example,ana@mail.example\n,\n",  # blank lines are skipped
        b"Name , E-Mail-less,EMAIL\nAna Example,x,ana@mail.example",  # extra columns ignored
        b'"name","email"\n"Ana  \n Example","ana@mail.example"\n',  # quoted, multi-line name
    ],
)
def test_files_that_read_as_one_candidate(data):
    result = parse(data)
    assert result.ok, result
    assert [(row.name, row.email) for row in result.rows] == [("Ana Example", "ana@mail.example")]


@pytest.mark.parametrize(
    "header", ["timezone", "time_zone", "time zone", " Time  Zone ", "TIMEZONE"]
)
def test_time_zone_header_variants(header):
    result = parse(f"name,email,{header}\nAna Example,ana@mail.example,europe/lisbon\n")
    assert result.rows == (
        CandidateRow(2, "Ana Example", "ana@mail.example", None, "Europe/Lisbon"),
    )


def test_a_clean_row_keeps_its_line_stage_and_zone():
    result = parse(
        "email;Name;stage;Time Zone\n"
        "ana@Mail.Example;  Ana   Example ;phone SCREEN;America/Toronto\n"
        "sam@mail.example;Sam Sample;;\n"
    )
    assert result.rows == (
        CandidateRow(2, "Ana Example", "ana@mail.example", "Phone screen", "America/Toronto"),
        CandidateRow(3, "Sam Sample", "sam@mail.example", None, None),
    )
    assert (result.valid_count, result.error_count, result.ok) == (2, 0, True)


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        (",ana@mail.example,,", "missing name"),
        ("   ,ana@mail.example,,", "missing name"),
        ("Ana Example,,,", "missing email"),
        ("Ana Example,x@,,", 'bad email "x@"'),
        ("Ana Example,ana@mail.example,Final round,", 'unknown stage "Final round"'),
        ("Ana Example,ana@mail.example,,Mars/Olympus", 'unknown time zone "Mars/Olympus"'),
        ("Ana Example,ana@mail.example,,../../etc/passwd", 'unknown time zone "../../etc/passwd"'),
        (f"{'A' * 201},ana@mail.example,,", "name longer than 200 characters"),
        (",x@,Nope,", 'missing name; bad email "x@"; unknown stage "Nope"'),
    ],
)
def test_each_reason_names_its_line(row, reason):
    result = parse(f"name,email,stage,timezone\nSam Sample,sam@mail.example,,\n\n{row}\n")
    assert result.errors == (RowError(4, reason),)
    assert [row.line for row in result.rows] == [2]
    assert not result.ok


def test_a_long_value_is_cut_in_the_reason():
    result = parse(f"name,email\nAna Example,{'x' * 500}\n")
    assert len(result.errors[0].reason) < 80


def test_line_numbers_count_physical_lines_of_the_file():
    result = parse('name,email\n"Ana\nExample",ana@mail.example\nSam,x@\n')
    assert result.errors == (RowError(4, 'bad email "x@"'),)


def test_duplicates_in_the_file_name_the_first_line():
    result = parse(
        "name,email\n"
        "Ana Example,ana@mail.example\n"
        "Sam Sample,sam@mail.example\n"
        "Ana Again,ANA@mail.example\n"
        "Ana Thrice,ana@MAIL.example\n"
    )
    assert [row.line for row in result.rows] == [2, 3]
    assert result.errors == (
        RowError(4, "duplicate email, first on line 2"),
        RowError(5, "duplicate email, first on line 2"),
    )


def test_a_duplicate_of_a_bad_row_still_names_the_first_line():
    result = parse("name,email,stage\nAna,ana@mail.example,Nope\nAna,ana@mail.example,\n")
    assert result.errors == (
        RowError(2, 'unknown stage "Nope"'),
        RowError(3, "duplicate email, first on line 2"),
    )


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "The file is empty."),
        (b"  \n\r\n", "The file is empty."),
        (b",,\n,,\n", "The file is empty."),
        (b"\xff\xfen\x00a\x00m\x00e\x00", "not UTF-8"),  # UTF-16
        (b"name,email\nJos\xe9,jose@mail.example\n", "not UTF-8"),  # Latin-1
        (b"name\nAna\n", "email is missing"),
        (b"full name,e-mail\nAna,ana@mail.example\n", "name and email is missing"),
        (b"name,email,Email\nAna,a@mail.example,b@mail.example\n", '"email" twice'),
        (b"name,email\n", "header row but no candidates"),
        (b'name,email\nA,a@mail.example\nAna,"ana@mail.example\nB,b@mail.example\n', "Line 3 "),
        (b'name,email\n"Ana" Example,ana@mail.example\n', "cannot be read as CSV"),
        (b"name,email\nA\x00na,ana@mail.example\n", "NUL characters"),
    ],
)
def test_whole_file_problems_are_one_error(data, message):
    result = parse(data)
    assert message in result.file_error
    assert (result.rows, result.errors, result.ok) == ((), (), False)


def test_the_row_limit_is_one_clear_error():
    rows = "".join(f"P{i},p{i}@mail.example\n" for i in range(MAX_ROWS + 1))
    refused = parse("name,email\n" + rows)
    assert refused.file_error.startswith("The file has more than 50,000 rows")
    assert refused.rows == ()
    accepted = parse("name,email\n" + rows.rsplit("P", 1)[0])
    assert accepted.valid_count == MAX_ROWS


def test_with_errors_moves_rows_into_the_report_in_line_order():
    result = parse("name,email\nA,a@mail.example\nB,x@\nC,c@mail.example\n")
    moved = result.with_errors([RowError(2, "already applied to this requisition")])
    assert [row.line for row in moved.rows] == [4]
    assert [error.line for error in moved.errors] == [2, 3]
    assert result.with_errors([]) is result


@pytest.mark.parametrize(
    ("name", "expected"),
    [("Europe/Paris", "Europe/Paris"), (" europe/paris ", "Europe/Paris"), ("UTC", "UTC")]
    + [("Paris", None), ("", None), ("/etc/localtime", None)],
)
def test_find_time_zone(name, expected):
    assert find_time_zone(name) == expected
