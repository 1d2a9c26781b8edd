"""The engine at the boundaries a mutation run found unguarded (issue 16).

Each test states a reading of visit-log-and-rules.md at an exact moment or edge and asserts
the exact value: a case closed at the very as-of moment, case weeks in local time (Monday
00:00-05:00 local is still Sunday in UTC), a week with red tape and no completed case, a
case both withdrawn and completed, week labels and ends, the accepting visit when the file
order is not the called_at order, and the finding details word for word.

S1: 5 working days, queue 15 min, desk 20 min. S3: 2 hours, queue 10 min, desk 10 min.
April 2026 has no public holiday; 6 April 2026 is a Monday (ISO week 2026-W15).
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import example, given, settings, strategies as st

from monitor.calendar import WorkingCalendar
from monitor.compliance import Thresholds, judge
from monitor.compliance.indicators import week_end, week_label, week_number, week_of_label

from .visits import (
    TIMEZONE,
    analyze,
    case_row,
    catalog_with,
    findings,
    frames_of,
    local,
    make_visit,
    of_rule,
    parse,
)


@pytest.fixture
def catalog(tmp_path):
    return catalog_with(tmp_path / "catalog")


@pytest.fixture(scope="module")
def shared_catalog(tmp_path_factory):
    """The same catalog for every example of a property test."""
    return catalog_with(tmp_path_factory.mktemp("catalog"))


def details(table: pd.DataFrame, rule: str) -> list[str]:
    return list(of_rule(table, rule)["detail"])


def by_week(table: pd.DataFrame, scope: str | None = None) -> dict:
    if scope is None:
        return {row["week"]: row for _, row in table.iterrows()}
    return {(row["week"], row[scope]): row for _, row in table.iterrows()}


def is_empty(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or pd.isna(value)


# --- OVERDUE_OPEN: "neither completed nor withdrawn before" the as-of time -------------------

def accepted_monday() -> list[dict]:
    """S1 accepted Mon 6 April 10:05: due Mon 13 April 23:59:59 local (18:59:59 UTC)."""
    return [make_visit(action="submit", called_at="2026-04-06T10:00")]


@pytest.mark.parametrize("closing", ["issue", "refuse", "withdraw"])
def test_a_case_closed_at_exactly_the_as_of_time_was_still_open_at_it(catalog, closing):
    rows = accepted_monday() + [make_visit(action=closing, refusal_ground="R1",
                                           called_at="2026-04-20T09:55", finished_at="2026-04-20T10:00")]
    table = findings(rows, catalog, as_of="2026-04-20T10:00")
    # Not closed *before* the as-of time: 6 days 10 h 0 min 1 s past due = 154 h.
    assert details(table, "OVERDUE_OPEN") == ["open 154 h past the due time 2026-04-13 18:59:59 UTC"]


@pytest.mark.parametrize("closing", ["issue", "refuse", "withdraw"])
def test_a_case_closed_a_second_before_the_as_of_time_is_not_open(catalog, closing):
    rows = accepted_monday() + [make_visit(action=closing, refusal_ground="R1",
                                           called_at="2026-04-20T09:55", finished_at="2026-04-20T09:59:59")]
    table = findings(rows, catalog, as_of="2026-04-20T10:00")
    assert of_rule(table, "OVERDUE_OPEN").empty


def test_a_case_both_withdrawn_and_completed_is_closed_by_the_earlier(catalog):
    rows = accepted_monday() + [
        make_visit(action="withdraw", called_at="2026-04-22T09:55", finished_at="2026-04-22T10:00"),
        make_visit(action="issue", called_at="2026-04-29T09:55", finished_at="2026-04-29T10:00")]
    # Between the withdrawal and the issue: withdrawn before the as-of time, so not open.
    assert of_rule(findings(rows, catalog, as_of="2026-04-25T00:00"), "OVERDUE_OPEN").empty
    table = analyze(rows, catalog).indicators(TIMEZONE)
    assert list(table["week"]) == ["2026-W15", "2026-W16", "2026-W17", "2026-W18"]
    # due in W16; open at the end of W16 (Mon 20 April 00:00); withdrawn in W17.
    assert list(table["overdue_open"]) == [0, 1, 0, 0]
    assert list(table["cases_completed"]) == [0, 0, 0, 1]


def test_a_case_both_completed_and_withdrawn_is_closed_by_the_earlier(catalog):
    rows = accepted_monday() + [
        make_visit(action="issue", called_at="2026-04-22T09:55", finished_at="2026-04-22T10:00"),
        make_visit(action="withdraw", called_at="2026-04-29T09:55", finished_at="2026-04-29T10:00")]
    table = analyze(rows, catalog).indicators(TIMEZONE)
    assert list(table["overdue_open"]) == [0, 1, 0, 0]
    assert list(table["cases_completed"]) == [0, 0, 1, 0]


def test_weekly_overdue_counts_a_case_closed_exactly_at_the_week_s_end(catalog):
    # Withdrawn at Mon 20 April 00:00:00 local = the end of W16: not withdrawn before it.
    rows = accepted_monday() + [make_visit(action="withdraw", called_at="2026-04-19T23:55",
                                           finished_at="2026-04-20T00:00:00")]
    table = analyze(rows, catalog).indicators(TIMEZONE)
    assert list(table["overdue_open"]) == [0, 1]
    rows[-1] = make_visit(action="withdraw", called_at="2026-04-19T23:55", finished_at="2026-04-19T23:59:59")
    assert list(analyze(rows, catalog).indicators(TIMEZONE)["overdue_open"]) == [0, 0]


# --- case weeks are local weeks: Monday 00:00-05:00 local is Sunday in UTC ------------------

def test_cases_accepted_and_completed_early_on_monday_count_in_the_local_week(catalog):
    rows = [
        # accepted Mon 13 April 01:05 local (Sun 12 April 20:05 UTC): W16
        make_visit(action="submit", called_at="2026-04-13T01:00", finished_at="2026-04-13T01:05"),
        # issued Mon 20 April 04:55 local (Sun 19 April 23:55 UTC): W17
        make_visit(action="issue", called_at="2026-04-20T04:50", finished_at="2026-04-20T04:55"),
    ]
    table = by_week(analyze(rows, catalog).indicators(TIMEZONE))
    assert sorted(table) == ["2026-W16", "2026-W17"]
    assert (table["2026-W16"]["cases_accepted"], table["2026-W16"]["cases_completed"]) == (1, 0)
    assert (table["2026-W17"]["cases_accepted"], table["2026-W17"]["cases_completed"]) == (0, 1)
    # 7 days 3 h 50 min; due Mon 20 April 23:59:59 (14, 15, 16, 17, 20 April): on time.
    assert table["2026-W17"]["lead_time_p50_hours"] == pytest.approx(171 + 50 / 60, abs=1e-9)
    assert table["2026-W17"]["on_time_rate"] == 1.0
    assert table["2026-W17"]["visits_per_case"] == 2.0


def test_overdue_weeks_of_due_and_closing_times_early_on_monday_are_local(catalog):
    rows = [
        make_visit(action="consult", called_at="2026-04-10T10:00"),  # W15 has a row
        # S3 accepted Sun 12 April 23:05: due Mon 13 April 01:05 local (W16), Sun 20:05 UTC
        make_visit(case_id="H", service_code="S3", action="submit", called_at="2026-04-12T23:00"),
        # withdrawn Mon 20 April 03:05 local (W17), Sun 19 April 22:05 UTC
        make_visit(case_id="H", service_code="S3", action="withdraw", called_at="2026-04-20T03:00"),
    ]
    table = analyze(rows, catalog).indicators(TIMEZONE)
    assert list(table["week"]) == ["2026-W15", "2026-W16", "2026-W17"]
    assert list(table["overdue_open"]) == [0, 1, 0]
    assert list(table["cases_accepted"]) == [1, 0, 0]


# --- rates with an empty denominator --------------------------------------------------------

def test_a_week_with_red_tape_and_no_completed_case_has_an_empty_rate_not_infinity(catalog):
    rows = [make_visit(action="submit", called_at="2026-04-06T10:00"),
            make_visit(action="return", called_at="2026-04-06T11:00"),  # lists nothing: UNFOUNDED_RETURN
            make_visit(case_id="C2", action="submit", called_at="2026-04-07T10:00"),
            make_visit(case_id="C2", action="refuse", called_at="2026-04-07T11:00")]  # UNFOUNDED_REFUSAL
    analysis = analyze(rows, catalog)
    assert set(analysis.finding_table()["rule"]) >= {"UNFOUNDED_RETURN", "UNFOUNDED_REFUSAL"}
    # C2 is refused in W15 too; move the refusal to W16 so W15 has red tape and no completion.
    rows[-1] = make_visit(case_id="C2", action="refuse", called_at="2026-04-14T11:00")
    table = by_week(analyze(rows, catalog).indicators(TIMEZONE))
    w15, w16 = table["2026-W15"], table["2026-W16"]
    assert w15["cases_completed"] == 0
    for name in ("red_tape_per_100_cases", "on_time_rate", "refusal_rate", "unfounded_refusal_rate",
                 "visits_per_case", "lead_time_p50_hours", "lead_time_p90_hours"):
        assert is_empty(w15[name]), name
    # W16: one refusal, unfounded, its visit in W16: 1 red-tape finding per 1 completed case.
    assert w16["cases_completed"] == 1
    assert (w16["red_tape_per_100_cases"], w16["refusal_rate"], w16["unfounded_refusal_rate"]) \
        == (100.0, 1.0, 1.0)


def test_a_week_with_visits_but_no_ticket_has_empty_queue_indicators(catalog):
    rows = [make_visit(action="submit", called_at="2026-04-06T10:00"),
            make_visit(action="issue", called_at="2026-04-08T10:00")]
    row = analyze(rows, catalog).indicators(TIMEZONE).iloc[0]
    assert is_empty(row["queue_wait_p90_minutes"]) and is_empty(row["queue_wait_within_limit_rate"])
    assert row["extra_document_rate"] == 0.0 and row["on_time_rate"] == 1.0


def test_a_case_refused_then_issued_counts_as_issued(catalog):
    # "the issue or refuse visit": the last one completes the case.
    rows = [make_visit(action="submit", called_at="2026-04-06T10:00"),
            make_visit(action="refuse", refusal_ground="R1", called_at="2026-04-07T10:00"),
            make_visit(action="resubmit", called_at="2026-04-08T10:00"),
            make_visit(action="issue", called_at="2026-04-09T10:00")]
    analysis = analyze(rows, catalog)
    case = case_row(analysis, "C1")
    assert case["outcome"] == "issued"
    assert case["completed_at"] == local("2026-04-09T10:05")
    row = analysis.indicators(TIMEZONE).iloc[0]
    assert (row["cases_completed"], row["refusal_rate"], row["visits_per_case"]) == (1, 0.0, 4.0)
    assert is_empty(row["unfounded_refusal_rate"])


@pytest.mark.parametrize("action, outcome", [("issue", "issued"), ("refuse", "refused"),
                                             ("withdraw", "withdrawn"), ("forward", "open")])
def test_each_case_outcome(catalog, action, outcome):
    rows = [make_visit(action="submit", called_at="2026-04-06T10:00"),
            make_visit(action=action, refusal_ground="R1", called_at="2026-04-07T10:00")]
    assert case_row(analyze(rows, catalog), "C1")["outcome"] == outcome


@pytest.mark.parametrize("action, outcome", [("issue", "issued"), ("refuse", "refused"), ("withdraw", "withdrawn")])
def test_a_case_closed_by_the_very_first_visit_of_the_file(catalog, action, outcome):
    """The closing visit may be the first of all (ordered position 0): a case logged only from
    its issue, refusal or withdrawal still has that outcome."""
    rows = [make_visit(case_id="A", action=action, refusal_ground="R1", called_at="2026-04-06T10:00"),
            make_visit(case_id="B", action="submit", called_at="2026-04-06T09:00")]
    cases = analyze(rows, catalog).cases
    assert list(cases["outcome"]) == [outcome, "open"]
    closed = "withdrawn_at" if action == "withdraw" else "completed_at"
    assert cases.loc[0, closed] == pd.Timestamp("2026-04-06T10:05").tz_localize(TIMEZONE)


# --- week labels and ends -------------------------------------------------------------------

@pytest.mark.parametrize("label, monday", [
    ("2026-W15", "2026-04-06"), ("2026-W01", "2025-12-29"), ("2026-W53", "2026-12-28"),
    ("2027-W01", "2027-01-04"), ("1970-W01", "1969-12-29"), ("2020-W53", "2020-12-28"),
])
def test_week_of_label_and_week_end(label, monday):
    week = week_of_label(label)
    assert isinstance(week, int)
    assert week_label(week) == label
    day = (pd.Timestamp(monday) - pd.Timestamp("1970-01-01")).days
    assert week == week_number(day) == week_number(day + 6)
    assert week_number(day - 1) == week - 1
    end = week_end(week, TIMEZONE)
    assert end == pd.Timestamp(monday).tz_localize(TIMEZONE) + pd.Timedelta(days=7)
    assert str(end.tz) == "UTC"


def test_week_end_is_monday_midnight_local_in_utc():
    assert week_end(week_of_label("2026-W15"), TIMEZONE) == pd.Timestamp("2026-04-12T19:00:00Z")
    assert week_end(week_of_label("2026-W15"), "UTC") == pd.Timestamp("2026-04-13T00:00:00Z")


def test_the_weeks_option_limits_and_extends_the_table(catalog):
    rows = accepted_monday() + [make_visit(action="issue", called_at="2026-04-29T10:00")]
    analysis = analyze(rows, catalog)
    from monitor.compliance import weekly_indicators
    weeks = (week_of_label("2026-W16"), week_of_label("2026-W19"))
    table = weekly_indicators(analysis.visits, analysis.cases, analysis.findings, TIMEZONE, weeks=weeks)
    assert list(table["week"]) == ["2026-W16", "2026-W17", "2026-W18", "2026-W19"]
    # Overdue from W16 (due Mon 13 April) until the issue in W18; W15 is outside the range.
    assert list(table["overdue_open"]) == [1, 1, 0, 0]
    assert list(table["cases_accepted"]) == [0, 0, 0, 0]
    assert list(table["cases_completed"]) == [0, 0, 1, 0]


def test_a_week_range_starting_after_the_due_week_counts_the_case_overdue_from_its_first_week(catalog):
    """Overdue at the end of each week of the range: a case due (W16) before the range starts
    (W17) and issued in W18 is overdue at the end of W17 only."""
    from monitor.compliance import weekly_indicators
    from monitor.compliance.indicators import week_of_label
    rows = [make_visit(action="submit", called_at="2026-04-06T10:00"),   # due Mon 13 April (W16)
            make_visit(action="issue", called_at="2026-04-29T10:00")]    # W18
    analysis = analyze(rows, catalog)
    weeks = (week_of_label("2026-W17"), week_of_label("2026-W19"))
    table = weekly_indicators(analysis.visits, analysis.cases, analysis.findings, TIMEZONE, weeks=weeks)
    assert list(table["week"]) == ["2026-W17", "2026-W18", "2026-W19"]
    assert list(table["overdue_open"]) == [1, 0, 0]


def test_given_scope_values_are_the_rows_of_each_week(catalog):
    """``scope_values``: the scope's values seen in all the visits, when these visits are only
    some weeks' (the stored aggregation): each has a row, with zero counts if it had no visit."""
    from monitor.compliance import weekly_indicators
    rows = [make_visit(action="submit", called_at="2026-04-06T10:00", office_code="OF2")]
    analysis = analyze(rows, catalog)
    table = weekly_indicators(analysis.visits, analysis.cases, analysis.findings, TIMEZONE, scope="office",
                              scope_values=["OF2", "OF1"])
    assert list(zip(table["week"], table["office"], table["cases_accepted"])) == [
        ("2026-W15", "OF1", 0), ("2026-W15", "OF2", 1)]


