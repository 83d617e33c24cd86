"""``flask feedback check``: the JSON Lines contract, the readable report, criteria files and
readable failures."""

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FINDING_KEYS = {"rule", "category", "severity", "start", "end", "message", "suggestion"}
LINES = [
    "She is too old for this role.",
    "",
    "He wrote clean, well-tested code.",
    "Off the record, she is pregnant.",
]


def _check(runner, *args, input=None):
    return runner.invoke(args=["feedback", "check", *args], input=input)


def _records(output):
    return [json.loads(line) for line in output.splitlines()]


def _one_error_line(result):
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.output
    return lines[0]


def test_json_gives_one_record_per_input_line_with_offsets_into_the_line(runner, tmp_path):
    source = tmp_path / "feedback.txt"
    source.write_text("\n".join(LINES) + "\n", encoding="utf-8")
    result = _check(runner, str(source), "--json")
    assert result.exit_code == 0, result.output
    for line in result.stdout.splitlines():  # compact: one physical line per record
        assert line == json.dumps(json.loads(line), separators=(",", ":"))
    records = _records(result.stdout)
    assert [r["line"] for r in records] == [1, 2, 3, 4]
    assert all(set(r) == {"line", "findings"} for r in records)
    assert records[1]["findings"] == [] and records[2]["findings"] == []
    for record in records:
        for finding in record["findings"]:
            assert set(finding) == FINDING_KEYS
            assert finding["severity"] in {"block", "warn", "info"}
    flagged = {
        (r["line"], f["category"]): LINES[r["line"] - 1][f["start"] : f["end"]]
        for r in records
        for f in r["findings"]
    }
    assert flagged[(1, "age")] == "too old"
    assert flagged[(4, "pregnancy_maternity")] == "pregnant"
    assert flagged[(4, "admission")] == "Off the record"


def test_standard_input_is_read_with_a_dash_or_no_file(runner):
    text = "\n".join(LINES)  # no newline after the last line
    for args in (["-", "--json"], ["--json"]):
        result = _check(runner, *args, input=text)
        assert result.exit_code == 0, result.output
        assert [r["line"] for r in _records(result.stdout)] == [1, 2, 3, 4]


def test_line_endings_and_a_byte_order_mark_are_not_part_of_the_text(runner, tmp_path):
    source = tmp_path / "windows.txt"
    source.write_bytes("\ufeffShe is too old.\r\nHe is pregnant\u2014no, she is.\r\n".encode())
    records = _records(_check(runner, str(source), "--json").stdout)
    first, second = (r["findings"] for r in records)
    assert [(f["start"], f["end"]) for f in first if f["category"] == "age"] == [(7, 14)]
    text = "He is pregnant\u2014no, she is."
    assert {text[f["start"] : f["end"]] for f in second} == {"pregnant"}


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_a_named_pipe_is_read_once(runner, tmp_path):
    pipe = tmp_path / "feedback.fifo"
    os.mkfifo(pipe)

    def write():
        with pipe.open("w", encoding="utf-8") as fh:
            fh.write("She is too old.\nFine work.\n")

    writer = threading.Thread(target=write)
    writer.start()
    result = _check(runner, str(pipe), "--json")
    writer.join(timeout=10)
    assert result.exit_code == 0, result.output
    assert [r["line"] for r in _records(result.stdout)] == [1, 2]


def test_an_empty_input_prints_nothing(runner):
    result = _check(runner, "--json", input="")
    assert result.exit_code == 0 and result.stdout == ""


def _suggestion(runner, *args, input="She is too old."):
    (record,) = _records(_check(runner, "--json", *args, input=input).stdout)
    (finding,) = record["findings"]
    return finding["suggestion"]


def test_criteria_file_names_the_first_criterion_in_suggestions(runner, tmp_path):
    criteria = tmp_path / "criteria.txt"
    criteria.write_text(
        "# criteria for the platform role\n\nSystem design: designs services that scale\n"
        "Communication\n",
        encoding="utf-8",
    )
    assert "On <criterion>, we observed" in _suggestion(runner)
    with_criteria = _suggestion(runner, "--criteria", str(criteria))
    assert "On System design, we observed" in with_criteria
    assert "# criteria" not in with_criteria


