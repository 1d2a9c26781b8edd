"""The clerk at the keyboard (issue 24), in Kazakh and Russian at 1366 px, in Chromium: the
warning before an unlawful demand shows as the document is picked or typed, before Save, with
the focus in its reason; saving past it takes a handful of keystrokes; a state-system document
typed as text is the office's own; without JavaScript the server still warns after Save."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from monitor.extensions import db
from monitor.models import Finding, Visit
from monitor.stores.catalog import store_catalog
from services_catalog import BUNDLED_CATALOG, load_catalog

from .browser import chromium_page, serve
from .conftest import PASSWORD

pytestmark = pytest.mark.browser

REGISTRATION = "701003"  # registration at the place of residence: the office obtains the address certificate
WIDTH, HEIGHT = 1366, 768
# What the warning says of the address certificate, and what it must not say.
OBTAINS = {"kk": "бұл құжатты бөлімше өзі алады", "ru": "этот документ отделение получает само"}
SYSTEM = {"kk": "«Жеке тұлғалар» мемлекеттік деректер қоры", "ru": "Государственная база данных «Физические лица»"}
NOT_PROVIDED = {"kk": "көзделмеген", "ru": "не предусмотрен"}
REASON = {"kk": "өтініш беруші өзі берді", "ru": "заявитель сам принёс"}  # at most 24 keystrokes
TYPED = {"kk": "Мекенжай анықтамасы", "ru": "Адресная справка"}


@pytest.fixture
def bundled(app, people):
    store_catalog(db.session, load_catalog(BUNDLED_CATALOG))
    db.session.commit()


def sign_in(page, base: str, language: str) -> None:
    """By keyboard: the cursor is in the login field at once."""
    page.goto(f"{base}/login?lang={language}")
    assert focused(page, "login") == "login"
    page.keyboard.type("desk1")
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/desk/$"))


def focused(page, expected: str) -> str:
    """The name (or id) of the focused element once the focus has settled on ``expected``, or
    what has it after 5 s: autofocus and the script's focus moves land a moment after a load."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        page.wait_for_function("wanted => document.activeElement && (document.activeElement.name"
                               " || document.activeElement.id) === wanted", arg=expected, timeout=5000)
    except PlaywrightTimeout:
        pass
    return page.evaluate("document.activeElement.name || document.activeElement.id")


def saved_visit() -> tuple[Visit, set[str]]:
    db.session.expire_all()
    visit = db.session.scalar(select(Visit))
    return visit, set(db.session.scalars(select(Finding.rule).where(Finding.visit_pk == visit.id)))


@pytest.mark.parametrize("language", ["kk", "ru"])
def test_a_picked_unlawful_document_is_warned_before_save_and_saved_past_in_few_keystrokes(app, bundled, language):
    with serve(app) as base, chromium_page(WIDTH, HEIGHT) as page:
        sign_in(page, base, language)
        page.goto(f"{base}/desk/visits/new")
        # The exact code, with stray spaces, opens the service's form: no list to choose from.
        assert focused(page, "q") == "q"
        page.keyboard.type(f" {REGISTRATION} ")
        page.keyboard.press("Enter")
        page.wait_for_url(re.compile(rf"service={REGISTRATION}"))
        warning = page.locator("#warnings")
        page.locator("input[name=documents][value=APPLICATION]").check()
        page.locator("input[name=documents][value=ID_CARD]").check()
        assert warning.is_hidden() and page.locator("#override").is_hidden()  # lawful so far

        page.locator("input[name=documents][value=ADDRESS_CERT]").focus()
        page.keyboard.press("Space")  # the office's own document, picked
        warning.wait_for()
        assert page.locator("form.visit-form").is_visible() and "service=" in page.url  # not saved yet
        text = warning.inner_text()
        assert OBTAINS[language] in text and SYSTEM[language] in text and "2.2.3" in text
        assert NOT_PROVIDED[language] not in text
        assert page.locator("#warnings li").get_attribute("data-rule") == "STATE_SYSTEM_DOCUMENT"
        assert page.locator("#desk-warnings").get_attribute("aria-live") == "polite"
        assert focused(page, "override_reason") == "override_reason"

        keystrokes = len(REASON[language])
        page.keyboard.type(REASON[language])
        page.keyboard.press("Enter")
        keystrokes += 1
        assert keystrokes <= 25
        page.locator("#check-code").wait_for()  # the receipt

    visit, rules = saved_visit()
    assert visit.override_reason == REASON[language]
    assert visit.documents_requested == "APPLICATION;ID_CARD;ADDRESS_CERT"
    assert rules == {"STATE_SYSTEM_DOCUMENT"}


