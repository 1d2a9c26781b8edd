"""Marks of weeks whose indicator cells must be recomputed (models/cells.py).

Every writer marks what it may have changed; ``services.indicator_cells.refresh_stale``
recomputes those weeks. A mark is a new row (first, last week): writers never wait on one
another's mark, and a refresh removes only the marks it read.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import numpy as np
import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..compliance.indicators import week_number
from ..compliance.visit_log import local_day_numbers
from ..models import Case, IndicatorWeek, StaleIndicatorWeeks, Visit
from .reading import read_frame
from .sets import one_of


def last_computed_week(session: Session) -> int | None:
    return session.scalar(select(func.max(IndicatorWeek.week)))


def mark_weeks(session: Session, weeks: Iterable[int]) -> None:
    """Mark these weeks stale (consecutive ones as one mark)."""
    ordered = sorted({int(w) for w in weeks})
    now = dt.datetime.now(dt.UTC)
    start = None
    for position, week in enumerate(ordered):
        if start is None:
            start = week
        if position + 1 == len(ordered) or ordered[position + 1] != week + 1:
            session.add(StaleIndicatorWeeks(first_week=start, last_week=week, marked_at=now))
            start = None
    session.flush()


def mark_from(session: Session, first: int, through: int | None = None) -> None:
    """Mark week ``first`` and every later computed week (and up to ``through``): a change at
    a moment of week ``first`` (a visit, a case's new timeline, a calendar day, a catalog
    version) changes case events and open-and-overdue counts only at or after it."""
    last = max(last_computed_week(session) or first, first, through if through is not None else first)
    session.add(StaleIndicatorWeeks(first_week=int(first), last_week=int(last),
                                    marked_at=dt.datetime.now(dt.UTC)))
    session.flush()


def mark_all(session: Session) -> None:
    """Mark every computed week (a catalog load may change any week's judgement)."""
    first = session.scalar(select(func.min(IndicatorWeek.week)))
    if first is not None:
        mark_from(session, first)


def week_of_moments(moments: pd.Series, timezone: str) -> np.ndarray:
    """The week index of each moment (UTC timestamps), as the engine numbers weeks."""
    moments = pd.to_datetime(pd.Series(moments), utc=True, format="ISO8601").dropna()
    return week_number(local_day_numbers(moments, timezone)) if len(moments) else np.array([], dtype="int64")


def mark_findings(session: Session, visit_pks: Iterable[int], case_pks: Iterable[int], timezone: str) -> None:
    """Findings of these visits and cases started or stopped firing: a visit's finding
    counts in its week (and, for a completing visit, in its case's completion week), a
    case's finding in the week the case was completed or, still open, accepted (the findings
    page's week filter: IndicatorFindingCell)."""
    visit_pks, case_pks = sorted({int(v) for v in visit_pks}), sorted({int(c) for c in case_pks})
    weeks: set[int] = set()
    moments = []
    if visit_pks:
        found = read_frame(session.connection(), select(Visit.week, Visit.case_pk).where(
            one_of(session, Visit.id, visit_pks)))
        weeks.update(found["week"].dropna().astype("int64").tolist())
        case_pks += found["case_pk"].dropna().astype("int64").tolist()
    if case_pks:
        moments = [completed if completed is not None else accepted
                   for accepted, completed in session.execute(select(Case.accepted_at, Case.completed_at).where(
                       one_of(session, Case.id, sorted(set(case_pks))),
                       (Case.completed_at.is_not(None)) | (Case.accepted_at.is_not(None))))]
    if moments:
        weeks.update(int(w) for w in week_of_moments(pd.Series(moments), timezone))
    if weeks:
        mark_weeks(session, weeks)


def _weeks_or_minus_one(moments: pd.Series, timezone: str) -> np.ndarray:
    """The week of each moment, -1 where there is none (positions kept)."""
    moments = pd.to_datetime(pd.Series(moments).reset_index(drop=True), utc=True, format="ISO8601")
    weeks = np.full(len(moments), -1, dtype="int64")
    known = moments.notna().to_numpy()
    if known.any():
        weeks[known] = week_number(local_day_numbers(moments[known], timezone))
    return weeks


def mark_case_moves(session: Session, before: pd.DataFrame, after: pd.DataFrame, timezone: str) -> None:
    """Cases re-timed (``before``/``after``: accepted_at, completed_at and, when given,
    office_code, aligned by row): where a case's acceptance or completion changed week (or
    came or went), both weeks are stale, and so are both weeks its case findings count in
    (completed, else accepted: mark_findings) when those differ or the case changed office."""
    old = {column: _weeks_or_minus_one(before[column], timezone) for column in ("accepted_at", "completed_at")}
    new = {column: _weeks_or_minus_one(after[column], timezone) for column in ("accepted_at", "completed_at")}
    pairs = [(old[column], new[column]) for column in ("accepted_at", "completed_at")]
    pairs.append((np.where(old["completed_at"] >= 0, old["completed_at"], old["accepted_at"]),
                  np.where(new["completed_at"] >= 0, new["completed_at"], new["accepted_at"])))
    weeks: set[int] = set()
    for was, now in pairs:
        moved = was != now
        weeks.update(int(w) for w in np.concatenate([was[moved], now[moved]]) if w >= 0)
    if "office_code" in before and "office_code" in after:
        # A case now first visited in another office takes its case findings to that office
        # in the finding cells of the week they count in, even when no moment changed week.
        was, now = pairs[-1]
        moved_office = before["office_code"].to_numpy(dtype=object) != after["office_code"].to_numpy(dtype=object)
        weeks.update(int(w) for w in np.concatenate([was[moved_office], now[moved_office]]) if w >= 0)
    if weeks:
        mark_weeks(session, weeks)
