"""The compliance rules, the case timeline and bad input, against visit-log-and-rules.md.

Each rule has a case that fires and a near miss that does not, at the spec's boundaries.
Inputs are the import's text columns; expected due times are worked out by hand from the
official calendar of Kazakhstan (Nauryz 2026 is 21-25 March; 2025-01-05 was a working Sunday).
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from monitor.compliance import RULES, Thresholds, VisitLogError, frame_from_text

from .catalogs import service, version, write_catalog
from .visits import (
    COLUMNS,
    analyze,
    case_row,
    catalog_with,
    findings,
    local,
    make_visit,
    of_rule,
    parse,
    raw_frame,
    valid_iin,
    working_days_service,
)

CLAUSES = {
    "EXTRA_DOCUMENT": ("2.2.3", "high"),
    "STATE_SYSTEM_DOCUMENT": ("2.2.3", "high"),
    "UNFOUNDED_RETURN": ("2.2.3", "medium"),
    "REPEATED_RETURN": ("2.2.3", "medium"),
    "EXCESS_HANDOFFS": ("2.2.3", "medium"),
    "UNFOUNDED_REFUSAL": ("2.2.3, 2.1.1", "high"),
    "DEADLINE_MISSED": ("2.2.3", "medium"),
    "OVERDUE_OPEN": ("2.2.3", "medium"),
    "QUEUE_WAIT_EXCEEDED": ("2.2.1, 2.2.5", "low"),
    "SERVICE_TIME_EXCEEDED": ("2.2.1, 2.2.5", "low"),
    "CLOCK_RESET": ("2.2.3", "high"),
    "INFORMAL_RETURN": ("2.2.3", "medium"),
    "REOPENED_AFTER_WITHDRAWAL": ("2.2.3", "medium"),
}


@pytest.fixture
def catalog(tmp_path):
    """S1, S2 (version change on 2026-04-01), S3 (2 hours) and:
    S4 = 1 working day, S5 = 0 working days, S6 = in force only from 2026-01-01."""
    return catalog_with(tmp_path / "catalog",
                        working_days_service("S4", 1),
                        working_days_service("S5", 0),
                        working_days_service("S6", 5, effective_from="2026-01-01"))


def only(table: pd.DataFrame, rule: str) -> pd.Series:
    rows = of_rule(table, rule)
    assert len(rows) == 1, f"expected one {rule} finding, got {table.to_dict('records')}"
    finding = rows.iloc[0]
    clause, severity = CLAUSES[rule]
    assert finding["clause"] == clause
    assert finding["severity"] == severity
    return finding


def rules_of(table: pd.DataFrame) -> set[str]:
    return set(table["rule"])


def visit_findings(table: pd.DataFrame) -> pd.DataFrame:
    """Findings of visit rules (case rules have an empty visit_id)."""
    return table[table["visit_id"] != ""]


def test_there_are_exactly_the_thirteen_rules_with_their_clauses():
    assert {code: (rule.clause, rule.severity) for code, rule in RULES.items()} == CLAUSES
    levels = {code: rule.level for code, rule in RULES.items()}
    assert {code for code, level in levels.items() if level == "case"} == {
        "REPEATED_RETURN", "EXCESS_HANDOFFS", "DEADLINE_MISSED", "OVERDUE_OPEN",
        "CLOCK_RESET", "INFORMAL_RETURN", "REOPENED_AFTER_WITHDRAWAL"}


def test_finding_table_has_the_spec_columns(catalog):
    table = findings([make_visit(documents_requested="PHOTO")], catalog)
    assert list(table.columns) == ["case_id", "visit_id", "rule", "clause", "severity", "detail"]


# --- EXTRA_DOCUMENT / STATE_SYSTEM_DOCUMENT ------------------------------------------------

def test_extra_document_fires_for_a_code_not_in_the_version(catalog):
    table = findings([make_visit(case_id="C7", visit_id="V70",
                                 documents_requested="APPLICATION;PHOTO")], catalog)
    finding = only(table, "EXTRA_DOCUMENT")
    assert (finding["case_id"], finding["visit_id"]) == ("C7", "V70")
    assert "PHOTO" in finding["detail"]
    assert "APPLICATION" not in finding["detail"]
    assert "STATE_SYSTEM_DOCUMENT" not in rules_of(table)


def test_extra_document_fires_for_free_text(catalog):
    table = findings([make_visit(documents_requested="справка с места работы")], catalog)
    finding = only(table, "EXTRA_DOCUMENT")
    assert "справка с места работы" in finding["detail"]


def test_several_extra_documents_make_one_finding_naming_each(catalog):
    table = findings([make_visit(documents_requested="PHOTO; ID_CARD ;a letter from work")],
                     catalog)
    finding = only(table, "EXTRA_DOCUMENT")
    for token in ("PHOTO", "ID_CARD", "a letter from work"):
        assert token in finding["detail"]


def test_plain_any_of_and_conditional_codes_are_lawful(catalog):
    rows = [make_visit(documents_requested="APPLICATION"),
            make_visit(documents_requested="MARRIAGE_CERT"),
            make_visit(documents_requested="JOINT_APPLICATION"),
            make_visit(documents_requested="POWER_OF_ATTORNEY"),
            make_visit(documents_requested="APPLICATION;MARRIAGE_CERT;JOINT_APPLICATION;"
                                           "POWER_OF_ATTORNEY")]
    table = findings(rows, catalog)
    assert not {"EXTRA_DOCUMENT", "STATE_SYSTEM_DOCUMENT"} & rules_of(table)


def test_state_system_document_fires_for_an_obtained_code(catalog):
    table = findings([make_visit(visit_id="V9", case_id="C9",
                                 documents_requested="ADDRESS_CERT;APPLICATION")], catalog)
    finding = only(table, "STATE_SYSTEM_DOCUMENT")
    assert (finding["case_id"], finding["visit_id"]) == ("C9", "V9")
    assert "ADDRESS_CERT" in finding["detail"]
    assert "EXTRA_DOCUMENT" not in rules_of(table)


def test_a_code_both_lawful_and_obtained_is_lawful(catalog):
    """The validator rejects such a catalog; should one reach the engine all the same, the
    spec judges only tokens "not a lawful code of the version": asking for it is no finding."""
    import dataclasses

    from monitor.calendar import WorkingCalendar
    from monitor.compliance import CatalogFrames, judge, parse_visits
    from services_catalog import load_catalog

    loaded = load_catalog(catalog)
    s1 = loaded.services["S1"]
    both = dataclasses.replace(s1, versions=tuple(
        dataclasses.replace(v, obtained_by_office=v.obtained_by_office + ("APPLICATION",)) for v in s1.versions))
    frames = CatalogFrames.from_catalog(dataclasses.replace(loaded, services={**loaded.services, "S1": both}))
    parsed = parse_visits(frame_from_text(raw_frame([make_visit(documents_requested="APPLICATION;ADDRESS_CERT")])),
                          frames, "Asia/Almaty")
    analysis = judge(parsed.visits, frames, WorkingCalendar(timezone="Asia/Almaty"), pd.Timestamp("2026-06-01"))
    table = analysis.finding_table()
    state = only(table, "STATE_SYSTEM_DOCUMENT")["detail"]
    assert "ADDRESS_CERT" in state and "APPLICATION" not in state
    assert "EXTRA_DOCUMENT" not in rules_of(table)


def test_extra_and_state_system_documents_in_one_visit_are_told_apart(catalog):
    table = findings([make_visit(documents_requested="BIRTH_MEDICAL_CERT;PHOTO")], catalog)
    assert "BIRTH_MEDICAL_CERT" in only(table, "STATE_SYSTEM_DOCUMENT")["detail"]
    extra = only(table, "EXTRA_DOCUMENT")["detail"]
    assert "PHOTO" in extra and "BIRTH_MEDICAL_CERT" not in extra


def test_tokens_are_split_on_semicolons_and_trimmed(catalog):
    # S2 from 2026-04-01 requires APPLICATION only; before, APPLICATION and PHOTO.
    lawful = findings([make_visit(service_code="S2", called_at="2026-03-30T10:00",
                                  documents_requested=" APPLICATION ; PHOTO ")], catalog)
    assert visit_findings(lawful).empty
    table = findings([make_visit(service_code="S1", documents_requested="APPLICATION ; PHOTO")],
                     catalog)
    detail = only(table, "EXTRA_DOCUMENT")["detail"]
    assert "PHOTO" in detail and "APPLICATION" not in detail


def test_documents_are_judged_against_the_version_of_the_visit_date(catalog):
    # PHOTO is required by S2 until 2026-03-31 and obtained by the office from 2026-04-01.
    before = findings([make_visit(service_code="S2", called_at="2026-03-31T23:50",
                                  finished_at="2026-04-01T00:05", documents_requested="PHOTO")],
                      catalog)
    assert not {"EXTRA_DOCUMENT", "STATE_SYSTEM_DOCUMENT"} & rules_of(before)
    after = findings([make_visit(service_code="S2", called_at="2026-04-01T00:00",
                                 documents_requested="PHOTO")], catalog)
    assert "PHOTO" in only(after, "STATE_SYSTEM_DOCUMENT")["detail"]


def test_the_visit_date_is_the_local_date_of_called_at_with_an_offset(catalog):
    # 2026-03-31T19:30Z is 2026-04-01 00:30 local: the new S2 version, PHOTO obtained.
    table = findings([make_visit(service_code="S2", called_at="2026-03-31T19:30Z",
                                 finished_at="2026-03-31T19:35Z", documents_requested="PHOTO")],
                     catalog)
    assert "PHOTO" in only(table, "STATE_SYSTEM_DOCUMENT")["detail"]
    # 2026-04-01T00:30+06:00 is 2026-03-31 23:30 local: the old version, PHOTO lawful.
    table = findings([make_visit(service_code="S2", called_at="2026-04-01T00:30+06:00",
                                 finished_at="2026-04-01T00:35+06:00", documents_requested="PHOTO")],
                     catalog)
    assert visit_findings(table).empty


# --- UNFOUNDED_RETURN ---------------------------------------------------------------------

def test_a_return_listing_nothing_is_unfounded(catalog):
    rows = [make_visit(visit_id="S", action="submit", called_at="2026-04-06T10:00"),
            make_visit(visit_id="R", action="return", called_at="2026-04-06T11:00")]
    finding = only(findings(rows, catalog), "UNFOUNDED_RETURN")
    assert (finding["case_id"], finding["visit_id"]) == ("C1", "R")


def test_a_return_listing_only_separators_lists_nothing(catalog):
    rows = [make_visit(action="return", documents_requested=" ; ;")]
    only(findings(rows, catalog), "UNFOUNDED_RETURN")


def test_a_return_listing_an_extra_document_is_unfounded(catalog):
    rows = [make_visit(visit_id="R", action="return", documents_requested="APPLICATION;PHOTO")]
    table = findings(rows, catalog)
    finding = only(table, "UNFOUNDED_RETURN")
    assert finding["visit_id"] == "R"
    assert "PHOTO" in finding["detail"] and "APPLICATION" not in finding["detail"]
    only(table, "EXTRA_DOCUMENT")


def test_a_return_listing_an_obtained_document_is_unfounded(catalog):
    rows = [make_visit(action="return", documents_requested="ADDRESS_CERT")]
    table = findings(rows, catalog)
    assert "ADDRESS_CERT" in only(table, "UNFOUNDED_RETURN")["detail"]
    only(table, "STATE_SYSTEM_DOCUMENT")


def test_a_return_listing_only_lawful_documents_is_founded(catalog):
    rows = [make_visit(action="return",
                       documents_requested="APPLICATION; JOINT_APPLICATION ;POWER_OF_ATTORNEY")]
    assert visit_findings(findings(rows, catalog)).empty


def test_only_returns_can_be_unfounded_returns(catalog):
    rows = [make_visit(action=action, called_at=f"2026-04-06T1{n}:00")
            for n, action in enumerate(["submit", "resubmit", "forward", "issue"])]
    assert "UNFOUNDED_RETURN" not in rules_of(findings(rows, catalog))


# --- REPEATED_RETURN ----------------------------------------------------------------------

def returns(count: int, case_id: str = "C1") -> list[dict]:
    rows = [make_visit(case_id=case_id, action="submit", called_at="2026-04-06T09:00")]
    rows += [make_visit(case_id=case_id, action="return", documents_requested="APPLICATION",
                        called_at=f"2026-04-06T1{n}:00") for n in range(count)]
    return rows


def test_two_returns_are_a_repeated_return(catalog):
    table = findings(returns(2, "C5"), catalog)
    finding = only(table, "REPEATED_RETURN")
    assert (finding["case_id"], finding["visit_id"]) == ("C5", "")
    assert "2" in finding["detail"]


def test_one_return_is_not_a_repeated_return(catalog):
    assert "REPEATED_RETURN" not in rules_of(findings(returns(1), catalog))


def test_returns_of_different_cases_do_not_add_up(catalog):
    table = findings(returns(1, "A") + returns(1, "B"), catalog)
    assert "REPEATED_RETURN" not in rules_of(table)


# --- EXCESS_HANDOFFS ----------------------------------------------------------------------

def forwards(count: int) -> list[dict]:
    rows = [make_visit(action="submit", called_at="2026-04-06T09:00")]
    rows += [make_visit(action="forward", forwarded_to=f"UNIT{n}", called_at=f"2026-04-06T1{n}:00")
             for n in range(count)]
    return rows


def test_two_forwards_exceed_the_default_of_one_handoff(catalog):
    finding = only(findings(forwards(2), catalog), "EXCESS_HANDOFFS")
    assert (finding["case_id"], finding["visit_id"]) == ("C1", "")
    assert "2" in finding["detail"]


def test_one_forward_is_within_the_default(catalog):
    assert "EXCESS_HANDOFFS" not in rules_of(findings(forwards(1), catalog))


def test_the_handoff_threshold_is_a_setting(catalog):
    relaxed = Thresholds(max_handoffs=2)
    assert "EXCESS_HANDOFFS" not in rules_of(findings(forwards(2), catalog, thresholds=relaxed))
    only(findings(forwards(3), catalog, thresholds=relaxed), "EXCESS_HANDOFFS")


# --- UNFOUNDED_REFUSAL --------------------------------------------------------------------

def refusal(ground: str) -> list[dict]:
    return [make_visit(action="submit", called_at="2026-04-06T09:00"),
            make_visit(visit_id="X", action="refuse", refusal_ground=ground,
                       called_at="2026-04-07T10:00")]


def test_a_refusal_citing_no_ground_is_unfounded(catalog):
    finding = only(findings(refusal(""), catalog), "UNFOUNDED_REFUSAL")
    assert (finding["case_id"], finding["visit_id"]) == ("C1", "X")


def test_a_refusal_citing_an_unknown_ground_is_unfounded_and_names_it(catalog):
    finding = only(findings(refusal("R9"), catalog), "UNFOUNDED_REFUSAL")
    assert "R9" in finding["detail"]


@pytest.mark.parametrize("ground", ["R1", "R2"])
def test_a_refusal_citing_a_lawful_ground_is_founded(catalog, ground):
    assert "UNFOUNDED_REFUSAL" not in rules_of(findings(refusal(ground), catalog))


def test_refusal_grounds_are_those_of_the_version_of_the_refusal_date(tmp_path):
    r3 = [{"code": "R3", "text": {"kk": "R3", "ru": "R3", "en": "R3"}}]
    folder = write_catalog(tmp_path / "grounds", services=[service("S1", versions=[
        version(effective_to="2026-03-31"),                               # R1, R2
        version(effective_from="2026-04-01", refusal_grounds=r3)])])      # R3 only
    rows = [make_visit(case_id=case, action="submit", called_at="2026-03-30T10:00")
            for case in ("OLD", "NEW")]
    rows += [make_visit(case_id="OLD", visit_id="X_OLD", action="refuse", refusal_ground="R3",
                        called_at="2026-03-31T23:00"),
             make_visit(case_id="NEW", visit_id="X_NEW", action="refuse", refusal_ground="R3",
                        called_at="2026-04-01T09:00")]
    table = of_rule(findings(rows, folder), "UNFOUNDED_REFUSAL")
    assert list(table["visit_id"]) == ["X_OLD"]


# --- QUEUE_WAIT_EXCEEDED / SERVICE_TIME_EXCEEDED -----------------------------------------

@pytest.mark.parametrize("ticket_at, fires", [
    ("2026-04-06T09:45:00", False),   # exactly 15 minutes
    ("2026-04-06T09:44:59", True),    # 15 minutes 1 second
    ("2026-04-06T10:00:00", False),   # no wait at all
])
def test_queue_wait_fires_only_when_strictly_exceeded(catalog, ticket_at, fires):
    table = findings([make_visit(ticket_at=ticket_at, called_at="2026-04-06T10:00")], catalog)
    assert ("QUEUE_WAIT_EXCEEDED" in rules_of(table)) is fires


def test_queue_wait_finding_names_the_minutes_over(catalog):
    table = findings([make_visit(visit_id="Q", ticket_at="2026-04-06T09:35",
                                 called_at="2026-04-06T10:00")], catalog)
    finding = only(table, "QUEUE_WAIT_EXCEEDED")
    assert (finding["case_id"], finding["visit_id"]) == ("C1", "Q")
    assert "10 min over" in finding["detail"]


def test_no_ticket_means_no_queue_finding(catalog):
    table = findings([make_visit(ticket_at="", called_at="2026-04-06T10:00")], catalog)
    assert "QUEUE_WAIT_EXCEEDED" not in rules_of(table)


def test_queue_limit_is_the_version_s(catalog):
    # S3 allows 10 minutes in the queue.
    table = findings([make_visit(service_code="S3", ticket_at="2026-04-06T09:49:59",
                                 called_at="2026-04-06T10:00")], catalog)
    only(table, "QUEUE_WAIT_EXCEEDED")
    table = findings([make_visit(service_code="S3", ticket_at="2026-04-06T09:50:00",
                                 called_at="2026-04-06T10:00")], catalog)
    assert "QUEUE_WAIT_EXCEEDED" not in rules_of(table)


@pytest.mark.parametrize("finished_at, fires", [
    ("2026-04-06T10:20:00", False),   # exactly 20 minutes
    ("2026-04-06T10:20:01", True),    # 20 minutes 1 second
])
def test_desk_time_fires_only_when_strictly_exceeded(catalog, finished_at, fires):
    table = findings([make_visit(called_at="2026-04-06T10:00", finished_at=finished_at)], catalog)
    assert ("SERVICE_TIME_EXCEEDED" in rules_of(table)) is fires


def test_desk_time_finding_names_the_minutes_over(catalog):
    table = findings([make_visit(visit_id="D", called_at="2026-04-06T10:00",
                                 finished_at="2026-04-06T10:45")], catalog)
    finding = only(table, "SERVICE_TIME_EXCEEDED")
    assert finding["visit_id"] == "D"
    assert "25 min over" in finding["detail"]


def test_timestamps_with_and_without_offsets_mix_in_one_file(catalog):
    rows = [
        # 10:00 local as Z; called 10:16 local: 16 minutes
        make_visit(case_id="A", visit_id="A1", ticket_at="2026-04-06T05:00:00Z",
                   called_at="2026-04-06T10:16"),
        # 10:00 local as +06:00; called 10:15 local as +05:00: 15 minutes, lawful
        make_visit(case_id="B", visit_id="B1", ticket_at="2026-04-06T11:00+06:00",
                   called_at="2026-04-06T10:15+05:00"),
        # called 10:00 local, finished 05:21Z = 10:21 local: 21 minutes at the desk
        make_visit(case_id="C", visit_id="C1", called_at="2026-04-06T10:00",
                   finished_at="2026-04-06T05:21:00Z"),
        # called 11:00+06:00 = 10:00 local, finished 10:20 local: 20 minutes, lawful
        make_visit(case_id="D", visit_id="D1", called_at="2026-04-06T11:00+06:00",
                   finished_at="2026-04-06T10:20"),
    ]
    table = visit_findings(findings(rows, catalog))
    assert set(zip(table["visit_id"], table["rule"])) == {("A1", "QUEUE_WAIT_EXCEEDED"),
                                                          ("C1", "SERVICE_TIME_EXCEEDED")}


# --- consult visits -----------------------------------------------------------------------

def test_a_clean_consult_has_no_findings(catalog):
    table = findings([make_visit(action="consult", ticket_at="2026-04-06T09:50",
                                 documents_requested="APPLICATION")], catalog)
    assert table.empty
    assert list(table.columns) == ["case_id", "visit_id", "rule", "clause", "severity", "detail"]


def test_consult_visits_are_judged_with_an_empty_case_id(catalog):
    rows = [make_visit(action="consult", visit_id="K", ticket_at="2026-04-06T09:00",
                       called_at="2026-04-06T10:00", finished_at="2026-04-06T10:30",
                       documents_requested="PHOTO;ADDRESS_CERT")]
    analysis = analyze(rows, catalog)
    table = analysis.finding_table()
    assert rules_of(table) == {"EXTRA_DOCUMENT", "STATE_SYSTEM_DOCUMENT",
                               "QUEUE_WAIT_EXCEEDED", "SERVICE_TIME_EXCEEDED"}
    assert set(table["visit_id"]) == {"K"}
    assert set(table["case_id"]) == {""}
    assert analysis.cases.empty


# --- the case timeline --------------------------------------------------------------------

def test_accepted_at_is_the_finish_of_the_first_resubmit_after_the_last_return(catalog):
    rows = [  # deliberately out of order in the file: visits are ordered by called_at
        make_visit(action="resubmit", called_at="2026-04-08T10:00", finished_at="2026-04-08T10:20"),
        make_visit(action="submit", called_at="2026-04-06T10:00"),
        make_visit(action="return", called_at="2026-04-07T10:00", documents_requested="APPLICATION"),
        make_visit(action="forward", called_at="2026-04-09T10:00", forwarded_to="BACK"),
    ]
    case = case_row(analyze(rows, catalog), "C1")
    assert case["accepted_at"] == local("2026-04-08T10:20")
    # 5 working days strictly after Wed 8 April: 9, 10, 13, 14, 15 April.
    assert case["due_at"] == local("2026-04-15T23:59:59")


def test_a_return_after_the_last_submit_means_not_accepted(catalog):
    rows = [make_visit(action="submit", called_at="2026-04-06T10:00"),
            make_visit(action="return", called_at="2026-04-07T10:00",
                       documents_requested="APPLICATION"),
            make_visit(action="issue", called_at="2026-05-29T10:00")]
    analysis = analyze(rows, catalog, as_of="2026-06-01T00:00")
    case = case_row(analysis, "C1")
    assert pd.isna(case["accepted_at"]) and pd.isna(case["due_at"])
    assert not {"DEADLINE_MISSED", "OVERDUE_OPEN"} & rules_of(analysis.finding_table())


def test_a_case_never_accepted_is_never_overdue(catalog):
    rows = [make_visit(action="submit", called_at="2026-04-06T10:00"),
            make_visit(action="return", called_at="2026-04-06T11:00",
                       documents_requested="APPLICATION")]
    table = findings(rows, catalog, as_of="2027-01-01T00:00")
    assert "OVERDUE_OPEN" not in rules_of(table)


# --- DEADLINE_MISSED ----------------------------------------------------------------------

def completed_case(service_code: str, accepted: str, completed: str,
                   action: str = "issue") -> list[dict]:
    accepted_at = pd.Timestamp(accepted)
    completed_at = pd.Timestamp(completed)
    called = (completed_at - pd.Timedelta(minutes=5)).isoformat()
    return [make_visit(service_code=service_code, action="submit",
                       called_at=(accepted_at - pd.Timedelta(minutes=5)).isoformat(),
                       finished_at=accepted),
            make_visit(service_code=service_code, action=action, refusal_ground="R1",
                       called_at=called, finished_at=completed)]


@pytest.mark.parametrize("completed, late", [
    ("2026-04-13T23:59:59", False),
    ("2026-04-14T00:00:00", True),
    ("2026-04-13T18:59:59Z", False),
    ("2026-04-13T19:00:00Z", True),
])
def test_completing_at_23_59_59_of_the_due_day_is_on_time(catalog, completed, late):
    # Accepted Mon 6 April; 5 working days: 7, 8, 9, 10, 13 April.
    analysis = analyze(completed_case("S1", "2026-04-06T10:05", completed), catalog)
    assert case_row(analysis, "C1")["due_at"] == local("2026-04-13T23:59:59")
    assert ("DEADLINE_MISSED" in rules_of(analysis.finding_table())) is late


def test_deadline_missed_names_the_hours_over(catalog):
    table = findings(completed_case("S1", "2026-04-06T10:05", "2026-04-14T11:59:59"), catalog)
    finding = only(table, "DEADLINE_MISSED")
    assert (finding["case_id"], finding["visit_id"]) == ("C1", "")
    assert "12 h" in finding["detail"]


def test_a_late_refusal_is_a_missed_deadline_too(catalog):
    table = findings(completed_case("S1", "2026-04-06T10:05", "2026-04-15T10:00",
                                    action="refuse"), catalog)
    only(table, "DEADLINE_MISSED")


def test_nauryz_2026_is_skipped_when_counting_working_days(catalog):
    # Accepted Fri 20 March 2026; 21-25 March are off; 26, 27, 30, 31 March, 1 April.
    on_time = analyze(completed_case("S1", "2026-03-20T10:05", "2026-04-01T23:59:59"), catalog)
    assert case_row(on_time, "C1")["due_at"] == pd.Timestamp("2026-04-01T23:59:59+05:00")
    assert "DEADLINE_MISSED" not in rules_of(on_time.finding_table())
    late = analyze(completed_case("S1", "2026-03-20T10:05", "2026-04-02T00:00:00"), catalog)
    only(late.finding_table(), "DEADLINE_MISSED")


def test_a_weekend_day_made_working_by_decree_counts(catalog):
    # Sunday 2025-01-05 was a working day: 1 working day after Sat 4 January is that Sunday.
    analysis = analyze(completed_case("S4", "2025-01-04T10:05", "2025-01-06T09:00"), catalog)
    assert case_row(analysis, "C1")["due_at"] == local("2025-01-05T23:59:59")
    only(analysis.finding_table(), "DEADLINE_MISSED")


def test_five_working_days_over_the_new_year_2025(catalog):
    # Accepted Fri 3 Jan 2025 (a day off): Sun 5 (working), Mon 6, [Tue 7 Christmas], 8, 9, 10.
    analysis = analyze(completed_case("S1", "2025-01-03T10:05", "2025-01-10T23:59:59"), catalog)
    assert case_row(analysis, "C1")["due_at"] == local("2025-01-10T23:59:59")
    assert "DEADLINE_MISSED" not in rules_of(analysis.finding_table())


@pytest.mark.parametrize("accepted", ["2026-04-06T10:05", "2026-04-11T10:05"])  # Mon, Sat
def test_zero_working_days_is_the_end_of_the_acceptance_day(catalog, accepted):
    day = accepted[:10]
    analysis = analyze(completed_case("S5", accepted, f"{day}T23:59:59"), catalog)
    assert case_row(analysis, "C1")["due_at"] == local(f"{day}T23:59:59")
    assert "DEADLINE_MISSED" not in rules_of(analysis.finding_table())
    next_day = (pd.Timestamp(day) + pd.Timedelta(days=1)).strftime("%Y-%m-%d")
    late = analyze(completed_case("S5", accepted, f"{next_day}T00:00:01"), catalog)
    only(late.finding_table(), "DEADLINE_MISSED")


@pytest.mark.parametrize("accepted, due", [
    ("2026-03-13T10:05", "2026-03-26T23:59:59"),  # +10 = Mon 23 March (Nauryz) -> Thu 26
    ("2026-03-11T10:05", "2026-03-26T23:59:59"),  # +10 = Sat 21 March -> Thu 26
    ("2026-02-27T10:05", "2026-03-10T23:59:59"),  # +10 = Mon 9 March (holiday) -> Tue 10
    ("2026-03-02T10:05", "2026-03-12T23:59:59"),  # +10 = Thu 12, holidays on the way count
])
def test_calendar_days_ending_on_a_day_off_move_to_the_next_working_day(catalog, accepted, due):
    # S2 until 2026-03-31: 10 calendar days.
    analysis = analyze(completed_case("S2", accepted, "2026-03-30T10:00"), catalog)
    assert case_row(analysis, "C1")["due_at"] == local(due)


@pytest.mark.parametrize("completed, late", [("2026-04-06T12:05:00", False),
                                             ("2026-04-06T12:05:01", True)])
def test_hour_deadlines_run_from_accepted_at(catalog, completed, late):
    analysis = analyze(completed_case("S3", "2026-04-06T10:05", completed), catalog)
    assert case_row(analysis, "C1")["due_at"] == local("2026-04-06T12:05")
    assert ("DEADLINE_MISSED" in rules_of(analysis.finding_table())) is late


def test_case_rules_use_the_version_in_force_on_the_acceptance_date(catalog):
    # Accepted 30 March under S2's old version (10 calendar days -> Thu 9 April); the new
    # version (3 working days) would make it due on 2 April.
    rows = [make_visit(service_code="S2", action="submit", called_at="2026-03-30T10:00",
                       documents_requested="APPLICATION;PHOTO"),
            make_visit(service_code="S2", visit_id="I", action="issue",
                       called_at="2026-04-07T10:00", documents_requested="PHOTO")]
    analysis = analyze(rows, catalog)
    assert case_row(analysis, "C1")["due_at"] == local("2026-04-09T23:59:59")
    table = analysis.finding_table()
    assert "DEADLINE_MISSED" not in rules_of(table)
    # ...while each visit is judged by the version of its own date: PHOTO lawful on
    # 30 March, obtained by the office on 7 April.
    finding = only(table, "STATE_SYSTEM_DOCUMENT")
    assert finding["visit_id"] == "I" and "PHOTO" in finding["detail"]


def test_a_case_accepted_after_the_version_change_gets_the_new_deadline(catalog):
    rows = [make_visit(service_code="S2", action="submit", called_at="2026-03-27T10:00"),
            make_visit(service_code="S2", action="return", called_at="2026-03-30T10:00",
                       documents_requested="APPLICATION"),
            make_visit(service_code="S2", action="resubmit", called_at="2026-04-02T10:00")]
    # New version: 3 working days after Thu 2 April: 3, 6, 7 April.
    assert case_row(analyze(rows, catalog), "C1")["due_at"] == local("2026-04-07T23:59:59")


def test_acceptance_date_is_the_local_date_of_the_accepting_finish(catalog):
    # Called 31 March 23:50 (old version for the visit), finished 1 April 00:05: accepted on
    # 1 April, so the new version's 3 working days apply: 2, 3, 6 April.
    rows = [make_visit(service_code="S2", action="submit", called_at="2026-03-31T23:50",
                       finished_at="2026-04-01T00:05", documents_requested="PHOTO")]
    analysis = analyze(rows, catalog)
    assert case_row(analysis, "C1")["due_at"] == local("2026-04-06T23:59:59")
    assert visit_findings(analysis.finding_table()).empty  # PHOTO lawful on the visit's date


# --- OVERDUE_OPEN -------------------------------------------------------------------------

def open_case(service_code: str = "S1") -> list[dict]:
    return [make_visit(service_code=service_code, action="submit", called_at="2026-04-06T10:00")]


@pytest.mark.parametrize("as_of, overdue", [
    ("2026-04-13T23:59:59", False),          # equal to due_at
    ("2026-04-13T18:59:59Z", False),         # equal, written in UTC
    ("2026-04-14T00:00:00", True),
    ("2026-04-13T19:00:00.001Z", True),
])
def test_overdue_open_needs_as_of_strictly_after_due_at(catalog, as_of, overdue):
    table = findings(open_case(), catalog, as_of=as_of)
    assert ("OVERDUE_OPEN" in rules_of(table)) is overdue


def test_overdue_open_names_the_hours_past_due(catalog):
    table = findings(open_case(), catalog, as_of="2026-04-15T00:00:00")
    finding = only(table, "OVERDUE_OPEN")
    assert (finding["case_id"], finding["visit_id"]) == ("C1", "")
    assert "24 h" in finding["detail"]


@pytest.mark.parametrize("closing", ["withdraw", "issue", "refuse"])
def test_withdrawn_or_completed_cases_are_not_overdue_open(catalog, closing):
    rows = open_case() + [make_visit(action=closing, refusal_ground="R1",
                                     called_at="2026-04-07T10:00")]
    table = findings(rows, catalog, as_of="2026-12-01T00:00")
    assert "OVERDUE_OPEN" not in rules_of(table)


def test_a_withdrawn_case_has_no_deadline_judgement(catalog):
    rows = open_case() + [make_visit(action="withdraw", called_at="2026-05-20T10:00")]
    table = findings(rows, catalog, as_of="2026-12-01T00:00")
    assert not {"DEADLINE_MISSED", "OVERDUE_OPEN"} & rules_of(table)


# --- bad rows -----------------------------------------------------------------------------

def bad_rows_of(rows: list[dict], catalog) -> pd.DataFrame:
    return parse(rows, catalog).bad_rows


def the_bad_row(rows: list[dict], catalog) -> pd.Series:
    bad = bad_rows_of(rows, catalog)
    assert len(bad) == 1, bad.to_dict("records")
    return bad.iloc[0]


def good_then(row: dict) -> list[dict]:
    """A good visit on line 2, then ``row`` on line 3."""
    return [make_visit(case_id="OK"), row]


def test_a_good_file_has_no_bad_rows(catalog):
    parsed = parse([make_visit(), make_visit(action="consult", called_at="2026-04-06T12:00")],
                   catalog)
    assert parsed.bad_rows.empty and len(parsed.visits) == 2


def test_unknown_service_is_reported_with_line_and_column(catalog):
    bad = the_bad_row(good_then(make_visit(service_code="S99")), catalog)
    assert (bad["line"], bad["column"]) == (3, "service_code")
    assert "unknown service" in bad["reason"] and "S99" in bad["reason"]


def test_unknown_action_is_reported(catalog):
    bad = the_bad_row(good_then(make_visit(action="approve")), catalog)
    assert (bad["line"], bad["column"]) == (3, "action")
    assert "unknown action" in bad["reason"] and "approve" in bad["reason"]


@pytest.mark.parametrize("row, column", [
    ({"ticket_at": "2026-04-06T10:01", "called_at": "2026-04-06T10:00"}, "ticket_at"),
    ({"called_at": "2026-04-06T10:00", "finished_at": "2026-04-06T09:59:59"}, "finished_at"),
    # the same instants written with offsets: 05:01Z is 10:01 local
    ({"ticket_at": "2026-04-06T05:01Z", "called_at": "2026-04-06T10:00"}, "ticket_at"),
])
def test_timestamps_out_of_order_are_reported(catalog, row, column):
    bad = the_bad_row(good_then(make_visit(**row)), catalog)
    assert (bad["line"], bad["column"]) == (3, column)
    assert bad["reason"]


def test_timestamps_in_order_across_offsets_are_good(catalog):
    # ticket 10:00 local written +06:00 as 11:00; called 10:00 local: equal, allowed
    assert bad_rows_of([make_visit(ticket_at="2026-04-06T11:00+06:00",
                                   called_at="2026-04-06T10:00",
                                   finished_at="2026-04-06T10:00")], catalog).empty


@pytest.mark.parametrize("column, value", [
    ("called_at", "2026-13-01T10:00"),
    ("called_at", "yesterday at ten"),
    ("ticket_at", "06.04.2026 09:00"),
    ("finished_at", "2026-04-06T25:00"),
])
def test_malformed_timestamps_are_reported(catalog, column, value):
    row = make_visit(called_at="2026-04-06T10:00", finished_at="2026-04-06T10:05")
    row[column] = value
    bad = bad_rows_of(good_then(row), catalog)
    assert not bad.empty
    assert set(bad["line"]) == {3}
    assert column in set(bad["column"])
    assert value in " ".join(bad.loc[bad["column"] == column, "reason"])


def test_missing_case_id_is_reported_for_every_action_but_consult(catalog):
    rows = [make_visit(case_id="", action=action, called_at=f"2026-04-06T1{n}:00")
            for n, action in enumerate(["submit", "return", "resubmit", "forward", "issue",
                                        "refuse", "withdraw", "consult"])]
    bad = bad_rows_of(rows, catalog)
    assert list(bad["line"]) == [2, 3, 4, 5, 6, 7, 8]  # line 9 is the consult
    assert set(bad["column"]) == {"case_id"}


def test_a_valid_iin_is_accepted_and_a_wrong_control_digit_reported(catalog):
    iin = valid_iin("90010130000")
    wrong = iin[:11] + str((int(iin[11]) + 1) % 10)
    rows = [make_visit(applicant_ref=iin), make_visit(applicant_ref=wrong)]
    bad = the_bad_row(rows, catalog)
    assert (bad["line"], bad["column"]) == (3, "applicant_ref")
    assert "IIN" in bad["reason"]


def first_sum_is_ten(body: str) -> bool:
    return sum(int(d) * w for d, w in zip(body, range(1, 12))) % 11 == 10


def second_sum(body: str) -> int:
    return sum(int(d) * w for d, w in zip(body, [3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2])) % 11


def test_iin_control_uses_the_second_weights_when_the_first_sum_is_ten(catalog):
    body = next(b for b in (f"{n:011d}" for n in range(90010130000, 90010140000))
                if first_sum_is_ten(b) and second_sum(b) != 10)
    control = second_sum(body)
    rows = [make_visit(applicant_ref=f"{body}{control}"),
            make_visit(applicant_ref=f"{body}{(control + 1) % 10}")]
    bad = the_bad_row(rows, catalog)
    assert (bad["line"], bad["column"]) == (3, "applicant_ref")


def test_an_iin_whose_both_sums_are_ten_is_always_invalid(catalog):
    body = next(b for b in (f"{n:011d}" for n in range(90010130000, 90010140000))
                if first_sum_is_ten(b) and second_sum(b) == 10)
    rows = [make_visit(applicant_ref=f"{body}{digit}") for digit in range(10)]
    bad = bad_rows_of(rows, catalog)
    assert list(bad["line"]) == list(range(2, 12))
    assert set(bad["column"]) == {"applicant_ref"}


@pytest.mark.parametrize("ref", ["12345678901", "1234567890123", "APP-000123", "90010130000X"])
def test_anything_but_twelve_digits_is_an_opaque_applicant_id(catalog, ref):
    assert bad_rows_of([make_visit(applicant_ref=ref)], catalog).empty


def test_a_visit_on_a_date_with_no_version_in_force_is_a_data_error(catalog):
    # S6 is in force from 2026-01-01 (local).
    rows = [make_visit(service_code="S6", called_at="2025-12-31T23:30"),
            make_visit(service_code="S6", called_at="2025-12-31T19:30Z")]  # 00:30 local, 1 Jan
    bad = the_bad_row(rows, catalog)
    assert (bad["line"], bad["column"]) == (2, "service_code")
    assert "2025-12-31" in bad["reason"]
    assert "version" in bad["reason"]


def test_an_identical_repeat_is_ignored(catalog):
    row = make_visit(visit_id="V1")
    parsed = parse([row, dict(row), make_visit(visit_id="V2", action="approve")], catalog)
    assert list(parsed.visits["visit_id"]) == ["V1"]
    bad = parsed.bad_rows
    assert list(bad["line"]) == [4]  # the file's own line numbers, repeat still counted


def test_a_repeat_with_different_content_is_reported(catalog):
    rows = [make_visit(visit_id="V1", staff_id="ST1"), make_visit(visit_id="V1", staff_id="ST2")]
    parsed = parse(rows, catalog)
    bad = parsed.bad_rows
    assert list(bad["line"]) == [3]
    assert bad.iloc[0]["column"] == "visit_id"
    assert "V1" in bad.iloc[0]["reason"]
    assert list(parsed.visits["staff_id"]) == ["ST1"]  # the first row is kept


def test_a_date_without_time_or_offset_is_local(catalog):
    """'2026-04-06' has no offset: it is local (midnight), or else a reported format error,
    never midnight UTC (05:00 local) as if '-06' were an offset."""
    parsed = parse([make_visit(ticket_at="2026-04-06", called_at="2026-04-06T00:10")], catalog)
    if len(parsed.bad_rows):
        bad = parsed.bad_rows.iloc[0]
        assert bad["column"] == "ticket_at" and "after" not in bad["reason"], bad.to_dict()
    else:
        assert parsed.visits.loc[0, "ticket_at"] == local("2026-04-06T00:00")


def test_an_applicant_ref_of_non_ascii_digits_does_not_break_the_file(catalog):
    """Twelve Arabic-Indic digits: an opaque id or a reported bad row, never a crash."""
    rows = [make_visit(applicant_ref="١٢٣٤٥٦٧٨٩٠١٢"), make_visit(visit_id="V2")]
    parsed = parse(rows, catalog)
    assert "V2" in set(parsed.visits["visit_id"])
    assert set(parsed.bad_rows["line"]) <= {2}
    assert set(parsed.bad_rows["column"]) <= {"applicant_ref"}


def test_a_missing_required_column_stops_the_file(catalog):
    raw = raw_frame([make_visit()]).drop(columns=["action"])
    with pytest.raises(VisitLogError, match="action"):
        frame_from_text(raw)


def test_optional_columns_may_be_absent(catalog):
    raw = raw_frame([make_visit()])[[c for c in COLUMNS if c not in
                                     ("applicant_ref", "ticket_at", "documents_requested",
                                      "refusal_ground", "forwarded_to")]]
    parsed = parse(raw, catalog)
    assert parsed.bad_rows.empty and len(parsed.visits) == 1


@pytest.mark.parametrize("column", ["office_code", "staff_id", "called_at", "finished_at"])
def test_missing_required_values_are_reported(catalog, column):
    row = make_visit()
    row[column] = ""
    bad = bad_rows_of(good_then(row), catalog)
    assert set(bad["line"]) == {3}
    assert column in set(bad["column"])


def test_bad_rows_are_not_judged(catalog):
    parsed = parse([make_visit(service_code="S99", documents_requested="PHOTO"),
                    make_visit(visit_id="GOOD", documents_requested="PHOTO")], catalog)
    assert list(parsed.visits["visit_id"]) == ["GOOD"]


def test_a_visit_after_the_last_version_ended_is_a_data_error(tmp_path):
    folder = write_catalog(tmp_path / "ended",
                           services=[service("S1", versions=[version(effective_to="2026-03-31")])])
    bad = bad_rows_of([make_visit(called_at="2026-04-01T00:00"),
                       make_visit(called_at="2026-03-31T23:59:59")], folder)
    assert list(bad["line"]) == [2]
    assert list(bad["column"]) == ["service_code"]


@pytest.mark.parametrize("at_once", [True, False], ids=["few visits", "many visits"])
def test_the_version_in_force_is_the_catalogs_for_a_few_visits_and_for_many(monkeypatch, at_once):
    """A desk's few visits are matched to every version at once, an import's many version by
    version: both give the version the catalog itself says is in force, on and around every
    version's first and last day, for every service of the bundled catalog and for none."""
    import datetime as dt

    import numpy as np

    from monitor.compliance import CatalogFrames, catalog_frames
    from services_catalog import BUNDLED_CATALOG, load_catalog

    catalog = load_catalog(BUNDLED_CATALOG)
    frames = CatalogFrames.from_catalog(catalog)
    if not at_once:
        monkeypatch.setattr(catalog_frames, "_AT_ONCE", 0)
    cases = [("NOT-A-SERVICE", dt.date(2026, 4, 6))]
    for entry in catalog.services.values():
        for edition in entry.versions:
            for day in (edition.effective_from, edition.effective_to):
                if day is not None:
                    cases += [(entry.code, day + dt.timedelta(days=step)) for step in (-1, 0, 1)]
    expected = [catalog.version_in_force(code, day) for code, day in cases]
    day_numbers = np.array([(day - dt.date(1970, 1, 1)).days for _, day in cases], dtype="int64")
    codes = pd.Series([code for code, _ in cases], dtype=object)
    found = frames.version_in_force(codes, day_numbers) if not at_once else np.concatenate(
        [frames.version_in_force(codes[i:i + 3].reset_index(drop=True), day_numbers[i:i + 3])
         for i in range(0, len(cases), 3)])
    assert [frames.objects[n] if n >= 0 else None for n in found] == expected
    assert (found >= 0).any() and (found < 0).any()


