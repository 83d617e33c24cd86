"""Maintaining the reason taxonomy."""

import re
from typing import Any

from sqlalchemy import func, select

from recruitcare.domain.enums import Decision
from recruitcare.extensions import db
from recruitcare.models import Reason

# Reasons must be explainable against the job's criteria; these never are.
FORBIDDEN = re.compile(
    r"\b(culture|cultural|team|good|poor|bad|right)\s+(fit|add)\b|\bnot\s+a\s+(good\s+)?fit\b"
    r"|\bgut\s+feeling\b",
    re.I,
)


class ReasonError(ValueError):
    """A reason that cannot be saved; the message is safe to show."""


def save_reason(reason: Reason | None, data: dict[str, Any]) -> Reason:
    code = re.sub(r"[^a-z0-9_]+", "_", data["code"].strip().lower()).strip("_")
    if not code:
        raise ReasonError("Use letters, digits and underscores for the code.")
    if FORBIDDEN.search(data["label"]) or FORBIDDEN.search(data["candidate_explanation"]):
        raise ReasonError(
            "“Fit” is not a reason a candidate can act on: name the job criterion instead."
        )
    clash = db.session.scalar(
        select(Reason.id).where(Reason.code == code, Reason.id != (reason.id if reason else -1))
    )
    if clash is not None:
        raise ReasonError(f"The code {code} is already used.")
    if reason is None:
        last = db.session.scalar(select(func.max(Reason.position))) or 0
        reason = Reason(position=last + 1)
        db.session.add(reason)
    reason.code = code
    reason.decision = Decision(data["decision"])
    reason.label = data["label"]
    reason.candidate_explanation = data["candidate_explanation"]
    reason.default_template = data["default_template"] or None
    reason.requires_details = data["requires_details"]
    reason.active = data["active"]
    db.session.flush()
    return reason
