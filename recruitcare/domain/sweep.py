"""The sweep's time rules: who is reminded, what is escalated to whom, what happens to a lapsed
promise, and when a legal duty to inform a candidate falls due.

Pure: the caller passes ``now``, the limits, the organisation's zone and its holidays. Every
moment is an aware datetime; the returned ones are in UTC.
"""

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from recruitcare.domain.deadlines import END_OF_DAY, is_business_day, promise_due_at, promise_state
from recruitcare.domain.enums import PromiseEventKind, PromiseState


@dataclass(frozen=True)
class SweepLimits:
    """The organisation's settings for the sweep (built from config at the edge)."""

    # A scorecard is overdue at the end of this many business days after its interview.
    scorecard_reminder_days: int = 2
    # Interviews older than this many calendar days are no longer reminded about.
    scorecard_reminder_window_days: int = 30
    # A promise is "due soon" within this many business days.
    warning_days: int = 2
    # Interim updates per promise chain before the application must be decided.
    max_extensions: int = 2
    # Business days an interim update gives the candidate's new promised date.
    extension_days: int = 5
    # Past the last extension: business days between the notices that tell the candidate the
    # decision is late and when they will hear again.
    overdue_notice_days: int = 5
    # Digests go out on business days from this local hour on.
    digest_hour: int = 8


# ---- scorecard reminders ----------------------------------------------------------------------


def scorecard_overdue_at(
    interview_at: datetime, days: int, zone: ZoneInfo, holidays: Collection[date] = ()
) -> datetime:
    """When a scorecard counts as late: the end of the ``days``-th business day after the
    interview, in the organisation's zone."""
    return promise_due_at(interview_at, days, zone, holidays)


def needs_scorecard_reminder(
    interview_at: datetime,
    now: datetime,
    *,
    days: int,
    window_days: int,
    zone: ZoneInfo,
    holidays: Collection[date] = (),
) -> bool:
    """A held interview whose scorecard is late, and not so old that reminding is pointless."""
    if interview_at > now or now - interview_at > timedelta(days=window_days):
        return False
    return now >= scorecard_overdue_at(interview_at, days, zone, holidays)


# ---- digests ----------------------------------------------------------------------------------


def digest_day(
    now: datetime, zone: ZoneInfo, holidays: Collection[date] = (), hour: int = 8
) -> date | None:
    """The local business day a digest sent ``now`` belongs to, or None when digests wait
    (weekends, holidays and the hours before ``hour``). One digest per person, kind and day."""
    local = now.astimezone(zone)
    if not is_business_day(local.date(), holidays) or local.hour < hour:
        return None
    return local.date()


def digest_key(kind: str, user_id: int, day: date) -> str:
    """The outbox idempotency key of one person's digest of one kind on one day."""
    return f"digest:{kind}:{user_id}:{day.isoformat()}"


# ---- escalation -------------------------------------------------------------------------------


class Escalation(StrEnum):
    """Why an open application is in someone's digest, most urgent first."""

    OVERDUE = "overdue"
    EXTENDED = "extended"
    DUE_SOON = "due_soon"

    @property
    def label(self) -> str:
        return {
            "overdue": "Past the promised date",
            "extended": "Promise extended, still undecided",
            "due_soon": "Promise due soon",
        }[self.value]

    @property
    def rank(self) -> int:
        return {"overdue": 0, "extended": 1, "due_soon": 2}[self.value]


def escalation_for(
    due_at: datetime | None,
    now: datetime,
    *,
    extensions: int = 0,
    must_decide: bool = False,
    zone: ZoneInfo,
    holidays: Collection[date] = (),
    warning_days: int = 2,
) -> Escalation | None:
    """Whether an open application's promise needs someone's attention today.

    Overdue: the promise lapsed, or the candidate is on the "must decide" list. Extended: an
    interim update already moved the promise once, so the first promise was not kept and the
    hiring team hears about it every day until a decision is made. Due soon: it lapses within
    ``warning_days`` business days.
    """
    if must_decide:
        return Escalation.OVERDUE
    if due_at is None:
        return None
    state = promise_state(due_at, now, zone, holidays, warning_days)
    if state is PromiseState.OVERDUE:
        return Escalation.OVERDUE
    if extensions > 0:
        return Escalation.EXTENDED
    if state is PromiseState.DUE_SOON:
        return Escalation.DUE_SOON
    return None


