"""Findings in the database: the sweep that judges every stored visit and case, and the export.

A sweep brings the stored results of the rules it ran in line and never duplicates: a
finding that still fires keeps its id and its review; one that no longer fires is kept,
marked no longer firing with when and why (findings are evidence).
"""
from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sqlalchemy import ColumnElement, Integer, and_, bindparam, false, func, or_, select, type_coerce, update
from sqlalchemy.orm import Session

from ..calendar import WorkingCalendar, local_day_numbers, week_end
from ..compliance import FINDING_COLUMNS, RULES, TIME_BOUND_RULES, Analysis, CatalogFrames, Thresholds, judge
from ..compliance.indicators import week_number
from ..models import ApplicantFinding, Case, Finding, Visit
from ..models.types import as_stored
from ..progress import Progress
from . import audit, backlog as backlog_store, cells as cells_store, evidence, visits as visit_store
from .reading import read_frame
from .sets import one_of, unindexed
from .visits import bulk_insert, lock_for_writing, new_ids, refresh_all_cases, visits_frame
from .weeks import overdue_open_sql


@dataclass(frozen=True)
class SweepResult:
    visits: int
    cases: int
    added: int
    kept: int
    removed: int  # marked no longer firing (never deleted)
    data_errors: int
    fired_again: int = 0
    held: int = 0  # would have stopped firing after a desk action: kept firing for a supervisor


def analyze_stored(session: Session, frames: CatalogFrames, calendar: WorkingCalendar,
                   as_of: pd.Timestamp, thresholds: Thresholds, case_pks=None,
                   visit_pks=None, *, known: pd.DataFrame | None = None) -> tuple[Analysis, pd.DataFrame]:
    """Judge stored visits (all, or those of the given cases and visits; ``known``: those the
    caller holds already, see ``visits_frame``).

    Returns the analysis and the visits with no version in force (data errors).
    """
    visits = visits_frame(session, frames, calendar.timezone_name, case_pks, visit_pks, known=known)
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
    rows = found[["rule", "clause", "severity", "detail", "params"]].copy()
    rows["visit_pk"] = pd.array(visit_pk, dtype="Int64")
    rows["case_pk"] = pd.array(case_pk, dtype="Int64")
    rows["key"] = _keys(rows)
    return rows


def _keys(rows: pd.DataFrame) -> pd.Series:
    """One finding per (rule, visit) for visit rules and per (rule, case) for case rules."""
    subject = np.where(rows["visit_pk"].notna(), "v" + rows["visit_pk"].astype(str),
                       "c" + rows["case_pk"].astype(str))
    return rows["rule"] + ":" + subject


@dataclass(frozen=True)
class Cause:
    """Why a sweep ran: kept with every finding it marks no longer firing."""

    kind: str  # sweep | correction | catalog | calendar | desk
    reason: str
    # A desk action (a visit saved, a correction the desk made alone): a finding that fired
    # is evidence of that moment, so one it would stop is *held* -- kept firing, with the
    # would-be clearing in cleared_at/cause/reason -- until a supervisor closes or confirms it.
    hold: bool = False


# An overdue case that is then completed late: DEADLINE_MISSED carries the evidence on, so
# its OVERDUE_OPEN clears as before, even after a desk action.
CARRIED_ON_BY = {"OVERDUE_OPEN": "DEADLINE_MISSED"}


