"""The supervisors' weekly quality report (clauses 2.2.1, 2.2.5, 3.4.2), from the engine.

Numbers are the engine's indicators on the stored visits of the supervisor's area, so that
the report, the published snapshots and ``flask analyze`` can never disagree.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sqlalchemy.orm import Session

from .compliance import INDICATORS, weekly_indicators
from .compliance.indicators import SCOPES, week_end, week_label, week_number, week_of_label
from .context import EngineInputs
from .findings_store import analyze_stored

# For ranking "worst": which direction is bad for each indicator.
HIGHER_IS_WORSE = {"overdue_open", "lead_time_p50_hours", "lead_time_p90_hours", "extra_document_rate",
                   "queue_wait_p90_minutes", "red_tape_per_100_cases", "refusal_rate",
                   "unfounded_refusal_rate", "visits_per_case", "complaints"}
LOWER_IS_WORSE = {"on_time_rate", "queue_wait_within_limit_rate"}
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

    The whole network is judged once, so that a case forwarded between offices keeps its
    one timeline; the area's figures are then the scoped indicators of its offices (case
    events count where the accepting or completing visit was, as in the spec's scopes).
    """
    last = week_of_label(week)
    first = last - TREND_WEEKS + 1
    analysis, _ = analyze_stored(session, inputs.frames, inputs.calendar,
                                 week_end(last, inputs.timezone), inputs.thresholds)
    weeks = [week_label(w) for w in range(first, last + 1)]
    visits = analysis.visits
    if visits.empty:
        empty = pd.DataFrame({"week": weeks, **{name: np.nan for name in INDICATORS}})
        return WeeklyReport(week, weeks, empty, {s: pd.DataFrame(columns=["week", s] + INDICATORS)
                                                 for s in ("office", "service", "staff")},
                            {"office": {}, "service": {}}, pd.DataFrame(columns=["staff_id", "visits"]), None)
    in_area = visits["office_code"].isin(offices).to_numpy() if offices is not None \
        else np.ones(len(visits), dtype=bool)
    visits = visits.assign(
        area=np.where(in_area, "area", None),
        **{f"{scope}_in_area": np.where(in_area, visits[SCOPES[scope]].to_numpy(), None)
           for scope in ("office", "service", "staff")})
    if complaints is not None:
        complaint_in_area = complaints["office_code"].isin(offices).to_numpy() if offices is not None \
            else np.ones(len(complaints), dtype=bool)
        complaints = complaints.assign(
            area=np.where(complaint_in_area, "area", None),
            office_in_area=np.where(complaint_in_area, complaints["office_code"].to_numpy(), None),
            service_in_area=np.where(complaint_in_area, complaints["service_code"].to_numpy(), None),
            staff_in_area=None)
    args = (visits, analysis.cases, analysis.findings, inputs.timezone)
    trend = weekly_indicators(*args, "area", complaints, weeks=(first, last))
    trend = trend.drop(columns="area").set_index("week").reindex(weeks).reset_index()
    by_scope, worst = {}, {}
    for scope in ("office", "service", "staff"):
        table = weekly_indicators(*args, f"{scope}_in_area", complaints, weeks=(last - 1, last)) \
            .rename(columns={f"{scope}_in_area": scope})
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


def report_tables(report: WeeklyReport) -> dict[str, pd.DataFrame]:
    """The report as sheets for CSV/XLSX export."""
    return {"area": report.trend, **report.by_scope, "workload": report.workload}


@dataclass(frozen=True)
class EvidenceCounts:
    cleared_by_corrections: int  # findings marked no longer firing by a correction in the week
    no_longer_firing_unreviewed: int  # no longer firing, no supervisor has closed or reopened them
    unanswered_inducement: int  # reports of inducement routed to the area, not yet answered
    pending_corrections: int  # correction requests awaiting a supervisor


def evidence_counts(session: Session, offices: list[str] | None, week: str, timezone: str) -> EvidenceCounts:
    """What supervisors must not miss: findings cleared by corrections, unanswered
    inducement reports, corrections waiting for them."""
    from sqlalchemy import func, or_, select

    from .citizens import complaints_of_area
    from .models import Case, Complaint, CorrectionRequest, Finding, Visit
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
    return EvidenceCounts(cleared or 0, unreviewed or 0, inducement or 0, session.scalar(pending) or 0)
