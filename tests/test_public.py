"""The citizens' pages: requirements, case status without leaks, complaints, indicators."""
from __future__ import annotations

import dataclasses
import datetime as dt
import re

import pytest
from sqlalchemy import select

from monitor.extensions import db
from monitor.models import Complaint, IndicatorSnapshot

from .test_desk import visit_form


def test_service_page_says_what_may_and_must_not_be_asked(client, loaded_catalog):
    page = client.get("/services/S2?lang=en").get_data(as_text=True)
    assert "You must not be asked for these" in page
    must_not = page.split('id="must-not-ask"')[1].split("</ul>")[0]
    assert "Identity card" in must_not and "Photo" in must_not  # the version in force since April
    assert "Other versions" in page and "2026-03-31" in page  # the earlier version's history
    assert "working days" in page and "Example: accepted now, due by" in page


def test_unknown_service_is_404(client, loaded_catalog):
    assert client.get("/services/NOPE").status_code == 404


def test_printable_checklist(client, loaded_catalog):
    page = client.get("/services/S1/checklist?lang=en").get_data(as_text=True)
    assert "☐" in page and "✗ Medical birth certificate" in page


def _case_with_code(client, login):
    login("desk1")
    receipt = client.get(client.post("/desk/visits/new", data=visit_form()).headers["Location"])
    text = receipt.get_data(as_text=True)
    number = re.search(r'id="case-number">([^<]+)<', text).group(1)
    code = re.search(r'id="check-code">([A-Z0-9]{6})<', text).group(1)
    client.post("/logout")
    return number, code


def test_a_case_number_typed_in_lower_case_or_with_spaces_is_found(client, login, loaded_catalog):
    number, code = _case_with_code(client, login)
    client.post("/logout")
    for typed in (number.lower(), f"  {number[:6]} {number[6:]} ", number.swapcase()):
        page = client.post("/status?lang=en", data={"case_number": typed, "check_code": code})
        assert 'id="status"' in page.get_data(as_text=True), typed
    wrong = client.post("/status?lang=en", data={"case_number": number.lower(), "check_code": "AAAAAA"})
    assert 'id="status"' not in wrong.get_data(as_text=True)


def test_case_status_with_the_right_code(client, login, loaded_catalog):
    number, code = _case_with_code(client, login)
    page = client.post("/status?lang=en", data={"case_number": number, "check_code": code.lower()})
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and 'id="status"' in text
    assert '<time datetime="2026-04-13T23:59:59+05:00">13 April 2026, 23:59</time>' in text
    assert 'id="overdue">yes' in text
    assert "desk1" not in text and "applicant" not in text.lower().replace("applicants", "")


def test_a_wrong_code_and_a_missing_case_look_the_same(client, login, loaded_catalog):
    number, code = _case_with_code(client, login)
    wrong = client.post("/status?lang=en", data={"case_number": number, "check_code": "ZZZZZZ"})
    missing = client.post("/status?lang=en", data={"case_number": "NO-SUCH-CASE", "check_code": "ZZZZZZ"})
    strip = lambda r: re.sub(r'value="[^"]*"', "", r.get_data(as_text=True))  # noqa: E731
    assert wrong.status_code == missing.status_code == 200
    assert strip(wrong) == strip(missing)
    assert "No case matches" in strip(wrong)


def test_case_status_is_rate_limited(client, loaded_catalog, app):
    app.config["CASE_STATUS_RATE_LIMIT"] = "3 per minute"
    codes = [client.post("/status", data={"case_number": "X", "check_code": "Y"}).status_code
             for _ in range(5)]
    assert codes[:3] == [200, 200, 200] and codes[3:] == [429, 429]


