"""Judging the stored visits: the sweep (``flask findings sweep`` and the nightly job), the
parameters of findings stored before migration 0009, and the findings written out as CSV.
They flush; the command or the job commits."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy.orm import Session

from ..progress import Progress, silent
from ..stores import findings as findings_store
from ..stores import visits as visit_store
from . import indicator_cells
from .cells import safe_frame
from .context import EngineInputs

SweepResult = findings_store.SweepResult
Backfill = findings_store.Backfill


def sweep(session: Session, inputs: EngineInputs, as_of: dt.datetime, *, now: dt.datetime | None = None,
          progress: Progress = silent) -> tuple[SweepResult, list[int]]:
    """Judge every stored visit and case as of ``as_of`` (findings that no longer fire are
    marked so, never deleted), then recompute the weekly indicator cells it made stale (as of
    ``now``, default the present). Returns the sweep's counts and the weeks refreshed."""
    visits = visit_store.count(session)
    progress(0, visits, "stored visits to judge")
    result = findings_store.sweep(session, inputs.frames, inputs.calendar, as_of, inputs.thresholds)
    progress(visits, visits, "judged")
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
