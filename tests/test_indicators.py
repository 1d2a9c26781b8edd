"""Weekly indicators (visit-log-and-rules.md, "Weekly indicators" and "Precise readings").

One small hand-made network over three ISO weeks of April 2026 (no public holidays in it):
W15 = Mon 6 .. Sun 12 April, W16 = 13 .. 19 April (no visits at all), W17 = 20 .. 26 April.
Every expected number below is worked out by hand in the comments.
"""
from __future__ import annotations

import math

import pandas as pd
import pytest

from monitor.compliance import INDICATORS

from .visits import TIMEZONE, analyze, catalog_with, make_visit

COUNTS = ("cases_accepted", "cases_completed", "overdue_open")


@pytest.fixture
def catalog(tmp_path):
    return catalog_with(tmp_path / "catalog")


def v(visit_id, case_id, action, called, staff, minutes=5, **extra):
    """A visit of ``minutes`` at the desk, called at ``called`` (local)."""
    finished = (pd.Timestamp(called) + pd.Timedelta(minutes=minutes)).isoformat()
    return make_visit(visit_id=visit_id, case_id=case_id, action=action, called_at=called,
                      finished_at=finished, staff_id=staff, **extra)


def network_rows() -> list[dict]:
    # S1: 5 working days, queue 15 min, desk 20 min.  S3: 2 hours, queue 10, desk 10.
    return [
        # Case A (S1): returned once for a lawful document, resubmitted, accepted by SA at
        # Tue 7 Apr 09:05, issued by SB Wed 8 Apr 10:05: lead 25 h; due Tue 14 Apr: on time.
        v("A1", "A", "submit", "2026-04-06T10:00", "SA", ticket_at="2026-04-06T09:50"),  # wait 10
        v("A2", "A", "return", "2026-04-06T11:00", "SA", documents_requested="MARRIAGE_CERT"),
        v("A3", "A", "resubmit", "2026-04-07T09:00", "SA"),
        v("A4", "A", "issue", "2026-04-08T10:00", "SB"),
        # Case B (S1): PHOTO demanded (EXTRA_DOCUMENT), waited 20 min (QUEUE_WAIT_EXCEEDED),
        # accepted Tue 7 Apr 10:05, refused on an unknown ground Fri 10 Apr 10:05: lead 72 h,
        # due Tue 14 Apr: on time; UNFOUNDED_REFUSAL.
        v("B1", "B", "submit", "2026-04-07T10:00", "SA", ticket_at="2026-04-07T09:40",
          documents_requested="PHOTO"),
        v("B2", "B", "refuse", "2026-04-10T10:00", "SA", refusal_ground="R9"),
        # Case C (S1): accepted by SB Wed 8 Apr, due Wed 15 Apr 23:59:59 (W16), withdrawn
        # by SA Wed 22 Apr (W17): overdue open at the end of W16 only.
        v("C1", "C", "submit", "2026-04-08T10:00", "SB"),
        v("C2", "C", "withdraw", "2026-04-22T10:00", "SA"),
        # Case D (S3): accepted Fri 10 Apr 10:05, due 12:05, issued 13:05: lead 3 h, late.
        v("D1", "D", "submit", "2026-04-10T10:00", "SA", service_code="S3"),
        v("D2", "D", "issue", "2026-04-10T13:00", "SA", service_code="S3"),
        # A consult asking for an obtained document (STATE_SYSTEM_DOCUMENT), waited 5 min.
        v("K1", "", "consult", "2026-04-09T09:05", "SB", ticket_at="2026-04-09T09:00",
          documents_requested="ADDRESS_CERT"),
        # Case E (S1): waited exactly 15 min (within the limit), accepted Mon 20 Apr 10:05,
        # issued Fri 24 Apr 10:05: lead 96 h, due Mon 27 Apr: on time.
        v("E1", "E", "submit", "2026-04-20T10:00", "SB", ticket_at="2026-04-20T09:45"),
        v("E2", "E", "issue", "2026-04-24T10:00", "SB"),
        # Case F (S3): accepted Sun 26 Apr 22:00, due Mon 27 Apr 00:00 = the end of W17:
        # not overdue at the end of W17 (as_of > due_at is strict).
        v("F1", "F", "submit", "2026-04-26T21:55", "SA", service_code="S3"),
        # Case G (S3): accepted Sun 26 Apr 21:00, due 23:00: overdue at the end of W17.
        v("G1", "G", "submit", "2026-04-26T20:55", "SA", service_code="S3"),
    ]


