"""``flask feedback check``: the language checker on a file of sentences, one per line.

Each input line is checked on its own and reported on its own, so the output can be joined
back to the input by line number. Input is read and checked one line at a time: memory stays
flat however long the file is.
"""

from __future__ import annotations

import json
import os
import stat
import sys
from collections.abc import Iterable, Iterator
from typing import BinaryIO

import click
from flask.cli import AppGroup

from recruitcare.domain.language import (
    Criterion,
    Severity,
    check,
    findings_to_json_line,
    format_report,
    worst_severity,
)
from recruitcare.domain.words import plural

feedback_cli = AppGroup("feedback", help="Candidate feedback tools.")


@feedback_cli.command("check")
@click.argument("source", default="-", required=False, metavar="[FILE|-]")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object per input line.")
@click.option(
    "--criteria",
    "criteria_path",
    metavar="FILE",
    help="Job criteria, one per line: 'Name' or 'Name: description'; # starts a comment.",
)
@click.option(
    "--message",
    "message_checks",
    is_flag=True,
    help="Treat each line as a whole message: also check for a next step and a criterion.",
)
def check_command(
    source: str, as_json: bool, criteria_path: str | None, message_checks: bool
) -> None:
    """Check candidate feedback in FILE (or standard input, given as - or left out).

    Every line is one text. With --json each input line gives one line of JSON,
    {"line": N, "findings": [...]}, N counting from 1, including lines without findings;
    start and end are character offsets into the line without its line ending. Otherwise a
    report marks each flagged span as [[...]] and says why and what to write instead.

    Whole-message checks (a next step, a reference to a criterion) are off unless --message
    is given, because a line is usually one sentence of a longer message.
    """
    criteria = read_criteria(criteria_path) if criteria_path else []
    counts = {"lines": 0, "block": 0, "warn": 0}
    for number, text in read_lines(source):
        findings = check(text, criteria, message_checks=message_checks)
        if as_json:
            # ASCII-only JSON: no line separator inside a record can split it in two.
            click.echo(json.dumps(findings_to_json_line(number, findings), separators=(",", ":")))
            continue
        counts["lines"] += 1
        worst = worst_severity(findings)
        if worst is Severity.BLOCK:
            counts["block"] += 1
        elif worst is Severity.WARN:
            counts["warn"] += 1
        if findings:
            click.echo(f"line {number}: {format_report(text, findings)}\n")
    if not as_json:
        click.echo(
            f"{plural(counts['lines'], 'line')} checked: {counts['block']} to rewrite "
            f"(block), {counts['warn']} to review (warn)."
        )


def read_lines(source: str) -> Iterator[tuple[int, str]]:
    """(line number, text) for each line of ``source``, a path or ``-`` for standard input.

    A regular file is read twice: once to refuse it whole if it is not UTF-8, before anything
    is printed, then to check it. Standard input, a pipe or a device can only be read once, so
    a bad line there stops the command at that line.
    """
    if source == "-":
        yield from _decoded(sys.stdin.buffer, "standard input")
        return
    with _open(source, "input file") as fh:
        if stat.S_ISREG(os.fstat(fh.fileno()).st_mode):
            for _ in _decoded(fh, source):
                pass
            fh.seek(0)
        yield from _decoded(fh, source)


def read_criteria(path: str) -> list[Criterion]:
    """The job criteria in ``path``: one per line, ``Name`` or ``Name: description``."""
    criteria: list[Criterion] = []
    with _open(path, "criteria file") as fh:
        for number, line in _decoded(fh, path):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            name, _, description = line.partition(":")
            if not name.strip():
                raise click.ClickException(
                    f"{path}, line {number}: a criterion needs a name before the colon."
                )
            criteria.append(Criterion(name.strip(), description.strip()))
    if not criteria:
        raise click.ClickException(
            f"{path} has no criteria: write one per line, 'Name' or 'Name: description'."
        )
    return criteria


def _open(path: str, what: str) -> BinaryIO:
    try:
        return open(path, "rb")
    except FileNotFoundError:
        raise click.ClickException(f"{what} {path} does not exist.") from None
    except IsADirectoryError:
        raise click.ClickException(f"{what} {path} is a directory, not a file.") from None
    except OSError as error:
        raise click.ClickException(
            f"cannot read {what} {path}: {error.strerror or error}."
        ) from None


def _decoded(raw_lines: Iterable[bytes], name: str) -> Iterator[tuple[int, str]]:
    """Numbered UTF-8 lines without their line endings; a byte-order mark is dropped."""
    number = 0
    try:
        for number, raw in enumerate(raw_lines, start=1):
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as error:
                raise click.ClickException(
                    f"{name}, line {number}: not UTF-8 text (byte {error.start + 1} of the "
                    "line). Save the file as UTF-8 and try again."
                ) from None
            if number == 1 and text.startswith("\ufeff"):
                text = text[1:]
            yield number, text.rstrip("\n").removesuffix("\r")
    except OSError as error:
        raise click.ClickException(
            f"cannot read {name} after line {number}: {error.strerror or error}."
        ) from None
