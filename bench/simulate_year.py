"""A year of hiring on a simulated clock: does any candidate wait past their promise unheard?

Simulated people work through the real services. Candidates apply to requisitions opened over
the year; recruiters decide each stage (advance, hold, reject with a reason, hire) after
log-normal delays, some of them long (in hours of the clock, so a task due at night waits for
the morning), schedule interviews, approve feedback and closure messages, close out filled or
cancelled requisitions and mark them closed through the close-out guard; interviewers submit
scorecards, some late. Everyone takes holidays and sick days, during which they do nothing, and
works only in business hours. People read the sweep's digests: a recruiter deals sooner with
candidates whose promise was extended or must be decided, an interviewer writes the scorecards
they were reminded of.

Every ``--step-hours`` simulated hours of a business day, from 8:00 (digests) to 18:00 (after
promises lapse at 17:00), the sweep runs its steps with that ``now`` exactly as ``flask sweep``
does, then the outbox worker delivers what is due to the file mail backend, then the people at
work act. The full run takes six to seven minutes on a two-core machine.

The report checks, from the data, every promised decision date the candidates were given: was
there a decision, or an interim, status or closure message, by the end of that day? Beside it
are the promise figures and the closure timings the Insights page computes.

    python bench/simulate_year.py [--requisitions 50] [--applications 5000] [--days 365]
        [--seed 2026] [--step-hours 3] [--database URL] [--start 2026-01-05]
"""

import argparse
import bisect
import heapq
import itertools
import math
import random
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import event, func, select

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from recruitcare import create_app  # noqa: E402
from recruitcare.auth.services import create_user  # noqa: E402
from recruitcare.closure import services as closure  # noqa: E402
from recruitcare.demo import EVIDENCE, FIRST, LAST, NEXT_STEPS, REQUISITIONS, ZONES  # noqa: E402
from recruitcare.domain import insights as rules  # noqa: E402
from recruitcare.domain.deadlines import is_business_day  # noqa: E402
from recruitcare.domain.enums import (  # noqa: E402
    OPEN_APPLICATION_STATUSES,
    ApplicationStatus,
    Decision,
    DeliveryStatus,
    OutcomeStatus,
    PromiseEventKind,
    Recommendation,
    RequisitionStatus,
    Role,
)
from recruitcare.domain.feedback import Item  # noqa: E402
from recruitcare.extensions import db  # noqa: E402
from recruitcare.feedback import services as feedback  # noqa: E402
from recruitcare.insights.services import Filters, count_promises  # noqa: E402
from recruitcare.models import (  # noqa: E402
    Application,
    ClosureMessage,
    DigestSent,
    Interview,
    OutboxMessage,
    PromiseEvent,
    Reason,
    Requisition,
    Scorecard,
    StageOutcome,
    User,
)
from recruitcare.outbox.worker import Worker  # noqa: E402
from recruitcare.pipeline import services as pipeline  # noqa: E402
from recruitcare.policies import promise_policy  # noqa: E402
from recruitcare.sweep.services import STEPS, SweepSettings, lock_step  # noqa: E402

# A Monday: the Ontario duty to inform is in force for interviews from 1 January 2026.
START = date(2026, 1, 5)
# The sweep runs on business days from 8:00, when digests may go out, to 18:00, after promises
# lapse at 17:00 (in production it runs every five minutes; nothing falls due at other times).
SWEEP_HOURS = (8, 18)
# People act a few minutes after the sweep of each step, so each change has its own moment.
WORK_OFFSET = timedelta(minutes=10)
WORK_HOURS = (9, 17)
# Tasks one person gets through in one step, at most.
CAPACITY = 40
# Messages that tell a candidate something about their application.
CANDIDATE_UPDATES = ("interim", "late", "status", "closure")

# Settings the simulated organisation runs with, on top of the defaults.
APP_CONFIG = {
    "SECRET_KEY": "simulation-secret-key-simulation-secret-key",
    "MAIL_BACKEND": "file",
    "LOG_REQUESTS": False,
}


# ---- how people behave -------------------------------------------------------------------------


@dataclass(frozen=True)
class Delay:
    """How long someone takes: log-normal around ``median`` hours, and a ``slow`` share of
    tasks that sit much longer (around ``slow_median`` hours)."""

    median: float
    sigma: float = 0.9
    slow: float = 0.0
    slow_median: float = 0.0

    def sample(self, rng: random.Random) -> timedelta:
        median = self.slow_median if rng.random() < self.slow else self.median
        return timedelta(hours=rng.lognormvariate(math.log(median), self.sigma))


RECRUITER_DECIDES = Delay(median=20, slow=0.06, slow_median=8 * 24)
RECRUITER_SCHEDULES = Delay(median=8, slow=0.05, slow_median=4 * 24)
INTERVIEWER_WRITES = Delay(median=4, sigma=0.8, slow=0.2, slow_median=3 * 24)
RECRUITER_CLOSES = Delay(median=24, slow=0.05, slow_median=10 * 24)
CANDIDATE_ANSWERS_OFFER = Delay(median=60, sigma=0.5)
RECRUITER_CLOSES_OUT = Delay(median=24, sigma=0.8, slow=0.1, slow_median=6 * 24)
PAUSE_ON_HOLD = Delay(median=7 * 24, sigma=0.4)

# Share of candidates who pass each stage before the offer; offers accepted.
PASS = (0.35, 0.55, 0.5, 0.45)
OFFER_ACCEPTED = 0.8
WITHDRAWS = 0.03
HELD_AT_REVIEW = 0.03
CANCELLED_REQUISITIONS = 0.1
# How readily people act on today's digest: must-decide and extended promises (recruiters),
# missing scorecards (interviewers, and recruiters nudging them).
ACTS_ON_MUST_DECIDE = 0.9
ACTS_ON_EXTENDED = 0.35
ACTS_ON_REMINDER = 0.7


# ---- options ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Options:
    requisitions: int = 50
    applications: int = 5000
    days: int = 365
    seed: int = 2026
    step_hours: float = 3.0
    database: str | None = None
    start: date = START