# --- the accepting visit when the file order is not the called_at order ---------------------

def test_the_accepting_and_completing_rows_are_file_positions(catalog):
    rows = [make_visit(action="issue", called_at="2026-04-08T10:00", staff_id="SB", office_code="OF2"),
            make_visit(action="submit", called_at="2026-04-06T10:00", staff_id="SA", office_code="OF1"),
            make_visit(action="consult", called_at="2026-04-07T10:00", staff_id="SC", office_code="OF3")]
    analysis = analyze(rows, catalog)
    case = case_row(analysis, "C1")
    assert (case["accepting_row"], case["completing_row"]) == (1, 0)
    assert case["accepted_at"] == local("2026-04-06T10:05")
    staff = by_week(analysis.indicators(TIMEZONE, scope="staff"), "staff")
    assert staff["2026-W15", "SA"]["cases_accepted"] == 1
    assert staff["2026-W15", "SB"]["cases_accepted"] == 0
    assert staff["2026-W15", "SC"]["cases_accepted"] == 0
    assert staff["2026-W15", "SB"]["cases_completed"] == 1
    offices = by_week(analysis.indicators(TIMEZONE, scope="office"), "office")
    assert offices["2026-W15", "OF1"]["cases_accepted"] == 1
    assert offices["2026-W15", "OF2"]["cases_completed"] == 1


