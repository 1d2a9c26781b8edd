"""Escalations: items whose accountability clock ran out, raised to the next level (issue 13)."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .types import UTCDateTime


class Escalation(db.Model):
    """One item (an overdue case, an unreviewed high-severity finding, an unanswered report
    of inducement) raised to the administrator's queue once its clock ran out.

    One per item, never deleted: when the item is dealt with the escalation is marked
    resolved, with when and how (monitor.compliance.escalation names the kinds).
    """

    __tablename__ = "escalations"
    __table_args__ = (
        UniqueConstraint("item_kind", "item_id"),
        CheckConstraint("item_kind IN ('overdue_case', 'unreviewed_finding', 'unanswered_inducement')",
                        name="item_kind"),
        CheckConstraint("level IN ('admin')", name="level"),
        CheckConstraint("resolution IS NULL OR resolution IN ('completed', 'withdrawn', 'reviewed', "
                        "'answered', 'closed')", name="resolution"),
        CheckConstraint("(resolved_at IS NULL) = (resolution IS NULL)", name="resolved"),
        # The open queue, read by the job (what to resolve) and the pages, never the history.
        Index("ix_escalations_open", "item_kind", "escalated_at",
              sqlite_where=db.text("resolved_at IS NULL"), postgresql_where=db.text("resolved_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    item_kind: Mapped[str] = mapped_column(String(30))
    item_id: Mapped[int] = mapped_column(Integer)  # cases.id, findings.id or complaints.id
    item_ref: Mapped[str] = mapped_column(String(120))  # case number, finding number, complaint reference
    office_code: Mapped[str | None] = mapped_column(String(40), index=True)  # None: a report naming a service only
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)  # when the clock started
    escalated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    level: Mapped[str] = mapped_column(String(20), default="admin")
    resolved_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    resolution: Mapped[str | None] = mapped_column(String(20))
