"""The product as its people meet it, in a real browser, one requisition from start to close.

The journeys run in order and build on each other: the recruiter opens a requisition and
imports candidates, the hiring manager writes scorecards, the recruiter writes feedback and
closes the requisition out, the worker delivers the email to the SMTP server, and the
candidates open their private link from that email. Every page is checked by axe.
"""

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from tests.e2e.browser import Actor
from tests.e2e.conftest import CALL_FAILED, HIRING_MANAGER, PASSWORD, RECRUITER

pytestmark = pytest.mark.e2e
# Pages are served by a real server on a shared, sometimes busy machine.
expect.set_options(timeout=10_000)

TITLE = "Platform Engineer"
CRITERIA = (
    ("System design", "Designs services that stay simple under growth and failure."),
    ("Python and SQL", "Writes clear, tested Python and efficient SQL."),
    ("Collaboration", "Explains trade-offs and reviews others' work constructively."),
)
CANDIDATES_CSV = (
    "name,email,stage,time zone\n"
    "Ana Lima,ana.lima@mail.example,Recruiter screen,America/Toronto\n"
    "Ben Okafor,ben.okafor@mail.example,Recruiter screen,\n"
    "Chloé Martin,chloe.martin@mail.example,,Europe/Paris\n"
)
INTERVIEWED = ("Ana Lima", "Ben Okafor")
# What each interview showed: strengths on System design and on Python and SQL.
STRENGTHS = {
    "Ana Lima": (
        "You split the ordering service along clear boundaries and explained each failure mode.",
        "Your query for the weekly report was correct first time and you tested its edge cases.",
    ),
    "Ben Okafor": (
        "Your rate limiter design kept the hot path simple and named what happens under load.",
        "You refactored the import script into small tested functions as we talked.",
    ),
}
RISKY = "She seemed too old for the team."
FIXED = "You explained trade-offs only when asked; leading a design review would show more."


@dataclass
class Story:
    """What one journey leaves for the next."""

    applications: dict[str, str] = field(default_factory=dict)  # candidate name -> page URL
    portal_links: dict[str, str] = field(default_factory=dict)  # candidate email -> link
    failed: str = ""


@pytest.fixture(scope="module")
def story():
    return Story()


@pytest.fixture(autouse=True)
def _in_order(request, story):
    """A journey after a failed one would only fail again, less clearly."""
    if story.failed:
        pytest.fail(f"needs {story.failed}, which failed", pytrace=False)
    yield
    if request.node.stash.get(CALL_FAILED, False):
        story.failed = request.node.name


def main_nav(actor: Actor, label: str, name: str) -> None:
    nav = actor.page.get_by_role("navigation", name="Main")
    actor.submit(nav.get_by_role("link", name=label, exact=True), name)


def open_application(actor: Actor, story: Story, candidate: str) -> None:
    actor.goto(story.applications[candidate], f"application of {candidate}")
    expect(actor.main.get_by_role("heading", level=1)).to_contain_text(candidate)


def record_outcome(actor: Actor, decision: str, name: str, reason: str | None = None) -> None:
    form = actor.main.locator("form", has=actor.page.get_by_role("button", name="Record outcome"))
    form.get_by_label(decision, exact=True).check()
    if reason:
        form.get_by_label("Reason").select_option(label=f"{reason} (rejection)")
    actor.submit(form.get_by_role("button", name="Record outcome"), name)
    expect(actor.main.locator(".flash-error")).to_have_count(0)


