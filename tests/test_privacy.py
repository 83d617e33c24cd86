"""Retention: people past the retention period are anonymised; counts stay."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from recruitcare.domain.enums import ApplicationStatus
from recruitcare.extensions import db
from recruitcare.models import Application, AuditEvent, Candidate, OutboxMessage
from recruitcare.models.portal import PoolConsent
from recruitcare.outbox import services as outbox
from recruitcare.privacy import services as privacy
from tests.factories import NOW, make_application, make_candidate, make_requisition

MONTHS = 24
LONG_AGO = NOW - timedelta(days=30 * MONTHS + 1)


def _closed(requisition, name, email, closed_at):
    application = make_application(requisition, make_candidate(name=name, email=email))
    application.status = ApplicationStatus.REJECTED
    application.closed_at = closed_at
    application.decision_due_at = None
    return application


@pytest.fixture
def people(app):
    with app.app_context():
        requisition = make_requisition(title="Analyst")
        expired = _closed(requisition, "Eli Expired", "eli@example.com", LONG_AGO)
        outbox.enqueue(
            purpose="closure",
            idempotency_key="closure:old",
            recipient="eli@example.com",
            recipient_name="Eli Expired",
            subject="About your application, Eli",
            text_body="Dear Eli",
            html_body="<p>Dear Eli</p>",
            send_after=LONG_AGO,
            now=LONG_AGO,
            application=expired,
        )
        consenting = _closed(requisition, "Cora Consent", "cora@example.com", LONG_AGO)
        db.session.add(
            PoolConsent(
                candidate_id=consenting.candidate_id,
                application_id=consenting.id,
                role_families=["Engineering"],
                locations=[],
                given_at=NOW - timedelta(days=10),
                expires_at=NOW + timedelta(days=100),
            )
        )
        _closed(requisition, "Rae Recent", "rae@example.com", NOW - timedelta(days=30))
        make_application(requisition, make_candidate(name="Otto Open", email="otto@example.com"))
        db.session.commit()


def test_only_people_past_retention_without_consent_expire(app, people):
    with app.app_context():
        expired = privacy.expired_candidates(now=NOW, months=MONTHS)
    assert [e.name for e in expired] == ["Eli Expired"]


def test_the_report_lists_and_changes_nothing_then_apply_anonymises(app, people, monkeypatch):
    app.config["RETENTION_MONTHS"] = MONTHS
    monkeypatch.setattr("recruitcare.privacy.cli.utcnow", lambda: NOW)
    runner = app.test_cli_runner()
    report = runner.invoke(args=["retention", "report"])
    assert report.exit_code == 0, report.output
    assert "Eli Expired" in report.output and "1 person(s)" in report.output
    with app.app_context():
        assert (
            db.session.scalar(select(func.count()).where(Candidate.anonymised_at.is_not(None))) == 0
        )
    applied = runner.invoke(args=["retention", "apply"])
    assert applied.exit_code == 0, applied.output
    assert "1 person(s) anonymised" in applied.output
    with app.app_context():
        names = set(db.session.scalars(select(Candidate.name)))
        assert names == {"Deleted candidate", "Cora Consent", "Rae Recent", "Otto Open"}
        assert db.session.scalar(select(func.count()).select_from(Application)) == 4
        message = db.session.scalar(select(OutboxMessage))
        assert "eli" not in (message.recipient + message.subject + message.text_body).lower()
        assert (
            db.session.scalar(
                select(func.count()).where(AuditEvent.action == "candidate.anonymised")
            )
            == 1
        )
    again = runner.invoke(args=["retention", "apply"])
    assert "0 person(s) anonymised" in again.output


def test_the_sweep_applies_retention(app, people):
    from recruitcare.sweep.services import apply_retention

    app.config["RETENTION_MONTHS"] = MONTHS
    with app.app_context():
        result = apply_retention(NOW, None)
        db.session.commit()
        assert result.counts == {"people anonymised": 1}
        assert (
            db.session.scalar(select(func.count()).where(Candidate.anonymised_at.is_not(None))) == 1
        )
