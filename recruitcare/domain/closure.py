"""Closure messages: which situation an application is in, and the default wording for each.

The default texts use the placeholder language of ``recruitcare.domain.messages`` and are
only a starting point: admins and recruiters edit them, and every message can be edited for
the one candidate it goes to.
"""

from dataclasses import dataclass

from recruitcare.domain.enums import ApplicationStatus


@dataclass(frozen=True)
class DefaultTemplate:
    key: str
    name: str
    situation: str
    subject: str
    body: str


_SIGN_OFF = "\n\nKind regards,\n{recruiter_name}\n{company_name}"

DEFAULT_TEMPLATES: tuple[DefaultTemplate, ...] = (
    DefaultTemplate(
        "rejected_after_review",
        "Not continuing after application review",
        "A candidate who was not selected for interview.",
        "Your application for {requisition_title}",
        "Dear {candidate_first_name},\n\nThank you for applying for {requisition_title}. "
        "We have read your application carefully and decided not to continue with it. "
        "{reason}\n\nYou can see where your application stands at {feedback_link}." + _SIGN_OFF,
    ),
    DefaultTemplate(
        "rejected_after_interview",
        "Not continuing after an interview, with feedback",
        "A candidate who was interviewed; the message carries their approved feedback.",
        "Your interview for {requisition_title}: our decision and feedback",
        "Dear {candidate_first_name},\n\nThank you for the time you gave us at the "
        "{stage} for {requisition_title}. We have decided not to continue with your "
        "application. {reason}\n\nHere is the feedback from the people who interviewed you:"
        "\n\n{feedback}\n\nYou can read it again, ask a question about it or ask for a "
        "short call at {feedback_link}." + _SIGN_OFF,
    ),
    DefaultTemplate(
        "position_filled",
        "Position filled",
        "Candidates still open when the position is filled.",
        "{requisition_title}: the position has been filled",
        "Dear {candidate_first_name},\n\nThank you for your interest in {requisition_title}. "
        "The position has now been filled, so we are closing the remaining applications, "
        "including yours. We are sorry we could not take it further this time.\n\n"
        "If you would like to be considered for other roles, you can say so at "
        "{feedback_link}." + _SIGN_OFF,
    ),
    DefaultTemplate(
        "position_cancelled",
        "Position cancelled or on hold",
        "Candidates still open when the position is cancelled or put on hold.",
        "{requisition_title}: an update on the position",
        "Dear {candidate_first_name},\n\nThank you for your interest in {requisition_title}. "
        "The position has been cancelled or put on hold, so we are not continuing the "
        "process. This is not a decision about you or your application.\n\n"
        "You can ask to be considered for other roles at {feedback_link}." + _SIGN_OFF,
    ),
    DefaultTemplate(
        "withdrawal_acknowledged",
        "Withdrawal acknowledged",
        "A candidate who withdrew or declined an offer.",
        "We have received your withdrawal: {requisition_title}",
        "Dear {candidate_first_name},\n\nThank you for letting us know. We have withdrawn "
        "your application for {requisition_title}, and we wish you well.\n\n"
        "Your details and any feedback stay available at {feedback_link}." + _SIGN_OFF,
    ),
    DefaultTemplate(
        "interim_update",
        "Interim update: still deciding",
        "An open application whose promised decision date is about to pass.",
        "{requisition_title}: an update on your application",
        "Dear {candidate_first_name},\n\nWe promised you a decision on your application for "
        "{requisition_title}, and we have not made it yet. We did not want to leave you "
        "waiting without news: you will hear from us by {decision_date}.\n\n"
        "You can see where your application stands at {feedback_link}." + _SIGN_OFF,
    ),
    DefaultTemplate(
        "decision_overdue",
        "Decision overdue: we are late",
        "An open application whose decision is later than every date we gave; sent until a "
        "decision is made.",
        "{requisition_title}: our decision is late",
        "Dear {candidate_first_name},\n\nWe have not yet made a decision on your application "
        "for {requisition_title}. That is later than we told you, and we are sorry. Deciding "
        "on your application is now at the top of the hiring team's list. We will write to "
        "you again by {decision_date}, with our decision or, at the latest, an honest account "
        "of where it stands.\n\n"
        "You can see where your application stands at {feedback_link}." + _SIGN_OFF,
    ),
    DefaultTemplate(
        "status_advanced",
        "Status update: moving forward",
        "A candidate who advanced to the next stage; sent when the outcome is recorded.",
        "{requisition_title}: your application is moving forward",
        "Dear {candidate_first_name},\n\nGood news on your application for "
        "{requisition_title}: it has moved on to the next step, {stage}. We will be in touch "
        "about what happens next, and you will hear from us by {decision_date}.\n\n"
        "You can see where your application stands at {feedback_link}." + _SIGN_OFF,
    ),
    DefaultTemplate(
        "status_on_hold",
        "Status update: on hold",
        "A candidate whose application was put on hold; sent when the outcome is recorded.",
        "{requisition_title}: an update on your application",
        "Dear {candidate_first_name},\n\nWe want you to know where your application for "
        "{requisition_title} stands: we have paused it for now, and no decision has been "
        "made. You will hear from us by {decision_date}.\n\n"
        "You can see where your application stands at {feedback_link}." + _SIGN_OFF,
    ),
    DefaultTemplate(
        "stay_in_touch",
        "Stay in touch",
        "A candidate who asked to be considered for other roles.",
        "Staying in touch about roles at {company_name}",
        "Dear {candidate_first_name},\n\nThank you for asking to be considered for other "
        "roles. We will contact you if a role matching what you chose opens.\n\n"
        "You can change or withdraw this at {feedback_link}." + _SIGN_OFF,
    ),
)
TEMPLATE_KEYS = tuple(t.key for t in DEFAULT_TEMPLATES)


def template_key_for(
    status: ApplicationStatus,
    *,
    stage_is_interview: bool,
    reason_template: str | None,
    had_interview: bool,
) -> str:
    """The default template for an application's situation.

    The reason's own template comes first; an interviewed candidate is never sent the
    "after application review" wording, whatever the reason says.
    """
    if status is ApplicationStatus.WITHDRAWN:
        return "withdrawal_acknowledged"
    interviewed = stage_is_interview or had_interview
    if reason_template in TEMPLATE_KEYS:
        if reason_template == "rejected_after_review" and interviewed:
            return "rejected_after_interview"
        return reason_template
    return "rejected_after_interview" if interviewed else "rejected_after_review"


def needs_closure(status: ApplicationStatus) -> bool:
    """Every application that ended without a hire is owed a closure message."""
    return status in (ApplicationStatus.REJECTED, ApplicationStatus.WITHDRAWN)
