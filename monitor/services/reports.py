"""The supervisors' weekly quality report (clauses 2.2.1, 2.2.5, 3.4.2), from the engine.

Numbers are the engine's indicators on the stored rows of the shown weeks in the
supervisor's area (week_store), so that the report, the published snapshots and
``flask analyze`` can never disagree, and a request costs a few weeks' rows.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..stores import weeks as week_store
from ..compliance import INDICATORS, weekly_indicators
# For ranking "worst": which direction is bad for each indicator (the one indicator table).
from ..compliance.indicator_table import HIGHER_IS_WORSE, LOWER_IS_WORSE
from ..compliance.indicators import SCOPES, week_end, week_label, week_number, week_of_label
from .context import EngineInputs
from ..models import IndicatorSnapshot, Visit

TREND_WEEKS = 12


@dataclass(frozen=True)
class WeeklyReport:
    week: str
    weeks: list[str]  # the trend window, oldest first, ending with ``week``
    trend: pd.DataFrame  # the area as a whole: one row per week
    by_scope: dict[str, pd.DataFrame]  # office/service/staff -> rows of ``week`` with *_change columns
    worst: dict[str, dict[str, list[tuple[str, float]]]]  # scope -> indicator -> [(value, number)]
    workload: pd.DataFrame  # staff_id, visits
    workload_spread: float | None  # coefficient of variation of visits per staff member


def weekly_report(session: Session, inputs: EngineInputs, week: str, offices: list[str] | None,
                  minimum_cases: int, complaints: pd.DataFrame | None = None) -> WeeklyReport:
    """The report of ``offices`` (None: the network) for an ISO week, with a 12-week trend.

    Reads stored rows of the weeks it shows, never the whole history (week_store): a case
    forwarded between offices keeps its one stored timeline, and the area's figures are the
    scoped indicators of its offices (case events count where the accepting or completing
    visit was, as in the spec's scopes). The trend of a published week is its frozen
    snapshot when the area is one the snapshots hold (the network, or one office); only
    the other weeks are computed live. ``complaints`` may hold any complaints: those of
    the shown weeks count.
    """
    last = week_of_label(week)
    first = last - TREND_WEEKS + 1
    weeks = [week_label(w) for w in range(first, last + 1)]
    if session.scalar(select(Visit.id).limit(1)) is None:
        empty = pd.DataFrame({"week": weeks, **{name: np.nan for name in INDICATORS}})
        return WeeklyReport(week, weeks, empty, {s: pd.DataFrame(columns=["week", s] + INDICATORS)
                                                 for s in ("office", "service", "staff")},
                            {"office": {}, "service": {}}, pd.DataFrame(columns=["staff_id", "visits"]), None)
    frozen = _frozen_trend(session, weeks, offices)
    live = [w for w in range(first, last + 1) if week_label(w) not in frozen.index]
    live_first = min(live + [last - 1])
    rows = week_store.week_frames(session, inputs.frames, inputs.timezone, live_first, last)
    visits = rows.visits
    in_area = visits["office_code"].isin(offices).to_numpy() if offices is not None \
        else np.ones(len(visits), dtype=bool)
    visits = visits.assign(
        area=np.where(in_area, "area", None),
        **{f"{scope}_in_area": np.where(in_area, visits[SCOPES[scope]].to_numpy(), None)
           for scope in ("office", "service", "staff")})
    if complaints is None:
        complaints = week_store.complaints_of_weeks(session, live_first, last, inputs.timezone)
    complaint_in_area = complaints["office_code"].isin(offices).to_numpy() if offices is not None \
        else np.ones(len(complaints), dtype=bool)
    complaints = complaints.assign(
        area=np.where(complaint_in_area, "area", None),
        office_in_area=np.where(complaint_in_area, complaints["office_code"].to_numpy(), None),
        service_in_area=np.where(complaint_in_area, complaints["service_code"].to_numpy(), None),
        staff_in_area=None)
    args = (visits, rows.cases, rows.findings, inputs.timezone)
    trend = weekly_indicators(*args, "area", complaints, weeks=(live_first, last), scope_values=["area"])
    trend = pd.concat([frozen.reset_index(), trend.drop(columns="area")], ignore_index=True)
    trend = trend.drop_duplicates("week", keep="first").set_index("week").reindex(weeks).reset_index()
    by_scope, worst = {}, {}
    for scope in ("office", "service", "staff"):
        values = week_store.scope_values(session, scope, offices)
        table = weekly_indicators(*args, f"{scope}_in_area", complaints, weeks=(last - 1, last),
                                  scope_values=values).rename(columns={f"{scope}_in_area": scope})
        current = table[table["week"] == week].set_index(scope)
        previous = table[table["week"] == week_label(last - 1)].set_index(scope)
        for name in INDICATORS:
            current[f"{name}_change"] = current[name] - previous[name].reindex(current.index)
        by_scope[scope] = current.reset_index()
        if scope == "staff":
            continue
        rankable = current[current["cases_completed"] >= minimum_cases]
        worst[scope] = {}
        for name in sorted(HIGHER_IS_WORSE | LOWER_IS_WORSE):
            ordered = rankable[name].dropna().sort_values(ascending=name in LOWER_IS_WORSE).head(3)
            worst[scope][name] = [(key, float(value)) for key, value in ordered.items()]
    in_week = visits[in_area & (week_number(visits["day"].to_numpy()) == last)]
    workload = in_week.groupby("staff_id").size().rename("visits").reset_index() \
        .sort_values("visits", ascending=False)
    spread = float(workload["visits"].std(ddof=0) / workload["visits"].mean()) if len(workload) > 1 else None
    return WeeklyReport(week, weeks, trend, by_scope, worst, workload, spread)


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
    escalations_open: int  # escalated in the week (the accountability clock ran out), still open


def evidence_counts(session: Session, offices: list[str] | None, week: str, timezone: str) -> EvidenceCounts:
    """What supervisors must not miss: findings cleared by corrections, unanswered
    inducement reports, corrections waiting for them, escalations of the week still open."""
    from sqlalchemy import func, or_, select

    from .citizens import complaints_of_area
    from ..models import Case, Complaint, CorrectionRequest, Finding, Visit
    index = week_of_label(week)
    start, end = week_end(index - 1, timezone), week_end(index, timezone)
    findings = (select(func.count(Finding.id.distinct())).select_from(Finding)
                .outerjoin(Visit, Finding.visit_pk == Visit.id).outerjoin(Case, Finding.case_pk == Case.id))
    if offices is not None:
        findings = findings.where(or_(Visit.office_code.in_(offices), Case.office_code.in_(offices)))
    cleared = session.scalar(findings.where(Finding.cleared_cause == "correction", Finding.firing.is_(False),
                                            Finding.cleared_at >= start, Finding.cleared_at < end))
    unreviewed = session.scalar(findings.where(Finding.firing.is_(False),
                                               Finding.review_status.in_(("open", "confirmed"))))
    inducement = session.scalar(select(func.count()).select_from(
        complaints_of_area(offices).where(Complaint.kind == "inducement",
                                          Complaint.status.in_(("received", "in_review"))).subquery()))
    pending = select(func.count()).select_from(CorrectionRequest).where(CorrectionRequest.status == "pending")
    if offices is not None:
        pending = pending.where(CorrectionRequest.office_code.in_(offices))
    from .escalations import open_count
    escalated = open_count(session, offices, start.to_pydatetime(), end.to_pydatetime())
    return EvidenceCounts(cleared or 0, unreviewed or 0, inducement or 0, session.scalar(pending) or 0, escalated)
