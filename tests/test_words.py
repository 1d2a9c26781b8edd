"""Domain values in the reader's language: the due-date arithmetic, holiday names, findings'
details, desk errors, the overdue digest (issue 13)."""
from __future__ import annotations

import datetime as dt
import re

import pandas as pd
import pytest
from flask_babel import force_locale
from sqlalchemy import select

from monitor import jobs
from monitor.tools import demo
from monitor.calendar import WorkingCalendar, due_at
from monitor.extensions import db
from monitor.models import Finding
from monitor.views import words
from services_catalog import Deadline

LATIN_WORDS = re.compile(r"[A-Za-z]{3,}")
ALMATY = dt.timezone(dt.timedelta(hours=5))


def nauryz_case():
    # Accepted Friday 20 March 2026: Nauryz (21-25 March) and a weekend are skipped.
    return due_at(dt.datetime(2026, 3, 20, 10, 0, tzinfo=ALMATY), Deadline(5, "working_days"), WorkingCalendar())


def test_the_calendar_gives_its_arithmetic_as_data():
    steps = nauryz_case().steps()
    assert [s.kind for s in steps] == ["accepted", "count_working_days"] + ["skipped"] * 7 + ["due"]
    kinds = {s.day.isoformat(): (s.status.kind, s.status.name) for s in steps if s.kind == "skipped"}
    assert kinds["2026-03-21"] == ("holiday", "Nowruz Holiday")
    assert kinds["2026-03-28"] == ("weekend", "")
    assert steps[-1].moment.isoformat() == "2026-04-01T23:59:59+05:00"
    # The CLI's English explanation is built from the same steps.
    assert "skipped 2026-03-21 (Sat): Nowruz Holiday" in nauryz_case().explain()


@pytest.mark.parametrize("language, expected", [
    ("ru", ["Принято 20 марта 2026, 10:00; срок — 5 рабочих дней.",
            "Отсчитываются 5 рабочих дней после 20 марта 2026.",
            "Не считается — суббота, 21 марта 2026: Наурыз мейрамы",
            "Не считается — суббота, 28 марта 2026: выходной день",
            "Срок: 1 апреля 2026, 23:59 по местному времени."]),
    ("kk", ["Қабылданды: 20 наурыз 2026, 10:00; мерзімі — 5 жұмыс күні.",
            "Есептелмеді — сенбі, 21 наурыз 2026: Наурыз мейрамы",
            "Есептелмеді — сенбі, 28 наурыз 2026: демалыс күні"]),
])
def test_the_due_date_is_explained_in_the_readers_language(app, language, expected):
    with app.test_request_context(), force_locale(language):
        lines = words.explain_due(nauryz_case())
    for line in expected:
        assert line in lines, lines
    assert not any(LATIN_WORDS.search(line) for line in lines), lines


def test_holiday_names_in_kazakh_and_russian_with_moved_days(app):
    with app.test_request_context():
        with force_locale("ru"):
            assert words.holiday_name("Independence Day") == "День Независимости"
            assert words.holiday_name("Nowruz Holiday (observed)") == "Наурыз мейрамы (перенесённый выходной)"
            assert words.holiday_name("Day off (substituted from 03/05/2022)") == \
                "Выходной день (перенесён с 5 марта 2022)"
        with force_locale("kk"):
            assert words.holiday_name("Independence Day") == "Тәуелсіздік күні"
            assert words.holiday_name("Eid al-Adha (estimated)") == "Құрбан айт (болжамды күн)"


def test_every_kazakh_holiday_the_calendar_knows_has_a_name_in_each_language(app):
    import holidays
    for year in range(2018, 2028):
        for english in holidays.country_holidays("KZ", years=year, language="en_US").values():
            for language in ("kk", "ru"):
                with app.test_request_context(), force_locale(language):
                    name = words.holiday_name(english)
                assert not LATIN_WORDS.search(name), (year, english, language, name)


