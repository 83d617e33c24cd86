"""Importing candidates from CSV, on the web and from the command line: all or, when asked, the
valid rows only; the same email is the same person; nothing written on a dry run."""

import re

import pytest
from sqlalchemy import event, func, select

from recruitcare.candidates import services
from recruitcare.candidates.forms import MAX_UPLOAD_BYTES
from recruitcare.domain.csv_import import CandidateRow
from recruitcare.extensions import db
from recruitcare.models import Application, AuditEvent, Candidate, Requisition
from recruitcare.pipeline.services import PipelineError
from recruitcare.policies import promise_policy
from tests.factories import NOW, login, make_application, make_candidate, make_requisition
from tests.factories_candidates import candidate_csv, make_team

BROKEN_ROWS = "Ana Example,x@\n,nobody@mail.example\nSam Sample,person1@mail.example\n"


@pytest.fixture
def team(app):
    with app.app_context():
        requisition, *_ = make_team()
        db.session.commit()
        return requisition.id


@pytest.fixture
def owner(client, team):
    login(client, "owner@example.com")
    return client


def _url(requisition_id: int) -> str:
    return f"/requisitions/{requisition_id}/candidates/import"


def _upload(client, requisition_id: int, data: bytes, name="people.csv", **fields):
    """Post the form as one in-memory body: the test client's own encoder leaves large uploads
    in a temporary file it never closes."""
    boundary = "candidate-file-boundary"
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n{value}\r\n'.encode()
        for key, value in fields.items()
    ]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
        f"Content-Type: text/csv\r\n\r\n".encode()
        + data
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return client.post(
        _url(requisition_id),
        data=b"".join(parts),
        content_type=f"multipart/form-data; boundary={boundary}",
    )


def _count(app, model, **filters) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).filter_by(**filters))


def _hidden(page: str, name: str) -> str:
    return re.search(rf'name="{name}" type="hidden" value="([^"]*)"', page).group(1)


def test_the_upload_page_explains_the_file(owner, team):
    page = owner.get(_url(team)).get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in page
    assert '<label for="file">CSV file</label>' in page
    assert "Application review" in page


def test_a_clean_file_of_200_rows_imports_200_applications(app, owner, team):
    response = _upload(owner, team, candidate_csv(200))
    assert response.status_code == 302
    assert _count(app, Application, requisition_id=team) == 200
    assert _count(app, Candidate) == 200
    with app.app_context():
        events = db.session.scalars(select(AuditEvent).filter_by(action="candidates.imported"))
        assert [(e.object_id, e.payload) for e in events] == [(team, {"count": 200})]
        assert _count(app, AuditEvent, action="application.created") == 0
        requisition = db.session.get(Requisition, team)
        application = db.session.scalar(select(Application).limit(1))
        assert application.stage is requisition.stages[0]
        assert application.candidate.timezone == app.config["ORG_TIMEZONE"]
        assert application.candidate.language == "en"
        policy = promise_policy(app.config)
        due = policy.due_at(application.created_at, requisition.stages[0].promise_days)
        assert application.decision_due_at == due
    assert "Imported 200 candidates into Backend Engineer." in owner.get("/").get_data(as_text=True)


def test_a_broken_file_shows_the_report_and_imports_nothing(app, owner, team):
    response = _upload(owner, team, candidate_csv(3, extra=BROKEN_ROWS))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Nothing was imported yet" in page
    rows = re.findall(r'<th scope="row" class="num">(\d+)</th><td>([^<]*)</td>', page)
    assert rows == [
        ("5", "bad email &#34;x@&#34;"),
        ("6", "missing name"),
        ("7", "duplicate email, first on line 3"),
    ]
    assert '<th scope="col" class="num">Line</th>' in page
    assert re.search(r"3</span> valid rows", page) and re.search(r"3</span> rows with", page)
    assert "Import the 3 valid rows" in page
    assert _count(app, Application) == 0 and _count(app, Candidate) == 0


def test_import_the_valid_rows_imports_only_those(app, owner, team):
    data = candidate_csv(3, extra=BROKEN_ROWS)
    page = _upload(owner, team, data).get_data(as_text=True)
    assert '<input checked id="valid_only" name="valid_only" type="checkbox"' in page
    confirm = {"valid_only": "y", "digest": _hidden(page, "digest")}
    confirm["expected"] = _hidden(page, "expected")
    response = _upload(owner, team, data, **confirm)
    assert response.status_code == 302
    with app.app_context():
        emails = db.session.scalars(select(Candidate.email).order_by(Candidate.email)).all()
    assert emails == [f"person{i}@mail.example" for i in range(3)]
    assert "3 rows with problems skipped" in owner.get("/").get_data(as_text=True)


