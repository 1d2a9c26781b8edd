"""Weekly indicator cells: the report's read model, written when data arrives.

Derived, not evidence: every cell is recomputed from the week's stored visits, cases,
findings and complaints (all covered by the row digests) by ``flask cells refresh --all``,
and a published number is its frozen ``IndicatorSnapshot`` (digested), never a cell. So the
cells are left out of ``stores.evidence.ENTITIES``: ``flask audit verify`` does not require
them, and editing one behind the application's back changes no evidence (the next refresh
of its week overwrites it).

- ``IndicatorCell``: the engine's additive parts (``compliance.indicators.IndicatorParts``)
  of one week at a fine grain: per office (``scope_kind`` "office", ``scope_value`` ''), per
  office and service, per office and staff member; the counts, the open-and-overdue count at
  the week's end, the complaints of the week, and the quantile inputs (lead hours of the
  cases completed, queue waits of ticketed visits) as little-endian float64 arrays. Cells of
  any set of offices combine exactly (``services.indicator_cells``). Complaints without an
  office are in the office cell of office ''.
- ``IndicatorValue``: the final indicators per (week, network/office/service/staff, value),
  combined from the cells at refresh: what the network's report and publishing read.
- ``IndicatorScopeValue``: the office/service/staff values seen in stored visits, per office,
  with how many weeks have them (the report's rows per scope value, without a scan of visits).
- ``IndicatorFindingCell``: the findings that fire, per (week, the office of their visit,
  the office of their case, rule): the report's findings by rule, counted in the week the
  findings page's week filter puts them in (the visit's week; for a case finding the week its
  case was completed or, still open, accepted). An area's count is the sum of the rows whose
  visit office or case office is in it: every finding once.
- ``FindingBacklog``: the findings waiting for a supervisor, whatever their week (the report's
  "Needs your attention": no longer firing and not yet closed or reopened, awaiting review, of
  high severity, held), per (the office of their visit, the office of their case), as the
  additive rows of ``stores.backlog``: every writer of findings appends the change it made,
  the ``cells`` job folds a key's rows into one. An area's count is the sum of the rows whose
  visit office or case office is in it, as for the finding cells; the network's, of all rows.
- ``IndicatorWeek``: the weeks computed; ``StaleIndicatorWeeks``: marks of weeks to recompute,
  appended by every writer (one row each: no two writers wait on one row), removed by the refresh.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, Float, Index, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .types import UTCDateTime

# The additive counts of IndicatorParts.counts, plus the cell's own counts.
CELL_COUNTS = ("visits", "asked_badly", "ticketed", "wait_within_limit", "red_tape_visit", "answered",
               "confirmed", "disputed", "accepted", "completed", "on_time", "red_tape_case", "refused",
               "unfounded_refusal", "visit_count")


class IndicatorCell(db.Model):
    __tablename__ = "indicator_cells"
    __table_args__ = (
        UniqueConstraint("week", "scope_kind", "office_code", "scope_value"),
        CheckConstraint("scope_kind IN ('office', 'service', 'staff')", name="scope_kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    week: Mapped[int] = mapped_column(Integer)  # compliance.indicators.week_number
    scope_kind: Mapped[str] = mapped_column(String(10))
    office_code: Mapped[str] = mapped_column(String(40))  # '' only for complaints without an office
    scope_value: Mapped[str] = mapped_column(String(80))  # service code or staff id; '' for "office"
    visits: Mapped[int] = mapped_column(Integer, default=0)
    asked_badly: Mapped[int] = mapped_column(Integer, default=0)
    ticketed: Mapped[int] = mapped_column(Integer, default=0)
    wait_within_limit: Mapped[int] = mapped_column(Integer, default=0)
    red_tape_visit: Mapped[int] = mapped_column(Integer, default=0)
    answered: Mapped[int] = mapped_column(Integer, default=0)  # visits the applicant answered about
    confirmed: Mapped[int] = mapped_column(Integer, default=0)
    disputed: Mapped[int] = mapped_column(Integer, default=0)
    accepted: Mapped[int] = mapped_column(Integer, default=0)
    completed: Mapped[int] = mapped_column(Integer, default=0)
    on_time: Mapped[int] = mapped_column(Integer, default=0)
    red_tape_case: Mapped[int] = mapped_column(Integer, default=0)
    refused: Mapped[int] = mapped_column(Integer, default=0)
    unfounded_refusal: Mapped[int] = mapped_column(Integer, default=0)
    visit_count: Mapped[int] = mapped_column(Integer, default=0)
    overdue_open: Mapped[int] = mapped_column(Integer, default=0)
    complaints: Mapped[int] = mapped_column(Integer, default=0)
    seen: Mapped[int] = mapped_column(Integer, default=0)  # stored visits of the week (judged or not)
    # Last: a query of the counts never reads them.
    lead_hours: Mapped[bytes] = mapped_column(LargeBinary, default=b"")
    wait_minutes: Mapped[bytes] = mapped_column(LargeBinary, default=b"")


class IndicatorValue(db.Model):
    __tablename__ = "indicator_values"
    __table_args__ = (
        UniqueConstraint("week", "scope_kind", "scope_value"),
        CheckConstraint("scope_kind IN ('network', 'office', 'service', 'staff')", name="scope_kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    week: Mapped[int] = mapped_column(Integer)
    scope_kind: Mapped[str] = mapped_column(String(10))
    scope_value: Mapped[str] = mapped_column(String(80))  # '' for the network
    cases_accepted: Mapped[float | None] = mapped_column(Float)
    cases_completed: Mapped[float | None] = mapped_column(Float)
    on_time_rate: Mapped[float | None] = mapped_column(Float)
    overdue_open: Mapped[float | None] = mapped_column(Float)
    lead_time_p50_hours: Mapped[float | None] = mapped_column(Float)
    lead_time_p90_hours: Mapped[float | None] = mapped_column(Float)
    extra_document_rate: Mapped[float | None] = mapped_column(Float)
    queue_wait_p90_minutes: Mapped[float | None] = mapped_column(Float)
    queue_wait_within_limit_rate: Mapped[float | None] = mapped_column(Float)
    red_tape_per_100_cases: Mapped[float | None] = mapped_column(Float)
    refusal_rate: Mapped[float | None] = mapped_column(Float)
    unfounded_refusal_rate: Mapped[float | None] = mapped_column(Float)
    visits_per_case: Mapped[float | None] = mapped_column(Float)
    complaints: Mapped[float | None] = mapped_column(Float)
    confirmation_rate: Mapped[float | None] = mapped_column(Float)
    disputes_per_100_cases: Mapped[float | None] = mapped_column(Float)


class IndicatorFindingCell(db.Model):
    __tablename__ = "indicator_finding_cells"
    __table_args__ = (UniqueConstraint("week", "visit_office", "case_office", "rule"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    week: Mapped[int] = mapped_column(Integer)
    visit_office: Mapped[str] = mapped_column(String(40))  # '' for a case finding (or a visit without one)
    case_office: Mapped[str] = mapped_column(String(40))  # '' for a visit without a case
    rule: Mapped[str] = mapped_column(String(40))
    findings: Mapped[int] = mapped_column(Integer, default=0)  # that fire


class FindingBacklog(db.Model):
    __tablename__ = "finding_backlog"
    __table_args__ = (Index("ix_finding_backlog_visit_office", "visit_office"),
                      Index("ix_finding_backlog_case_office", "case_office"))

    id: Mapped[int] = mapped_column(primary_key=True)
    visit_office: Mapped[str] = mapped_column(String(40))  # '' for a case finding (or a visit without one)
    case_office: Mapped[str] = mapped_column(String(40))  # '' for a finding without a case
    no_longer_firing_unreviewed: Mapped[int] = mapped_column(Integer, default=0)
    awaiting_review: Mapped[int] = mapped_column(Integer, default=0)
    awaiting_review_high: Mapped[int] = mapped_column(Integer, default=0)
    held: Mapped[int] = mapped_column(Integer, default=0)


class IndicatorScopeValue(db.Model):
    __tablename__ = "indicator_scope_values"

    scope_kind: Mapped[str] = mapped_column(String(10), primary_key=True)  # office | service | staff
    office_code: Mapped[str] = mapped_column(String(40), primary_key=True)
    scope_value: Mapped[str] = mapped_column(String(80), primary_key=True)  # the office code for "office"
    weeks: Mapped[int] = mapped_column(Integer, default=0)  # weeks with stored visits of it


class IndicatorWeek(db.Model):
    __tablename__ = "indicator_weeks"

    week: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    refreshed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class StaleIndicatorWeeks(db.Model):
    """Weeks first..last whose cells must be recomputed: those of one office (a desk save,
    a correction, an answer, a complaint touch the offices of one case), or of every office
    (``office_code`` NULL: an import, a catalog or calendar change)."""
    __tablename__ = "stale_indicator_weeks"
    __table_args__ = (Index("ix_stale_indicator_weeks_first", "first_week"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    first_week: Mapped[int] = mapped_column(Integer)
    last_week: Mapped[int] = mapped_column(Integer)
    office_code: Mapped[str | None] = mapped_column(String(40))  # '' : complaints naming no office
    marked_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