def test_recruiter_opens_a_requisition_imports_candidates_and_records_interviews(
    people, story, tmp_path
):
    rhea = people("recruiter")
    rhea.sign_in(RECRUITER.email, PASSWORD)
    expect(rhea.main.get_by_role("heading", level=1)).to_have_text("Hello, Rhea")

    main_nav(rhea, "New requisition", "new requisition")
    form = rhea.main.locator("form")
    form.get_by_label("Job title").fill(TITLE)
    form.get_by_label("Team or department").fill("Platform")
    form.get_by_label("Location").fill("Toronto")
    form.get_by_label("Role family").fill("Engineering")
    form.get_by_label("Hiring team").select_option(label=f"{HIRING_MANAGER.name} (Hiring manager)")
    rhea.submit(form.get_by_role("button", name="Save requisition"), "criteria and stages")
    expect(rhea.main.get_by_role("heading", level=1)).to_contain_text(TITLE)

    for name, description in CRITERIA:
        adding = rhea.main.locator(
            "form", has=rhea.page.get_by_role("button", name="Add criterion")
        )
        adding.get_by_label("Criterion").fill(name)
        adding.get_by_label("What good looks like").fill(description)
        rhea.submit(adding.get_by_role("button", name="Add criterion"), f"criterion {name}")
        expect(rhea.main.locator(f"input[value='{name}']")).to_have_count(1)

    tabs = rhea.main.get_by_role("navigation", name="Requisition")
    rhea.submit(tabs.get_by_role("link", name="Import CSV"), "import candidates")
    csv_file = tmp_path / "candidates.csv"
    csv_file.write_text("\ufeff" + CANDIDATES_CSV, encoding="utf-8")  # as Excel saves it
    rhea.main.get_by_label("CSV file").set_input_files(csv_file)
    rhea.submit(rhea.main.get_by_role("button", name="Check and import"), "board after import")
    board = rhea.main.get_by_role("list", name="Pipeline stages")
    for candidate in ("Ana Lima", "Ben Okafor", "Chloé Martin"):
        link = board.get_by_role("link", name=candidate)
        expect(link).to_be_visible()
        story.applications[candidate] = link.get_attribute("href")

    # The two who passed the recruiter screen meet the hiring manager; yesterday's interview
    # is recorded so that its scorecard is due.
    yesterday = datetime.now(ZoneInfo("America/Toronto")) - timedelta(days=1)
    for candidate in INTERVIEWED:
        open_application(rhea, story, candidate)
        record_outcome(rhea, "Advance", f"{candidate} advanced")
        expect(rhea.main.locator(".stats")).to_contain_text("Hiring manager interview")
        scheduling = rhea.main.locator(
            "form", has=rhea.page.get_by_role("button", name="Save interview")
        )
        scheduling.get_by_label("Stage").select_option(label="Hiring manager interview")
        scheduling.get_by_label("Date and time").fill(yesterday.strftime("%Y-%m-%dT10:00"))
        scheduling.get_by_label("Interviewers").select_option(label=HIRING_MANAGER.name)
        rhea.submit(scheduling.get_by_role("button", name="Save interview"), "interview saved")
        expect(rhea.main.locator(".timeline")).to_contain_text(
            f"Interview (Hiring manager interview) with {HIRING_MANAGER.name}"
        )

    open_application(rhea, story, "Chloé Martin")
    record_outcome(
        rhea,
        "Reject",
        "Chloé rejected at review",
        reason="Did not meet a stated requirement (work authorisation, schedule, location)",
    )
    expect(rhea.main.get_by_role("heading", level=1)).to_contain_text("Rejected")


def fill_scorecard(priya: Actor, candidate: str, *, growth: str) -> None:
    main = priya.main
    for (criterion, _), rating in zip(CRITERIA, ("4", "3", "2"), strict=True):
        box = main.locator(
            "fieldset.criterion", has=priya.page.get_by_role("heading", name=criterion)
        )
        box.get_by_label(re.compile(rf"^\s*{rating} · ")).check()
        box.get_by_label("Evidence: what did you observe?").fill(
            f"On {criterion}, {candidate.split()[0]} walked through a concrete example."
        )
    main.get_by_label("Strength 1: criterion").select_option(label="System design")
    first, second = STRENGTHS[candidate]
    main.get_by_label("Strength 1: what to tell the candidate").fill(first)
    main.get_by_label("Strength 2: criterion").select_option(label="Python and SQL")
    main.get_by_label("Strength 2: what to tell the candidate").fill(second)
    main.get_by_label("Growth area 1: criterion").select_option(label="Collaboration")
    main.get_by_label("Growth area 1: what to tell the candidate").fill(growth)
    main.get_by_label("A next step for the candidate").fill(
        "Practise walking a reviewer through a design trade-off before they ask."
    )
    main.get_by_label("Yes", exact=True).check()
    main.get_by_label("Private notes").fill("Would pair well with the payments team.")


