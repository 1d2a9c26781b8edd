"""A supervisor acts on the report in ten seconds (issue 13), in Russian and Kazakh, in a real browser:
the top item of the summary leads to the findings behind it, and a review keeps the place."""
from __future__ import annotations

import pytest

from monitor.extensions import db
from monitor.models import Finding

from .browser import chromium_page, serve
from .conftest import PASSWORD
from .test_supervisor_summary import WEEK, load_one_bad_office

pytestmark = pytest.mark.browser


def sign_in_as_admin(page, base: str, language: str) -> None:
    page.goto(f"{base}/login?lang={language}")
    page.locator("input[name=login]").fill("admin")
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("button[type=submit]").click()


WORDS = {"ru": {"act": "Действуйте сейчас", "findings": "Нарушения", "saved": "сохранено"},
         "kk": {"act": "Қазір шара қолданыңыз", "findings": "Бұзушылықтар", "saved": "сақталды"}}


@pytest.mark.parametrize("language", ["ru", "kk"])
def test_a_supervisor_follows_the_top_of_the_summary_and_reviews_without_losing_the_place(
        app, people, loaded_catalog, tmp_path, language):
    words = WORDS[language]
    load_one_bad_office(app, loaded_catalog, tmp_path)
    with serve(app) as base, chromium_page(width=1280, height=720) as page:
        sign_in_as_admin(page, base, language)
        page.goto(f"{base}/supervisor/?week={WEEK}&lang={language}")
        top = page.locator("ol.summary li").first
        assert "OF3" in top.inner_text() and words["act"] in top.inner_text()
        top.get_by_role("link").click()
        page.get_by_role("heading", name=words["findings"], exact=True).wait_for()
        rows = page.locator("tr.finding")
        assert rows.count() > 5
        sixth = rows.nth(5)
        finding_id = int(sixth.get_attribute("id").split("-")[1])
        sixth.scroll_into_view_if_needed()
        sixth.locator("select[name=decision]").select_option("confirmed")
        sixth.locator("input[name=note]").fill("подтверждено по журналу")
        sixth.get_by_role("button").click()
        place = page.locator("#place")
        place.wait_for()
        assert f"{finding_id}" in place.inner_text() and words["saved"] in place.inner_text()
        # Back where the reader was: the reviewed row is on screen, the page not at its top.
        assert page.evaluate("window.scrollY") > 0
        box = page.locator(f"#finding-{finding_id}").bounding_box()
        assert box is not None and 0 <= box["y"] < 720
    finding = db.session.get(Finding, finding_id)
    db.session.refresh(finding)
    assert finding.review_status == "confirmed" and finding.review_note == "подтверждено по журналу"


def test_chart_text_stays_legible_on_a_phone(app, people, loaded_catalog, tmp_path):
    """Chart labels (trends and funnel plots) render at 11 px or more on a 320 px screen
    (issue 13: 6-9 px before), and the report does not scroll sideways."""
    load_one_bad_office(app, loaded_catalog, tmp_path)
    with serve(app) as base, chromium_page(width=320, height=740) as page:
        sign_in_as_admin(page, base, "kk")
        page.goto(f"{base}/supervisor/?week={WEEK}&lang=kk")
        # The rendered size: the font size in the chart's units times the chart's scale.
        sizes = page.evaluate("""[...document.querySelectorAll('svg.chart text')].map(t => {
            const svg = t.ownerSVGElement;
            return parseFloat(getComputedStyle(t).fontSize)
                * svg.getBoundingClientRect().width / svg.viewBox.baseVal.width; })""")
        from monitor.services.reports import FUNNEL_INDICATORS
        assert len(sizes) > 20 and page.locator("svg.funnel").count() == len(FUNNEL_INDICATORS)
        assert min(sizes) >= 11, min(sizes)
        assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
        # The other supervisors' pages fit the phone as well (long tables become stacked rows).
        for path in (f"/supervisor/findings?week={WEEK}", "/supervisor/findings?office=OF3&status=open",
                     "/supervisor/complaints", "/supervisor/corrections"):
            page.goto(f"{base}{path}&lang=kk" if "?" in path else f"{base}{path}?lang=kk")
            assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0, path
