"""Issue 24: the citizens' and supervisors' pages in words people use, in kk and ru --
weeks as dates, medians said plainly, one audit hash, plural forms, a free fee, translated
error pages, what happens to a report of a bribe, one arrow convention, labelled funnel points."""
from __future__ import annotations

import datetime as dt

import pytest

from monitor.extensions import db
from monitor.models import IndicatorSnapshot

WEEK_DATES = {"ru": "6–\u206012\u00a0апреля\u00a02026", "kk": "6–\u206012\u00a0сәуір\u00a02026",
              "en": "6–\u206012\u00a0April\u00a02026"}
HALF = {"ru": "Половина дел заняла меньше 27 часов.", "kk": "Істердің жартысы 27 сағаттан аз уақыт алды.",
        "en": "Half of the cases took less than 27 hours."}


def _publish(weeks=("2026-W14", "2026-W15")):
    now = dt.datetime(2026, 4, 13, 1, tzinfo=dt.UTC)
    for index, week in enumerate(weeks):
        rows = [("network", "", "on_time_rate", 0.8), ("network", "", "cases_completed", 1234.0),
                ("network", "", "lead_time_p50_hours", 26.2),
                ("office", "BIG", "cases_completed", 50.0), ("office", "BIG", "on_time_rate", 0.7)]
        db.session.add_all(IndicatorSnapshot(week=week, scope_kind=k, scope_value=v, indicator=i, value=x,
                                             published_at=now, audit_head_hash=f"{index:02d}" * 32)
                           for k, v, i, x in rows)
    db.session.commit()


@pytest.mark.parametrize("language", ["kk", "ru", "en"])
def test_indicators_name_weeks_by_dates_and_say_medians_plainly(client, app, language):
    _publish()
    page = client.get(f"/indicators?lang={language}").get_data(as_text=True)
    assert "2026-W15" not in page and "2026-W14" not in page  # no ISO week codes
    assert WEEK_DATES[language] in page
    assert HALF[language] in page
    if language != "en":
        assert "медиан" not in page.lower() and "процентил" not in page.lower()
    # One audit hash for the page, the latest week's (it seals every record before it).
    assert page.count("01" * 32) == 1 and "00" * 32 not in page
    # Numbers are kept whole: every number cell is marked not to wrap.
    assert 'class="num">1' in page


def test_a_week_across_two_months_and_two_years_names_both(app):
    from flask_babel import force_locale

    from monitor.views import format_week

    with app.test_request_context(), force_locale("ru"):
        assert format_week("2026-W14") == "30\u00a0марта\u00a0– 5\u00a0апреля\u00a02026"
        assert format_week("2026-W01") == "29\u00a0декабря\u00a02025\u00a0– 4\u00a0января\u00a02026"


DEADLINES = {"ru": {1: "1 рабочий день", 2: "2 рабочих дня", 5: "5 рабочих дней", 21: "21 рабочий день"},
             "kk": {1: "1 жұмыс күні", 2: "2 жұмыс күні", 5: "5 жұмыс күні", 21: "21 жұмыс күні"},
             "en": {1: "1 working day", 2: "2 working days", 5: "5 working days", 21: "21 working days"}}
FREE = {"ru": "бесплатно", "kk": "тегін", "en": "free of charge"}


@pytest.fixture
def plural_catalog(app, tmp_path):
    from monitor.stores.catalog import store_catalog
    from services_catalog import load_catalog

    from .catalogs import service, version, write_catalog

    services = [service(f"D{n}", versions=[version(deadline={"value": n, "unit": "working_days"},
                                                   fee={"amount": 0 if n == 1 else 1000, "currency": "KZT"})])
                for n in (1, 2, 5, 21)]
    store_catalog(db.session, load_catalog(write_catalog(tmp_path / "catalog", services)))
    db.session.commit()


@pytest.mark.parametrize("language", ["kk", "ru", "en"])
def test_deadlines_have_real_plural_forms_and_a_free_fee_reads_the_same_everywhere(client, plural_catalog,
                                                                                  language):
    listing = client.get(f"/?lang={language}").get_data(as_text=True)
    for n, words in DEADLINES[language].items():
        assert f">{words}</td>" in listing, (n, words)
        for path in (f"/services/D{n}?lang={language}", f"/services/D{n}/checklist?lang={language}"):
            assert words in client.get(path).get_data(as_text=True), (path, words)
    assert "рабочих дней</td>" not in listing.replace("5 рабочих дней</td>", "")
    # A fee of 0 is "free" in the list, on the page and on the checklist, never "0 KZT".
    free_row = listing.split("/services/D1")[1].split("</tr>")[0]
    assert FREE[language] in free_row and "0\u00a0KZT" not in free_row and "0 KZT" not in free_row
    for path in ("/services/D1", "/services/D1/checklist"):
        page = client.get(f"{path}?lang={language}").get_data(as_text=True)
        assert FREE[language] in page and "0 KZT" not in page and "0\u00a0KZT" not in page
    assert "KZT" in listing.split("/services/D2")[1].split("</tr>")[0]


