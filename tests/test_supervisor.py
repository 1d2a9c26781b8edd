"""The supervisors' report equals the engine; exports hold the same numbers; reviews are audited."""
from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pandas as pd
import pytest
from flask_babel import force_locale
from sqlalchemy import select

from monitor.compliance import INDICATORS
from monitor.extensions import db
from monitor.models import AuditRecord, Finding, Visit
from monitor.services.citizens import file_complaint
from monitor.services.context import engine_inputs
from monitor.stores.findings import analyze_stored
from monitor.tools.synthetic import generate_visits
from monitor.views.exports import header
from services_catalog import load_catalog

pytestmark = pytest.mark.both_databases

WEEK = "2026-W12"


def load(app, catalog_dir, tmp_path):
    frame = generate_visits(load_catalog(catalog_dir), visits=2500, start=dt.date(2026, 2, 2), days=60,
                            offices=["OF1", "OF2"], breach_rate=0.2)
    frame.to_csv(tmp_path / "v.csv", index=False)
    runner = app.test_cli_runner()
    assert runner.invoke(args=["visits", "import", str(tmp_path / "v.csv")]).exit_code == 0
    assert runner.invoke(args=["findings", "sweep", "--as-of", "2026-04-30T00:00"]).exit_code == 0


def engine_by_office():
    inputs = engine_inputs()
    analysis, _ = analyze_stored(db.session, inputs.frames, inputs.calendar,
                                 pd.Timestamp("2026-04-30", tz="UTC"), inputs.thresholds)
    return analysis.indicators(inputs.timezone, "office").set_index(["week", "office"])


def test_report_numbers_equal_the_engine_and_exports_hold_them(client, login, loaded_catalog, tmp_path, app):
    load(app, loaded_catalog, tmp_path)
    login("admin")
    page = client.get(f"/supervisor/?week={WEEK}&lang=en")
    assert page.status_code == 200 and "<svg" in page.get_data(as_text=True)
    engine = engine_by_office()
    workbook = client.get(f"/supervisor/report.xlsx?week={WEEK}&lang=ru")
    assert workbook.status_code == 200
    # XLSX is for people: sheets and headers in the reader's language, rates as percent.
    sheets = pd.read_excel(io.BytesIO(workbook.data), sheet_name=None)
    offices = sheets["Отделения"].set_index("Отделение")
    with force_locale("ru"):
        headers = {name: header(name) for name in INDICATORS}
    assert headers["on_time_rate"] == "Завершено в срок"
    for office in ("OF1", "OF2"):
        for name in INDICATORS:
            if name in ("complaints", "confirmation_rate", "disputes_per_100_cases"):
                continue  # the engine's stateless run has no complaints and no applicants' answers
            expected, got = engine.at[(WEEK, office), name], offices.at[office, headers[name]]
            assert (pd.isna(expected) and pd.isna(got)) or abs(expected - got) < 1e-9, (office, name)
    table = pd.read_csv(io.BytesIO(client.get(f"/supervisor/report.csv?week={WEEK}").data))
    csv_offices = table[table["sheet"] == "office"].set_index("office")
    assert csv_offices.at["OF1", "cases_completed"] == engine.at[(WEEK, "OF1"), "cases_completed"]
    assert set(sheets) >= {"Зона ответственности", "Отделения", "Услуги", "Сотрудник", "Нагрузка"}
    cells = openpyxl.load_workbook(io.BytesIO(workbook.data))["Отделения"]
    rate_column = [c.value for c in cells[1]].index(headers["on_time_rate"]) + 1
    assert cells.cell(row=2, column=rate_column).number_format == "0.0%"
    assert cells.cell(row=1, column=rate_column).font.b  # headers stand out
    # A rate without a denominator is an empty cell, never NaN or 0.
    staff_sheet = openpyxl.load_workbook(io.BytesIO(workbook.data))["Сотрудник"]
    staff_headers = [c.value for c in staff_sheet[1]]
    refusal = staff_headers.index(headers["unfounded_refusal_rate"]) + 1
    refusals = [staff_sheet.cell(row=row, column=refusal).value for row in range(2, staff_sheet.max_row + 1)]
    assert None in refusals and all(value is None or 0 <= value <= 1 for value in refusals)


