"""A desk user's day in a real browser: sign in, log a visit with an extra document, be
warned, save with a reason, read the receipt; switch the page to Kazakh."""
from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import select

from monitor.extensions import db
from monitor.models import Case, Finding, Visit

from .browser import chromium_page, serve
from .conftest import PASSWORD

pytestmark = pytest.mark.browser


def pdf_pages(pdf: bytes) -> int:
    """The number of pages of a PDF Chromium printed (its page objects)."""
    return len(re.findall(rb"/Type\s*/Page(?![s\w])", pdf))


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
        # The warning shows as the document is typed, before Save (static/js/desk-warnings.js).
        warning = page.locator("#warnings")
        warning.wait_for()
        assert "2.2.3" in warning.inner_text()
        assert "Salary certificate" in warning.inner_text()
        page.locator("details.times summary").click()
        page.get_by_label("Called to the desk").fill("2026-03-20T10:00")
        page.get_by_label("Finished", exact=True).fill("2026-03-20T10:15")
        page.get_by_label("Queue ticket taken").fill("2026-03-20T09:55")
        page.get_by_label("Reason for saving despite the warning").fill("applicant brought it anyway")
        page.get_by_role("button", name="Save with this reason").click()

        # 20 March 2026 is long past: a late entry needs its own reason (the server says so).
        page.locator("#late-entry").wait_for()
        assert "Salary certificate" in warning.inner_text()
        assert page.get_by_label("Reason for saving despite the warning").input_value() == "applicant brought it anyway"
        page.get_by_label("Why is this visit entered after its working day?").fill("typed in from the paper log")
        page.get_by_role("button", name="Save with this reason").click()

        page.get_by_role("heading", name="Receipt").wait_for()
        # Accepted Friday 20 March 2026; Nauryz (21-25 March) and a weekend skipped: 1 April.
        assert page.locator("#due-at").get_attribute("datetime") == "2026-04-01T23:59:59+05:00"
        assert page.locator("#due-at").inner_text() == "1 April 2026, 23:59"
        assert len(page.locator("#check-code").inner_text().strip()) == 6
        assert "Nowruz" in page.locator("ol.explain").inner_text()

        page.get_by_role("link", name="Қазақша").click()
        assert page.locator("html").get_attribute("lang") == "kk"
        assert page.get_by_role("heading", name="Қолхат").is_visible()
        assert "Наурыз мейрамы" in page.locator("ol.explain").inner_text()
        # Printed, the receipt is one A4 page (print stylesheet: no navigation, compact).
        assert pdf_pages(page.pdf(format="A4")) == 1

    finding = db.session.scalar(select(Finding).where(Finding.rule == "EXTRA_DOCUMENT"))
    assert finding is not None and "Salary certificate" in finding.detail
    assert dt.date.today()


def test_a_clerk_logs_a_forward_by_keyboard_alone_in_russian(app, client, login, loaded_catalog):
    """Choose the action first (arrow keys), only its fields show, a handful of Tab presses,
    a clear confirmation; "called" was set when the form opened, "finished" on saving."""
    login("desk1")
    client.post("/desk/visits/new", data={
        "service_code": "S1", "action": "submit", "documents": ["APPLICATION", "MARRIAGE_CERT"],
        "called_at": "2026-03-20T10:00", "finished_at": "2026-03-20T10:10",
        "late_reason": "typed from the paper log"})
    case = db.session.scalar(select(Case))
    with serve(app) as base, chromium_page() as page:
        page.goto(f"{base}/login?lang=ru")
        page.get_by_label("Логин").fill("desk1")
        page.get_by_label("Пароль").fill(PASSWORD)
        page.keyboard.press("Enter")
        page.get_by_role("heading", name="Сегодня во фронт-офисе").wait_for()
        row = page.locator("tr", has_text=case.case_number)
        assert "выдайте результат или откажите по законному основанию" in row.inner_text()  # the next step
        opened = dt.datetime.now(dt.timezone(dt.timedelta(hours=5))).replace(second=0, microsecond=0)
        page.goto(f"{base}/desk/visits/new?service=S1&case={case.case_number}")
        forwarded_to = page.get_by_label("Куда перенаправлено", exact=True)
        # Before choosing: a submit, whose fields do not include the forward's.
        assert page.locator("input[name=action][value=submit]").is_checked()
        assert forwarded_to.is_hidden() and page.get_by_label("Основание для отказа").is_hidden()
        # The action comes first and has the focus (autofocus lands a moment after the load).
        page.wait_for_function("document.activeElement && document.activeElement.name === 'action'", timeout=5000)
        for _ in range(3):  # submit -> return -> resubmit -> forward
            page.keyboard.press("ArrowDown")
        assert page.locator("input[name=action][value=forward]").is_checked()
        assert forwarded_to.is_visible() and page.get_by_label("Основание для отказа").is_hidden()
        assert page.locator("input[name=documents]").first.is_hidden()
        tabs = 0
        while page.evaluate("document.activeElement.name") != "forwarded_to":
            page.keyboard.press("Tab")
            tabs += 1
            assert tabs < 5
        page.keyboard.type("OF2")
        while page.evaluate("document.activeElement.type") != "submit":
            page.keyboard.press("Tab")
            tabs += 1
        assert tabs <= 5, tabs  # a handful: case number, forwarded to, (times), save
        page.keyboard.press("Enter")
        page.get_by_role("heading", name="Расписка").wait_for()
        confirmation = page.locator(".flash.success").inner_text()
        assert confirmation.startswith("Сохранено: перенаправлено") and case.case_number in confirmation
    visit = db.session.scalar(select(Visit).where(Visit.action == "forward"))
    assert visit.forwarded_to == "OF2" and visit.case_pk == case.id
    called = visit.called_at.astimezone(opened.tzinfo)
    assert called == opened or called == opened + dt.timedelta(minutes=1)
    assert visit.finished_at >= visit.called_at
