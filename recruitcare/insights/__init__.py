"""Insights: how well the promise "no candidate left waiting" is kept, per requisition,
recruiter and hiring manager, with charts and a CSV export."""

from recruitcare.insights.views import bp

__all__ = ["bp"]