def parse_options(argv: list[str] | None) -> Options:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requisitions", type=int, default=50, help="opened over the year (50)")
    parser.add_argument("--applications", type=int, default=5000, help="planned in all (5000)")
    parser.add_argument("--days", type=int, default=365, help="simulated days (365)")
    parser.add_argument("--seed", type=int, default=2026, help="random seed (2026)")
    parser.add_argument(
        "--step-hours",
        type=float,
        default=3.0,
        help="simulated hours between sweeps on business days, from 8:00 to 18:00 (3)",
    )
    parser.add_argument(
        "--database", help="an empty database's URL (default: a temporary SQLite file)"
    )
    parser.add_argument("--start", type=date.fromisoformat, default=START, help="first day")
    args = parser.parse_args(argv)
    if args.step_hours <= 0 or args.days <= 0 or args.requisitions <= 0:
        parser.error("--step-hours, --days and --requisitions must be positive")
    return Options(
        args.requisitions,
        args.applications,
        args.days,
        args.seed,
        args.step_hours,
        args.database,
        args.start,
    )


# ---- people and their agenda -------------------------------------------------------------------


@dataclass
class Person:
    user_id: int
    role: Role
    # Local days away: holidays and sick days.
    away: set[date] = field(default_factory=set)
    digests_read: date | None = None


@dataclass(order=True)
class Task:
    """Something one person will do once it is due (and they are at work)."""

    due: datetime
    seq: int
    kind: str = field(compare=False)
    person_id: int = field(compare=False)
    application_id: int | None = field(default=None, compare=False)
    requisition_id: int | None = field(default=None, compare=False)
    interview_id: int | None = field(default=None, compare=False)
    mode: str = field(default="", compare=False)
    dropped: bool = field(default=False, compare=False)


class Agenda:
    """Everyone's tasks, earliest first; a task brought forward replaces the old one."""

    def __init__(self):
        self._queues: dict[int, list[Task]] = defaultdict(list)
        self._by_application: dict[int, set[int]] = defaultdict(set)
        self._tasks: dict[int, Task] = {}
        self._seq = itertools.count()

    def add(self, due: datetime, kind: str, person_id: int, **about) -> Task:
        task = Task(due, next(self._seq), kind, person_id, **about)
        heapq.heappush(self._queues[person_id], task)
        self._tasks[task.seq] = task
        if task.application_id is not None:
            self._by_application[task.application_id].add(task.seq)
        return task

    def due(self, person_id: int, now: datetime, limit: int) -> list[Task]:
        queue, taken = self._queues[person_id], []
        while queue and len(taken) < limit and queue[0].due <= now:
            task = heapq.heappop(queue)
            if not task.dropped:
                self._forget(task)
                taken.append(task)
        return taken

    def for_application(self, application_id: int, *kinds: str) -> list[Task]:
        tasks = [self._tasks[seq] for seq in self._by_application.get(application_id, ())]
        return [t for t in tasks if not kinds or t.kind in kinds]

    def of(self, person_id: int, kind: str) -> list[Task]:
        return [t for t in self._queues[person_id] if t.kind == kind and not t.dropped]

    def drop(self, task: Task) -> None:
        task.dropped = True
        self._forget(task)

    def bring_forward(self, task: Task, due: datetime) -> None:
        if due >= task.due:
            return
        self.drop(task)
        self.add(
            due,
            task.kind,
            task.person_id,
            application_id=task.application_id,
            requisition_id=task.requisition_id,
            interview_id=task.interview_id,
            mode=task.mode,
        )

    def _forget(self, task: Task) -> None:
        self._tasks.pop(task.seq, None)
        if task.application_id is not None:
            self._by_application[task.application_id].discard(task.seq)


# ---- the plan: requisitions and who applies when ------------------------------------------------


@dataclass
class Opening:
    """A requisition as planned, and as it stands in the simulation."""

    title: str
    team: str
    location: str
    family: str
    criteria: tuple[tuple[str, str], ...]
    opens_at: datetime
    arrivals: list[datetime]
    cancel_at: datetime | None
    owner_id: int = 0
    manager_ids: list[int] = field(default_factory=list)
    requisition_id: int | None = None
    applied: int = 0
    # "fill" or "cancel" once the job ad comes down (a hire, a cancellation, or every planned
    # candidate in and none left), and since when.
    closing: str = ""
    closing_since: datetime | None = None
    closed: bool = False


def plan_openings(rng: random.Random, options: Options, start: datetime) -> list[Opening]:
    """Requisitions opened over the first 70% of the period, each taking applications for a
    few weeks; the planned applications split unevenly between them."""
    weights = [rng.gammavariate(2.0, 1.0) for _ in range(options.requisitions)]
    counts = [int(options.applications * w / sum(weights)) for w in weights]
    for i in range(options.applications - sum(counts)):
        counts[i % len(counts)] += 1
    openings = []
    for n, count in enumerate(counts):
        title, team, location, family, *_rest, criteria = REQUISITIONS[n % len(REQUISITIONS)]
        round_ = n // len(REQUISITIONS)
        opens_at = start + timedelta(days=rng.uniform(0, 0.7 * options.days))
        window = timedelta(days=min(45.0, rng.uniform(0.1, 0.2) * options.days))
        arrivals = sorted(opens_at + rng.random() * window for _ in range(count))
        cancelled = rng.random() < CANCELLED_REQUISITIONS
        openings.append(
            Opening(
                title=f"{title} {round_ + 1}" if round_ else title,
                team=team,
                location=location,
                family=family,
                criteria=criteria,
                opens_at=opens_at,
                arrivals=arrivals,
                cancel_at=opens_at + window * rng.uniform(0.5, 1.5) if cancelled else None,
            )
        )
    return openings


