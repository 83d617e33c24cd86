"""What candidates ask for from their page, as the recruiter's to-do list: feedback calls,
follow-up questions, withdrawals, deletion requests; and the talent pool they join."""

from recruitcare.candidate_requests.views import bp

__all__ = ["bp"]
