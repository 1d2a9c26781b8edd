"""Local days and ISO weeks: the one definition in monitor/calendar.py."""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pandas as pd
import pytest

from monitor import calendar
from monitor.calendar import BadWeek, WorkingCalendar

LOCAL = "Etc/GMT-5"


@pytest.mark.parametrize("day", [dt.date(2020, 12, 31), dt.date(2021, 1, 3), dt.date(2026, 3, 9),
                                 dt.date(2026, 12, 28), dt.date(2027, 1, 3), dt.date(2015, 12, 31)])
def test_week_labels_are_the_iso_weeks_of_local_dates(day):
    year, number, _ = day.isocalendar()
    index = int(calendar.week_number((day - dt.date(1970, 1, 1)).days))
    assert calendar.week_label(index) == f"{year}-W{number:02d}"
    assert calendar.week_of_label(f"{year}-W{number:02d}") == index
    assert calendar.week_of_label(f" {year}-W{number:02d} ") == index


@pytest.mark.parametrize("label, reason", [
    ("2026-W54", "no_such_week"), ("2026-W00", "no_such_week"), ("2025-W53", "no_such_week"),
    ("2026W12", "format"), ("banana", "format"), ("", "format"), ("2026-W1", "format"),
    ("1999-W10", "out_of_range"), ("2101-W10", "out_of_range"),
])
def test_a_bad_week_label_says_why(label, reason):
    with pytest.raises(BadWeek) as raised:
        calendar.checked_week(label)
    assert raised.value.reason == reason and not calendar.is_week_label(label)


def test_the_engine_knows_every_iso_week_people_ask_only_about_theirs():
    assert calendar.week_label(calendar.week_of_label("1970-W01")) == "1970-W01"
    assert not calendar.is_week_label("1970-W01")


def test_2026_has_53_weeks_and_2027_not():
    assert calendar.is_week_label("2026-W53") and not calendar.is_week_label("2027-W53")


def test_a_week_ends_at_monday_midnight_local_and_the_next_starts_there():
    index = calendar.week_of_label("2026-W12")  # 16..22 March 2026
    end = calendar.week_end(index, LOCAL)
    assert end == pd.Timestamp("2026-03-23 00:00", tz=LOCAL)
    assert calendar.week_start(index + 1, LOCAL) == end
    assert calendar.week_start(index, LOCAL) == pd.Timestamp("2026-03-16 00:00", tz=LOCAL)


def test_a_moment_counts_in_the_local_week_not_the_utc_one():
    # Sunday 22 March 2026, 20:00 UTC is Monday 01:00 in Kazakhstan: week 13, not 12.
    moment = dt.datetime(2026, 3, 22, 20, 0, tzinfo=dt.UTC)
    assert calendar.week_label(calendar.week_of(moment, LOCAL)) == "2026-W13"
    assert calendar.last_complete_week(moment, LOCAL) == "2026-W12"
    assert calendar.local_today(LOCAL, moment) == dt.date(2026, 3, 23)
    assert calendar.local_midnight(moment, LOCAL) == dt.datetime(2026, 3, 23, tzinfo=ZoneInfo(LOCAL))


def test_the_desk_window_ends_after_the_next_working_day_skipping_holidays():
    cal = WorkingCalendar(timezone=LOCAL)
    # Friday 20 March 2026 18:00 local: 21-25 March are the weekend and Nauryz, so the next
    # working day is Thursday 26 March and the window closes at midnight after it.
    friday = dt.datetime(2026, 3, 20, 18, 0, tzinfo=ZoneInfo(LOCAL))
    assert calendar.end_of_next_working_day(friday, cal) == dt.datetime(2026, 3, 27, tzinfo=ZoneInfo(LOCAL))
    tuesday = dt.datetime(2026, 3, 17, 9, 0, tzinfo=ZoneInfo(LOCAL))
    assert calendar.end_of_next_working_day(tuesday, cal) == dt.datetime(2026, 3, 19, tzinfo=ZoneInfo(LOCAL))
