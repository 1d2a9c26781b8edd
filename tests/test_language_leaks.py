"""Every page in Kazakh and Russian, crawled as each user would see it, holds no English
sentence (issue 13).

The demo data (the bundled catalog, three offices, two weeks of synthetic visits with their
findings, a published week) gives every page something to show. The crawl follows every
link of the site from each role's start pages; forms are also posted wrongly, so that error
messages are read too. A leak is a run of three or more Latin-letter words in the visible
text, outside codes, URLs and ids; text explicitly marked as another language (``lang``
attribute: the language switch, a catalog text that exists only in English) is not a leak.
"""
from __future__ import annotations

import datetime as dt
import re
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

import pytest
from sqlalchemy import select, update
from werkzeug.security import generate_password_hash

from monitor import jobs
from monitor.extensions import db
from monitor.models import Case, Complaint, User, Visit
from monitor.tools import demo

from .conftest import PASSWORD, restore_rows, table_rows

LANGUAGES = ("kk", "ru")
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
# A "word" of Latin letters; codes (AST-01, S1, 701001, GBD_FL, KZT) are not words: they
# contain digits, '_' or are written in capitals.
LATIN_RUN = re.compile(r"\b[A-Za-z][a-z]+(?:[ ,;:'’()\-]+[A-Za-z][a-z]+){2,}\b")
URL_LIKE = re.compile(r"(https?://\S+|\S+@\S+|/[\w\-./?=&%#]+)")


class VisibleText(HTMLParser):
    """The text a reader sees, without script/style and without parts marked as another
    language than the page's; and every link."""

    def __init__(self):
        super().__init__()
        self.page_language = None
        self.stack: list[tuple[str, bool]] = []  # (tag, hidden)
        self.text: list[str] = []
        self.links: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "html":
            self.page_language = attrs.get("lang")
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])
        for name in ("title", "aria-label", "placeholder", "alt"):  # read aloud or shown
            if attrs.get(name) and not self._hidden():
                self.text.append(attrs[name])
        if tag == "input" and attrs.get("type") in ("submit", "button") and attrs.get("value"):
            self.text.append(attrs["value"])
        other_language = attrs.get("lang") not in (None, self.page_language) and tag != "html"
        not_words = attrs.get("translate") == "no"  # codes, commands, text quoted as typed
        hidden = self._hidden() or tag in ("script", "style", "code") or other_language or not_words
        if tag not in VOID:
            self.stack.append((tag, hidden))

    def handle_endtag(self, tag):
        for index in range(len(self.stack) - 1, -1, -1):
            if self.stack[index][0] == tag:
                del self.stack[index:]
                break

    def _hidden(self) -> bool:
        return bool(self.stack) and self.stack[-1][1]

    def handle_data(self, data):
        if not self._hidden():
            self.text.append(data)


def english_runs(html: str) -> tuple[list[str], list[str]]:
    parser = VisibleText()
    parser.feed(html)
    runs = []
    for chunk in parser.text:
        chunk = URL_LIKE.sub(" ", chunk)
        runs += [match.group(0) for match in LATIN_RUN.finditer(chunk)]
    return runs, parser.links


def test_the_detector_finds_english_and_spares_codes_urls_and_marked_text():
    runs, links = english_runs(
        '<html lang="ru"><body><p>Принято 20 марта; skipped 2026-03-21 (Sat): weekend day off</p>'
        '<p>Код AST-01, услуга 701001, GBD_FL, KZT, http://example.org/some/long/path</p>'
        '<p><span lang="en">Law of the Republic</span> <code>not a leak here</code></p>'
        '<p>не требуется: <span translate="no">copy of payslip</span></p>'
        '<a href="/services/S1" title="Open the service page">S1</a><script>var a = "x y z";</script></body></html>')
    assert runs == ["Sat): weekend day off", "Open the service page"]
    assert links == ["/services/S1"]


# The demo site is built once per database and kept as rows; the other language's run starts
# from exactly those rows (loading, publishing and escalating take seconds, a restore less than one).
_BUILT: dict[str, tuple[dict, str]] = {}


@pytest.fixture
def demo_site(app, database_url):
    """The demo data, a published week, and a known password for each demo account."""
    if database_url in _BUILT:
        rows, case_number = _BUILT[database_url]
        restore_rows(rows)
        return db.session.scalar(select(Case).where(Case.case_number == case_number))
    today = dt.date(2026, 4, 22)  # a Wednesday: two full weeks behind, Nauryz in between
    demo.load_demo(db.session, app.config, weeks=2, today=today)
    db.session.execute(update(User).values(password_hash=generate_password_hash(PASSWORD)))
    db.session.commit()
    jobs.publish(dt.datetime(2026, 4, 20, 2, tzinfo=dt.UTC))
    jobs.escalate(dt.datetime(2026, 4, 22, 6, tzinfo=dt.UTC))  # the admin's queue has items
    case = db.session.scalar(select(Case).where(Case.accepted_at.is_not(None)).limit(1))
    db.session.add(Complaint(reference="C-TEST-1", kind="extra_document", status="received",
                             text="Просили справку", case_number=case.case_number, follow_up_code_hash="0" * 64,
                             received_at=dt.datetime(2026, 4, 21, 5, tzinfo=dt.UTC),
                             office_code=case.office_code, service_code=case.service_code))
    db.session.commit()
    _BUILT[database_url] = (table_rows(), case.case_number)
    return case


