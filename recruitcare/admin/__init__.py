"""Admin pages: people and their roles."""

from recruitcare.admin.views import bp

__all__ = ["bp"]
