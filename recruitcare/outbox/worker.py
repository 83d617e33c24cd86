"""The outbox worker: claim due messages, send them over one connection, record each result.

Claiming is a short transaction of its own (on PostgreSQL ``FOR UPDATE SKIP LOCKED``, so
workers never share a message); every result is then committed on its own, before the next
message is sent, so a worker that dies loses at most the message in hand, which the next
worker resends with the same Message-ID once the claim's lease has run out. A batch's
transactions share one database connection held for the batch (checking one out of the pool
per message would cost three round trips more), their statements go straight to the driver,
and the email is written by ``build_payload``, so a message costs little more than its SMTP
and database round trips.
"""

import logging
import os
import secrets
import socket
import threading
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from sqlalchemy import Connection, bindparam, case, insert, or_, select, update

from recruitcare.clock import utcnow
from recruitcare.dbutil import DriverStatement
from recruitcare.domain.enums import DeliveryStatus
from recruitcare.domain.outbox import (
    Classification,
    RetryPolicy,
    Verdict,
    after_attempt,
    classify,
)
from recruitcare.extensions import db
from recruitcare.models import Application, Candidate, CandidateLink, OutboxMessage
from recruitcare.models.outbox import pending_as_written
from recruitcare.outbox.mailer import (
    FileMailer,
    MailerUnavailable,
    SendResult,
    SmtpMailer,
    build_payload,
    default_sender,
    mailer_from_config,
)
from recruitcare.pipeline.services import finish_closing
from recruitcare.portal.links import materialize

log = logging.getLogger("recruitcare.outbox")

ANONYMISED = "the candidate's data was removed"


@dataclass(frozen=True)
class WorkerSettings:
    sender_name: str
    sender_address: str
    batch_size: int = 50
    lease: timedelta = timedelta(minutes=10)
    retry: RetryPolicy = field(default_factory=RetryPolicy)

    @classmethod
    def from_config(cls, config: Mapping) -> "WorkerSettings":
        name, address = default_sender(config)
        return cls(
            sender_name=name,
            sender_address=address,
            batch_size=int(config["OUTBOX_BATCH_SIZE"]),
            lease=timedelta(seconds=float(config["OUTBOX_LEASE_SECONDS"])),
            retry=RetryPolicy(
                base=timedelta(seconds=float(config["OUTBOX_RETRY_BASE_SECONDS"])),
                cap=timedelta(seconds=float(config["OUTBOX_RETRY_CAP_SECONDS"])),
                give_up_after=timedelta(hours=float(config["OUTBOX_GIVE_UP_AFTER_HOURS"])),
            ),
        )


@dataclass
class Report:
    """What a batch (or a whole run) did: messages claimed, and each outcome counted."""

    claimed: int = 0
    outcomes: Counter = field(default_factory=Counter)

    def add(self, other: "Report") -> None:
        self.claimed += other.claimed
        self.outcomes.update(other.outcomes)

    def summary(self) -> str:
        parts = [f"{count} {name}" for name, count in sorted(self.outcomes.items()) if count]
        return f"{self.claimed} claimed" + (": " + ", ".join(parts) if parts else "")


def claim_due(
    *,
    worker: str,
    now: datetime,
    limit: int,
    lease: timedelta,
    due_by: datetime | None = None,
) -> list[int]:
    """Mark up to ``limit`` due messages as ours and commit; returns their ids, oldest first.

    Due means scheduled or retrying with its time come (by ``due_by``, default ``now``), or
    claimed by a worker whose lease ran out (it died): such a message may have gone out
    already, which is flagged. One UPDATE takes the oldest due rows that no other worker has
    locked (PostgreSQL's ``SKIP LOCKED``) and says which they were. It walks the index of
    pending messages in order up to ``now`` (a message being sent was due when claimed), so
    it reads about a batch of rows however many are waiting (on SQLite, once the table has
    been analysed).
    """
    due_by = now if due_by is None else due_by
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        # Right after a bulk enqueue, before the table has statistics, the planner would
        # rather sort every due row than walk the index; for this transaction it may not.
        connection.exec_driver_sql("SET LOCAL enable_sort = off")
    claimed = _CLAIM.all(
        connection,
        worker=worker,
        now=now,
        due_by=due_by,
        until=max(now, due_by),
        stale_before=now - lease,
        limit=limit,
    )
    db.session.commit()
    return [row.id for row in sorted(claimed, key=lambda row: (row.next_attempt_at, row.id))]