def sweep(session: Session, frames: CatalogFrames, calendar: WorkingCalendar,
          as_of: dt.datetime, thresholds: Thresholds, case_pks=None, visit_pks=None, *,
          cause: Cause | None = None, actor: str = "system", known: pd.DataFrame | None = None,
          progress: Progress | None = None) -> SweepResult:
    """Judge stored visits and cases as of ``as_of`` and bring their stored findings in line.

    Everything by default, one slice of applicants at a time (``visit_store.applicant_slices``:
    each slice holds every case and consult its cases are judged with, so the findings are those
    of judging all at once, and memory follows the slice, not the history); the desk passes the
    case (or consult visit) it just saved, judged with its applicants' cases and consults.
    Findings are evidence and never deleted: one that no longer fires is marked so, with
    when (``as_of``) and why (``cause``); one that fires again is marked firing again; its
    review is left as the supervisor made it. Only the engine's rules (every code in
    compliance.RULES) are touched: findings recorded at the desk (conflict of interest) are
    not the sweep's to judge, nor those an applicant reported (services.witness): no desk
    action clears them, and the engine firing the same rule on the visit adds nothing to
    them. Every change is one audit record with the changed findings' digests; a sweep that
    changes nothing writes nothing. ``known``: stored visits the caller holds (an import's
    ``ImportResult.visits``), not read back. ``progress``: visits judged of those stored.
    """
    moment = pd.Timestamp(as_of)
    as_of_utc = moment.tz_convert("UTC")
    cause = cause or Cause("sweep", f"sweep as of {as_of_utc.isoformat()}")
    judged: list[_Judged] = []
    if case_pks is None and visit_pks is None:
        total, done = visit_store.count(session), 0
        for case_slice, consult_slice in visit_store.applicant_slices(session):
            judged.append(_bring_in_line(session, frames, calendar, moment, thresholds, cause,
                                         case_slice, consult_slice))
            done += judged[-1].result.visits + judged[-1].result.data_errors
            if progress:
                progress(min(done, total), total)
    else:
        case_pks, visit_pks = visit_store.with_applicants(session, case_pks, visit_pks, known=known)
        judged.append(_bring_in_line(session, frames, calendar, moment, thresholds, cause,
                                     case_pks, visit_pks, known))
    result = SweepResult(*(sum(getattr(part.result, name) for part in judged)
                           for name in SweepResult.__dataclass_fields__))
    changed = [part for part in judged if part.finding_ids]
    if changed:
        audit.record(session, actor, "sweep", "findings", as_of_utc.isoformat(),
                     new={"added": result.added, "no_longer_firing": result.removed,
                          "firing_again": result.fired_again, "updated": sum(part.updated for part in judged),
                          "cause": cause.kind, **({"held": result.held} if result.held else {})},
                     reason=cause.reason, rows={"finding": [pk for part in changed for pk in part.finding_ids]},
                     written={"finding": [pk for part in changed for pk in part.added_ids]},
                     known=_concat_or_none([part.digests for part in changed]))
    return result


@dataclass(frozen=True)
class _Judged:
    """What judging one set of cases and consults changed: its counts, and for the sweep's one
    audit record the findings it changed (those added among them) and the added ones' digests."""

    result: SweepResult
    updated: int = 0
    finding_ids: tuple[int, ...] = ()
    added_ids: tuple[int, ...] = ()
    digests: pd.DataFrame | None = None


def _concat_or_none(frames: list[pd.DataFrame | None]) -> pd.DataFrame | None:
    present = [frame for frame in frames if frame is not None]
    return pd.concat(present, ignore_index=True) if present else None


