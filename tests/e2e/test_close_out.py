"""A recruiter fills a requisition and closes out everyone still open in one flow, in a real
browser: forty messages, each drafted for its candidate, scheduled, sent now, delivered by the
worker to the SMTP server, and the one address the server refuses shown as not delivered,
fixed and resent.
"""

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import PASSWORD, RECRUITER
from tests.smtp_server import Rule

pytestmark = pytest.mark.e2e
expect.set_options(timeout=10_000)

TITLE = "Warehouse Shift Lead"
HIRED = "Noor Haddad"
FIRST_NAMES = (
    "Alba",
    "Bruno",
    "Cyra",
    "Dmitri",
    "Elif",
    "Farid",
    "Greta",
    "Hamza",
    "Ines",
    "Jonah",
    "Kaia",
    "Lorcan",
    "Mina",
    "Nils",
    "Odile",
    "Pavel",
    "Quinn",
    "Rosa",
    "Samir",
    "Tove",
    "Ugo",
    "Vera",
    "Wendell",
    "Xenia",
    "Yusuf",
    "Zora",
    "Arlo",
    "Bea",
    "Cosmo",
    "Dalia",
    "Emrys",
    "Fenna",
    "Gideon",
    "Hana",
    "Ivo",
    "Juno",
    "Kester",
    "Lior",
    "Maren",
    "Nadia",
)
CLOSED = [f"{first} Vance" for first in FIRST_NAMES]  # forty still open when the job is filled
BOUNCING = "ivo.vance@mail.example"  # no such mailbox at the candidates' mail server
FIXED = "ivo.vance@post.example"


def email_of(name: str) -> str:
    return name.lower().replace(" ", ".") + "@mail.example"


def count_of(delivery, label: str) -> int:
    item = delivery.locator("li", has=delivery.page.get_by_text(label, exact=True))
    return int(item.locator(".stat-number").inner_text()) if item.count() else 0


