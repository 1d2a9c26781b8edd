"""Citizens on a phone (issue 13): no horizontal scroll at 320-390 px on the public pages,
and a service page shows the fee, the deadline and the documents on its first screen."""
from __future__ import annotations

import pytest

from monitor.extensions import db
from monitor.stores.catalog import store_catalog
from services_catalog import BUNDLED_CATALOG, load_catalog

from .browser import chromium_page, serve

pytestmark = pytest.mark.browser

PUBLIC_PAGES = ["/", "/services/708001", "/services/702002", "/services/708001/checklist", "/status",
                "/complaints/new", "/complaints/follow", "/indicators", "/login"]
OVERFLOW = "document.documentElement.scrollWidth - window.innerWidth"


@pytest.fixture
def bundled(app):
    store_catalog(db.session, load_catalog(BUNDLED_CATALOG))
    db.session.commit()


@pytest.mark.parametrize("width", [320, 390])
def test_no_public_page_scrolls_sideways_on_a_phone(app, bundled, width):
    with serve(app) as base, chromium_page(width=width, height=740) as page:
        for language in ("kk", "ru"):
            for path in PUBLIC_PAGES:
                page.goto(f"{base}{path}{'&' if '?' in path else '?'}lang={language}")
                assert page.evaluate(OVERFLOW) <= 0, (language, path, page.evaluate(OVERFLOW))


SERVICE_NAMES = {"ru": "Регистрация по постоянному месту жительства населения Республики Казахстан",
                 "kk": "Қазақстан Республикасы халқын тұрақты тұрғылықты жері бойынша тіркеу"}
FEE_WORDS = {"ru": ("Стоимость", "бесплатно"), "kk": ("Құны", "тегін")}


@pytest.mark.parametrize("language", ["ru", "kk"])
def test_a_citizen_finds_propiska_and_reads_the_fee_on_the_first_screen_at_390px(app, bundled, language):
    with serve(app) as base, chromium_page(width=390, height=844) as page:
        page.goto(f"{base}/?lang={language}")
        # The catalog is a list of stacked rows, not a table wider than the phone.
        first_row = page.locator("table.catalog tbody tr").first
        assert first_row.bounding_box()["width"] <= 390
        # The word people use, not the official name: «прописка» (registration at a permanent address).
        page.locator("#q").fill("прописка")
        page.locator("#q").press("Enter")
        page.get_by_role("link", name=SERVICE_NAMES[language]).click()
        page.locator("#key-facts").wait_for()
        viewport = page.viewport_size["height"]
        for locator in (page.locator("#key-facts .fee"), page.locator("#key-facts dd").nth(1),
                        page.locator("ul.documents li").first):
            box = locator.bounding_box()
            assert box is not None and box["y"] + box["height"] <= viewport, (locator, box)
        fee_term, free = FEE_WORDS[language]
        assert page.locator("#key-facts dt").first.inner_text() == fee_term
        assert page.locator("#key-facts .fee").inner_text() == free  # the catalog's fee: 0 KZT
        assert page.evaluate(OVERFLOW) <= 0


PRINT_WORDS = {"ru": "Распечатать памятку", "kk": "Жадынаманы басып шығару"}


@pytest.mark.parametrize("language", ["ru", "kk"])
def test_the_longest_checklist_prints_on_one_a4_page(app, bundled, language):
    from .test_browser_desk import pdf_pages
    catalog = load_catalog(BUNDLED_CATALOG)
    longest = max(catalog.services.values(),
                  key=lambda s: max(len(v.required_documents) + len(v.obtained_by_office) for v in s.versions))
    with serve(app) as base, chromium_page(width=1280, height=900) as page:
        page.goto(f"{base}/services/{longest.code}/checklist?lang={language}")
        assert pdf_pages(page.pdf(format="A4")) == 1, longest.code  # the print button is not printed
        button = page.locator("button[data-print]")
        assert button.is_visible() and button.inner_text() == PRINT_WORDS[language]
        page.evaluate("window.print = () => { window.printed = true; }")
        button.click()
        assert page.evaluate("window.printed === true")
