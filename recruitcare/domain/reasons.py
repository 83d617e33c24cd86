"""The default reason taxonomy: an internal reason, and what the candidate may be told.

There is deliberately no "culture fit" reason: it cannot be explained against the job's criteria.
"""

from dataclasses import dataclass

from recruitcare.domain.enums import Decision


@dataclass(frozen=True)
class DefaultReason:
    code: str
    decision: Decision
    label: str
    candidate_explanation: str
    default_template: str
    requires_details: bool = False


DEFAULT_REASONS: tuple[DefaultReason, ...] = (
    DefaultReason(
        "criteria_mismatch",
        Decision.REJECT,
        "Skills or experience do not match the criteria",
        "Your skills and experience, as we saw them, did not yet match what this role needs "
        "on the criteria we assessed.",
        "rejected_after_interview",
    ),
    DefaultReason(
        "closer_candidate",
        Decision.REJECT,
        "Another candidate was closer to the criteria",
        "We had a strong field for this role, and on the criteria we assessed we decided not "
        "to continue with your application this time.",
        "rejected_after_interview",
    ),
    DefaultReason(
        "requirement_not_met",
        Decision.REJECT,
        "Did not meet a stated requirement (work authorisation, schedule, location)",
        "The role has a stated requirement, listed in the job description, that we could not "
        "see met in your application.",
        "rejected_after_review",
    ),
    DefaultReason(
        "position_filled",
        Decision.REJECT,
        "Position filled",
        "The position has now been filled.",
        "position_filled",
    ),
    DefaultReason(
        "position_cancelled",
        Decision.REJECT,
        "Position cancelled or on hold",
        "The position has been cancelled or put on hold, so we are not continuing the process.",
        "position_cancelled",
    ),
    DefaultReason(
        "declined_offer",
        Decision.WITHDRAWN,
        "Candidate declined the offer",
        "You let us know that you decided not to accept the offer.",
        "withdrawal_acknowledged",
    ),
    DefaultReason(
        "candidate_withdrew",
        Decision.WITHDRAWN,
        "Candidate withdrew",
        "You let us know that you would like to withdraw your application.",
        "withdrawal_acknowledged",
    ),
    DefaultReason(
        "other_reject",
        Decision.REJECT,
        "Other (explain)",
        "We have decided not to continue with your application for this role.",
        "rejected_after_review",
        requires_details=True,
    ),
)