def reference_accepting(actions: list[str]) -> int | None:
    """The called_at position of the first submit/resubmit after the last return (spec)."""
    accepted = None
    for position, action in enumerate(actions):
        if action == "return":
            accepted = None
        elif action in ("submit", "resubmit") and accepted is None:
            accepted = position
    return accepted


@settings(max_examples=min(40, settings.default.max_examples), deadline=None)
@given(actions=st.lists(st.sampled_from(["submit", "return", "resubmit", "forward", "issue"]),
                        min_size=1, max_size=6),
       file_order=st.sampled_from(["called", "reversed", "rotated"]))
@example(actions=["submit"], file_order="reversed")
@example(actions=["submit", "issue"], file_order="reversed")
@example(actions=["submit", "return", "resubmit", "issue"], file_order="reversed")
@example(actions=["submit", "forward", "issue"], file_order="rotated")
@example(actions=["return", "submit", "issue"], file_order="rotated")
def test_the_accepting_row_is_the_file_position_of_the_accepting_visit(shared_catalog, actions, file_order):
    """The case is the file's first, so its first-called visit is ordered position 0 (the edge of
    ``positions >= 0``); another case comes last, so that a lost position (-1) would point at it."""
    at = pd.Timestamp("2026-04-06T09:00")
    visits = []
    for position, action in enumerate(actions):
        visits.append(make_visit(visit_id=f"V{position}", action=action, staff_id=f"S{position}",
                                 called_at=(at + pd.Timedelta(hours=3 * position)).isoformat()))
    if file_order == "reversed":
        visits = visits[::-1]
    elif file_order == "rotated":
        visits = visits[1:] + visits[:1]
    rows = visits + [make_visit(case_id="OTHER", visit_id="X", action="forward", called_at="2026-04-06T08:00")]
    analysis = analyze(rows, shared_catalog)
    case = case_row(analysis, "C1")
    accepted = reference_accepting(actions)
    file_ids = [row["visit_id"] for row in rows]
    if accepted is None:
        assert case["accepting_row"] == -1 and pd.isna(case["accepted_at"])
    else:
        assert case["accepting_row"] == file_ids.index(f"V{accepted}")
    last_completing = max((p for p, a in enumerate(actions) if a == "issue"), default=None)
    expected_completing = -1 if last_completing is None else file_ids.index(f"V{last_completing}")
    assert case["completing_row"] == expected_completing


# --- CLOCK_RESET and cases interleaved in one file ------------------------------------------

def test_submits_of_two_cases_are_no_clock_reset_whatever_the_file_order(catalog):
    rows = [make_visit(case_id="A", action="submit", called_at="2026-04-06T10:00"),
            make_visit(case_id="B", action="submit", called_at="2026-04-06T11:00"),
            make_visit(case_id="A", action="issue", called_at="2026-04-07T10:00"),
            make_visit(case_id="B", action="resubmit", called_at="2026-04-06T09:00")]
    table = findings(rows, catalog)
    # B: resubmit (09:00) then submit (11:00) with no return between: B's own reset only.
    assert list(of_rule(table, "CLOCK_RESET")["case_id"]) == ["B"]
    assert details(table, "CLOCK_RESET") == [
        "accepted on 2026-04-06, submitted again on 2026-04-06 (the deadline still counts from the acceptance)"]


def test_a_case_ending_on_a_return_does_not_accept_the_next_case_s_resubmit_twice(catalog):
    rows = [make_visit(case_id="A", action="submit", called_at="2026-04-06T10:00"),
            make_visit(case_id="A", action="return", called_at="2026-04-06T11:00",
                       documents_requested="APPLICATION"),
            make_visit(case_id="B", action="resubmit", called_at="2026-04-07T10:00"),
            make_visit(case_id="B", action="resubmit", called_at="2026-04-08T10:00")]
    analysis = analyze(rows, catalog)
    assert pd.isna(case_row(analysis, "A")["accepted_at"])
    assert case_row(analysis, "B")["accepted_at"] == local("2026-04-07T10:05")
    assert list(of_rule(analysis.finding_table(), "CLOCK_RESET")["case_id"]) == ["B"]


def test_clock_reset_dates_are_local_dates_of_the_acceptance_finish_and_the_reset_call(catalog):
    rows = [make_visit(action="submit", called_at="2026-04-06T23:58", finished_at="2026-04-07T00:03"),
            # 20:00 UTC on 9 April is 01:00 on 10 April local
            make_visit(action="submit", called_at="2026-04-09T20:00Z", finished_at="2026-04-09T20:05Z")]
    analysis = analyze(rows, catalog)
    assert details(analysis.finding_table(), "CLOCK_RESET") == [
        "accepted on 2026-04-07, submitted again on 2026-04-10 (the deadline still counts from the acceptance)"]
    case = case_row(analysis, "C1")
    assert (case["reset_row"], case["reset_accepting_row"]) == (1, 0)


