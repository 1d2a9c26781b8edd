"""Accessibility in a real browser (issue 13): axe-core's WCAG 2.1 A/AA rules find no
serious or critical violation on the public and staff pages, in Kazakh and Russian; the
focus ring has a contrast of at least 3:1 against the page (WCAG 2.4.11 / 1.4.11)."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import select, update
from werkzeug.security import generate_password_hash

from monitor import jobs
from monitor.extensions import db
from monitor.models import Case, User
from monitor.services import accounts
from monitor.stores.catalog import store_catalog
from monitor.tools import demo
from services_catalog import BUNDLED_CATALOG, load_catalog

from .browser import chromium_page, serve
from .conftest import PASSWORD, restore_rows, table_rows

pytestmark = pytest.mark.browser

AXE = (Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js").read_text(encoding="utf-8")
RUN_AXE = """async () => {
  const tags = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];
  const result = await axe.run(document, {runOnly: {type: 'tag', values: tags}});
  return result.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
    .map(v => v.id + ': ' + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(' | '));
}"""
PAGES = {
    None: ["/", "/services/701001", "/services/701001/report", "/status", "/complaints/new", "/indicators"],
    "AST-01-S1": ["/desk/", "/desk/visits/new?service=701001", "RECEIPT"],
    "supervisor": ["/supervisor/?week=2026-W16", "/supervisor/offices?week=2026-W16",
                   "/supervisor/findings?week=2026-W16", "/supervisor/complaints"],
    "admin": ["/admin/users", "/admin/calendar", "/admin/jobs"],
    "steward": ["/steward/", "/steward/services/701001/draft", "/steward/reports"],
}


def _sign_in(page, base, login):
    page.goto(f"{base}/")
    sign_out = page.locator("header form button.link")
    if sign_out.count():
        sign_out.click()
        page.wait_for_load_state()
    page.goto(f"{base}/login")
    page.locator("input[name=login]").fill(login)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("input[name=password]").press("Enter")
    page.wait_for_load_state()


# The demo site is built once per database and kept as rows; each later run of the walk starts
# from exactly those rows (the demo load and publication take seconds, a restore less than one).
_BUILT: dict[str, dict] = {}


@pytest.fixture
def demo_site(app, database_url):
    if database_url in _BUILT:
        restore_rows(_BUILT[database_url])
        return db.session.scalar(select(Case).where(Case.office_code == "AST-01", Case.accepted_at.is_not(None)))
    demo.load_demo(db.session, app.config, weeks=2, today=dt.date(2026, 4, 22))
    accounts.create_user(db.session, accounts.NewUser(login="steward", role="steward", password=PASSWORD),
                         actor="test")  # a catalog steward (issue 25)
    db.session.execute(update(User).values(password_hash=generate_password_hash(PASSWORD)))
    db.session.commit()
    jobs.publish(dt.datetime(2026, 4, 20, 2, tzinfo=dt.UTC))
    _BUILT[database_url] = table_rows()
    return db.session.scalar(select(Case).where(Case.office_code == "AST-01", Case.accepted_at.is_not(None)))


def test_axe_runs_and_reports_a_serious_violation(app):
    with chromium_page() as page:
        page.set_content('<html lang="ru"><body><main><img src="x.png"><input name="q"></main></body></html>')
        page.evaluate(AXE)
        assert {v.split(":")[0] for v in page.evaluate(RUN_AXE)} >= {"image-alt", "label"}


# Every page in Russian; in Kazakh the pages whose words differ most in length.
@pytest.mark.parametrize("language, only", [
    ("ru", None), ("kk", {"/services/701001", "/desk/visits/new?service=701001"})])
def test_no_serious_axe_violation_on_public_and_staff_pages(app, demo_site, language, only):
    found = {}
    with serve(app) as base, chromium_page() as page:
        for role, paths in PAGES.items():
            paths = [p for p in paths if only is None or p in only]
            if not paths:
                continue
            if role:
                _sign_in(page, base, role)
            page.goto(f"{base}/?lang={language}")
            for path in paths:
                if path == "RECEIPT":
                    path = f"/desk/receipts/{demo_site.case_number}"
                page.goto(f"{base}{path}")
                assert page.locator("html").get_attribute("lang") == language
                page.evaluate(AXE)  # through the DevTools protocol: the page's CSP stays as it is
                violations = page.evaluate(RUN_AXE)
                if violations:
                    found[f"{role or 'public'} {path}"] = violations
    assert found == {}, "\n".join(f"{page}: {v}" for page, v in found.items())


CONTRAST = """(selector) => {
  const element = document.querySelector(selector);
  element.focus();
  const style = getComputedStyle(element);
  const parse = (c) => c.match(/[\\d.]+/g).slice(0, 3).map(Number);
  const luminance = (rgb) => {
    const [r, g, b] = rgb.map(v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  let node = element.parentElement, background = 'rgb(255, 255, 255)';
  while (node) {
    const bg = getComputedStyle(node).backgroundColor;
    if (bg && bg !== 'rgba(0, 0, 0, 0)' && bg !== 'transparent') { background = bg; break; }
    node = node.parentElement;
  }
  const [a, b] = [luminance(parse(style.outlineColor)), luminance(parse(background))];
  return {width: parseFloat(style.outlineWidth), style: style.outlineStyle,
          ratio: (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05)};
}"""


def test_the_focus_ring_contrasts_at_least_three_to_one(app):
    store_catalog(db.session, load_catalog(BUNDLED_CATALOG))
    db.session.commit()
    with serve(app) as base, chromium_page() as page:
        page.goto(f"{base}/?lang=ru")
        page.keyboard.press("Tab")  # keyboard focus: :focus-visible applies
        for selector in ("a.skip", "#q", "button[type=submit]", "table.catalog a"):
            page.keyboard.press("Tab")
            ring = page.evaluate(CONTRAST, selector)
            assert ring["style"] != "none" and ring["width"] >= 2, (selector, ring)
            assert ring["ratio"] >= 3, (selector, ring)
