"""Closure messages, bulk close-out, message templates and delivery pages."""

from recruitcare.closure.views import bp

__all__ = ["bp"]