def test_clock_reset_rows_point_at_the_first_reset_and_its_acceptance_in_the_file(catalog):
    rows = [make_visit(action="submit", called_at="2026-04-16T10:00"),       # second reset
            make_visit(action="resubmit", called_at="2026-04-08T10:00"),     # accepts
            make_visit(action="submit", called_at="2026-04-14T10:00"),       # first reset
            make_visit(action="return", called_at="2026-04-07T10:00", documents_requested="APPLICATION"),
            make_visit(action="submit", called_at="2026-04-06T10:00")]
    case = case_row(analyze(rows, catalog), "C1")
    assert (case["reset_row"], case["reset_accepting_row"], case["first_submit_row"]) == (2, 1, 4)
    assert case["accepted_at"] == local("2026-04-08T10:05")


def test_a_case_with_no_reset_has_no_reset_rows(catalog):
    rows = [make_visit(action="submit", called_at="2026-04-06T10:00"),
            make_visit(action="return", called_at="2026-04-07T10:00", documents_requested="APPLICATION"),
            make_visit(action="resubmit", called_at="2026-04-08T10:00")]
    case = case_row(analyze(rows, catalog), "C1")
    assert (case["reset_row"], case["reset_accepting_row"], case["first_submit_row"]) == (-1, -1, 0)


# --- finding details, word for word ---------------------------------------------------------

def test_document_details_list_the_tokens_in_the_order_asked_once_each(catalog):
    rows = [make_visit(documents_requested="PHOTO; APPLICATION;ID_CARD;PHOTO ;a letter from work"),
            make_visit(documents_requested="ADDRESS_CERT;BIRTH_MEDICAL_CERT;MARRIAGE_CERT;ADDRESS_CERT")]
    table = findings(rows, catalog)
    assert details(table, "EXTRA_DOCUMENT") == ["not required by the service: PHOTO; ID_CARD; a letter from work"]
    assert details(table, "STATE_SYSTEM_DOCUMENT") == [
        "obtained by the office from state systems: ADDRESS_CERT; BIRTH_MEDICAL_CERT"]
    assert list(of_rule(table, "EXTRA_DOCUMENT")["visit_id"]) == ["V1"]
    assert list(of_rule(table, "STATE_SYSTEM_DOCUMENT")["visit_id"]) == ["V2"]


def test_return_details(catalog):
    rows = [make_visit(action="return"),
            make_visit(action="return", documents_requested=" ; ;"),
            make_visit(action="return", documents_requested="PHOTO;APPLICATION;ADDRESS_CERT"),
            make_visit(action="return", documents_requested="APPLICATION"),
            make_visit(action="submit", documents_requested="PHOTO")]
    table = findings(rows, catalog)
    found = of_rule(table, "UNFOUNDED_RETURN")
    assert list(found["visit_id"]) == ["V1", "V2", "V3"]
    assert list(found["detail"]) == ["returned without listing any missing document",
                                     "returned without listing any missing document",
                                     "returned for documents that may not be demanded: PHOTO; ADDRESS_CERT"]


def test_refusal_details(catalog):
    rows = [make_visit(case_id="A", action="refuse"),
            make_visit(case_id="B", action="refuse", refusal_ground="R9"),
            make_visit(case_id="C", action="refuse", refusal_ground="R1"),
            make_visit(case_id="D", action="refuse", refusal_ground="R2"),
            make_visit(case_id="E", action="issue", refusal_ground="R9")]
    found = of_rule(findings(rows, catalog), "UNFOUNDED_REFUSAL")
    assert list(zip(found["case_id"], found["visit_id"], found["detail"])) == [
        ("A", "V1", "the refusal cites no ground"),
        ("B", "V2", "ground R9 is not a lawful refusal ground of the service")]


def test_a_lawful_ground_of_another_service_is_not_lawful(catalog, tmp_path):
    from .catalogs import service, version
    folder = catalog_with(tmp_path / "other",
                          service("S7", versions=[version(refusal_grounds=[
                              {"code": "R7", "text": {"kk": "x", "ru": "x", "en": "x"}}])]))
    rows = [make_visit(action="refuse", refusal_ground="R7"),
            make_visit(case_id="C2", service_code="S7", action="refuse", refusal_ground="R1")]
    found = of_rule(findings(rows, folder), "UNFOUNDED_REFUSAL")
    assert list(found["detail"]) == ["ground R7 is not a lawful refusal ground of the service",
                                     "ground R1 is not a lawful refusal ground of the service"]


@pytest.mark.parametrize("ticket_at, detail", [
    ("2026-04-06T09:40", "waited 20 min in the queue, limit 15 (5 min over)"),
    ("2026-04-06T09:44:59", "waited 15 min in the queue, limit 15 (0.02 min over)"),
    ("2026-04-06T09:42:42", "waited 17.3 min in the queue, limit 15 (2.3 min over)"),
    ("2026-04-06T09:43:57", "waited 16 min in the queue, limit 15 (1.1 min over)"),
    ("2026-04-06T09:44:00", "waited 16 min in the queue, limit 15 (1 min over)"),
    ("2026-04-06T09:44:33", "waited 15.4 min in the queue, limit 15 (0.45 min over)"),
    # 0.1 precision however long the wait (75 days; 729 days over a leap year): six significant
    # digits would write 108888 and 1.04976e+06
    ("2026-01-20T19:12:18", "waited 108887.7 min in the queue, limit 15 (108872.7 min over)"),
    ("2024-04-07T09:59:54", "waited 1049760.1 min in the queue, limit 15 (1049745.1 min over)"),
    ("2026-04-06T09:45", None),
])
def test_queue_details(catalog, ticket_at, detail):
    table = findings([make_visit(ticket_at=ticket_at)], catalog)
    assert details(table, "QUEUE_WAIT_EXCEEDED") == ([] if detail is None else [detail])


@pytest.mark.parametrize("finished_at, detail", [
    ("2026-04-06T10:25", "served 25 min at the desk, limit 20 (5 min over)"),
    ("2026-04-06T10:20:01", "served 20 min at the desk, limit 20 (0.02 min over)"),
    ("2026-04-06T11:52:30", "served 112.5 min at the desk, limit 20 (92.5 min over)"),
    ("2026-04-06T10:20", None),
])
def test_desk_details(catalog, finished_at, detail):
    table = findings([make_visit(finished_at=finished_at)], catalog)
    assert details(table, "SERVICE_TIME_EXCEEDED") == ([] if detail is None else [detail])


def test_limits_are_the_service_version_s_in_the_details(catalog):
    rows = [make_visit(service_code="S3", ticket_at="2026-04-06T09:45", finished_at="2026-04-06T10:12")]
    table = findings(rows, catalog)
    assert details(table, "QUEUE_WAIT_EXCEEDED") == ["waited 15 min in the queue, limit 10 (5 min over)"]
    assert details(table, "SERVICE_TIME_EXCEEDED") == ["served 12 min at the desk, limit 10 (2 min over)"]