def plan_absences(rng: random.Random, start: date, days: int) -> set[date]:
    """Over a year, a fortnight's holiday, a week's and a few sick days; over a shorter period,
    each as likely as it is to fall in it."""
    away: set[date] = set()
    share = min(1.0, days / 365)
    for length in (14, 7):
        if rng.random() >= share:
            continue
        first = start + timedelta(days=rng.randrange(max(1, days - length)))
        away.update(first + timedelta(days=i) for i in range(length))
    for _ in range(round(rng.randint(2, 6) * share)):
        first = start + timedelta(days=rng.randrange(days))
        away.update(first + timedelta(days=i) for i in range(rng.choice((1, 1, 1, 2, 3))))
    return away


# ---- the promise log: what candidates were told, watched from outside ---------------------------


@dataclass
class Promise:
    application_id: int
    made_at: datetime
    due_at: datetime
    # The stage and status it was given for: a decision renews the promise, sometimes with
    # the same date (advanced on the day of applying).
    given_for: tuple
    ended_at: datetime | None = None


class PromiseWatch:
    """Every promised decision date of every open application, as it changes.

    Read from the applications after each phase of a step, independently of the promise
    events the application itself records, so the two can be compared.
    """

    def __init__(self):
        self.current: dict[int, Promise] = {}
        self.promises: list[Promise] = []

    def observe(self, now: datetime) -> None:
        seen = {
            application_id: (due_at, (stage_id, status))
            for application_id, due_at, stage_id, status in db.session.execute(
                select(
                    Application.id,
                    Application.decision_due_at,
                    Application.stage_id,
                    Application.status,
                ).where(Application.status.in_(OPEN_APPLICATION_STATUSES))
            )
        }
        for application_id, promise in list(self.current.items()):
            if seen.get(application_id) != (promise.due_at, promise.given_for):
                promise.ended_at = now
                del self.current[application_id]
        for application_id, (due_at, given_for) in seen.items():
            if application_id not in self.current and due_at is not None:
                promise = Promise(application_id, now, due_at, given_for)
                self.current[application_id] = promise
                self.promises.append(promise)


# ---- the simulation -----------------------------------------------------------------------------


@dataclass
class Tally:
    closures_left: Counter = field(default_factory=Counter)
    guard_refusals: int = 0
    # Times a recruiter marked a requisition closed while closures were still on their way.
    closing_on_delivery: int = 0
    interviews: int = 0
    scorecards: int = 0
    mail: Counter = field(default_factory=Counter)