@pytest.mark.parametrize("language", ["kk", "ru"])
def test_a_state_system_document_typed_as_text_is_the_offices_own(app, bundled, language):
    with serve(app) as base, chromium_page(WIDTH, HEIGHT) as page:
        sign_in(page, base, language)
        page.goto(f"{base}/desk/visits/new?service={REGISTRATION}")
        page.locator("input[name=documents][value=APPLICATION]").check()
        page.locator("input[name=documents][value=ID_CARD]").check()
        page.locator("textarea[name=other_documents]").click()
        page.keyboard.type(TYPED[language])
        warning = page.locator("#warnings")
        warning.wait_for()  # shown while the clerk is still in the field, before Save
        assert focused(page, "other_documents") == "other_documents"
        page.wait_for_function("document.querySelectorAll('#warnings li').length === 1 && "
                               "document.querySelector('#warnings li').dataset.rule === 'STATE_SYSTEM_DOCUMENT'")
        text = warning.inner_text()
        assert OBTAINS[language] in text and SYSTEM[language] in text and NOT_PROVIDED[language] not in text
        page.keyboard.press("Tab")  # the reason comes next
        assert focused(page, "override_reason") == "override_reason"
        page.keyboard.type(REASON[language])
        page.keyboard.press("Enter")
        page.locator("#check-code").wait_for()

    visit, rules = saved_visit()
    assert visit.documents_requested == "APPLICATION;ID_CARD;ADDRESS_CERT"
    assert rules == {"STATE_SYSTEM_DOCUMENT"}


def test_enter_on_the_list_saves_a_lawful_visit(app, bundled):
    with serve(app) as base, chromium_page(WIDTH, HEIGHT) as page:
        sign_in(page, base, "ru")
        page.goto(f"{base}/desk/visits/new?service={REGISTRATION}")
        page.locator("input[name=documents][value=APPLICATION]").check()
        page.locator("input[name=documents][value=ID_CARD]").focus()
        page.keyboard.press("Space")
        assert page.locator("#warnings").is_hidden() and focused(page, "documents") == "documents"
        page.keyboard.press("Enter")
        page.locator("#check-code").wait_for()
    visit, rules = saved_visit()
    assert visit.documents_requested == "APPLICATION;ID_CARD" and visit.override_reason is None
    assert rules == set()


def test_without_javascript_the_server_warns_after_save_with_the_focus_in_the_reason(app, bundled):
    with serve(app) as base, chromium_page(WIDTH, HEIGHT, javascript=False) as page:
        sign_in(page, base, "ru")
        page.goto(f"{base}/desk/visits/new?service={REGISTRATION}")
        page.locator("input[name=documents][value=APPLICATION]").check()
        page.locator("input[name=documents][value=ADDRESS_CERT]").check()
        assert page.locator("#warnings").is_hidden()
        page.locator("form.visit-form button[type=submit]").click()
        page.locator("#warnings").wait_for()
        assert SYSTEM["ru"] in page.locator("#warnings").inner_text()
        assert focused(page, "override_reason") == "override_reason"  # not the top of the form
        page.keyboard.type(REASON["ru"])
        page.locator("form.visit-form button[type=submit]").click()
        page.locator("#check-code").wait_for()
    visit, rules = saved_visit()
    assert visit.override_reason == REASON["ru"] and rules == {"STATE_SYSTEM_DOCUMENT"}
