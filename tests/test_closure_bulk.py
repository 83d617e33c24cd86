"""Approving a bulk close-out: a fixed number of statements whatever the batch, all or nothing,
and the audit trail written in bulk."""

import dataclasses
import random
from contextlib import contextmanager
from datetime import timedelta

import pytest
from sqlalchemy import event, func, select

from recruitcare.closure import services
from recruitcare.domain import messages as wording
from recruitcare.domain.enums import ClosureStatus, Decision, DeliveryStatus, OutcomeStatus, Role
from recruitcare.extensions import db
from recruitcare.models import (
    Application,
    AuditEvent,
    Candidate,
    ClosureMessage,
    Interview,
    OutboxMessage,
    Reason,
    StageOutcome,
)
from recruitcare.outbox import services as outbox
from recruitcare.pipeline import services as pipeline
from recruitcare.pipeline.services import seed_default_reasons
from recruitcare.policies import promise_policy
from tests.factories import (
    NOW,
    bulk_applications,
    make_application,
    make_requisition,
    make_user,
)


@contextmanager
def statements():
    seen = []

    def listener(_conn, _cursor, statement, *_args):
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)


def count(model, *where):
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


@pytest.fixture
def batch(app):
    """Returns a function that makes ``n`` open applications and their reviews."""
    ctx = app.test_request_context()
    ctx.push()
    recruiter = make_user(Role.RECRUITER, email="rec@example.com", name="Rita Recruiter")
    requisition = make_requisition(recruiter, title="Warehouse Lead")
    services.seed_default_templates(now=NOW)
    db.session.commit()

    def make(n):
        ids = bulk_applications(requisition, n)
        db.session.commit()
        applications = services.load_for_closure(ids)
        context = services.Context.build(applications)
        drafts = [
            services.draft_for(a, context, now=NOW, fallback="position_filled")
            for a in applications
        ]
        return recruiter, [services.review(d.application, d, context) for d in drafts]

    yield make
    ctx.pop()


def test_approving_takes_the_same_statements_for_3_or_40_messages(batch):
    recruiter, small = batch(3)
    with statements() as seen_small:
        services.approve([(r, "") for r in small], actor=recruiter, now=NOW)
    db.session.commit()
    recruiter, large = batch(40)
    with statements() as seen_large:
        ids = services.approve([(r, "") for r in large], actor=recruiter, now=NOW)
    db.session.commit()
    assert len(seen_small) == len(seen_large) <= 10
    assert len(ids) == 40
    assert count(OutboxMessage, OutboxMessage.status == DeliveryStatus.SCHEDULED) == 43
    assert count(ClosureMessage, ClosureMessage.status == ClosureStatus.SCHEDULED) == 43
    # One event per act of approving, naming every closure and message it approved.
    approved = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "closure.approved").order_by(AuditEvent.id)
    ).all()
    assert [len(e.payload["closure_messages"]) for e in approved] == [3, 40]
    closures = {c.id: c for c in db.session.scalars(select(ClosureMessage))}
    for audit_event, reviews in zip(approved, (small, large), strict=True):
        assert audit_event.object_type == "requisitions"
        assert audit_event.object_id == reviews[0].closure.application.requisition_id
        assert audit_event.actor_id == recruiter.id
        named = audit_event.payload["closure_messages"]
        assert {closures[i].application_id for i in named} == {
            r.closure.application.id for r in reviews
        }
        assert audit_event.payload["outbox_messages"] == [
            closures[i].outbox_message_id for i in named
        ]
    message = db.session.get(OutboxMessage, ids[0])
    closure = db.session.scalar(
        select(ClosureMessage).where(ClosureMessage.outbox_message_id == ids[0])
    )
    assert message.application_id == closure.application_id == large[0].closure.application.id
    assert message.idempotency_key == f"closure:{closure.application_id}:1"
    assert (closure.revision, closure.approved_by_id, closure.approved_at) == (1, recruiter.id, NOW)
    assert message.reply_to == "rec@example.com"
    assert message.sender_name.startswith("Rita Recruiter, ")


def test_a_saved_draft_is_updated_and_a_block_override_audited(batch):
    recruiter, reviews = batch(2)
    draft = reviews[0].closure
    saved = services.save_draft(
        draft,
        subject=draft.subject,
        body=draft.body + "\n\nWe felt you were too old for the team.",
        key=draft.template_key,
        actor=recruiter,
        now=NOW,
    )
    db.session.commit()
    applications = services.load_for_closure([r.closure.application.id for r in reviews])
    context = services.Context.build(applications)
    reviews = [
        services.review(a, services.draft_for(a, context, now=NOW), context) for a in applications
    ]
    assert reviews[0].blocking and not reviews[1].blocking
    with pytest.raises(services.ClosureError, match="give a reason to override"):
        services.approve([(r, "") for r in reviews], actor=recruiter, now=NOW)
    services.approve(
        [(reviews[0], " Quoted from their own question. "), (reviews[1], "")],
        actor=recruiter,
        now=NOW,
    )
    db.session.commit()
    closure = db.session.get(ClosureMessage, saved.id)
    assert closure.status is ClosureStatus.SCHEDULED
    assert closure.edited and closure.revision == 1
    assert closure.override_reason == "Quoted from their own question."
    assert closure.findings and closure.outbox_message.text_body.endswith("the team.")
    override = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "closure.override")
    ).one()
    assert override.object_id == saved.id
    assert override.payload["reason"] == "Quoted from their own question."
    assert "age.too-young-or-old" in override.payload["rules"]


