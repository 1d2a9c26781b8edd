"""Visit rows as the import columns of visit-log-and-rules.md, and the path text -> findings.

Each test states only what matters: ``make_visit(action="return", documents_requested="PHOTO")``
fills in the rest; ``analyze(rows, catalog_folder)`` runs frame_from_text -> parse_visits ->
judge exactly as the import and ``flask analyze`` do.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from monitor.calendar import WorkingCalendar
from monitor.compliance import (
    Analysis,
    CatalogFrames,
    ParsedVisits,
    Thresholds,
    frame_from_text,
    judge,
    parse_visits,
)
from services_catalog import load_catalog

from .catalogs import default_services, service, version, write_catalog

TIMEZONE = "Asia/Almaty"
COLUMNS = ["visit_id", "case_id", "office_code", "service_code", "staff_id", "applicant_ref",
           "ticket_at", "called_at", "finished_at", "action", "documents_requested",
           "refusal_ground", "forwarded_to"]
DEFAULTS = {
    "case_id": "C1",
    "office_code": "OF1",
    "service_code": "S1",
    "staff_id": "ST1",
    "applicant_ref": "",
    "ticket_at": "",
    "called_at": "2026-04-06T10:00",
    "action": "submit",
    "documents_requested": "",
    "refusal_ground": "",
    "forwarded_to": "",
}


def make_visit(**overrides) -> dict:
    """One visit row as text. ``finished_at`` defaults to 5 minutes after ``called_at``;
    ``visit_id`` is filled in by ``raw_frame`` (V1, V2, ... by position) unless given."""
    row = {**DEFAULTS, **overrides}
    if "finished_at" not in overrides:
        row["finished_at"] = (pd.Timestamp(row["called_at"]) + pd.Timedelta(minutes=5)).isoformat()
    if row["action"] == "consult" and "case_id" not in overrides:
        row["case_id"] = ""
    if row["action"] == "forward" and "forwarded_to" not in overrides:
        row["forwarded_to"] = "OF2"  # required for a forward
    return row


def raw_frame(rows: list[dict]) -> pd.DataFrame:
    """The rows as the text frame a CSV import reads (every cell a string)."""
    filled = []
    for position, row in enumerate(rows, start=1):
        row = {**row}
        row.setdefault("visit_id", f"V{position}")
        filled.append({column: str(row.get(column, "")) for column in COLUMNS})
    return pd.DataFrame(filled, columns=COLUMNS, dtype=object)


def catalog_with(folder: Path, *extra_services: dict) -> Path:
    """The default test catalog (S1, S2, S3) plus ``extra_services``."""
    return write_catalog(Path(folder), services=default_services() + list(extra_services))


def working_days_service(code: str, days: int, effective_from: str = "2024-01-01") -> dict:
    return service(code, versions=[version(effective_from=effective_from,
                                           deadline={"value": days, "unit": "working_days"})])


def calendar_days_service(code: str, days: int) -> dict:
    return service(code, versions=[version(deadline={"value": days, "unit": "calendar_days"})])


_FRAMES: dict[Path, CatalogFrames] = {}


def frames_of(catalog_folder: Path) -> CatalogFrames:
    folder = Path(catalog_folder)
    if folder not in _FRAMES:
        _FRAMES[folder] = CatalogFrames.from_catalog(load_catalog(folder))
    return _FRAMES[folder]


def parse(rows: list[dict] | pd.DataFrame, catalog_folder: Path) -> ParsedVisits:
    raw = rows if isinstance(rows, pd.DataFrame) else raw_frame(rows)
    return parse_visits(frame_from_text(raw), frames_of(catalog_folder), TIMEZONE)


def analyze(rows: list[dict], catalog_folder: Path, as_of: str = "2026-06-01T00:00",
            thresholds: Thresholds | None = None) -> Analysis:
    """Parse and judge; the rows must all be good (a test input mistake fails loudly)."""
    thresholds = Thresholds() if thresholds is None else thresholds
    parsed = parse(rows, catalog_folder)
    assert parsed.bad_rows.empty, parsed.bad_rows.to_dict("records")
    return judge(parsed.visits, frames_of(catalog_folder), WorkingCalendar(timezone=TIMEZONE),
                 pd.Timestamp(as_of), thresholds)


def findings(rows: list[dict], catalog_folder: Path, **options) -> pd.DataFrame:
    """The spec's findings table (case_id, visit_id, rule, clause, severity, detail)."""
    return analyze(rows, catalog_folder, **options).finding_table()


def of_rule(table: pd.DataFrame, rule: str) -> pd.DataFrame:
    return table[table["rule"] == rule].reset_index(drop=True)


def case_row(analysis: Analysis, case_id: str) -> pd.Series:
    cases = analysis.cases
    match = cases[cases["case_id"] == case_id]
    assert len(match) == 1, f"case {case_id} not found exactly once"
    return match.iloc[0]


def local(text: str) -> pd.Timestamp:
    """A local (Asia/Almaty) wall time as an aware timestamp."""
    return pd.Timestamp(text).tz_localize(TIMEZONE)


def iin_control(body: str) -> int | None:
    """The control digit of an 11-digit IIN body by the spec's algorithm (None: no valid one)."""
    digits = [int(d) for d in body]
    first = sum(d * w for d, w in zip(digits, range(1, 12))) % 11
    if first != 10:
        return first
    second = sum(d * w for d, w in zip(digits, [3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2])) % 11
    return None if second == 10 else second


def valid_iin(body: str) -> str:
    control = iin_control(body)
    assert control is not None, f"{body} has no valid control digit"
    return body + str(control)