def check(row: pd.Series, expected: dict) -> None:
    """None expects an empty value (NaN); floats are compared to 1e-9."""
    for name, value in expected.items():
        actual = row[name]
        if value is None:
            assert pd.isna(actual), f"{row['week']} {name}: expected empty, got {actual}"
        else:
            assert not pd.isna(actual), f"{row['week']} {name}: expected {value}, got empty"
            assert actual == pytest.approx(value, abs=1e-9), f"{row['week']} {name}"


def by_week(table: pd.DataFrame, scope: str | None = None) -> dict:
    if scope is None:
        return {row["week"]: row for _, row in table.iterrows()}
    return {(row["week"], row[scope]): row for _, row in table.iterrows()}


EMPTY_RATES = {"on_time_rate": None, "lead_time_p50_hours": None, "lead_time_p90_hours": None,
                   "red_tape_per_100_cases": None, "refusal_rate": None, "unfounded_refusal_rate": None,
                   "visits_per_case": None, "complaints": None}


def test_network_table_has_the_spec_columns_and_one_row_per_week(catalog):
    table = analyze(network_rows(), catalog).indicators(TIMEZONE)
    assert list(table.columns) == ["week"] + INDICATORS
    assert list(table["week"]) == ["2026-W15", "2026-W16", "2026-W17"]
    for name in COUNTS:
        assert pd.api.types.is_integer_dtype(table[name]), name
    assert table["complaints"].isna().all()  # stateless analysis has no complaints


def test_network_week_15(catalog):
    row = by_week(analyze(network_rows(), catalog).indicators(TIMEZONE))["2026-W15"]
    check(row, {
        "cases_accepted": 4,                   # A, B, C, D
        "cases_completed": 3,                  # A, B, D
        "on_time_rate": 2 / 3,                 # D was late
        "overdue_open": 0,
        "lead_time_p50_hours": 25.0,           # of [3, 25, 72]
        "lead_time_p90_hours": 25 + 0.8 * 47,  # position 1.8 of [3, 25, 72]
        "extra_document_rate": 2 / 10,         # B1 and K1 of 10 visits
        "queue_wait_p90_minutes": 18.0,        # position 1.8 of [5, 10, 20]
        "queue_wait_within_limit_rate": 2 / 3,
        "red_tape_per_100_cases": 100 * 2 / 3,  # UNFOUNDED_REFUSAL (B2) + DEADLINE_MISSED (D)
        "refusal_rate": 1 / 3,
        "unfounded_refusal_rate": 1.0,
        "visits_per_case": 8 / 3,              # A 4, B 2, D 2
        "complaints": None,
    })


def test_a_week_without_visits_still_has_a_row(catalog):
    row = by_week(analyze(network_rows(), catalog).indicators(TIMEZONE))["2026-W16"]
    check(row, dict(cases_accepted=0, cases_completed=0,
                    overdue_open=1,  # C: due Wed 15 Apr, open until 22 Apr
                    extra_document_rate=None, queue_wait_p90_minutes=None,
                    queue_wait_within_limit_rate=None, **EMPTY_RATES))