def test_hiring_manager_fills_a_scorecard_and_rewords_a_risky_phrase(people, story):
    priya = people("hiring-manager")
    priya.sign_in(HIRING_MANAGER.email, PASSWORD)
    main_nav(priya, "My interviews", "my interviews")
    waiting = priya.main.get_by_role("table")
    expect(waiting.get_by_role("row")).to_have_count(1 + len(INTERVIEWED))

    priya.submit(waiting.get_by_role("link", name="Fill scorecard for Ana Lima"), "scorecard")
    fill_scorecard(priya, "Ana Lima", growth="")
    growth = priya.main.get_by_label("Growth area 1: what to tell the candidate")
    growth.press_sequentially(RISKY, delay=15)
    findings = priya.main.locator(f"#{growth.get_attribute('id')}-findings")
    expect(findings.locator("mark").first).to_have_text("too old")
    expect(findings).to_contain_text("Must fix")
    priya.check("scorecard with a risky phrase marked")

    growth.fill("")
    growth.press_sequentially(FIXED, delay=5)
    expect(findings.locator("mark")).to_have_count(0)
    priya.submit(priya.main.get_by_role("button", name="Submit scorecard"), "scorecard submitted")
    expect(priya.main.get_by_role("heading", level=1)).to_have_text("Scorecards for Ana Lima")
    expect(priya.main.locator(".scorecard")).to_contain_text(HIRING_MANAGER.name)

    main_nav(priya, "My interviews", "my interviews, one left")
    priya.submit(
        priya.main.get_by_role("link", name="Fill scorecard for Ben Okafor"), "second scorecard"
    )
    fill_scorecard(priya, "Ben Okafor", growth=FIXED)
    priya.submit(priya.main.get_by_role("button", name="Submit scorecard"), "second submitted")
    expect(priya.main.get_by_role("heading", level=1)).to_have_text("Scorecards for Ben Okafor")


def test_recruiter_approves_feedback_closes_out_and_sees_delivery(people, story, mail_server):
    rhea = people("recruiter")
    rhea.sign_in(RECRUITER.email, PASSWORD)

    for candidate in INTERVIEWED:
        open_application(rhea, story, candidate)
        record_outcome(
            rhea,
            "Reject",
            f"{candidate} rejected after interview",
            reason="Skills or experience do not match the criteria",
        )
        summary = rhea.main.locator(".feedback-summary")
        rhea.submit(summary.get_by_role("link", name="Write it").last, f"feedback for {candidate}")
        expect(rhea.main.get_by_label("Strength 1: what to tell the candidate")).to_have_value(
            STRENGTHS[candidate][0]
        )
        expect(rhea.main.locator(".preview")).not_to_contain_text("too old")
        rhea.submit(
            rhea.main.get_by_role("button", name="Approve for the candidate"),
            f"feedback approved for {candidate}",
        )
        expect(rhea.main.locator(".flash-error")).to_have_count(0)

    rhea.goto(story.applications["Ana Lima"], "application of Ana Lima")
    tabs_link = rhea.main.get_by_role("link", name=TITLE)
    rhea.submit(tabs_link, "board")
    tabs = rhea.main.get_by_role("navigation", name="Requisition")
    rhea.submit(tabs.get_by_role("link", name="Close out"), "close out")
    rows = rhea.main.get_by_role("table").locator("tbody tr")
    expect(rows).to_have_count(3)
    for candidate in ("Ana Lima", "Ben Okafor", "Chloé Martin"):
        expect(rhea.main.get_by_role("checkbox", name=candidate)).to_be_checked()
    rhea.submit(
        rhea.main.get_by_role("button", name="Approve and schedule the selected messages"),
        "close out approved",
    )
    expect(rhea.main.locator(".flashes")).to_contain_text("3 messages approved and scheduled")
    delivery = rhea.main.get_by_role("list", name="Delivery")
    expect(delivery).to_contain_text("Scheduled")
    candidates = {"ana.lima@mail.example", "ben.okafor@mail.example", "chloe.martin@mail.example"}
    early = [m for m in mail_server.received if candidates & set(m.recipients)]
    assert not early, "the cool-off should hold the closure messages until they are sent now"

    rhea.submit(rhea.main.get_by_role("button", name="Send the scheduled messages now"), "sent now")
    delivered = delivery.locator("li", has_text="Delivered")
    rhea.reload_until(
        lambda: delivered.count() == 1 and delivered.locator(".stat-number").inner_text() == "3",
        "close out, all delivered",
        timeout=30,
    )
    expect(delivery.locator("li", has_text="Scheduled")).to_have_count(0)

    open_application(rhea, story, "Ana Lima")
    expect(rhea.main.locator(".feedback-summary")).to_contain_text("Delivered")