def _bring_in_line(session: Session, frames: CatalogFrames, calendar: WorkingCalendar, as_of: pd.Timestamp,
                   thresholds: Thresholds, cause: Cause, case_pks: list[int], visit_pks: list[int],
                   known: pd.DataFrame | None = None) -> _Judged:
    """Judge these cases and consults (closed under their applicants) and write what changed."""
    as_of_utc = as_of.tz_convert("UTC")
    analysis, unjudgeable = analyze_stored(session, frames, calendar, as_of, thresholds,
                                           case_pks, visit_pks, known=known)
    connection = session.connection()
    # The flags as the driver's numbers (made bool below): read without a Python object per row.
    query = select(Finding.id, Finding.rule, Finding.visit_pk, Finding.case_pk,
                   type_coerce(Finding.firing, Integer).label("firing"), Finding.detail,
                   type_coerce(Finding.params.is_(None), Integer).label("no_params"),
                   type_coerce(Finding.cleared_at.is_not(None), Integer).label("cleared"),
                   type_coerce(ApplicantFinding.finding_id.is_not(None), Integer).label("applicant")) \
        .outerjoin(ApplicantFinding, ApplicantFinding.finding_id == Finding.id)
    # The judged visits' and cases' findings, each set one bind parameter: the statements
    # do not grow with the import (PostgreSQL takes at most 65,535 parameters).
    judged_visits = analysis.visits["visit_pk"].tolist() + unjudgeable["visit_pk"].tolist()
    judged_cases = sorted(set(case_pks))
    parts = [read_frame(connection, query.where(false()))]
    if judged_visits:
        parts.append(read_frame(connection, query.where(one_of(session, Finding.visit_pk, judged_visits))))
    if judged_cases:
        parts.append(read_frame(connection, query.where(one_of(session, Finding.case_pk, judged_cases),
                                                        Finding.visit_pk.is_(None))))
    existing = pd.concat(parts, ignore_index=True)
    new = _finding_rows(analysis)
    existing = existing[existing["rule"].isin(list(RULES))].reset_index(drop=True) \
        .astype({"visit_pk": "Int64", "case_pk": "Int64"})
    existing["firing"] = existing["firing"].astype(bool)
    existing["no_params"] = existing["no_params"].astype(bool)
    existing["held"] = existing["firing"] & existing["cleared"].astype(bool)
    existing["key"] = _keys(existing)
    reported = existing["applicant"].astype(bool)
    new = new[~new["key"].isin(existing.loc[reported, "key"])]
    existing = existing[~reported].reset_index(drop=True)
    if new.empty and existing.empty:  # nothing fires, nothing fired: nothing to write
        return _Judged(SweepResult(len(analysis.visits), len(analysis.cases), 0, 0, 0, len(unjudgeable)))
    fires = existing["key"].isin(new["key"])

    table = Finding.__table__
    moment = as_of_utc.to_pydatetime()
    # A held finding stays as it is until a supervisor decides (findings_store.review).
    stopping = existing[existing["firing"] & ~existing["held"] & ~fires]
    to_hold = stopping[_held_by(stopping, new)] if cause.hold else stopping.iloc[:0]
    gone = stopping.loc[~stopping["id"].isin(to_hold["id"]), "id"].astype(int).tolist()
    held = to_hold["id"].astype(int).tolist()
    added = new[~new["key"].isin(existing["key"])].copy()
    # Findings that fire (again) keep their id and review; detail and as-of follow the run
    # that changed them, so that sweeping the same data twice changes nothing.
    # A finding stored before its parameters were kept (migration 0009) gets them here.
    still = new.merge(existing[["key", "id", "firing", "held", "detail", "no_params"]], on="key",
                      suffixes=("", "_stored"))
    # Firing again: no longer firing before, or held and now fired by the engine again.
    again = still[~still["firing"] | still["held"]]
    changed = still[still["firing"] & ~still["held"]
                    & ((still["detail"] != still["detail_stored"]) | still["no_params"])]
    touched = pd.concat([again, changed])
    touched_ids = touched["id"].astype(int).tolist()
    # The report's backlogs follow every finding this sweep stops, holds, fires again or adds.
    with backlog_store.tracking(session, gone + held + touched_ids) as backlog:
        if gone:
            connection.execute(update(table).where(one_of(session, table.c.id, gone)).values(
                firing=False, cleared_at=moment, cleared_cause=cause.kind, cleared_reason=cause.reason))
        if held:
            connection.execute(update(table).where(one_of(session, table.c.id, held)).values(
                cleared_at=moment, cleared_cause=cause.kind, cleared_reason=cause.reason))
        added["as_of"] = str(as_of_utc.tz_localize(None)) if connection.dialect.name == "sqlite" \
            else str(as_of_utc)
        added["review_status"] = "open"
        added["firing"] = True
        added["params"] = [json_text(params) for params in added["params"]]
        # The new findings' ids are taken before they are written (as an import's visits), so
        # that neither their ids nor their digests are read back.
        lock_for_writing(session, "findings")
        added["id"] = new_ids(session, "findings", len(added))
        columns = ["id", "rule", "clause", "severity", "detail", "params", "visit_pk", "case_pk", "as_of",
                   "review_status", "firing"]
        bulk_insert(session, "findings", columns, added[columns])
        added_ids = added["id"].astype(int).tolist()
        backlog.add(added_ids)
        if len(touched):
            connection.execute(
                update(table).where(table.c.id == bindparam("pk")).values(
                    detail=bindparam("detail"), params=bindparam("params"), as_of=bindparam("as_of"), firing=True,
                    cleared_at=None, cleared_cause=None, cleared_reason=None),
                [{"pk": int(pk), "detail": detail, "params": params, "as_of": moment}
                 for pk, detail, params in zip(touched["id"], touched["detail"], touched["params"])])
    # The weeks whose indicators count these findings: their cells are recomputed.
    flipped = pd.concat([added[["visit_pk", "case_pk"]], again[["visit_pk", "case_pk"]],
                         existing.loc[existing["id"].isin(gone), ["visit_pk", "case_pk"]]], ignore_index=True)
    if len(flipped):
        on_visit = flipped["visit_pk"].notna()
        cells_store.mark_findings(session, flipped.loc[on_visit, "visit_pk"].astype(int),
                                  flipped.loc[~on_visit, "case_pk"].dropna().astype(int), calendar.timezone_name)
    result = SweepResult(len(analysis.visits), len(analysis.cases), len(added), len(still), len(gone),
                         len(unjudgeable), len(again), len(held))
    if not (len(added) or len(touched) or gone or held):
        return _Judged(result)
    return _Judged(result, len(changed), tuple(gone + held + touched_ids + added_ids), tuple(added_ids),
                   _written_digests(added))