def due_soon_horizon(
    now: datetime, zone: ZoneInfo, holidays: Collection[date] = (), warning_days: int = 2
) -> datetime:
    """Every promise that ``escalation_for`` calls due soon falls before this moment (UTC), so
    a query can fetch the candidates for escalation by a plain comparison."""
    day = now.astimezone(zone).date()
    business_days = 0
    while business_days <= warning_days:
        day += timedelta(days=1)
        if is_business_day(day, holidays):
            business_days += 1
    return datetime.combine(day, datetime.min.time(), tzinfo=zone).astimezone(UTC)


def escalation_recipients(
    escalation: Escalation, owner_id: int, hiring_manager_ids: Iterable[int]
) -> tuple[int, ...]:
    """Due soon goes to the owning recruiter; anything worse to the hiring managers too."""
    if escalation is Escalation.DUE_SOON:
        return (owner_id,)
    return tuple(dict.fromkeys([owner_id, *hiring_manager_ids]))


# ---- lapsed promises --------------------------------------------------------------------------


class LapseAction(StrEnum):
    WAIT = "wait"  # the promise has not lapsed
    EXTEND = "extend"  # tell the candidate we have not decided yet, and promise a new date
    # No more extensions: a person must decide now, and the candidate is told, honestly, that
    # the decision is late and when they will hear from us again.
    MUST_DECIDE = "must_decide"


@dataclass(frozen=True)
class Lapse:
    action: LapseAction
    # The number of this interim update (1 for the first), when extending.
    extension: int = 0
    # When the candidate will hear from us next: the new promised date when extending, the
    # date of the next overdue notice when the decision must be made.
    new_due_at: datetime | None = None


def lapsed_promise(
    due_at: datetime | None,
    now: datetime,
    *,
    extensions: int,
    max_extensions: int,
    extension_days: int,
    overdue_notice_days: int = 5,
    must_decide: bool = False,
    zone: ZoneInfo,
    holidays: Collection[date] = (),
) -> Lapse:
    """What to do about an open application's promise at ``now``.

    Until it lapses, nothing. Then an interim update moves it ``extension_days`` business days
    on from now, up to ``max_extensions`` times. After that it is not extended again: the
    application goes to the top of the recruiter's "must decide" list, and the candidate is
    never left in silence meanwhile: each time the date they were given passes, they are told
    the decision is late and when they will hear next (``overdue_notice_days`` on).
    """
    if due_at is None or now < due_at:
        return Lapse(LapseAction.WAIT)
    if must_decide or extensions >= max_extensions:
        return Lapse(
            LapseAction.MUST_DECIDE,
            new_due_at=promise_due_at(now, overdue_notice_days, zone, holidays),
        )
    return Lapse(
        LapseAction.EXTEND,
        extension=extensions + 1,
        new_due_at=promise_due_at(now, extension_days, zone, holidays),
    )


def decided_promise(
    due_at: datetime | None, decided_at: datetime, *, already_broken: bool = False
) -> PromiseEventKind | None:
    """How a decision settles the promise it answers: kept when made by the promised moment,
    broken when late. None when there was no promise or it was already counted as broken."""
    if due_at is None or already_broken:
        return None
    return PromiseEventKind.KEPT if decided_at <= due_at else PromiseEventKind.BROKEN


# ---- legal duty to inform ---------------------------------------------------------------------