def renew(ids: list[int], *, worker: str, now: datetime) -> None:
    """Keep our claim on messages still waiting in a long batch, so no one takes them over."""
    if ids:
        db.session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.id.in_(ids),
                OutboxMessage.status == DeliveryStatus.SENDING,
                OutboxMessage.claimed_by == worker,
            )
            .values(claimed_at=now)
            .execution_options(synchronize_session=False)
        )
    db.session.commit()


def release(ids: list[int], *, worker: str) -> int:
    """Hand claimed but unsent messages back, due as they were; commits."""
    if not ids:
        return 0
    result = db.session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.id.in_(ids),
            OutboxMessage.status == DeliveryStatus.SENDING,
            OutboxMessage.claimed_by == worker,
        )
        .values(
            status=case(
                (OutboxMessage.attempts > 0, DeliveryStatus.RETRYING.value),
                else_=DeliveryStatus.SCHEDULED.value,
            ),
            claimed_by=None,
            claimed_at=None,
        )
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return result.rowcount


class Worker:
    """Delivers the outbox; ``run`` loops until stopped, ``run_batch`` does one batch.

    ``request_stop`` (safe from a signal handler or another thread) lets the message in hand
    finish, hands the rest of the batch back, and ends the run.
    """

    def __init__(
        self,
        settings: WorkerSettings,
        mailer_factory: Callable[[], SmtpMailer | FileMailer],
        *,
        clock: Callable[[], datetime] = utcnow,
        name: str | None = None,
    ):
        self.settings = settings
        self.mailer_factory = mailer_factory
        self.clock = clock
        self.name = name or f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"
        self._stop = threading.Event()

    @classmethod
    def from_app(cls, app, *, batch_size: int | None = None, **kwargs) -> "Worker":
        settings = WorkerSettings.from_config(app.config)
        if batch_size:
            settings = replace(settings, batch_size=batch_size)
        return cls(settings, lambda: mailer_from_config(app.config, app.instance_path), **kwargs)

    def request_stop(self) -> None:
        self._stop.set()

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def run(self, *, once: bool = False, poll: float = 5.0) -> Report:
        """Deliver batches until stopped; with ``once``, what is due at the start, then return.

        (Messages that fail during a ``once`` run wait for the next run, however soon their
        retry falls due.)
        """
        total = Report()
        started = self.clock()
        while not self.stopping:
            report = self.run_batch(due_by=started if once else None)
            total.add(report)
            if report.claimed == 0:
                if once:
                    break
                self._stop.wait(poll)
        return total

    def run_batch(self, *, now: datetime | None = None, due_by: datetime | None = None) -> Report:
        """Claim one batch and send it over one connection. ``now`` fixes the clock (tests)."""
        ids = claim_due(
            worker=self.name,
            now=self.clock() if now is None else now,
            limit=self.settings.batch_size,
            lease=self.settings.lease,
            due_by=due_by,
        )
        report = self.deliver_claimed(ids, now=now)
        if report.outcomes[DeliveryStatus.DELIVERED.value]:
            # A requisition waiting for its last closures closes as soon as they arrive.
            finish_closing(now=self.clock() if now is None else now)
            db.session.commit()
        return report

    def deliver_claimed(self, ids: list[int], *, now: datetime | None = None) -> Report:
        """Send messages this worker has claimed, in order, then hand back what is left."""
        report = Report(claimed=len(ids))
        if not ids:
            return report
        if db.session().in_transaction():
            # Nothing of the caller's may hold a lock the batch's own connection waits for.
            db.session.commit()
        with db.engine.connect() as connection:
            return self._deliver_all(connection, ids, report, now)

    def _deliver_all(
        self, connection: Connection, ids: list[int], report: Report, now: datetime | None
    ) -> Report:
        clock = self.clock if now is None else (lambda: now)
        mailer = self.mailer_factory()
        unavailable: str | None = None
        done = 0
        claimed_at = clock()
        try:
            for message_id in ids:
                if self.stopping:
                    break
                if clock() - claimed_at > self.settings.lease / 2:
                    claimed_at = clock()
                    renew(ids[done:], worker=self.name, now=claimed_at)
                outcome, unavailable = self._deliver(
                    connection, message_id, mailer, clock, unavailable
                )
                report.outcomes[outcome] += 1
                done += 1
        except BaseException:
            db.session.rollback()
            mailer.close()
            try:
                release(ids[done:], worker=self.name)
            except Exception:  # the original error matters more; the lease covers these rows
                log.exception("outbox could not hand back the unsent messages")
                db.session.rollback()
            raise
        mailer.close()
        released = release(ids[done:], worker=self.name)
        if released:
            report.outcomes["released"] += released
            log.info("outbox handed back %d unsent messages", released)
        return report

    def _deliver(
        self, connection: Connection, message_id: int, mailer, clock, unavailable: str | None
    ) -> tuple[str, str | None]:
        """Re-check, send and record one message, in a transaction of its own.

        Returns what became of it, and the reason the mail server cannot be reached (then the
        rest of the batch is recorded as a retry without trying again). The row stays locked
        (on PostgreSQL) from the re-check to the commit of the result, so a cancel waits for
        the outcome instead of racing it.
        """
        with connection.begin():
            outcome, unavailable, note = self._attempt(
                connection, message_id, mailer, clock, unavailable
            )
        if note:
            log.info("outbox message %d %s", message_id, note)
        return outcome, unavailable

    def _attempt(
        self, connection: Connection, message_id: int, mailer, clock, unavailable: str | None
    ) -> tuple[str, str | None, str]:
        """The body of ``_deliver``; also returns what to log once the result is committed.

        It runs once per message, so its statements go straight to the driver.
        """
        row = _RECHECK.first(connection, message_id=message_id)
        if row is None:
            return "gone", unavailable, ""
        if row.status is not DeliveryStatus.SENDING or row.claimed_by != self.name:
            return "skipped", unavailable, f"skipped: {row.status.value}"
        now = clock()
        if row.anonymised_at is not None:
            _update(
                connection,
                message_id,
                status=DeliveryStatus.CANCELLED,
                cancelled_at=now,
                cancel_reason=ANONYMISED,
                claimed_by=None,
                claimed_at=None,
            )
            return DeliveryStatus.CANCELLED.value, unavailable, "cancelled: candidate anonymised"

        result: SendResult | None = None
        # The candidate's private link is made now, so only its hash is ever stored.
        text_body, html_body, link = materialize(row.text_body, row.html_body, row.application_id)
        if link is not None:
            _ADD_LINK.execute(connection, **link, created_at=now)
        try:
            payload = build_payload(
                sender_name=row.sender_name or self.settings.sender_name,
                sender_address=self.settings.sender_address,
                recipient=row.recipient,
                recipient_name=row.recipient_name,
                reply_to=row.reply_to,
                subject=row.subject,
                message_id=row.message_id,
                text_body=text_body,
                html_body=html_body,
                now=now,
            )
        except (ValueError, TypeError, UnicodeError) as error:
            outcome = Classification(Verdict.FAIL, f"cannot build the message: {error}")
        else:
            if unavailable is not None:
                outcome = classify(None, error=unavailable, data_sent=False)
            else:
                try:
                    result = mailer.send(
                        self.settings.sender_address,
                        row.recipient,
                        payload,
                        label=f"{message_id}-{row.attempts + 1}",
                    )
                except MailerUnavailable as error:
                    unavailable = str(error)
                    log.warning("outbox cannot reach the mail server: %s", error)
                    outcome = classify(None, error=unavailable, data_sent=False)
                else:
                    outcome = classify(result.code, error=result.error, data_sent=result.data_sent)
        code = result.code if result else None
        values = attempt_values(
            outcome,
            message_id=message_id,
            attempts=row.attempts + 1,
            first_attempt_at=row.first_attempt_at,
            code=code,
            now=clock(),
            policy=self.settings.retry,
        )
        _update(connection, message_id, **values)
        status = values["status"].value
        smtp = "-" if code is None else code
        return status, unavailable, f"{status} smtp={smtp} attempt={values['attempts']}"


