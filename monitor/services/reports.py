"""The supervisors' weekly quality report (clauses 2.2.1, 2.2.5, 3.4.2), from the engine.

Numbers are the engine's indicators stored as weekly cells (services.indicator_cells),
combined for the supervisor's area by the engine itself, so that the report, the published
snapshots and ``flask analyze`` can never disagree, and a request reads the cells of the
weeks it shows, whatever the size of the stored history.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import cast

import numpy as np
import pandas as pd
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from ..calendar import week_end, week_label, week_of_label
from ..compliance import INDICATORS, funnel
from ..compliance.indicator_table import BY_NAME, DENOMINATORS
from ..models import Case, Complaint, CorrectionRequest, Finding, IndicatorSnapshot, Visit
from ..stores import backlog as backlog_store
from . import indicator_cells as cells
from .citizens import complaints_of_area
from .context import EngineInputs
from .escalations import open_count

TREND_WEEKS = 12
SCOPES = ("office", "service", "staff")  # the report's tables of every indicator, and its export's
# Offices are compared with the network on these (a funnel plot each), in this order.
FUNNEL_INDICATORS = ("extra_document_rate", "red_tape_per_100_cases", "on_time_rate",
                     "queue_wait_within_limit_rate", "unfounded_refusal_rate",
                     # An office whose applicants dispute far more than the network's is flagged
                     # even when its own log is clean (docs/witness.md).
                     "disputes_per_100_cases", "confirmation_rate")
SUMMARY_LENGTH = 8


@dataclass(frozen=True)
class SummaryItem:
    """One line of "what got worse": an office beyond the network's limits, or an area or
    office whose rate worsened by more than chance since last week."""
    kind: str  # "outlier" | "worse"
    standing: str  # "alarm" | "warning" (outliers) or "worse"
    indicator: str
    office: str | None  # None: the area as a whole
    value: float
    reference: float  # the network's rate (outliers) or last week's value (worse)
    cases: int  # the number the rate is a share of (the findings behind it: FINDINGS_BEHIND)


@dataclass(frozen=True)
class WeeklyReport:
    week: str
    weeks: list[str]  # the trend window, oldest first, ending with ``week``
    trend: pd.DataFrame  # the area as a whole: one row per week
    by_scope: dict[str, pd.DataFrame]  # office/service/staff -> rows of ``week`` with *_change columns
    network: dict[str, float]  # the whole network's indicators of ``week``
    funnels: dict[str, pd.DataFrame]  # indicator -> offices against the network (compliance.funnel)
    summary: list[SummaryItem]  # what got worse, worst first
    workload: pd.DataFrame  # staff_id, visits
    workload_spread: float | None  # coefficient of variation of visits per staff member


def weekly_report(session: Session, inputs: EngineInputs, week: str, offices: list[str] | None,
                  scopes: tuple[str, ...] = SCOPES) -> WeeklyReport:
    """The report of ``offices`` (None: the network) for an ISO week, with a 12-week trend.

    ``scopes``: the scopes whose every-indicator tables it holds (``by_scope``); the offices'
    are always there (the funnels and the summary are made of them). The page shows each
    table of every indicator on a page of its own (``scope_report``); the exports hold all.

    Reads the stored weekly cells of the weeks it shows (services.indicator_cells), never
    the stored rows: the area's figures are its offices' cells combined by the engine
    (case events count where the accepting or completing visit was, as in the spec's
    scopes). The trend of a published week is its frozen snapshot when the area is one the
    snapshots hold (the network, or one office). Cells are refreshed when data arrives (a
    desk save's within a minute, by the ``cells`` job), never by a request.
    """
    last = week_of_label(week)
    first = last - TREND_WEEKS + 1
    weeks = [week_label(w) for w in range(first, last + 1)]
    timezone = inputs.timezone
    if session.scalar(select(Visit.id).limit(1)) is None:
        empty = pd.DataFrame({"week": weeks, **{name: np.nan for name in INDICATORS}})
        return WeeklyReport(week, weeks, empty, {s: _empty_scope(s) for s in _with_offices(scopes)},
                            {}, {}, [], pd.DataFrame(columns=["staff_id", "visits"]), None)
    frozen = _frozen_trend(session, weeks, offices)
    live = [w for w in range(first, last + 1) if week_label(w) not in frozen.index]
    live_first = min(live + [last - 1])
    trend = cells.area_table(session, timezone, (live_first, last), offices)
    trend = pd.concat([frozen.reset_index(), trend], ignore_index=True)
    trend = trend.drop_duplicates("week", keep="first").set_index("week").reindex(weeks).reset_index()
    by_scope, previous_by_scope = {}, {}
    for scope in _with_offices(scopes):
        by_scope[scope], previous_by_scope[scope] = _scope_rows(session, timezone, scope, last, offices)
    area_rows = trend.set_index("week")
    # The network's figures of the week: the area's when the area is the network, else its
    # published snapshot, else its cells. (One row: week labels are unique; the stubs allow a frame.)
    network: pd.Series
    if offices is None:
        network = cast(pd.Series, area_rows.loc[week])
    else:
        published = _frozen_trend(session, [week], None)
        network = cast(pd.Series, published.loc[week]) if week in published.index else \
            cells.values_table(session, None, (last, last), None).iloc[0]
    network_values = {name: float(network[name]) for name in INDICATORS}
    offices_now, offices_before = by_scope["office"].set_index("office"), previous_by_scope["office"]
    counted = _denominators(session, offices_now, last, offices)
    counted_before = _denominators(session, offices_before, last - 1, offices)
    funnels = {name: funnel.compare_with_network(
        pd.DataFrame({"office": counted.index, "value": offices_now[name].reindex(counted.index).to_numpy(),
                      "n": counted[DENOMINATORS[name]].to_numpy()}),
        network_values[name], BY_NAME[name].unit, BY_NAME[name].better) for name in FUNNEL_INDICATORS}
    summary = _summary(funnels, network_values, offices_now, offices_before, counted, counted_before,
                       area_rows, week, week_label(last - 1))
    workload, spread = _workload(session, last, offices)
    return WeeklyReport(week, weeks, trend, by_scope, network_values, funnels, summary, workload, spread)


def _with_offices(scopes: tuple[str, ...]) -> tuple[str, ...]:
    return ("office", *[scope for scope in scopes if scope != "office"])


def _empty_scope(scope: str) -> pd.DataFrame:
    return pd.DataFrame(columns=["week", scope] + INDICATORS + [f"{name}_change" for name in INDICATORS])


def _scope_rows(session: Session, timezone: str, scope: str, last: int,
                offices: list[str] | None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The scope's rows of week ``last`` with each indicator's change since the week before
    (``*_change``), and the rows of the week before (indexed by the scope's value)."""
    values = cells.scope_values(session, scope, offices)
    table = cells.scope_table(session, timezone, scope, (last - 1, last), offices, values)
    current = table[table["week"] == week_label(last)].set_index(scope)
    previous = table[table["week"] == week_label(last - 1)].set_index(scope)
    for name in INDICATORS:
        current[f"{name}_change"] = current[name] - previous[name].reindex(current.index)
    return current.reset_index(), previous


def _workload(session: Session, week: int, offices: list[str] | None) -> tuple[pd.DataFrame, float | None]:
    """Visits per staff member in the week, most first, and their coefficient of variation
    (clause 3.4.2; None with fewer than two staff members)."""
    workload = cells.staff_visits(session, week, offices).rename_axis("staff_id").rename("visits").reset_index() \
        .sort_values("visits", ascending=False)
    spread = float(workload["visits"].std(ddof=0) / workload["visits"].mean()) if len(workload) > 1 else None
    return workload, spread


@dataclass(frozen=True)
class ScopeReport:
    """The offices, services or staff of an area in a week: every indicator with its change
    (and, for the staff, the workload)."""
    week: str
    scope: str  # office | service | staff
    table: pd.DataFrame  # the scope's value, every indicator, *_change
    workload: pd.DataFrame  # staff_id, visits (the staff's page only)
    workload_spread: float | None


def scope_report(session: Session, inputs: EngineInputs, week: str, offices: list[str] | None,
                 scope: str) -> ScopeReport:
    """One of the weekly report's tables of every indicator, on its own page: a national
    network has hundreds of offices and thousands of staff. Read from the same cells as the
    report and its exports."""
    last = week_of_label(week)
    table, _previous = _scope_rows(session, inputs.timezone, scope, last, offices)
    workload, spread = _workload(session, last, offices) if scope == "staff" else \
        (pd.DataFrame(columns=["staff_id", "visits"]), None)
    return ScopeReport(week, scope, table, workload, spread)


def _denominators(session: Session, offices: pd.DataFrame, week: int, area: list[str] | None) -> pd.DataFrame:
    """Per office, the numbers each rate of ``week`` is a share of (indicator_table.DENOMINATORS)."""
    stored = cells.office_counts(session, week, area)
    return stored.reindex(offices.index).fillna(0).astype("int64")


def _summary(funnels: dict[str, pd.DataFrame], network: dict[str, float], offices_now: pd.DataFrame,
             offices_before: pd.DataFrame, counted: pd.DataFrame, counted_before: pd.DataFrame,
             area: pd.DataFrame, week: str, previous_week: str) -> list[SummaryItem]:
    """What got worse, worst first: offices beyond the network's 99.8 % limits, then the
    area's and offices' rates that worsened by more than chance since last week (the area
    first, then by the number of cases that fared worse and the strength of the change), then
    offices beyond the 95 % limits."""
    alarms: list[tuple[float, SummaryItem]] = []
    warnings: list[tuple[float, SummaryItem]] = []
    worse: list[tuple[tuple[float, float], SummaryItem]] = []
    for name, table in funnels.items():
        for standing, office, value, n, worse_by in zip(table["standing"], table["office"], table["value"],
                                                        table["n"], table["worse_by"]):
            if standing in ("alarm", "warning"):
                item = SummaryItem("outlier", standing, name, office, float(value), network[name], int(n))
                (alarms if standing == "alarm" else warnings).append((worse_by, item))
    for name in FUNNEL_INDICATORS:
        unit, better, column = BY_NAME[name].unit, BY_NAME[name].better, DENOMINATORS[name]
        if week in area.index and previous_week in area.index:
            now, before = area[name][week], area[name][previous_week]
            n_now, n_before = int(counted[column].sum()), int(counted_before[column].sum())
            change = funnel.worsening(now, before, n_now, n_before, unit, better)
            if change is not None:
                worse.append(((np.inf, change.z), SummaryItem("worse", "worse", name, None, float(now),
                                                              float(before), n_now)))
        # Plain dicts: thousands of offices times the funnel indicators, looked up one by one.
        nows, befores = offices_now[name].to_dict(), offices_before[name].to_dict()
        ns_now, ns_before = counted[column].to_dict(), counted_before[column].to_dict()
        for office in offices_now.index:
            now, before = nows[office], befores.get(office, np.nan)
            n_now, n_before = int(ns_now[office]), int(ns_before.get(office, 0))
            change = funnel.worsening(now, before, n_now, n_before, unit, better)
            if change is not None:
                # Ranked by the evidence: the cases that fared worse, then the strength of the
                # change -- never by the percentage alone (one refusal is 0 -> 100 %).
                worse.append(((change.cases, change.z), SummaryItem("worse", "worse", name, office, float(now),
                                                                    float(before), n_now)))
    alarms.sort(key=lambda pair: -pair[0])
    warnings.sort(key=lambda pair: -pair[0])
    worse.sort(key=lambda pair: (-pair[0][0], -pair[0][1]))
    return [item for group in (alarms, worse, warnings) for _, item in group]



def _frozen_trend(session: Session, weeks: list[str], offices: list[str] | None) -> pd.DataFrame:
    """Published weeks of the trend window, from their snapshots (indexed by week).

    Only an area the snapshots hold has them: the network, or a single office. A
    multi-office area's weeks are computed live (from those weeks' rows only).
    """
    if offices is None:
        kind, value = "network", ""
    elif len(offices) == 1:
        kind, value = "office", offices[0]
    else:
        return pd.DataFrame(columns=INDICATORS, index=pd.Index([], name="week"))
    query = select(IndicatorSnapshot.week, IndicatorSnapshot.indicator, IndicatorSnapshot.value).where(
        IndicatorSnapshot.week.in_(weeks), IndicatorSnapshot.scope_kind == kind,
        IndicatorSnapshot.scope_value == value)
    long = pd.read_sql(query, session.connection())
    if long.empty:
        return pd.DataFrame(columns=INDICATORS, index=pd.Index([], name="week"))
    wide = long.pivot_table(index="week", columns="indicator", values="value", aggfunc="first", dropna=False)
    wide = wide.reindex(columns=INDICATORS).astype("float64")
    wide.index.name = "week"
    return wide


def report_tables(report: WeeklyReport) -> dict[str, pd.DataFrame]:
    """The report as sheets for CSV/XLSX export."""
    return {"area": report.trend, **report.by_scope, "workload": report.workload}


@dataclass(frozen=True)
class EvidenceCounts:
    cleared_by_corrections: int  # findings marked no longer firing by a correction in the week
    no_longer_firing_unreviewed: int  # no longer firing, no supervisor has closed or reopened them
    unanswered_inducement: int  # reports of inducement routed to the area, not yet answered
    pending_corrections: int  # correction requests awaiting a supervisor
    awaiting_review: int  # findings that fire and no supervisor has reviewed yet
    awaiting_review_high: int  # of those, high severity
    escalations_open: int  # escalated in the week (the accountability clock ran out), still open
    held: int = 0  # findings a desk action would have cleared, kept firing until a supervisor decides


def evidence_counts(session: Session, offices: list[str] | None, week: str, timezone: str) -> EvidenceCounts:
    """What supervisors must not miss: findings cleared by corrections, unanswered
    inducement reports, corrections waiting for them, escalations of the week still open.

    The week's counts read by index (findings by cause and clearing time, escalations by
    when); the findings still waiting for a supervisor, whatever their week, from the
    backlog counters kept per office by every writer of findings (stores.backlog), so that
    neither costs more with a longer history."""
    index = week_of_label(week)
    start, end = week_end(index - 1, timezone), week_end(index, timezone)
    cleared = select(func.count(Finding.id)).select_from(Finding)
    if offices is not None:
        cleared = (cleared.outerjoin(Visit, Finding.visit_pk == Visit.id).outerjoin(Case, Finding.case_pk == Case.id)
                   .where(or_(Visit.office_code.in_(offices), Case.office_code.in_(offices))))
    cleared_now = session.scalar(cleared.where(
        Finding.cleared_cause == "correction", Finding.cleared_at >= start, Finding.cleared_at < end,
        Finding.firing.is_(False)))
    backlogs = backlog_store.counts(session, offices)
    inducement = session.scalar(select(func.count()).select_from(
        complaints_of_area(offices).where(Complaint.kind == "inducement",
                                          Complaint.status.in_(("received", "in_review"))).subquery()))
    pending = select(func.count()).select_from(CorrectionRequest).where(CorrectionRequest.status == "pending")
    if offices is not None:
        pending = pending.where(CorrectionRequest.office_code.in_(offices))
    escalated = open_count(session, offices, start.to_pydatetime(), end.to_pydatetime())
    return EvidenceCounts(cleared_now or 0, backlogs["no_longer_firing_unreviewed"], inducement or 0,
                          session.scalar(pending) or 0, backlogs["awaiting_review"], backlogs["awaiting_review_high"],
                          escalated, backlogs["held"])


def findings_by_rule(session: Session, offices: list[str] | None, week: str, timezone: str) -> pd.DataFrame:
    """Per rule, the area's findings that fire in the week and in the week before, the
    most increased first: which rules got worse (every finding counts once, in the week
    its visit was, or its case was completed -- the week filter of the findings page).

    Read from the finding cells stored with each week's cells (IndicatorFindingCell), so
    its cost does not follow the history; a change is counted once the week's cells are
    refreshed (at once for commands and jobs, within a minute after a desk action)."""
    index = week_of_label(week)
    now, before = cells.findings_by_rule(session, index, offices), cells.findings_by_rule(session, index - 1, offices)
    table = pd.DataFrame({"rule": sorted(set(now) | set(before))})
    table["this_week"] = table["rule"].map(now).fillna(0).astype("int64")
    table["last_week"] = table["rule"].map(before).fillna(0).astype("int64")
    table["change"] = table["this_week"] - table["last_week"]
    return table.sort_values(["change", "this_week", "rule"], ascending=[False, False, True]).reset_index(drop=True)
