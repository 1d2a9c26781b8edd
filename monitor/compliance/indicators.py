"""Weekly service-quality indicators (visit-log-and-rules.md, "Weekly indicators").

Weeks are ISO weeks in local time. Every indicator is computed for all weeks and all
scope values at once from the analysis frames; nothing loops over visits.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .visit_log import local_day_numbers

INDICATORS = [
    "cases_accepted", "cases_completed", "on_time_rate", "overdue_open",
    "lead_time_p50_hours", "lead_time_p90_hours", "extra_document_rate",
    "queue_wait_p90_minutes", "queue_wait_within_limit_rate", "red_tape_per_100_cases",
    "refusal_rate", "unfounded_refusal_rate", "visits_per_case", "complaints",
]
COUNT_INDICATORS = ("cases_accepted", "cases_completed", "overdue_open")
SCOPES = {"office": "office_code", "service": "service_code", "staff": "staff_id"}
SCOPE_KINDS = ("network", *SCOPES)
# Staff members' figures are for their supervisors only: publishing them would expose logins.
PUBLIC_SCOPE_KINDS = ("network", "office", "service")
VISIT_RED_TAPE = ("UNFOUNDED_RETURN", "UNFOUNDED_REFUSAL")
CASE_RED_TAPE = ("REPEATED_RETURN", "EXCESS_HANDOFFS", "DEADLINE_MISSED")
_EPOCH = dt.date(1970, 1, 1)


def week_number(day_numbers) -> np.ndarray:
    """Monday-based week index of local day numbers (1970-01-01 was a Thursday)."""
    return (np.asarray(day_numbers, dtype="int64") + 3) // 7


def week_label(week: int) -> str:
    year, number, _ = (_EPOCH + dt.timedelta(days=int(week) * 7 - 3)).isocalendar()
    return f"{year}-W{number:02d}"


def week_of_label(label: str) -> int:
    """The week index of an ISO week label such as ``2026-W12``."""
    monday = dt.date.fromisocalendar(int(label[:4]), int(label[6:]), 1)
    return week_number((monday - _EPOCH).days).item()


def week_end(week: int, timezone: str) -> pd.Timestamp:
    """Monday 00:00 local after the week: the moment a week's overdue cases are judged."""
    monday = _EPOCH + dt.timedelta(days=int(week) * 7 + 4)
    return pd.Timestamp(monday).tz_localize(timezone).tz_convert("UTC")


def weekly_indicators(visits: pd.DataFrame, cases: pd.DataFrame, findings: pd.DataFrame,
                      timezone: str, scope: str | None = None,
                      complaints: pd.DataFrame | None = None,
                      weeks: tuple[int, int] | None = None,
                      scope_values=None) -> pd.DataFrame:
    """One row per ISO week (and per scope value): the spec's indicators.

    ``findings`` has ``rule``, ``row`` (visit position, -1 for case rules) and ``case_row``.
    ``complaints`` (received_at, and the scope column) is None for stateless analysis,
    which leaves that column empty. ``weeks`` limits the range (first, last week index);
    by default it runs from the week of the first visit to that of the last.
    ``scope_values`` are the scope's values "seen in the visits" when ``visits`` holds only
    some weeks' rows (the stored aggregation passes those of all stored visits).
    """
    parts = indicator_parts(visits, cases, findings, timezone, scope)
    return combine_indicator_parts([parts], scope, timezone, complaints, weeks, scope_values)


@dataclass(frozen=True)
class IndicatorParts:
    """What one share of the visits (with all of its cases) adds to the weekly indicators.

    Parts of disjoint shares combine exactly (``combine_indicator_parts``): ``counts`` are
    sums per (week, scope), ``overdue_changes`` the +1/-1 of open overdue cases per (week,
    scope) before the week range is known, and ``lead_hours``/``wait_minutes`` the values
    the quantiles are taken from, one per completed case or ticketed visit.
    """

    counts: pd.DataFrame  # index (week, scope), columns COUNT_PARTS
    overdue_changes: pd.Series  # index (week, scope)
    lead_hours: pd.DataFrame  # week, scope, value
    wait_minutes: pd.DataFrame  # week, scope, value
    scope_values: np.ndarray  # non-missing scope values of the visits
    first_week: int | None  # of the visits (None: no visits)
    last_week: int | None