def test_supervisor_sees_only_the_area_and_reviews_with_a_note(client, login, loaded_catalog, tmp_path, app):
    load(app, loaded_catalog, tmp_path)
    login("super1")  # supervises OF1 only
    report = pd.read_excel(io.BytesIO(client.get(f"/supervisor/report.xlsx?week={WEEK}&lang=en").data),
                           sheet_name="Offices")
    assert list(report["Office"]) == ["OF1"]
    mine = db.session.scalar(select(Finding.id).join(Visit, Finding.visit_pk == Visit.id)
                             .where(Visit.office_code == "OF1").limit(1))
    theirs = db.session.scalar(select(Finding.id).join(Visit, Finding.visit_pk == Visit.id)
                               .where(Visit.office_code == "OF2").limit(1))
    assert client.post(f"/supervisor/findings/{theirs}/review",
                       data={"decision": "dismissed", "note": "x"}).status_code == 404
    assert client.post(f"/supervisor/findings/{mine}/review",
                       data={"decision": "dismissed", "note": "queue system clock was wrong"}).status_code == 302
    finding = db.session.get(Finding, mine)
    assert finding.review_status == "dismissed" and finding.review_note == "queue system clock was wrong"
    record = db.session.scalar(select(AuditRecord).where(AuditRecord.entity == "finding"))
    assert record.actor == "super1" and record.new_values["review_status"] == "dismissed"
    listing = client.get("/supervisor/findings?status=dismissed&lang=en").get_data(as_text=True)
    assert f'id="finding-{mine}"' in listing  # dismissed findings stay visible, as dismissed
    # A review without a note is refused.
    client.post(f"/supervisor/findings/{mine}/review", data={"decision": "confirmed", "note": ""})
    assert db.session.get(Finding, mine).review_status == "dismissed"


def test_desk_users_cannot_review_or_read_complaints(client, login, loaded_catalog):
    login("desk1")
    assert client.get("/supervisor/").status_code == 403
    assert client.get("/supervisor/complaints").status_code == 403


def test_inducement_reports_reach_the_supervisor_of_the_office(client, login, loaded_catalog):
    filed = file_complaint(db.session, kind="inducement", text="asked for money", office_code="OF1",
                           contact="+7 700 000 00 00")
    file_complaint(db.session, kind="delay", text="late", office_code="OF2")
    db.session.commit()
    login("super1")
    page = client.get("/supervisor/complaints?lang=en").get_data(as_text=True)
    assert filed.reference in page and "OF2" not in page
    detail = client.get(f"/supervisor/complaints/{filed.reference}?lang=en").get_data(as_text=True)
    assert "+7 700 000 00 00" in detail
    response = client.post(f"/supervisor/complaints/{filed.reference}",
                           data={"answer": "Investigated; staff member suspended.", "close": "y"})
    assert response.status_code == 302
    follow = client.post("/complaints/follow?lang=en", data={"reference": filed.reference,
                                                             "code": filed.follow_up_code})
    assert "staff member suspended" in follow.get_data(as_text=True)


def test_case_timeline_drill_down(client, login, loaded_catalog, tmp_path, app):
    load(app, loaded_catalog, tmp_path)
    login("super1")
    from monitor.models import Case
    number = db.session.scalar(select(Case.case_number).join(Finding, Finding.case_pk == Case.id)
                               .where(Finding.rule == "DEADLINE_MISSED", Case.office_code == "OF1"))
    page = client.get(f"/supervisor/cases/{number}?lang=en")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "DEADLINE_MISSED" in text and "submit" in text
    other = db.session.scalar(select(Case.case_number).where(Case.office_code == "OF2"))
    assert client.get(f"/supervisor/cases/{other}").status_code == 404


