"""The applicant as witness (issue 27): an answer per visit to "is this what happened?".

Nothing identifying is kept beyond the link to the visit: no IIN, no name, no contact. The
visit already carries the applicant's salted hash; the answer adds only what the applicant
says the desk did that the log does not show.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .conclusions import Finding
from .desk import Visit
from .types import UTCDateTime

VERDICTS = ("confirmed", "disputed")


class VisitAnswer(db.Model):
    """One answer per visit, changeable for a while (services.witness.CHANGEABLE_FOR)."""

    __tablename__ = "visit_answers"
    __table_args__ = (
        CheckConstraint("verdict IN ('confirmed', 'disputed')", name="verdict"),
        CheckConstraint("waited_minutes IS NULL OR waited_minutes >= 0", name="waited_minutes"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    visit_pk: Mapped[int] = mapped_column(ForeignKey("visits.id"), unique=True)
    verdict: Mapped[str] = mapped_column(String(10))
    # What differed from the log (all empty for a confirmation).
    documents: Mapped[list] = mapped_column(JSON, default=list)  # catalog codes picked by name
    typed_documents: Mapped[str | None] = mapped_column(Text)  # documents the applicant typed, ';'-separated
    told_to_return: Mapped[bool] = mapped_column(default=False)  # ... without a logged return
    asked_to_pay: Mapped[bool] = mapped_column(default=False)  # money or a gift beyond the fee (2.2.4)
    sent_elsewhere: Mapped[bool] = mapped_column(default=False)  # sent to another office
    waited_minutes: Mapped[int | None] = mapped_column(Integer)  # the wait as the applicant lived it
    account: Mapped[str | None] = mapped_column(Text)  # the applicant's own words
    answered_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    changed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    visit: Mapped[Visit] = relationship()


class ApplicantFinding(db.Model):
    """A finding the applicant's answer reported: no desk action (a correction, the sweep, a
    re-judging) clears it; only the applicant's own change of answer does. Part of the
    answer's row digest (stores.evidence)."""

    __tablename__ = "applicant_findings"

    finding_id: Mapped[int] = mapped_column(ForeignKey("findings.id"), primary_key=True)
    answer_id: Mapped[int] = mapped_column(ForeignKey("visit_answers.id"), index=True)

    finding: Mapped[Finding] = relationship()
