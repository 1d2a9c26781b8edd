"""Findings: judging the stored visits (the sweep of ``flask findings sweep`` and the nightly job,
the parameters of findings stored before migration 0009, the CSV export), and findings as
supervisors read and review them (their area's findings one page at a time, the one loader of a
finding with office scope, the review). They flush; the request, command or job commits.

A finding belongs to the office of its visit or of its case; another area's is refused as
NotYourOffice, a kind of NotFound, and the pages answer both alike (404).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.engine import Row
from sqlalchemy.orm import Session

from ..models import Finding, User
from ..progress import Progress, silent
from ..stores import findings as findings_store, visits as visit_store
from ..stores.findings import FindingFilter
from . import indicator_cells
from .cells import safe_frame
from .context import EngineInputs
from .errors import NotFound, NotYourOffice

__all__ = ["FindingFilter", "FindingsPage", "area_page", "visible_finding", "review", "sweep", "sweep_time_bound",
           "backfill_params", "export_csv", "SweepResult", "Backfill"]

SweepResult = findings_store.SweepResult
Backfill = findings_store.Backfill


def sweep(session: Session, inputs: EngineInputs, as_of: dt.datetime, *, now: dt.datetime | None = None,
          progress: Progress = silent) -> tuple[SweepResult, list[int]]:
    """Judge every stored visit and case as of ``as_of``, one slice of applicants at a time
    (findings that no longer fire are marked so, never deleted), then recompute the weekly
    indicator cells it made stale (as of ``now``, default the present). Returns the sweep's
    counts and the weeks refreshed."""
    progress(0, visit_store.count(session), "stored visits to judge")
    result = findings_store.sweep(session, inputs.frames, inputs.calendar, as_of, inputs.thresholds,
                                  progress=progress)
    return result, indicator_cells.refresh_stale(session, inputs, now)


def sweep_time_bound(session: Session, inputs: EngineInputs, now: dt.datetime, *,
                     progress: Progress = silent) -> tuple[SweepResult, list[int]]:
    """The nightly sweep: judge again, as of ``now``, only what time alone changes -- the cases
    overdue and open now, or whose OVERDUE_OPEN still fires (``time_bound_cases``), with their
    applicants' other cases and consults, as a desk save judges its case. Every other finding
    was judged when its visits, the catalog or the calendar changed; the whole history is
    ``sweep`` (``flask findings sweep``), which at national scale reads tens of millions of
    visits. Then the indicator cells it made stale are recomputed."""
    cases = findings_store.time_bound_cases(session, now)
    progress(0, len(cases), "cases open past their due time to judge")
    result = findings_store.sweep(session, inputs.frames, inputs.calendar, now, inputs.thresholds,
                                  case_pks=cases, visit_pks=[])
    progress(len(cases), len(cases), "judged")
    return result, indicator_cells.refresh_stale(session, inputs, now)


def backfill_params(session: Session, inputs: EngineInputs) -> Backfill:
    """Give findings stored before migration 0009 the parameters of the engine's finding of
    the same rule and visit or case whose detail is exactly theirs (once, after upgrading)."""
    return findings_store.backfill_params(session, inputs.frames, inputs.calendar, inputs.thresholds)


def export_csv(session: Session, path: str | Path, include_cleared: bool = False) -> int:
    """Write the stored findings (the spec's columns plus review_status; with
    ``include_cleared`` also those no longer firing, and a firing column); returns how many."""
    table = findings_store.findings_table(session, include_cleared)
    safe_frame(table).to_csv(path, index=False)  # details quote what people typed: never a formula
    return len(table)


@dataclass(frozen=True)
class FindingsPage:
    """One page of an area's findings (newest first), each row (Finding, Visit, Case), and how
    many the filter holds in all: nothing is cut off silently."""
    rows: list[Row]
    total: int
    page: int
    pages: int


def area_page(session: Session, offices: list[str] | None, wanted: FindingFilter, page: int,
              per_page: int) -> FindingsPage:
    query = findings_store.area_findings(offices, wanted)
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    rows = list(session.execute(query.order_by(Finding.id.desc()).limit(per_page).offset((page - 1) * per_page)))
    return FindingsPage(rows, total, page, max(1, -(-total // per_page)))


def visible_finding(session: Session, finding_id: int, offices: list[str] | None) -> Finding:
    """The finding with this id if it is of one of ``offices`` (None: every office)."""
    row = session.execute(findings_store.area_findings(offices).where(Finding.id == finding_id)).first()
    if row is not None:
        return row.Finding
    if session.get(Finding, finding_id) is None:
        raise NotFound(what="finding", key=finding_id)
    raise NotYourOffice(what="finding", key=finding_id)


def review(session: Session, finding: Finding, decision: str, note: str, reviewer: User, *,
           timezone: str) -> str | None:
    """A supervisor's review of a finding they may see; the refusal's code, or None once recorded
    (closing a held finding marks its week's finding cells stale: ``timezone`` says which week)."""
    return findings_store.review(session, finding, decision, note, reviewer, timezone=timezone)
