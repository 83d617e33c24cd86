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
from recruitcare.models.waiting import (
    CandidateUpdate,
    DigestSent,
    DutyToInformRecord,
    PromiseEvent,
)

__all__ = [
    "Application",
    "AuditEvent",
    "CandidateFeedback",
    "FeedbackVersion",
    "Candidate",
    "CandidateLink",
    "CandidateUpdate",
    "ClosureMessage",
    "Criterion",
    "DigestSent",
    "DutyToInformRecord",
    "Interview",
    "MessageTemplate",
    "OutboxMessage",
    "PromiseEvent",
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
