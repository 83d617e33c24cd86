"""A few simulated weeks of hiring through the sweep (bench/simulate_year.py): no candidate waits
past their promise without hearing from us, every closed requisition's candidates have their
closure delivered, and the promise figures add up. Also: the simulation's check really finds a
candidate left waiting."""

import importlib.util
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from recruitcare.closure.services import closure_completeness
from recruitcare.domain.enums import DeliveryStatus, PromiseEventKind, RequisitionStatus
from recruitcare.extensions import db
from recruitcare.models import OutboxMessage, PromiseEvent, Requisition
from recruitcare.pipeline.services import closeout_remaining
from recruitcare.sweep.services import SweepSettings, send_interim_updates
from tests.factories import NOW, make_application

BENCH = Path(__file__).resolve().parent.parent / "bench"
TORONTO = ZoneInfo("America/Toronto")


def load_simulation():
    spec = importlib.util.spec_from_file_location("simulate_year", BENCH / "simulate_year.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


simulation = load_simulation()


def toronto(*args) -> datetime:
    return datetime(*args, tzinfo=TORONTO).astimezone(UTC)


def test_a_few_weeks_of_hiring_leave_nobody_waiting(make_app, tmp_path):
    app = make_app(**simulation.APP_CONFIG, MAIL_FILE_DIR=str(tmp_path / "mail"))
    options = simulation.Options(requisitions=3, applications=60, days=60, seed=7, step_hours=5)

    figures = simulation.simulate(app, options)

    assert figures["applications"] == 60
    assert figures["waited past promise without update"] == 0
    assert figures["promises past due without update"] == 0
    kept, extended, broken = (
        figures["promises kept"],
        figures["promises extended"],
        figures["promises broken"],
    )
    assert kept + extended + broken == figures["promises settled (watched)"]
    assert extended == figures["interim updates sent"]
    assert figures["requisitions closed"] >= 1
    with app.app_context():
        events = dict(
            db.session.execute(
                select(PromiseEvent.kind, func.count()).group_by(PromiseEvent.kind)
            ).all()
        )
        assert events.get(PromiseEventKind.KEPT, 0) == kept
        assert events.get(PromiseEventKind.EXTENDED, 0) == extended
        assert events.get(PromiseEventKind.BROKEN, 0) == broken
        closed = db.session.scalars(
            select(Requisition).where(
                Requisition.status.in_([RequisitionStatus.FILLED, RequisitionStatus.CANCELLED])
            )
        ).all()
        assert len(closed) == figures["requisitions closed"]
        for requisition in closed:
            assert closeout_remaining(requisition.id).total == 0
            done, needed = closure_completeness(requisition.id)
            assert done == needed > 0
        undelivered = db.session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.status == DeliveryStatus.FAILED)
        )
        assert undelivered == 0


def test_the_check_finds_a_candidate_left_waiting_until_the_sweep_tells_them(app):
    """NOW is Wednesday 18 November 2026; the promise lapses on Friday 27 November at 17:00."""
    with app.app_context():
        application = make_application(now=NOW)
        db.session.commit()
        watch = simulation.PromiseWatch()
        watch.observe(NOW)
        saturday = toronto(2026, 11, 28, 10)

        due, missed, _longest = simulation.check_promises(watch.promises, TORONTO, saturday)
        assert due == 1
        assert [m.application_id for m in missed] == [application.id]

        lapsed = toronto(2026, 11, 27, 17, 30)
        send_interim_updates(lapsed, SweepSettings.from_config(app.config))
        db.session.commit()
        watch.observe(lapsed)

        due, missed, longest = simulation.check_promises(watch.promises, TORONTO, saturday)
        assert (due, missed) == (1, [])
        assert longest.total_seconds() == 30 * 60
