"""Private link tokens: 256 random bits shown once in an email, stored only as a hash."""

import hashlib
import secrets

TOKEN_BYTES = 32
# Stands in for the token inside a stored message body; the outbox swaps in a fresh token
# when it sends, so the database never holds a working link.
LINK_TOKEN_PLACEHOLDER = "__candidate_link_token__"
# What a recruiter reads in its place before the message is sent.
LINK_TOKEN_SHOWN = "[private link, made when sent]"


def new_token() -> str:
    """A URL-safe token from the operating system's CSPRNG (43 characters)."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def link_template(base_url: str) -> str:
    """The candidate link with the placeholder where the token goes."""
    return f"{base_url.rstrip('/')}/c/{LINK_TOKEN_PLACEHOLDER}"


def fill_link(text: str, token: str) -> str:
    return text.replace(LINK_TOKEN_PLACEHOLDER, token)


def shown_link(text: str) -> str:
    """A stored message as the recruiter previews it: the placeholder reads as what it is."""
    return text.replace(LINK_TOKEN_PLACEHOLDER, LINK_TOKEN_SHOWN)


def strip_placeholder(value: str) -> str:
    """Typed text can never smuggle the placeholder in and receive someone's token."""
    return value.replace(LINK_TOKEN_PLACEHOLDER, "")
