"""Catalog stewardship: drafts of a service's next version, the second steward's decision,
and citizens' and clerks' reports that a service page is wrong (issue 25)."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, Column, Date, ForeignKey, Index, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .types import UTCDateTime

DRAFT_STATUSES = ("draft", "submitted", "approved", "rejected")
DECISIONS = ("approved", "rejected")
REPORT_STATUSES = ("open", "answered")

# The services a steward keeps (``users.role = 'steward'``); none listed: the whole catalog.
stewarded_services = Table(
    "stewarded_services", db.metadata,
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("service_code", String(40), primary_key=True),
)


class CatalogDraft(db.Model):
    """A new version of one service as a steward wrote it, in the catalog format
    (``content``: one entry of a service file's ``versions``), until a second steward decides."""

    __tablename__ = "catalog_drafts"
    __table_args__ = (
        CheckConstraint("status IN ('draft', 'submitted', 'approved', 'rejected')", name="status"),
        Index("ix_catalog_drafts_service_status", "service_code", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    service_code: Mapped[str] = mapped_column(String(40))
    effective_from: Mapped[dt.date] = mapped_column(Date)
    content: Mapped[dict] = mapped_column(db.JSON)
    status: Mapped[str] = mapped_column(String(20), default="draft")
    author: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    submitted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # The open cases it would re-time or re-judge, as shown to the author when submitted.
    affected_cases: Mapped[dict | None] = mapped_column(db.JSON)  # Affected.as_json()

    decisions: Mapped[list[DraftDecision]] = relationship(back_populates="draft", order_by="DraftDecision.id")


class DraftDecision(db.Model):
    """The second steward's approval or rejection (four eyes: never the draft's author)."""

    __tablename__ = "catalog_draft_decisions"
    __table_args__ = (CheckConstraint("decision IN ('approved', 'rejected')", name="decision"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    draft_id: Mapped[int] = mapped_column(ForeignKey("catalog_drafts.id", ondelete="CASCADE"), index=True)
    decision: Mapped[str] = mapped_column(String(20))
    reviewer: Mapped[str] = mapped_column(String(80))
    reason: Mapped[str] = mapped_column(Text)
    decided_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)

    draft: Mapped[CatalogDraft] = relationship(back_populates="decisions")


class ErrorReport(db.Model):
    """"This page is wrong or out of date": for the service's stewards, to answer by ``answer_by``."""

    __tablename__ = "catalog_error_reports"
    __table_args__ = (
        CheckConstraint("status IN ('open', 'answered')", name="status"),
        CheckConstraint("origin IN ('public', 'desk')", name="origin"),
        Index("ix_catalog_error_reports_service_status", "service_code", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    service_code: Mapped[str] = mapped_column(String(40))
    origin: Mapped[str] = mapped_column(String(10))  # a citizen's page, or a clerk's visit form
    reporter: Mapped[str | None] = mapped_column(String(80))  # the clerk's login; a citizen: none
    text: Mapped[str] = mapped_column(Text)
    contact: Mapped[str | None] = mapped_column(Text)
    language: Mapped[str] = mapped_column(String(2))
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    answer_by: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(10), default="open")
    answer: Mapped[str | None] = mapped_column(Text)
    answered_by: Mapped[str | None] = mapped_column(String(80))
    answered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