def delivered_to(mail_server, email: str) -> tuple[EmailMessage, str]:
    """The newest message the SMTP server accepted for ``email``, and its plain text."""
    for received in reversed(mail_server.received):
        if email in received.recipients:
            message: EmailMessage = received.message
            return message, message.get_body(preferencelist=("plain",)).get_content()
    raise AssertionError(f"nothing was delivered to {email}")


def portal_link(text: str) -> str:
    found = re.search(r"https?://[^\s<>\"]+/c/[A-Za-z0-9_\-]+", text)
    assert found, f"no private link in the message:\n{text}"
    return found.group(0)


def test_candidate_reads_feedback_asks_for_a_call_and_joins_the_pool(
    people, story, mail_server, site
):
    message, text = delivered_to(mail_server, "ana.lima@mail.example")
    assert message["Reply-To"] == RECRUITER.email
    assert "Ana" in text and TITLE in text
    assert STRENGTHS["Ana Lima"][0] in text  # the approved feedback is in the email too
    link = portal_link(text)
    assert link.startswith(site.base_url)
    ana = people("candidate")
    ana.goto(link, "candidate page")
    main = ana.main
    expect(main.get_by_role("heading", level=1)).to_have_text("Hello Ana")
    feedback = main.locator("#feedback")
    expect(feedback).to_contain_text(STRENGTHS["Ana Lima"][0])
    expect(feedback).to_contain_text("leading a design review would show more")
    expect(feedback).not_to_contain_text("too old")
    expect(main).not_to_contain_text("payments team")  # private notes never reach the candidate

    call = main.locator("#call")
    call.get_by_label("When could you talk?").fill("Tuesday or Thursday after 2 pm")
    call.get_by_label("Your time zone").select_option("America/Toronto")
    call.get_by_role("radio", name="Phone", exact=True).check()
    call.get_by_label("Phone number (for a phone call)").fill("+1 416 555 0100")
    ana.submit(call.get_by_role("button", name="Ask for a call"), "call requested")
    expect(main.locator("#call")).to_contain_text("You asked for a phone call")

    pool = main.locator("#other-roles")
    pool.get_by_label("Engineering").check()
    pool.get_by_label("Toronto").check()
    ana.submit(pool.get_by_role("button", name="Consider me for other roles"), "pool joined")
    expect(main.locator("#other-roles")).to_contain_text("We may contact you about other roles")

    rhea = people("recruiter")
    rhea.sign_in(RECRUITER.email, PASSWORD)
    main_nav(rhea, "Requests", "candidate requests")
    expect(rhea.main.get_by_role("row", name=re.compile("Ana Lima"))).to_contain_text(
        "Feedback call"
    )
    main_nav(rhea, "Talent pool", "talent pool")
    entry = rhea.main.locator("section", has=rhea.page.get_by_role("heading", name="Ana Lima"))
    expect(entry).to_contain_text("Engineering")
    expect(entry).to_contain_text("Toronto")


def test_candidate_journey_by_keyboard_alone(people, story, mail_server):
    """Ben does the same with Tab, Space, Enter and typing: no mouse, every stop visible."""
    link = portal_link(delivered_to(mail_server, "ben.okafor@mail.example")[1])
    ben = people("keyboard-candidate")
    keys = ben.page.keyboard
    ben.goto(link, "candidate page")
    main = ben.main

    ben.tab_to(ben.page.get_by_role("link", name="Skip to content"))
    keys.press("Enter")
    email = main.locator("details", has_text="We wrote to you")
    ben.tab_to(email.locator("summary"))
    keys.press("Enter")
    expect(email).to_have_attribute("open", "")
    expect(email.locator(".message-text")).to_contain_text("Ben")
    expect(main.locator("#feedback")).to_contain_text("leading a design review would show more")

    call = main.locator("#call")
    ben.tab_to(call.get_by_label("When could you talk?"))
    keys.type("Monday mornings")
    ben.tab_to(call.get_by_role("button", name="Ask for a call"))
    ben.press_and_wait("Enter", "call requested by keyboard")
    expect(main.locator("#call")).to_contain_text("You asked for a video call")

    pool = main.locator("#other-roles")
    ben.tab_to(pool.get_by_role("checkbox", name="Engineering"))
    keys.press("Space")
    ben.tab_to(pool.get_by_role("checkbox", name="Toronto"))
    keys.press("Space")
    ben.tab_to(pool.get_by_role("button", name="Consider me for other roles"))
    ben.press_and_wait("Enter", "pool joined by keyboard")
    expect(main.locator("#other-roles")).to_contain_text("We may contact you about other roles")