def test_the_documents_of_few_and_many_visits_are_judged_as_a_join_with_the_catalog_gives():
    """A desk's three tokens and an import's many take the same lookup: each offending token
    once per visit, in the order requested, with the rule a join with the catalog's documents
    gives (an obtained document is the office's to get; an unknown one is extra)."""
    from monitor.compliance import CatalogFrames
    from monitor.compliance.rules import judge_documents, requested_tokens
    from services_catalog import BUNDLED_CATALOG, load_catalog

    frames = CatalogFrames.from_catalog(load_catalog(BUNDLED_CATALOG))
    codes = sorted(set(frames.documents["token"]))
    obtained = frames.documents.loc[frames.documents["kind"] == "obtained"].iloc[0]
    few = pd.DataFrame({
        "documents_requested": [";".join(codes[:3]), f"{obtained['token']}; Payslip ;Payslip;{codes[0]}", "",
                                "Payslip", ";".join(codes)],
        "version": [0, int(obtained["version"]), 1, -1, len(frames.versions) - 1]})
    generator = np.random.default_rng(3)
    many = pd.DataFrame({
        "documents_requested": [";".join(generator.choice(codes + ["Payslip", "Salary certificate"],
                                                          size=generator.integers(0, 5)))
                                for _ in range(3000)],
        "version": generator.integers(-1, len(frames.versions), size=3000)})
    for visits in (few, many):
        tokens = requested_tokens(visits)
        tokens["version"] = visits["version"].to_numpy()[tokens["row"].to_numpy()]
        joined = tokens.merge(frames.documents, on=["version", "token"], how="left")
        joined = joined[joined["kind"] != "lawful"].drop_duplicates(["row", "token"])
        expected = joined[["row", "token"]].assign(
            rule=np.where(joined["kind"] == "obtained", "STATE_SYSTEM_DOCUMENT", "EXTRA_DOCUMENT"))
        judged = judge_documents(visits, frames)
        assert judged.reset_index(drop=True).to_dict("list") == expected.reset_index(drop=True).to_dict("list")
    judged = judge_documents(few, frames)
    assert {"STATE_SYSTEM_DOCUMENT", "EXTRA_DOCUMENT"} <= set(judged["rule"])
    assert judged[judged["row"] == 1]["token"].tolist().count("Payslip") == 1
    assert set(judged[judged["row"] == 3]["token"]) == {"Payslip"}  # no version: every token is extra