def test_message_checks_run_per_line_only_when_asked(runner, tmp_path):
    criteria = tmp_path / "criteria.txt"
    criteria.write_text("System design: designs services that scale\n", encoding="utf-8")
    line = "Thanks for your time.\n"
    plain = _records(_check(runner, "--json", "--criteria", str(criteria), input=line).stdout)
    assert plain[0]["findings"] == []
    result = _check(runner, "--json", "--message", "--criteria", str(criteria), input=line)
    (record,) = _records(result.stdout)
    assert [f["rule"] for f in record["findings"]] == [
        "message.no-next-step",
        "message.no-criterion",
    ]
    # The description counts too: two of its words tie the line to the criterion.
    scaled = "Your services scale well under load; you are welcome to apply again.\n"
    result = _check(runner, "--json", "--message", "--criteria", str(criteria), input=scaled)
    assert _records(result.stdout)[0]["findings"] == []


def test_report_marks_flagged_spans_and_counts_lines(runner):
    result = _check(runner, input="\n".join(LINES) + "\n")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "line 1: She is [[too old]] for this role." in out
    assert "line 4: [[Off the record]], she is [[pregnant]]." in out
    assert 'BLOCK age.too-young-or-old [age] "too old" 7-14:' in out
    assert "line 3:" not in out  # clean lines are only counted
    assert out.rstrip().endswith("4 lines checked: 2 to rewrite (block), 0 to review (warn).")


@pytest.mark.parametrize(
    ("setup", "args", "message"),
    [
        (None, ["{tmp}/missing.txt"], "does not exist"),
        (None, ["{tmp}"], "is a directory"),
        (("input.txt", b"fine\nbad \xff byte\n"), ["{tmp}/input.txt"], "line 2: not UTF-8"),
        (("c.txt", b"# nothing\n\n"), ["--criteria", "{tmp}/c.txt"], "has no criteria"),
        (("c.txt", b": no name\n"), ["--criteria", "{tmp}/c.txt"], "needs a name"),
        (("c.txt", b"Caf\xe9\n"), ["--criteria", "{tmp}/c.txt"], "line 1: not UTF-8"),
        (None, ["--criteria", "{tmp}/missing.txt"], "criteria file"),
    ],
)
def test_bad_input_fails_with_one_readable_line(runner, tmp_path, setup, args, message):
    if setup:
        name, content = setup
        (tmp_path / name).write_bytes(content)
    args = [a.format(tmp=tmp_path) for a in args]
    result = _check(runner, *args, "--json", input="She is too old.\n")
    assert message in _one_error_line(result)
    assert result.stdout == ""  # a bad file is refused before anything is printed


def test_bad_standard_input_stops_at_the_bad_line(runner):
    result = _check(runner, "--json", input=b"She is too old.\nbad \xff\nnever read\n")
    assert "standard input, line 2: not UTF-8" in _one_error_line(result)
    assert [r["line"] for r in _records(result.stdout)] == [1]


def test_the_installed_command_honours_the_contract(tmp_path):
    env = {
        **os.environ,
        "RECRUITCARE_SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'cli.sqlite'}",
        "RECRUITCARE_SECRET_KEY": "a-secret-key-for-the-subprocess-test-only",
    }
    env.pop("FLASK_APP", None)
    completed = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "recruitcare", "feedback", "check", "-", "--json"],
        input="\n".join(LINES) + "\n",
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=env,
        cwd=ROOT,
        timeout=60,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    assert completed.stderr == ""
    records = _records(completed.stdout)
    assert [r["line"] for r in records] == [1, 2, 3, 4]
    (age,) = (f for f in records[0]["findings"] if f["category"] == "age")
    assert set(age) == FINDING_KEYS and age["severity"] == "block"
    assert LINES[0][age["start"] : age["end"]] == "too old"
