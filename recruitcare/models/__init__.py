"""The data model; import models from here."""

from recruitcare.models.audit import AuditEvent
from recruitcare.models.hiring import (
    Application,
    Candidate,
    Criterion,
    Interview,
    Reason,
    Requisition,
    Stage,
    StageOutcome,
    interview_interviewers,
    requisition_members,
)
from recruitcare.models.users import User

__all__ = [
    "Application",
    "AuditEvent",
    "Candidate",
    "Criterion",
    "Interview",
    "Reason",
    "Requisition",
    "Stage",
    "StageOutcome",
    "User",
    "interview_interviewers",
    "requisition_members",
]
