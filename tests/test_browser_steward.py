"""Catalog stewards in a real browser (issue 25): one steward drafts a longer deadline with
its source and sees the stored case it re-times before submitting; a second steward approves;
the version is in force and the case's due time has moved."""
from __future__ import annotations

import datetime as dt

import pytest

from monitor.extensions import db
from monitor.models import Case, CatalogDraft
from monitor.services.context import current_catalog
from services_catalog.model import SOURCED_FACTS

from .browser import chromium_page, serve
from .conftest import PASSWORD
from .test_stewardship import open_case, stewards  # noqa: F401  (fixtures)

pytestmark = pytest.mark.browser


def sign_in(page, base: str, login: str) -> None:
    page.goto(f"{base}/login?lang=en")
    page.get_by_label("Login").fill(login)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Catalog stewardship").wait_for()


def test_a_steward_drafts_a_second_approves_and_the_version_takes_effect(app, stewards, open_case):  # noqa: F811
    due_before = open_case.due_at
    with serve(app) as base, chromium_page() as page:
        sign_in(page, base, "steward1")
        page.get_by_role("row", name="Service S1").get_by_role("link", name="Draft a new version").click()
        page.get_by_role("heading", name="New version: Service S1").wait_for()
        assert page.locator("#deadline_value").input_value() == "5"  # starts as the version in force
        page.locator("#effective_from").fill("2026-04-01")
        page.locator("#deadline_value").fill("10")
        page.get_by_label("New source: title").fill("Order No. 2 of the Minister, annex 1")
        page.get_by_label("New source: address (URL)").fill("https://adilet.zan.kz/rus/docs/V2600000002")
        for fact in SOURCED_FACTS:
            page.locator(f"#source_{fact}").select_option("new")
        page.get_by_role("button", name="Check the draft").click()

        affected = page.locator("#affected")
        affected.wait_for()
        assert open_case.case_number in affected.inner_text()
        assert "1 of them re-timed" in affected.inner_text()
        assert "10 working days" in page.locator("table.diff").inner_text()
        page.get_by_role("button", name="Submit for approval").click()
        page.get_by_text("Draft submitted: a second steward must approve it.").wait_for()
        assert page.locator("#draft-status").inner_text() == "submitted for approval"
        # The author is not offered the decision (four eyes).
        assert page.get_by_role("button", name="Approve: put it in force from its date").count() == 0
        page.get_by_role("button", name="Sign out (steward1)").click()

        sign_in(page, base, "steward2")
        page.get_by_role("link", name="#1").click()
        assert open_case.case_number in page.locator("#affected").inner_text()
        page.get_by_label("Reason").fill("Checked against the order on adilet.zan.kz")
        page.get_by_role("button", name="Approve: put it in force from its date").click()
        page.get_by_text("Approved: the version is in force from 1 April 2026; 1 case re-timed.").wait_for()
        assert page.locator("#draft-status").inner_text() == "approved"

        page.goto(f"{base}/services/S1?lang=en")
        # The citizens' page (cached until a catalog change) shows the new deadline at once.
        assert "10 working days" in page.locator("main").inner_text()

    db.session.expire_all()
    assert db.session.get(CatalogDraft, 1).status == "approved"
    assert current_catalog().version_in_force("S1", dt.date(2026, 4, 1)).deadline.value == 10
    assert db.session.get(Case, open_case.id).due_at > due_before
