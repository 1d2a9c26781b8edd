"""Issue 24 in Chromium: the citizens' indicators page legible at 320 px in kk and ru (nothing
wider than the screen), and the supervisors' report unclipped at 1366 px."""
from __future__ import annotations

import pytest

from .browser import chromium_page, serve
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
        # The indicators' names stay words, not a column of letters.
        widths = page.evaluate("[...document.querySelectorAll('table.weeks th[scope=row]')].map(e => e.clientWidth)")
        assert widths and min(widths) >= 120, widths


@pytest.mark.parametrize("language", ["kk", "ru"])
def test_the_report_is_not_clipped_at_1366px_and_funnel_points_speak_on_focus(
        app, people, loaded_catalog, tmp_path, language):
    from .test_browser_report import sign_in_as_admin
    from .test_supervisor_summary import WEEK, load_one_bad_office

    load_one_bad_office(app, loaded_catalog, tmp_path)
    with serve(app) as base, chromium_page(width=1366, height=768) as page:
        sign_in_as_admin(page, base, language)
        page.goto(f"{base}/supervisor/?week={WEEK}&lang={language}")
        assert page.evaluate("document.scrollingElement.scrollWidth") <= 1366
        table = page.locator("table.report.key")
        fits = page.evaluate("""t => { const box = t.parentElement;
            return {table: t.scrollWidth, box: box.clientWidth,
                    scrolls: getComputedStyle(box).overflowX === 'auto'}; }""", table.element_handle())
        # Either the whole table is seen, or it sits in a container that scrolls.
        assert fits["table"] <= fits["box"] or fits["scrolls"], fits
        assert fits["table"] <= fits["box"], fits  # at 1366 px it fits without scrolling
        # A funnel point is a Tab stop and says its office and numbers when focused.
        point = page.locator("svg.funnel g.dot").first
        point.focus()
        label = page.evaluate("document.activeElement.getAttribute('aria-label')")
        assert label and ":" in label and any(ch.isdigit() for ch in label)
        assert page.evaluate("document.activeElement.querySelector('title').textContent") == label