COUNT_PARTS = (
    "visits", "asked_badly", "ticketed", "wait_within_limit", "red_tape_visit",
    "accepted", "completed", "on_time", "red_tape_case", "refused", "unfounded_refusal",
    "visit_count",
)
_NEVER = np.iinfo("int64").max // 2  # the week a never-closed case stops counting


def indicator_parts(visits: pd.DataFrame, cases: pd.DataFrame, findings: pd.DataFrame,
                    timezone: str, scope: str | None = None) -> IndicatorParts:
    """The additive parts of the weekly indicators of these visits and their cases."""
    # A scope is office/service/staff, or any column of ``visits`` (and ``complaints``), e.g.
    # a supervisor's area; rows whose scope value is missing count in no scope row.
    column = SCOPES.get(scope, scope) if scope else None
    visit_week = week_number(visits["day"].to_numpy())
    scope_of_visit = (visits[column].to_numpy() if column else np.full(len(visits), "", dtype=object))
    scope_values = pd.unique(scope_of_visit[pd.notna(scope_of_visit)]) if column \
        else np.array([""] if len(visits) else [], dtype=object)

    rule = findings["rule"].to_numpy()
    visit_row = findings["row"].to_numpy()
    case_row = findings["case_row"].to_numpy()

    def visits_with(rules) -> np.ndarray:
        fired = np.zeros(len(visits), dtype=bool)
        fired[visit_row[np.isin(rule, rules) & (visit_row >= 0)]] = True
        return fired

    def cases_with(rules) -> np.ndarray:
        fired = np.zeros(len(cases), dtype=bool)
        fired[case_row[np.isin(rule, rules) & (case_row >= 0)]] = True
        return fired

    def case_scope(rows: np.ndarray) -> np.ndarray:
        if column is None:
            return np.full(len(rows), "", dtype=object)
        return visits[column].to_numpy()[rows]

    # Visit-based: the visit's week (local date of called_at) and the visit's scope.
    with_ticket = visits["ticket_at"].notna().to_numpy()
    wait_minutes = ((visits["called_at"] - visits["ticket_at"]).dt.total_seconds() / 60).to_numpy()
    waited_too_long = visits_with(("QUEUE_WAIT_EXCEEDED",))
    visit_counts = pd.DataFrame({
        "week": visit_week, "scope": scope_of_visit, "visits": 1,
        "asked_badly": visits_with(("EXTRA_DOCUMENT", "STATE_SYSTEM_DOCUMENT")).astype("int64"),
        "ticketed": with_ticket.astype("int64"),
        "wait_within_limit": (with_ticket & ~waited_too_long).astype("int64"),
        "red_tape_visit": visits_with(("UNFOUNDED_RETURN",)).astype("int64")
        + visits_with(("UNFOUNDED_REFUSAL",)).astype("int64"),
    })

    # Case-based: the week of the event and the scope of the visit that defines it.
    accepted = cases["accepted_at"].notna().to_numpy()
    acc_rows = cases["accepting_row"].to_numpy()[accepted]
    acc_week = week_number(local_day_numbers(cases["accepted_at"][accepted], timezone)) \
        if accepted.any() else np.array([], dtype=int)
    completed = cases["completed_at"].notna().to_numpy()
    done = cases[completed]
    comp_rows = done["completing_row"].to_numpy()
    comp_week = week_number(local_day_numbers(done["completed_at"], timezone)) \
        if completed.any() else np.array([], dtype=int)
    comp_scope = case_scope(comp_rows)
    lead_hours = ((done["completed_at"] - done["accepted_at"]).dt.total_seconds() / 3600).to_numpy()
    refused = (done["outcome"] == "refused").to_numpy()
    accepted_counts = pd.DataFrame({"week": acc_week, "scope": case_scope(acc_rows), "accepted": 1})
    completed_counts = pd.DataFrame({
        "week": comp_week, "scope": comp_scope, "completed": 1,
        "on_time": (done["completed_at"] <= done["due_at"]).to_numpy().astype("int64"),
        "red_tape_case": sum(cases_with((r,)).astype("int64") for r in CASE_RED_TAPE)[completed],
        "refused": refused.astype("int64"),
        "unfounded_refusal": (refused & visits_with(("UNFOUNDED_REFUSAL",))[comp_rows]).astype("int64"),
        "visit_count": done["visit_count"].to_numpy().astype("int64"),
    })
    counts = pd.concat([visit_counts, accepted_counts, completed_counts], ignore_index=True) \
        .groupby(["week", "scope"], sort=False).sum(min_count=0)
    counts = counts.reindex(columns=list(COUNT_PARTS), fill_value=0).fillna(0).astype("int64")

    has_lead = ~np.isnan(lead_hours)
    return IndicatorParts(
        counts=counts,
        overdue_changes=_overdue_changes(cases, acc_rows, accepted, case_scope, timezone),
        lead_hours=pd.DataFrame({"week": comp_week[has_lead], "scope": comp_scope[has_lead],
                                 "value": lead_hours[has_lead]}),
        wait_minutes=pd.DataFrame({"week": visit_week[with_ticket], "scope": scope_of_visit[with_ticket],
                                   "value": wait_minutes[with_ticket]}),
        scope_values=np.asarray(scope_values, dtype=object),
        first_week=int(visit_week.min()) if len(visits) else None,
        last_week=int(visit_week.max()) if len(visits) else None,
    )