def time_bound_cases(session: Session, as_of: dt.datetime) -> list[int]:
    """The cases whose findings the as-of time alone can change (``TIME_BOUND_RULES``):
    those overdue and open at ``as_of``, and those whose OVERDUE_OPEN is stored as firing (a
    case completed or withdrawn at a moment that has since come). Read by index: the open
    cases by due time, the few closed after ``as_of``, the firing findings by rule."""
    overdue = overdue_open_sql(as_of)  # the engine's one definition, read in two index-served parts
    # PostgreSQL reads it through ix_cases_open_due, SQLite (no statistics) through withdrawn_at's index.
    still_open = and_(overdue, Case.completed_at.is_(None), Case.withdrawn_at.is_(None))
    closed_since = and_(overdue, or_(Case.completed_at >= as_of, Case.withdrawn_at >= as_of))
    firing = select(Finding.case_pk).where(Finding.rule.in_(TIME_BOUND_RULES), Finding.visit_pk.is_(None),
                                           Finding.firing.is_(True))
    found = set(session.scalars(select(Case.id).where(still_open)))
    found.update(session.scalars(select(Case.id).where(closed_since)))
    found.update(session.scalars(firing))
    return sorted(found)


def _written_digests(added: pd.DataFrame) -> pd.DataFrame | None:
    """The row digests of findings just inserted from ``added``, from the values written: the
    columns left to their defaults are empty, the parameters as the JSON column reads back."""
    if added.empty:
        return None
    rows = added.assign(params=[json.loads(text) for text in added["params"]], reviewer_id=None,
                        review_note=None, reviewed_at=None, cleared_at=None, cleared_cause=None,
                        cleared_reason=None)
    return evidence.of_written("finding", rows.reset_index(drop=True))


def json_text(params) -> str:
    """Parameters as the JSON text a bulk insert writes (keys sorted, as the digests read them)."""
    return json.dumps(params, sort_keys=True, ensure_ascii=False)


def _held_by(stopping: pd.DataFrame, new: pd.DataFrame) -> pd.Series:
    """Which of the findings a desk action would stop are held: all but those whose evidence
    another finding now carries on (an overdue case completed late: DEADLINE_MISSED)."""
    carried = pd.Series(False, index=stopping.index)
    for rule, successor in CARRIED_ON_BY.items():
        cases = set(new.loc[(new["rule"] == successor) & new["visit_pk"].isna(), "case_pk"].dropna().astype(int))
        carried |= (stopping["rule"] == rule) & stopping["visit_pk"].isna() & stopping["case_pk"].isin(cases)
    return ~carried


@dataclass(frozen=True)
class Effect:
    """The findings a change would open and clear, as (rule, params, detail) triples (params
    None for a stored finding that has none: its detail is shown as it is)."""

    opened: tuple[tuple[str, dict | None, str], ...] = ()
    cleared: tuple[tuple[str, dict | None, str], ...] = ()

    def __bool__(self) -> bool:
        return bool(self.opened or self.cleared)


