"""Issue 24 in Chromium: the citizens' indicators page legible at 320 px in kk and ru (nothing
wider than the screen), and the supervisors' report unclipped at 1366 px."""
from __future__ import annotations

import pytest

from .browser import chromium_page, serve
from .pages_db import database_url  # noqa: F401  (pages, not storage: SQLite once)
from .test_plain_pages import _publish

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("language", ["kk", "ru"])
def test_indicators_page_fits_a_320px_phone(app, language):
    _publish(weeks=tuple(f"2026-W{n:02d}" for n in range(4, 16)))
    with serve(app) as base, chromium_page(width=320, height=740) as page:
        page.goto(f"{base}/indicators?lang={language}")
        assert page.locator("code.hash").count() == 1
        assert page.evaluate("document.scrollingElement.scrollWidth") <= 320
        # No number is broken over two lines: each number cell is one line high.
        heights = page.evaluate("""[...document.querySelectorAll('td.num, span.num')].map(
            e => e.getClientRects().length)""")
        assert heights and max(heights) == 1