def combine_indicator_parts(parts: list[IndicatorParts], scope: str | None, timezone: str,
                            complaints: pd.DataFrame | None = None,
                            weeks: tuple[int, int] | None = None,
                            scope_values=None) -> pd.DataFrame:
    """The indicator table of the union of the shares whose parts these are.

    The shares must be disjoint and each hold whole cases; then the result is exactly
    ``weekly_indicators`` of all their visits at once. With both ``weeks`` and
    ``scope_values`` given, the table has every row of that grid even with no visits.
    """
    column = SCOPES.get(scope, scope) if scope else None
    present = [p for p in parts if p.first_week is not None]
    if not present and (weeks is None or scope_values is None or not parts):
        return pd.DataFrame(columns=["week"] + ([scope] if scope else []) + INDICATORS)
    parts = present or parts
    first, last = weeks or (min(p.first_week for p in parts), max(p.last_week for p in parts))
    all_weeks = np.arange(first, last + 1)
    if not column:
        scope_values = np.array([""], dtype=object)
    elif scope_values is None:
        scope_values = np.sort(pd.unique(np.concatenate([p.scope_values for p in parts])))
    else:
        scope_values = np.sort(np.asarray(list(scope_values), dtype=object))
    grid = pd.MultiIndex.from_product([all_weeks, scope_values], names=["week", "scope"])
    out = pd.DataFrame(index=grid)

    counts = pd.concat([p.counts for p in parts]) if len(parts) > 1 else parts[0].counts
    counts = counts.groupby(level=["week", "scope"], sort=False).sum()
    counts = counts.reindex(grid).fillna(0).astype("int64")

    def quantile(values: list[pd.DataFrame], q) -> pd.Series:
        frame = pd.concat(values, ignore_index=True) if len(values) > 1 else values[0]
        return frame.groupby(["week", "scope"], sort=False)["value"].quantile(q).reindex(grid)

    def ratio(numerator: pd.Series, denominator: pd.Series) -> pd.Series:
        # A rate with an empty denominator is empty, never 0.
        return (numerator / denominator.where(denominator > 0)).astype("float64")

    lead = [p.lead_hours for p in parts]
    out["cases_accepted"] = counts["accepted"]
    out["cases_completed"] = counts["completed"]
    out["on_time_rate"] = ratio(counts["on_time"], counts["completed"])
    changes = pd.concat([p.overdue_changes for p in parts])
    out["overdue_open"] = _overdue_open(changes, grid)
    out["lead_time_p50_hours"] = quantile(lead, 0.5)
    out["lead_time_p90_hours"] = quantile(lead, 0.9)
    out["extra_document_rate"] = ratio(counts["asked_badly"], counts["visits"])
    out["queue_wait_p90_minutes"] = quantile([p.wait_minutes for p in parts], 0.9)
    out["queue_wait_within_limit_rate"] = ratio(counts["wait_within_limit"], counts["ticketed"])
    red_tape = (counts["red_tape_visit"] + counts["red_tape_case"]).astype("float64")
    out["red_tape_per_100_cases"] = 100 * ratio(red_tape, counts["completed"])
    out["refusal_rate"] = ratio(counts["refused"], counts["completed"])
    out["unfounded_refusal_rate"] = ratio(counts["unfounded_refusal"], counts["refused"])
    out["visits_per_case"] = ratio(counts["visit_count"].astype("float64"), counts["completed"])
    if complaints is None:
        out["complaints"] = np.nan
    else:
        complaint_week = week_number(local_day_numbers(complaints["received_at"], timezone))
        complaint_scope = (complaints[column].to_numpy() if column
                           else np.full(len(complaints), "", dtype=object))
        tallied = pd.DataFrame({"week": complaint_week, "scope": complaint_scope}) \
            .groupby(["week", "scope"], sort=False).size()
        out["complaints"] = tallied.reindex(grid).fillna(0).astype("int64")

    for name in COUNT_INDICATORS:
        out[name] = out[name].astype("int64")
    out = out.reset_index()
    out["week"] = [week_label(w) for w in out["week"]]
    if scope:
        out = out.rename(columns={"scope": scope})
    else:
        out = out.drop(columns="scope")
    return out[["week"] + ([scope] if scope else []) + INDICATORS]