def effect_of_edit(session: Session, frames: CatalogFrames, calendar: WorkingCalendar, as_of: dt.datetime,
                   thresholds: Thresholds, visit_pk: int, case_pk: int | None, edit: dict) -> Effect:
    """The findings that editing one stored visit (``edit``: column -> new value) would open
    and clear as of ``as_of``, judged in memory on the visit's case and applicant, nothing
    written. What fires before is what the engine fires now plus what is stored as firing."""
    case_pks, visit_pks = visit_store.with_applicants(session, [case_pk] if case_pk else [], [visit_pk])
    visits = visits_frame(session, frames, calendar.timezone_name, case_pks, visit_pks)
    stamp = pd.Timestamp(as_of)

    def judged(frame: pd.DataFrame) -> pd.DataFrame:
        return _finding_rows(judge(frame[frame["version"] >= 0].reset_index(drop=True), frames, calendar, stamp,
                                   thresholds))
    before = judged(visits)
    edited = visits.copy()
    row = edited["visit_pk"] == visit_pk
    for column, value in edit.items():
        if column in visit_store.TIMESTAMPS:
            value = pd.NaT if value is None else pd.Timestamp(value).tz_convert("UTC")
            edited[column] = edited[column].where(~row, value)
        else:
            edited.loc[row, column] = value if value is not None else ""
    edited["day"] = local_day_numbers(edited["called_at"], calendar.timezone_name)
    edited["version"] = frames.version_in_force(edited["service_code"], edited["day"].to_numpy())
    after = judged(edited)
    # The applicant's findings are no edit's to open or clear, and the clerk must not learn of them.
    stored = pd.read_sql(
        select(Finding.rule, Finding.visit_pk, Finding.case_pk, Finding.detail, Finding.params).where(
            Finding.rule.in_(list(RULES)), Finding.firing.is_(True), ~applicant_reported(Finding.id),
            or_(Finding.visit_pk.in_(visits["visit_pk"].astype(int).tolist()),
                Finding.case_pk.in_(case_pks) & Finding.visit_pk.is_(None), false())),
        session.connection()).astype({"visit_pk": "Int64", "case_pk": "Int64"})
    stored["key"] = _keys(stored)
    was = pd.concat([before, stored], ignore_index=True).drop_duplicates("key")
    reported = applicant_keys(session, visits["visit_pk"].astype(int).tolist())
    was, after = was[~was["key"].isin(reported)], after[~after["key"].isin(reported)]

    def pairs(rows: pd.DataFrame) -> tuple:
        return tuple(sorted(zip(rows["rule"], rows["params"], rows["detail"]), key=lambda t: (t[0], t[2])))
    return Effect(opened=pairs(after[~after["key"].isin(was["key"])]),
                  cleared=pairs(was[~was["key"].isin(after["key"])]))


def applicant_reported(finding_id):
    """SQL: the finding was reported by an applicant (services.witness)."""
    return finding_id.in_(select(ApplicantFinding.finding_id))


def applicant_keys(session: Session, visit_pks: list[int]) -> set[str]:
    """Keys (rule:visit) of the applicant-reported findings of these visits."""
    if not visit_pks:
        return set()
    rows = session.execute(select(Finding.rule, Finding.visit_pk).join(
        ApplicantFinding, ApplicantFinding.finding_id == Finding.id).where(
        one_of(session, Finding.visit_pk, visit_pks))).all()
    return {f"{rule}:v{pk}" for rule, pk in rows}


def retime_and_judge(session: Session, inputs, actor: str, cause: Cause,
                     now: dt.datetime | None = None, since: dt.date | None = None,
                     case_pks: list[int] | None = None, visit_pks: list[int] | None = None
                     ) -> tuple[int, SweepResult]:
    """After a catalog load or a calendar change: re-time the cases the change can reach
    (``case_pks``; None: every case, re-timed at once, the tests' reference) and judge them
    and ``visit_pks``, the consults it can reach, again, stamping the cases whose timeline
    changed, so that findings that no longer fire say which change cleared them.
    The weekly indicator cells from ``since``'s week on (the changed calendar day, the first day
    a catalog load judges differently; None: every computed week) are marked stale."""
    now = now or dt.datetime.now(dt.UTC)
    refreshed = refresh_all_cases(session, inputs.frames, inputs.calendar, actor=actor, reason=cause.reason,
                                  case_pks=case_pks)
    result = sweep(session, inputs.frames, inputs.calendar, now, inputs.thresholds, cause=cause, actor=actor,
                   case_pks=case_pks, visit_pks=None if case_pks is None else list(visit_pks or ()))
    if case_pks is not None and not (case_pks or visit_pks):
        return refreshed, result  # the change reaches no stored visit: no figure moves
    if since is not None:
        cells_store.mark_from(session, int(week_number((since - dt.date(1970, 1, 1)).days)))
    else:
        cells_store.mark_all(session)
    return refreshed, result