@pytest.mark.parametrize(
    "confirm",
    [
        {"valid_only": "y", "digest": "", "expected": ""},  # never saw a report
        {"valid_only": "y", "digest": "0" * 64, "expected": "3"},  # a report of another file
        {"valid_only": "", "digest": None, "expected": None},  # box unticked
        {"valid_only": "y", "digest": None, "expected": "2"},  # counts changed since the report
    ],
)
def test_valid_rows_are_only_imported_from_the_reported_file(app, owner, team, confirm):
    data = candidate_csv(3, extra=BROKEN_ROWS)
    page = _upload(owner, team, data).get_data(as_text=True)
    fields = {
        "digest": _hidden(page, "digest"),
        "expected": _hidden(page, "expected"),
        **{k: v for k, v in confirm.items() if v is not None},
    }
    response = _upload(owner, team, data, **{k: v for k, v in fields.items() if v})
    assert response.status_code == 200
    assert "Nothing was imported yet" in response.get_data(as_text=True)
    assert _count(app, Application) == 0


def test_a_long_report_shows_the_first_thousand_problems(app, owner, team):
    page = _upload(owner, team, candidate_csv(5, extra="Ana,x@\n" * 1200)).get_data(as_text=True)
    assert "Showing the first 1,000 of 1,200." in page
    assert page.count('<th scope="row"') == 1000
    assert "Import the 5 valid rows" in page


def test_a_file_with_no_valid_rows_offers_no_import(app, owner, team):
    page = _upload(owner, team, b"name,email\nAna,x@\n").get_data(as_text=True)
    assert "No row can be imported" in page
    assert "valid_only" not in page


def test_the_same_email_is_the_same_person(app, owner, team):
    with app.app_context():
        elsewhere = make_requisition(title="Data Analyst")
        make_application(
            elsewhere, make_candidate(name="Known Person", email="person1@mail.example")
        )
        db.session.commit()
    assert _upload(owner, team, candidate_csv(3)).status_code == 302
    assert _count(app, Candidate) == 3
    assert _count(app, Application, requisition_id=team) == 3
    with app.app_context():
        known = db.session.scalar(select(Candidate).filter_by(email="person1@mail.example"))
        assert known.name == "Known Person" and len(known.applications) == 2


def test_people_who_already_applied_are_reported(app, owner, team):
    with app.app_context():
        requisition = db.session.get(Requisition, team)
        make_application(requisition, make_candidate(email="person2@mail.example"))
        db.session.commit()
    page = _upload(owner, team, candidate_csv(3)).get_data(as_text=True)
    assert "already applied to this requisition" in page
    assert '<th scope="row" class="num">4</th>' in page
    assert _count(app, Application) == 1


def test_stages_and_zones_from_the_file_are_used(app, owner, team):
    data = (
        "Name;E-mail ignored;Email;Stage;Time Zone\n"
        "Ana Example;;ana@mail.example;recruiter SCREEN;asia/tokyo\n"
    ).encode("utf-8-sig")
    assert _upload(owner, team, data).status_code == 302
    with app.app_context():
        application = db.session.scalar(select(Application))
        assert application.stage.name == "Recruiter screen"
        assert application.candidate.timezone == "Asia/Tokyo"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "Choose a CSV file."),
        ("name,email\nJosé,jose@mail.example\n".encode("latin-1"), "not UTF-8"),
        (b"name,mail\nAna,ana@mail.example\n", "email is missing"),
        (b"name,email\n\n", "header row but no candidates"),
        (b"x" * (MAX_UPLOAD_BYTES + 1), "larger than 10 MB"),
    ],
)
def test_whole_file_problems_show_on_the_upload_form(app, owner, team, data, message):
    response = _upload(owner, team, data) if data else owner.post(_url(team), data={})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'id="file-error"' in page and message in page
    assert _count(app, Application) == 0


@pytest.mark.parametrize(
    ("email", "status"),
    [("manager@example.com", 403), ("outsider@example.com", 404)],
)
def test_who_may_import(app, client, team, email, status):
    login(client, email)
    assert client.get(_url(team)).status_code == status
    assert _upload(client, team, candidate_csv(2)).status_code == status
    assert _count(app, Application) == 0


