"""The ``flask outbox`` commands: run the worker, show what is waiting, resend what failed."""

import logging
import signal
from datetime import timedelta

import click
from flask import current_app
from flask.cli import AppGroup

from recruitcare.clock import utcnow
from recruitcare.domain.enums import DeliveryStatus
from recruitcare.extensions import db
from recruitcare.models import OutboxMessage
from recruitcare.outbox import services
from recruitcare.outbox.mailer import mail_backend
from recruitcare.outbox.worker import Worker

outbox_cli = AppGroup(
    "outbox", help="Deliver outgoing email, see what is waiting, resend what failed."
)


@outbox_cli.command("run")
@click.option("--once", is_flag=True, help="Deliver everything due now, then exit.")
@click.option(
    "--batch",
    type=click.IntRange(min=1),
    default=None,
    help="Messages per batch, sent over one connection (default: OUTBOX_BATCH_SIZE).",
)
@click.option(
    "--poll",
    type=click.FloatRange(min=0, min_open=True),
    default=None,
    help="Seconds to wait when nothing is due (default: OUTBOX_POLL_SECONDS).",
)
def run_command(once: bool, batch: int | None, poll: float | None) -> None:
    """Deliver due messages until stopped (SIGTERM or Ctrl-C finish the message in hand)."""
    app = current_app._get_current_object()
    logger = logging.getLogger("recruitcare.outbox")
    if logger.level == logging.NOTSET:
        app.logger  # noqa: B018  (creates Flask's stderr handler that these lines reach)
        logger.setLevel(logging.INFO)
    worker = Worker.from_app(app, batch_size=batch)
    click.echo(
        f"Outbox worker {worker.name}: {mail_backend(app.config)} backend, "
        f"batches of {worker.settings.batch_size}."
    )

    def stop(signum, _frame):
        worker.request_stop()

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        report = worker.run(once=once, poll=poll or float(app.config["OUTBOX_POLL_SECONDS"]))
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    ending = "stopped" if worker.stopping else "done"
    click.echo(f"Outbox worker {ending}: {report.summary()}.")


@outbox_cli.command("status")
def status_command() -> None:
    """How many messages stand in each state, and how long the oldest due one has waited."""
    counts = services.status_counts()
    for status in DeliveryStatus:
        click.echo(f"{status.label:<10} {counts[status]:>9,}")
    age = services.oldest_due_age(utcnow())
    if age is None:
        click.echo("Nothing is due.")
    else:
        click.echo(f"Oldest due message has waited {describe(age)}.")


@outbox_cli.command("resend")
@click.argument("message_id", type=int)
@click.option("--to", "address", metavar="ADDRESS", help="Send it to this address instead.")
def resend_command(message_id: int, address: str | None) -> None:
    """Send a failed message again from now, to a corrected address if one is given.

    Only the message changes: the candidate's stored address is corrected on the Not
    delivered page.
    """
    message = db.session.get(OutboxMessage, message_id)
    if message is None:
        raise click.ClickException(f"there is no message {message_id}.")
    before = message.message_id
    try:
        services.resend(message, recipient=address, now=utcnow())
    except (services.OutboxError, services.HeaderError) as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from None
    db.session.commit()
    fresh = " with a new Message-ID" if message.message_id != before else ""
    click.echo(f"Message {message.id} to {message.recipient} is scheduled again{fresh}.")


def describe(age: timedelta) -> str:
    seconds = int(age.total_seconds())
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds} s"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes} min"
    return f"{hours // 24} days {hours % 24} h"
