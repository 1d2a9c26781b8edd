"""Citizens and supervisors in a real browser."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from monitor.extensions import db
from monitor.models import Complaint, Finding
from monitor.stores.catalog import store_catalog
from monitor.tools.synthetic import generate_visits
from services_catalog import BUNDLED_CATALOG, load_catalog

from .browser import chromium_page, serve
from .conftest import PASSWORD

pytestmark = pytest.mark.browser


def test_citizen_finds_a_service_by_a_kazakh_word_and_complains(app):
    store_catalog(db.session, load_catalog(BUNDLED_CATALOG))
    db.session.commit()
    with serve(app) as base, chromium_page() as page:
        page.goto(f"{base}/?lang=kk")
        page.locator("#q").fill("неке қию")
        page.locator("#q").press("Enter")
        page.get_by_role("link", name="Неке қиюды (ерлі-зайыпты болуды) мемлекеттік тіркеу").click()
        page.locator("#must-not-ask").wait_for()
        must_not_ask = page.locator("ul.must-not-ask").inner_text()
        assert must_not_ask.strip() and must_not_ask.strip() != "—"

        page.goto(f"{base}/complaints/new?lang=en&service=703002")
        page.get_by_label("What happened?").select_option("extra_document")
        page.get_by_label("Describe what happened").fill("They asked me for a copy of my birth certificate.")
        page.get_by_role("button", name="Send").click()
        reference = page.locator("#reference").inner_text()
        assert reference.startswith("CMP-")
    complaint = db.session.scalar(select(Complaint))
    assert complaint.reference == reference and complaint.service_code == "703002"


def test_supervisor_follows_a_number_to_its_findings_and_dismisses_one(app, people, loaded_catalog, tmp_path):
    frame = generate_visits(load_catalog(loaded_catalog), visits=800, start=dt.date(2026, 3, 2), days=30,
                            offices=["OF1"], breach_rate=0.3)
    frame.to_csv(tmp_path / "v.csv", index=False)
    runner = app.test_cli_runner()
    assert runner.invoke(args=["visits", "import", str(tmp_path / "v.csv")]).exit_code == 0
    assert runner.invoke(args=["findings", "sweep", "--as-of", "2026-05-01T00:00"]).exit_code == 0
    with serve(app) as base, chromium_page() as page:
        page.goto(f"{base}/login?lang=en")
        page.get_by_label("Login").fill("super1")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.goto(f"{base}/supervisor/?week=2026-W12&lang=en")
        page.get_by_role("heading", name="Weekly quality report: 2026-W12").wait_for()
        page.locator("table.report a").first.click()  # a number of the OF1 row
        page.get_by_role("heading", name="Findings").wait_for()
        first = page.locator("tr.finding").first
        finding_id = int(first.get_attribute("id").split("-")[1])
        first.get_by_label("Decision").select_option("dismissed")
        first.get_by_label("Note").fill("ticket printer clock was wrong that day")
        first.get_by_role("button", name="Save review").click()
        page.locator(f"#finding-{finding_id}.dismissed").wait_for()
    finding = db.session.get(Finding, finding_id)
    db.session.refresh(finding)
    assert finding.review_status == "dismissed" and "printer" in finding.review_note