def test_one_bad_address_stops_the_whole_batch_before_anything_is_written(batch):
    recruiter, reviews = batch(5)
    candidate = db.session.get(Candidate, reviews[3].closure.application.candidate_id)
    candidate.email = "not an address"
    db.session.flush()
    with statements() as seen, pytest.raises(services.ClosureError) as refused:
        services.approve([(r, "") for r in reviews], actor=recruiter, now=NOW)
    assert str(refused.value).startswith(f"{candidate.name}: recipient ")
    assert not [s for s in seen if s.lstrip().upper().startswith(("INSERT", "UPDATE"))]
    db.session.rollback()
    assert count(OutboxMessage) == count(ClosureMessage) == 0


def test_a_message_enqueued_meanwhile_refuses_the_batch(batch):
    recruiter, reviews = batch(3)
    application = reviews[1].closure.application
    outbox.enqueue(
        purpose="closure",
        idempotency_key=f"closure:{application.id}:1",
        recipient="someone@mail.example",
        subject="Earlier",
        text_body="Earlier",
        html_body="",
        send_after=NOW,
        now=NOW,
    )
    with pytest.raises(outbox.DuplicateMessage, match=f"closure:{application.id}:1"):
        services.approve([(r, "") for r in reviews], actor=recruiter, now=NOW)
    db.session.rollback()
    assert count(ClosureMessage) == 0


def test_the_batch_context_holds_back_only_people_open_elsewhere(batch):
    recruiter, reviews = batch(3)
    first = reviews[0].closure.application
    elsewhere = make_requisition(recruiter, title="Second Role")
    db.session.add(
        Application(
            candidate_id=first.candidate_id,
            requisition=elsewhere,
            stage=elsewhere.stages[0],
            status=first.status,
            decision_due_at=NOW,
            promise_extensions=0,
            created_at=NOW,
        )
    )
    db.session.commit()
    applications = services.load_for_closure([r.closure.application.id for r in reviews])
    context = services.Context.build(applications)
    assert list(context.others) == [first.candidate_id]
    held = {
        a.id: services.review(a, services.draft_for(a, context, now=NOW), context).held
        for a in applications
    }
    assert [a.requisition.title for a in held[first.id]] == ["Second Role"]
    assert sum(bool(h) for h in held.values()) == 1


@pytest.mark.parametrize(
    "values",
    [
        {"candidate_first_name": "Ada", "requisition_title": "Lead", "feedback_link": "x"},
        {"candidate_first_name": None, "requisition_title": "", "recruiter_name": " "},
        {"candidate_first_name": "{Ada}", "requisition_title": "a {stage} b", "stage": None},
        {"company_name": "Acme {{", "reason": "line one\nline two", "feedback": "}"},
        {},
    ],
)
@pytest.mark.parametrize(
    "template",
    [
        "Dear {candidate_first_name}, {{literal}} for {requisition_title} at {company_name}.",
        "{feedback_link}{stage}{reason}{feedback} {recruiter_name}",
        "no placeholders at all",
        "{{7*7}} and {{{candidate_first_name}}}",
    ],
)
def test_personal_copy_renders_as_the_template_with_those_values(template, values):
    """Names not in ``values`` are marked missing for good; the link is filled at sending."""
    link = {"feedback_link": "https://example.test/c/token"}
    known = {
        name: link[name] if name in link else services.strip_placeholder(value)
        for name, value in values.items()
        if value or name in link
    }
    copy = services.personal_copy(template, values)
    assert wording.render_text(copy, link).text == wording.render_text(template, known).text


