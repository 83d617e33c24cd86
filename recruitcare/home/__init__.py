"""Each person's home page: the requisitions they work on."""

from recruitcare.home.views import bp

__all__ = ["bp"]
