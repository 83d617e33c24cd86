"""Issuing candidate links. The token leaves RecruitCare only inside the email that carries it."""

from datetime import datetime

from recruitcare.domain.tokens import LINK_TOKEN_PLACEHOLDER, fill_link, hash_token, new_token
from recruitcare.extensions import db
from recruitcare.models import CandidateLink


def new_link(application_id: int) -> tuple[str, dict]:
    """A fresh token for the application, and the row that records it (only its hash)."""
    token = new_token()
    return token, {"application_id": application_id, "token_hash": hash_token(token)}


def issue_link(application_id: int, *, now: datetime) -> str:
    """A fresh token for the application; only its hash is added to the session."""
    token, link = new_link(application_id)
    db.session.add(CandidateLink(**link, created_at=now))
    return token


def materialize(text: str, html: str, application_id: int | None):
    """Swap the link placeholder in a message for a working link, at the moment of sending.

    Returns the two bodies and the link's row for the caller to store with the message's
    result (only the token's hash); a message without the placeholder comes back unchanged,
    with no row.
    """
    if application_id is None or (
        LINK_TOKEN_PLACEHOLDER not in text and LINK_TOKEN_PLACEHOLDER not in html
    ):
        return text, html, None
    token, link = new_link(application_id)
    return fill_link(text, token), fill_link(html, token), link