@pytest.mark.parametrize("completed, detail", [
    ("2026-04-14T11:59:59", "completed 12 h after the due time 2026-04-13 18:59:59 UTC"),
    ("2026-04-14T00:29:59", "completed 0.5 h after the due time 2026-04-13 18:59:59 UTC"),
    ("2026-04-14T01:02:23", "completed 1 h after the due time 2026-04-13 18:59:59 UTC"),
    ("2026-04-14T00:57:35", "completed 0.96 h after the due time 2026-04-13 18:59:59 UTC"),
    ("2026-04-14T12:20:23", "completed 12.3 h after the due time 2026-04-13 18:59:59 UTC"),
    ("2026-04-14T00:00:00", "completed 0 h after the due time 2026-04-13 18:59:59 UTC"),
])
def test_deadline_missed_details(catalog, completed, detail):
    rows = accepted_monday() + [make_visit(action="issue", called_at="2026-04-13T23:00", finished_at=completed)]
    assert details(findings(rows, catalog), "DEADLINE_MISSED") == [detail]


@pytest.mark.parametrize("as_of, detail", [
    ("2026-04-15T00:00:00", "open 24 h past the due time 2026-04-13 18:59:59 UTC"),
    ("2026-04-14T00:30:00", "open 0.5 h past the due time 2026-04-13 18:59:59 UTC"),
    ("2026-04-14T00:00:05", "open 0 h past the due time 2026-04-13 18:59:59 UTC"),
    ("2026-04-14T00:00:41", "open 0.01 h past the due time 2026-04-13 18:59:59 UTC"),
])
def test_overdue_open_details(catalog, as_of, detail):
    assert details(findings(accepted_monday(), catalog, as_of=as_of), "OVERDUE_OPEN") == [detail]


def test_case_rule_details(catalog):
    rows = [make_visit(action="submit", called_at="2026-04-06T10:00"),
            make_visit(action="return", called_at="2026-04-06T11:00", documents_requested="APPLICATION"),
            make_visit(action="resubmit", called_at="2026-04-06T12:00"),
            make_visit(action="return", called_at="2026-04-06T13:00", documents_requested="APPLICATION"),
            make_visit(action="resubmit", called_at="2026-04-06T14:00"),
            make_visit(action="return", called_at="2026-04-06T15:00", documents_requested="APPLICATION"),
            make_visit(action="resubmit", called_at="2026-04-06T16:00"),
            make_visit(action="forward", called_at="2026-04-07T10:00"),
            make_visit(action="forward", called_at="2026-04-07T11:00"),
            make_visit(action="forward", called_at="2026-04-07T12:00")]
    table = findings(rows, catalog, as_of="2026-04-08T00:00")
    assert details(table, "REPEATED_RETURN") == ["3 returns of the package"]
    assert details(table, "EXCESS_HANDOFFS") == ["3 hand-offs, at most 1 allowed"]
    loose = findings(rows, catalog, as_of="2026-04-08T00:00", thresholds=Thresholds(max_handoffs=2))
    assert details(loose, "EXCESS_HANDOFFS") == ["3 hand-offs, at most 2 allowed"]
    assert of_rule(findings(rows, catalog, thresholds=Thresholds(max_handoffs=3)), "EXCESS_HANDOFFS").empty


def test_the_whole_findings_table_in_order(catalog):
    """Visit findings first (by visit, then the rules' order), then case findings (by case)."""
    rows = [make_visit(case_id="B", visit_id="B1", action="submit", called_at="2026-04-06T10:00",
                       ticket_at="2026-04-06T09:30", finished_at="2026-04-06T10:30",
                       documents_requested="PHOTO;ADDRESS_CERT"),
            make_visit(case_id="A", visit_id="A1", action="submit", called_at="2026-04-06T11:00"),
            make_visit(case_id="A", visit_id="A2", action="return", called_at="2026-04-06T12:00"),
            make_visit(case_id="A", visit_id="A3", action="return", called_at="2026-04-06T13:00"),
            make_visit(visit_id="K", action="consult", called_at="2026-04-06T14:00",
                       documents_requested="PHOTO"),
            make_visit(case_id="B", visit_id="B2", action="refuse", called_at="2026-04-20T10:00")]
    table = findings(rows, catalog, as_of="2026-05-01T00:00")
    assert [tuple(r) for r in table[["case_id", "visit_id", "rule", "detail"]].itertuples(index=False)] == [
        ("B", "B1", "EXTRA_DOCUMENT", "not required by the service: PHOTO"),
        ("B", "B1", "STATE_SYSTEM_DOCUMENT", "obtained by the office from state systems: ADDRESS_CERT"),
        ("B", "B1", "QUEUE_WAIT_EXCEEDED", "waited 30 min in the queue, limit 15 (15 min over)"),
        ("B", "B1", "SERVICE_TIME_EXCEEDED", "served 30 min at the desk, limit 20 (10 min over)"),
        ("A", "A2", "UNFOUNDED_RETURN", "returned without listing any missing document"),
        ("A", "A3", "UNFOUNDED_RETURN", "returned without listing any missing document"),
        ("", "K", "EXTRA_DOCUMENT", "not required by the service: PHOTO"),
        ("B", "B2", "UNFOUNDED_REFUSAL", "the refusal cites no ground"),
        # B accepted Mon 6 April 10:30, due Mon 13 April 23:59:59, refused Mon 20 April 10:05
        ("B", "", "DEADLINE_MISSED", "completed 154.1 h after the due time 2026-04-13 18:59:59 UTC"),
        ("A", "", "REPEATED_RETURN", "2 returns of the package"),
    ]
    assert list(table.columns) == ["case_id", "visit_id", "rule", "clause", "severity", "detail"]
    assert list(table["clause"]) == ["2.2.3", "2.2.3", "2.2.1, 2.2.5", "2.2.1, 2.2.5", "2.2.3", "2.2.3",
                                     "2.2.3", "2.2.3, 2.1.1", "2.2.3", "2.2.3"]
    assert list(table["severity"]) == ["high", "high", "low", "low", "medium", "medium", "high", "high",
                                       "medium", "medium"]


def test_a_file_without_findings_has_an_empty_table_with_the_columns(catalog):
    table = findings([make_visit(action="submit"), make_visit(action="issue", called_at="2026-04-07T10:00")],
                     catalog)
    assert table.empty
    assert list(table.columns) == ["case_id", "visit_id", "rule", "clause", "severity", "detail"]


# --- integrity rules: details and the boundaries not tested in test_integrity_rules ---------

APPLICANT = "P-100"


def consult(called_at: str, **overrides) -> dict:
    return make_visit(**{"action": "consult", "called_at": called_at, "applicant_ref": APPLICANT, **overrides})


def submit(called_at: str = "2026-04-30T10:00", **overrides) -> dict:
    return make_visit(**{"action": "submit", "called_at": called_at, "applicant_ref": APPLICANT, **overrides})


def test_informal_return_detail_counts_the_consults_in_the_window(catalog):
    rows = [consult("2026-03-20T10:00"),  # outside the 30 days
            consult("2026-04-01T10:00"), consult("2026-04-10T10:00"), consult("2026-04-20T10:00"), submit()]
    assert details(findings(rows, catalog), "INFORMAL_RETURN") == [
        "3 consults of the applicant for this service in the 30 days before the first submit"]
    wide = findings(rows, catalog, thresholds=Thresholds(informal_return_days=45))
    assert details(wide, "INFORMAL_RETURN") == [
        "4 consults of the applicant for this service in the 45 days before the first submit"]
    strict = findings(rows, catalog, thresholds=Thresholds(min_informal_consults=4))
    assert of_rule(strict, "INFORMAL_RETURN").empty
    assert len(of_rule(findings(rows, catalog, thresholds=Thresholds(min_informal_consults=3)),
                       "INFORMAL_RETURN")) == 1


