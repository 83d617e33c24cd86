"""Every form of the app, found by reading its pages, sent odd input field by field.

GET forms (the lists' filters) too, and each page's ``page`` number.

SQLite stores a string of any length in a VARCHAR(200) and any integer in an INTEGER;
PostgreSQL refuses both with an error. A form whose text field lacks the length check of its
column, or whose select takes a number it never offered, passes every test on SQLite and fails
on PostgreSQL only when saved. So each text field is sent over-long, and each select, radio
button and hidden value a huge number and a digit that int() refuses ("²"): each form must
answer without a server error (a form error, a refusal, or a saved value that fits).
"""

from html.parser import HTMLParser

import pytest
from sqlalchemy import select

from recruitcare.domain.enums import DeliveryStatus, Role
from recruitcare.extensions import db
from recruitcare.models import Application, Candidate, OutboxMessage, User
from recruitcare.portal import links
from tests.factories import NOW, PASSWORD, make_user
from tests.test_closure import add, approve_one, team  # noqa: F401
from tests.test_portal import OTHER_EMAIL, world  # noqa: F401
from tests.test_routes_security import _fill, _methods, _rules, other_team  # noqa: F401

LONG = "x" * 5_000
TEXT_TYPES = {"text", "search", "url", "tel", "password"}
# Forms that end the session or take away what later forms need go last, and sign-out never.
LAST = ("delete", "anonymise", "anonymize", "withdraw", "cancel", "deactivate", "close")


class _Forms(HTMLParser):
    """The forms of a page: their method, action and the fields a browser would send, each
    as (name, value, kind), kind being "text", "email" or "" for a value sent as it is."""

    def __init__(self):
        super().__init__()
        self.forms: list[tuple[str, str, list[tuple[str, str, str]]]] = []
        self._fields = None
        self._select = None

    def _has(self, name):
        return any(field[0] == name for field in self._fields)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self._fields = []
            method = (a.get("method") or "get").lower()
            self.forms.append((method, a.get("action") or "", self._fields))
        elif self._fields is None:
            return
        elif tag == "input" and a.get("name"):
            kind = (a.get("type") or "text").lower()
            if kind in ("submit", "button", "file", "image", "reset"):
                return
            if kind in ("checkbox", "radio"):
                if not self._has(a["name"]):
                    self._fields.append((a["name"], a.get("value", "on"), ""))
            elif kind == "email":
                self._fields.append((a["name"], "ana@example.com", "email"))
            else:
                text = "text" if kind in TEXT_TYPES else ""
                self._fields.append((a["name"], a.get("value") or "Ab", text))
        elif tag == "textarea" and a.get("name"):
            self._fields.append((a["name"], "Ab", "text"))
        elif tag == "select" and a.get("name"):
            self._select = a["name"]
        elif tag == "option" and self._select and a.get("value") and not self._has(self._select):
            self._fields.append((self._select, a["value"], ""))

    def handle_endtag(self, tag):
        if tag == "form":
            self._fields = None
        elif tag == "select":
            self._select = None


def _post_forms(client, pages, *, odd=None):
    """Each form once per text field, that field over-long and the others short; or, with
    ``odd``, once per other field (a select, a radio button, a hidden value) carrying it.
    Returns the form actions sent to, once per sending."""
    found = {}
    for page in pages:
        response = client.get(page)
        if response.status_code != 200 or "html" not in response.content_type:
            continue
        parser = _Forms()
        parser.feed(response.get_data(as_text=True))
        for method, action, fields in parser.forms:
            found.setdefault((method, action or page), fields)
        if odd is not None:  # the list pages' page number too
            assert client.get(page, query_string={"page": odd}).status_code < 500, page
    sent = []
    order = sorted(found, key=lambda form: any(word in form[1] for word in LAST))
    for method, action in order:
        if "logout" in action or not action.startswith("/"):
            continue
        fields = found[method, action]
        if odd is None:
            changed = [i for i, field in enumerate(fields) if field[2]] or [None]
        else:
            changed = [i for i, field in enumerate(fields) if not field[2]] or [None]
        for long in changed:
            data: dict[str, list[str]] = {}
            for i, (name, value, kind) in enumerate(fields):
                if i == long:
                    value = odd if odd is not None else LONG
                    value = value + "@example.com" if kind == "email" else value
                data.setdefault(name, []).append(value)
            if method == "post":
                response = client.post(action, data=data)
            else:
                response = client.get(action, query_string=data)
            assert response.status_code < 500, (action, fields[long][0] if long else None)
            sent.append(action)
    return sent


