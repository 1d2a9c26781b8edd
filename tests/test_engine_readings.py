"""Readings of the spec decided after review: each pinned by a test."""
from __future__ import annotations

import pandas as pd

from monitor.calendar import WorkingCalendar
from monitor.compliance import CatalogFrames, judge, parse_visits, read_visit_file
from services_catalog import load_catalog

from .visits import make_visit, raw_frame

HEADER = ("visit_id,case_id,office_code,service_code,staff_id,applicant_ref,ticket_at,called_at,"
          "finished_at,action,documents_requested,refusal_ground,forwarded_to\n")


def frames(catalog_dir):
    return CatalogFrames.from_catalog(load_catalog(catalog_dir))


def test_a_repeat_is_compared_with_the_first_row_kept(catalog_dir, tmp_path):
    rows = [make_visit(visit_id="X", staff_id="A"), make_visit(visit_id="X", staff_id="B"),
            make_visit(visit_id="X", staff_id="B"), make_visit(visit_id="X", staff_id="A")]
    from monitor.compliance import frame_from_text
    parsed = parse_visits(frame_from_text(raw_frame(rows)), frames(catalog_dir), "Asia/Almaty")
    assert sorted(parsed.bad_rows["line"]) == [3, 4]  # both differ from line 2
    assert parsed.ignored_repeats == 1 and len(parsed.visits) == 1


def test_a_forward_needs_forwarded_to(catalog_dir):
    from monitor.compliance import frame_from_text
    parsed = parse_visits(frame_from_text(raw_frame([make_visit(action="forward", forwarded_to="")])),
                          frames(catalog_dir), "Asia/Almaty")
    assert list(parsed.bad_rows["column"]) == ["forwarded_to"]


def test_line_numbers_count_blank_lines(catalog_dir, tmp_path):
    path = tmp_path / "v.csv"
    path.write_text(HEADER + "v1,C1,OF1,S1,st,,,2026-04-06T10:00,2026-04-06T10:05,submit,,,\n\n\n"
                    "v2,C2,OF1,S1,st,,,2026-04-06T10:00,2026-04-06T10:05,stamp,,,\n")
    parsed = parse_visits(read_visit_file(path), frames(catalog_dir), "Asia/Almaty")
    assert list(parsed.bad_rows["line"]) == [5] and len(parsed.visits) == 1


def test_a_log_of_consultations_needs_no_case_id_column(catalog_dir, tmp_path):
    path = tmp_path / "v.csv"
    path.write_text("visit_id,office_code,service_code,staff_id,called_at,finished_at,action\n"
                    "v1,OF1,S1,st,2026-04-06T10:00,2026-04-06T10:05,consult\n"
                    "v2,OF1,S1,st,2026-04-06T10:00,2026-04-06T10:05,submit\n")
    parsed = parse_visits(read_visit_file(path), frames(catalog_dir), "Asia/Almaty")
    assert list(parsed.visits["visit_id"]) == ["v1"]
    assert list(parsed.bad_rows["column"]) == ["case_id"]


def test_a_case_completed_after_the_as_of_time_was_overdue_at_it(catalog_dir):
    from monitor.compliance import frame_from_text
    rows = [make_visit(case_id="C1", action="submit", called_at="2026-04-06T10:00"),   # due 13 April
            make_visit(case_id="C1", action="issue", called_at="2026-05-20T10:00")]
    parsed = parse_visits(frame_from_text(raw_frame(rows)), frames(catalog_dir), "Asia/Almaty")
    calendar = WorkingCalendar(timezone="Asia/Almaty")
    early = judge(parsed.visits, frames(catalog_dir), calendar, pd.Timestamp("2026-05-01T00:00+05:00"))
    assert set(early.finding_table()["rule"]) >= {"OVERDUE_OPEN"}
    late = judge(parsed.visits, frames(catalog_dir), calendar, pd.Timestamp("2026-06-01T00:00+05:00"))
    assert "OVERDUE_OPEN" not in set(late.finding_table()["rule"])
    assert "DEADLINE_MISSED" in set(late.finding_table()["rule"])


def test_local_time_is_utc_plus_5_even_before_2024(tmp_path):
    """Asia/Almaty was UTC+6 until March 2024; the rules' local time is UTC+5 for all dates."""
    from monitor.calendar import LOCAL_TIMEZONE
    from monitor.compliance import frame_from_text

    from .catalogs import service, version, write_catalog
    folder = write_catalog(tmp_path / "c", services=[service("S0", versions=[
        version(effective_from="2023-01-01", deadline={"value": 0, "unit": "working_days"})])])
    catalog_frames = frames(folder)
    rows = [make_visit(service_code="S0", case_id="C1", action="submit", called_at="2023-06-01T10:00+05:00"),
            make_visit(service_code="S0", case_id="C1", action="issue", called_at="2023-06-01T23:50:00+05:00",
                       finished_at="2023-06-01T23:59:59+05:00")]
    parsed = parse_visits(frame_from_text(raw_frame(rows)), catalog_frames, LOCAL_TIMEZONE)
    analysis = judge(parsed.visits, catalog_frames, WorkingCalendar(), pd.Timestamp("2023-07-01", tz="UTC"))
    assert "DEADLINE_MISSED" not in set(analysis.finding_table()["rule"])
    assert analysis.cases.loc[0, "due_at"] == pd.Timestamp("2023-06-01T23:59:59+05:00")


def test_judge_lists_a_visits_findings_in_the_rules_order_then_the_cases(catalog_dir):
    """The findings table follows the spec's tables: a visit's findings in the rules' order,
    visit findings by row, then case findings (judge's positions: test_engine_boundaries)."""
    from monitor.compliance import RULES, frame_from_text
    rows = [make_visit(action="submit", called_at="2026-04-06T10:00", ticket_at="2026-04-06T08:00",
                       finished_at="2026-04-06T12:00", documents_requested="X1;X2"),
            make_visit(action="issue", called_at="2026-05-20T10:00")]
    parsed = parse_visits(frame_from_text(raw_frame(rows)), frames(catalog_dir), "Asia/Almaty")
    found = judge(parsed.visits, frames(catalog_dir), WorkingCalendar(),
                  pd.Timestamp("2026-06-01", tz="UTC")).findings
    assert list(found["rule"]) == ["EXTRA_DOCUMENT", "QUEUE_WAIT_EXCEEDED", "SERVICE_TIME_EXCEEDED",
                                   "DEADLINE_MISSED"]
    assert list(found["row"]) == [0, 0, 0, -1] and list(found["case_row"]) == [-1, -1, -1, 0]
    order = list(RULES)
    assert [order.index(rule) for rule in found["rule"][:3]] == sorted(order.index(rule) for rule in found["rule"][:3])