def test_network_week_17(catalog):
    row = by_week(analyze(network_rows(), catalog).indicators(TIMEZONE))["2026-W17"]
    check(row, {
        "cases_accepted": 3,            # E, F, G
        "cases_completed": 1,           # E
        "on_time_rate": 1.0,
        "overdue_open": 1,              # G; C was withdrawn, F is due exactly at the week's end
        "lead_time_p50_hours": 96.0,
        "lead_time_p90_hours": 96.0,
        "extra_document_rate": 0.0,     # 5 visits, none asked badly: a rate of 0, not empty
        "queue_wait_p90_minutes": 15.0,
        "queue_wait_within_limit_rate": 1.0,
        "red_tape_per_100_cases": 0.0,
        "refusal_rate": 0.0,
        "unfounded_refusal_rate": None,  # no refusals: empty denominator
        "visits_per_case": 2.0,
        "complaints": None,
    })


def test_staff_scope_uses_the_accepting_and_the_completing_visit(catalog):
    table = analyze(network_rows(), catalog).indicators(TIMEZONE, scope="staff")
    assert list(table.columns) == ["week", "staff"] + INDICATORS
    rows = by_week(table, "staff")
    assert sorted(rows) == [(week, staff) for week in ("2026-W15", "2026-W16", "2026-W17")
                            for staff in ("SA", "SB")]
    # Case A was accepted by SA (A3) and completed by SB (A4).
    check(rows["2026-W15", "SA"], {
        "cases_accepted": 3,                    # A (A3), B (B1), D (D1)
        "cases_completed": 2,                   # B (B2), D (D2)
        "on_time_rate": 0.5,
        "overdue_open": 0,
        "lead_time_p50_hours": 37.5,            # of [3, 72]
        "lead_time_p90_hours": 3 + 0.9 * 69,
        "extra_document_rate": 1 / 7,           # B1 of A1, A2, A3, B1, B2, D1, D2
        "queue_wait_p90_minutes": 19.0,         # of [10, 20]
        "queue_wait_within_limit_rate": 0.5,
        "red_tape_per_100_cases": 100.0,        # B2 + D, over 2 cases
        "refusal_rate": 0.5,
        "unfounded_refusal_rate": 1.0,
        "visits_per_case": 2.0,
    })
    check(rows["2026-W15", "SB"], {
        "cases_accepted": 1,                    # C
        "cases_completed": 1,                   # A
        "on_time_rate": 1.0,
        "overdue_open": 0,
        "lead_time_p50_hours": 25.0,
        "lead_time_p90_hours": 25.0,
        "extra_document_rate": 1 / 3,           # K1 of A4, C1, K1
        "queue_wait_p90_minutes": 5.0,
        "queue_wait_within_limit_rate": 1.0,
        "red_tape_per_100_cases": 0.0,
        "refusal_rate": 0.0,
        "unfounded_refusal_rate": None,
        "visits_per_case": 4.0,                 # all visits of case A, whoever served them
    })
    # C was accepted by SB: its overdue week counts for SB, although SA withdrew it.
    check(rows["2026-W16", "SA"], {"cases_accepted": 0, "cases_completed": 0, "overdue_open": 0})
    check(rows["2026-W16", "SB"], {"cases_accepted": 0, "cases_completed": 0, "overdue_open": 1})
    check(rows["2026-W17", "SA"], {"cases_accepted": 2, "cases_completed": 0, "overdue_open": 1,
                                       "extra_document_rate": 0.0, "queue_wait_p90_minutes": None,
                                       "queue_wait_within_limit_rate": None, "on_time_rate": None})
    check(rows["2026-W17", "SB"], {"cases_accepted": 1, "cases_completed": 1, "overdue_open": 0,
                                       "on_time_rate": 1.0, "lead_time_p50_hours": 96.0,
                                       "queue_wait_p90_minutes": 15.0, "visits_per_case": 2.0})


def test_scoped_counts_add_up_to_the_network(catalog):
    analysis = analyze(network_rows(), catalog)
    network = analysis.indicators(TIMEZONE).set_index("week")
    for scope in ("office", "service", "staff"):
        scoped = analysis.indicators(TIMEZONE, scope=scope).groupby("week")[list(COUNTS)].sum()
        pd.testing.assert_frame_equal(scoped, network[list(COUNTS)], check_names=False)


