"""Marks of weeks whose indicator cells must be recomputed (models/cells.py).

Every writer marks what it may have changed; ``services.indicator_cells.refresh_stale``
recomputes those weeks. A mark is a new row (first, last week, office): writers never wait on
one another's mark, and a refresh removes only the marks it read. A change that touches one
case, or an import of a few offices' visits, marks only the offices of those visits and of
their cases' visits (its cells are counted where its visits and the visits defining its events
are: compliance.indicators); an import of the network, a catalog or calendar change marks every
office (no office).
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


# A change touching more offices than this marks whole weeks: one recomputation of the week
# costs less than this many offices' recomputations and recombinations.
WHOLE_WEEK_OFFICES = 32


def _add_marks(session: Session, runs: list[tuple[int, int]], offices: Iterable[str] | None) -> None:
    """One mark per run of weeks and office (``offices`` None: every office; none named is
    taken as every office too: a week recomputed whole is never wrong, one left stale is)."""
    codes: list[str | None] = [None]
    if offices is not None:
        named = sorted({str(code) for code in offices})
        codes = list(named) if 0 < len(named) <= WHOLE_WEEK_OFFICES else [None]
    now = dt.datetime.now(dt.UTC)
    session.add_all([StaleIndicatorWeeks(first_week=int(first), last_week=int(last), office_code=code, marked_at=now)
                     for first, last in runs for code in codes])
    session.flush()


def mark_weeks(session: Session, weeks: Iterable[int], offices: Iterable[str] | None = None) -> None:
    """Mark these weeks stale (consecutive ones as one mark), of ``offices`` (None: all)."""
    ordered = sorted({int(w) for w in weeks})
    runs: list[tuple[int, int]] = []
    for week in ordered:
        if runs and runs[-1][1] == week - 1:
            runs[-1] = (runs[-1][0], week)
        else:
            runs.append((week, week))
    if runs:
        _add_marks(session, runs, offices)


def mark_from(session: Session, first: int, through: int | None = None,
              offices: Iterable[str] | None = None) -> None:
    """Mark week ``first`` and every later computed week (and up to ``through``): a change at
    a moment of week ``first`` (a visit, a case's new timeline, a calendar day, a catalog
    version) changes case events and open-and-overdue counts only at or after it."""
    last = max(last_computed_week(session) or first, first, through if through is not None else first)
    _add_marks(session, [(int(first), int(last))], offices)


def offices_of_cases(session: Session, case_pks: Iterable[int]) -> set[str]:
    """Every office whose cells these cases count in: the offices of their visits (any of
    which may define an acceptance or a completion, before or after a change) and the
    cases' own offices (their findings' cells)."""
    pks = sorted({int(pk) for pk in case_pks})
    if not pks:
        return set()
    return set(session.scalars(select(Visit.office_code).distinct().where(one_of(session, Visit.case_pk, pks)))) \
        | set(session.scalars(select(Case.office_code).where(one_of(session, Case.id, pks))))


# A change whose cases are more than this marks every office without reading theirs (an
# import of the whole network, a sweep of the history): reading them would cost more than the
# offices' cells it could spare.
OFFICES_READ_CASES = 50_000


def offices_of_change(session: Session, case_pks: Iterable[int], offices: Iterable[str]) -> set[str] | None:
    """``offices`` and those of these cases (offices_of_cases); None (every office) when they
    are more than WHOLE_WEEK_OFFICES, or the cases more than OFFICES_READ_CASES (then not read).
    An office's import of its day names that office and the offices its cases were forwarded
    to or from."""
    named = {str(code) for code in offices if code}
    pks = {int(pk) for pk in case_pks}
    if len(named) > WHOLE_WEEK_OFFICES or len(pks) > OFFICES_READ_CASES:
        return None
    found = named | offices_of_cases(session, pks)
    return found if len(found) <= WHOLE_WEEK_OFFICES else None


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
    offices: set[str] = set()
    moments = []
    if visit_pks:
        found = read_frame(session.connection(), select(Visit.week, Visit.case_pk, Visit.office_code).where(
            one_of(session, Visit.id, visit_pks)))
        weeks.update(found["week"].dropna().astype("int64").tolist())
        offices.update(found["office_code"].tolist())
        case_pks += found["case_pk"].dropna().astype("int64").tolist()
    if case_pks:
        moments = [completed if completed is not None else accepted
                   for accepted, completed in session.execute(select(Case.accepted_at, Case.completed_at).where(
                       one_of(session, Case.id, sorted(set(case_pks))),
                       (Case.completed_at.is_not(None)) | (Case.accepted_at.is_not(None))))]
    if moments:
        weeks.update(int(w) for w in week_of_moments(pd.Series(moments), timezone))
    if weeks:
        mark_weeks(session, weeks, offices_of_change(session, case_pks, offices))


def _weeks_or_minus_one(moments: pd.Series, timezone: str) -> np.ndarray:
    """The week of each moment, -1 where there is none (positions kept)."""
    moments = pd.to_datetime(pd.Series(moments).reset_index(drop=True), utc=True, format="ISO8601")
    weeks = np.full(len(moments), -1, dtype="int64")
    known = moments.notna().to_numpy()
    if known.any():
        weeks[known] = week_number(local_day_numbers(moments[known], timezone))
    return weeks


_NO_WEEK = np.iinfo("int64").max


def _overdue_span(frame: pd.DataFrame, timezone: str) -> tuple[np.ndarray, np.ndarray]:
    """The weeks at whose end each case is open and overdue, as [first, end) week numbers: due
    before the week's end and neither completed nor withdrawn before it (the engine's
    ``overdue_open``), so from its due time's week to its closing's; (_NO_WEEK, _NO_WEEK) when
    it has no due time or closes before falling due."""
    due = _weeks_or_minus_one(frame["due_at"], timezone)
    closes = [_weeks_or_minus_one(frame[column], timezone) for column in ("completed_at", "withdrawn_at")]
    end = np.minimum(*[np.where(week >= 0, week, _NO_WEEK) for week in closes])
    first = np.where(due >= 0, due, _NO_WEEK)
    empty = first >= end
    return np.where(empty, _NO_WEEK, first), np.where(empty, _NO_WEEK, end)


def mark_case_moves(session: Session, case_pks: list[int], before: pd.DataFrame, after: pd.DataFrame,
                    timezone: str) -> None:
    """Cases ``case_pks`` re-timed (``before``/``after``: the timeline's moments and, when
    given, office_code, aligned by row): where a case's acceptance or completion changed week
    (or came or went), both weeks are stale, and so are both weeks its case findings count in
    (completed, else accepted: mark_findings) when those differ or the case changed office;
    where the weeks it counts as open and overdue at their end changed (a due time moved, an
    acceptance taken back by a later return, a closing moved), every week from the first that
    differs on (each week's count is carried from the week before's); in the offices of the
    cases that moved."""
    old = {column: _weeks_or_minus_one(before[column], timezone) for column in ("accepted_at", "completed_at")}
    new = {column: _weeks_or_minus_one(after[column], timezone) for column in ("accepted_at", "completed_at")}
    pairs = [(old[column], new[column]) for column in ("accepted_at", "completed_at")]
    pairs.append((np.where(old["completed_at"] >= 0, old["completed_at"], old["accepted_at"]),
                  np.where(new["completed_at"] >= 0, new["completed_at"], new["accepted_at"])))
    weeks: set[int] = set()
    changed = np.zeros(len(before), dtype=bool)
    for was, now in pairs:
        moved = was != now
        changed |= moved
        weeks.update(int(w) for w in np.concatenate([was[moved], now[moved]]) if w >= 0)
    (first_was, end_was), (first_now, end_now) = _overdue_span(before, timezone), _overdue_span(after, timezone)
    overdue_moved = (first_was != first_now) | (end_was != end_now)
    overdue_from = np.where(first_was != first_now, np.minimum(first_was, first_now), np.minimum(end_was, end_now))
    changed |= overdue_moved
    if "office_code" in before and "office_code" in after:
        # A case now first visited in another office takes its case findings to that office
        # in the finding cells of the week they count in, even when no moment changed week.
        was, now = pairs[-1]
        moved_office = before["office_code"].to_numpy(dtype=object) != after["office_code"].to_numpy(dtype=object)
        changed |= moved_office
        weeks.update(int(w) for w in np.concatenate([was[moved_office], now[moved_office]]) if w >= 0)
    if not weeks and not overdue_moved.any():
        return
    named = [code for frame in (before, after) if "office_code" in frame
             for code in frame["office_code"].to_numpy(dtype=object)[changed]]
    offices = offices_of_change(session, np.asarray(case_pks, dtype="int64")[changed], named)
    if weeks:
        mark_weeks(session, weeks, offices)
    if overdue_moved.any():
        mark_from(session, int(overdue_from[overdue_moved].min()), offices=offices)
