"""Sign-in, sign-out and passwords."""

from recruitcare.auth.views import bp

__all__ = ["bp"]