def test_complaint_gives_a_reference_and_a_follow_up_code(client, loaded_catalog):
    response = client.post("/complaints/new?lang=en", data={
        "kind": "inducement", "text": "The clerk hinted at a 'gift' to speed things up.",
        "service_code": "S1", "office_code": "", "contact": "", "case_number": "", "website": ""})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    reference = re.search(r'id="reference">([^<]+)<', page).group(1)
    code = re.search(r'id="follow-up-code">([^<]+)<', page).group(1)
    complaint = db.session.scalar(select(Complaint))
    assert complaint.reference == reference and complaint.kind == "inducement" and complaint.contact is None
    assert code not in complaint.follow_up_code_hash
    # Shown once, in that answer only; neither the cookie nor a later page has it.
    assert response.headers["Cache-Control"] == "no-store"
    cookie = client.get_cookie("session")
    assert cookie is None or code not in _decoded_session(cookie.value)
    assert code not in client.get("/complaints/filed?lang=en").get_data(as_text=True)
    followed = client.post("/complaints/follow?lang=en", data={"reference": reference, "code": code})
    assert "not answered yet" in followed.get_data(as_text=True)


def _decoded_session(value: str) -> str:
    """The session cookie as anyone holding it can read it (it is signed, not encrypted)."""
    import base64
    import zlib
    payload = value.lstrip(".").split(".")[0]
    data = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    return (zlib.decompress(data) if value.startswith(".") else data).decode()


def test_complaint_form_explains_what_is_wrong(client, loaded_catalog):
    response = client.post("/complaints/new?lang=en", data={"kind": "delay", "text": "short"})
    assert response.status_code == 422
    assert "Describe what happened" in response.get_data(as_text=True)
    assert db.session.scalar(select(Complaint)) is None


def test_honeypot_stores_nothing(client, loaded_catalog):
    response = client.post("/complaints/new", data={"kind": "other", "text": "buy cheap watches now!!!",
                                                    "website": "http://spam.example"})
    assert response.status_code == 200
    assert db.session.scalar(select(Complaint)) is None


def test_complaints_are_rate_limited(client, loaded_catalog, app):
    app.config["COMPLAINT_RATE_LIMIT"] = "2 per hour"
    data = {"kind": "delay", "text": "My case is two weeks late already."}
    codes = [client.post("/complaints/new", data=data).status_code for _ in range(3)]
    assert codes == [200, 200, 429]


def test_indicators_page_never_ranks_an_office_with_too_few_cases(client, app):
    now = dt.datetime(2026, 4, 13, 1, tzinfo=dt.UTC)
    rows = []
    for week in ("2026-W14", "2026-W15"):
        rows += [("network", "", "on_time_rate", 0.8), ("network", "", "cases_completed", 60.0),
                 ("office", "BIG", "cases_completed", 50.0), ("office", "BIG", "on_time_rate", 0.7),
                 ("office", "TINY", "cases_completed", 2.0), ("office", "TINY", "on_time_rate", 0.0)]
        db.session.add_all(IndicatorSnapshot(week=week, scope_kind=k, scope_value=v, indicator=i, value=x,
                                             published_at=now, audit_head_hash="ab" * 32)
                           for k, v, i, x in rows[-6:])
    db.session.commit()
    page = client.get("/indicators?lang=en").get_data(as_text=True)
    assert "<svg" in page and "6–\u206012\u00a0April\u00a02026" in page
    tiny_row = page.split(">TINY</a></td>")[1].split("</tr>")[0]
    assert "too few cases" in tiny_row
    assert ('<td data-label="Rank">1</td><td data-label="Office"><a href="/indicators?office=BIG">BIG</a></td>'
            in page)
    assert "abab" in page  # the audit head published with the week
    office_page = client.get("/indicators?office=TINY&lang=en").get_data(as_text=True)
    assert "indicators of office TINY" in office_page and "<svg" in office_page
    assert "0.0%" in office_page  # TINY's own on-time rate, not the network's 80%
    assert client.get("/indicators?office=NOPE").status_code == 404


def test_indicators_name_the_offices_in_the_readers_language(client, app):
    from monitor.services.offices import NewOffice, create_office

    now = dt.datetime(2026, 4, 13, 1, tzinfo=dt.UTC)
    db.session.add_all(IndicatorSnapshot(week="2026-W15", scope_kind=k, scope_value=v, indicator=i, value=x,
                                         published_at=now, audit_head_hash="ab" * 32)
                       for k, v, i, x in [("network", "", "cases_completed", 60.0),
                                          ("office", "AST-01", "cases_completed", 50.0),
                                          ("office", "AST-02", "cases_completed", 40.0)])
    create_office(db.session, NewOffice("AST-01", "Астана ХҚКО №1", "ЦОН Астаны № 1", "Astana PSC No. 1"), "admin")
    db.session.commit()
    ru = client.get("/indicators?lang=ru").get_data(as_text=True)
    assert '<a href="/indicators?office=AST-01">ЦОН Астаны № 1</a>' in ru
    assert ">AST-01</a>" not in ru
    assert "Astana PSC No. 1" in client.get("/indicators?office=AST-01&lang=en").get_data(as_text=True)
    # An office created later is named at once (the page is kept per publication and offices).
    create_office(db.session, NewOffice("AST-02", "Астана ХҚКО №2", "ЦОН Астаны № 2", "Astana PSC No. 2"), "admin")
    db.session.commit()
    assert "ЦОН Астаны № 2" in client.get("/indicators?lang=ru").get_data(as_text=True)