def test_service_scope(catalog):
    rows = by_week(analyze(network_rows(), catalog).indicators(TIMEZONE, scope="service"),
                   "service")
    assert sorted({service for _, service in rows}) == ["S1", "S3"]
    check(rows["2026-W15", "S3"], {"cases_accepted": 1, "cases_completed": 1, "on_time_rate": 0.0,
                                       "lead_time_p50_hours": 3.0, "red_tape_per_100_cases": 100.0})
    check(rows["2026-W15", "S1"], {"cases_accepted": 3, "cases_completed": 2, "on_time_rate": 1.0,
                                       "lead_time_p50_hours": 48.5})  # of [25, 72]
    check(rows["2026-W17", "S3"], {"cases_accepted": 2, "overdue_open": 1, "cases_completed": 0})


def test_office_scope_uses_the_accepting_and_the_completing_office(catalog):
    rows = [
        # X: accepted at OF1, forwarded, issued at OF2 two days later (48 h).
        make_visit(visit_id="X1", case_id="X", office_code="OF1", action="submit",
                   called_at="2026-04-06T10:00"),
        make_visit(visit_id="X2", case_id="X", office_code="OF1", action="forward",
                   forwarded_to="OF2", called_at="2026-04-07T10:00"),
        make_visit(visit_id="X3", case_id="X", office_code="OF2", action="issue",
                   called_at="2026-04-08T10:00"),
        # Y: accepted at OF2 Mon 6 Apr, due Mon 13 Apr 23:59:59, never completed.
        make_visit(visit_id="Y1", case_id="Y", office_code="OF2", action="submit",
                   called_at="2026-04-06T11:00"),
        # Z: a consult at OF1 in W16.
        make_visit(visit_id="Z1", office_code="OF1", action="consult",
                   called_at="2026-04-15T10:00"),
    ]
    table = analyze(rows, catalog).indicators(TIMEZONE, scope="office")
    assert list(table.columns) == ["week", "office"] + INDICATORS
    got = by_week(table, "office")
    assert sorted(got) == [("2026-W15", "OF1"), ("2026-W15", "OF2"),
                           ("2026-W16", "OF1"), ("2026-W16", "OF2")]
    check(got["2026-W15", "OF1"], {"cases_accepted": 1, "cases_completed": 0, "overdue_open": 0,
                                       "extra_document_rate": 0.0, "on_time_rate": None,
                                       "visits_per_case": None})
    check(got["2026-W15", "OF2"], {"cases_accepted": 1, "cases_completed": 1, "overdue_open": 0,
                                       "on_time_rate": 1.0, "lead_time_p50_hours": 48.0,
                                       "visits_per_case": 3.0})
    # Y is due before the end of W16 (Mon 20 Apr 00:00) but not before the end of W15
    # (Mon 13 Apr 00:00): overdue in W16 only, at the accepting office OF2.
    check(got["2026-W16", "OF1"], {"overdue_open": 0, "extra_document_rate": 0.0})
    check(got["2026-W16", "OF2"], {"overdue_open": 1, "cases_accepted": 0,
                                       "extra_document_rate": None})


def test_weeks_are_iso_weeks_in_local_time(catalog):
    rows = [
        # Sunday 12 April 23:59:59 local: W15
        make_visit(action="consult", called_at="2026-04-12T23:59:59",
                   finished_at="2026-04-12T23:59:59"),
        # 2026-04-12T19:30Z is Monday 13 April 00:30 local: W16, and asked badly
        make_visit(action="consult", called_at="2026-04-12T19:30Z", finished_at="2026-04-12T19:35Z",
                   documents_requested="PHOTO"),
        # a case in between (a log of consults only is tested on its own below)
        make_visit(action="submit", called_at="2026-04-08T10:00"),
    ]
    rows_by_week = by_week(analyze(rows, catalog).indicators(TIMEZONE))
    assert sorted(rows_by_week) == ["2026-W15", "2026-W16"]
    check(rows_by_week["2026-W15"], {"extra_document_rate": 0.0})
    check(rows_by_week["2026-W16"], {"extra_document_rate": 1.0})


