"""Stored cross-site scripting, checked in the browser: what people type is shown as text.

Script, event-handler, ``javascript:`` and template-injection payloads go in where people
type: a requisition, its stages and criteria, a candidate (whose name is also the display
name of their email address), a scorecard and the approved feedback through the app's own
services; a message template, a candidate added by hand, CSV files, and the candidate's
question, rating and note through the pages. Then every page that shows them is opened, and
the delivered emails are opened in the browser too.

Every window fails on any dialog, and every page is searched for markup a payload could have
made: the Content-Security-Policy would stop most injected scripts on the app's own pages, so
the dialog alone would prove little there. The emails have no such policy.
"""

import csv
import json
import re
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from email import message_from_bytes, policy
from urllib.parse import urlencode

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import CALL_FAILED, HIRING_MANAGER, PASSWORD, RECRUITER, ROOT, Site

pytestmark = pytest.mark.e2e
expect.set_options(timeout=10_000)

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(2)>'
SVG = "<svg onload=alert(3)>"
JS_URL = "javascript:alert(4)"
JINJA = "{{7*7}}"
# Placeholder-language text in a value must stay as typed, never be filled in a second pass.
# (A known placeholder name stays out of the values that reach a closure message: the close-out
# review mistakes its escaped copy, {{name}}, for a typing habit and holds the message back.)
PLACEHOLDER = "{recruiter_email}"

TITLE = f"Payload Analyst {SVG} {JINJA} {{candidate_surname}}"
NAME = f"Zoë {SCRIPT} {IMG} {JINJA} {PLACEHOLDER}"
EMAIL = "zoe.payload@mail.example"
OTHER = f"Quinn {SVG} {JS_URL} {JINJA}"
STAGES = ((f"Application review {SVG}", False), (JS_URL, True), ("Offer", False))
CRITERIA = (
    (f"Design {SCRIPT}", f"Looks for {IMG}"),
    (f"Data {IMG}", f"Looks for {JINJA}"),
    (f"Teamwork {SVG} {{salary}}", JS_URL),
)
ROLE_FAMILY = f"Payload family {SCRIPT}"
LOCATION = f"Payload town {IMG}"
STRENGTH_1 = f"You named the trade-off {SCRIPT} and tested it."
STRENGTH_2 = f"Your query {IMG} {JINJA} {{portal_link}} was right first time."
GROWTH = f"Show the design {SVG} before you are asked."
EVIDENCE = f"Observed {SCRIPT} {IMG} {SVG} {JINJA}"
# In a template {{ and }} write one brace, so this line reads "... {7*7} {Zoë}" when sent.
TEMPLATE_LINE = (
    f"A note from us: {SCRIPT} {IMG} {SVG} {JS_URL} {JINJA} {{{{{{candidate_first_name}}}}}}"
)
TEMPLATE_SHOWN = f"A note from us: {SCRIPT} {IMG} {SVG} {JS_URL} {{7*7}} {{Zoë}}"
QUESTION = f"Why {SCRIPT} {IMG}? {JINJA} {PLACEHOLDER} {JS_URL}"
COMMENT = f"Useful {SVG} {JINJA} {PLACEHOLDER}"
NOTE = f"Thanks {SVG} {IMG} {JINJA} {JS_URL}"

# Markup a payload could make, or a link it could plant. The pages have no inline scripts and no
# event-handler attributes of their own (the Content-Security-Policy would refuse them).
INJECTED = """() => Array.from(document.querySelectorAll(
  'script:not([src]), img[src="x"], svg[onload], [onerror], [onload], iframe, object, embed,'
  + ' a[href*="javascript:" i], [href*="alert(" i], [src*="alert(" i], [action*="javascript:" i]'
)).map(element => element.outerHTML.slice(0, 160))"""


