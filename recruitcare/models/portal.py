"""Private links candidates use to see their application: only the token's hash is stored."""

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from recruitcare.extensions import db
from recruitcare.models.hiring import Application
from recruitcare.models.types import UTCDateTime


class CandidateLink(db.Model):
    __tablename__ = "candidate_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("applications.id", ondelete="CASCADE"), index=True
    )
    # SHA-256 of the token, hex; the token itself exists only in the email sent.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # None while the application is open; set from its closure date.
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    application: Mapped[Application] = relationship()