@dataclass(frozen=True)
class DutyToInformPolicy:
    """A jurisdiction's rule that interviewed candidates must be told whether a decision has
    been made, within a number of days of their last interview."""

    key: str
    name: str
    # Employers with fewer employees are exempt.
    min_employees: int
    # Calendar days after the last interview within which the candidate must be told.
    days: int
    # Only jobs advertised to the public are covered.
    advertised_only: bool
    # Interviews before this day are not covered.
    in_force_from: date
    # How long the record of when and how a candidate was told is kept.
    keep_years: int
    basis: str


DUTY_TO_INFORM_POLICIES: dict[str, DutyToInformPolicy] = {
    "ontario": DutyToInformPolicy(
        key="ontario",
        name="Ontario",
        min_employees=25,
        days=45,
        advertised_only=True,
        in_force_from=date(2026, 1, 1),
        keep_years=3,
        basis=(
            "Ontario Employment Standards Act, 2000, Part III.1 and O. Reg. 476/24: an employer "
            "with 25 or more employees that interviews an applicant for a publicly advertised "
            "job must tell them whether a hiring decision has been made within 45 days of their "
            "last interview, and keep a record of it for three years."
        ),
    ),
}


def duty_to_inform_policy(key: str | None) -> DutyToInformPolicy | None:
    """The named policy, None for none; an unknown name is a configuration error."""
    if not key:
        return None
    try:
        return DUTY_TO_INFORM_POLICIES[key]
    except KeyError:
        known = ", ".join(sorted(DUTY_TO_INFORM_POLICIES))
        raise ValueError(f"unknown duty-to-inform policy {key!r}; known: {known}") from None


def duty_applies(
    policy: DutyToInformPolicy | None,
    *,
    headcount: int | None,
    publicly_advertised: bool,
    last_interview_at: datetime,
    zone: ZoneInfo,
) -> bool:
    """Whether an interviewed candidate is owed the duty. An unknown headcount counts as
    covered: telling a candidate costs less than breaking the law."""
    if policy is None:
        return False
    if headcount is not None and headcount < policy.min_employees:
        return False
    if policy.advertised_only and not publicly_advertised:
        return False
    return last_interview_at.astimezone(zone).date() >= policy.in_force_from


def duty_due_at(
    policy: DutyToInformPolicy, last_interview_at: datetime, zone: ZoneInfo
) -> datetime:
    """The end of the last day of the duty: ``policy.days`` calendar days after the local day of
    the last interview, at the end of the business day (earlier than midnight, on purpose)."""
    day = last_interview_at.astimezone(zone).date() + timedelta(days=policy.days)
    return datetime.combine(day, END_OF_DAY, tzinfo=zone).astimezone(UTC)


class DutyState(StrEnum):
    OPEN = "open"  # not told yet, still in time
    DUE_SOON = "due_soon"  # not told yet, the deadline is near
    MET = "met"  # told in time
    LATE = "late"  # told, after the deadline
    BREACHED = "breached"  # not told, and the deadline has passed

    @property
    def label(self) -> str:
        return {
            "open": "Not told yet",
            "due_soon": "Tell them soon",
            "met": "Told in time",
            "late": "Told late",
            "breached": "Deadline passed",
        }[self.value]

    @property
    def needs_action(self) -> bool:
        return self in (DutyState.DUE_SOON, DutyState.BREACHED)


def duty_state(
    due_at: datetime, informed_at: datetime | None, now: datetime, *, warning_days: int = 7
) -> DutyState:
    """Where one duty stands; ``warning_days`` calendar days before the deadline it is due soon."""
    if informed_at is not None:
        return DutyState.MET if informed_at <= due_at else DutyState.LATE
    if now > due_at:
        return DutyState.BREACHED
    if now >= due_at - timedelta(days=warning_days):
        return DutyState.DUE_SOON
    return DutyState.OPEN


def duty_kept_until(policy: DutyToInformPolicy, informed_at: datetime) -> datetime:
    """The record of informing a candidate is kept this long (retention must not remove it)."""
    try:
        return informed_at.replace(year=informed_at.year + policy.keep_years)
    except ValueError:  # 29 February: keep it to 1 March rather than a day short
        return informed_at.replace(year=informed_at.year + policy.keep_years, month=3, day=1)
