"""Weekly service-quality indicators (visit-log-and-rules.md, "Weekly indicators").

Weeks are ISO weeks in local time. Every indicator is computed for all weeks and all
scope values at once from the analysis frames; nothing loops over visits.
"""
from __future__ import annotations

import datetime as dt

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
    # A scope is office/service/staff, or any column of ``visits`` (and ``complaints``), e.g.
    # a supervisor's area; rows whose scope value is missing count in no scope row.
    column = SCOPES.get(scope, scope) if scope else None
    if visits.empty and (weeks is None or scope_values is None):
        return pd.DataFrame(columns=["week"] + ([scope] if scope else []) + INDICATORS)
    visit_week = week_number(visits["day"].to_numpy())
    first, last = weeks or (int(visit_week.min()), int(visit_week.max()))
    all_weeks = np.arange(first, last + 1)
    scope_of_visit = (visits[column].to_numpy() if column else np.full(len(visits), "", dtype=object))
    if not column:
        scope_values = np.array([""], dtype=object)
    elif scope_values is None:
        scope_values = np.sort(pd.unique(scope_of_visit[pd.notna(scope_of_visit)]))
    else:
        scope_values = np.sort(np.asarray(list(scope_values), dtype=object))
    grid = pd.MultiIndex.from_product([all_weeks, scope_values], names=["week", "scope"])
    out = pd.DataFrame(index=grid)

    def tally(weeks_: np.ndarray, scopes: np.ndarray, values=None, how="size") -> pd.Series:
        frame = pd.DataFrame({"week": weeks_, "scope": scopes})
        if values is not None:
            frame["value"] = values
        grouped = frame.groupby(["week", "scope"], sort=False)
        result = grouped.size() if how == "size" else grouped["value"].agg(how)
        return result.reindex(grid)

    def quantile(weeks_, scopes, values, q) -> pd.Series:
        frame = pd.DataFrame({"week": weeks_, "scope": scopes, "value": values})
        return frame.groupby(["week", "scope"], sort=False)["value"].quantile(q).reindex(grid)

    def ratio(numerator: pd.Series, denominator: pd.Series) -> pd.Series:
        # A rate with an empty denominator is empty, never 0.
        return (numerator.fillna(0) / denominator.where(denominator > 0)).astype("float64")

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

    # Visit-based: the visit's week (local date of called_at) and the visit's scope.
    all_visits = tally(visit_week, scope_of_visit)
    asked_badly = visits_with(("EXTRA_DOCUMENT", "STATE_SYSTEM_DOCUMENT"))
    with_ticket = visits["ticket_at"].notna().to_numpy()
    wait_minutes = ((visits["called_at"] - visits["ticket_at"]).dt.total_seconds() / 60).to_numpy()
    waited_too_long = visits_with(("QUEUE_WAIT_EXCEEDED",))
    red_tape_visit = visits_with(("UNFOUNDED_RETURN",)).astype(int) \
        + visits_with(("UNFOUNDED_REFUSAL",)).astype(int)

    # Case-based: the week of the event and the scope of the visit that defines it.
    def case_scope(rows: np.ndarray) -> np.ndarray:
        if column is None:
            return np.full(len(rows), "", dtype=object)
        return visits[column].to_numpy()[rows]

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
    on_time = (done["completed_at"] <= done["due_at"]).to_numpy()
    refused = (done["outcome"] == "refused").to_numpy()
    unfounded_refusal = refused & visits_with(("UNFOUNDED_REFUSAL",))[comp_rows]
    red_tape_case = sum(cases_with((r,)).astype(int) for r in CASE_RED_TAPE)[completed]

    out["cases_accepted"] = tally(acc_week, case_scope(acc_rows)).fillna(0)
    out["cases_completed"] = tally(comp_week, comp_scope).fillna(0)
    out["on_time_rate"] = ratio(tally(comp_week, comp_scope, on_time, "sum"), out["cases_completed"])
    out["overdue_open"] = _overdue_open(cases, acc_rows, accepted, case_scope, grid, timezone)
    has_lead = ~np.isnan(lead_hours)
    out["lead_time_p50_hours"] = quantile(comp_week[has_lead], comp_scope[has_lead], lead_hours[has_lead], 0.5)
    out["lead_time_p90_hours"] = quantile(comp_week[has_lead], comp_scope[has_lead], lead_hours[has_lead], 0.9)
    out["extra_document_rate"] = ratio(tally(visit_week, scope_of_visit, asked_badly, "sum"), all_visits)
    ticketed = tally(visit_week[with_ticket], scope_of_visit[with_ticket])
    out["queue_wait_p90_minutes"] = quantile(visit_week[with_ticket], scope_of_visit[with_ticket],
                                             wait_minutes[with_ticket], 0.9)
    out["queue_wait_within_limit_rate"] = ratio(
        tally(visit_week[with_ticket], scope_of_visit[with_ticket], ~waited_too_long[with_ticket], "sum"),
        ticketed)
    red_tape = tally(visit_week, scope_of_visit, red_tape_visit, "sum").fillna(0) \
        + tally(comp_week, comp_scope, red_tape_case, "sum").fillna(0)
    out["red_tape_per_100_cases"] = 100 * ratio(red_tape, out["cases_completed"])
    refusals = tally(comp_week, comp_scope, refused, "sum")
    out["refusal_rate"] = ratio(refusals, out["cases_completed"])
    out["unfounded_refusal_rate"] = ratio(tally(comp_week, comp_scope, unfounded_refusal, "sum"), refusals)
    out["visits_per_case"] = tally(comp_week, comp_scope, done["visit_count"].to_numpy(), "mean")
    if complaints is None:
        out["complaints"] = np.nan
    else:
        complaint_week = week_number(local_day_numbers(complaints["received_at"], timezone))
        complaint_scope = (complaints[column].to_numpy() if column
                           else np.full(len(complaints), "", dtype=object))
        out["complaints"] = tally(complaint_week, complaint_scope).fillna(0)

    for name in COUNT_INDICATORS:
        out[name] = out[name].astype("int64")
    if complaints is not None:
        out["complaints"] = out["complaints"].astype("int64")
    out = out.reset_index()
    out["week"] = [week_label(w) for w in out["week"]]
    if scope:
        out = out.rename(columns={"scope": scope})
    else:
        out = out.drop(columns="scope")
    return out[["week"] + ([scope] if scope else []) + INDICATORS]


