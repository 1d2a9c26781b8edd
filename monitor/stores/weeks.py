"""Stored rows of some weeks as the engine's frames: judge once, read many.

The weekly indicators of any scope are the engine's own ``weekly_indicators`` run on the
stored rows of the requested weeks only: the visits called in them, the cases accepted or
completed in them or possibly overdue at their ends (with the visits that define those
cases' events), and the stored findings of both. So the definitions stay in the engine and
the cost follows the weeks asked for, not the stored history.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sqlalchemy import and_, false, or_, select
from sqlalchemy.orm import Session

from ..calendar import week_end
from ..compliance import RULES, CatalogFrames, weekly_indicators
from ..compliance.indicators import SCOPES
from ..models import ApplicantFinding, Case, Complaint, Finding, Visit, VisitAnswer
from ..models.types import as_stored
from .reading import read_frame
from .sets import one_of, unindexed

_CASE_MOMENTS = ("accepted_at", "due_at", "completed_at", "withdrawn_at")


def overdue_open_sql(at: dt.datetime):
    """The engine's ``rules.is_overdue_open`` as a SQL condition on cases.

    Accepted, due before ``at``, and neither completed nor withdrawn before it (a NULL
    comparison is never true, exactly as a NaT comparison in the engine).
    """
    return and_(Case.accepted_at.is_not(None), Case.due_at < at,
                or_(Case.completed_at.is_(None), Case.completed_at >= at),
                or_(Case.withdrawn_at.is_(None), Case.withdrawn_at >= at))


def _bounds(first: int, last: int, timezone: str) -> tuple[dt.datetime, dt.datetime]:
    """UTC start of week ``first`` and end of week ``last`` (Monday 00:00 local)."""
    return (week_end(first - 1, timezone).to_pydatetime(), week_end(last, timezone).to_pydatetime())


def case_conditions(first: int, last: int, timezone: str, *, open_cases: bool = True) -> list:
    """Cases whose events may count in weeks first..last, as conditions each served by one
    index: accepted in the weeks, completed in them, or possibly overdue and open at the end
    of one of them (due before the last end and not closed before the first end: a superset
    of ``overdue_open_sql`` at each week's end, split by how the case is closed; the engine
    then decides exactly).

    ``open_cases=False``: instead of the cases open and overdue, only those whose overdue
    count changes in the weeks (falling due or withdrawn in them): the weekly cells carry the
    count from the week before (services.indicator_cells), so that a week's refresh does not
    read every case never closed in the history."""
    start, end = _bounds(first, last, timezone)
    if not open_cases:
        return [and_(Case.accepted_at >= start, Case.accepted_at < end),
                and_(Case.completed_at >= start, Case.completed_at < end),
                and_(Case.withdrawn_at >= start, Case.withdrawn_at < end),
                and_(Case.accepted_at.is_not(None), Case.due_at >= start, Case.due_at < end)]
    first_end = week_end(first, timezone).to_pydatetime()
    may_be_overdue = and_(Case.accepted_at.is_not(None), Case.due_at < end)
    return [
        and_(Case.accepted_at >= start, Case.accepted_at < end),
        and_(Case.completed_at >= start, Case.completed_at < end),
        and_(Case.completed_at.is_(None), Case.withdrawn_at.is_(None), may_be_overdue),  # ix_cases_open_due
        and_(Case.completed_at >= first_end, may_be_overdue,
             or_(Case.withdrawn_at.is_(None), Case.withdrawn_at >= first_end)),
        and_(Case.withdrawn_at >= first_end, may_be_overdue,
             or_(Case.completed_at.is_(None), Case.completed_at >= first_end)),
    ]


def cases_of_weeks(first: int, last: int, timezone: str):
    """All of ``case_conditions`` as one condition."""
    return or_(*case_conditions(first, last, timezone))


@dataclass(frozen=True)
class WeekFrames:
    """Engine frames (visits, cases, findings) holding what weeks first..last need."""
    first: int
    last: int
    visits: pd.DataFrame
    cases: pd.DataFrame
    findings: pd.DataFrame
    answers: pd.DataFrame | None = None  # the applicants' answers: row (of visits), verdict


def week_frames(session: Session, frames: CatalogFrames, timezone: str, first: int, last: int, *,
                open_cases: bool = True, offices: frozenset[str] | None = None) -> WeekFrames:
    """The engine's frames for weeks first..last from stored rows: every query is served
    by an index on the weeks' rows (visits.week, the cases' moments, findings' keys).
    ``open_cases``: as ``case_conditions``. ``offices``: only what the cells of these offices
    count (their visits of the weeks, the cases whose acceptance or completion is one of
    their visits, with the visits defining those cases' events); None: every office."""
    connection = session.connection()
    at_offices = [] if offices is None else [one_of(session, Visit.office_code, sorted(offices), "offices")]
    counted_here = [] if offices is None else [_counted_at(session, offices, last)]
    # Each condition's ids in one array, then the distinct ones (never a Python object per row).
    case_pks = np.unique(np.concatenate([np.array([], dtype="int64")] + [
        read_frame(connection, select(Case.id).where(condition, *counted_here))["id"].to_numpy(dtype="int64")
        for condition in case_conditions(first, last, timezone, open_cases=open_cases)]))
    case_columns = (Case.id.label("case_pk"), *[as_stored(getattr(Case, c)) for c in _CASE_MOMENTS], Case.outcome,
                    Case.visit_count, Case.accepting_visit_pk, Case.completing_visit_pk)
    # One statement per set of keys, the set one bind parameter (stores.sets), not one per slice.
    cases = read_frame(connection, select(*case_columns).where(one_of(session, Case.id, case_pks) if len(case_pks)
                                                                else false()))
    cases = cases.sort_values("case_pk").reset_index(drop=True)

    visit_columns = (Visit.id.label("visit_pk"), Visit.office_code, Visit.service_code, Visit.staff_id,
                     as_stored(Visit.ticket_at), as_stored(Visit.called_at), Visit.local_day.label("day"), Visit.week)
    in_weeks = read_frame(connection, select(*visit_columns).where(Visit.week.between(first, last), *at_offices))
    defining = pd.unique(pd.concat([cases["accepting_visit_pk"], cases["completing_visit_pk"]]).dropna()
                         .astype("int64"))
    defining = sorted(set(int(pk) for pk in defining) - set(in_weeks["visit_pk"].tolist()))
    visits = pd.concat([in_weeks] + [read_frame(connection, select(*visit_columns).where(
        one_of(session, Visit.id, defining)))] if defining else [in_weeks], ignore_index=True)
    for column in ("ticket_at", "called_at"):
        visits[column] = pd.to_datetime(visits[column], utc=True, format="ISO8601")
    visits["day"] = visits["day"].astype("int64")
    # As analyze_stored: visits with no catalog version in force are data errors, not judged.
    version = frames.version_in_force(visits["service_code"], visits["day"].to_numpy())
    visits = visits[version >= 0].sort_values("visit_pk").reset_index(drop=True)
    position = pd.Series(np.arange(len(visits)), index=visits["visit_pk"].to_numpy())

    for column in _CASE_MOMENTS:
        cases[column] = pd.to_datetime(cases[column], utc=True, format="ISO8601")
    for name in ("accepting", "completing"):
        cases[f"{name}_row"] = cases[f"{name}_visit_pk"].map(position).fillna(-1).astype("int64").to_numpy()
    cases["visit_count"] = cases["visit_count"].astype("int64")

    # The engine's rules that still fire (not desk-recorded findings, not those an applicant
    # reported, not cleared evidence).
    firing = Finding.firing.is_(True) & Finding.id.not_in(select(ApplicantFinding.finding_id))
    rule_filter = Finding.rule.in_(list(RULES)) & firing
    # The weeks' visits' findings by the visits' index: their rules are kept here, not in the
    # statement, where SQLite would read every finding of those rules by the rule index instead.
    of_weeks = read_frame(connection, select(Finding.rule, Finding.visit_pk).join(Visit, Finding.visit_pk == Visit.id)
                          .where(firing, Visit.week.between(first, last), *at_offices))
    visit_findings = pd.concat(
        [of_weeks[of_weeks["rule"].isin(list(RULES)).to_numpy()]]
        + ([read_frame(connection, select(Finding.rule, Finding.visit_pk).where(
            rule_filter, one_of(session, Finding.visit_pk, defining)))] if defining else []), ignore_index=True)
    # One statement, by the case_pk index (sets.unindexed: not every case finding of the history).
    case_findings = read_frame(connection, select(Finding.rule, Finding.case_pk).where(
        rule_filter, unindexed(session, Finding.visit_pk).is_(None), one_of(session, Finding.case_pk,
                                                                              cases["case_pk"]))
        if len(cases) else select(Finding.rule, Finding.case_pk).where(false()))
    case_position = pd.Series(np.arange(len(cases)), index=cases["case_pk"].to_numpy())
    visit_rows = visit_findings["visit_pk"].map(position)
    visit_findings = visit_findings[visit_rows.notna().to_numpy()]
    findings = pd.DataFrame({
        "rule": np.concatenate([visit_findings["rule"].to_numpy(dtype=object),
                                case_findings["rule"].to_numpy(dtype=object)]),
        "row": np.concatenate([visit_rows.dropna().to_numpy(dtype="int64"),
                               np.full(len(case_findings), -1, dtype="int64")]),
        "case_row": np.concatenate([np.full(len(visit_findings), -1, dtype="int64"),
                                    case_findings["case_pk"].map(case_position).to_numpy(dtype="int64")]),
    })
    # The applicants' answers about the weeks' visits (an answer counts in its visit's week).
    answers = answers_frame(session, visits, and_(Visit.week.between(first, last), *at_offices))
    return WeekFrames(first, last, visits, cases, findings, answers)


def _counted_at(session: Session, offices: frozenset[str], last: int):
    """Cases whose acceptance or completion is a visit of ``offices`` (a case counts where the
    visit defining its event is: compliance.indicators): their defining visits looked up among
    the offices' visit ids up to week ``last`` (an index-only range of ix_visits_office_week
    per office, hashed once), never one look-up per case."""
    theirs = select(Visit.id).where(one_of(session, Visit.office_code, sorted(offices), "offices"),
                                    Visit.week <= last)
    return or_(Case.accepting_visit_pk.in_(theirs), Case.completing_visit_pk.in_(theirs))


def answers_frame(session: Session, visits: pd.DataFrame, condition=None) -> pd.DataFrame:
    """The applicants' answers about ``visits`` (a frame with ``visit_pk``) as the engine's
    answers frame: ``row`` (the visit's position in ``visits``), ``verdict``. ``condition`` on
    Visit narrows what is read (a week range); by default every stored answer is read."""
    query = select(VisitAnswer.visit_pk, VisitAnswer.verdict).join(Visit, VisitAnswer.visit_pk == Visit.id)
    if condition is not None:
        query = query.where(condition)
    answers = read_frame(session.connection(), query)
    rows = answers["visit_pk"].map(pd.Series(np.arange(len(visits)), index=visits["visit_pk"].to_numpy()))
    known = rows.notna().to_numpy()
    return pd.DataFrame({"row": rows[known].to_numpy(dtype="int64"),
                         "verdict": answers.loc[known, "verdict"].to_numpy(dtype=object)})


def scope_values(session: Session, scope: str, offices: list[str] | None = None) -> list:
    """The scope's values seen in the stored visits (of ``offices``, None: all)."""
    column = getattr(Visit, SCOPES[scope])
    query = select(column).distinct()
    if offices is not None:
        query = query.where(Visit.office_code.in_(offices))
    return sorted(value for value in session.scalars(query) if value is not None)


def complaints_between(session: Session, start: dt.datetime | None = None,
                       end: dt.datetime | None = None) -> pd.DataFrame:
    """Complaints received in [start, end) (all by default), as the engine's complaints frame."""
    query = select(Complaint.received_at, Complaint.office_code, Complaint.service_code)
    if start is not None:
        query = query.where(Complaint.received_at >= start)
    if end is not None:
        query = query.where(Complaint.received_at < end)
    frame = pd.read_sql(query, session.connection())
    frame["received_at"] = pd.to_datetime(frame["received_at"], utc=True, format="ISO8601")
    frame["staff_id"] = None
    return frame


def complaints_of_weeks(session: Session, first: int, last: int, timezone: str) -> pd.DataFrame:
    return complaints_between(session, *_bounds(first, last, timezone))


def stored_indicators(session: Session, frames: CatalogFrames, timezone: str, first: int, last: int,
                      scope: str | None = None, complaints: pd.DataFrame | None = None,
                      week_rows: WeekFrames | None = None) -> pd.DataFrame:
    """``weekly_indicators`` of weeks first..last (network or office/service/staff scope),
    from the stored rows of those weeks: equal to the engine run on every stored visit."""
    rows = week_rows or week_frames(session, frames, timezone, first, last)
    values = scope_values(session, scope) if scope else None
    return weekly_indicators(rows.visits, rows.cases, rows.findings, timezone, scope, complaints,
                             weeks=(first, last), scope_values=values, answers=rows.answers)
