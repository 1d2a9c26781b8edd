"""A citizen on a 390 px phone, in Kazakh and in Russian, in Chromium (issue 24): finds the
service, opens it and its printable checklist, checks a returned case by its number typed in
lower case with stray spaces, reads what to bring with the law behind each document, and
complains. No page of the walk has an English sentence."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from monitor.extensions import db
from monitor.models import Complaint
from monitor.stores.catalog import store_catalog
from services_catalog import BUNDLED_CATALOG, load_catalog

from .browser import chromium_page, serve
from .test_language_leaks import english_runs
from .test_returned_package import WORDS, returned_case

pytestmark = pytest.mark.browser

OVERFLOW = "document.documentElement.scrollWidth - window.innerWidth"
SERVICE_NAMES = {"ru": "Регистрация по постоянному месту жительства населения Республики Казахстан",
                 "kk": "Қазақстан Республикасы халқын тұрақты тұрғылықты жері бойынша тіркеу"}
PRINT_WORDS = {"ru": "Распечатать памятку", "kk": "Жадынаманы басып шығару"}
COMPLAINT = {"ru": "Вернули документы, хотя всё было принесено.",
             "kk": "Құжаттарды қайтарды, бірақ бәрі әкелінген еді."}


@pytest.fixture
def bundled(app):
    store_catalog(db.session, load_catalog(BUNDLED_CATALOG))
    db.session.commit()


def _no_english(page, language: str, where: str) -> None:
    assert page.locator("html").get_attribute("lang") == language, where
    runs, _ = english_runs(page.content())
    assert runs == [], (language, where, runs)
    assert page.evaluate(OVERFLOW) <= 0, (language, where)


@pytest.mark.parametrize("language", ["kk", "ru"])
def test_a_citizen_on_a_phone_learns_what_to_bring_and_complains(app, client, login, people, bundled, language):
    number, code, _ = returned_case(client, login)
    client.post("/logout")
    words = WORDS[language]
    with serve(app) as base, chromium_page(width=390, height=844) as page:
        # Search for the service by the word people use, and open it.
        page.goto(f"{base}/?lang={language}")
        page.locator("#q").fill("прописка")
        page.locator("#q").press("Enter")
        page.wait_for_load_state()
        _no_english(page, language, "search")
        page.get_by_role("link", name=SERVICE_NAMES[language]).click()
        page.locator("#key-facts").wait_for()
        _no_english(page, language, "service")

        # Its checklist, with a print button.
        page.locator("a[href*='/checklist']").first.click()
        button = page.locator("button[data-print]")
        button.wait_for()
        assert button.is_visible() and button.inner_text() == PRINT_WORDS[language]
        _no_english(page, language, "checklist")

        # The returned case, by its number as a phone types it.
        page.goto(f"{base}/status?lang={language}")
        page.locator("input[name='case_number']").fill(f"  {number.lower()[:4]} {number.lower()[4:]}  ")
        page.locator("input[name='check_code']").fill(f" {code.lower()} ")
        page.locator("form.narrow button[type='submit']").click()
        page.locator("#status").wait_for()
        missing = page.locator("#missing-documents")
        assert missing.locator("h3").inner_text() == words["heading"]
        items = missing.locator("ul.missing > li")
        assert [items.nth(i).get_attribute("data-document") for i in range(items.count())] == [
            "APPLICATION", "ID_CARD", "TITLE_DOCUMENT"]
        application, identity = items.nth(0).inner_text(), items.nth(1).inner_text()
        assert application.startswith(words["application"]) and words["act"] in application
        assert identity.startswith(words["id"]) and words["passport"] in identity and words["act"] in identity
        assert words["law"] in application
        _no_english(page, language, "status")

        # A complaint about this case.
        page.locator("#status a[href*='/complaints/new']").click()
        assert page.locator("input[name='case_number']").input_value() == number
        page.locator("select[name='kind']").select_option("extra_document")
        page.locator("textarea[name='text']").fill(COMPLAINT[language])
        _no_english(page, language, "complaint form")
        page.locator("form.narrow button[type='submit']").click()
        reference = page.locator("#reference").inner_text()
        assert reference.startswith("CMP-")
        _no_english(page, language, "complaint filed")
    complaint = db.session.scalar(select(Complaint).where(Complaint.reference == reference))
    assert complaint is not None and complaint.case_number == number and complaint.text == COMPLAINT[language]