class Simulation:
    """The simulated organisation: its people, their agenda and the plan, over the app."""

    def __init__(self, app, options: Options):
        self.options = options
        self.rng = random.Random(options.seed)
        self.zone = ZoneInfo(app.config["ORG_TIMEZONE"])
        self.policy = promise_policy(app.config)
        self.settings = SweepSettings.from_config(app.config)
        self.start = datetime.combine(options.start, clock_time(0), tzinfo=self.zone).astimezone(
            UTC
        )
        self.end = self.start + timedelta(days=options.days)
        self.now = self.start
        self.agenda = Agenda()
        self.watch = PromiseWatch()
        self.tally = Tally()
        self.people: dict[int, Person] = {}
        self.openings = plan_openings(self.rng, options, self.start)
        self.by_requisition: dict[int, Opening] = {}
        self.arrivals = sorted(
            (moment, n) for n, opening in enumerate(self.openings) for moment in opening.arrivals
        )
        self.next_arrival = 0
        self.names = itertools.count(1)
        self.worker = Worker.from_app(app, clock=lambda: self.now, name="simulated-worker")

    # ---- the clock --------------------------------------------------------------------------

    def steps(self) -> Iterator[datetime]:
        """Every ``step_hours`` of each business day's sweep hours, and at their end unless a
        step fell after promises lapse."""
        step = timedelta(hours=self.options.step_hours)
        first_day = self.start.astimezone(self.zone).date()
        for offset in range(self.options.days):
            day = first_day + timedelta(days=offset)
            if not is_business_day(day, self.policy.holidays):
                continue
            moment = datetime.combine(day, clock_time(SWEEP_HOURS[0]), tzinfo=self.zone)
            last = datetime.combine(day, clock_time(SWEEP_HOURS[1]), tzinfo=self.zone)
            while moment <= last:
                yield moment.astimezone(UTC)
                moment += step
            if moment - step < last - timedelta(hours=1):
                yield last.astimezone(UTC)

    def at_work(self, person: Person, moment: datetime) -> bool:
        local = moment.astimezone(self.zone)
        return (
            is_business_day(local.date(), self.policy.holidays)
            and WORK_HOURS[0] <= local.hour < WORK_HOURS[1]
            and local.date() not in person.away
        )

    def run(self) -> None:
        self.seed_organisation()
        for moment in self.steps():
            self.now = moment
            self.open_requisitions(moment)
            self.take_applications(moment)
            self.sweep(moment)
            self.deliver_mail()
            self.watch.observe(moment)
            work_at = moment + WORK_OFFSET
            self.now = work_at
            self.work(work_at)
            self.watch.observe(work_at)
        self.now = self.end

    # ---- the organisation -------------------------------------------------------------------

    def seed_organisation(self) -> None:
        """An admin, recruiters and hiring managers for each team, the default reasons and
        message templates."""
        rng, start = self.rng, self.start
        self.admin = self.add_person(Role.ADMIN, start)
        teams = sorted({opening.team for opening in self.openings})
        recruiters = [
            self.add_person(Role.RECRUITER, start)
            for _ in range(max(2, math.ceil(self.options.requisitions / 8)))
        ]
        managers: dict[str, list[int]] = {team: [] for team in teams}
        for _ in range(2):
            for team in teams:
                managers[team].append(self.add_person(Role.HIRING_MANAGER, start))
        for n, opening in enumerate(self.openings):
            opening.owner_id = recruiters[n % len(recruiters)]
            team = managers[opening.team]
            opening.manager_ids = rng.sample(team, k=len(team))
        pipeline.seed_default_reasons()
        closure.seed_default_templates(now=start)
        db.session.commit()
        self.reasons = {r.code: r.id for r in db.session.scalars(select(Reason))}

    def add_person(self, role: Role, now: datetime) -> int:
        n = next(self.names)
        name = f"{FIRST[n % len(FIRST)]} {LAST[(n * 7) % len(LAST)]}"
        user = create_user(f"{role.value}{n}@northwind.example", name, role, password=None, now=now)
        away = plan_absences(self.rng, self.options.start, self.options.days)
        self.people[user.id] = Person(user.id, role, away=away)
        return user.id

    def user(self, user_id: int) -> User:
        return db.session.get_one(User, user_id)

    def reason(self, code: str) -> Reason:
        return db.session.get_one(Reason, self.reasons[code])

    def open_requisitions(self, now: datetime) -> None:
        for opening in self.openings:
            if opening.requisition_id is None and opening.opens_at <= now:
                owner = self.user(opening.owner_id)
                requisition = pipeline.create_requisition(
                    title=opening.title,
                    team=opening.team,
                    location=opening.location,
                    role_family=opening.family,
                    owner=owner,
                    members=[self.user(m) for m in opening.manager_ids],
                    criteria=opening.criteria,
                    actor=owner,
                    now=now,
                )
                opening.requisition_id = requisition.id
                self.by_requisition[requisition.id] = opening
                if opening.cancel_at is not None:
                    self.agenda.add(
                        opening.cancel_at,
                        "close_out",
                        opening.owner_id,
                        requisition_id=requisition.id,
                        mode="cancel",
                    )
        db.session.commit()

    # ---- candidates ---------------------------------------------------------------------------

    def take_applications(self, now: datetime) -> None:
        """Candidates who applied since the last step. One whose job ad came down meanwhile
        applies to another open requisition instead, if there is one."""
        while self.next_arrival < len(self.arrivals) and self.arrivals[self.next_arrival][0] <= now:
            _moment, n = self.arrivals[self.next_arrival]
            self.next_arrival += 1
            opening = self.openings[n]
            if opening.closing:
                still_open = [o for o in self.openings if o.requisition_id and not o.closing]
                if not still_open:
                    continue
                opening = self.rng.choice(still_open)
            self.apply(opening, now)
        db.session.commit()

    def apply(self, opening: Opening, now: datetime) -> None:
        n = next(self.names)
        first, last = FIRST[n % len(FIRST)], LAST[(n // len(FIRST)) % len(LAST)]
        candidate = pipeline.find_or_create_candidate(
            name=f"{first} {last}",
            email=f"{first}.{last}.{n}@mail.example".lower(),
            now=now,
            timezone=self.rng.choice(ZONES),
        )
        requisition = db.session.get_one(Requisition, opening.requisition_id)
        application = pipeline.add_application(
            requisition, candidate, now=now, policy=self.policy, actor=None
        )
        opening.applied += 1
        self.agenda.add(
            now + RECRUITER_DECIDES.sample(self.rng),
            "decide",
            opening.owner_id,
            application_id=application.id,
        )

    # ---- the working day ----------------------------------------------------------------------

    def work(self, now: datetime) -> None:
        """Everyone at work reads today's digests, then does what is due, earliest first;
        closure messages last, approved together as on the Close out page."""
        self.decided_now: set[int] = set()
        for person in self.people.values():
            if not self.at_work(person, now):
                continue
            today = now.astimezone(self.zone).date()
            if person.digests_read != today:
                person.digests_read = today
                self.read_digests(person, today, now)
                if person.role is Role.RECRUITER:
                    self.look_over_requisitions(person, now)
            tasks = self.agenda.due(person.user_id, now, CAPACITY)
            for task in tasks:
                if task.kind != "closure":
                    ACTIONS[task.kind](self, task, now)
            closures = [t.application_id for t in tasks if t.kind == "closure"]
            if closures:
                self.send_closures(person, closures, now)
            db.session.commit()

    def read_digests(self, person: Person, today: date, now: datetime) -> None:
        """Today's digests make people act sooner on what they list."""
        kinds = set(
            db.session.scalars(
                select(DigestSent.kind).where(
                    DigestSent.user_id == person.user_id, DigestSent.day == today
                )
            )
        )
        rng = self.rng
        if "scorecards" in kinds:
            for task in self.agenda.of(person.user_id, "scorecard"):
                if rng.random() < ACTS_ON_REMINDER:
                    self.agenda.bring_forward(task, now + timedelta(hours=rng.uniform(0, 4)))
        if "escalation" in kinds and person.role is Role.RECRUITER:
            waiting = db.session.execute(
                select(Application.id, Application.must_decide_since.is_not(None))
                .join(Requisition, Requisition.id == Application.requisition_id)
                .where(
                    Requisition.owner_id == person.user_id,
                    Application.status.in_(OPEN_APPLICATION_STATUSES),
                    (Application.promise_extensions > 0)
                    | Application.must_decide_since.is_not(None),
                )
            ).all()
            for application_id, must_decide in waiting:
                share = ACTS_ON_MUST_DECIDE if must_decide else ACTS_ON_EXTENDED
                if rng.random() >= share:
                    continue
                soon = now + timedelta(hours=rng.uniform(0, 6 if must_decide else 24))
                for task in self.agenda.for_application(application_id):
                    self.agenda.bring_forward(task, soon)
                if must_decide:
                    self.decide_now(person, application_id, soon)

    def decide_now(self, person: Person, application_id: int, soon: datetime) -> None:
        """A candidate who must be decided: when the position is being filled or cancelled,
        the recruiter closes it out now; when the decision waits on interviewers, the
        recruiter decides without them."""
        requisition_id = db.session.get_one(Application, application_id).requisition_id
        if self.by_requisition[requisition_id].closing:
            for task in self.agenda.of(person.user_id, "close_out"):
                if task.requisition_id == requisition_id:
                    self.agenda.bring_forward(task, soon)
        elif not self.agenda.for_application(application_id, "decide", "schedule"):
            self.agenda.add(soon, "decide", person.user_id, application_id=application_id)

    def look_over_requisitions(self, person: Person, now: datetime) -> None:
        """Each morning: a requisition with every planned candidate in, none left open and no
        hire is cancelled."""
        for opening in self.openings:
            if opening.owner_id != person.user_id or opening.closing or not opening.requisition_id:
                continue
            if opening.arrivals and opening.arrivals[-1] > now:
                continue
            still_open = db.session.scalar(
                select(func.count(Application.id)).where(
                    Application.requisition_id == opening.requisition_id,
                    Application.status.in_(OPEN_APPLICATION_STATUSES),
                )
            )
            if not still_open:
                self.start_closing(opening, "cancel", now)

    def start_closing(self, opening: Opening, mode: str, now: datetime) -> None:
        """The job ad comes down; the owner closes out the remaining candidates."""
        if opening.closing:
            return
        opening.closing, opening.closing_since = mode, now
        self.agenda.add(
            now + RECRUITER_CLOSES_OUT.sample(self.rng),
            "close_out",
            opening.owner_id,
            requisition_id=opening.requisition_id,
            mode=mode,
        )

    # ---- a recruiter's decisions ----------------------------------------------------------------

    def decide(self, task: Task, now: datetime) -> None:
        """Decide the application's current stage through ``record_outcome``."""
        application = db.session.get_one(Application, task.application_id)
        opening = self.by_requisition[application.requisition_id]
        if not application.status.is_open or opening.closing:
            return  # closed meanwhile, or the close-out will answer them
        stages = application.requisition.stages
        index = stages.index(application.stage)
        decision, code = self.choose(application, index)
        owner = self.user(opening.owner_id)
        pipeline.record_outcome(
            application,
            decision=decision,
            actor=owner,
            now=now,
            policy=self.policy,
            reason=self.reason(code) if code else None,
        )
        self.decided_now.add(application.id)
        self.after_decision(application, opening, now)

    def choose(self, application: Application, index: int) -> tuple[Decision, str | None]:
        rng = self.rng
        if application.status is ApplicationStatus.OFFER:
            if rng.random() < OFFER_ACCEPTED:
                return Decision.ADVANCE, None
            return Decision.WITHDRAWN, "declined_offer"
        if rng.random() < WITHDRAWS:
            return Decision.WITHDRAWN, "candidate_withdrew"
        at_review = index == 0 and application.status is ApplicationStatus.ACTIVE
        if at_review and rng.random() < HELD_AT_REVIEW:
            return Decision.HOLD, None
        if rng.random() < PASS[index]:
            return Decision.ADVANCE, None
        if index == 0:
            return Decision.REJECT, "requirement_not_met"
        return Decision.REJECT, rng.choice(("criteria_mismatch", "closer_candidate"))

    def after_decision(self, application: Application, opening: Opening, now: datetime) -> None:
        """What the decision sets in motion for the people involved."""
        owner, rng = opening.owner_id, self.rng
        status, stage = application.status, application.stage
        if status is ApplicationStatus.HIRED:
            self.start_closing(opening, "fill", now)
        elif not status.is_open:
            self.agenda.add(
                now + RECRUITER_CLOSES.sample(rng),
                "closure",
                owner,
                application_id=application.id,
            )
        elif status is ApplicationStatus.ON_HOLD:
            self.agenda.add(
                now + PAUSE_ON_HOLD.sample(rng), "decide", owner, application_id=application.id
            )
        elif status is ApplicationStatus.OFFER:
            answer = CANDIDATE_ANSWERS_OFFER.sample(rng) + RECRUITER_DECIDES.sample(rng)
            self.agenda.add(now + answer, "decide", owner, application_id=application.id)
        elif stage.is_interview:
            self.agenda.add(
                now + RECRUITER_SCHEDULES.sample(rng),
                "schedule",
                owner,
                application_id=application.id,
            )
        else:
            self.agenda.add(
                now + RECRUITER_DECIDES.sample(rng), "decide", owner, application_id=application.id
            )

    # ---- interviews and scorecards --------------------------------------------------------------

    def schedule(self, task: Task, now: datetime) -> None:
        """An interview one to five business days on, with the stage's interviewers."""
        application = db.session.get_one(Application, task.application_id)
        opening = self.by_requisition[application.requisition_id]
        if not application.status.is_open or opening.closing:
            return
        rng = self.rng
        day = now.astimezone(self.zone).date()
        for _ in range(rng.randint(1, 5)):
            day += timedelta(days=1)
            while not is_business_day(day, self.policy.holidays):
                day += timedelta(days=1)
        when = datetime.combine(
            day, clock_time(rng.randint(10, 15), rng.choice((0, 30))), tzinfo=self.zone
        ).astimezone(UTC)
        index = application.requisition.stages.index(application.stage)
        interviewers = {1: [opening.owner_id], 2: opening.manager_ids[:1]}.get(
            index, opening.manager_ids[:2]
        )
        interview = pipeline.schedule_interview(
            application,
            stage=application.stage,
            when=when,
            interviewers=[self.user(i) for i in interviewers],
            actor=self.user(opening.owner_id),
            now=now,
        )
        self.tally.interviews += 1
        for interviewer in interviewers:
            self.agenda.add(
                when + timedelta(hours=1) + INTERVIEWER_WRITES.sample(rng),
                "scorecard",
                interviewer,
                application_id=application.id,
                interview_id=interview.id,
            )

    def write_scorecard(self, task: Task, now: datetime) -> None:
        """A submitted scorecard with evidence per criterion; the decision follows the last."""
        interview = db.session.get_one(Interview, task.interview_id)
        application = interview.application
        criteria = application.requisition.criteria
        rng = self.rng
        ratings = {c.id: rng.choice((1, 2, 2, 3, 3, 3, 4)) for c in criteria}
        ranked = sorted(criteria, key=lambda c: -ratings[c.id])
        data = feedback.ScorecardInput(
            ratings=ratings,
            evidence={c.id: EVIDENCE[ratings[c.id]].format(c=c.name.lower()) for c in criteria},
            strengths=[
                Item(c.id, f"Your example of {c.name.lower()} was specific and showed the result.")
                for c in ranked[:2]
            ],
            growth=[
                Item(
                    ranked[-1].id,
                    f"Show {ranked[-1].name.lower()} with an example from your own work.",
                )
            ],
            next_step=rng.choice(NEXT_STEPS),
            recommendation=rng.choice(list(Recommendation)),
            private_notes="",
        )
        feedback.save_scorecard(interview, self.user(task.person_id), data, submit=True, now=now)
        self.tally.scorecards += 1
        pending = self.agenda.for_application(application.id, "scorecard", "decide")
        still_there = application.status.is_open and application.stage_id == interview.stage_id
        if still_there and not pending:
            owner = self.by_requisition[application.requisition_id].owner_id
            self.agenda.add(
                now + RECRUITER_DECIDES.sample(rng), "decide", owner, application_id=application.id
            )

    # ---- closure messages ------------------------------------------------------------------------

    def send_closures(self, person: Person, application_ids: list[int], now: datetime) -> None:
        """Approve the closure messages of finished candidates, a requisition at a time, as
        on the Close out page: feedback first for those rejected after an interview, and a
        personal sentence where the message needs one."""
        owner = self.user(person.user_id)
        scheduled = set(
            db.session.scalars(
                select(ClosureMessage.application_id).where(
                    ClosureMessage.application_id.in_(application_ids),
                    ClosureMessage.outbox_message_id.is_not(None),
                )
            )
        )
        wanted = [i for i in application_ids if i not in scheduled]
        applications = closure.load_for_closure(wanted)
        for application in applications:
            self.approve_feedback(application, owner, now)
        by_requisition = defaultdict(list)
        for application in applications:
            by_requisition[application.requisition_id].append(application)
        for batch in by_requisition.values():
            self.approve_closures(batch, owner, now)

    def approve_feedback(self, application: Application, owner: User, now: datetime) -> None:
        if not feedback.can_compose(application) or feedback.feedback_of(application):
            return
        contents = feedback.submitted_contents(application)
        if not contents:
            return
        draft = feedback.starting_draft(application, contents)
        try:
            feedback.approve_feedback(application, draft, actor=owner, now=now)
        except feedback.FeedbackError:
            self.tally.closures_left["feedback refused"] += 1

    def approve_closures(self, batch: list[Application], owner: User, now: datetime) -> None:
        ctx = closure.Context.build(batch)
        approved = []
        for application in batch:
            draft = closure.draft_for(application, ctx, now=now)
            item = closure.review(application, draft, ctx)
            if item.personalized is False:
                draft = closure.save_draft(
                    draft,
                    subject=draft.subject,
                    body=draft.body.replace(
                        "\n\n", f"\n\n{self.personal_note(application)}\n\n", 1
                    ),
                    key=draft.template_key,
                    actor=owner,
                    now=now,
                )
                item = closure.review(application, draft, ctx)
            if item.problems or item.blocking:
                self.tally.closures_left[" ".join(item.problems) or "checker"] += 1
                continue
            approved.append((item, ""))
        if approved:
            closure.approve(approved, actor=owner, now=now)

    def personal_note(self, application: Application) -> str:
        criterion = self.rng.choice(application.requisition.criteria).name.lower()
        stage = application.stage.name.lower()
        return (
            f"I enjoyed our conversation at the {stage}, especially hearing how you "
            f"approach {criterion} in your current work."
        )

    # ---- closing requisitions --------------------------------------------------------------------

    def close_out(self, task: Task, now: datetime) -> None:
        """As the Close out page does when filling or cancelling: everyone still open is
        rejected with the situation's reason, and every owed closure is approved."""
        opening = self.by_requisition[task.requisition_id]
        if opening.closed:
            return
        if not opening.closing:
            opening.closing, opening.closing_since = task.mode, now
        still_open = db.session.scalars(
            select(Application).where(
                Application.requisition_id == opening.requisition_id,
                Application.status.in_(OPEN_APPLICATION_STATUSES),
            )
        ).all()
        if any(application.id in self.decided_now for application in still_open):
            # One decision per candidate per step: the close-out waits for the next step.
            self.agenda.add(
                now,
                "close_out",
                task.person_id,
                requisition_id=task.requisition_id,
                mode=task.mode,
            )
            return
        owner = self.user(opening.owner_id)
        code = "position_filled" if opening.closing == "fill" else "position_cancelled"
        for application in still_open:
            pipeline.record_outcome(
                application,
                decision=Decision.REJECT,
                reason=self.reason(code),
                actor=owner,
                now=now,
                policy=self.policy,
            )
        owed = self.owed_closures(opening)
        for application_id in owed:
            for pending in self.agenda.for_application(application_id, "closure"):
                self.agenda.drop(pending)
        self.send_closures(self.people[owner.id], owed, now)
        self.agenda.add(
            now + timedelta(days=1),
            "close_requisition",
            owner.id,
            requisition_id=opening.requisition_id,
        )

    def owed_closures(self, opening: Opening) -> list[int]:
        """The requisition's finished candidates owed a closure message."""
        return list(
            db.session.scalars(
                select(Application.id).where(
                    Application.requisition_id == opening.requisition_id,
                    Application.status.in_(pipeline.CLOSURE_OWED),
                )
            )
        )

    def close_requisition(self, task: Task, now: datetime) -> None:
        """Mark the requisition filled or cancelled as the edit form does: the close-out guard
        sends the recruiter back while a candidate has no final outcome; with every outcome
        recorded it closes at once if every closure was delivered, or else as soon as the
        outbox worker delivers the last one. The recruiter looks again the next day."""
        opening = self.by_requisition[task.requisition_id]
        requisition = db.session.get_one(Requisition, task.requisition_id)
        status = (
            RequisitionStatus.FILLED if opening.closing == "fill" else RequisitionStatus.CANCELLED
        )
        if requisition.status is status:
            opening.closed = True
            return
        owner = self.user(opening.owner_id)
        try:
            closed = pipeline.close_when_delivered(requisition, status, actor=owner, now=now)
        except pipeline.CloseOutNeeded:
            self.tally.guard_refusals += 1
            self.agenda.add(now, "close_out", owner.id, requisition_id=requisition.id)
            return
        if closed:
            opening.closed = True
            return
        self.tally.closing_on_delivery += 1
        self.send_closures(self.people[owner.id], self.owed_closures(opening), now)
        self.agenda.add(
            now + timedelta(days=1),
            "close_requisition",
            owner.id,
            requisition_id=requisition.id,
        )

    # ---- the machinery: the sweep and the outbox worker ------------------------------------------

    def sweep(self, now: datetime) -> None:
        """The steps of ``flask sweep --now NOW``, each committed on its own as the command
        does. A failing step stops the simulation: here it is a finding, not noise."""
        for step in STEPS:
            if lock_step(step.__name__):
                step(now, self.settings)
                db.session.commit()

    def deliver_mail(self) -> None:
        """``flask outbox run --once`` at the simulated moment, to the file mail backend."""
        db.session.commit()
        report = self.worker.run(once=True)
        self.tally.mail.update(report.outcomes)


ACTIONS = {
    "decide": Simulation.decide,
    "schedule": Simulation.schedule,
    "scorecard": Simulation.write_scorecard,
    "close_out": Simulation.close_out,
    "close_requisition": Simulation.close_requisition,
}


# ---- the report ---------------------------------------------------------------------------------


def end_of_day(moment: datetime, zone: ZoneInfo) -> datetime:
    """The first moment after the local day of ``moment``: a promise names a day."""
    day = moment.astimezone(zone).date() + timedelta(days=1)
    return datetime.combine(day, clock_time(0), tzinfo=zone).astimezone(UTC)


@dataclass(frozen=True)
class Unanswered:
    application_id: int
    due_at: datetime
    must_decide: bool


def why_undecided(sim: Simulation, missed: list[Unanswered]) -> Counter:
    """For each promise that lapsed unanswered, the first that applies: the owning recruiter
    was away since the last decision (or the application), the requisition was waiting for
    its close-out, a scorecard was still missing, or none of these (the recruiter was slow)."""
    reasons = Counter()
    for item in missed:
        application = db.session.get_one(Application, item.application_id)
        opening = sim.by_requisition[application.requisition_id]
        owner = sim.people[opening.owner_id]
        since = max(
            [o.decided_at for o in application.outcomes if o.decided_at <= item.due_at],
            default=application.created_at,
        )
        first, last = (moment.astimezone(sim.zone).date() for moment in (since, item.due_at))
        away = any(first + timedelta(days=n) in owner.away for n in range((last - first).days + 1))
        submitted = {
            (card.interview_id, card.interviewer_id)
            for card in db.session.scalars(
                select(Scorecard).where(
                    Scorecard.application_id == application.id,
                    Scorecard.submitted_at <= item.due_at,
                )
            )
        }
        missing = any(
            (interview.id, interviewer.id) not in submitted
            for interview in application.interviews
            if interview.scheduled_at <= item.due_at
            for interviewer in interview.interviewers
        )
        if away:
            reasons["the recruiter was away meanwhile"] += 1
        elif opening.closing_since is not None and opening.closing_since <= item.due_at:
            reasons["the position was filled or cancelled, close-out pending"] += 1
        elif missing:
            reasons["a scorecard was still missing"] += 1
        else:
            reasons["the recruiter had not decided yet"] += 1
    return reasons


def check_promises(
    promises: list[Promise], zone: ZoneInfo, end: datetime
) -> tuple[int, list[Unanswered], timedelta]:
    """Of the promises whose day ended within the simulation, those with neither a decision
    nor a candidate update (interim, status or closure message, enqueued) after the promise
    was made and by the end of the promised day; and the longest a candidate waited past a
    promised moment before hearing. Read from the data, not from the promise events."""
    decided = defaultdict(list)
    for application_id, at in db.session.execute(
        select(StageOutcome.application_id, StageOutcome.decided_at).where(
            StageOutcome.status == OutcomeStatus.CONFIRMED
        )
    ):
        decided[application_id].append(at)
    told = defaultdict(list)
    for application_id, at in db.session.execute(
        select(OutboxMessage.application_id, OutboxMessage.created_at).where(
            OutboxMessage.purpose.in_(CANDIDATE_UPDATES),
            OutboxMessage.status != DeliveryStatus.CANCELLED,
        )
    ):
        told[application_id].append(at)
    answers = {
        application_id: sorted(decided[application_id] + told[application_id])
        for application_id in set(decided) | set(told)
    }
    must_decide = {
        (application_id, due_at)
        for application_id, due_at in db.session.execute(
            select(PromiseEvent.application_id, PromiseEvent.old_due_at).where(
                PromiseEvent.kind == PromiseEventKind.BROKEN, PromiseEvent.outcome_id.is_(None)
            )
        )
    }
    due, missed, longest = 0, [], timedelta(0)
    for promise in promises:
        deadline = end_of_day(promise.due_at, zone)
        if deadline > end:
            continue
        due += 1
        times = answers.get(promise.application_id, [])
        first = bisect.bisect_right(times, promise.made_at)
        answer = times[first] if first < len(times) else None
        if answer is None or answer >= deadline:
            key = (promise.application_id, promise.due_at)
            missed.append(Unanswered(promise.application_id, promise.due_at, key in must_decide))
        elif answer > promise.due_at:
            longest = max(longest, answer - promise.due_at)
    return due, missed, longest


def report(sim: Simulation) -> dict:
    zone = sim.zone
    first_day = sim.start.astimezone(zone).date()
    last_day = (sim.end - timedelta(seconds=1)).astimezone(zone).date()
    filters = Filters(period=rules.Period(first_day, last_day))
    promise_counts = count_promises(db.session.get_one(User, sim.admin), filters, zone=zone)
    due, missed, longest = check_promises(sim.watch.promises, zone, sim.end)
    why = why_undecided(sim, missed)

    def count(*where) -> int:
        return db.session.scalar(select(func.count()).select_from(OutboxMessage).where(*where))

    delivered = OutboxMessage.status == DeliveryStatus.DELIVERED
    digests = Counter(
        dict(
            db.session.execute(
                select(DigestSent.kind, func.count()).group_by(DigestSent.kind)
            ).all()
        )
    )
    closure_times = db.session.execute(
        select(Application.created_at, StageOutcome.decided_at, OutboxMessage.delivered_at)
        .join(ClosureMessage, ClosureMessage.application_id == Application.id)
        .join(OutboxMessage, OutboxMessage.id == ClosureMessage.outbox_message_id)
        .join(
            StageOutcome,
            (StageOutcome.application_id == Application.id)
            & (StageOutcome.decided_at == Application.closed_at),
        )
        .where(delivered)
    ).all()
    to_closure = rules.timing(rules.days_between(a, d) for a, _decided, d in closure_times)
    decision_to_closure = rules.timing(rules.days_between(c, d) for _a, c, d in closure_times)
    done = needed = 0
    requisitions = db.session.scalars(select(Requisition)).all()
    for requisition in requisitions:
        part, whole = closure.closure_completeness(requisition.id)
        done, needed = done + part, needed + whole
    statuses = Counter(r.status for r in requisitions)
    applications = Counter(
        dict(
            db.session.execute(
                select(Application.status, func.count()).group_by(Application.status)
            ).all()
        )
    )
    # Each promise the watch saw end was settled once: kept, extended or broken. So was each
    # one still running after its last extension (broken when it lapsed).
    must_decide = set(
        db.session.scalars(
            select(Application.id).where(
                Application.status.in_(OPEN_APPLICATION_STATUSES),
                Application.must_decide_since.is_not(None),
            )
        )
    )
    settled = sum(
        1 for p in sim.watch.promises if p.ended_at is not None or p.application_id in must_decide
    )
    figures = {
        "applications": sum(applications.values()),
        "applications planned": sim.options.applications,
        "hired": applications[ApplicationStatus.HIRED],
        "rejected": applications[ApplicationStatus.REJECTED],
        "withdrawn": applications[ApplicationStatus.WITHDRAWN],
        "still open": sum(applications[s] for s in OPEN_APPLICATION_STATUSES),
        "promises due in the period": due,
        "waited past promise without update": len({m.application_id for m in missed}),
        "promises past due without update": len(missed),
        "  of which after the last interim update (must decide)": sum(
            m.must_decide for m in missed
        ),
        **{f"  of which {reason}": count for reason, count in sorted(why.items())},
        "longest wait past a promise before an update (hours)": round(
            longest.total_seconds() / 3600, 1
        ),
        "promises kept": promise_counts[PromiseEventKind.KEPT],
        "promises extended": promise_counts[PromiseEventKind.EXTENDED],
        "promises broken": promise_counts[PromiseEventKind.BROKEN],
        "promises settled (watched)": settled,
        "interim updates sent": count(OutboxMessage.purpose == "interim", delivered),
        "late notices sent (decision past every extension)": count(
            OutboxMessage.purpose == "late", delivered
        ),
        "status updates sent": count(OutboxMessage.purpose == "status", delivered),
        "closure messages sent": count(OutboxMessage.purpose == "closure", delivered),
        "escalation digests sent": digests["escalation"],
        "scorecard reminder digests sent": digests["scorecards"],
        "application to delivered closure, median (days)": _days(to_closure.median),
        "application to delivered closure, p90 (days)": _days(to_closure.p90),
        "decision to delivered closure, median (days)": _days(decision_to_closure.median),
        "decision to delivered closure, p90 (days)": _days(decision_to_closure.p90),
        "finished candidates with a delivered closure": rules.share(done, needed).percent,
        "closures delivered / owed": f"{done} / {needed}",
        "requisitions opened": len(requisitions),
        "requisitions filled": statuses[RequisitionStatus.FILLED],
        "requisitions cancelled": statuses[RequisitionStatus.CANCELLED],
        "requisitions closed": statuses[RequisitionStatus.FILLED]
        + statuses[RequisitionStatus.CANCELLED],
        "close-out guard refusals (a candidate without a final outcome)": (
            sim.tally.guard_refusals
        ),
        "closings waiting for the last deliveries": sim.tally.closing_on_delivery,
        "interviews": sim.tally.interviews,
        "scorecards": sim.tally.scorecards,
        "closures left for the recruiter": sum(sim.tally.closures_left.values()),
        "messages delivered by the worker": sim.tally.mail["delivered"],
        "simulated days": sim.options.days,
        "step (hours)": sim.options.step_hours,
    }
    return figures


def _days(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def print_table(figures: dict) -> None:
    width = max(len(name) for name in figures)
    for name, value in figures.items():
        shown = "—" if value is None else f"{value:,}" if isinstance(value, int) else value
        print(f"{name:<{width}}  {shown}")


# ---- running it ---------------------------------------------------------------------------------


def simulate(app, options: Options) -> dict:
    """Run the simulation in ``app``'s empty database and return the report's figures."""
    started = time.perf_counter()
    with app.app_context():
        if db.session.scalar(select(func.count(User.id))):
            raise SystemExit("the database is not empty; give an empty one")
        sim = Simulation(app, options)
        sim.run()
        db.session.commit()
        figures = report(sim)
        figures["wall time (s)"] = round(time.perf_counter() - started, 1)
        return figures


def _without_fsync(connection, _record) -> None:
    """The throwaway SQLite file need not survive a crash: commits skip the disk flush."""
    connection.execute("PRAGMA journal_mode = WAL")
    connection.execute("PRAGMA synchronous = OFF")


def main(argv: list[str] | None = None) -> dict:
    options = parse_options(argv)
    with tempfile.TemporaryDirectory(prefix="simulate-year-") as workdir:
        uri = options.database or f"sqlite:///{Path(workdir) / 'year.sqlite'}"
        app = create_app(
            {
                **APP_CONFIG,
                "SQLALCHEMY_DATABASE_URI": uri,
                "MAIL_FILE_DIR": str(Path(workdir) / "mail"),
            },
            instance_path=str(Path(workdir) / "instance"),
        )
        with app.app_context():
            if not options.database:
                event.listen(db.engine, "connect", _without_fsync)
            db.create_all()
        figures = simulate(app, options)
        with app.app_context():
            db.engine.dispose()
    print_table(figures)
    return figures


if __name__ == "__main__":
    main()
