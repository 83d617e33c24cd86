"""A believable demo organisation with invented people, for trying RecruitCare out."""

import random
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select

from recruitcare.auth.services import create_user
from recruitcare.closure import services as closure
from recruitcare.closure.services import seed_default_templates
from recruitcare.domain.deadlines import PromisePolicy
from recruitcare.domain.enums import (
    ApplicationStatus,
    Decision,
    DeliveryStatus,
    Recommendation,
    RequisitionStatus,
    Role,
)
from recruitcare.domain.feedback import FeedbackDraft, Item
from recruitcare.domain.portal import CallMedium
from recruitcare.extensions import db
from recruitcare.feedback import services as feedback
from recruitcare.models import Application, OutboxMessage, Reason, Requisition, User
from recruitcare.pipeline import services as pipeline
from recruitcare.portal import services as portal
from recruitcare.sweep.updates import STATUS_PURPOSE

DEMO_PASSWORD = "recruitcare-demo-2026"


@dataclass(frozen=True)
class DemoAccount:
    email: str
    name: str
    role: Role


ACCOUNTS = (
    DemoAccount("admin@northwind.example", "Morgan Ellery", Role.ADMIN),
    DemoAccount("rhea@northwind.example", "Rhea Castellano", Role.RECRUITER),
    DemoAccount("tomasz@northwind.example", "Tomasz Wilk", Role.RECRUITER),
    DemoAccount("amara@northwind.example", "Amara Osei", Role.RECRUITER),
    DemoAccount("priya@northwind.example", "Priya Raman", Role.HIRING_MANAGER),
    DemoAccount("jonas@northwind.example", "Jonas Lindqvist", Role.HIRING_MANAGER),
    DemoAccount("keiko@northwind.example", "Keiko Tanabe", Role.HIRING_MANAGER),
    DemoAccount("mateo@northwind.example", "Mateo Ferreira", Role.HIRING_MANAGER),
    DemoAccount("nadia@northwind.example", "Nadia Haddad", Role.HIRING_MANAGER),
)

# title, team, location, role family, owner, hiring managers, status, applicants, criteria
REQUISITIONS = (
    (
        "Senior Backend Engineer",
        "Platform",
        "Toronto (hybrid)",
        "Engineering",
        1,
        (4, 5),
        RequisitionStatus.OPEN,
        34,
        (
            ("System design", "Designs services that stay simple under growth and failure."),
            ("Python and SQL", "Writes clear, tested Python and efficient SQL."),
            ("Collaboration", "Explains trade-offs and reviews others' work constructively."),
        ),
    ),
    (
        "Product Designer",
        "Design",
        "Remote (Canada)",
        "Design",
        2,
        (6,),
        RequisitionStatus.OPEN,
        26,
        (
            ("Interaction design", "Turns research into flows people complete without help."),
            ("Visual craft", "Produces accessible, consistent interfaces."),
            ("Research", "Plans and runs studies that answer a real product question."),
        ),
    ),
    (
        "Data Analyst",
        "Finance",
        "Ottawa",
        "Data",
        3,
        (7,),
        RequisitionStatus.OPEN,
        22,
        (
            ("Analysis", "Frames questions and answers them with sound methods."),
            ("SQL", "Writes correct, readable queries on large tables."),
            ("Communication", "Presents findings so decisions follow."),
        ),
    ),
    (
        "Customer Support Lead",
        "Support",
        "Halifax",
        "Operations",
        1,
        (8,),
        RequisitionStatus.OPEN,
        18,
        (
            ("Customer empathy", "Understands the problem behind the question."),
            ("Coaching", "Helps a team improve through regular feedback."),
            ("Process", "Keeps queues healthy and measures what matters."),
        ),
    ),
    (
        "Mobile Engineer (iOS)",
        "Apps",
        "Toronto",
        "Engineering",
        2,
        (4, 6),
        RequisitionStatus.ON_HOLD,
        12,
        (
            ("Swift", "Writes idiomatic, tested Swift."),
            ("App architecture", "Structures apps for change and offline use."),
        ),
    ),
    (
        "Office Coordinator",
        "Operations",
        "Toronto",
        "Operations",
        3,
        (8,),
        RequisitionStatus.FILLED,
        10,
        (
            ("Organisation", "Keeps many moving parts on schedule."),
            ("Service", "Is the calm, helpful first contact for visitors."),
        ),
    ),
)