def test_existing_people_are_found_with_one_query_per_batch(app):
    with app.app_context():
        requisition = make_requisition()
        for i in range(0, 1200, 7):
            make_candidate(email=f"person{i}@mail.example")
        checked = services.check_candidate_file(requisition, candidate_csv(1200))
        statements = []

        def record(conn, cursor, statement, *args):
            statements.append(statement)

        event.listen(db.engine, "before_cursor_execute", record)
        imported = services.import_candidates(
            requisition, checked.rows, actor=None, now=NOW, policy=promise_policy(app.config)
        )
        event.remove(db.engine, "before_cursor_execute", record)
        assert imported == services.Imported(applications=1200, new_candidates=1200 - 172)
        selects = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
        assert len(selects) <= 9  # candidates and prior applications, per batch of 500
        assert len(statements) < 40


# The command line


@pytest.fixture
def csv_file(tmp_path):
    def write(data: bytes):
        path = tmp_path / "people.csv"
        path.write_bytes(data)
        return str(path)

    return write


def _import(runner, path, requisition_id, *flags):
    return runner.invoke(
        args=["candidates", "import", path, "--requisition", str(requisition_id), *flags]
    )


def test_cli_imports_with_a_progress_bar(app, runner, team, csv_file):
    result = _import(runner, csv_file(candidate_csv(200)), team)
    assert result.exit_code == 0, result.output
    assert "Importing candidates" in result.output
    assert "Imported 200 candidates into “Backend Engineer” (200 new people)." in result.output
    assert _count(app, Application, requisition_id=team) == 200
    with app.app_context():
        event_ = db.session.scalar(select(AuditEvent).filter_by(action="candidates.imported"))
        assert event_.actor_id is None and event_.payload == {"count": 200}


def test_cli_with_errors_prints_every_bad_row_and_writes_nothing(app, runner, team, csv_file):
    result = _import(runner, csv_file(candidate_csv(3, extra=BROKEN_ROWS)), team)
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[:3] == [
        'line 5: bad email "x@"',
        "line 6: missing name",
        "line 7: duplicate email, first on line 3",
    ]
    assert lines[3].startswith("Error: 3 valid rows, 3 with problems; nothing was imported.")
    assert len(lines) == 4
    assert _count(app, Application) == 0 and _count(app, Candidate) == 0


def test_cli_valid_only_imports_the_valid_rows(app, runner, team, csv_file):
    result = _import(runner, csv_file(candidate_csv(3, extra=BROKEN_ROWS)), team, "--valid-only")
    assert result.exit_code == 0, result.output
    assert "skipped 3 rows with problems" in result.output
    assert _count(app, Application) == 3


@pytest.mark.parametrize("flags", [(), ("--valid-only",)])
def test_cli_dry_run_writes_nothing(app, runner, team, csv_file, flags):
    extra = BROKEN_ROWS if flags else ""
    result = _import(runner, csv_file(candidate_csv(50, extra=extra)), team, "--dry-run", *flags)
    assert result.exit_code == 0, result.output
    assert "Dry run:" in result.output and "nothing was written" in result.output
    assert "Importing" not in result.output
    assert _count(app, Application) == 0 and _count(app, Candidate) == 0
    assert _count(app, AuditEvent, action="candidates.imported") == 0


def test_cli_dry_run_with_errors_still_fails(app, runner, team, csv_file):
    result = _import(runner, csv_file(candidate_csv(3, extra=BROKEN_ROWS)), team, "--dry-run")
    assert result.exit_code == 1


@pytest.mark.parametrize(
    ("data", "requisition_id", "message"),
    [
        (candidate_csv(2), 999999, "there is no requisition with id 999999."),
        (b"", None, "The file is empty."),
        (b"\xff\xfe\x00", None, "not UTF-8"),
    ],
)
def test_cli_refusals_are_one_line(app, runner, team, csv_file, data, requisition_id, message):
    result = _import(runner, csv_file(data), requisition_id or team)
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and message in lines[0]


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([CandidateRow(2, "Ana", "a@mail.example", "Nope")], 'Line 2: there is no stage "Nope"'),
        (
            [CandidateRow(2, "Ana", "a@mail.example"), CandidateRow(3, "Ana", "A@mail.example")],
            "more than one row",
        ),
        ([CandidateRow(2, "Known", "known@mail.example")], "known@mail.example has already"),
    ],
)
def test_import_refuses_rows_the_check_would_have_reported(app, rows, message):
    with app.app_context():
        requisition = make_requisition()
        make_application(requisition, make_candidate(email="known@mail.example"))
        with pytest.raises(PipelineError, match=message):
            services.import_candidates(
                requisition, rows, actor=None, now=NOW, policy=promise_policy(app.config)
            )