def test_informal_return_keeps_applicants_apart_when_interleaved(catalog):
    rows = [consult("2026-04-10T10:00", applicant_ref="P-200"), consult("2026-04-11T10:00"),
            consult("2026-04-12T10:00", applicant_ref="P-200"), consult("2026-04-13T10:00", applicant_ref="P-300"),
            consult("2026-04-14T10:00"), consult("2026-04-15T10:00", applicant_ref="P-300"),
            submit(case_id="A"), submit(case_id="B", applicant_ref="P-200"),
            submit(case_id="C", applicant_ref="P-300", called_at="2026-04-14T10:00")]
    found = of_rule(findings(rows, catalog), "INFORMAL_RETURN")
    # A: 2 of P-100; B: 2 of P-200; C: 1 of P-300 before its submit on 14 April (15th is after).
    assert list(zip(found["case_id"], found["detail"].str[:10])) == [("A", "2 consults"), ("B", "2 consults")]


def test_consults_count_for_each_case_of_the_applicant_before_its_own_first_submit(catalog):
    rows = [consult("2026-04-10T10:00"), consult("2026-04-20T10:00"),
            submit(case_id="A", called_at="2026-04-30T10:00"),
            submit(case_id="B", called_at="2026-05-10T10:00"),   # window from 10 April 10:00
            submit(case_id="C", called_at="2026-05-10T10:00:01")]  # window from 10 April 10:00:01
    found = of_rule(findings(rows, catalog), "INFORMAL_RETURN")
    assert list(found["case_id"]) == ["A", "B"]


def test_a_case_without_a_submit_has_no_informal_return(catalog):
    rows = [consult("2026-04-10T10:00"), consult("2026-04-20T10:00"),
            make_visit(action="resubmit", called_at="2026-04-30T10:00", applicant_ref=APPLICANT)]
    analysis = analyze(rows, catalog)
    assert case_row(analysis, "C1")["first_submit_row"] == -1
    assert of_rule(analysis.finding_table(), "INFORMAL_RETURN").empty


def test_informal_return_counts_from_the_first_submit_not_a_later_one(catalog):
    rows = [consult("2026-04-10T10:00"), consult("2026-04-20T10:00"),
            submit(called_at="2026-04-15T10:00"), submit(called_at="2026-04-30T10:00")]
    assert of_rule(findings(rows, catalog), "INFORMAL_RETURN").empty
    rows = [submit(called_at="2026-05-25T10:00"), consult("2026-04-10T10:00"), consult("2026-04-20T10:00"),
            submit(called_at="2026-04-30T10:00")]
    analysis = analyze(rows, catalog)
    assert case_row(analysis, "C1")["first_submit_row"] == 3
    assert details(analysis.finding_table(), "INFORMAL_RETURN") == [
        "2 consults of the applicant for this service in the 30 days before the first submit"]


def withdrawn_case(case_id: str = "C1", **overrides) -> list[dict]:
    values = {"applicant_ref": APPLICANT, "case_id": case_id, **overrides}
    return [make_visit(action="submit", called_at="2026-04-06T10:00", **values),
            make_visit(action="withdraw", called_at="2026-04-07T10:00", finished_at="2026-04-07T10:05", **values)]


def new_case(called_at: str, case_id: str = "C2", **overrides) -> dict:
    return make_visit(action="submit", called_at=called_at, case_id=case_id,
                      **{"applicant_ref": APPLICANT, **overrides})


@pytest.mark.parametrize("called_at, days", [("2026-04-09T10:05", "2"), ("2026-04-07T22:05", "0.5"),
                                             ("2026-04-17T10:05", "10"), ("2026-04-07T10:06", "0"),
                                             ("2026-04-08T10:53", "1"), ("2026-04-13T12:29", "6.1")])
def test_reopened_detail_names_the_case_and_the_days(catalog, called_at, days):
    rows = withdrawn_case() + [new_case(called_at)]
    assert details(findings(rows, catalog), "REOPENED_AFTER_WITHDRAWAL") == [
        f"new case C2 of the applicant for this service began {days} days after the withdrawal"]


def test_a_withdrawn_case_alone_or_followed_by_nothing_of_its_own_is_not_reopened(catalog):
    assert of_rule(findings(withdrawn_case(), catalog), "REOPENED_AFTER_WITHDRAWAL").empty
    # another applicant's case right after, sorting after this applicant's: not a reopening
    rows = withdrawn_case() + [new_case("2026-04-08T10:00", applicant_ref="P-999")]
    assert of_rule(findings(rows, catalog), "REOPENED_AFTER_WITHDRAWAL").empty
    rows = [new_case("2026-04-08T10:00", applicant_ref="P-000")] + withdrawn_case()
    assert of_rule(findings(rows, catalog), "REOPENED_AFTER_WITHDRAWAL").empty


def test_reopened_skips_earlier_cases_and_other_services(catalog):
    rows = ([new_case("2026-03-30T10:00", case_id="C0")] + withdrawn_case()
            + [new_case("2026-04-08T10:00", case_id="C2", service_code="S3"),
               new_case("2026-04-10T10:00", case_id="C3"), new_case("2026-04-09T10:00", case_id="C4",
                                                                      applicant_ref="P-999")])
    found = of_rule(findings(rows, catalog), "REOPENED_AFTER_WITHDRAWAL")
    assert list(found["case_id"]) == ["C1"]
    assert list(found["detail"]) == [
        "new case C3 of the applicant for this service began 3 days after the withdrawal"]


def test_two_withdrawn_cases_each_find_their_own_reopening(catalog):
    rows = (withdrawn_case("W1") + [new_case("2026-04-10T10:00", case_id="N1")]
            + withdrawn_case("W2", applicant_ref="P-200", service_code="S3")
            + [new_case("2026-04-08T10:05", case_id="N2", applicant_ref="P-200", service_code="S3")])
    found = of_rule(findings(rows, catalog), "REOPENED_AFTER_WITHDRAWAL")
    assert list(zip(found["case_id"], found["detail"])) == [
        ("W1", "new case N1 of the applicant for this service began 3 days after the withdrawal"),
        ("W2", "new case N2 of the applicant for this service began 1 days after the withdrawal")]


def test_the_reopening_counts_from_the_last_withdrawal_finish(catalog):
    rows = withdrawn_case() + [make_visit(action="withdraw", called_at="2026-04-10T10:00",
                                          finished_at="2026-04-10T10:05", applicant_ref=APPLICANT),
                               new_case("2026-04-09T10:00", case_id="EARLY"),
                               new_case("2026-04-11T10:05", case_id="LATE")]
    assert details(findings(rows, catalog), "REOPENED_AFTER_WITHDRAWAL") == [
        "new case LATE of the applicant for this service began 1 days after the withdrawal"]


# --- complaints and custom scopes -----------------------------------------------------------

def complaints_frame(rows: list[tuple[str, str]]) -> pd.DataFrame:
    return pd.DataFrame({"received_at": pd.to_datetime([t for t, _ in rows], utc=True),
                         "office_code": [office for _, office in rows]})


