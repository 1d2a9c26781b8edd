"""What happens at the desk: visits, and the cases derived from them."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .types import UTCDateTime

ACTIONS = ("submit", "return", "resubmit", "forward", "issue", "refuse", "withdraw", "consult")


class Case(db.Model):
    """One application. Its timeline is derived from its visits (compliance.timeline)."""

    __tablename__ = "cases"
    __table_args__ = (
        CheckConstraint("outcome IN ('open', 'issued', 'refused', 'withdrawn')", name="outcome"),
        # Open cases by due time: the overdue ones at any moment, without reading closed cases.
        Index("ix_cases_open_due", "due_at", sqlite_where=db.text("completed_at IS NULL AND withdrawn_at IS NULL"),
              postgresql_where=db.text("completed_at IS NULL AND withdrawn_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_number: Mapped[str] = mapped_column(String(80), unique=True)
    check_code_hash: Mapped[str | None] = mapped_column(String(64))
    service_code: Mapped[str | None] = mapped_column(ForeignKey("services.code"))
    office_code: Mapped[str | None] = mapped_column(String(40), index=True)
    first_visit_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    accepted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, index=True)
    due_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, index=True)
    completed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, index=True)
    withdrawn_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, index=True)
    outcome: Mapped[str] = mapped_column(String(20), default="open")
    # Stored with the timeline so that a week's indicators read only that week's rows: the
    # visits that define the case's events (spec, "Scopes") and how many visits it had.
    accepting_visit_pk: Mapped[int | None] = mapped_column(Integer)
    completing_visit_pk: Mapped[int | None] = mapped_column(Integer)
    visit_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    visits: Mapped[list[Visit]] = relationship(back_populates="case", order_by="Visit.called_at")


class Visit(db.Model):
    """One contact with an applicant. Never deleted; corrections go through the audit log."""

    __tablename__ = "visits"
    __table_args__ = (
        CheckConstraint(
            "action IN ('submit', 'return', 'resubmit', 'forward', 'issue', 'refuse', "
            "'withdraw', 'consult')", name="action"),
        CheckConstraint("ticket_at IS NULL OR ticket_at <= called_at", name="ticket_order"),
        CheckConstraint("called_at <= finished_at", name="desk_order"),
        # Scope values of an area (the report's rows per office, service and staff member).
        Index("ix_visits_office_service", "office_code", "service_code"),
        Index("ix_visits_office_staff", "office_code", "staff_id"),
        # One office's visits of some weeks, and their ids alone without the table (a refresh of
        # one office's cells: stores.weeks), and an office's visits.
        Index("ix_visits_office_week", "office_code", "week", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    visit_id: Mapped[str] = mapped_column(String(120), unique=True)  # the source system's id
    case_pk: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    office_code: Mapped[str] = mapped_column(String(40))  # indexed with the week (ix_visits_office_week)
    service_code: Mapped[str] = mapped_column(ForeignKey("services.code"))
    staff_id: Mapped[str] = mapped_column(String(80))  # a user's login or an external staff id
    applicant_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    ticket_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    called_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    finished_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    action: Mapped[str] = mapped_column(String(20))
    documents_requested: Mapped[str] = mapped_column(Text, default="")  # as written, ';'-separated
    refusal_ground: Mapped[str | None] = mapped_column(String(40))
    forwarded_to: Mapped[str | None] = mapped_column(String(120))
    source: Mapped[str] = mapped_column(String(80))  # 'desk' or 'import:<file digest>'
    override_reason: Mapped[str | None] = mapped_column(Text)
    # Server time the row was written (typed times can be anything); and why a visit was
    # typed after its working day had passed.
    recorded_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    late_reason: Mapped[str | None] = mapped_column(Text)
    # The local date of called_at (days since 1970-01-01) and its ISO week index
    # (compliance.indicators.week_number): the week a visit counts in, stored once.
    local_day: Mapped[int | None] = mapped_column(Integer)
    week: Mapped[int | None] = mapped_column(Integer, index=True)

    case: Mapped[Case | None] = relationship(back_populates="visits")
