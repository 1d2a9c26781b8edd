"""The integrity rules and the accepted_at reading (visit-log-and-rules.md, "Case timeline" and
"Integrity rules: logs that hide red tape"), at each boundary the spec names.

S1 has a 5 working-day deadline. 6 April 2026 is a Monday; 2026 has no holiday in April.
"""
from __future__ import annotations

import pandas as pd
import pytest

from monitor.compliance import Thresholds

from .visits import analyze, case_row, catalog_with, findings, local, make_visit, of_rule

APPLICANT = "P-100"


@pytest.fixture
def catalog(tmp_path):
    return catalog_with(tmp_path / "catalog")


def case_findings(table: pd.DataFrame, rule: str, case_id: str = "C1") -> pd.DataFrame:
    rows = of_rule(table, rule)
    return rows[rows["case_id"] == case_id]


# --- accepted_at counts from the first acceptance after the last return ---------------------

def test_a_second_submit_does_not_move_the_deadline(catalog):
    rows = [make_visit(action="submit", called_at="2026-04-06T10:00", finished_at="2026-04-06T10:10"),
            make_visit(action="submit", called_at="2026-04-20T10:00", finished_at="2026-04-20T10:10")]
    case = case_row(analyze(rows, catalog), "C1")
    assert case["accepted_at"] == local("2026-04-06T10:10")
    # 5 working days strictly after Mon 6 April: 7, 8, 9, 10, 13 April.
    assert case["due_at"] == local("2026-04-13T23:59:59")


def test_a_resubmit_after_a_return_accepts_and_a_later_one_does_not(catalog):
    rows = [make_visit(action="submit", called_at="2026-04-06T10:00"),
            make_visit(action="return", called_at="2026-04-07T10:00", documents_requested="APPLICATION"),
            make_visit(action="resubmit", called_at="2026-04-08T10:00", finished_at="2026-04-08T10:20"),
            make_visit(action="resubmit", called_at="2026-04-10T10:00", finished_at="2026-04-10T10:20")]
    case = case_row(analyze(rows, catalog), "C1")
    assert case["accepted_at"] == local("2026-04-08T10:20")
    assert case["due_at"] == local("2026-04-15T23:59:59")


def test_a_case_issued_late_after_a_second_submit_misses_its_deadline(catalog):
    """The gaming the issue describes: a second submit must not make a late case on time."""
    rows = [make_visit(action="submit", called_at="2026-04-06T10:00"),
            make_visit(action="submit", called_at="2026-04-20T10:00"),
            make_visit(action="issue", called_at="2026-04-21T10:00")]
    table = findings(rows, catalog)
    assert len(case_findings(table, "DEADLINE_MISSED")) == 1
    assert len(case_findings(table, "CLOCK_RESET")) == 1


# --- CLOCK_RESET ----------------------------------------------------------------------------

def test_clock_reset_fires_on_a_submit_after_the_acceptance_and_names_both_dates(catalog):
    rows = [make_visit(action="submit", called_at="2026-04-06T10:00"),
            make_visit(action="forward", called_at="2026-04-07T10:00"),
            make_visit(action="resubmit", called_at="2026-04-09T10:00")]
    found = case_findings(findings(rows, catalog), "CLOCK_RESET")
    assert len(found) == 1
    finding = found.iloc[0]
    assert (finding["clause"], finding["severity"], finding["visit_id"]) == ("2.2.3", "high", "")
    assert "2026-04-06" in finding["detail"] and "2026-04-09" in finding["detail"]


def test_a_resubmit_after_a_return_is_no_clock_reset(catalog):
    rows = [make_visit(action="submit", called_at="2026-04-06T10:00"),
            make_visit(action="return", called_at="2026-04-07T10:00", documents_requested="APPLICATION"),
            make_visit(action="resubmit", called_at="2026-04-08T10:00")]
    assert case_findings(findings(rows, catalog), "CLOCK_RESET").empty


def test_clock_reset_names_the_first_reset_and_its_own_acceptance(catalog):
    rows = [make_visit(action="submit", called_at="2026-04-06T10:00"),
            make_visit(action="return", called_at="2026-04-07T10:00", documents_requested="APPLICATION"),
            make_visit(action="resubmit", called_at="2026-04-08T10:00"),
            make_visit(action="submit", called_at="2026-04-14T10:00"),
            make_visit(action="submit", called_at="2026-04-16T10:00")]
    found = case_findings(findings(rows, catalog), "CLOCK_RESET")
    assert len(found) == 1  # one per case
    detail = found.iloc[0]["detail"]
    assert "2026-04-08" in detail and "2026-04-14" in detail and "2026-04-16" not in detail


def test_clock_reset_follows_called_at_order_not_file_order(catalog):
    rows = [make_visit(action="resubmit", called_at="2026-04-08T10:00"),
            make_visit(action="return", called_at="2026-04-07T10:00", documents_requested="APPLICATION"),
            make_visit(action="submit", called_at="2026-04-06T10:00")]
    assert case_findings(findings(rows, catalog), "CLOCK_RESET").empty


