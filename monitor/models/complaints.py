"""Citizens' complaints and reports of inducement (clauses 2.1.5, 2.2.4)."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .types import UTCDateTime

COMPLAINT_KINDS = ("extra_document", "delay", "refusal", "rudeness", "inducement", "other")


class Complaint(db.Model):
    __tablename__ = "complaints"
    __table_args__ = (
        CheckConstraint("kind IN ('extra_document', 'delay', 'refusal', 'rudeness', 'inducement', "
                        "'other')", name="kind"),
        CheckConstraint("status IN ('received', 'in_review', 'answered', 'closed')", name="status"),
        # Unanswered reports of inducement by arrival: the escalation clock.
        Index("ix_complaints_unanswered_inducement", "received_at",
              sqlite_where=db.text("kind = 'inducement' AND status IN ('received', 'in_review')"),
              postgresql_where=db.text("kind = 'inducement' AND status IN ('received', 'in_review')")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(20), unique=True)
    follow_up_code_hash: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(20))
    case_number: Mapped[str | None] = mapped_column(String(80))
    service_code: Mapped[str | None] = mapped_column(String(40))
    office_code: Mapped[str | None] = mapped_column(String(40), index=True)
    text: Mapped[str] = mapped_column(Text)
    contact: Mapped[str | None] = mapped_column(Text)  # readable only by supervisors/admins of the area
    status: Mapped[str] = mapped_column(String(20), default="received")
    answer: Mapped[str | None] = mapped_column(Text)
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    answered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class ComplaintLanguage(db.Model):
    """The language a complaint was filed in, so that its answer is mailed in it.

    Beside the complaint rather than a column of it: a complaint's row digest (the evidence of
    issue 22) covers its columns, and the language decides nothing but the mail's words.
    """

    __tablename__ = "complaint_languages"

    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id", ondelete="CASCADE"), primary_key=True)
    language: Mapped[str] = mapped_column(String(2))
