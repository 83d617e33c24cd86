"""The data model; import models from here."""

from recruitcare.models.audit import AuditEvent
from recruitcare.models.feedback import (
    CandidateFeedback,
    FeedbackVersion,
    Scorecard,
    ScorecardRating,
    ScorecardVersion,
)
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
from recruitcare.models.messages import ClosureMessage, MessageTemplate
from recruitcare.models.outbox import OutboxMessage
from recruitcare.models.portal import CandidateLink
from recruitcare.models.users import User

__all__ = [
    "Application",
    "AuditEvent",
    "CandidateFeedback",
    "FeedbackVersion",
    "Candidate",
    "CandidateLink",
    "ClosureMessage",
    "Criterion",
    "Interview",
    "MessageTemplate",
    "OutboxMessage",
    "Reason",
    "Requisition",
    "Scorecard",
    "ScorecardRating",
    "ScorecardVersion",
    "Stage",
    "StageOutcome",
    "User",
    "interview_interviewers",
    "requisition_members",
]