ENGINE_DETAILS = {  # one of each wording monitor/compliance/rules.py writes
    "not required by the service: Salary certificate; PHOTO": "не требуется для услуги: Salary certificate; PHOTO",
    "obtained by the office from state systems: ID_CARD": "отделение получает само из государственных систем: ID_CARD",
    "returned without listing any missing document": "возвращено без указания недостающего документа",
    "the refusal cites no ground": "в отказе не указано основание",
    "ground R9 is not a lawful refusal ground of the service":
        "основание R9 не является законным основанием отказа по этой услуге",
    "waited 25.5 min in the queue, limit 15 (10.5 min over)":
        "ожидание в очереди 25,5 мин при норме 15 (на 10,5 мин больше)",
    "served 0.02 min at the desk, limit 20 (1.5 min over)":
        "обслуживание у окна 0,02 мин при норме 20 (на 1,5 мин больше)",
    "3 returns of the package": "пакет возвращён 3 раз(а)",
    "2 hand-offs, at most 1 allowed": "передач: 2, допускается не более 1",
    "completed 12.5 h after the due time 2026-04-01 18:59:59 UTC":
        "завершено через 12,5 ч после срока 1 апреля 2026, 23:59",
    "open 3 h past the due time 2026-04-01 18:59:59 UTC": "открыто 3 ч после срока 1 апреля 2026, 23:59",
    "accepted on 2026-04-06, submitted again on 2026-04-20 (the deadline still counts from the acceptance)":
        "принято 6 апреля 2026, подано повторно 20 апреля 2026 (срок по-прежнему считается с приёма)",
    "2 consults of the applicant for this service in the 30 days before the first submit":
        "2 консультаций заявителя по этой услуге за 30 дней до первой подачи",
    "new case C9 of the applicant for this service began 2.5 days after the withdrawal":
        "новое дело C9 заявителя по этой услуге начато через 2,5 дн. после отзыва",
}


@pytest.mark.parametrize("detail", ENGINE_DETAILS)
def test_each_engine_detail_reads_in_russian_with_local_times(app, detail):
    with app.test_request_context(), force_locale("ru"):
        rendered = words.finding_detail(detail, ALMATY)
    text = re.sub(r"<[^>]+>", "", str(rendered))
    assert text == ENGINE_DETAILS[detail]


def test_an_unknown_detail_is_shown_as_it_is_and_marked_english(app):
    with app.test_request_context(), force_locale("ru"):
        rendered = str(words.finding_detail("<b>new wording</b>"))
    assert rendered == '<span lang="en">&lt;b&gt;new wording&lt;/b&gt;</span>'


def test_every_detail_the_engine_stores_is_read_back(app):
    """The sweep's details over the demo's weeks all match a wording of words.py, so no
    finding shows English: a new wording in the engine fails here first."""
    demo.load_demo(db.session, app.config, weeks=3, today=dt.date(2026, 4, 22))
    db.session.commit()
    details = db.session.execute(select(Finding.rule, Finding.detail)).all()
    assert len({rule for rule, _ in details}) >= 5
    unread = [(rule, detail) for rule, detail in details if words.detail_parts(detail) is None]
    assert unread == []


def test_desk_errors_are_translated_and_attached_to_the_form_fields(app):
    with app.test_request_context(), force_locale("kk"):
        assert words.desk_error("case_id", "case_id is required for a forward visit") == \
            ("case_number", "бұл әрекет үшін іс нөмірі керек")
        assert words.desk_error("finished_at", "finished_at is before called_at") == \
            ("finished_at", "қызмет көрсету шақырудан бұрын аяқтала алмайды")
        assert words.desk_error("service_code", "no version of service S1 is in force on 2026-04-06") == \
            ("service_code", "6 сәуір 2026 күні S1 қызметінің қолданыстағы нұсқасы жоқ")


def test_the_overdue_digest_is_in_its_readers_language_with_local_times(app):
    cases = pd.DataFrame({"case_number": ["C1"], "due_at": [pd.Timestamp("2026-04-01 18:59:59", tz="UTC")]})
    moment = dt.datetime(2026, 4, 3, 4, 0, tzinfo=dt.timezone.utc)
    russian = jobs.overdue_digest_text("OF1", cases, moment, "ru")
    assert "Просроченные открытые дела отделения OF1 на 3 апреля 2026, 09:00 (местное время):" in russian
    assert "C1: срок 1 апреля 2026, 23:59" in russian
    kazakh = jobs.overdue_digest_text("OF1", cases, moment, "kk")
    assert "OF1 бөлімшесінің мерзімі өткен ашық істері" in kazakh
    assert "бөлімшесінің" not in russian and "Просроченные" not in kazakh
    assert "UTC" not in russian + kazakh