@dataclass(frozen=True)
class Backfill:
    filled: int  # findings stored without params that now have them
    left: int  # findings without params that could not be matched: their English detail stays


def backfill_params(session: Session, frames: CatalogFrames, calendar: WorkingCalendar, thresholds: Thresholds,
                    actor: str = "system", now: dt.datetime | None = None) -> Backfill:
    """Give findings stored before their parameters were kept (migration 0009) their params.

    The stored visits are judged again (in slices of applicants, as ``sweep``); a stored finding
    without params gets the params of the engine's finding of the same (rule, visit or case)
    whose English detail is exactly its stored detail, so that the parameters say what the
    detail said. An OVERDUE_OPEN
    is judged as of its own ``as_of`` (its hours grow with time). Nothing else changes;
    a finding that no run matches keeps its detail, shown as it is. English is never parsed.
    """
    now = now or dt.datetime.now(dt.UTC)
    stored = pd.read_sql(select(Finding.id, Finding.rule, Finding.visit_pk, Finding.case_pk, Finding.detail,
                                Finding.as_of).where(Finding.params.is_(None), Finding.rule.in_(list(RULES))),
                         session.connection())
    if stored.empty:
        return Backfill(0, 0)
    stored = stored.astype({"visit_pk": "Int64", "case_pk": "Int64"})
    stored["key"] = _keys(stored)
    stored["as_of"] = pd.to_datetime(stored["as_of"], utc=True)
    moments = [pd.Timestamp(now)] + sorted(set(stored.loc[stored["rule"] == "OVERDUE_OPEN", "as_of"]))
    filled: dict[int, dict] = {}
    for moment in moments:
        waiting = stored[~stored["id"].isin(filled)]
        if moment != moments[0]:
            waiting = waiting[(waiting["rule"] == "OVERDUE_OPEN") & (waiting["as_of"] == moment)]
            if waiting.empty:
                continue
            overdue_cases = sorted({int(pk) for pk in waiting["case_pk"].dropna()})
            scopes: Iterable[tuple[list[int], list[int]]] = [(overdue_cases, [])]
        else:
            scopes = visit_store.applicant_slices(session)  # the history, one slice of applicants at a time
        for case_pks, consult_pks in scopes:
            analysis, _ = analyze_stored(session, frames, calendar, moment, thresholds, case_pks, consult_pks)
            matched = waiting.merge(_finding_rows(analysis)[["key", "detail", "params"]], on=["key", "detail"])
            filled.update(zip(matched["id"].astype(int), matched["params"]))
    if filled:
        table = Finding.__table__
        session.connection().execute(update(table).where(table.c.id == bindparam("pk")).values(
            params=bindparam("params")), [{"pk": pk, "params": params} for pk, params in filled.items()])
        audit.record(session, actor, "backfill_params", "findings", now.isoformat(),
                     new={"filled": len(filled), "left": len(stored) - len(filled)},
                     reason="parameters of findings stored before they were kept (migration 0009)",
                     rows={"finding": sorted(filled)})
    return Backfill(len(filled), len(stored) - len(filled))


REVIEW_DECISIONS = ("confirmed", "dismissed", "closed", "reopened")