def test_a_single_submit_is_no_clock_reset(catalog):
    rows = [make_visit(action="submit", called_at="2026-04-06T10:00"),
            make_visit(action="issue", called_at="2026-04-07T10:00")]
    assert of_rule(findings(rows, catalog), "CLOCK_RESET").empty


# --- INFORMAL_RETURN ------------------------------------------------------------------------

def consult(called_at: str, **overrides) -> dict:
    return make_visit(**{"action": "consult", "called_at": called_at, "applicant_ref": APPLICANT, **overrides})


def submit(called_at: str = "2026-04-30T10:00", **overrides) -> dict:
    return make_visit(**{"action": "submit", "called_at": called_at, "applicant_ref": APPLICANT, **overrides})


def test_informal_return_fires_on_two_consults_before_the_submit_and_counts_them(catalog):
    rows = [consult("2026-04-10T10:00"), consult("2026-04-20T10:00", office_code="OF2"), submit()]
    found = case_findings(findings(rows, catalog), "INFORMAL_RETURN")
    assert len(found) == 1
    assert (found.iloc[0]["clause"], found.iloc[0]["severity"]) == ("2.2.3", "medium")
    assert found.iloc[0]["detail"].startswith("2 consults")


def test_one_consult_is_not_an_informal_return(catalog):
    rows = [consult("2026-04-20T10:00"), submit()]
    assert of_rule(findings(rows, catalog), "INFORMAL_RETURN").empty


def test_the_window_starts_exactly_thirty_days_before_the_submit_inclusive(catalog):
    rows = [consult("2026-03-31T10:00"), consult("2026-04-20T10:00"), submit("2026-04-30T10:00")]
    assert len(of_rule(findings(rows, catalog), "INFORMAL_RETURN")) == 1
    rows[0] = consult("2026-03-31T09:59:59")
    assert of_rule(findings(rows, catalog), "INFORMAL_RETURN").empty


def test_a_consult_at_the_submit_s_called_at_or_after_it_does_not_count(catalog):
    rows = [consult("2026-04-20T10:00"), consult("2026-04-30T10:00"), consult("2026-05-02T10:00"),
            submit("2026-04-30T10:00")]
    assert of_rule(findings(rows, catalog), "INFORMAL_RETURN").empty


def test_consults_count_before_the_first_submit_only(catalog):
    rows = [consult("2026-04-20T10:00"), submit("2026-04-21T10:00"),
            consult("2026-04-22T10:00"), submit("2026-04-23T10:00")]
    assert of_rule(findings(rows, catalog), "INFORMAL_RETURN").empty


def test_consults_of_another_applicant_or_service_do_not_count(catalog):
    rows = [consult("2026-04-10T10:00", applicant_ref="P-999"), consult("2026-04-20T10:00"), submit()]
    assert of_rule(findings(rows, catalog), "INFORMAL_RETURN").empty
    rows = [consult("2026-04-10T10:00", service_code="S3"), consult("2026-04-20T10:00"), submit()]
    assert of_rule(findings(rows, catalog), "INFORMAL_RETURN").empty


def test_an_empty_applicant_ref_never_links(catalog):
    rows = [consult("2026-04-10T10:00", applicant_ref=""), consult("2026-04-20T10:00", applicant_ref=""),
            submit(applicant_ref="")]
    assert of_rule(findings(rows, catalog), "INFORMAL_RETURN").empty


def test_the_case_s_applicant_is_the_ref_of_its_first_visit_that_has_one(catalog):
    rows = [consult("2026-04-10T10:00"), consult("2026-04-20T10:00"), submit(applicant_ref=""),
            make_visit(action="issue", called_at="2026-05-04T10:00", applicant_ref=APPLICANT)]
    assert len(of_rule(findings(rows, catalog), "INFORMAL_RETURN")) == 1


def test_the_informal_return_thresholds_are_settings(catalog):
    rows = [consult("2026-04-20T10:00"), submit()]
    loose = Thresholds(min_informal_consults=1)
    assert len(of_rule(findings(rows, catalog, thresholds=loose), "INFORMAL_RETURN")) == 1
    rows = [consult("2026-04-10T10:00"), consult("2026-04-20T10:00"), submit()]
    short = Thresholds(informal_return_days=15)
    assert of_rule(findings(rows, catalog, thresholds=short), "INFORMAL_RETURN").empty


# --- REOPENED_AFTER_WITHDRAWAL --------------------------------------------------------------

def withdrawn_case(**overrides) -> list[dict]:
    values = {"applicant_ref": APPLICANT, **overrides}
    return [make_visit(action="submit", called_at="2026-04-06T10:00", **values),
            make_visit(action="withdraw", called_at="2026-04-07T10:00", finished_at="2026-04-07T10:05", **values)]


def new_case(called_at: str, **overrides) -> dict:
    values = {"case_id": "C2", "applicant_ref": APPLICANT, **overrides}
    return make_visit(action="submit", called_at=called_at, **values)


