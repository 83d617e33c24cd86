"""Candidate CSV files and people for the candidate import tests."""

from recruitcare.domain.enums import Role
from tests.factories import make_requisition, make_user


def candidate_csv(count: int, *, start: int = 0, extra: str = "", sep: str = ",") -> bytes:
    """A header and ``count`` valid rows, then ``extra`` lines as written."""
    rows = [f"name{sep}email"]
    rows += [f"Person Number{i}{sep}person{i}@mail.example" for i in range(start, start + count)]
    return ("\n".join(rows) + "\n" + extra).encode()


def make_team(**kw):
    """A requisition owned by one recruiter, with a hiring manager on its team, and an outsider."""
    owner = make_user(Role.RECRUITER, email=kw.pop("owner_email", "owner@example.com"))
    manager = make_user(Role.HIRING_MANAGER, email="manager@example.com")
    outsider = make_user(Role.RECRUITER, email="outsider@example.com")
    requisition = make_requisition(owner, members=[manager], title="Backend Engineer", **kw)
    return requisition, owner, manager, outsider
