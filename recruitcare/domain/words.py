"""Small wording rules shared by pages, emails and commands."""


def plural(count: int, word: str, many: str | None = None) -> str:
    """``1 message``, ``2 messages``, ``1,200 people`` (with ``many="people"``)."""
    return f"{count:,} {word if count == 1 else many or word + 's'}"
