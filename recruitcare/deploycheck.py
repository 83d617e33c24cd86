"""``flask check-deploy``: refuse to call a configuration production-ready when it is not."""

import click
from flask import current_app
from flask.cli import with_appcontext

from recruitcare.domain.deploy import deploy_problems
from recruitcare.outbox.mailer import mail_backend


@click.command("check-deploy")
@with_appcontext
def check_deploy_command() -> None:
    """Check the loaded configuration for production; exit 1 with every problem found."""
    settings = dict(current_app.config)
    settings["MAIL_BACKEND"] = mail_backend(current_app.config)
    problems = deploy_problems(settings)
    if problems:
        for problem in problems:
            click.echo(f"✗ {problem}")
        raise click.ClickException(
            f"{len(problems)} problem{'s' if len(problems) != 1 else ''}: this configuration "
            "is not safe for production."
        )
    click.echo("✓ The configuration is ready for production.")
