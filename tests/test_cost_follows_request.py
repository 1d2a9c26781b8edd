"""Cost follows the request: cacheable citizens' pages, paginated findings, one overdue definition."""
from __future__ import annotations

import datetime as dt
import re

import pandas as pd
import pytest
from sqlalchemy import func, select

from monitor.compliance.rules import is_overdue_open
from monitor.extensions import db
from monitor.models import Case, Finding
from monitor.stores import calendar as calendar_store

from .test_import import row, run_import, write_csv
from .test_supervisor import load as load_supervisor_data

pytestmark = pytest.mark.both_databases


def test_citizens_pages_are_cacheable_and_answer_304_without_rendering(client, loaded_catalog, monkeypatch):
    from monitor.views.public import routes
    first = client.get("/services/S1?lang=en")
    assert first.status_code == 200 and first.headers["ETag"] and first.headers["Last-Modified"]
    assert first.cache_control.public and first.cache_control.max_age == 300
    tag = first.headers["ETag"]

    def no_rendering(*args, **kwargs):
        raise AssertionError("a matching conditional request must not render")
    monkeypatch.setattr(routes, "render_template", no_rendering)
    again = client.get("/services/S1", headers={"If-None-Match": tag})
    assert again.status_code == 304 and again.data == b"" and again.headers["ETag"] == tag
    since = client.get("/services/S1/checklist", headers={"If-Modified-Since": first.headers["Last-Modified"]})
    assert since.status_code == 304
    monkeypatch.undo()

    # Another page, another query, another language: other tags.
    catalog = client.get("/?q=marriage")
    assert catalog.status_code == 200 and catalog.headers["ETag"] not in (tag, client.get("/").headers["ETag"])
    assert client.get("/services/S1?lang=kk").headers["ETag"] != tag

    # A calendar change is a new version of the pages: the old tag no longer matches.
    calendar_store.set_override(db.session, dt.date(2030, 1, 2), False, "test", "admin")
    db.session.commit()
    changed = client.get("/services/S1?lang=en", headers={"If-None-Match": tag})
    assert changed.status_code == 200 and changed.headers["ETag"] != tag


def test_signed_in_pages_are_not_shared(client, login, loaded_catalog):
    login("desk1")
    page = client.get("/services/S1")
    assert page.status_code == 200 and not page.cache_control.public and "ETag" not in page.headers


def test_findings_list_pages_through_everything_and_filters(client, login, loaded_catalog, tmp_path, app):
    load_supervisor_data(app, loaded_catalog, tmp_path)
    login("admin")
    total = db.session.scalar(select(func.count()).select_from(Finding))
    assert total > 250  # more than two pages: nothing may be cut off at a page size
    seen = []
    page_number = 1
    while True:
        page = client.get(f"/supervisor/findings?page={page_number}")
        assert page.status_code == 200
        text = page.get_data(as_text=True)
        shown = re.search(r'id="findings-total">([^<]*)', text).group(1)
        assert re.sub(r"\D", "", shown.split("·")[0]) == str(total)
        ids = [int(i) for i in re.findall(r'id="finding-(\d+)"', text)]
        assert len(ids) <= 100
        seen += ids
        if 'rel="next"' not in text:
            break
        page_number += 1
    assert sorted(seen) == sorted(db.session.scalars(select(Finding.id))) and page_number >= 3

    high = client.get("/supervisor/findings?severity=high&office=OF1").get_data(as_text=True)
    ids = [int(i) for i in re.findall(r'id="finding-(\d+)"', high)]
    assert ids and set(db.session.scalars(select(Finding.severity).where(Finding.id.in_(ids)))) == {"high"}
    assert client.get("/supervisor/findings?page=0").status_code == 400


def test_overdue_means_open_and_overdue_everywhere(app, loaded_catalog, tmp_path):
    """A case issued late is late, not overdue: the citizens' page says so, as the engine does."""
    from monitor.services.citizens import case_status
    from monitor.services.front_desk import check_code_hash
    from monitor.stores.weeks import overdue_open_sql
    assert run_import(app, write_csv(tmp_path / "v.csv", [
        row("v1", case_id="LATE"),
        row("v2", case_id="LATE", action="issue", called="2026-07-20T10:00", finished="2026-07-20T10:05",
            ticket="", documents=""),
        row("v3", case_id="OPEN")])).exit_code == 0
    now = dt.datetime(2026, 8, 1, tzinfo=dt.UTC)
    for case in db.session.scalars(select(Case)):
        case.check_code_hash = check_code_hash(case.case_number, "ABCDEF")
    db.session.commit()
    late = case_status(db.session, "LATE", "ABCDEF", now)
    assert late.completed_at > late.due_at and late.overdue is False
    still_open = case_status(db.session, "OPEN", "ABCDEF", now)
    assert still_open.overdue is True
    cases = pd.read_sql(select(Case.case_number, Case.accepted_at, Case.due_at, Case.completed_at,
                               Case.withdrawn_at), db.session.connection())
    for column in ("accepted_at", "due_at", "completed_at", "withdrawn_at"):
        cases[column] = pd.to_datetime(cases[column], utc=True, format="ISO8601")
    engine = set(cases.loc[is_overdue_open(cases, pd.Timestamp(now)), "case_number"])
    assert engine == {"OPEN"} == set(db.session.scalars(select(Case.case_number).where(overdue_open_sql(now))))