def seed_payloads(instance: str) -> None:
    """Run in a subprocess with the server's settings: the payloads, through the services."""
    from datetime import timedelta

    from sqlalchemy import select

    from recruitcare import create_app
    from recruitcare.clock import utcnow
    from recruitcare.domain.enums import Decision, Recommendation
    from recruitcare.domain.feedback import FeedbackDraft, Item
    from recruitcare.domain.language import check
    from recruitcare.extensions import db
    from recruitcare.feedback import services as feedback
    from recruitcare.models import Reason, User
    from recruitcare.pipeline import services as pipeline
    from recruitcare.policies import promise_policy

    app = create_app(instance_path=instance)
    with app.app_context():
        # The language checker compiles its rules on first use: before anything is written, so
        # the server, working at the same time, never waits long for the database.
        check(f"{EVIDENCE} {STRENGTH_1}", [])
        now = utcnow()
        policy = promise_policy(app.config)
        rhea = db.session.scalar(select(User).where(User.email == RECRUITER.email))
        priya = db.session.scalar(select(User).where(User.email == HIRING_MANAGER.email))
        requisition = pipeline.create_requisition(
            title=TITLE,
            team=f"Team {IMG}",
            location=LOCATION,
            role_family=ROLE_FAMILY,
            owner=rhea,
            members=[priya],
            criteria=CRITERIA,
            stages=STAGES,
            actor=rhea,
            now=now - timedelta(days=3),
        )
        candidate = pipeline.find_or_create_candidate(
            name=NAME, email=EMAIL, now=now, timezone="America/Toronto"
        )
        application = pipeline.add_application(
            requisition, candidate, now=now - timedelta(days=3), policy=policy, actor=rhea
        )
        pipeline.record_outcome(
            application, decision=Decision.ADVANCE, actor=rhea, now=now, policy=policy
        )
        interview = pipeline.schedule_interview(
            application,
            stage=application.stage,
            when=now - timedelta(days=1),
            interviewers=[priya],
            actor=rhea,
            now=now,
        )
        first, second, third = (c.id for c in requisition.criteria)
        strengths = [Item(first, STRENGTH_1), Item(second, STRENGTH_2)]
        growth = [Item(third, GROWTH)]
        next_step = f"Practise a design review out loud. {JS_URL}"
        scorecard = feedback.ScorecardInput(
            ratings={first: 4, second: 3, third: 2},
            evidence={c.id: f"{EVIDENCE} ({c.position})" for c in requisition.criteria},
            strengths=strengths,
            growth=growth,
            next_step=next_step,
            recommendation=Recommendation.NO,
            private_notes=f"Private {SCRIPT}",
        )
        feedback.save_scorecard(interview, priya, scorecard, submit=True, now=now)
        reason = db.session.scalar(select(Reason).where(Reason.code == "criteria_mismatch"))
        pipeline.record_outcome(
            application,
            decision=Decision.REJECT,
            reason=reason,
            actor=rhea,
            now=now,
            policy=policy,
        )
        feedback.approve_feedback(
            application, FeedbackDraft(strengths, growth, next_step), actor=rhea, now=now
        )
        db.session.commit()
        print(json.dumps({"requisition": requisition.id, "application": application.id}))


class Window:
    """A browser window that records every dialog (and dismisses it) and every script error."""

    def __init__(self, chromium, base_url: str, who: str):
        self.who = who
        self.context = chromium.new_context(
            base_url=base_url, viewport={"width": 1280, "height": 900}, locale="en-CA"
        )
        self.page = self.context.new_page()
        self.page.set_default_timeout(15_000)
        self.dialogs: list[str] = []
        self.script_errors: list[str] = []
        self.page.on("dialog", self._dialog)
        self.page.on("pageerror", lambda error: self.script_errors.append(str(error)))
        self.page.on("console", self._console)

    def _dialog(self, dialog) -> None:
        self.dialogs.append(f"{dialog.type}({dialog.message!r}) on {self.page.url}")
        dialog.dismiss()

    def _console(self, message) -> None:
        # A script the Content-Security-Policy refused is logged here as an error.
        if message.type == "error" and not message.location.get("url", "").endswith("/favicon.ico"):
            self.script_errors.append(message.text)

    @property
    def main(self):
        return self.page.locator("main")

    def goto(self, url: str) -> None:
        self.page.goto(url)

    def submit(self, control) -> None:
        with self.page.expect_event("load"):
            control.click()

    def sign_in(self, email: str) -> None:
        self.goto("/auth/login")
        self.main.get_by_label("Email").fill(email)
        self.main.get_by_label("Password").fill(PASSWORD)
        self.submit(self.main.get_by_role("button", name="Sign in"))

    def inert(self, where: str, *texts: str) -> None:
        """No markup made by a payload, each text visible, no dialog and no script error."""
        injected = self.page.evaluate(INJECTED)
        assert not injected, f"{where}: a payload made markup: {injected}"
        for text in texts:
            shown = self.page.get_by_text(text).filter(visible=True)
            expect(shown.first, f"{where}: {text!r} is not shown as text").to_be_visible()
        assert not self.dialogs, f"{where}: dialogs fired: {self.dialogs}"
        assert not self.script_errors, f"{where}: script errors: {self.script_errors}"


