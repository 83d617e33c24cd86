"""The product's statuses and roles, and the one place that says how each one looks."""

from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"
    RECRUITER = "recruiter"
    HIRING_MANAGER = "hiring_manager"

    @property
    def label(self) -> str:
        return {"admin": "Admin", "recruiter": "Recruiter", "hiring_manager": "Hiring manager"}[
            self.value
        ]


class RequisitionStatus(StrEnum):
    OPEN = "open"
    ON_HOLD = "on_hold"
    FILLED = "filled"
    CANCELLED = "cancelled"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()

    @property
    def tone(self) -> str:
        return {"open": "ok", "on_hold": "warn", "filled": "done", "cancelled": "muted"}[self.value]


class ApplicationStatus(StrEnum):
    ACTIVE = "active"
    ON_HOLD = "on_hold"
    OFFER = "offer"
    HIRED = "hired"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()

    @property
    def tone(self) -> str:
        return {
            "active": "ok",
            "on_hold": "warn",
            "offer": "info",
            "hired": "done",
            "rejected": "muted",
            "withdrawn": "muted",
        }[self.value]

    @property
    def is_open(self) -> bool:
        """Open applications still owe the candidate a decision and carry a promise."""
        return self in OPEN_APPLICATION_STATUSES


OPEN_APPLICATION_STATUSES = frozenset(
    {ApplicationStatus.ACTIVE, ApplicationStatus.ON_HOLD, ApplicationStatus.OFFER}
)


class Decision(StrEnum):
    ADVANCE = "advance"
    REJECT = "reject"
    HOLD = "hold"
    WITHDRAWN = "withdrawn"

    @property
    def label(self) -> str:
        return {
            "advance": "Advance",
            "reject": "Reject",
            "hold": "Put on hold",
            "withdrawn": "Candidate withdrew",
        }[self.value]

    @property
    def needs_reason(self) -> bool:
        return self in (Decision.REJECT, Decision.WITHDRAWN)


class OutcomeStatus(StrEnum):
    """A hiring manager proposes; a recruiter's outcome (or confirmation) is what counts."""

    PROPOSED = "proposed"
    CONFIRMED = "confirmed"
    UNDONE = "undone"


class PromiseState(StrEnum):
    ON_TRACK = "on_track"
    DUE_SOON = "due_soon"
    OVERDUE = "overdue"

    @property
    def label(self) -> str:
        return {"on_track": "On track", "due_soon": "Due soon", "overdue": "Overdue"}[self.value]

    @property
    def tone(self) -> str:
        return {"on_track": "ok", "due_soon": "warn", "overdue": "danger"}[self.value]


class ScorecardStatus(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"

    @property
    def label(self) -> str:
        return self.value.capitalize()

    @property
    def tone(self) -> str:
        return {"draft": "warn", "submitted": "ok"}[self.value]


class Recommendation(StrEnum):
    STRONG_YES = "strong_yes"
    YES = "yes"
    NO = "no"
    STRONG_NO = "strong_no"

    @property
    def label(self) -> str:
        return {
            "strong_yes": "Strong yes",
            "yes": "Yes",
            "no": "No",
            "strong_no": "Strong no",
        }[self.value]

    @property
    def tone(self) -> str:
        return {"strong_yes": "ok", "yes": "ok", "no": "muted", "strong_no": "muted"}[self.value]


class FeedbackStatus(StrEnum):
    """Candidate-facing feedback: a hiring manager or recruiter drafts, a recruiter approves."""

    DRAFT = "draft"
    APPROVED = "approved"

    @property
    def label(self) -> str:
        return self.value.capitalize()

    @property
    def tone(self) -> str:
        return {"draft": "warn", "approved": "ok"}[self.value]


class DeliveryStatus(StrEnum):
    """Where an outgoing message stands in the outbox."""

    SCHEDULED = "scheduled"
    SENDING = "sending"
    RETRYING = "retrying"
    DELIVERED = "delivered"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def label(self) -> str:
        return self.value.capitalize()

    @property
    def tone(self) -> str:
        return {
            "scheduled": "info",
            "sending": "info",
            "retrying": "warn",
            "delivered": "ok",
            "failed": "danger",
            "cancelled": "muted",
        }[self.value]

    @property
    def is_pending(self) -> bool:
        """Still owed to the recipient: the worker will (re)try it."""
        return self in (DeliveryStatus.SCHEDULED, DeliveryStatus.SENDING, DeliveryStatus.RETRYING)


class ClosureStatus(StrEnum):
    """A closure message for one application, from draft to its place in the outbox."""

    DRAFT = "draft"
    HELD = "held"
    SCHEDULED = "scheduled"
    CANCELLED = "cancelled"

    @property
    def label(self) -> str:
        return self.value.capitalize()

    @property
    def tone(self) -> str:
        return {"draft": "warn", "held": "warn", "scheduled": "info", "cancelled": "muted"}[
            self.value
        ]


class PromiseEventKind(StrEnum):
    """How one promised decision date ended: a decision in time, an interim update, or neither."""

    KEPT = "kept"
    EXTENDED = "extended"
    BROKEN = "broken"

    @property
    def label(self) -> str:
        return self.value.capitalize()

    @property
    def tone(self) -> str:
        return {"kept": "ok", "extended": "warn", "broken": "danger"}[self.value]


class InterimPolicy(StrEnum):
    """What the sweep does when a requisition's promise lapses with no decision."""

    AUTO = "auto"
    APPROVE = "approve"

    @property
    def label(self) -> str:
        return {
            "auto": "Send the interim update automatically",
            "approve": "Queue it for the recruiter's approval",
        }[self.value]


class StatusUpdatePolicy(StrEnum):
    """What happens when a candidate advances or is put on hold."""

    SEND = "send"
    PROPOSE = "propose"

    @property
    def label(self) -> str:
        return {
            "send": "Send the candidate a status update",
            "propose": "Propose it to the recruiter first",
        }[self.value]


class CandidateUpdateStatus(StrEnum):
    """A status or interim update waiting for a recruiter's approval."""

    PENDING = "pending"
    SENT = "sent"
    DISMISSED = "dismissed"

    @property
    def label(self) -> str:
        return self.value.capitalize()

    @property
    def tone(self) -> str:
        return {"pending": "warn", "sent": "ok", "dismissed": "muted"}[self.value]