def _update(connection: Connection, message_id: int, **values) -> None:
    """One UPDATE of the message's row, its statement compiled once for each set of columns
    (a handful: delivered, retrying, ...)."""
    statement = _updates.get(frozenset(values))
    if statement is None:
        table = OutboxMessage.__table__
        statement = _updates[frozenset(values)] = DriverStatement(
            update(table)
            .where(table.c.id == bindparam("message_id_"))
            .values({name: bindparam(name) for name in values})
        )
    statement.execute(connection, message_id_=message_id, **values)


_updates: dict[frozenset[str], DriverStatement] = {}


def attempt_values(
    outcome: Classification,
    *,
    message_id: int,
    attempts: int,
    first_attempt_at: datetime | None,
    code: int | None,
    now: datetime,
    policy: RetryPolicy,
) -> dict:
    """The columns to write after an attempt: delivered, retrying (when next) or failed."""
    first_attempt_at = first_attempt_at or now
    step = after_attempt(
        outcome,
        attempts=attempts,
        first_attempt_at=first_attempt_at,
        now=now,
        policy=policy,
        jitter_seed=f"{message_id}:{attempts}",
    )
    values = {
        "attempts": attempts,
        "first_attempt_at": first_attempt_at,
        "last_attempt_at": now,
        "smtp_code": code,
        "claimed_by": None,
        "claimed_at": None,
    }
    if step.data_sent_unconfirmed:
        values["data_sent_unconfirmed"] = True
    if step.verdict is Verdict.DELIVERED:
        values.update(status=DeliveryStatus.DELIVERED, delivered_at=now, last_error="")
    elif step.verdict is Verdict.RETRY:
        values.update(
            status=DeliveryStatus.RETRYING, next_attempt_at=step.retry_at, last_error=step.reason
        )
    else:
        values.update(status=DeliveryStatus.FAILED, last_error=step.reason)
    return values