@pytest.fixture
def decided(app):
    """Applications in each situation that chooses a closure's wording, by situation."""
    ctx = app.test_request_context()
    ctx.push()
    seed_default_reasons()
    recruiter = make_user(Role.RECRUITER, email="rec@example.com", name="Rita Recruiter")
    requisition = make_requisition(recruiter, title="Data Analyst")
    services.seed_default_templates(now=NOW)
    policy = promise_policy(app.config)

    def reason(code):
        return db.session.scalar(select(Reason).where(Reason.code == code))

    def make(n=1):
        made = {}
        for i in range(n):
            for situation in ("review", "interviewed", "reconsidered", "open"):
                application = make_application(requisition)
                made[f"{situation}{i}"] = application
                if situation == "open":
                    continue
                pipeline.record_outcome(
                    application,
                    decision=Decision.REJECT,
                    reason=reason("requirement_not_met"),
                    actor=recruiter,
                    now=NOW - timedelta(days=2),
                    policy=policy,
                )
                if situation == "interviewed":
                    db.session.add(
                        Interview(
                            application=application,
                            stage=application.stage,
                            scheduled_at=NOW - timedelta(days=5),
                            created_at=NOW - timedelta(days=6),
                        )
                    )
                if situation == "reconsidered":
                    # The latest confirmed outcome counts; one undone after it does not.
                    for status, code, days in (
                        (OutcomeStatus.CONFIRMED, "criteria_mismatch", 1),
                        (OutcomeStatus.UNDONE, "position_cancelled", 0),
                    ):
                        db.session.add(
                            StageOutcome(
                                application=application,
                                stage=application.stage,
                                decision=Decision.REJECT,
                                status=status,
                                reason=reason(code),
                                decided_at=NOW - timedelta(days=days),
                            )
                        )
        db.session.commit()
        return {situation: a.id for situation, a in made.items()}

    yield make, reason, recruiter, policy
    ctx.pop()


def test_the_batch_context_chooses_the_wording_from_outcomes_and_interviews(decided):
    make, *_ = decided
    ids = make()
    applications = services.load_for_closure(ids.values())
    context = services.Context.build(applications)
    # The same context without the batch's facts asks each application's own collections.
    one_by_one = dataclasses.replace(context, facts={}, values={}, shared={})
    by_id = {a.id: a for a in applications}
    chosen = {}
    for situation, application_id in ids.items():
        application = by_id[application_id]
        draft = services.draft_for(application, context, now=NOW, fallback="position_filled")
        again = services.draft_for(application, one_by_one, now=NOW, fallback="position_filled")
        assert (draft.template_key, draft.subject, draft.body) == (
            again.template_key,
            again.subject,
            again.body,
        )
        assert services.values_for(application, context) == services.values_for(
            application, one_by_one
        )
        chosen[situation] = draft.template_key
    assert chosen == {
        "review0": "rejected_after_review",
        "interviewed0": "rejected_after_interview",
        "reconsidered0": "rejected_after_interview",
        "open0": "position_filled",
    }
    interviewed = by_id[ids["interviewed0"]]
    review = services.review(
        interviewed, services.draft_for(interviewed, context, now=NOW), context
    )
    assert review.personalized is False  # interviewed: the message must say something personal


def test_loading_a_batch_and_its_context_takes_the_same_queries_for_4_or_40(decided):
    make, *_ = decided
    batches = [make(1), make(10)]
    counts = []
    for ids in batches:
        db.session.expunge_all()
        with statements() as seen:
            applications = services.load_for_closure(ids.values())
            services.Context.build(applications)
        counts.append(len(seen))
    assert counts[0] == counts[1] <= 12


def test_a_batch_gets_each_applications_own_stage_and_requisition(app):
    """Stages and requisitions are read once and handed out: each application must still get
    its own, an unsaved move in this transaction included, and no stage when it has none."""
    with app.test_request_context():
        recruiter = make_user(Role.RECRUITER, email="rec@example.com")
        first, second = (make_requisition(recruiter, title=t) for t in ("Baker", "Driver"))
        ids = bulk_applications(first, 3) + bulk_applications(second, 2)
        db.session.commit()
        moved, unstaged = db.session.get(Application, ids[0]), db.session.get(Application, ids[1])
        moved.stage = first.stages[-1]  # not flushed yet
        unstaged.stage = None
        applications = {a.id: a for a in services.load_for_closure(ids)}
        assert [applications[i].requisition.title for i in ids] == [
            "Baker",
            "Baker",
            "Baker",
            "Driver",
            "Driver",
        ]
        assert [applications[i].stage for i in ids] == [
            first.stages[-1],
            None,
            first.stages[0],
            second.stages[0],
            second.stages[0],
        ]
        assert all(applications[i].requisition.owner == recruiter for i in ids)
        assert applications[ids[0]] is moved


def test_an_outcome_recorded_in_the_same_transaction_chooses_the_wording(decided):
    make, reason, recruiter, policy = decided
    ids = make()
    (application,) = services.load_for_closure([ids["open0"]])
    pipeline.record_outcome(
        application,
        decision=Decision.REJECT,
        reason=reason("position_cancelled"),
        actor=recruiter,
        now=NOW,
        policy=policy,
    )
    context = services.Context.build([application])
    assert services.draft_for(application, context, now=NOW).template_key == "position_cancelled"


def test_templates_are_read_in_one_pass_exactly_as_brace_by_brace():
    """Every message of a batch is parsed; the one-pass reading must agree with the careful
    one on parts and errors, for any mix of braces, names and text."""
    pieces = ["{", "}", "{{", "}}", "{name}", "{ name }", "{x.y}", "{1a}", "a", "_b2", " ", "\n"]
    rng = random.Random(7)
    for _ in range(20_000):
        template = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 10)))
        assert wording._scan(template) == wording._scan_carefully(template), template
