"""The candidate portal: a private link per application, no account, no password."""

from recruitcare.portal.views import bp

__all__ = ["bp"]