FIRST = [
    "Aiyana",
    "Bao",
    "Chiara",
    "Dmitri",
    "Elif",
    "Farid",
    "Gwen",
    "Hiroshi",
    "Ines",
    "Jae",
    "Kofi",
    "Lucia",
    "Mehmet",
    "Nia",
    "Oskar",
    "Paloma",
    "Quentin",
    "Rania",
    "Soren",
    "Tamsin",
    "Uchenna",
    "Vera",
    "Wren",
    "Ximena",
    "Yusuf",
    "Zofia",
    "Ade",
    "Beatriz",
    "Callum",
    "Daria",
    "Emeka",
    "Freya",
    "Goran",
    "Hana",
    "Ivo",
    "Jana",
    "Kiran",
    "Leona",
    "Malik",
    "Noor",
]
LAST = [
    "Abara",
    "Brennan",
    "Cho",
    "Delacroix",
    "Eriksen",
    "Fonseca",
    "Grabowski",
    "Halloran",
    "Ibarra",
    "Jovanovic",
    "Kamau",
    "Lindgren",
    "Moreau",
    "Nakamura",
    "Okafor",
    "Petrov",
    "Quispe",
    "Rahimi",
    "Sandoval",
    "Thorsen",
    "Uysal",
    "Varga",
    "Whitlock",
    "Yilmaz",
    "Zielinski",
]
ZONES = ("America/Toronto", "America/Vancouver", "America/Halifax", "Europe/London", "UTC")


def existing_demo_accounts() -> list[DemoAccount]:
    """The demo accounts still present, so a second ``make run`` can show them again."""
    emails = set(
        db.session.scalars(
            select(User.email).where(User.email.in_([a.email for a in ACCOUNTS]), User.active)
        )
    )
    return [a for a in ACCOUNTS if a.email in emails]


def seed_demo(*, now: datetime, policy: PromisePolicy) -> list[DemoAccount] | None:
    """Create the demo organisation; None (and nothing written) when the database has users."""
    if db.session.scalar(select(func.count(User.id))):
        return None
    rng = random.Random(2026)
    pipeline.seed_default_reasons()
    seed_default_templates(now=now)
    users = [
        create_user(a.email, a.name, a.role, password=DEMO_PASSWORD, now=now) for a in ACCOUNTS
    ]
    reasons = {r.code: r for r in db.session.scalars(select(Reason))}
    names = iter(rng.sample([f"{f} {la}" for f in FIRST for la in LAST], 200))
    for title, team, location, family, owner, managers, status, count, criteria in REQUISITIONS:
        opened = now - timedelta(days=rng.randint(25, 60))
        requisition = pipeline.create_requisition(
            title=title,
            team=team,
            location=location,
            role_family=family,
            owner=users[owner],
            members=[users[m] for m in managers],
            criteria=criteria,
            actor=users[owner],
            now=opened,
        )
        for _ in range(count):
            name = next(names)
            email = name.lower().replace(" ", ".") + "@mail.example"
            candidate = pipeline.find_or_create_candidate(
                name=name, email=email, now=opened, timezone=rng.choice(ZONES)
            )
            applied = opened + timedelta(days=rng.randint(0, 20), hours=rng.randint(0, 8))
            application = pipeline.add_application(
                requisition, candidate, now=applied, policy=policy, actor=users[owner]
            )
            _walk(application, requisition, users, reasons, rng, applied, now, policy, status)
        if status is not RequisitionStatus.OPEN:
            pipeline.set_requisition_status(requisition, status, actor=users[owner], now=now)
    _follow_up_rejections(random.Random(2027), now)
    _deliver_past_updates(random.Random(2028), now)
    _join_pool(now)
    db.session.flush()
    return list(ACCOUNTS)


