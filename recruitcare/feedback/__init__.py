"""Scorecards and candidate-facing feedback."""

from recruitcare.feedback.views import bp

__all__ = ["bp"]