def test_week_labels_follow_the_iso_year(catalog):
    # Wed 31 Dec 2025 is in 2026-W01; Fri 1 Jan 2027 in 2026-W53 (2026 has 53 ISO weeks).
    rows = [make_visit(case_id="A", action="submit", called_at="2025-12-31T10:00"),
            make_visit(case_id="B", action="submit", called_at="2027-01-01T10:00")]
    weeks = list(analyze(rows, catalog).indicators(TIMEZONE)["week"])
    assert weeks == [f"2026-W{n:02d}" for n in range(1, 54)]


def test_overdue_open_is_judged_at_each_weeks_end(catalog):
    # S1 accepted Mon 6 Apr, due Mon 13 Apr 23:59:59 (W16), issued Wed 29 Apr (W18), late.
    rows = [make_visit(action="submit", called_at="2026-04-06T10:00"),
            make_visit(action="issue", called_at="2026-04-29T10:00")]
    table = analyze(rows, catalog).indicators(TIMEZONE)
    assert list(table["week"]) == ["2026-W15", "2026-W16", "2026-W17", "2026-W18"]
    assert list(table["overdue_open"]) == [0, 1, 1, 0]
    w18 = by_week(table)["2026-W18"]
    check(w18, {"cases_completed": 1, "on_time_rate": 0.0, "red_tape_per_100_cases": 100.0})


def test_lead_time_quantiles_interpolate_linearly(catalog):
    # S3 cases accepted at 10:05 and issued 1, 2, 4 and 10 hours later, all in W15.
    rows = []
    for n, hours in enumerate([1, 2, 4, 10]):
        case = f"L{n}"
        rows.append(make_visit(case_id=case, service_code="S3", action="submit",
                               called_at="2026-04-07T10:00"))
        issued = pd.Timestamp("2026-04-07T10:05") + pd.Timedelta(hours=hours)
        rows.append(make_visit(case_id=case, service_code="S3", action="issue",
                               called_at=(issued - pd.Timedelta(minutes=5)).isoformat(),
                               finished_at=issued.isoformat()))
    row = analyze(rows, catalog).indicators(TIMEZONE).iloc[0]
    # positions 1.5 and 2.7 of [1, 2, 4, 10]
    check(row, {"lead_time_p50_hours": 3.0, "lead_time_p90_hours": 4 + 0.7 * 6,
                    "on_time_rate": 0.5, "cases_completed": 4})


def test_queue_wait_indicators_count_only_visits_with_a_ticket(catalog):
    rows = [make_visit(case_id=f"Q{n}", action="submit", called_at="2026-04-07T10:00",
                       ticket_at=ticket)
            for n, ticket in enumerate(["2026-04-07T09:58", "2026-04-07T09:50", "2026-04-07T09:44",
                                        "2026-04-07T09:30", "", ""])]
    row = analyze(rows, catalog).indicators(TIMEZONE).iloc[0]
    # waits [2, 10, 16, 30]: position 2.7 -> 16 + 0.7 * 14; 2 of 4 within 15 minutes
    check(row, {"queue_wait_p90_minutes": 16 + 0.7 * 14, "queue_wait_within_limit_rate": 0.5,
                    "extra_document_rate": 0.0})


def test_unfounded_refusal_rate_is_over_the_weeks_refusals(catalog):
    rows = []
    for n, ground in enumerate(["R1", "", "R9", "R2"]):
        case = f"R{n}"
        rows.append(make_visit(case_id=case, action="submit", called_at="2026-04-06T10:00"))
        rows.append(make_visit(case_id=case, action="refuse", refusal_ground=ground,
                               called_at="2026-04-08T10:00"))
    rows.append(make_visit(case_id="I", action="submit", called_at="2026-04-06T10:00"))
    rows.append(make_visit(case_id="I", action="issue", called_at="2026-04-08T10:00"))
    row = analyze(rows, catalog).indicators(TIMEZONE).iloc[0]
    check(row, {"cases_completed": 5, "refusal_rate": 4 / 5, "unfounded_refusal_rate": 2 / 4,
                    "red_tape_per_100_cases": 100 * 2 / 5, "on_time_rate": 1.0})