@pytest.fixture
def mailbox(site, mail_server, artefacts):
    """A second server on the same database, with the file mail backend: the development
    mailbox (Sent mail) only exists there. Started by the test, in the background."""
    logs = artefacts / "logs" / "mailbox"
    logs.mkdir(parents=True, exist_ok=True)
    server = Site(site.instance, mail_server, logs)
    server.folder = site.instance / "mailbox"
    server.folder.mkdir(exist_ok=True)
    server.env.update(
        RECRUITCARE_SECRET_KEY=site.env["RECRUITCARE_SECRET_KEY"],  # the same sign-in works
        RECRUITCARE_MAIL_BACKEND="file",
        RECRUITCARE_MAIL_FILE_DIR=str(server.folder),
    )
    yield server
    server.stop()


@pytest.fixture
def windows(request, chromium, site, artefacts):
    opened: list[Window] = []

    def open_window(who: str) -> Window:
        window = Window(chromium, site.base_url, who)
        opened.append(window)
        return window

    yield open_window
    failed = request.node.stash.get(CALL_FAILED, True)
    for window in opened:
        if failed:
            window.page.screenshot(path=artefacts / f"FAILED-xss-{window.who}.png", full_page=True)
        window.context.close()


def seed(site: Site) -> dict[str, int]:
    code = f"from tests.e2e.test_xss import seed_payloads; seed_payloads({str(site.instance)!r})"
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=site.env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, f"seeding the payloads failed:\n{done.stdout}{done.stderr}"
    return json.loads(done.stdout.strip().splitlines()[-1])