def test_complaints_count_in_the_local_week_they_were_received(catalog):
    rows = accepted_monday() + [make_visit(action="issue", called_at="2026-04-21T10:00", office_code="OF2")]
    analysis = analyze(rows, catalog)
    complaints = complaints_frame([("2026-04-06T10:00+05:00", "OF1"),
                                   ("2026-04-12T20:00Z", "OF1"),       # Mon 13 April 01:00 local: W16
                                   ("2026-04-12T18:00Z", "OF2"),       # Sun 12 April 23:00 local: W15
                                   ("2026-04-22T10:00+05:00", "OF2"),
                                   ("2026-05-20T10:00+05:00", "OF1")])  # after the last week: no row
    network = analysis.indicators(TIMEZONE, complaints=complaints)
    assert list(network["week"]) == ["2026-W15", "2026-W16", "2026-W17"]
    assert list(network["complaints"]) == [2, 1, 1]
    assert network["complaints"].dtype == "int64"
    offices = by_week(analysis.indicators(TIMEZONE, scope="office", complaints=complaints), "office")
    assert [offices[w, "OF1"]["complaints"] for w in ("2026-W15", "2026-W16", "2026-W17")] == [1, 1, 0]
    assert [offices[w, "OF2"]["complaints"] for w in ("2026-W15", "2026-W16", "2026-W17")] == [1, 0, 1]


def test_a_scope_may_be_any_column_and_rows_without_a_value_count_nowhere(catalog):
    rows = [make_visit(case_id="A", action="submit", called_at="2026-04-06T10:00", office_code="OF1"),
            make_visit(case_id="A", action="issue", called_at="2026-04-07T10:00", office_code="OF1"),
            make_visit(case_id="B", action="submit", called_at="2026-04-06T11:00", office_code="OF2"),
            make_visit(case_id="B", action="issue", called_at="2026-04-08T11:00", office_code="OF2"),
            make_visit(case_id="C", action="submit", called_at="2026-04-06T12:00", office_code="OF3")]
    analysis = analyze(rows, catalog)
    visits = analysis.visits.assign(area=analysis.visits["office_code"].map({"OF1": "north", "OF2": "north"}))
    from monitor.compliance import weekly_indicators
    table = weekly_indicators(visits, analysis.cases, analysis.findings, TIMEZONE, "area")
    assert list(table.columns[:2]) == ["week", "area"]
    assert list(table["area"]) == ["north"]
    row = table.iloc[0]
    assert (row["cases_accepted"], row["cases_completed"], row["visits_per_case"]) == (2, 2, 2.0)
    assert row["lead_time_p50_hours"] == pytest.approx((24 + 48) / 2)


# --- judge takes any visits frame; the cases table's types ---------------------------------

def test_judge_takes_a_frame_with_any_index_and_numbers_it_by_position(catalog):
    """The stores pass a filtered frame (its index has gaps): the analysis' visits are the same
    columns, numbered 0..n-1, and the findings are numbered by position too."""
    rows = [make_visit(action="consult", called_at="2026-04-06T09:00"),
            make_visit(action="return", called_at="2026-04-06T10:00"),
            make_visit(action="return", called_at="2026-04-06T11:00")]
    visits = parse(rows, catalog).visits.iloc[[1, 2]]
    assert list(visits.index) == [1, 2]
    analysis = judge(visits, frames_of(catalog), WorkingCalendar(timezone=TIMEZONE), pd.Timestamp("2026-04-07"))
    assert list(analysis.visits.columns) == list(visits.columns)
    assert list(analysis.visits.index) == [0, 1]
    assert list(analysis.visits["visit_id"]) == ["V2", "V3"]
    assert list(analysis.findings.index) == list(range(len(analysis.findings)))
    assert list(analysis.findings.columns) == ["rule", "clause", "severity", "detail", "params", "row", "case_row"]
    table = analysis.finding_table()
    assert list(zip(table["visit_id"], table["rule"])) == [
        ("V2", "UNFOUNDED_RETURN"), ("V3", "UNFOUNDED_RETURN"), ("", "REPEATED_RETURN")]


@pytest.mark.parametrize("missing", [None, np.nan])
def test_missing_documents_and_grounds_are_empty_ones(catalog, missing):
    """A missing documents_requested or refusal_ground (as a caller's frame may hold) is an
    empty one: no document asked, no ground cited."""
    rows = [make_visit(action="submit", called_at="2026-04-06T10:00"),
            make_visit(action="return", called_at="2026-04-06T11:00"),
            make_visit(case_id="C2", action="submit", called_at="2026-04-06T12:00", documents_requested="PHOTO"),
            make_visit(case_id="C3", action="refuse", called_at="2026-04-06T13:00")]
    visits = parse(rows, catalog).visits
    for column in ("documents_requested", "refusal_ground"):
        visits[column] = visits[column].astype(object)
        visits.loc[[0, 1, 3], column] = missing
    table = judge(visits, frames_of(catalog), WorkingCalendar(timezone=TIMEZONE),
                  pd.Timestamp("2026-04-07T00:00")).finding_table()
    assert list(zip(table["visit_id"], table["rule"], table["detail"])) == [
        ("V2", "UNFOUNDED_RETURN", "returned without listing any missing document"),
        ("V3", "EXTRA_DOCUMENT", "not required by the service: PHOTO"),
        ("V4", "UNFOUNDED_REFUSAL", "the refusal cites no ground"),
    ]


def column_kinds(frame: pd.DataFrame) -> dict[str, str]:
    def kind(dtype) -> str:
        if str(dtype) == "datetime64[ns, UTC]":
            return "moment"
        if str(dtype) == "int64":
            return "int64"
        return "text" if pd.api.types.is_string_dtype(dtype) or dtype is np.dtype(object) else str(dtype)
    return {column: kind(dtype) for column, dtype in frame.dtypes.items()}


def test_the_cases_table_has_the_same_column_types_with_or_without_cases(catalog):
    """A file of consultations only has no case: its cases table still has every column, with
    the types of a table with cases (moments in UTC, counts and rows as integers)."""
    with_cases = analyze([make_visit(action="submit"),
                          make_visit(action="withdraw", called_at="2026-04-07T10:00")], catalog).cases
    without = analyze([make_visit(action="consult")], catalog).cases
    assert without.empty
    kinds = column_kinds(with_cases)
    assert column_kinds(without) == kinds
    assert kinds == {
        "case_id": "text", "service_code": "text", "office_code": "text", "first_visit_at": "moment",
        "accepted_at": "moment", "due_at": "moment", "completed_at": "moment", "withdrawn_at": "moment",
        "outcome": "text", "version": "int64", "visit_count": "int64", "return_count": "int64",
        "forward_count": "int64", "accepting_row": "int64", "completing_row": "int64", "applicant_ref": "text",
        "first_submit_row": "int64", "reset_row": "int64", "reset_accepting_row": "int64"}


