"""Weekly service-quality indicators (visit-log-and-rules.md, "Weekly indicators").

Weeks are ISO weeks in local time. Every indicator is computed for all weeks and all
scope values at once from the analysis frames; nothing loops over visits.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..calendar import local_day_numbers, week_end, week_label, week_number, week_of_label  # noqa: F401 (the one definition of weeks)

INDICATORS = [
    "cases_accepted", "cases_completed", "on_time_rate", "overdue_open",
    "lead_time_p50_hours", "lead_time_p90_hours", "extra_document_rate",
    "queue_wait_p90_minutes", "queue_wait_within_limit_rate", "red_tape_per_100_cases",
    "refusal_rate", "unfounded_refusal_rate", "visits_per_case", "complaints",
    "confirmation_rate", "disputes_per_100_cases",
]
COUNT_INDICATORS = ("cases_accepted", "cases_completed", "overdue_open")
SCOPES = {"office": "office_code", "service": "service_code", "staff": "staff_id"}
SCOPE_KINDS = ("network", *SCOPES)
# Staff members' figures are for their supervisors only: publishing them would expose logins.
PUBLIC_SCOPE_KINDS = ("network", "office", "service")
VISIT_RED_TAPE = ("UNFOUNDED_RETURN", "UNFOUNDED_REFUSAL")
CASE_RED_TAPE = ("REPEATED_RETURN", "EXCESS_HANDOFFS", "DEADLINE_MISSED")


def weekly_indicators(visits: pd.DataFrame, cases: pd.DataFrame, findings: pd.DataFrame,
                      timezone: str, scope: str | None = None,
                      complaints: pd.DataFrame | None = None,
                      weeks: tuple[int, int] | None = None,
                      scope_values: Iterable[Any] | None = None,
                      answers: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per ISO week (and per scope value): the spec's indicators.

    ``findings`` has ``rule``, ``row`` (visit position, -1 for case rules) and ``case_row``.
    ``complaints`` (received_at, and the scope column) is None for stateless analysis,
    which leaves that column empty. ``weeks`` limits the range (first, last week index);
    by default it runs from the week of the first visit to that of the last.
    ``scope_values`` are the scope's values "seen in the visits" when ``visits`` holds only
    some weeks' rows (the stored aggregation passes those of all stored visits).
    ``answers`` are the applicants' answers (``row``: the visit's position, ``verdict``:
    confirmed | disputed; docs/witness.md); None for stateless analysis, which leaves the
    confirmation rate and the disputes empty.
    """
    parts = indicator_parts(visits, cases, findings, timezone, scope, answers)
    return combine_indicator_parts([parts], scope, timezone, complaints, weeks, scope_values)


@dataclass(frozen=True)
class IndicatorParts:
    """What one share of the visits (with all of its cases) adds to the weekly indicators.

    Parts of disjoint shares combine exactly (``combine_indicator_parts``): ``counts`` are
    sums per (week, scope) of the visits, the accepted and the completed cases (a key may
    have a row of each; a column one of them lacks is missing there), ``overdue_changes``
    the +1/-1 of open overdue cases per (week, scope) before the week range is known, and
    ``lead_hours``/``wait_minutes`` the values the quantiles are taken from, one per
    completed case or ticketed visit.
    """

    counts: pd.DataFrame  # index (week, scope); visits, asked_badly, ticketed, wait_within_limit,
    # red_tape_visit, answered, confirmed, disputed, accepted, completed, on_time, red_tape_case, refused,
    # unfounded_refusal, visit_count
    overdue_changes: pd.Series  # index (week, scope)
    lead_hours: pd.DataFrame  # week, scope, value
    wait_minutes: pd.DataFrame  # week, scope, value
    scope_values: np.ndarray  # non-missing scope values of the visits
    first_week: int | None  # of the visits (None: no visits)
    last_week: int | None
    answers_known: bool = False  # the applicants' answers were given (not a stateless analysis)


_NEVER = np.iinfo("int64").max // 2  # the week a never-closed case stops counting


def _scope_column(scope: str | None) -> str | None:
    """The visits' column of a scope: office, service and staff by name, any other column itself."""
    return None if scope is None else SCOPES.get(scope, scope)


def _scope_of(frame: pd.DataFrame, column: str | None) -> np.ndarray:
    """Each row's scope value; the network is one scope, the empty string."""
    return frame[column].to_numpy() if column else np.full(len(frame), "")