def _join_pool(now: datetime) -> None:
    """A few people turned down for jobs no longer open asked to hear about similar roles, so
    open jobs of the same kind show them under "From the talent pool"."""
    turned_down = db.session.scalars(
        select(Application)
        .join(Application.requisition)
        .where(
            Application.status == ApplicationStatus.REJECTED,
            Requisition.status != RequisitionStatus.OPEN,
        )
        .order_by(Application.id)
        .limit(4)
    ).all()
    for application in turned_down:
        job = application.requisition
        portal.consent_to_pool(
            application,
            role_families=[job.role_family],
            locations=[job.location],
            months=12,
            now=min(application.closed_at + timedelta(days=1), now),
        )


def _deliver_past_updates(rng: random.Random, now: datetime) -> None:
    """The status updates of the demo's past went out at the time; left queued, the worker
    would mail them today with promised dates long gone."""
    for message in db.session.scalars(
        select(OutboxMessage).where(
            OutboxMessage.purpose == STATUS_PURPOSE,
            OutboxMessage.status == DeliveryStatus.SCHEDULED,
            OutboxMessage.send_after < now,
        )
    ):
        delivered = min(message.send_after + timedelta(minutes=rng.randint(1, 20)), now)
        message.status = DeliveryStatus.DELIVERED
        message.attempts = 1
        message.first_attempt_at = message.last_attempt_at = message.delivered_at = delivered


def _follow_up_rejections(rng: random.Random, now: datetime) -> None:
    """What recruiters and candidates did after most rejections: approved feedback for those
    interviewed, a closure message delivered a few days later, a helpfulness rating and the
    odd call request. A few are left undone, as in real life; the Insights page shows both."""
    rejected = db.session.scalars(
        select(Application)
        .where(Application.status == ApplicationStatus.REJECTED)
        .order_by(Application.id)
    ).all()
    for application in rejected:
        owner = application.requisition.owner
        moment = application.closed_at + timedelta(hours=rng.randint(2, 60))
        if moment >= now or rng.random() < 0.15:
            continue  # still on the recruiter's list
        if feedback.can_compose(application):
            _approve_feedback(application, owner, rng, moment)
        ctx = closure.Context.build([application])
        draft = closure.draft_for(application, ctx, now=moment)
        item = closure.review(application, draft, ctx)
        if item.problems:
            continue
        (message_id,) = closure.approve([(item, "")], actor=owner, now=moment)
        message = db.session.get(OutboxMessage, message_id)
        delivered = message.send_after + timedelta(minutes=rng.randint(1, 20))
        if delivered >= now:
            continue
        message.status = DeliveryStatus.DELIVERED
        message.attempts = 1
        message.first_attempt_at = message.last_attempt_at = message.delivered_at = delivered
        if feedback.can_compose(application) and rng.random() < 0.7:
            rated = delivered + timedelta(hours=rng.randint(3, 72))
            if rated < now:
                score = rng.choices((1, 2, 3, 4, 5), weights=(1, 2, 4, 8, 6))[0]
                portal.rate_feedback(application, rating=score, comment="", now=rated)
                if score <= 3 and rng.random() < 0.6:
                    portal.request_call(
                        application,
                        times="Weekday mornings",
                        timezone=application.candidate.timezone,
                        medium=CallMedium.VIDEO,
                        phone="",
                        now=rated,
                    )


def _approve_feedback(application, owner, rng, moment) -> None:
    """Feedback written against the job's criteria, strongest first."""
    criteria = application.requisition.criteria
    if len(criteria) < 2:
        return
    ranked = rng.sample(list(criteria), len(criteria))
    draft = FeedbackDraft(
        strengths=[
            Item(c.id, f"You gave a specific example of {c.name.lower()} and its result.")
            for c in ranked[:2]
        ],
        growth=[Item(ranked[-1].id, f"Show {ranked[-1].name.lower()} with your own example.")],
        next_step=rng.choice(NEXT_STEPS),
    )
    # Wording the checker refuses stays a draft for the recruiter.
    with suppress(feedback.FeedbackError):
        feedback.approve_feedback(application, draft, actor=owner, now=moment)