def delivered(mail_server, email: str, since: int = 0, timeout: float = 30.0):
    """The newest message for ``email`` among those received after the first ``since``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for received in reversed(mail_server.received[since:]):
            if email in received.recipients:
                return received
        time.sleep(0.2)
    raise AssertionError(f"nothing was delivered to {email} within {timeout:.0f} s")


def open_email(window: Window, received, *texts: str) -> str:
    """Show the message's HTML part as a mail program would, without the app's CSP."""
    message = message_from_bytes(received.content, policy=policy.default)
    window.page.set_content(message.get_body(preferencelist=("html",)).get_content())
    window.inert(f"email to {', '.join(received.recipients)}", *texts)
    return message.get_body(preferencelist=("plain",)).get_content()


TEMPLATE = "/messages/templates/rejected_after_interview"


def save_template(rhea: Window, values: dict[str, str]) -> None:
    rhea.goto(TEMPLATE)
    for label, value in values.items():
        rhea.main.get_by_label(label, exact=True).fill(value)
    rhea.submit(rhea.main.get_by_role("button", name="Save template"))
    expect(rhea.page.locator(".flashes")).to_contain_text("Template saved")


def form_values(window: Window) -> list[str]:
    return window.page.eval_on_selector_all(
        "main input, main textarea, main option", "els => els.map(e => e.value || e.textContent)"
    )


def write_csv(path, rows) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)


def test_payloads_are_shown_as_text_on_every_page_and_in_the_email(
    mailbox, windows, site, mail_server, tmp_path
):
    with ThreadPoolExecutor(2) as background:
        seeding = background.submit(seed, site)
        mailbox_up = background.submit(mailbox.start_server)
        rhea = windows("recruiter")
        rhea.sign_in(RECRUITER.email)
        original = edit_the_template(rhea)
        seeded = seeding.result()
        board = f"/requisitions/{seeded['requisition']}"
        application = f"/applications/{seeded['application']}"
        requisition_pages(rhea, board, tmp_path)
        received = rejected_candidate_pages(rhea, board, application, mail_server)
        mailbox_up.result()

    # The email as the candidate's mail program shows it, then the development mailbox.
    reader = windows("mail-reader")
    first = NAME.split()[0]
    text = open_email(reader, received, first, TITLE, STRENGTH_1, STRENGTH_2, TEMPLATE_SHOWN)
    message = message_from_bytes(received.content, policy=policy.default)
    # Python's parser keeps a space where the folded display name's encoded words meet.
    assert message["To"].addresses[0].display_name.replace(" ", "") == NAME.replace(" ", "")
    assert message["Subject"] == f"Your interview for {TITLE}: our decision and feedback {SCRIPT}"
    flat = " ".join(text.split())
    for value in (STRENGTH_1, STRENGTH_2, TEMPLATE_SHOWN, f"at the {JS_URL}", f"Dear {first},"):
        assert value in flat, f"{value!r} is not in the plain text:\n{text}"
    (mailbox.folder / "payload.eml").write_bytes(received.content)
    rhea.goto(f"{mailbox.base_url}/messages/sent")
    rhea.inert("sent mail", f"Your interview for {TITLE}", f"{first} {SCRIPT}")
    rhea.submit(rhea.main.get_by_role("link", name=re.compile("Payload Analyst")))
    rhea.inert("sent message", f"{first} {SCRIPT}", TITLE, STRENGTH_1, TEMPLATE_SHOWN)

    # The candidate's page: their feedback, then a question, a rating, a note and the pool.
    link = re.search(r"https?://[^\s<>\"]+/c/[A-Za-z0-9_\-]+", text).group(0)
    before = len(mail_server.received)
    candidate_pages(windows("candidate"), link)
    open_email(reader, delivered(mail_server, HIRING_MANAGER.email, since=before), NOTE)

    # What the candidate typed, on the recruiter's pages.
    rhea.goto("/requests")
    rhea.inert("requests", NAME, TITLE)
    rhea.submit(rhea.main.get_by_role("row", name=re.compile(first)).get_by_role("link").first)
    rhea.inert("request", QUESTION, NAME)
    rhea.goto(application)
    rhea.inert("application with the candidate's note and rating", NOTE, COMMENT)
    rhea.goto(f"/talent-pool?{urlencode({'role_family': ROLE_FAMILY})}")
    rhea.inert("talent pool", NAME, ROLE_FAMILY, LOCATION, STRENGTH_1, TITLE)
    rhea.goto(f"/insights?{urlencode({'requisition': seeded['requisition']})}")
    rhea.inert("insights", JS_URL)
    rhea.goto(board)
    rhea.inert("board", TITLE, OTHER)
    save_template(rhea, original)


def edit_the_template(rhea: Window) -> dict[str, str]:
    """A payload in the name, subject and wording of the interview-rejection template;
    returns what it said before."""
    rhea.goto(TEMPLATE)
    fields = ("Name", "Subject", "Message")
    original = {name: rhea.main.get_by_label(name, exact=True).input_value() for name in fields}
    edited = {
        "Name": f"{original['Name']} {SVG}",
        "Subject": f"{original['Subject']} {SCRIPT}",
        "Message": f"{original['Message']}\n\n{TEMPLATE_LINE}",
    }
    save_template(rhea, edited)
    rhea.inert("message templates", edited["Name"])
    rhea.goto(TEMPLATE)
    for name, value in edited.items():
        expect(rhea.main.get_by_label(name, exact=True)).to_have_value(value)
    rhea.inert("template editor", original["Name"])
    return original


def requisition_pages(rhea: Window, board: str, tmp_path) -> None:
    """A candidate added by hand, the board, the criteria and stages, and two CSV files."""
    rhea.goto(f"{board}/candidates/new")
    rhea.inert("add candidate", TITLE)
    rhea.main.get_by_label("Name", exact=True).fill(OTHER)
    rhea.main.get_by_label("Email", exact=True).fill("quinn.payload@mail.example")
    rhea.submit(rhea.main.get_by_role("button", name="Add candidate"))
    added = f"{OTHER} added to {TITLE} at {STAGES[0][0]}."
    rhea.inert("board", added, TITLE, OTHER, STAGES[0][0], STAGES[1][0])
    rhea.goto(f"{board}/setup")
    rhea.inert("criteria and stages", TITLE)
    shown = form_values(rhea)
    for value in [text for pair in CRITERIA for text in pair] + [name for name, _ in STAGES]:
        assert value in shown, f"criteria and stages: {value!r} is not in the forms: {shown}"
    rhea.goto(f"{board}/applications?status=rejected")
    rhea.inert("application list", NAME)

    rhea.goto(f"{board}/candidates/import")
    header = tmp_path / f"{IMG}.csv"
    write_csv(header, [[SCRIPT, IMG], ["a", "b"]])
    rhea.main.get_by_label("CSV file").set_input_files(header)
    rhea.submit(rhea.main.get_by_role("button", name="Check and import"))
    rhea.inert("import, header refused", SCRIPT, IMG)
    rows = tmp_path / f"{SVG} {JINJA}.csv"
    write_csv(
        rows,
        [
            ["name", "email", "stage", "time zone"],
            [SCRIPT, f"bad {IMG}", SVG, JINJA],
            [JS_URL, JS_URL, PLACEHOLDER, ""],
        ],
    )
    rhea.main.get_by_label("CSV file").set_input_files(rows)
    rhea.submit(rhea.main.get_by_role("button", name="Check and import"))
    expect(rhea.main.get_by_role("heading", level=1)).to_have_text("Nothing was imported yet")
    rhea.inert(
        "import error report",
        rows.name,
        TITLE,
        f'bad email "bad {IMG}"',
        f'unknown stage "{SVG}"',
        f'unknown time zone "{JINJA}"',
        f'bad email "{JS_URL}"',
        f'unknown stage "{PLACEHOLDER}"',
    )


def rejected_candidate_pages(rhea: Window, board: str, application: str, mail_server):
    """Application, scorecards, feedback, the closure message and the close-out, approved and
    sent; returns the delivered email."""
    rhea.goto(application)
    rhea.inert("application", NAME, TITLE, JS_URL)
    rhea.goto(f"{application}/scorecards")
    rhea.inert("scorecards", NAME, EVIDENCE, STRENGTH_1, STRENGTH_2, GROWTH, CRITERIA[0][0])
    rhea.goto(f"{application}/feedback")
    strength = rhea.main.get_by_label("Strength 1: what to tell the candidate")
    expect(strength).to_have_value(STRENGTH_1)
    rhea.inert("feedback", NAME, STRENGTH_2, GROWTH)

    # A javascript: target for the way back is refused, so there is no link to plant it in.
    rhea.goto(f"{application}/closure?{urlencode({'next': JS_URL})}")
    preview = rhea.main.locator(".preview")
    for text in (f"Dear {NAME.split()[0]},", TITLE, STRENGTH_1, STRENGTH_2, TEMPLATE_SHOWN):
        expect(preview).to_contain_text(text)
    expect(preview).to_contain_text(f"at the {JS_URL} for")
    rhea.inert("closure message", NAME, TEMPLATE_SHOWN)

    rhea.goto(f"{board}/closeout")
    rhea.main.locator("details summary").first.click()
    subject = f"Your interview for {TITLE}: our decision and feedback {SCRIPT}"
    rhea.inert("close out", NAME, subject, TEMPLATE_SHOWN)
    rhea.submit(rhea.main.get_by_role("button", name="Approve and schedule the selected messages"))
    expect(rhea.page.locator(".flashes")).to_contain_text("approved and scheduled")
    rhea.submit(rhea.main.get_by_role("button", name="Send the scheduled messages now"))
    received = delivered(mail_server, EMAIL)
    rhea.inert("close out, sent", TITLE)
    return received


def candidate_pages(zoe: Window, link: str) -> None:
    zoe.goto(link)
    zoe.inert("candidate page", f"Hello {NAME.split()[0]}", TITLE, STRENGTH_1, STRENGTH_2, GROWTH)
    zoe.main.get_by_label("Your question").fill(QUESTION)
    zoe.submit(zoe.main.get_by_role("button", name="Send my question"))
    zoe.inert("question sent", QUESTION)
    rating = zoe.main.locator("#feedback")
    rating.get_by_role("radio", name="Helpful", exact=True).check()
    rating.get_by_label("Anything to add? (optional)").fill(COMMENT)
    zoe.submit(rating.get_by_role("button", name="Send", exact=True))
    zoe.inert("feedback rated", QUESTION)
    zoe.main.get_by_label("Your note").fill(NOTE)
    zoe.submit(zoe.main.get_by_role("button", name="Send the note"))
    zoe.inert("note sent", QUESTION)
    pool = zoe.main.locator("#other-roles")
    pool.get_by_label(ROLE_FAMILY).check()
    pool.get_by_label(LOCATION).check()
    zoe.submit(pool.get_by_role("button", name="Consider me for other roles"))
    zoe.inert("pool joined", ROLE_FAMILY, LOCATION)