def _normal(url: str) -> str | None:
    """A same-site page worth reading, without its language switch; None for others."""
    parts = urlsplit(url)
    if parts.scheme or parts.netloc or not parts.path.startswith("/"):
        return None
    if parts.path.startswith(("/static", "/open-data", "/api", "/logout")) or parts.path.endswith(
            (".csv", ".xlsx", ".json", ".zip", ".jsonld")):
        return None
    query = [(k, v) for k, v in parse_qsl(parts.query) if k != "lang"]
    return urlunsplit(("", "", parts.path, urlencode(query), ""))


def crawl(client, starts, language, limit=160) -> tuple[dict[str, list[str]], set[str]]:
    """Every page reachable from ``starts``: ({url: English runs found}, pages read)."""
    client.get(f"/?lang={language}")
    seen, queue, leaks = set(), list(starts), {}
    families: dict[str, int] = {}
    while queue and len(seen) < limit:
        url = queue.pop(0)
        if url in seen:
            continue
        # Many pages of one kind (every case, every finding filter) read alike: a few each.
        family = re.sub(r"[0-9A-Z][0-9A-Z\-]{3,}", "#", urlsplit(url).path) + "?" + ",".join(
            sorted(k for k, _ in parse_qsl(urlsplit(url).query)))
        families[family] = families.get(family, 0) + 1
        if families[family] > (16 if url.startswith("/services/") else 3):
            continue
        seen.add(url)
        response = client.get(url)
        assert response.status_code < 500, url
        if response.status_code != 200 or not response.mimetype == "text/html":
            continue
        html = response.get_data(as_text=True)
        assert f'<html lang="{language}">' in html, url
        runs, links = english_runs(html)
        if runs:
            leaks[url] = runs
        for link in links:
            target = _normal(urljoin(url, link))
            if target and target not in seen:
                queue.append(target)
    return leaks, seen


def sign_in(client, login):
    client.post("/logout")
    response = client.post("/login", data={"login": login, "password": PASSWORD})
    assert response.status_code == 302, response.get_data(as_text=True)


MIN_PAGES = {None: 35, "AST-01-S1": 20, "supervisor": 20, "admin": 30}
ROLES = {
    None: ["/", "/status", "/complaints/new", "/complaints/follow", "/indicators", "/login"],
    "AST-01-S1": ["/desk/", "/desk/visits/new", "/desk/relatives"],
    "supervisor": ["/supervisor/", "/supervisor/?week=2026-W16", "/supervisor/findings",
                   "/supervisor/findings?week=2026-W16", "/supervisor/complaints", "/admin/escalations"],
    "admin": ["/admin/users", "/admin/offices", "/admin/calendar", "/admin/jobs", "/admin/escalations", "/desk/"],
}


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_english_sentence_on_any_page_nor_in_error_messages(client, demo_site, language):
    leaks = {}
    for role, starts in ROLES.items():
        if role:
            sign_in(client, role)
        starts = starts + ([f"/desk/receipts/{demo_site.case_number}"] if role == "AST-01-S1"
                           and demo_site.office_code == "AST-01" else [])
        found, read = crawl(client, starts, language)
        # The crawl really walks the site: each role's pages and the pages they link to.
        assert set(starts) <= read and len(read) >= MIN_PAGES[role], sorted(read)
        for url, runs in found.items():
            leaks[f"{role or 'public'} {url}"] = sorted(set(runs))
    assert leaks == {}, "\n".join(f"{url}: {runs}" for url, runs in leaks.items())
    error_messages_are_in_the_readers_language(client, demo_site, language)


def error_messages_are_in_the_readers_language(client, demo_site, language):
    """Forms posted wrongly: the errors too are in the reader's language."""
    client.post("/logout")
    client.get(f"/?lang={language}")
    pages = [client.post("/status", data={"case_number": "NOPE", "check_code": "X"}),
             client.post("/complaints/new", data={"kind": "", "text": ""}),
             client.post("/login", data={"login": "nobody", "password": "wrong"})]
    sign_in(client, "AST-01-S1")
    client.get(f"/?lang={language}")
    service = demo_site.service_code
    base = {"service_code": service, "called_at": "2026-04-21T10:00", "finished_at": "2026-04-21T09:00"}
    pages += [
        client.post("/desk/visits/new", data={**base, "action": "forward"}),  # no case, no office
        client.post("/desk/visits/new", data={**base, "action": "issue", "case_number": "NOPE-1",
                                              "finished_at": "2026-04-21T10:05"}),
        client.post("/desk/visits/new", data={**base, "action": "refuse", "case_number": demo_site.case_number,
                                              "finished_at": "2026-04-21T10:05"}),
        client.post("/desk/visits/new", data={**base, "action": "submit", "called_at": "yesterday"}),
    ]
    visit = db.session.scalar(select(Visit).where(Visit.office_code == "AST-01").limit(1))
    pages.append(client.post(f"/desk/visits/{visit.visit_id}/correct", data={
        "called_at": "2026-04-06T10:00", "finished_at": "2026-04-06T09:00", "reason": "x"}))
    for response in pages:
        html = response.get_data(as_text=True)
        assert response.status_code in (200, 302, 401, 404, 422, 429), response.status_code
        assert english_runs(html)[0] == [], english_runs(html)[0]
    desk_pages = "".join(p.get_data(as_text=True) for p in pages[3:])
    assert desk_pages.count('class="error-summary"') == 5