def _overdue_changes(cases, acc_rows, accepted, case_scope, timezone) -> pd.Series:
    """Cases overdue and open at a week's end (the next Monday 00:00 local), as changes.

    A case counts from the week its due time falls in until the week before the one
    in which it was completed or withdrawn: +1/-1 at those weeks (none for a case never
    closed); ``_overdue_open`` sums them up to each week.
    """
    part = cases[accepted]
    due = part["due_at"]
    has_due = due.notna().to_numpy()
    # The earlier of completion and withdrawal (Series ops: np.minimum would go through objects).
    completed, withdrawn = part["completed_at"], part["withdrawn_at"]
    closed = completed.where(completed.notna(), withdrawn).mask(withdrawn < completed, withdrawn)
    start = np.full(len(part), _NEVER, dtype="int64")
    if has_due.any():
        start[has_due] = week_number(local_day_numbers(due[has_due], timezone))
    stop = np.full(len(part), _NEVER, dtype="int64")  # first week no longer counted
    is_closed = closed.notna().to_numpy()
    if is_closed.any():
        stop[is_closed] = week_number(local_day_numbers(closed[is_closed], timezone))
    counted = has_due & (start < stop)
    scopes = case_scope(acc_rows)[counted]
    delta = pd.DataFrame({
        "week": np.concatenate([start[counted], stop[counted]]),
        "scope": np.concatenate([scopes, scopes]),
        "change": np.concatenate([np.ones(counted.sum(), int), -np.ones(counted.sum(), int)]),
    })
    return delta.groupby(["week", "scope"], sort=False)["change"].sum()


def _overdue_open(changes: pd.Series, grid: pd.MultiIndex) -> pd.Series:
    """The running sum of the changes at each week of the grid (earlier ones in its first)."""
    weeks = grid.get_level_values("week")
    first_week, last_week = int(weeks.min()), int(weeks.max())
    frame = changes.reset_index()
    frame = frame[frame["week"] <= last_week]
    frame["week"] = np.maximum(frame["week"].to_numpy(), first_week)
    totals = frame.groupby(["week", "scope"])["change"].sum().reindex(grid, fill_value=0)
    return totals.groupby(level="scope", sort=False).cumsum()