def test_red_tape_counts_visit_findings_by_visit_week_and_case_findings_by_completion(catalog):
    rows = [
        # W15: submitted, returned twice (the first return lists nothing: UNFOUNDED_RETURN)
        make_visit(action="submit", called_at="2026-04-06T10:00"),
        make_visit(action="return", called_at="2026-04-06T11:00"),
        make_visit(action="resubmit", called_at="2026-04-07T10:00"),
        make_visit(action="return", called_at="2026-04-07T11:00", documents_requested="APPLICATION"),
        make_visit(action="resubmit", called_at="2026-04-08T10:00"),
        # forwarded twice (EXCESS_HANDOFFS), issued in W16 (REPEATED_RETURN too)
        make_visit(action="forward", forwarded_to="U1", called_at="2026-04-09T10:00"),
        make_visit(action="forward", forwarded_to="U2", called_at="2026-04-10T10:00"),
        make_visit(action="issue", called_at="2026-04-14T10:00"),
        # another case completed in W15, to give W15 a denominator
        make_visit(case_id="OTHER", action="submit", called_at="2026-04-06T12:00"),
        make_visit(case_id="OTHER", action="issue", called_at="2026-04-07T12:00"),
    ]
    table = by_week(analyze(rows, catalog).indicators(TIMEZONE))
    check(table["2026-W15"], {"cases_completed": 1, "red_tape_per_100_cases": 100.0})
    check(table["2026-W16"], {"cases_completed": 1, "red_tape_per_100_cases": 200.0,
                                  "visits_per_case": 8.0})


def test_a_log_of_consults_only_has_weekly_indicators(catalog):
    """Consult visits are visits: a log with no case at all still has its weeks."""
    rows = [make_visit(action="consult", called_at="2026-04-07T10:00",
                       ticket_at="2026-04-07T09:40", documents_requested="PHOTO"),
            make_visit(action="consult", called_at="2026-04-21T10:00")]
    table = analyze(rows, catalog).indicators(TIMEZONE)
    assert list(table["week"]) == ["2026-W15", "2026-W16", "2026-W17"]
    rows_by_week = by_week(table)
    check(rows_by_week["2026-W15"], dict(cases_accepted=0, cases_completed=0, overdue_open=0,
                                         extra_document_rate=1.0, queue_wait_p90_minutes=20.0,
                                         queue_wait_within_limit_rate=0.0, **EMPTY_RATES))
    check(rows_by_week["2026-W17"], {"extra_document_rate": 0.0, "queue_wait_p90_minutes": None})


def test_no_visits_no_rows(catalog):
    table = analyze([], catalog).indicators(TIMEZONE)
    assert table.empty
    assert list(table.columns) == ["week"] + INDICATORS


def test_rates_are_never_zero_for_an_empty_denominator(catalog):
    table = analyze(network_rows(), catalog).indicators(TIMEZONE, scope="staff")
    rates = ["on_time_rate", "refusal_rate", "red_tape_per_100_cases", "visits_per_case",
             "lead_time_p50_hours", "lead_time_p90_hours"]
    no_completion = table[table["cases_completed"] == 0]
    assert len(no_completion)
    assert no_completion[rates].isna().all().all()
    assert not math.isnan(table.loc[table["cases_completed"] > 0, "on_time_rate"].min())


def shares_parts(catalog, shares: list[list[dict]], scope: str | None):
    from monitor.compliance.indicators import indicator_parts
    parts = []
    for rows in shares:
        analysis = analyze(rows, catalog)
        parts.append(indicator_parts(analysis.visits, analysis.cases, analysis.findings, TIMEZONE, scope))
    return parts


