"""What the monitor concludes: findings, published weekly indicators, job runs."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, CheckConstraint, Float, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .desk import Case, Visit
from .types import UTCDateTime


class Finding(db.Model):
    """One breach of a rule: one per (rule, visit) for visit rules, per (rule, case) for case rules."""

    __tablename__ = "findings"
    __table_args__ = (
        CheckConstraint("review_status IN ('open', 'confirmed', 'dismissed', 'closed', 'reopened')",
                        name="review_status"),
        CheckConstraint("visit_pk IS NOT NULL OR case_pk IS NOT NULL", name="subject"),
        Index("uq_findings_rule_visit", "rule", "visit_pk", unique=True,
              sqlite_where=db.text("visit_pk IS NOT NULL"),
              postgresql_where=db.text("visit_pk IS NOT NULL")),
        Index("uq_findings_rule_case", "rule", "case_pk", unique=True,
              sqlite_where=db.text("visit_pk IS NULL"),
              postgresql_where=db.text("visit_pk IS NULL")),
        # Unreviewed high-severity findings by when they were recorded: the escalation clock.
        Index("ix_findings_unreviewed_high", "as_of",
              sqlite_where=db.text("review_status = 'open' AND severity = 'high'"),
              postgresql_where=db.text("review_status = 'open' AND severity = 'high'")),
        # Findings cleared by corrections by when: the weekly report's "cleared this week".
        Index("ix_findings_cleared", "cleared_cause", "cleared_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    rule: Mapped[str] = mapped_column(String(40), index=True)
    clause: Mapped[str] = mapped_column(String(40))
    severity: Mapped[str] = mapped_column(String(10), index=True)
    detail: Mapped[str] = mapped_column(Text)  # the English wording (the spec's CSV column)
    # The rule's parameters (compliance/details.py): what pages render in the reader's language.
    # NULL on a finding stored before 0009 that `flask findings backfill-params` could not match.
    params: Mapped[dict | None] = mapped_column(JSON(none_as_null=True))
    visit_pk: Mapped[int | None] = mapped_column(ForeignKey("visits.id"), index=True)
    case_pk: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    as_of: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    review_status: Mapped[str] = mapped_column(String(20), default="open", index=True)
    reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    review_note: Mapped[str | None] = mapped_column(Text)
    reviewed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # Findings are evidence: never deleted. When a sweep (after a correction, a catalog load,
    # a calendar override or on its own) no longer fires one, it is marked so, with why.
    # Held (issue 22): still firing with cleared_at set -- a desk action would have cleared
    # it; it stays firing until a supervisor's review (findings_store.review) decides.
    firing: Mapped[bool] = mapped_column(default=True, server_default=db.true())
    cleared_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    cleared_cause: Mapped[str | None] = mapped_column(String(20))  # sweep|correction|catalog|calendar|desk
    cleared_reason: Mapped[str | None] = mapped_column(Text)  # which correction, load, override or sweep

    visit: Mapped[Visit | None] = relationship()
    case: Mapped[Case | None] = relationship()


class CorrectionRequest(db.Model):
    """A correction the desk may not make alone: it waits for a supervisor of the office.

    Until it is approved the visit and its findings stand as they are.
    """

    __tablename__ = "correction_requests"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'approved', 'rejected')", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    visit_pk: Mapped[int] = mapped_column(ForeignKey("visits.id"), index=True)
    office_code: Mapped[str] = mapped_column(String(40), index=True)
    requested_by: Mapped[str] = mapped_column(String(80))
    requested_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    changes: Mapped[dict] = mapped_column(JSON)  # field -> new value (times as ISO text)
    reason: Mapped[str] = mapped_column(Text)
    why_supervised: Mapped[str] = mapped_column(Text)  # in English, for the audit trail
    # The same as data (front_desk.Supervision), worded on pages in the reader's language;
    # NULL on requests made before 0009: their English is shown as it is.
    why_code: Mapped[str | None] = mapped_column(String(20))
    why_params: Mapped[dict | None] = mapped_column(JSON(none_as_null=True))
    status: Mapped[str] = mapped_column(String(20), default="pending")
    decided_by: Mapped[str | None] = mapped_column(String(80))
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    decision_note: Mapped[str | None] = mapped_column(Text)

    visit: Mapped[Visit] = relationship()


class IndicatorSnapshot(db.Model):
    """A published weekly indicator, frozen: publishing a week twice never duplicates it."""

    __tablename__ = "indicator_snapshots"
    __table_args__ = (
        UniqueConstraint("week", "scope_kind", "scope_value", "indicator"),
        CheckConstraint("scope_kind IN ('network', 'office', 'service', 'staff')", name="scope_kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    week: Mapped[str] = mapped_column(String(8), index=True)  # ISO week, e.g. 2026-W12
    scope_kind: Mapped[str] = mapped_column(String(10))
    scope_value: Mapped[str] = mapped_column(String(80))  # '' for the network
    indicator: Mapped[str] = mapped_column(String(40))
    value: Mapped[float | None] = mapped_column(Float)
    published_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    audit_head_hash: Mapped[str | None] = mapped_column(String(64))


class JobRun(db.Model):
    __tablename__ = "job_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    job: Mapped[str] = mapped_column(String(40), index=True)
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    result: Mapped[str] = mapped_column(String(20), default="running")  # running | ok | failed
    message: Mapped[str] = mapped_column(Text, default="")
