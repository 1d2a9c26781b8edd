"""Domain values in the reader's language: the due-date arithmetic, holiday names, the
overdue digest (issue 13). Findings and refusals: tests/test_finding_words.py."""
from __future__ import annotations

import datetime as dt
import re

import pandas as pd
import pytest
from flask_babel import force_locale

from monitor.calendar import WorkingCalendar, due_at
from monitor.services import mail
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
    assert kinds["2026-03-21"] == ("holiday", "nauryz")
    assert kinds["2026-03-28"] == ("weekend", "")
    assert steps[-1].moment.isoformat() == "2026-04-01T23:59:59+05:00"
    # The CLI's English explanation is built from the same steps.
    assert "skipped 2026-03-21 (Sat): Nauryz (Nowruz holiday)" in nauryz_case().explain()


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
    """Holiday names come from the calendar's kk/ru/en table, found by date, with the day a
    decree moved a day off from, a holiday moved off a weekend, and an estimated date."""
    status = CALENDAR_EN.status
    with app.test_request_context():
        with force_locale("ru"):
            assert words.holiday_name(status(dt.date(2026, 12, 16))) == "День Независимости"
            assert words.holiday_name(status(dt.date(2026, 3, 24))) == "Наурыз мейрамы (перенесённый выходной)"
            assert words.holiday_name(status(dt.date(2022, 3, 7))) == "Выходной день (перенесён с 5 марта 2022)"
            assert words.holiday_name(status(dt.date(2025, 6, 6))) == "Курбан айт"
            assert words.holiday_name(status(dt.date(2026, 5, 1))) == "Праздник единства народа Казахстана"
        with force_locale("kk"):
            assert words.holiday_name(status(dt.date(2026, 12, 16))) == "Тәуелсіздік күні"
            assert words.holiday_name(status(dt.date(2026, 5, 27))) == "Құрбан айт (болжамды күн)"
            assert words.holiday_name(status(dt.date(2026, 5, 11))) == "Жеңіс күні (қайта белгіленген демалыс)"
        with force_locale("en"):
            assert words.holiday_name(status(dt.date(2022, 5, 10))) == "Defender of the Fatherland Day (day off moved)"
            assert words.holiday_name(status(dt.date(2014, 1, 3))) == "Day off (moved from 28 December 2013)"


CALENDAR_EN = WorkingCalendar(language="en")


def test_every_kazakh_holiday_the_calendar_knows_is_identified_and_named_in_each_language(app):
    """Every day off the holidays package lists is identified by date (none left as a generic
    "public holiday") and has kk and ru words without Latin letters; a holiday's Kazakh name
    agrees with the package's own Kazakh localisation."""
    import holidays

    from monitor.calendar import HOLIDAY_WORDS, holidays_of
    for year in range(2002, 2031):
        kazakh = holidays.country_holidays("KZ", years=year, language="kk")
        for day in kazakh:
            found = holidays_of(day)
            assert found and all(h.key != "public_holiday" or h.moved_from for h in found), (day, found)
            for language in ("kk", "ru"):
                with app.test_request_context(), force_locale(language):
                    name = words.holiday_name(CALENDAR_EN.status(day))
                assert name and not LATIN_WORDS.search(name), (day, language, name)
            plain = [h for h in found if not h.moved_from]
            if year <= 2025 and plain:  # the package renamed Republic Day from 2026
                assert all(HOLIDAY_WORDS[h.key]["kk"] in kazakh[day] for h in plain), (day, kazakh[day], found)


def test_the_overdue_digest_is_in_its_readers_language_with_local_times(app):
    cases = pd.DataFrame({"case_number": ["C1"], "due_at": [pd.Timestamp("2026-04-01 18:59:59", tz="UTC")]})
    moment = dt.datetime(2026, 4, 3, 4, 0, tzinfo=dt.UTC)
    russian = mail.overdue_digest_text("OF1", cases, moment, "ru")
    assert "Просроченные открытые дела отделения OF1 на 3 апреля 2026, 09:00 (местное время):" in russian
    assert "C1: срок 1 апреля 2026, 23:59" in russian
    kazakh = mail.overdue_digest_text("OF1", cases, moment, "kk")
    assert "OF1 бөлімшесінің мерзімі өткен ашық істері" in kazakh
    assert "бөлімшесінің" not in russian and "Просроченные" not in kazakh
    assert "UTC" not in russian + kazakh