def test_no_published_week_yet(client):
    assert "No week has been published yet" in client.get("/indicators?lang=en").get_data(as_text=True)


def test_a_withdrawn_case_is_never_overdue(app, loaded_catalog, tmp_path):
    from monitor.models import Case
    from monitor.services.citizens import case_status
    from monitor.services.front_desk import check_code_hash

    from .test_import import row, run_import, write_csv
    assert run_import(app, write_csv(tmp_path / "v.csv", [
        row("v1"), row("v2", action="withdraw", called="2026-05-20T10:00", finished="2026-05-20T10:05",
                       documents="")])).exit_code == 0
    case = db.session.scalar(select(Case))
    case.check_code_hash = check_code_hash(case.case_number, "ABCDEF")
    db.session.commit()
    status = case_status(db.session, case.case_number, "ABCDEF", dt.datetime.now(dt.UTC))
    assert status.outcome == "withdrawn" and status.overdue is False


def test_the_demo_gives_a_case_a_new_user_can_look_up(app, client):
    import re
    result = app.test_cli_runner().invoke(args=["demo", "load", "--weeks", "2"])
    assert result.exit_code == 0, result.output
    number, code = re.search(r"case (\S+), check code (\S+)", result.output).groups()
    page = client.post("/status?lang=en", data={"case_number": number, "check_code": code})
    assert page.status_code == 200 and 'id="status"' in page.get_data(as_text=True)
    wrong = client.post("/status?lang=en", data={"case_number": number, "check_code": "ZZZZZZ"})
    assert 'id="status"' not in wrong.get_data(as_text=True)


def test_a_complaint_number_carries_the_citizens_date_not_utcs(app):
    from monitor.services.citizens import file_complaint
    late_evening_utc = dt.datetime(2026, 4, 13, 20, 0, tzinfo=dt.UTC)  # 14 April, 01:00 in Astana
    filed = file_complaint(db.session, kind="delay", text="Two weeks late already.", now=late_evening_utc)
    assert filed.reference.startswith("CMP-260414-")


# ------------------------------------------------------------------ the law, not the system

STATE_SYSTEM_CODE = re.compile(r"\b(GBD|IS)_[A-Z]+\b")
GROUND_CODE = re.compile(r"<li>R\d+:")


def _sources(page: str) -> list[tuple[str, str]]:
    """(class, text) of each listed source of the page, in order."""
    return re.findall(r'<li class="(official|secondary)">(.*?)</li>', page, flags=re.S)