def test_a_forwarded_case_keeps_one_timeline_in_the_area_reports(app, loaded_catalog, tmp_path):
    """Accepted in OF1, issued in OF2: OF1 counts the acceptance, OF2 the on-time completion."""
    from monitor.services import reports

    from .test_import import row, run_import, write_csv
    rows = [row("v1", case_id="CF", called="2026-03-16T10:00", finished="2026-03-16T10:10", ticket=""),
            row("v2", case_id="CF", action="forward", called="2026-03-17T10:00", finished="2026-03-17T10:05",
                ticket="", documents="", forwarded_to="OF2"),
            row("v3", case_id="CF", action="issue", called="2026-03-18T10:00", finished="2026-03-18T10:05",
                ticket="", documents="", office_code="OF2")]
    assert run_import(app, write_csv(tmp_path / "v.csv", rows)).exit_code == 0
    inputs = engine_inputs()
    of1 = reports.weekly_report(db.session, inputs, WEEK, ["OF1"])
    of2 = reports.weekly_report(db.session, inputs, WEEK, ["OF2"])
    first = of1.by_scope["office"].set_index("office")
    second = of2.by_scope["office"].set_index("office")
    assert first.at["OF1", "cases_accepted"] == 1 and first.at["OF1", "cases_completed"] == 0
    assert second.at["OF2", "cases_completed"] == 1 and second.at["OF2", "on_time_rate"] == 1.0
    assert list(first.index) == ["OF1"] and list(second.index) == ["OF2"]


def test_every_indicator_of_offices_services_and_staff_is_on_a_page_of_its_own(client, login, loaded_catalog,
                                                                             tmp_path, app):
    """A national report cannot carry hundreds of offices and thousands of staff with every
    indicator: the report links to a page per table, which shows every office, service or
    staff member of the area with the export's numbers (and the staff's workload)."""
    load(app, loaded_catalog, tmp_path)
    login("super1")  # supervises OF1 only
    report = client.get(f"/supervisor/?week={WEEK}&lang=en").get_data(as_text=True)
    exported = pd.read_csv(io.BytesIO(client.get(f"/supervisor/report.csv?week={WEEK}").data))
    staff = exported[exported["sheet"] == "staff"]
    assert len(staff) > 1 and set(staff["staff"].str[:3]) == {"OF1"}
    assert not any(f'<th scope="row">{member}</th>' in report for member in staff["staff"])
    for table, scope in (("offices", "office"), ("services", "service"), ("staff", "staff")):
        assert f"/supervisor/{table}?week={WEEK}" in report
        page = client.get(f"/supervisor/{table}?week={WEEK}&lang=en")
        assert page.status_code == 200, table
        text = page.get_data(as_text=True)
        rows = exported[exported["sheet"] == scope]
        assert len(rows) >= 1
        with app.test_request_context("/?lang=en"):
            from monitor.views.words import format_indicator
            for _, row in rows.iterrows():
                start = text.index(f'<th scope="row">{row[scope]}')
                cells = text[start:].split("</tr>")[0]
                assert cells.count("<td>") == len(INDICATORS), (table, row[scope])
                # Every indicator of the row, formatted as the report formats it, in order.
                at = 0
                for name in INDICATORS:
                    shown = format_indicator(row[name], name)
                    at = cells.index(shown, at)
        if scope == "office":  # an office's numbers link to their findings
            assert "/supervisor/findings?rule=" in text and "OF2" not in text
        if scope == "staff":
            workload = exported[exported["sheet"] == "workload"]
            busiest = workload.sort_values("visits", ascending=False).iloc[0]
            assert f"<td>{busiest['staff_id']}</td><td>{int(busiest['visits'])}</td>" in text
        else:
            assert "workload-heading" not in text
    assert client.get("/supervisor/staff?week=2026-W99").status_code == 400
    assert client.get(f"/supervisor/cases?week={WEEK}").status_code == 404


def test_a_pages_findings_links_are_url_fors_own(app):
    """findings_linker builds each office's link from one url_for per indicator: the very
    text url_for gives, whatever characters an office code holds."""
    from monitor.views.supervisor.routes import findings_link, findings_linker
    with app.test_request_context("/supervisor/"):
        linker = findings_linker()
        for indicator in ("extra_document_rate", "overdue_open", "red_tape_per_100_cases", "lead_time_p50_hours"):
            for office in ("OF1", None, "", "A B&C/ш?=#%+", "OF-001-X3"):
                assert linker(indicator, office, WEEK) == findings_link(indicator, office, WEEK), (indicator, office)