def test_recruiter_fills_a_requisition_and_closes_out_forty_with_one_bounce(
    people, mail_server, tmp_path
):
    mail_server.rules[BOUNCING] = Rule(reject=True)
    rhea = people("recruiter")
    rhea.sign_in(RECRUITER.email, PASSWORD)

    nav = rhea.page.get_by_role("navigation", name="Main")
    rhea.submit(nav.get_by_role("link", name="New requisition", exact=True), "new requisition")
    form = rhea.main.locator("form")
    form.get_by_label("Job title").fill(TITLE)
    form.get_by_label("Team or department").fill("Fulfilment")
    form.get_by_label("Location").fill("Hamilton")
    form.get_by_label("Role family").fill("Operations")
    rhea.submit(form.get_by_role("button", name="Save requisition"), "criteria and stages")
    adding = rhea.main.locator("form", has=rhea.page.get_by_role("button", name="Add criterion"))
    adding.get_by_label("Criterion").fill("Shift planning")
    adding.get_by_label("What good looks like").fill("Plans a week of shifts around demand.")
    rhea.submit(adding.get_by_role("button", name="Add criterion"), "criterion added")

    tabs = rhea.main.get_by_role("navigation", name="Requisition")
    rhea.submit(tabs.get_by_role("link", name="Import CSV"), "import forty-one")
    rows = [f"{name},{email_of(name)},,America/Toronto" for name in [HIRED, *CLOSED]]
    csv_file = tmp_path / "shift-leads.csv"
    csv_file.write_text("name,email,stage,time zone\n" + "\n".join(rows) + "\n", encoding="utf-8")
    rhea.main.get_by_label("CSV file").set_input_files(csv_file)
    rhea.submit(rhea.main.get_by_role("button", name="Check and import"), "board of forty-one")
    board = rhea.main.get_by_role("list", name="Pipeline stages")
    expect(rhea.main.locator(".flashes")).to_contain_text(f"Imported 41 candidates into {TITLE}")

    # The position is filled: Noor goes through every stage to hired.
    rhea.submit(board.get_by_role("link", name=HIRED), f"application of {HIRED}")
    decide = rhea.main.locator("form", has=rhea.page.get_by_role("button", name="Record outcome"))
    for step in range(5):
        decide.get_by_label("Advance", exact=True).check()
        rhea.submit(decide.get_by_role("button", name="Record outcome"), f"advanced {step + 1}")
        expect(rhea.main.locator(".flash-error")).to_have_count(0)
    expect(rhea.main.get_by_role("heading", level=1)).to_contain_text("Hired")

    rhea.submit(rhea.main.get_by_role("link", name=TITLE).first, "board after the hire")
    tabs = rhea.main.get_by_role("navigation", name="Requisition")
    rhea.submit(tabs.get_by_role("link", name="Close out"), "close out")
    rhea.submit(
        rhea.main.get_by_role("link", name="Position filled: include everyone still open"),
        "close out everyone still open",
    )
    table = rhea.main.get_by_role("table")
    expect(table.locator("tbody tr")).to_have_count(40)
    for name in CLOSED:
        expect(rhea.main.get_by_role("checkbox", name=name)).to_be_checked()
    expect(rhea.main.get_by_role("checkbox", name=HIRED)).to_have_count(0)
    # Each draft is addressed to its candidate; bodies alike apart from the name are flagged.
    first = table.locator("tbody tr").first
    expect(first.locator(".preview")).to_contain_text(f"Dear {CLOSED[0].split()[0]}")
    expect(first).to_contain_text("Same as others but the name")

    rhea.submit(
        rhea.main.get_by_role("button", name="Approve and schedule the selected messages"),
        "forty approved",
    )
    expect(rhea.main.locator(".flashes")).to_contain_text("40 messages approved and scheduled")
    closeout = rhea.page.url
    delivery = rhea.main.get_by_role("list", name="Delivery")
    expect(delivery).to_contain_text("Scheduled")
    assert count_of(delivery, "Scheduled") == 40
    early = [m for m in mail_server.received if set(m.recipients) & {email_of(n) for n in CLOSED}]
    assert not early, "the cool-off holds the messages until they are sent now"

    rhea.submit(rhea.main.get_by_role("button", name="Send the scheduled messages now"), "sent")
    rhea.reload_until(
        lambda: count_of(delivery, "Delivered") == 39 and count_of(delivery, "Failed") == 1,
        "thirty-nine delivered, one refused",
        timeout=60,
    )
    delivered = {r for m in mail_server.received for r in m.recipients}
    assert {email_of(n) for n in CLOSED} - delivered == {BOUNCING}
    undelivered = rhea.main.get_by_role("region", name="Not delivered: not closed yet")
    expect(undelivered).to_contain_text("Ivo Vance")
    expect(undelivered).to_contain_text("550")
    expect(rhea.main.locator("#completeness")).to_contain_text("39 of 40")

    rhea.submit(
        rhea.main.get_by_role("link", name="See what was not delivered and fix it"),
        "not delivered",
    )
    card = rhea.main.locator("section", has_text="Ivo Vance")
    expect(card).to_contain_text("Mail server answered 550")
    expect(card).to_contain_text("No such mailbox")
    card.get_by_label("Email address").fill(FIXED)
    rhea.submit(card.get_by_role("button", name="Fix the address and resend"), "resent")
    expect(rhea.main.locator(".flashes")).to_contain_text("scheduled again")
    assert mail_server.wait_for_recipient(FIXED, timeout=30), "the resent message never arrived"

    rhea.goto(closeout, "close out after the resend")
    rhea.reload_until(
        lambda: count_of(rhea.main.get_by_role("list", name="Delivery"), "Delivered") == 40,
        "all forty delivered",
        timeout=30,
    )
    expect(rhea.main.locator("#completeness")).to_contain_text("40 of 40")
    expect(rhea.main.get_by_role("region", name="Not delivered: not closed yet")).to_have_count(0)

    # The last delivery closes the requisition as filled.
    rhea.submit(rhea.main.locator(".crumbs").get_by_role("link", name=TITLE), "board, filled")
    heading = rhea.main.get_by_role("heading", level=1)
    rhea.reload_until(
        lambda: "Filled" in heading.inner_text(), "requisition marked filled", timeout=30
    )
    expect(heading).not_to_contain_text("Closing as")
