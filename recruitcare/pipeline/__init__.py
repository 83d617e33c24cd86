"""The recruiter's workspace: requisitions, candidates, interviews and stage outcomes."""

from recruitcare.pipeline.views import bp

__all__ = ["bp"]
