"""The applicant as witness in a real browser (issue 27): on a phone, in Kazakh and Russian,
the citizen opens the receipt's link, disputes a document that was not logged, and the
supervisor sees the new finding with the citizen's account, while the clerk's pages show
nothing that identifies who answered."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from monitor.extensions import db
from monitor.models import Finding

from .browser import chromium_page, serve
from .conftest import PASSWORD
from .test_desk import visit_form

pytestmark = pytest.mark.browser

WORDS = {
    "kk": {"no": "Жоқ, бірдеңе басқаша болды", "send": "Жауапты жіберу", "dispute": "Өтініш беруші жазбаны даулайды",
           "document": "Address certificate (kk)"},
    "ru": {"no": "Нет, что-то было иначе", "send": "Отправить ответ", "dispute": "Заявитель оспаривает запись",
           "document": "Address certificate (ru)"},
}
OVERFLOW = "document.documentElement.scrollWidth - window.innerWidth"


def _sign_in(page, base, login):
    page.goto(f"{base}/login?lang=en")
    page.get_by_label("Login").fill(login)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()


@pytest.mark.parametrize("language", ["kk", "ru"])
def test_a_citizen_disputes_a_document_and_the_supervisor_sees_it(app, client, login, loaded_catalog, language):
    login("desk1")
    saved = client.post("/desk/visits/new", data=visit_form())
    receipt = client.get(saved.headers["Location"]).get_data(as_text=True)
    number = re.search(r'id="case-number">([^<]+)<', receipt).group(1)
    link = re.search(r'id="witness-link" href="([^"]+)"', receipt).group(1)
    path = re.sub(r"^https?://[^/]+", "", link)
    client.post("/logout")
    words = WORDS[language]
    account = {"kk": "Мекенжай анықтамасын әкелуді талап етті.",
               "ru": "Потребовали принести адресную справку."}[language]

    with serve(app) as base, chromium_page(width=390, height=844) as page:
        page.goto(f"{base}{path}?lang={language}")
        visit = page.locator("#visit-0")
        logged = visit.locator("dd.documents").inner_text()
        assert "Application" in logged and words["document"] not in logged
        visit.get_by_label(words["no"]).check()
        visit.get_by_label(words["document"]).check()
        visit.locator("textarea[name='v0-account']").fill(account)
        assert page.evaluate(OVERFLOW) <= 0
        visit.get_by_role("button", name=words["send"]).click()
        page.locator(".flash.success").wait_for()
        assert page.locator("#visit-0 .answer-status").get_attribute("data-verdict") == "disputed"
        assert page.evaluate(OVERFLOW) <= 0

        _sign_in(page, base, "super1")
        page.goto(f"{base}/supervisor/findings?lang={language}")
        body = page.locator("main").inner_text()
        assert words["dispute"] in body and account in body

        page.context.clear_cookies()  # the supervisor leaves; the clerk signs in
        _sign_in(page, base, "desk1")
        for where in ("/desk/", f"/desk/receipts/{number}"):
            page.goto(f"{base}{where}?lang={language}")
            text = page.locator("main").inner_text()
            assert account not in text and words["dispute"] not in text, where

    found = {f.rule for f in db.session.scalars(select(Finding))}
    assert {"CITIZEN_DISPUTE", "STATE_SYSTEM_DOCUMENT"} <= found