def review(session: Session, finding: Finding, decision: str, note: str, reviewer, now: dt.datetime | None = None,
           timezone: str | None = None) -> str | None:
    """A supervisor's review; returns why it is refused (a code: views/error_words.py words
    it), or None once recorded.

    Only a review closes a finding: ``closed`` accepts that a finding no longer fires (a
    correction, a catalog or calendar change cleared it); ``reopened`` refuses that and
    keeps it open for review. A sweep never changes a review. A held finding (a desk action
    would have cleared it: still firing, ``cleared_at`` set) stops firing only when closed;
    confirmed or reopened, it keeps firing. With ``timezone`` (the app's), a finding that
    stops firing marks its week's cells stale (the report's findings by rule).
    """
    now = now or dt.datetime.now(dt.UTC)
    if decision not in REVIEW_DECISIONS:
        return "unknown_decision"
    if not note.strip():
        return "review_note_needed"
    held = finding.firing and finding.cleared_at is not None
    if decision == "closed" and finding.firing and not held:
        return "still_fires"  # only a finding that no longer fires can be closed
    if decision == "reopened" and finding.firing and not held and finding.review_status not in ("closed", "dismissed"):
        return "still_open"  # it still fires and is open: nothing to reopen
    old = {"review_status": finding.review_status, "review_note": finding.review_note, "firing": finding.firing}
    with backlog_store.tracking(session, [finding.id]):  # the report's backlogs follow the review
        if decision == "closed" and held:
            finding.firing = False  # the supervisor accepts the clearing a desk action asked for
        finding.review_status, finding.review_note = decision, note.strip()
        finding.reviewer_id, finding.reviewed_at = reviewer.id, now
    if old["firing"] and not finding.firing and timezone is not None:
        # The report's findings by rule count what fires: the finding's week is recomputed.
        cells_store.mark_findings(session, [finding.visit_pk] if finding.visit_pk else [],
                                  [finding.case_pk] if finding.case_pk and not finding.visit_pk else [], timezone)
    audit.record(session, reviewer.login, "review", "finding", finding.id, old=old,
                 new={"review_status": finding.review_status, "review_note": finding.review_note,
                      "firing": finding.firing}, at=now, rows={"finding": [finding.id]})
    return None


def findings_table(session: Session, include_cleared: bool = False) -> pd.DataFrame:
    """Stored findings that fire, with the spec's columns plus the review status.

    With ``include_cleared``, also those no longer firing, and a ``firing`` column.
    """
    query = (select(Case.case_number.label("case_id"), Visit.visit_id, Finding.rule, Finding.clause,
                    Finding.severity, Finding.detail, Finding.review_status, Finding.firing)
             .select_from(Finding)
             .outerjoin(Visit, Finding.visit_pk == Visit.id)
             .outerjoin(Case, Finding.case_pk == Case.id)
             .order_by(Finding.visit_pk.is_(None), Finding.visit_pk, Finding.case_pk, Finding.id))
    if not include_cleared:
        query = query.where(Finding.firing.is_(True))
    table = pd.read_sql(query, session.connection())
    table["visit_id"] = table["visit_id"].fillna("")
    table["case_id"] = table["case_id"].fillna("")
    table["firing"] = table["firing"].astype(bool)
    return table[FINDING_COLUMNS + ["review_status"] + (["firing"] if include_cleared else [])]


@dataclass(frozen=True)
class FindingFilter:
    """What a supervisor asked to see; every field is optional (empty: no filter)."""
    rules: tuple[str, ...] = ()
    severity: str = ""
    office: str = ""
    status: str = ""
    firing: bool | None = None
    cause: str = ""
    week: tuple[int, pd.Timestamp, pd.Timestamp] | None = None  # ISO week number, its UTC bounds
    finding_id: int | None = None  # one finding
    held: bool = False  # only findings a desk action would have cleared, kept firing for a supervisor


def area_findings(offices: list[str] | None, wanted: FindingFilter = FindingFilter()):
    """Findings (with their visit and case) of an area, filtered: a query to page through.

    A week holds the findings the week's indicators are made of: visit findings by the
    visit's stored ISO week; case findings by the week the case was completed, or, for an
    open case, accepted. Every filter is on an indexed column.
    """
    query = (select(Finding, Visit, Case).outerjoin(Visit, Finding.visit_pk == Visit.id)
             .outerjoin(Case, Finding.case_pk == Case.id))
    if offices is not None:
        query = query.where(or_(Visit.office_code.in_(offices), Case.office_code.in_(offices)))
    if wanted.rules:
        query = query.where(Finding.rule.in_(wanted.rules))
    if wanted.severity:
        query = query.where(Finding.severity == wanted.severity)
    if wanted.office:
        query = query.where(or_(Visit.office_code == wanted.office, Case.office_code == wanted.office))
    if wanted.status:
        query = query.where(Finding.review_status == wanted.status)
    if wanted.firing is not None:  # False: kept as evidence, cleared by a correction or a change
        query = query.where(Finding.firing.is_(wanted.firing))
    if wanted.cause:
        query = query.where(Finding.cleared_cause == wanted.cause)
    if wanted.held:
        query = query.where(Finding.firing.is_(True), Finding.cleared_at.is_not(None))
    if wanted.finding_id is not None:
        query = query.where(Finding.id == wanted.finding_id)
    if wanted.week is not None:
        index, start, end = wanted.week
        query = query.where(or_(
            Visit.week == index,
            Visit.id.is_(None) & (Case.completed_at >= start) & (Case.completed_at < end),
            Visit.id.is_(None) & Case.completed_at.is_(None) & (Case.accepted_at >= start)
            & (Case.accepted_at < end)))
    return query


