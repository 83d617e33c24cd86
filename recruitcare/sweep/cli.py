"""``flask sweep``: run every few minutes from cron or a systemd timer; safe to run twice."""

from datetime import UTC, datetime

import click
from flask import current_app
from flask.cli import with_appcontext

from recruitcare.clock import utcnow
from recruitcare.extensions import db
from recruitcare.sweep.services import STEPS, SweepSettings, lock_step


def parse_now(value: str | None) -> datetime:
    """``--now`` as an aware UTC moment; a time without a zone is taken as UTC."""
    if not value:
        return utcnow()
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not an ISO 8601 date and time.") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


@click.command("sweep")
@click.option("--now", "now_text", help="Sweep as of this ISO 8601 moment (default: now; UTC).")
@click.option("--dry-run", is_flag=True, help="Say what would be done; change and send nothing.")
@with_appcontext
def sweep_command(now_text: str | None, dry_run: bool) -> None:
    """Remind, escalate and send interim updates so no candidate is left waiting.

    Prints one line per step. A step that fails is rolled back and reported, the others still
    run, and the command then exits 1.
    """
    now = parse_now(now_text)
    settings = SweepSettings.from_config(current_app.config)
    failed = False
    for step in STEPS:
        if not lock_step(step.__name__):
            click.echo(f"{step.__name__}: skipped, another sweep is running it")
            continue
        try:
            result = step(now, settings)
        except Exception as error:  # one failing step must not stop the others
            db.session.rollback()
            current_app.logger.exception("sweep step %s failed", step.__name__)
            click.echo(f"{step.__name__}: failed, rolled back ({error})", err=True)
            failed = True
            continue
        if not dry_run:
            db.session.commit()
        click.echo(result.line())
    if dry_run:
        db.session.rollback()
        click.echo("Dry run: nothing was changed or sent.")
    if failed:
        raise SystemExit(1)
