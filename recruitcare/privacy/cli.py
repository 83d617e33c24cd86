"""``flask retention``: see, then apply, the data-retention policy."""

import click
from flask import current_app
from flask.cli import AppGroup

from recruitcare.clock import utcnow
from recruitcare.extensions import db
from recruitcare.privacy import services

retention_cli = AppGroup("retention", help="Remove personal data kept past the retention period.")


@retention_cli.command("report")
def report_command() -> None:
    """List who would be anonymised now (changes nothing)."""
    months = current_app.config["RETENTION_MONTHS"]
    expired = services.expired_candidates(now=utcnow(), months=months)
    for person in expired:
        click.echo(
            f"{person.candidate_id}\t{person.name}\t{person.applications} application(s)\t"
            f"closed {person.last_closed_at:%Y-%m-%d}"
        )
    click.echo(
        f"{len(expired)} person(s) past the retention period of {months} months would be "
        "anonymised."
    )


@retention_cli.command("apply")
def apply_command() -> None:
    """Anonymise everyone past the retention period (the sweep does this too)."""
    months = current_app.config["RETENTION_MONTHS"]
    count = services.apply_retention(now=utcnow(), months=months)
    db.session.commit()
    click.echo(f"{count} person(s) anonymised.")