# The claim, built once: it runs for every batch.
_OLDEST_DUE = (
    select(OutboxMessage.id)
    .where(
        pending_as_written(OutboxMessage.status),
        OutboxMessage.next_attempt_at <= bindparam("until"),
        or_(  # scheduled or retrying, and due; or claimed by a worker that went silent
            (OutboxMessage.status != DeliveryStatus.SENDING)
            & (OutboxMessage.next_attempt_at <= bindparam("due_by")),
            (OutboxMessage.status == DeliveryStatus.SENDING)
            & (OutboxMessage.claimed_at <= bindparam("stale_before")),
        ),
    )
    .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
    .limit(bindparam("limit"))
    .with_for_update(skip_locked=True)
)
_CLAIM = DriverStatement(
    update(OutboxMessage.__table__)
    .where(OutboxMessage.id.in_(_OLDEST_DUE.scalar_subquery()))
    .values(
        data_sent_unconfirmed=case(
            (OutboxMessage.status == DeliveryStatus.SENDING, True),
            else_=OutboxMessage.data_sent_unconfirmed,
        ),
        status=DeliveryStatus.SENDING,
        claimed_by=bindparam("worker"),
        claimed_at=bindparam("now"),
    )
    .returning(OutboxMessage.id, OutboxMessage.next_attempt_at)
)

# The re-check before sending: is the message still ours and still owed, and what to send.
_RECHECK = DriverStatement(
    select(
        OutboxMessage.status,
        OutboxMessage.claimed_by,
        OutboxMessage.attempts,
        OutboxMessage.first_attempt_at,
        OutboxMessage.recipient,
        OutboxMessage.recipient_name,
        OutboxMessage.sender_name,
        OutboxMessage.reply_to,
        OutboxMessage.subject,
        OutboxMessage.message_id,
        OutboxMessage.text_body,
        OutboxMessage.html_body,
        OutboxMessage.application_id,
        Candidate.anonymised_at,
    )
    .select_from(OutboxMessage)
    .outerjoin(Application, OutboxMessage.application_id == Application.id)
    .outerjoin(Candidate, Application.candidate_id == Candidate.id)
    .where(OutboxMessage.id == bindparam("message_id"))
    .with_for_update(of=OutboxMessage)
)

_ADD_LINK = DriverStatement(
    insert(CandidateLink.__table__).values(
        {name: bindparam(name) for name in ("application_id", "token_hash", "created_at")}
    )
)