def count_by_rule(session: Session, offices: list[str] | None, wanted: FindingFilter) -> dict[str, int]:
    """How many findings of the area each rule has under a filter (one grouped query)."""
    query = area_findings(offices, wanted).with_only_columns(Finding.rule, func.count(Finding.id.distinct())) \
        .group_by(Finding.rule)
    return {rule: count for rule, count in session.execute(query).all()}


def firing_in_weeks(session: Session, first: int, last: int, timezone: str,
                    offices: frozenset[str] | None = None) -> pd.DataFrame:
    """The findings that fire in weeks first..last, counted per (week, visit office, case
    office, rule): exactly ``area_findings``' week filter, in three parts that each read the
    weeks' rows by an index -- the visits of the weeks, the cases completed in them, the open
    cases accepted in them -- never the history. Offices are '' where the finding has no
    visit or no case. ``offices``: only the counts of findings of these offices' visits and the
    case findings of these offices' cases (a change marks both offices of a finding: stores.cells)."""
    visit_office = func.coalesce(Visit.office_code, "")
    case_office = func.coalesce(Case.office_code, "")
    named = sorted(offices) if offices is not None else []
    of_visit = [] if offices is None else [one_of(session, Visit.office_code, named, "visit_offices")]
    of_case = [] if offices is None else [one_of(session, Case.office_code, named, "case_offices")]
    columns = ["week", "visit_office", "case_office", "rule", "findings"]
    of_visits = pd.DataFrame(session.execute(
        select(Visit.week, visit_office, case_office, Finding.rule, func.count(Finding.id))
        .select_from(Visit).join(Finding, Finding.visit_pk == Visit.id)
        .outerjoin(Case, Finding.case_pk == Case.id)
        .where(Visit.week.between(first, last), Finding.firing.is_(True), *of_visit)
        .group_by(Visit.week, visit_office, case_office, Finding.rule)).all(), columns=columns)
    start_at = week_end(first - 1, timezone).to_pydatetime()
    end_at = week_end(last, timezone).to_pydatetime()

    def of_cases(moment, *condition: ColumnElement[bool]) -> pd.DataFrame:
        """Case findings (no visit) by the week of the case's ``moment``: one row per finding,
        the cases read by the moment's index (sets.unindexed)."""
        rows = pd.DataFrame(session.execute(
            select(as_stored(moment), case_office, Finding.rule).select_from(Case)
            .join(Finding, (Finding.case_pk == Case.id) & unindexed(session, Finding.visit_pk).is_(None))
            .where(Finding.firing.is_(True), moment >= start_at, moment < end_at, *condition, *of_case)).all(),
            columns=["moment", "case_office", "rule"])
        moments = pd.to_datetime(rows["moment"], utc=True, format="ISO8601")
        return rows.assign(week=week_number(local_day_numbers(moments, timezone)) if len(rows) else [],
                           visit_office="", findings=1)[columns]
    frame = pd.concat([of_visits, of_cases(Case.completed_at),
                       of_cases(Case.accepted_at, unindexed(session, Case.completed_at).is_(None))], ignore_index=True)
    if frame.empty:
        return pd.DataFrame(columns=columns).astype({"week": "int64", "findings": "int64"})
    counted = frame.groupby(columns[:4])["findings"].sum().reset_index()
    return counted.astype({"week": "int64", "findings": "int64"})
