"""Which ``?next=`` targets are safe: only paths on this site, never another host."""

from urllib.parse import urlsplit


def safe_next_path(target: str | None) -> str | None:
    """Return ``target`` when it is a local path, else None.

    Browsers treat ``//host`` and ``/\\host`` as other sites, and ignore tabs and newlines
    inside URLs, so those are refused too.
    """
    if not target or any(c in target for c in "\t\r\n\\"):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target
