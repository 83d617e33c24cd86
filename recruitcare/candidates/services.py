"""Adding candidates to a requisition by hand or in bulk. They flush; the caller commits."""

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime

from email_validator import validate_email
from sqlalchemy import insert, select

from recruitcare import audit
from recruitcare.domain.csv_import import CandidateRow, CsvImport, RowError, parse_candidates
from recruitcare.domain.deadlines import PromisePolicy
from recruitcare.domain.enums import ApplicationStatus
from recruitcare.extensions import db
from recruitcare.models import Application, Candidate, Requisition, Stage, User
from recruitcare.pipeline.services import PipelineError, add_application, find_or_create_candidate

# Rows per IN query and per multi-row insert: well under SQLite's bound-parameter limit.
BATCH_SIZE = 500


def check_email(address: str) -> str:
    """The normalised address; raises ``ValueError`` with a readable message when it is not one."""
    return validate_email(address.strip(), check_deliverability=False).normalized


def add_candidate(
    requisition: Requisition,
    *,
    name: str,
    email: str,
    timezone: str,
    language: str,
    stage: Stage | None,
    actor: User | None,
    now: datetime,
    policy: PromisePolicy,
) -> Application:
    """Apply a person to ``requisition``; an email already on file is that same person.

    Raises ``PipelineError`` when the person has already applied to this requisition.
    """
    candidate = find_or_create_candidate(
        name=name, email=email, now=now, timezone=timezone, language=language
    )
    return add_application(requisition, candidate, now=now, policy=policy, actor=actor, stage=stage)


def check_candidate_file(requisition: Requisition, data: bytes) -> CsvImport:
    """Parse a candidate file for ``requisition``; people who already applied are row errors."""
    parsed = parse_candidates(
        data, stage_names=[stage.name for stage in requisition.stages], check_email=check_email
    )
    if not parsed.rows:
        return parsed
    applied = set(
        db.session.scalars(
            select(Candidate.email)
            .join(Application, Application.candidate_id == Candidate.id)
            .where(Application.requisition_id == requisition.id)
        )
    )
    return parsed.with_errors(
        RowError(row.line, "already applied to this requisition")
        for row in parsed.rows
        if row.email in applied
    )


@dataclass(frozen=True)
class Imported:
    applications: int
    new_candidates: int


def import_candidates(
    requisition: Requisition,
    rows: Sequence[CandidateRow],
    *,
    actor: User | None,
    now: datetime,
    policy: PromisePolicy,
    progress: Callable[[int], None] | None = None,
) -> Imported:
    """Create the people and applications for ``rows`` and one audit event for the whole import.

    Sets the same fields as ``add_application`` and ``find_or_create_candidate``, but inserts
    each batch with one multi-row statement per table: the ORM's flush cannot batch inserts
    whose new ids it must read back on SQLite, which made 50,000 rows take several times
    longer. Per batch, existing people are found by email with one ``IN`` query. Nothing
    inserted here is loaded into the session.

    Raises ``PipelineError`` when a row's person has already applied, an email repeats or a
    stage is unknown, all of which ``check_candidate_file`` reports beforehand; the caller then
    rolls back.
    """
    if not requisition.stages:
        raise PipelineError("This requisition has no stages to add candidates to.")
    stages = {stage.name: stage for stage in requisition.stages}
    first_stage = requisition.stages[0]
    unknown = next((row for row in rows if row.stage and row.stage not in stages), None)
    if unknown is not None:
        raise PipelineError(f'Line {unknown.line}: there is no stage "{unknown.stage}".')
    due_at = {stage.id: policy.due_at(now, stage.promise_days) for stage in stages.values()}
    default_zone = policy.zone.key
    seen: set[str] = set()
    created = 0
    for batch in _batches(rows, BATCH_SIZE):
        emails = [row.email.strip().lower() for row in batch]
        if seen.intersection(emails) or len(set(emails)) < len(emails):
            raise PipelineError("The same email appears on more than one row.")
        seen.update(emails)
        ids = _candidate_ids(emails)
        if ids:
            _refuse_if_applied(requisition, ids)
        fresh = [
            {
                "name": row.name,
                "email": email,
                "timezone": row.timezone or default_zone,
                "language": "en",
                "created_at": now,
            }
            for row, email in zip(batch, emails, strict=True)
            if email not in ids
        ]
        if fresh:
            db.session.execute(insert(Candidate), fresh)
            ids.update(_candidate_ids([person["email"] for person in fresh]))
            created += len(fresh)
        applications = []
        for row, email in zip(batch, emails, strict=True):
            stage = stages[row.stage] if row.stage else first_stage
            applications.append(
                {
                    "candidate_id": ids[email],
                    "requisition_id": requisition.id,
                    "stage_id": stage.id,
                    "status": ApplicationStatus.ACTIVE,
                    "decision_due_at": due_at[stage.id],
                    "created_at": now,
                }
            )
        db.session.execute(insert(Application), applications)
        if progress is not None:
            progress(len(batch))
    audit.record("candidates.imported", requisition, actor=actor, now=now, count=len(rows))
    db.session.flush()
    return Imported(applications=len(rows), new_candidates=created)


def _candidate_ids(emails: Sequence[str]) -> dict[str, int]:
    stmt = select(Candidate.email, Candidate.id).where(Candidate.email.in_(emails))
    return dict(db.session.execute(stmt).all())


def _refuse_if_applied(requisition: Requisition, candidate_ids: dict[str, int]) -> None:
    applied = db.session.scalar(
        select(Candidate.email)
        .join(Application, Application.candidate_id == Candidate.id)
        .where(
            Application.requisition_id == requisition.id,
            Application.candidate_id.in_(candidate_ids.values()),
        )
        .limit(1)
    )
    if applied is not None:
        raise PipelineError(f"{applied} has already applied to this requisition.")


def _batches(rows: Sequence[CandidateRow], size: int) -> Iterator[Sequence[CandidateRow]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]