@pytest.mark.parametrize("scope", [None, "staff", "office"])
@pytest.mark.parametrize("with_empty_share", [False, True])
def test_the_parts_of_disjoint_shares_combine_to_the_whole(catalog, scope, with_empty_share):
    """Shares holding whole cases (and an empty share) combine exactly to the table of all
    their visits at once."""
    from monitor.compliance.indicators import combine_indicator_parts
    rows = network_rows()
    first = [row for row in rows if row["case_id"] in ("A", "B", "")]
    second = [row for row in rows if row["case_id"] not in ("A", "B", "")]
    whole = analyze(rows, catalog).indicators(TIMEZONE, scope=scope)
    shares = [first, [], second] if with_empty_share else [first, second]
    combined = combine_indicator_parts(shares_parts(catalog, shares, scope), scope, TIMEZONE)
    pd.testing.assert_frame_equal(combined, whole)
    assert combined["complaints"].dtype == "float64" and combined["complaints"].isna().all()
    assert combined["cases_completed"].sum() == 4  # A, B, D, E


def test_a_grid_without_visits_has_every_row_when_weeks_and_scope_values_are_given(catalog):
    from monitor.compliance.indicators import combine_indicator_parts, week_of_label
    weeks = (week_of_label("2026-W15"), week_of_label("2026-W16"))
    parts = shares_parts(catalog, [[]], "office")
    table = combine_indicator_parts(parts, "office", TIMEZONE, weeks=weeks, scope_values=["OF2", "OF1"])
    assert list(zip(table["week"], table["office"])) == [
        ("2026-W15", "OF1"), ("2026-W15", "OF2"), ("2026-W16", "OF1"), ("2026-W16", "OF2")]
    assert list(table.columns) == ["week", "office"] + INDICATORS
    assert (table[["cases_accepted", "cases_completed", "overdue_open"]] == 0).all().all()
    assert table[["on_time_rate", "extra_document_rate", "visits_per_case"]].isna().all().all()
    # Either one alone is no grid: no visits, no rows (the columns all the same).
    for options in ({"weeks": weeks}, {"scope_values": ["OF1"]}):
        for scope in ("office", None):
            empty = combine_indicator_parts(shares_parts(catalog, [[]], scope), scope, TIMEZONE, **options)
            assert empty.empty
            assert list(empty.columns) == ["week"] + ([scope] if scope else []) + INDICATORS
    assert combine_indicator_parts([], "office", TIMEZONE, weeks=weeks, scope_values=["OF1"]).empty


@pytest.mark.parametrize("scope, values", [(None, None), ("staff", ["SB"]), ("office", None)])
def test_a_narrower_range_has_only_its_rows_each_as_in_the_whole_table(catalog, scope, values):
    """``weeks`` (and ``scope_values``) narrower than the visits: only those rows, with the
    numbers of the whole table (quantiles and overdue cases carried in from earlier weeks)."""
    from monitor.compliance.indicators import week_of_label, weekly_indicators
    analysis = analyze(network_rows(), catalog)
    whole = analysis.indicators(TIMEZONE, scope=scope)
    weeks = (week_of_label("2026-W16"), week_of_label("2026-W17"))
    narrow = weekly_indicators(analysis.visits, analysis.cases, analysis.findings, TIMEZONE, scope,
                               weeks=weeks, scope_values=values)
    expected = whole[whole["week"].isin(["2026-W16", "2026-W17"])]
    if values:
        expected = expected[expected[scope].isin(values)]
    pd.testing.assert_frame_equal(narrow, expected.reset_index(drop=True))
    assert set(narrow["week"]) == {"2026-W16", "2026-W17"}
    if scope == "staff":  # SB issued E in W17 after 96 hours, E waited 15 minutes
        check(by_week(narrow, scope)["2026-W17", "SB"],
              {"cases_completed": 1, "lead_time_p50_hours": 96.0, "queue_wait_p90_minutes": 15.0})