def test_citizens_read_names_and_titled_sources_not_codes(app, client):
    from monitor.stores.catalog import store_catalog
    from services_catalog import BUNDLED_CATALOG, load_catalog

    catalog = load_catalog(BUNDLED_CATALOG)
    store_catalog(db.session, catalog)
    db.session.commit()
    secondary_seen = 0
    for code in catalog.services:
        for language in ("kk", "ru", "en"):
            page = client.get(f"/services/{code}?lang={language}").get_data(as_text=True)
            assert not STATE_SYSTEM_CODE.search(page), (code, language, STATE_SYSTEM_CODE.search(page))
            assert not GROUND_CODE.search(page), (code, language)
            # Per version shown: official sources first, then the press marked as such.
            for block in page.split('class="sources"')[1:]:
                kinds = [kind for kind, _ in _sources(block.split("</ul>")[0])]
                assert kinds == sorted(kinds, key=lambda kind: kind != "official"), (code, language)
                assert "official" in kinds or not kinds
                secondary_seen += kinds.count("secondary")
    assert secondary_seen > 0
    en = client.get("/services/701002?lang=en").get_data(as_text=True)
    title = "Order of the Minister of Internal Affairs No. 267"
    official = [text for kind, text in _sources(en) if kind == "official"]
    assert any(title in text and "(adilet.zan.kz)" in text and "Checked on" in text for text in official)
    secondary = [text for kind, text in _sources(en) if kind == "secondary"]
    assert secondary and all("Secondary source (press or aggregator), not an official one:" in t for t in secondary)
    ru = client.get("/services/701002?lang=ru").get_data(as_text=True)
    assert "Вторичный источник (пресса или агрегатор), не официальный:" in ru
    # An act by its title in the reader's language; a page the catalog titles in English only by its site.
    ru_sources = [text for _, text in _sources(ru)]
    assert any("Закон Республики Казахстан от 29 января 2013 года № 73-V «О документах, удостоверяющих личность»"
               in text and "(adilet.zan.kz)" in text for text in ru_sources)
    assert any(">www.gov.kz</a>" in text for text in ru_sources)
    # The state systems by name: the address certificate is read from the population database.
    assert "(Государственная база данных «Физические лица»)" in ru
    kk = client.get("/services/701002?lang=kk").get_data(as_text=True)
    assert "(«Жеке тұлғалар» мемлекеттік деректер қоры)" in kk
    # The refusal grounds by their text, numbered by the list, not by the catalog's codes.
    grounds = re.findall(r'<ol class="refusal-grounds">(.*?)</ol>', en, flags=re.S)
    assert len(grounds) == len(catalog.services["701002"].versions)
    texts = {g.text.en.replace("'", "&#39;") for v in catalog.services["701002"].versions for g in v.refusal_grounds}
    assert all(any(text in shown for shown in grounds) for text in texts)


def test_a_source_title_in_three_languages_loads_exports_and_is_stored(app, tmp_path):
    from monitor.stores.catalog import catalog_from_db, store_catalog
    from services_catalog import BUNDLED_CATALOG, export_catalog, load_catalog

    catalog = load_catalog(BUNDLED_CATALOG)
    law = catalog.services["701002"].versions[-1].source("law73")
    assert law.title == "Law of the Republic of Kazakhstan No. 73-V 'On identity documents'"
    assert law.title_in("kk").startswith("«Жеке басты куәландыратын құжаттар туралы»")
    assert law.title_in("ru").startswith("Закон Республики Казахстан от 29 января 2013 года № 73-V")
    page = next(s for s in catalog.services["701002"].versions[-1].sources if not s.title_text)
    assert page.title_in("ru") is None and page.title_in("en") == page.title  # English only: no ru title
    export_catalog(catalog, tmp_path / "out")
    assert load_catalog(tmp_path / "out") == catalog
    store_catalog(db.session, catalog)
    db.session.commit()
    assert catalog_from_db(db.session) == catalog


def test_a_source_title_must_have_all_three_languages(tmp_path):
    from services_catalog import BUNDLED_CATALOG, CatalogError, export_catalog, load_catalog

    export_catalog(load_catalog(BUNDLED_CATALOG), tmp_path / "c")
    path = tmp_path / "c" / "services" / "701002.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("title:\n      kk:", "title:\n      xx:", 1), encoding="utf-8")
    with pytest.raises(CatalogError) as error:
        load_catalog(tmp_path / "c")
    assert "title.kk" in str(error.value)


def test_secondary_sources_are_shown_only_beside_an_official_one():
    from services_catalog import BUNDLED_CATALOG, load_catalog
    from services_catalog.model import Source

    base = load_catalog(BUNDLED_CATALOG).services["701002"].versions[-1]
    press = Source("press", "Zakon.kz: a report", "https://www.zakon.kz/x", dt.date(2026, 12, 1), secondary=True)
    act = Source("act", "Order No. 1", "https://adilet.zan.kz/rus/docs/V1", dt.date(2026, 12, 1), "1")
    only_press = dataclasses.replace(base, sources=(press,))
    assert only_press.official_sources == () and only_press.secondary_sources == ()
    both = dataclasses.replace(base, sources=(press, act))
    assert both.official_sources == (act,) and both.secondary_sources == (press,)