def test_a_new_case_within_ten_days_after_a_withdrawal_fires_on_the_withdrawn_case(catalog):
    rows = withdrawn_case() + [new_case("2026-04-09T10:00", office_code="OF2")]
    table = findings(rows, catalog)
    found = case_findings(table, "REOPENED_AFTER_WITHDRAWAL")
    assert len(found) == 1 and "C2" in found.iloc[0]["detail"]
    assert case_findings(table, "REOPENED_AFTER_WITHDRAWAL", "C2").empty


def test_exactly_ten_days_after_still_fires_and_a_second_later_does_not(catalog):
    rows = withdrawn_case() + [new_case("2026-04-17T10:05")]
    assert len(of_rule(findings(rows, catalog), "REOPENED_AFTER_WITHDRAWAL")) == 1
    rows = withdrawn_case() + [new_case("2026-04-17T10:05:01")]
    assert of_rule(findings(rows, catalog), "REOPENED_AFTER_WITHDRAWAL").empty


def test_a_new_case_at_the_withdrawal_s_finish_is_not_strictly_after_it(catalog):
    rows = withdrawn_case() + [new_case("2026-04-07T10:05")]
    assert of_rule(findings(rows, catalog), "REOPENED_AFTER_WITHDRAWAL").empty


def test_the_new_case_must_be_the_same_applicant_s_and_the_same_service(catalog):
    rows = withdrawn_case() + [new_case("2026-04-09T10:00", applicant_ref="P-999")]
    assert of_rule(findings(rows, catalog), "REOPENED_AFTER_WITHDRAWAL").empty
    rows = withdrawn_case() + [new_case("2026-04-09T10:00", service_code="S3")]
    assert of_rule(findings(rows, catalog), "REOPENED_AFTER_WITHDRAWAL").empty
    rows = withdrawn_case(applicant_ref="") + [new_case("2026-04-09T10:00", applicant_ref="")]
    assert of_rule(findings(rows, catalog), "REOPENED_AFTER_WITHDRAWAL").empty


def test_reopened_names_the_first_new_case(catalog):
    rows = withdrawn_case() + [new_case("2026-04-12T10:00", case_id="C3"), new_case("2026-04-09T10:00")]
    found = of_rule(findings(rows, catalog), "REOPENED_AFTER_WITHDRAWAL")
    assert len(found) == 1 and "C2" in found.iloc[0]["detail"] and "C3" not in found.iloc[0]["detail"]


def test_the_reopen_window_is_a_setting(catalog):
    rows = withdrawn_case() + [new_case("2026-04-12T10:00")]
    assert of_rule(findings(rows, catalog, thresholds=Thresholds(reopen_days=3)),
                   "REOPENED_AFTER_WITHDRAWAL").empty


def test_integrity_findings_feed_no_indicator(catalog):
    gamed = [consult("2026-04-10T10:00"), consult("2026-04-20T10:00"), submit(),
             make_visit(action="submit", called_at="2026-05-01T10:00", applicant_ref=APPLICANT),
             make_visit(action="issue", called_at="2026-05-04T10:00")]
    analysis = analyze(gamed, catalog)
    assert {"CLOCK_RESET", "INFORMAL_RETURN"} <= set(analysis.finding_table()["rule"])
    integrity = analysis.findings["rule"].isin(["CLOCK_RESET", "INFORMAL_RETURN", "REOPENED_AFTER_WITHDRAWAL"])
    without = type(analysis)(analysis.visits, analysis.cases, analysis.findings[~integrity])
    pd.testing.assert_frame_equal(analysis.indicators("Asia/Almaty"), without.indicators("Asia/Almaty"))


def test_a_submit_listed_first_in_the_file_is_still_judged(catalog):
    """File order is not time order: the submit is the file's first row (row 0)."""
    rows = [submit(), consult("2026-04-10T10:00"), consult("2026-04-20T10:00")]
    found = case_findings(findings(rows, catalog), "INFORMAL_RETURN")
    assert len(found) == 1 and found.iloc[0]["detail"].startswith("2 consults")


def test_a_log_without_applicant_refs_has_no_integrity_finding_and_no_error(catalog):
    rows = [consult("2026-04-10T10:00"), consult("2026-04-20T10:00"), submit()] + \
        withdrawn_case(case_id="C7") + [new_case("2026-04-09T10:00", case_id="C8")]
    for row in rows:
        row.pop("applicant_ref", None)
    table = findings(rows, catalog)
    assert of_rule(table, "INFORMAL_RETURN").empty and of_rule(table, "REOPENED_AFTER_WITHDRAWAL").empty


def test_a_withdrawal_with_no_applicant_anywhere_links_nothing(catalog):
    rows = withdrawn_case(applicant_ref="") + [new_case("2026-04-09T10:00", applicant_ref="")]
    table = findings(rows, catalog)
    assert of_rule(table, "REOPENED_AFTER_WITHDRAWAL").empty