def _overdue_open(cases, acc_rows, accepted, case_scope, grid, timezone) -> pd.Series:
    """Cases overdue and open at each week's end (the next Monday 00:00 local).

    A case counts from the week its due time falls in until the week before the one
    in which it was completed or withdrawn: +1/-1 at those weeks, then a running sum.
    """
    part = cases[accepted]
    due = part["due_at"]
    has_due = due.notna().to_numpy()
    closed = part["completed_at"].where(part["completed_at"].notna(), part["withdrawn_at"])
    both = part["completed_at"].notna() & part["withdrawn_at"].notna()
    closed = closed.where(~both, np.minimum(part["completed_at"], part["withdrawn_at"]))
    weeks = grid.get_level_values("week")
    first_week, last_week = int(weeks.min()), int(weeks.max())
    start = np.full(len(part), last_week + 1, dtype="int64")
    if has_due.any():
        start[has_due] = week_number(local_day_numbers(due[has_due], timezone))
    stop = np.full(len(part), last_week + 1, dtype="int64")  # first week no longer counted
    is_closed = closed.notna().to_numpy()
    if is_closed.any():
        stop[is_closed] = week_number(local_day_numbers(closed[is_closed], timezone))
    start = np.maximum(start, first_week)
    counted = has_due & (start < stop) & (start <= last_week)
    scopes = case_scope(acc_rows)[counted]
    delta = pd.DataFrame({
        "week": np.concatenate([start[counted], stop[counted]]),
        "scope": np.concatenate([scopes, scopes]),
        "change": np.concatenate([np.ones(counted.sum(), int), -np.ones(counted.sum(), int)]),
    })
    delta = delta[delta["week"] <= last_week]
    changes = delta.groupby(["week", "scope"])["change"].sum().reindex(grid, fill_value=0)
    return changes.groupby(level="scope", sort=False).cumsum()
