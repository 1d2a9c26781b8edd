"""Visit logs in and out: a file imported in one transaction (``flask visits import``), every
stored visit written as Parquet (``export-parquet``), every case re-timed after an upgrade
(``refresh``). They flush; the command commits, once."""
from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from ..compliance import parse_visits, read_visit_file
from ..compliance.applicants import mask_iins, mask_iins_in_frame
from ..progress import Progress, silent
from ..stores import findings as findings_store, visits as visit_store
from . import indicator_cells
from .context import EngineInputs

log = logging.getLogger(__name__)

ImportResult = visit_store.ImportResult
REFRESH_SLICE = 5000  # cases re-timed per step of `visits refresh`


def _quiet(text: str) -> None:
    """The default phase reporter: says nothing."""


@dataclass(frozen=True)
class VisitFile:
    """A visit log read, checked and compared with the stored visits; nothing written yet."""
    raw: pd.DataFrame  # the rows as read, with their line numbers (for the rejects file)
    visits: pd.DataFrame  # the good rows, to store
    bad_rows: pd.DataFrame  # line, column, reason: the parser's and the conflicts with stored visits
    conflicts: int  # rows whose visit_id is already stored with other content
    ignored_repeats: int  # identical repeats of a row, ignored
    digest: str  # of the file's bytes: the import's source in the audit trail

    @property
    def bad_lines(self) -> int:
        return int(self.bad_rows["line"].nunique())


def read(session: Session, path: str, inputs: EngineInputs, hash_key: str) -> VisitFile:
    """Read and check a visit log (CSV or XLSX); raises compliance.VisitLogError when the
    file cannot be read at all. A visit_id already stored with other content is a bad row:
    stored visits are evidence, changed only by a correction (never silently counted as
    "already present")."""
    raw = read_visit_file(path)
    parsed = parse_visits(raw, inputs.frames, inputs.timezone)
    differing = visit_store.stored_differences(session, parsed.visits, hash_key)
    conflicts = pd.DataFrame({
        "line": differing["line"], "column": "visit_id",
        "reason": "visit_id " + differing["visit_id"].astype(str) + " is already stored with a different "
                  + differing["fields"] + ": a stored visit is changed only by a correction, not by a re-import",
        "visit_id": differing["visit_id"]})
    bad_rows = pd.concat([parsed.bad_rows, conflicts], ignore_index=True).sort_values(
        ["line", "column"], kind="stable").reset_index(drop=True) if len(conflicts) else parsed.bad_rows
    return VisitFile(raw=raw, visits=parsed.visits[~parsed.visits["visit_id"].isin(differing["visit_id"])],
                     bad_rows=bad_rows, conflicts=len(conflicts), ignored_repeats=parsed.ignored_repeats,
                     digest=hashlib.sha256(Path(path).read_bytes()).hexdigest()[:16])


def write_rejects(visit_file: VisitFile, path: str) -> None:
    """The rejected rows as they were, with their reasons, ready to fix and re-import."""
    bad_rows = visit_file.bad_rows
    reasons = bad_rows.assign(problem=bad_rows["column"] + ": " + bad_rows["reason"]) \
        .groupby("line")["problem"].agg(" | ".join)
    rejected = visit_file.raw[visit_file.raw["line"].isin(reasons.index)].copy()
    rejected["reason"] = rejected["line"].map(reasons)
    # The clear IIN is never written anywhere: the rejects show its last 4 digits (the
    # operator finds the person by the other columns, and retypes the IIN when fixing the row).
    mask_iins_in_frame(rejected).to_csv(path, index=False)


class ImportFailed(Exception):
    """The database refused the import; ``stage`` says during what, ``problem`` in its words."""

    def __init__(self, stage: str, problem: str):
        super().__init__(f"the import failed while {stage}: {problem}")
        self.stage, self.problem = stage, problem


def database_errors(session: Session) -> tuple[type[BaseException], ...]:
    """What a refused write raises: SQLAlchemy's errors and the driver's own."""
    driver = session.get_bind().dialect.dbapi
    return (SQLAlchemyError,) if driver is None else (SQLAlchemyError, driver.Error)


def database_problem(error: BaseException) -> str:
    """What the database refused, in its own words: never the SQL statement nor its values
    (a driver's message can carry both); the statement goes to the debug log only."""
    statement = getattr(error, "statement", None)
    if statement:
        log.debug("failed statement (first 2000 characters): %s", str(statement)[:2000])
    original = getattr(error, "orig", None) or error
    words = str(original).strip().splitlines()
    return mask_iins(words[0][:300]) if words else type(original).__name__


def store(session: Session, visit_file: VisitFile, inputs: EngineInputs, hash_key: str, *,
          progress: Progress = silent, phase: Callable[[str], None] = _quiet) -> ImportResult:
    """Store the good rows and their cases, judge what they touched and update the weekly
    indicator cells; flushes. Raises ImportFailed (the caller rolls back)."""
    stage = "storing the visits and their cases"
    try:
        result = visit_store.import_visits(
            session, visit_file.visits, hash_key=hash_key, source=f"import:{visit_file.digest}",
            frames=inputs.frames, calendar=inputs.calendar, progress=progress)
        if result.inserted:
            visit_store.refresh_statistics(session, ["visits", "cases", "findings"], result.inserted)
            phase("judging the cases and consults this import touched")
            # Judge once, when data arrives: the cases and consults this import touched (all
            # stored visits at once when the import is everything stored), as of now.
            stage = "checking the imported cases against the rules"
            everything = visit_store.count(session) == result.inserted
            findings_store.sweep(session, inputs.frames, inputs.calendar, dt.datetime.now(dt.UTC),
                                 inputs.thresholds, None if everything else list(result.case_pks),
                                 None if everything else list(result.consult_pks), known=result.visits)
            stage = "updating the weekly indicator cells"
            visit_store.refresh_statistics(session, ["findings"], result.inserted)  # the sweep wrote them
            # The weeks of the file's visits on, at their offices and their cases' other offices
            # (every office for a file of the network's visits).
            indicator_cells.mark_visits(session, visit_file.visits["called_at"], inputs.timezone,
                                        indicator_cells.offices_touched(session, result.case_pks,
                                                                        visit_file.visits["office_code"].unique()))
            indicator_cells.refresh_stale(session, inputs)
    except database_errors(session) as error:
        raise ImportFailed(stage, database_problem(error)) from error
    return result


def export_parquet(session: Session, folder: str, timezone: str) -> dict[str, int]:
    """Every stored visit as Parquet, one file per local month; the rows written per file."""
    return visit_store.export_parquet(session, folder, timezone)


def refresh(session: Session, inputs: EngineInputs, *, progress: Progress = silent,
            phase: Callable[[str], None] = _quiet) -> int:
    """Re-time every stored case, fill each visit's local day and week, rebuild the weekly
    indicator cells (once after upgrading); returns how many cases were re-timed."""
    # In slices, so that a long refresh says how far it is (the same as refresh_all_cases).
    pks = visit_store.case_ids(session)
    refreshed = 0
    for done, chunk in enumerate(visit_store.chunks(pks, REFRESH_SLICE), 1):
        refreshed += visit_store.refresh_cases(session, chunk, inputs.frames, inputs.calendar)
        progress(min(done * REFRESH_SLICE, len(pks)), len(pks))
    phase("filling each visit's local day and week")
    visit_store.fill_visit_weeks(session, inputs.timezone)
    phase("rebuilding the weekly indicator cells")
    indicator_cells.refresh_all(session, inputs)
    return refreshed
