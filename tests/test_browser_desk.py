"""A desk user's day in a real browser: sign in, log a visit with an extra document, be
warned, save with a reason, read the receipt; switch the page to Kazakh."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from monitor.extensions import db
from monitor.models import Finding

from .browser import chromium_page, serve
from .conftest import PASSWORD

pytestmark = pytest.mark.browser


def test_desk_logs_a_visit_is_warned_and_gets_a_receipt(app, people, loaded_catalog):
    with serve(app) as base, chromium_page() as page:
        page.goto(f"{base}/login?lang=en")
        page.get_by_label("Login").fill("desk1")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.get_by_role("heading", name="Today at the desk").wait_for()

        page.get_by_role("link", name="Log a new visit").click()
        page.get_by_label("Service code or name (any language)").fill("S1")
        page.get_by_role("button", name="Find").click()
        page.get_by_label("Application", exact=True).check()
        page.get_by_label("Marriage certificate").check()
        page.get_by_label("Other documents asked for (one per line)").fill("Salary certificate")
        page.get_by_label("Called to the desk").fill("2026-03-20T10:00")
        page.get_by_label("Finished", exact=True).fill("2026-03-20T10:15")
        page.get_by_label("Queue ticket taken").fill("2026-03-20T09:55")
        page.get_by_role("button", name="Save the visit").click()

        warning = page.locator("#warnings")
        warning.wait_for()
        assert "2.2.3" in warning.inner_text()
        assert "Salary certificate" in warning.inner_text()
        page.get_by_label("Reason for saving despite the warning").fill("applicant brought it anyway")
        # 20 March 2026 is long past: a late entry needs its own reason.
        assert page.locator("#late-entry").is_visible()
        page.get_by_label("Why is this visit entered after its working day?").fill("typed in from the paper log")
        page.get_by_role("button", name="Save with this reason").click()

        page.get_by_role("heading", name="Receipt").wait_for()
        # Accepted Friday 20 March 2026; Nauryz (21-25 March) and a weekend skipped: 1 April.
        assert page.locator("#due-at").inner_text().startswith("2026-04-01 23:59")
        assert len(page.locator("#check-code").inner_text().strip()) == 6
        assert "Nowruz" in page.locator("pre.explain").inner_text()

        page.get_by_role("link", name="Қазақша").click()
        assert page.locator("html").get_attribute("lang") == "kk"
        assert page.get_by_role("heading", name="Қолхат").is_visible()

    finding = db.session.scalar(select(Finding).where(Finding.rule == "EXTRA_DOCUMENT"))
    assert finding is not None and "Salary certificate" in finding.detail
    assert dt.date.today()