def indicator_parts(visits: pd.DataFrame, cases: pd.DataFrame, findings: pd.DataFrame,
                    timezone: str, scope: str | None = None,
                    answers: pd.DataFrame | None = None) -> IndicatorParts:
    """The additive parts of the weekly indicators of these visits and their cases."""
    # A scope is office/service/staff, or any column of ``visits`` (and ``complaints``), e.g.
    # a supervisor's area; rows whose scope value is missing count in no scope row. A case
    # takes the scope of the visit that defines the event counted (acceptance, completion).
    scope_of_visit = _scope_of(visits, _scope_column(scope))
    visit_week = week_number(visits["day"].to_numpy())
    rule = findings["rule"].to_numpy()

    def findings_per(rows: np.ndarray, length: int, rules) -> np.ndarray:
        """How many findings of these rules each visit (or case) has."""
        return np.bincount(rows[np.isin(rule, rules) & (rows >= 0)], minlength=length)

    def visits_with(rules) -> np.ndarray:
        return findings_per(findings["row"].to_numpy(), len(visits), rules) > 0

    # The applicant's answer about each visit (one per visit): none, confirmed or disputed.
    verdict = np.full(len(visits), "", dtype=object)
    if answers is not None and len(answers):
        verdict[answers["row"].to_numpy(dtype="int64")] = answers["verdict"].to_numpy(dtype=object)

    # Visit-based: the visit's week (local date of called_at) and the visit's scope.
    with_ticket = visits["ticket_at"].notna().to_numpy()
    wait_minutes = ((visits["called_at"] - visits["ticket_at"]).dt.total_seconds() / 60).to_numpy()
    visit_counts = pd.DataFrame({
        "week": visit_week, "scope": scope_of_visit, "visits": 1,
        "asked_badly": visits_with(("EXTRA_DOCUMENT", "STATE_SYSTEM_DOCUMENT")),
        "ticketed": with_ticket,
        "wait_within_limit": with_ticket & ~visits_with(("QUEUE_WAIT_EXCEEDED",)),
        "red_tape_visit": findings_per(findings["row"].to_numpy(), len(visits), VISIT_RED_TAPE),
        "answered": verdict != "", "confirmed": verdict == "confirmed", "disputed": verdict == "disputed",
    })

    # Case-based: the week of the event and the scope of the visit that defines it.
    accepted = cases["accepted_at"].notna().to_numpy()
    accepted_scope = scope_of_visit[cases["accepting_row"].to_numpy()[accepted]]
    accepted_counts = pd.DataFrame({
        "week": week_number(local_day_numbers(cases["accepted_at"][accepted], timezone)),
        "scope": accepted_scope, "accepted": 1,
    })
    completed = cases["completed_at"].notna().to_numpy()
    done = cases[completed]
    completing_rows = done["completing_row"].to_numpy()
    completed_week = week_number(local_day_numbers(done["completed_at"], timezone))
    completed_scope = scope_of_visit[completing_rows]
    refused = (done["outcome"] == "refused").to_numpy()
    completed_counts = pd.DataFrame({
        "week": completed_week, "scope": completed_scope, "completed": 1,
        "on_time": (done["completed_at"] <= done["due_at"]).to_numpy(),
        "red_tape_case": findings_per(findings["case_row"].to_numpy(), len(cases), CASE_RED_TAPE)[completed],
        "refused": refused,
        "unfounded_refusal": refused & visits_with(("UNFOUNDED_REFUSAL",))[completing_rows],
        "visit_count": done["visit_count"].to_numpy(),
    })
    counts = pd.concat([frame.groupby(["week", "scope"]).sum()
                        for frame in (visit_counts, accepted_counts, completed_counts)])

    lead_hours = ((done["completed_at"] - done["accepted_at"]).dt.total_seconds() / 3600).to_numpy()
    has_lead = ~np.isnan(lead_hours)
    return IndicatorParts(
        counts=counts,
        overdue_changes=_overdue_changes(cases[accepted], accepted_scope, timezone),
        lead_hours=pd.DataFrame({"week": completed_week[has_lead], "scope": completed_scope[has_lead],
                                 "value": lead_hours[has_lead]}),
        wait_minutes=pd.DataFrame({"week": visit_week[with_ticket], "scope": scope_of_visit[with_ticket],
                                   "value": wait_minutes[with_ticket]}),
        scope_values=pd.unique(scope_of_visit[pd.notna(scope_of_visit)]),
        first_week=int(visit_week.min()) if len(visits) else None,
        last_week=int(visit_week.max()) if len(visits) else None,
        answers_known=answers is not None,
    )


