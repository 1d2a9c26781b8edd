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