@pytest.mark.parametrize("odd", [None, "9" * 21, "²"], ids=["long text", "huge", "odd digit"])
def test_every_form_answers_odd_input_without_a_server_error(app, other_team, odd):  # noqa: F811
    with app.app_context():
        make_user(Role.ADMIN, email="admin@example.com")
        db.session.commit()
    values = {**other_team, "key": "interim_update", "user_id": 1, "reason_id": 1}
    pages = []
    for rule in _rules(app):
        if "GET" not in _methods(rule) or rule.endpoint.startswith("portal."):
            continue
        if not all(arg in values for arg in rule.arguments):
            continue
        pages.append(_fill(rule, values))
    # The candidate's side: the private page and every form on it.
    with app.app_context():
        token = links.issue_link(other_team["application_id"], now=NOW)
        db.session.commit()
    sent = _post_forms(app.test_client(), [f"/c/{token}"], odd=odd)
    for email in ("a@example.com", "admin@example.com"):
        client = app.test_client()
        client.post("/auth/login", data={"email": email, "password": PASSWORD})
        sent += _post_forms(client, pages, odd=odd)
    assert len(sent) > 40
    with app.app_context():
        assert db.session.scalar(select(User).filter_by(email="admin@example.com")).active


@pytest.mark.parametrize("odd", [None, "9" * 21, "²"], ids=["long text", "huge", "odd digit"])
def test_the_feedback_and_portal_forms_answer_odd_input_too(app, world, odd):  # noqa: F811
    """A rejected, interviewed candidate: the recruiter composes feedback for one, and the
    other, whose feedback is approved, has the portal's rating, question and pool forms."""
    with app.app_context():
        other = db.session.scalar(
            select(Application.id).join(Candidate).where(Candidate.email == OTHER_EMAIL)
        )
    sent = _post_forms(app.test_client(), [f"/c/{world['token']}"], odd=odd)
    client = app.test_client()
    client.post("/auth/login", data={"email": "rita@example.com", "password": PASSWORD})
    pages = [
        _fill(rule, {"application_id": application, "requisition_id": world["requisition"]})
        for application in (other, world["application"])
        for rule in _rules(app)
        if "GET" in _methods(rule)
        and rule.arguments
        and set(rule.arguments) <= {"application_id", "requisition_id"}
    ]
    sent += _post_forms(client, pages, odd=odd)
    assert len(sent) > 10


@pytest.mark.parametrize("odd", [None, "9" * 21, "²"], ids=["long text", "huge", "odd digit"])
def test_the_delivery_and_leaving_forms_answer_odd_input_too(app, team, odd):  # noqa: F811
    """A closure scheduled and one not delivered (send now, cancel, resend to a fixed
    address); an open application's private pages (withdraw, delete my data); and the page
    that sends a new link."""
    scheduled, failed = add(app, team, 2)
    (still_open,) = add(app, team, reject=False)
    client = app.test_client()
    client.post("/auth/login", data={"email": "rec@example.com", "password": PASSWORD})
    for application_id in (scheduled, failed):
        assert approve_one(client, application_id).status_code == 302
    with app.app_context():
        message = db.session.scalar(
            select(OutboxMessage).where(OutboxMessage.application_id == failed)
        )
        message.status = DeliveryStatus.FAILED
        message.smtp_code = 550
        token = links.issue_link(still_open, now=NOW)
        db.session.commit()
    sent = _post_forms(
        client, ["/messages/not-delivered", f"/applications/{scheduled}/closure"], odd=odd
    )
    sent += _post_forms(
        app.test_client(), [f"/c/{token}/withdraw", f"/c/{token}/delete", "/c/new"], odd=odd
    )
    walked = {action.rsplit("/", 1)[-1] for action in sent}
    assert {"resend", "send-now", "cancel", "withdraw", "delete", "new"} <= walked
