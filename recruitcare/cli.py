"""The ``flask`` commands; each is a thin wrapper over a service and commits once."""

import sys

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from recruitcare.auth import services as accounts
from recruitcare.clock import utcnow
from recruitcare.domain.enums import Role
from recruitcare.extensions import db
from recruitcare.policies import promise_policy

users_cli = AppGroup("users", help="Manage people who sign in.")
demo_cli = AppGroup("demo", help="Demo data for trying RecruitCare out.")
reasons_cli = AppGroup("reasons", help="The rejection and withdrawal reason taxonomy.")


def register(app: Flask) -> None:
    from recruitcare.candidates.cli import candidates_cli
    from recruitcare.deploycheck import check_deploy_command
    from recruitcare.feedback.cli import feedback_cli
    from recruitcare.outbox.cli import outbox_cli
    from recruitcare.privacy.cli import retention_cli
    from recruitcare.sweep.cli import sweep_command

    for group in (users_cli, demo_cli, reasons_cli):
        app.cli.add_command(group)
    app.cli.add_command(candidates_cli)
    app.cli.add_command(feedback_cli)
    app.cli.add_command(outbox_cli)
    app.cli.add_command(sweep_command)
    app.cli.add_command(retention_cli)
    app.cli.add_command(check_deploy_command)


def fail(message: str) -> None:
    """Exit non-zero with one readable line."""
    raise click.ClickException(message)


@users_cli.command("create")
@click.argument("email")
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@click.option("--name", default=None, help="Full name (defaults to the part before @).")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def create_user_command(email: str, role: str, name: str | None, password_stdin: bool) -> None:
    """Create an account that can sign in."""
    from email_validator import EmailNotValidError, validate_email

    try:
        email = validate_email(email, check_deliverability=False).normalized
    except EmailNotValidError as error:
        fail(f"{email!r} is not a valid email address: {error}")
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    low, high = current_app.config["PASSWORD_MIN_LENGTH"], current_app.config["PASSWORD_MAX_LENGTH"]
    if not low <= len(password) <= high:
        fail(f"the password must have between {low} and {high} characters.")
    try:
        user = accounts.create_user(
            email, name or email.split("@")[0], Role(role), password=password, now=utcnow()
        )
    except accounts.AccountError as error:
        fail(str(error))
    db.session.commit()
    click.echo(f"Created {user.role.label.lower()} {user.email}.")


@demo_cli.command("seed")
def seed_demo_command() -> None:
    """Create the demo organisation, only when the database has no users yet."""
    from recruitcare.demo import ACCOUNTS, DEMO_PASSWORD, existing_demo_accounts, seed_demo

    created = seed_demo(now=utcnow(), policy=promise_policy(current_app.config))
    if created is None:
        click.echo("The database already has data; demo seed left it as it is.")
        shown = existing_demo_accounts()
    else:
        db.session.commit()
        click.echo("Demo data created.")
        shown = list(ACCOUNTS)
    if shown:
        click.echo("Sign in at http://127.0.0.1:5000 with any of:")
    for account in shown:
        click.echo(f"  {account.role.label:<15} {account.email:<28} password: {DEMO_PASSWORD}")


@reasons_cli.command("seed")
def seed_reasons_command() -> None:
    """Add any missing default reasons (safe to run again)."""
    from recruitcare.pipeline.services import seed_default_reasons

    added = seed_default_reasons()
    db.session.commit()
    click.echo(f"Added {added} default reasons.")
