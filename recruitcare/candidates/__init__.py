"""Adding candidates to a requisition, one by one or from a CSV file."""

from recruitcare.candidates.views import bp

__all__ = ["bp"]