def combine_indicator_parts(parts: list[IndicatorParts], scope: str | None, timezone: str,
                            complaints: pd.DataFrame | None = None,
                            weeks: tuple[int, int] | None = None,
                            scope_values: Iterable[Any] | None = None) -> pd.DataFrame:
    """The indicator table of the union of the shares whose parts these are.

    The shares must be disjoint and each hold whole cases; then the result is exactly
    ``weekly_indicators`` of all their visits at once. With both ``weeks`` and
    ``scope_values`` given, the table has every row of that grid even with no visits.
    """
    column = _scope_column(scope)
    columns = ["week"] + ([scope] if scope else []) + INDICATORS
    present = [p for p in parts if p.first_week is not None]
    if not present and (weeks is None or scope_values is None or not parts):
        return pd.DataFrame(columns=columns)
    parts = present or parts
    if weeks is None:  # then some part has visits, and ``parts`` are those parts
        weeks = (min(p.first_week for p in parts if p.first_week is not None),
                 max(p.last_week for p in parts if p.last_week is not None))
    first, last = weeks
    values: list[Any]
    if not column:
        values = [""]
    elif scope_values is None:
        values = sorted(pd.unique(np.concatenate([p.scope_values for p in parts])))
    else:
        values = sorted(scope_values)
    grid = pd.MultiIndex.from_product([np.arange(first, last + 1), values], names=["week", "scope"])

    counts = pd.concat([p.counts for p in parts]).groupby(level=["week", "scope"]).sum() \
        .reindex(grid, fill_value=0)

    def quantile(values: list[pd.DataFrame], q) -> pd.Series:
        return pd.concat(values).groupby(["week", "scope"])["value"].quantile(q).reindex(grid)

    def ratio(numerator: pd.Series, denominator: pd.Series) -> pd.Series:
        # A rate with an empty denominator is empty, never 0.
        return numerator / denominator.where(denominator > 0)

    complaint_counts: pd.Series | float  # a stateless analysis leaves the column empty
    if complaints is None:
        complaint_counts = np.nan
    else:
        complaint_counts = pd.DataFrame({
            "week": week_number(local_day_numbers(complaints["received_at"], timezone)),
            "scope": _scope_of(complaints, column),
        }).groupby(["week", "scope"]).size().reindex(grid, fill_value=0)
    answered = all(p.answers_known for p in parts)
    out = pd.DataFrame({
        "cases_accepted": counts["accepted"],
        "cases_completed": counts["completed"],
        "on_time_rate": ratio(counts["on_time"], counts["completed"]),
        "overdue_open": _overdue_open(pd.concat([p.overdue_changes for p in parts]), grid, first, last),
        "lead_time_p50_hours": quantile([p.lead_hours for p in parts], 0.5),
        "lead_time_p90_hours": quantile([p.lead_hours for p in parts], 0.9),
        "extra_document_rate": ratio(counts["asked_badly"], counts["visits"]),
        "queue_wait_p90_minutes": quantile([p.wait_minutes for p in parts], 0.9),
        "queue_wait_within_limit_rate": ratio(counts["wait_within_limit"], counts["ticketed"]),
        "red_tape_per_100_cases": 100 * ratio(counts["red_tape_visit"] + counts["red_tape_case"],
                                              counts["completed"]),
        "refusal_rate": ratio(counts["refused"], counts["completed"]),
        "unfounded_refusal_rate": ratio(counts["unfounded_refusal"], counts["refused"]),
        "visits_per_case": ratio(counts["visit_count"], counts["completed"]),
        "complaints": complaint_counts,
        # docs/witness.md: answered visits of the week confirmed as logged; disputed visits of
        # the week per 100 cases accepted in it.
        "confirmation_rate": ratio(counts["confirmed"], counts["answered"]) if answered else np.nan,
        "disputes_per_100_cases": 100 * ratio(counts["disputed"], counts["accepted"]) if answered else np.nan,
    })
    for name in COUNT_INDICATORS:
        out[name] = out[name].astype("int64")
    out = out.reset_index()
    out["week"] = [week_label(w) for w in out["week"]]
    out = out.rename(columns={"scope": scope}) if scope else out.drop(columns="scope")
    return out[columns]


def _overdue_changes(accepted_cases: pd.DataFrame, scopes: np.ndarray, timezone: str) -> pd.Series:
    """Cases overdue and open at a week's end (the next Monday 00:00 local), as changes.

    A case counts from the week its due time falls in until the week before the one
    in which it was completed or withdrawn: +1/-1 at those weeks (none for a case never
    closed); ``_overdue_open`` sums them up to each week.
    """
    due = accepted_cases["due_at"]
    # The earlier of completion and withdrawal (Series ops: np.minimum would go through objects).
    completed, withdrawn = accepted_cases["completed_at"], accepted_cases["withdrawn_at"]
    closed = completed.where(completed.notna(), withdrawn).mask(withdrawn < completed, withdrawn)
    start = week_number(local_day_numbers(due, timezone))  # a missing due time is never counted
    stop = np.where(closed.notna().to_numpy(), week_number(local_day_numbers(closed, timezone)), _NEVER)
    counted = due.notna().to_numpy() & (start < stop)
    delta = pd.DataFrame({
        "week": np.concatenate([start[counted], stop[counted]]),
        "scope": np.concatenate([scopes[counted], scopes[counted]]),
        "change": np.repeat([1, -1], counted.sum()),
    })
    return delta.groupby(["week", "scope"])["change"].sum()


def _overdue_open(changes: pd.Series, grid: pd.MultiIndex, first_week: int, last_week: int) -> pd.Series:
    """The running sum of the changes at each week of the grid (earlier ones in its first)."""
    frame = changes.reset_index()
    frame = frame[frame["week"] <= last_week]
    frame["week"] = np.maximum(frame["week"].to_numpy(), first_week)
    totals = frame.groupby(["week", "scope"])["change"].sum().reindex(grid, fill_value=0)
    return totals.groupby(level="scope").cumsum()
