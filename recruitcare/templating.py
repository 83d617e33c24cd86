"""Jinja filters and globals shared by every page."""

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Flask, current_app

from recruitcare.clock import utcnow
from recruitcare.domain.enums import DeliveryStatus, Role
from recruitcare.domain.tokens import shown_link


def register(app: Flask) -> None:
    app.jinja_env.add_extension("jinja2.ext.do")
    app.jinja_env.filters["local_date"] = local_date
    app.jinja_env.filters["local_datetime"] = local_datetime
    app.jinja_env.filters["shown_link"] = shown_link
    app.jinja_env.globals["Role"] = Role
    app.jinja_env.globals["DeliveryStatus"] = DeliveryStatus
    app.jinja_env.globals["utcnow"] = utcnow
    app.jinja_env.globals["nav_items"] = nav_items
    app.jinja_env.globals["has_endpoint"] = lambda name: name in app.view_functions


def _zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["ORG_TIMEZONE"])


def local_date(value: datetime | None) -> str:
    if value is None:
        return "—"
    return value.astimezone(_zone()).strftime("%a %-d %b %Y")


def local_datetime(value: datetime | None) -> str:
    if value is None:
        return "—"
    return value.astimezone(_zone()).strftime("%a %-d %b %Y, %H:%M")


# Navigation by role: (endpoint, label, roles that see it). Features add their entries here.
NAV = (
    ("home.index", "Home", (Role.ADMIN, Role.RECRUITER, Role.HIRING_MANAGER)),
    ("feedback.my_interviews", "My interviews", (Role.ADMIN, Role.RECRUITER, Role.HIRING_MANAGER)),
    ("pipeline.new_requisition", "New requisition", (Role.ADMIN, Role.RECRUITER)),
    ("requests.index", "Requests", (Role.ADMIN, Role.RECRUITER)),
    ("requests.talent_pool", "Talent pool", (Role.ADMIN, Role.RECRUITER)),
    ("insights.index", "Insights", (Role.ADMIN, Role.RECRUITER)),
    ("closure.templates", "Templates", (Role.ADMIN, Role.RECRUITER)),
    ("closure.not_delivered", "Not delivered", (Role.ADMIN, Role.RECRUITER)),
    ("closure.sent_mail", "Sent mail", (Role.ADMIN, Role.RECRUITER)),
    ("admin.users", "People", (Role.ADMIN,)),
    ("admin.reasons", "Reasons", (Role.ADMIN,)),
)


def nav_items(user) -> list[tuple[str, str]]:
    return [
        (endpoint, label)
        for endpoint, label, roles in NAV
        if user.role in roles and endpoint in current_app.view_functions and _shown(endpoint)
    ]


def _shown(endpoint: str) -> bool:
    """The development mailbox only exists while mail is written to files."""
    return endpoint != "closure.sent_mail" or current_app.config["MAIL_BACKEND"] == "file"