EVIDENCE = {
    1: "Could not give an example of {c} when asked twice.",
    2: "Gave one example of {c}, but without the outcome or their own part in it.",
    3: "Walked through a recent example of {c} with the result and what they would change.",
    4: "Two detailed examples of {c}, with numbers, trade-offs and what others learned.",
}
NEXT_STEPS = (
    "Prepare two examples with the result you measured, and practise telling each in two minutes.",
    "Work through a public system design exercise and write down the trade-offs you chose.",
    "Pair on a small open-source issue and ask for a review of how you explain your changes.",
)


def _score(interview, requisition, rng, moment) -> None:
    """A submitted scorecard written the way the product asks: evidence per criterion."""
    criteria = requisition.criteria
    if not criteria:
        return
    ratings = {c.id: rng.choice((1, 2, 2, 3, 3, 3, 4)) for c in criteria}
    ranked = sorted(criteria, key=lambda c: -ratings[c.id])
    best, worst = ranked[0], ranked[-1]
    name = best.name.lower()
    data = feedback.ScorecardInput(
        ratings=ratings,
        evidence={c.id: EVIDENCE[ratings[c.id]].format(c=c.name.lower()) for c in criteria},
        strengths=[Item(best.id, f"Your example of {name} was specific and showed the result.")],
        growth=[Item(worst.id, f"Show {worst.name.lower()} with an example from your own work.")],
        next_step=rng.choice(NEXT_STEPS),
        recommendation=rng.choice(list(Recommendation)),
        private_notes="",
    )
    feedback.save_scorecard(interview, interview.interviewers[0], data, submit=True, now=moment)


def _walk(application, requisition, users, reasons, rng, moment, now, policy, status):
    """Move one application through a plausible part of its pipeline, in the past."""
    owner = requisition.owner
    depth = rng.choices(range(5), weights=(30, 25, 20, 15, 10))[0]
    for _ in range(depth):
        step = moment + timedelta(days=rng.randint(2, 6), hours=rng.randint(0, 6))
        if step >= now:
            return
        moment = step
        if application.stage.is_interview:
            interview = pipeline.schedule_interview(
                application,
                stage=application.stage,
                when=moment - timedelta(days=1, hours=application.id * 7 % 24),
                interviewers=requisition.members[:1] or [owner],
                actor=owner,
                now=moment,
            )
            # Most interviewers have written their scorecard; the rest show as pending.
            if rng.random() < 0.8:
                _score(interview, requisition, rng, moment)
        roll = rng.random()
        if roll < 0.22:
            code = "criteria_mismatch" if application.stage.is_interview else "requirement_not_met"
            pipeline.record_outcome(
                application,
                decision=Decision.REJECT,
                reason=reasons[code],
                actor=owner,
                now=moment,
                policy=policy,
            )
            return
        if roll < 0.27:
            pipeline.record_outcome(
                application,
                decision=Decision.WITHDRAWN,
                reason=reasons["candidate_withdrew"],
                actor=owner,
                now=moment,
                policy=policy,
            )
            return
        if roll < 0.32:
            pipeline.record_outcome(
                application, decision=Decision.HOLD, actor=owner, now=moment, policy=policy
            )
            return
        pipeline.record_outcome(
            application, decision=Decision.ADVANCE, actor=owner, now=moment, policy=policy
        )
        if not application.status.is_open:
            return
    if status is RequisitionStatus.FILLED and application.status.is_open:
        pipeline.record_outcome(
            application,
            decision=Decision.REJECT,
            reason=reasons["position_filled"],
            actor=owner,
            now=now - timedelta(days=1),
            policy=policy,
        )
