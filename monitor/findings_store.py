"""Findings in the database: the sweep that judges every stored visit and case, and the export.

A sweep replaces the previous results of the rules it ran and never duplicates: a finding
that still fires keeps its id and its review; one that no longer fires is removed.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sqlalchemy import bindparam, delete, false, or_, select, update
from sqlalchemy.orm import Session

from . import audit, visit_store
from .calendar import WorkingCalendar
from .compliance import FINDING_COLUMNS, RULES, Analysis, CatalogFrames, Thresholds, judge
from .models import Case, Finding, Visit
from .visit_store import bulk_insert, chunks, visits_frame

@dataclass(frozen=True)
class SweepResult:
    visits: int
    cases: int
    added: int
    kept: int
    removed: int
    data_errors: int


def analyze_stored(session: Session, frames: CatalogFrames, calendar: WorkingCalendar,
                   as_of: pd.Timestamp, thresholds: Thresholds, case_pks=None,
                   visit_pks=None) -> tuple[Analysis, pd.DataFrame]:
    """Judge stored visits (all, or those of the given cases and visits).

    Returns the analysis and the visits with no version in force (data errors).
    """
    visits = visits_frame(session, frames, calendar.timezone_name, case_pks, visit_pks)
    unjudgeable = visits[visits["version"] < 0]
    return judge(visits[visits["version"] >= 0], frames, calendar, as_of, thresholds), unjudgeable


def _finding_rows(analysis: Analysis) -> pd.DataFrame:
    """The analysis' findings with the database keys of their visit and case."""
    found, visits = analysis.findings, analysis.visits
    is_visit = found["row"].to_numpy() >= 0
    visit_rows = found["row"].to_numpy()[is_visit]
    case_pk_of = visits.dropna(subset=["case_id"]).drop_duplicates("case_id") \
        .set_index("case_id")["case_pk"]
    visit_pk = np.full(len(found), np.nan)
    case_pk = np.full(len(found), np.nan)
    visit_pk[is_visit] = visits["visit_pk"].to_numpy(dtype="float64")[visit_rows]
    case_pk[is_visit] = visits["case_pk"].to_numpy(dtype="float64", na_value=np.nan)[visit_rows]
    case_pk[~is_visit] = analysis.cases["case_id"].map(case_pk_of).to_numpy(dtype="float64")[
        found["case_row"].to_numpy()[~is_visit]]
    rows = found[["rule", "clause", "severity", "detail"]].copy()
    rows["visit_pk"] = pd.array(visit_pk, dtype="Int64")
    rows["case_pk"] = pd.array(case_pk, dtype="Int64")
    rows["key"] = _keys(rows)
    return rows


def _keys(rows: pd.DataFrame) -> pd.Series:
    """One finding per (rule, visit) for visit rules and per (rule, case) for case rules."""
    subject = np.where(rows["visit_pk"].notna(), "v" + rows["visit_pk"].astype(str),
                       "c" + rows["case_pk"].astype(str))
    return rows["rule"] + ":" + subject


def sweep(session: Session, frames: CatalogFrames, calendar: WorkingCalendar,
          as_of: dt.datetime, thresholds: Thresholds, case_pks=None, visit_pks=None) -> SweepResult:
    """Judge stored visits and cases as of ``as_of`` and bring their stored findings in line.

    Everything by default; the desk passes the case (or consult visit) it just saved.
    Only the engine's rules are touched: findings recorded at the desk (conflict of
    interest) are not the sweep's to remove.
    """
    if case_pks is not None or visit_pks is not None:
        case_pks, visit_pks = visit_store.with_applicants(session, case_pks, visit_pks)
    analysis, unjudgeable = analyze_stored(session, frames, calendar, pd.Timestamp(as_of), thresholds,
                                           case_pks, visit_pks)
    new = _finding_rows(analysis)
    connection = session.connection()
    query = select(Finding.id, Finding.rule, Finding.visit_pk, Finding.case_pk).where(
        Finding.rule.in_(list(RULES)))
    if case_pks is not None or visit_pks is not None:
        judged_visits = analysis.visits["visit_pk"].tolist() + unjudgeable["visit_pk"].tolist()
        judged_cases = sorted(set(case_pks or ()))
        query = query.where(or_(*[Finding.visit_pk.in_(chunk) for chunk in chunks(judged_visits)],
                                *[Finding.case_pk.in_(chunk) & Finding.visit_pk.is_(None)
                                  for chunk in chunks(judged_cases)], false()))
    existing = pd.read_sql(query, connection).astype({"visit_pk": "Int64", "case_pk": "Int64"})
    existing["key"] = _keys(existing)

    gone = existing.loc[~existing["key"].isin(new["key"]), "id"].tolist()
    for chunk in chunks(gone):
        session.execute(delete(Finding).where(Finding.id.in_(chunk)))

    as_of_utc = pd.Timestamp(as_of).tz_convert("UTC")
    added = new[~new["key"].isin(existing["key"])].copy()
    added["as_of"] = str(as_of_utc.tz_localize(None)) if connection.dialect.name == "sqlite" \
        else str(as_of_utc)
    added["review_status"] = "open"
    columns = ["rule", "clause", "severity", "detail", "visit_pk", "case_pk", "as_of", "review_status"]
    bulk_insert(session, "findings", columns, added[columns])

    # Findings that still fire keep their id and review; detail and as-of follow this run.
    still = new[new["key"].isin(existing["key"])].merge(existing[["key", "id"]], on="key")
    if len(still):
        table = Finding.__table__
        connection.execute(
            update(table).where(table.c.id == bindparam("pk")).values(
                detail=bindparam("detail"), as_of=bindparam("as_of")),
            [{"pk": int(pk), "detail": detail, "as_of": as_of_utc.to_pydatetime()}
             for pk, detail in zip(still["id"], still["detail"])])
    result = SweepResult(len(analysis.visits), len(analysis.cases), len(added), len(still), len(gone),
                         len(unjudgeable))
    if case_pks is None and visit_pks is None:  # the desk's own sweeps are part of its visit record
        audit.record(session, "system", "sweep", "findings", as_of_utc.isoformat(),
                     new={"added": result.added, "kept": result.kept, "removed": result.removed})
    return result


def findings_table(session: Session) -> pd.DataFrame:
    """Stored findings with the spec's columns plus the review status."""
    query = (select(Case.case_number.label("case_id"), Visit.visit_id, Finding.rule, Finding.clause,
                    Finding.severity, Finding.detail, Finding.review_status)
             .select_from(Finding)
             .outerjoin(Visit, Finding.visit_pk == Visit.id)
             .outerjoin(Case, Finding.case_pk == Case.id)
             .order_by(Finding.visit_pk.is_(None), Finding.visit_pk, Finding.case_pk, Finding.id))
    table = pd.read_sql(query, session.connection())
    table["visit_id"] = table["visit_id"].fillna("")
    table["case_id"] = table["case_id"].fillna("")
    return table[FINDING_COLUMNS + ["review_status"]]
