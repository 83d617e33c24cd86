"""How a stage decision moves an application: the state machine, free of storage."""

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from recruitcare.domain.enums import ApplicationStatus, Decision

DEFAULT_STAGES: tuple[tuple[str, bool], ...] = (
    ("Application review", False),
    ("Recruiter screen", True),
    ("Hiring manager interview", True),
    ("Panel interview", True),
    ("Offer", False),
)


class TransitionError(ValueError):
    """A decision that cannot apply to the application as it stands."""


@dataclass(frozen=True)
class Transition:
    status: ApplicationStatus
    stage_index: int
    # Closed applications carry no promise; open ones get a fresh one at their stage.
    closed: bool


def apply_decision(
    decision: Decision, status: ApplicationStatus, stage_index: int, stage_count: int
) -> Transition:
    """The application's next state. Advancing into the last stage is an offer; past it, hired."""
    if not status.is_open:
        raise TransitionError(f"The application is already {status.label.lower()}.")
    if decision is Decision.ADVANCE:
        if stage_index >= stage_count - 1:
            return Transition(ApplicationStatus.HIRED, stage_index, closed=True)
        nxt = stage_index + 1
        final = nxt == stage_count - 1
        return Transition(
            ApplicationStatus.OFFER if final else ApplicationStatus.ACTIVE, nxt, closed=False
        )
    if decision is Decision.HOLD:
        if status is ApplicationStatus.ON_HOLD:
            raise TransitionError("The application is already on hold.")
        return Transition(ApplicationStatus.ON_HOLD, stage_index, closed=False)
    if decision is Decision.REJECT:
        return Transition(ApplicationStatus.REJECTED, stage_index, closed=True)
    return Transition(ApplicationStatus.WITHDRAWN, stage_index, closed=True)


def can_undo(decided_at: datetime, now: datetime, zone: ZoneInfo) -> bool:
    """An outcome recorded by mistake can be undone on the day it was recorded."""
    return local_day(decided_at, zone) == local_day(now, zone)


def local_day(moment: datetime, zone: ZoneInfo) -> date:
    return moment.astimezone(zone).date()
