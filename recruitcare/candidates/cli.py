"""``flask candidates import``: the CSV import for files too large or too routine for a browser."""

import click
from flask import current_app
from flask.cli import AppGroup

from recruitcare.candidates import services
from recruitcare.clock import utcnow
from recruitcare.extensions import db
from recruitcare.models import Requisition
from recruitcare.pipeline.services import PipelineError
from recruitcare.policies import promise_policy

candidates_cli = AppGroup("candidates", help="Add candidates to requisitions.")


@candidates_cli.command("import")
@click.argument("file", type=click.File("rb"))
@click.option("--requisition", "requisition_id", type=int, required=True, help="Requisition id.")
@click.option("--dry-run", is_flag=True, help="Check the file and write nothing.")
@click.option("--valid-only", is_flag=True, help="Import the valid rows and skip the others.")
def import_command(file, requisition_id: int, dry_run: bool, valid_only: bool) -> None:
    """Import candidates from a CSV FILE (columns name, email, optional stage and time zone).

    Every row with a problem is printed. Unless --valid-only is given, a file with any
    problem imports nothing and exits non-zero.
    """
    requisition = db.session.get(Requisition, requisition_id)
    if requisition is None:
        raise click.ClickException(f"there is no requisition with id {requisition_id}.")
    checked = services.check_candidate_file(requisition, file.read())
    if checked.file_error:
        raise click.ClickException(checked.file_error)
    for error in checked.errors:
        click.echo(f"line {error.line}: {error.reason}")
    counts = f"{checked.valid_count:,} valid rows, {checked.error_count:,} with problems"
    if checked.errors and not valid_only:
        raise click.ClickException(
            f"{counts}; nothing was imported. Fix the file, or pass --valid-only to skip them."
        )
    if dry_run:
        click.echo(f"Dry run: {counts}; nothing was written.")
        return
    with click.progressbar(length=checked.valid_count, label="Importing candidates") as bar:
        try:
            imported = services.import_candidates(
                requisition,
                checked.rows,
                actor=None,
                now=utcnow(),
                policy=promise_policy(current_app.config),
                progress=bar.update,
            )
        except PipelineError as error:
            db.session.rollback()
            raise click.ClickException(str(error)) from error
    db.session.commit()
    skipped = f", skipped {checked.error_count:,} rows with problems" if checked.errors else ""
    click.echo(
        f"Imported {imported.applications:,} candidates into “{requisition.title}” "
        f"({imported.new_candidates:,} new people){skipped}."
    )