def test_a_skipped_day_reads_as_a_sentence_in_russian(app):
    from flask_babel import force_locale, gettext

    with app.test_request_context(), force_locale("ru"):
        text = gettext("Skipped %(day)s: %(reason)s", day="суббота, 21 марта 2026", reason="выходной день")
    assert text == "Не считается — суббота, 21 марта 2026: выходной день"


NOT_FOUND = {"ru": ("Страница не найдена", "Такой страницы нет."), "kk": ("Бет табылмады", "Мұндай бет жоқ.")}


@pytest.mark.parametrize("language", ["kk", "ru"])
def test_error_pages_speak_the_readers_language(client, language):
    page = client.get(f"/no-such-page?lang={language}")
    assert page.status_code == 404
    text = page.get_data(as_text=True)
    title, description = NOT_FOUND[language]
    assert title in text and description in text
    assert "requested URL was not found" not in text and "Not Found" not in text
    # A 405 too: Werkzeug's English never reaches a kk or ru page.
    text = client.delete(f"/?lang={language}").get_data(as_text=True)
    assert "The method is not allowed" not in text and "Method Not Allowed" not in text


def test_programs_still_read_errors_in_english(client):
    answer = client.get("/api/v1/no-such-thing", headers={"Accept": "application/json"})
    assert answer.status_code == 404 and answer.get_json()["error"] == "Not Found"
    assert "requested URL was not found" in answer.get_json()["message"]


NEXT = {"ru": ("Что будет дальше", "супервайзерам", "не видят, что вы написали",
               "в течение 3 рабочих дней, до конца дня", "администратору"),
        "kk": ("Әрі қарай не болады", "супервайзерлеріне", "не жазғаныңызды да",
               "3 жұмыс күні ішінде", "әкімшіге")}


@pytest.mark.parametrize("language", ["kk", "ru"])
def test_the_bribe_report_confirmation_says_what_happens_next(client, people, loaded_catalog, language):
    import re

    answer = client.post(f"/complaints/new?lang={language}", data={
        "kind": "inducement", "text": "The clerk asked for money to speed things up.", "office_code": "OF1"})
    page = answer.get_data(as_text=True)
    assert answer.status_code == 200 and 'id="what-happens-next"' in page
    for words in NEXT[language]:
        assert words in page, words
    assert re.search(r"\d{1,2}\s\w+\s20\d\d", page.split('id="what-happens-next"')[1])  # the date it is due
    # An ordinary complaint has no such promise.
    other = client.post(f"/complaints/new?lang={language}", data={
        "kind": "delay", "text": "My case is two weeks late already.", "office_code": "OF1"})
    assert 'id="what-happens-next"' not in other.get_data(as_text=True)


ARROW_WORDS = {"ru": ("хуже", "лучше", "больше", "меньше", "без изменений"),
               "kk": ("нашарлады", "жақсарды", "өсті", "азайды")}


@pytest.mark.parametrize("language", ["kk", "ru"])
def test_the_report_names_offices_says_arrows_in_words_and_labels_funnel_points(
        client, login, people, loaded_catalog, tmp_path, app, language):
    import re

    from monitor.services import reports
    from monitor.services.context import engine_inputs

    from .test_supervisor_summary import WEEK, load_one_bad_office

    load_one_bad_office(app, loaded_catalog, tmp_path)
    login("admin")
    page = client.get(f"/supervisor/?week={WEEK}&lang={language}").get_data(as_text=True)
    # Offices by name, the code beside it.
    offices = page[page.index('id="offices-heading"'):page.index('id="funnels-heading"')]
    for code in ("OF1", "OF2"):
        assert f'<th scope="row">{code} {language} <span class="code">{code}</span></th>' in offices
    assert '<th scope="row">OF3</th>' in offices  # an office the register does not know keeps its code
    # Funnel points: each a Tab stop whose label (and hover title) names the office and its numbers.
    points = re.findall(r'<g class="dot" tabindex="0" role="img" aria-label="([^"]+)"><circle[^>]*><title>([^<]+)'
                        r'</title></circle></g>', page)
    assert points and all(label == title for label, title in points)
    assert any(label.startswith(f"OF1 {language} (OF1): ") for label, _ in points)
    assert any(label.startswith("OF3: ") for label, _ in points)
    assert all(re.search(r"\d", label) for label, _ in points)
    # One arrow convention: ▲/▼ is the direction of the number, a word beside it says what it means.
    arrows = re.findall(r'<span aria-hidden="true">([▲▼])</span>\s*([^<]*)', page)
    assert arrows
    for arrow, words in arrows:
        assert any(word in words for word in ARROW_WORDS[language]), (arrow, words)
    report = reports.weekly_report(db.session, engine_inputs(), WEEK, None)
    summary = page[page.index('<ol class="summary">'):page.index("</ol>")].split("<li")[1:]
    for item, html in zip(report.summary, summary):
        if item.standing not in ("alarm", "warning"):
            assert ("▲" if item.value > item.reference else "▼") in html
