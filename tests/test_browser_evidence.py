"""Findings are evidence, in a real browser: the desk corrects a visit away from a finding,
sees which finding it would clear and sends it to the supervisor, who approves it, sees the
finding marked "no longer firing" with the correction's reason and reopens it."""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from monitor.calendar import LOCAL_TIMEZONE
from monitor.extensions import db
from monitor.models import AuditRecord, Finding, Visit

from .browser import chromium_page, serve
from .conftest import PASSWORD

pytestmark = pytest.mark.browser
STAMP = "%Y-%m-%dT%H:%M"


def sign_in(page, base, login):
    page.goto(f"{base}/login?lang=en")
    page.get_by_label("Login").fill(login)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_desk_corrects_a_visit_and_the_supervisor_reopens_the_finding(app, people, loaded_catalog):
    # A visit of today (no late-entry reason asked), in the past, whatever the time of day.
    now = dt.datetime.now(ZoneInfo(LOCAL_TIMEZONE)).replace(second=0, microsecond=0)
    called = max(now.replace(hour=0, minute=0), now - dt.timedelta(hours=2))
    finished = min(called + dt.timedelta(minutes=10), now)
    with serve(app) as base, chromium_page() as page:
        sign_in(page, base, "desk1")
        page.get_by_role("heading", name="Today at the desk").wait_for()
        page.goto(f"{base}/desk/visits/new?service=S1")
        page.get_by_label("Application", exact=True).check()
        page.get_by_label("Marriage certificate").check()
        page.get_by_label("Other documents asked for (one per line)").fill("Salary certificate")
        page.locator("#warnings").wait_for()  # warned as it is typed, before Save
        page.locator("details.times summary").click()  # the times are folded away until needed
        page.get_by_label("Called to the desk").fill(called.strftime(STAMP))
        page.get_by_label("Finished", exact=True).fill(finished.strftime(STAMP))
        page.get_by_label("Reason for saving despite the warning").fill("applicant brought it anyway")
        page.get_by_role("button", name="Save with this reason").click()
        page.get_by_role("heading", name="Receipt").wait_for()

        page.goto(f"{base}/desk/")
        page.get_by_role("link", name="Correct").first.click()
        page.locator("#correction-window").wait_for()
        # Documents by name (the new-visit form's picker); the free text is removed.
        assert page.get_by_label("Application", exact=True).is_checked()
        page.get_by_label("Other documents asked for (one per line, by their name in the catalog)").fill("")
        page.get_by_label("Why is this corrected?").fill("salary certificate typed by mistake")
        page.get_by_role("button", name="Save the correction").click()
        # The form says which finding the correction would clear, and that a supervisor decides.
        effect = page.locator("#correction-effect")
        effect.wait_for()
        assert "Document not provided for by the rules" in effect.inner_text()
        page.get_by_role("button", name="Send the correction to a supervisor").click()
        page.get_by_text("needs a supervisor's approval").wait_for()
        page.get_by_role("button", name="Sign out").click()

        sign_in(page, base, "super1")
        page.goto(f"{base}/supervisor/corrections?lang=en")
        page.get_by_label("Note").fill("the applicant confirms: only the two documents")
        page.get_by_role("button", name="Decide").click()
        page.goto(f"{base}/supervisor/findings?firing=no&lang=en")
        row = page.locator("tr.no-longer-firing")
        row.wait_for()
        assert "No longer firing" in row.inner_text()
        assert "salary certificate typed by mistake" in row.locator(".cleared-reason").inner_text()
        assert "Document not provided for by the rules" in row.inner_text()  # EXTRA_DOCUMENT in words
        row.get_by_label("Decision").select_option("reopened")
        row.get_by_label("Note").fill("the applicant says it was asked; keep it")
        row.get_by_role("button", name="Save review").click()
        page.get_by_text("reopened").first.wait_for()

    finding = db.session.scalar(select(Finding).where(Finding.rule == "EXTRA_DOCUMENT"))
    assert finding.firing is False and finding.review_status == "reopened"
    assert "keep it" in finding.review_note
    assert db.session.scalar(select(Visit.documents_requested)) == "APPLICATION;MARRIAGE_CERT"
    review = db.session.scalar(select(AuditRecord).where(AuditRecord.action == "review"))
    assert review.actor == "super1" and review.new_values["review_status"] == "reopened"