@pytest.mark.parametrize("missing", [None, np.nan, "no column"])
def test_missing_applicant_refs_are_no_applicant(catalog, missing):
    """A caller's frame may lack applicant refs (a missing value, or no column at all): such
    visits have no applicant, so no integrity rule links them; the other rules still judge."""
    rows = [make_visit(action="consult", called_at="2026-04-01T10:00"),
            make_visit(action="consult", called_at="2026-04-02T10:00"),
            make_visit(case_id="A", action="submit", called_at="2026-04-06T10:00"),
            make_visit(case_id="A", action="withdraw", called_at="2026-04-07T10:00"),
            make_visit(case_id="B", action="submit", called_at="2026-04-08T10:00"),
            make_visit(case_id="B", action="return", called_at="2026-04-08T11:00")]
    visits = parse(rows, catalog).visits
    if missing == "no column":
        visits = visits.drop(columns="applicant_ref")
    else:
        visits["applicant_ref"] = pd.Series([missing] * len(visits), dtype=object)
    analysis = judge(visits, frames_of(catalog), WorkingCalendar(timezone=TIMEZONE), pd.Timestamp("2026-04-09"))
    table = analysis.finding_table()
    assert list(zip(table["case_id"], table["rule"])) == [("B", "UNFOUNDED_RETURN")]
    assert list(analysis.cases["applicant_ref"]) == ["", ""]
    # The same visits with the refs given are linked: two consults before each case's submit,
    # B opened a day after A's withdrawal.
    with_refs = parse([{**row, "applicant_ref": "P-1"} for row in rows], catalog).visits
    table = judge(with_refs, frames_of(catalog), WorkingCalendar(timezone=TIMEZONE),
                  pd.Timestamp("2026-04-09")).finding_table()
    assert sorted(zip(table["case_id"], table["rule"])) == [
        ("A", "INFORMAL_RETURN"), ("A", "REOPENED_AFTER_WITHDRAWAL"), ("B", "INFORMAL_RETURN"),
        ("B", "UNFOUNDED_RETURN")]


def test_a_case_without_a_ref_has_no_applicant_even_when_others_have(catalog):
    """A case none of whose visits has a ref has no applicant (''), whatever the refs of the
    cases after it: its withdrawal is not linked to the next case of someone else."""
    rows = [make_visit(case_id="A", action="submit", called_at="2026-04-06T10:00"),
            make_visit(case_id="A", action="withdraw", called_at="2026-04-07T10:00"),
            make_visit(case_id="B", action="submit", called_at="2026-04-08T10:00", applicant_ref="P-1"),
            make_visit(case_id="B", action="issue", called_at="2026-04-09T10:00", applicant_ref="P-1")]
    analysis = analyze(rows, catalog)
    assert list(analysis.cases["applicant_ref"]) == ["", "P-1"]
    assert of_rule(analysis.finding_table(), "REOPENED_AFTER_WITHDRAWAL").empty


def test_a_case_s_version_is_the_one_in_force_on_its_acceptance_date(catalog):
    """S2 changes version on 1 April 2026; a case never accepted has no version (-1, as
    ``version_in_force`` marks none) and no deadline."""
    rows = [make_visit(case_id="OLD", service_code="S2", action="submit", called_at="2026-03-31T10:00"),
            make_visit(case_id="NEW", service_code="S2", action="submit", called_at="2026-04-01T10:00"),
            make_visit(case_id="NONE", service_code="S2", action="forward", called_at="2026-04-01T11:00")]
    analysis = analyze(rows, catalog)
    frames = frames_of(catalog).versions
    s2 = list(frames.loc[frames["service_code"] == "S2", "version"])
    assert list(analysis.cases["version"]) == [s2[0], s2[1], -1]
    assert analysis.cases["version"].dtype == "int64"
    assert pd.isna(analysis.cases.loc[2, "due_at"])


def test_informal_return_when_the_submit_is_the_file_s_first_row(catalog):
    rows = [make_visit(action="submit", called_at="2026-04-30T10:00", applicant_ref="P-1"),
            make_visit(action="consult", called_at="2026-04-10T10:00", applicant_ref="P-1"),
            make_visit(action="consult", called_at="2026-04-20T10:00", applicant_ref="P-1")]
    analysis = analyze(rows, catalog)
    assert analysis.cases.loc[0, "first_submit_row"] == 0
    assert list(of_rule(analysis.finding_table(), "INFORMAL_RETURN")["detail"]) == [
        "2 consults of the applicant for this service in the 30 days before the first submit"]


def test_the_integrity_windows_are_exact_to_the_nanosecond(catalog):
    """The import keeps nanoseconds: a consult 1 ns before "submit - 30 days" is outside the
    window, one at exactly that moment inside; a new case 1 ns later than 10 x 24 h after the
    withdrawal is not a reopening, one at exactly 10 x 24 h is."""
    rows = [make_visit(action="consult", called_at="2026-03-31T09:59:59.999999999", applicant_ref="P-1"),
            make_visit(action="consult", called_at="2026-03-31T10:00:00", applicant_ref="P-1"),
            make_visit(action="consult", called_at="2026-04-15T10:00:00", applicant_ref="P-1"),
            make_visit(action="submit", called_at="2026-04-30T10:00", applicant_ref="P-1")]
    assert list(of_rule(findings(rows, catalog), "INFORMAL_RETURN")["detail"]) == [
        "2 consults of the applicant for this service in the 30 days before the first submit"]
    withdrawn = [make_visit(action="submit", called_at="2026-04-06T10:00", applicant_ref="P-2"),
                 make_visit(action="withdraw", called_at="2026-04-07T10:00", finished_at="2026-04-07T10:05",
                            applicant_ref="P-2")]
    late = withdrawn + [make_visit(case_id="C2", action="submit", called_at="2026-04-17T10:05:00.000000001",
                                   applicant_ref="P-2")]
    assert of_rule(findings(late, catalog), "REOPENED_AFTER_WITHDRAWAL").empty
    on_time = withdrawn + [make_visit(case_id="C2", action="submit", called_at="2026-04-17T10:05:00",
                                      applicant_ref="P-2")]
    assert len(of_rule(findings(on_time, catalog), "REOPENED_AFTER_WITHDRAWAL")) == 1


@pytest.mark.parametrize("text", ["nan", "None", "XXXX"])
def test_placeholder_looking_texts_are_ordinary_values(catalog, text):
    """Spreadsheets write placeholders such as "nan", "None" or "XXXX" into cells: as a ref
    such a text is an opaque applicant id like any other, and a missing ref is still no
    applicant (its consults count for no one); as a refusal ground it is a ground the catalog
    does not know."""
    rows = [make_visit(action="consult", called_at=f"2026-04-{day}T10:00", applicant_ref=text) for day in (10, 12)]
    rows += [make_visit(action="consult", called_at=f"2026-04-{day}T10:00") for day in (14, 16)]
    rows += [make_visit(action="submit", called_at="2026-04-30T10:00", applicant_ref=text),
             make_visit(case_id="C2", action="refuse", refusal_ground=text, called_at="2026-04-30T11:00"),
             make_visit(case_id="W", service_code="S3", action="withdraw", called_at="2026-04-20T10:00",
                        applicant_ref=text),
             make_visit(case_id="N", service_code="S3", action="submit", called_at="2026-04-21T10:05",
                        applicant_ref=text)]
    visits = parse(rows, catalog).visits
    visits["applicant_ref"] = visits["applicant_ref"].astype(object)
    visits.loc[[2, 3], "applicant_ref"] = np.nan
    table = judge(visits, frames_of(catalog), WorkingCalendar(timezone=TIMEZONE),
                  pd.Timestamp("2026-05-01T00:00")).finding_table()
    assert list(of_rule(table, "INFORMAL_RETURN")["detail"]) == [
        "2 consults of the applicant for this service in the 30 days before the first submit"]
    assert list(of_rule(table, "UNFOUNDED_REFUSAL")["detail"]) == [
        f"ground {text} is not a lawful refusal ground of the service"]
    assert list(of_rule(table, "REOPENED_AFTER_WITHDRAWAL")["detail"]) == [
        "new case N of the applicant for this service began 1 days after the withdrawal"]
