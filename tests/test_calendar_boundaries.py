"""The working calendar at the edges a mutation run found unguarded (issue 16).

- the due-date explanation, line by line, for each deadline unit;
- holidays, decree working days and overrides on the first and the last day of a look-up
  range (``working_flags``), and ranges that cross a new year;
- deadlines long enough to reach the end of ``due_at_many``'s look-up range (hundreds of
  working or calendar days), checked against a day-by-day count of the spec's rule.

Local time is UTC+5. 10 April 2026 is a Friday; April 2026 has no public holiday. Nauryz
2026: 21-25 March off. 2025: 1-2 January holidays, Fri 3 January off (moved), Sun 5 January
a working day by decree, Tue 7 January Orthodox Christmas.
"""
from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from monitor.calendar import (
    LOCAL_TIMEZONE,
    CalendarOverride,
    DayStatus,
    Holiday,
    WorkingCalendar,
    due_at,
    due_at_many,
)
from services_catalog import Deadline

from .reference_calendar import reference_due

LOCAL = dt.timezone(dt.timedelta(hours=5))
CALENDAR = WorkingCalendar()


def d(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def local(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=LOCAL)


def end_of(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(23, 59, 59), LOCAL)


# --- the explanation, word for word ---------------------------------------------------------

def test_explain_working_days():
    result = due_at(local("2026-04-10T10:00"), Deadline(2, "working_days"), CALENDAR)
    assert result.explain() == "\n".join([
        "Accepted 2026-04-10 10:00; deadline 2 working days.",
        "Counting 2 working days after 2026-04-10.",
        "  skipped 2026-04-11 (Sat): weekend",
        "  skipped 2026-04-12 (Sun): weekend",
        "Due 2026-04-14 23:59:59 local time.",
    ])


def test_explain_zero_working_days_on_a_day_off():
    result = due_at(local("2026-04-11T09:30"), Deadline(0, "working_days"), CALENDAR)
    assert result.explain() == "\n".join([
        "Accepted 2026-04-11 09:30; deadline 0 working days.",
        "0 working days: due by the end of the day of acceptance.",
        "Due 2026-04-11 23:59:59 local time.",
    ])
    assert result.skipped == ()


def test_explain_calendar_days_ending_on_a_weekend():
    result = due_at(local("2026-04-10T10:00"), Deadline(1, "calendar_days"), CALENDAR)
    assert result.explain() == "\n".join([
        "Accepted 2026-04-10 10:00; deadline 1 calendar days.",
        "2026-04-10 + 1 days; a non-working last day moves to the next working day.",
        "  skipped 2026-04-11 (Sat): weekend",
        "  skipped 2026-04-12 (Sun): weekend",
        "Due 2026-04-13 23:59:59 local time.",
    ])


def test_explain_calendar_days_ending_on_a_working_day_skips_nothing():
    result = due_at(local("2026-04-08T10:00"), Deadline(7, "calendar_days"), CALENDAR)
    assert result.skipped == ()
    assert result.explain() == "\n".join([
        "Accepted 2026-04-08 10:00; deadline 7 calendar days.",
        "2026-04-08 + 7 days; a non-working last day moves to the next working day.",
        "Due 2026-04-15 23:59:59 local time.",
    ])


def test_explain_zero_calendar_days_on_a_day_off():
    result = due_at(local("2026-04-11T09:30"), Deadline(0, "calendar_days"), CALENDAR)
    assert result.due_at == end_of(d("2026-04-13"))
    assert result.explain() == "\n".join([
        "Accepted 2026-04-11 09:30; deadline 0 calendar days.",
        "2026-04-11 + 0 days; a non-working last day moves to the next working day.",
        "  skipped 2026-04-11 (Sat): weekend",
        "  skipped 2026-04-12 (Sun): weekend",
        "Due 2026-04-13 23:59:59 local time.",
    ])


@pytest.mark.parametrize("deadline, due_line", [
    (Deadline(3, "hours"), "Due 2026-04-11 01:30:00 local time."),
    (Deadline(90, "minutes"), "Due 2026-04-11 00:00:00 local time."),
])
def test_explain_hours_and_minutes_skip_nothing(deadline, due_line):
    # Accepted 22:30 UTC+5 written in UTC: the explanation is in local time.
    result = due_at(dt.datetime(2026, 4, 10, 17, 30, tzinfo=dt.UTC), deadline, CALENDAR)
    assert result.skipped == ()
    assert result.explain() == "\n".join([
        f"Accepted 2026-04-10 22:30; deadline {deadline.value} {deadline.unit}.", due_line])


def test_explain_names_an_override_and_a_working_day_by_decree():
    calendar = WorkingCalendar([CalendarOverride(d("2026-04-13"), False, "Decree No. 5")])
    result = due_at(local("2026-04-10T10:00"), Deadline(1, "working_days"), calendar)
    assert result.explain().splitlines()[2:] == [
        "  skipped 2026-04-11 (Sat): weekend",
        "  skipped 2026-04-12 (Sun): weekend",
        "  skipped 2026-04-13 (Mon): override: Decree No. 5",
        "Due 2026-04-14 23:59:59 local time.",
    ]


def test_working_days_skip_from_the_day_after_acceptance():
    # Accepted on a Saturday: the Saturday itself is not "passed over" while counting.
    result = due_at(local("2026-04-11T10:00"), Deadline(1, "working_days"), CALENDAR)
    assert result.due_at == end_of(d("2026-04-13"))
    assert result.skipped == (DayStatus(d("2026-04-12"), False, "weekend", "weekend"),)


def test_skipped_days_across_new_year_2025_in_order():
    result = due_at(local("2024-12-31T10:00"), Deadline(3, "working_days"), CALENDAR)
    assert result.due_at == end_of(d("2025-01-08"))  # Sun 5, Mon 6, [Tue 7], Wed 8
    assert [s.day for s in result.skipped] == [d("2025-01-01"), d("2025-01-02"), d("2025-01-03"),
                                               d("2025-01-04"), d("2025-01-07")]
    assert result.skipped[3].reason == "weekend"
    assert all(not s.is_working_day for s in result.skipped)


# --- day status -----------------------------------------------------------------------------

def test_day_statuses_and_their_reasons():
    assert CALENDAR.status(d("2026-04-10")) == DayStatus(d("2026-04-10"), True, "")
    assert CALENDAR.status(d("2026-04-11")) == DayStatus(d("2026-04-11"), False, "weekend", "weekend")
    assert CALENDAR.status(d("2025-01-05")) == DayStatus(
        d("2025-01-05"), True, "weekend day made working by government decree", "decree_workday")
    nauryz = CALENDAR.status(d("2026-03-23"))
    assert nauryz.is_working_day is False and "Nowruz" in nauryz.reason


def test_the_steps_of_a_due_date_as_data_end_with_the_due_moment():
    due = due_at(local("2026-03-20T10:00"), Deadline(5, "working_days"), CALENDAR)
    steps = due.steps()
    assert [step.kind for step in steps] == ["accepted", "count_working_days"] + ["skipped"] * 7 + ["due"]
    assert steps[-1].moment == due.due_at == end_of(d("2026-04-01"))
    assert [step.day for step in steps[2:-1]] == [d("2026-03-21"), d("2026-03-22"), d("2026-03-23"),
                                                  d("2026-03-24"), d("2026-03-25"), d("2026-03-28"),
                                                  d("2026-03-29")]


def test_an_override_wins_over_the_official_calendar_either_way():
    calendar = WorkingCalendar([CalendarOverride(d("2026-03-23"), True, "holiday cancelled"),
                                CalendarOverride(d("2026-04-10"), False, "flood"),
                                CalendarOverride(d("2026-04-11"), True, "working Saturday"),
                                CalendarOverride(d("2025-01-05"), False, "decree revoked")])
    assert calendar.status(d("2026-03-23")) == DayStatus(
        d("2026-03-23"), True, "override: holiday cancelled", "override", "holiday cancelled")
    assert calendar.status(d("2026-04-10")) == DayStatus(
        d("2026-04-10"), False, "override: flood", "override", "flood")
    assert calendar.status(d("2026-04-11")) == DayStatus(
        d("2026-04-11"), True, "override: working Saturday", "override", "working Saturday")
    assert calendar.status(d("2025-01-05")) == DayStatus(
        d("2025-01-05"), False, "override: decree revoked", "override", "decree revoked")
    assert calendar.is_working_day(d("2026-03-24")) is False  # the next Nauryz day is untouched


def test_holiday_names_follow_the_language():
    english = WorkingCalendar(language="en").status(d("2026-05-09")).reason
    assert english == "Victory Day"
    assert WorkingCalendar(language="ru").status(d("2026-05-09")).reason == "День Победы"
    assert WorkingCalendar(language="kk").status(d("2026-05-09")).reason == "Жеңіс күні"
    assert WorkingCalendar(language="de").status(d("2026-05-09")).reason == english  # unknown: English
    assert "Nowruz" in WorkingCalendar(language="en").status(d("2026-03-23")).reason


def test_the_default_time_zone_is_utc_plus_5_for_every_date():
    assert LOCAL_TIMEZONE == "Etc/GMT-5"
    assert CALENDAR.timezone_name == "Etc/GMT-5"
    for moment in (dt.datetime(2020, 6, 1, 12), dt.datetime(2026, 1, 15, 12)):
        assert CALENDAR.local(moment).utcoffset() == dt.timedelta(hours=5)
        aware = moment.replace(tzinfo=dt.UTC)
        assert CALENDAR.local(aware) == aware and CALENDAR.local(aware).hour == 17


# --- working_flags at the ends of the range -------------------------------------------------

@pytest.mark.parametrize("first, last, expected", [
    ("2026-03-23", "2026-03-27", [0, 0, 0, 1, 1]),     # starts on Nauryz
    ("2026-03-19", "2026-03-23", [1, 1, 0, 0, 0]),     # ends on Nauryz
    ("2026-03-23", "2026-03-23", [0]),
    ("2025-01-05", "2025-01-07", [1, 1, 0]),           # starts on the working Sunday, ends on Christmas
    ("2025-01-03", "2025-01-05", [0, 0, 1]),           # starts on the moved day off, ends on the working Sunday
    ("2025-01-05", "2025-01-05", [1]),
    ("2024-12-30", "2025-01-06", [1, 1, 0, 0, 0, 0, 1, 1]),  # across the new year
    ("2026-04-10", "2026-04-13", [1, 0, 0, 1]),
])
def test_working_flags_at_the_ends_of_the_range(first, last, expected):
    flags = CALENDAR.working_flags(d(first), d(last))
    assert flags.dtype == bool
    assert flags.astype(int).tolist() == expected
    for offset, flag in enumerate(flags):
        assert bool(flag) is CALENDAR.is_working_day(d(first) + dt.timedelta(days=offset))


def test_working_flags_apply_overrides_on_the_first_and_last_day():
    calendar = WorkingCalendar([CalendarOverride(d("2026-04-06"), False, "a"),
                                CalendarOverride(d("2026-04-12"), True, "b"),
                                CalendarOverride(d("2026-04-05"), True, "outside, before"),
                                CalendarOverride(d("2026-04-13"), False, "outside, after")])
    assert calendar.working_flags(d("2026-04-06"), d("2026-04-12")).astype(int).tolist() == [0, 1, 1, 1, 1, 0, 1]


def test_working_flags_over_years_match_status_at_every_year_boundary():
    first, last = d("2019-12-25"), d("2028-01-10")
    flags = CALENDAR.working_flags(first, last)
    assert len(flags) == (last - first).days + 1
    for year in range(2020, 2029):
        for day in (dt.date(year - 1, 12, 28) + dt.timedelta(days=n) for n in range(14)):
            if first <= day <= last:
                assert bool(flags[(day - first).days]) is CALENDAR.is_working_day(day), day


# --- deadlines long enough to reach the end of the look-up range ----------------------------

@pytest.mark.parametrize("accepted, value, unit", [
    ("2026-01-05T10:00", 115, "working_days"),
    ("2026-03-20T10:00", 250, "working_days"),
    ("2025-12-31T23:59", 300, "working_days"),
    ("2026-03-20T10:00", 400, "calendar_days"),
    ("2026-03-11T10:00", 740, "calendar_days"),
    ("2026-04-10T10:00", 1, "working_days"),
])
def test_long_deadlines_follow_the_calendar_to_their_end(accepted, value, unit):
    accepted_at = local(accepted)
    expected = reference_due(accepted_at, value, unit, CALENDAR)
    assert due_at(accepted_at, Deadline(value, unit), CALENDAR).due_at == expected
    many = due_at_many(pd.Series([pd.Timestamp(accepted_at)]), [value], [unit], CALENDAR)
    assert many.iloc[0] == pd.Timestamp(expected)


def test_a_long_deadline_in_one_batch_does_not_change_the_others():
    rows = [("2024-01-10T10:00", 1, "working_days"), ("2027-06-01T10:00", 300, "working_days"),
            ("2027-06-01T10:00", 500, "calendar_days"), ("2024-01-10T10:00", 3, "calendar_days"),
            ("2026-03-20T10:00", 100000, "minutes"), ("2026-03-20T10:00", 2, "hours")]
    accepted = pd.Series([pd.Timestamp(local(a)) for a, _, _ in rows]).dt.tz_convert("UTC")
    many = due_at_many(accepted, [v for _, v, _ in rows], [u for _, _, u in rows], CALENDAR)
    for position, (text, value, unit) in enumerate(rows):
        assert many.iloc[position] == pd.Timestamp(reference_due(local(text), value, unit, CALENDAR)), text
    assert str(many.dtype) == "datetime64[ns, UTC]"


def test_a_batch_accepted_on_days_off_at_the_start_of_its_range():
    # The earliest acceptance (the first day of the range) is itself a day off.
    rows = [("2026-03-21T10:00", 1, "working_days"), ("2026-03-21T10:00", 0, "working_days"),
            ("2026-03-21T10:00", 0, "calendar_days"), ("2026-03-23T10:00", 2, "calendar_days"),
            ("2025-01-04T12:00", 1, "working_days"), ("2025-01-03T12:00", 2, "calendar_days")]
    accepted = pd.Series([pd.Timestamp(local(a)) for a, _, _ in rows])
    many = due_at_many(accepted, np.array([v for _, v, _ in rows]), [u for _, _, u in rows], CALENDAR)
    assert [t.tz_convert(LOCAL).strftime("%Y-%m-%d %H:%M:%S") for t in many] == [
        "2026-03-26 23:59:59", "2026-03-21 23:59:59", "2026-03-26 23:59:59", "2026-03-26 23:59:59",
        "2025-01-05 23:59:59", "2025-01-05 23:59:59"]  # Fri 3 + 2 = the working Sunday


def test_due_at_many_in_another_time_zone_counts_that_zone_s_local_dates():
    calendar = WorkingCalendar(timezone="UTC")
    # 21:00 UTC on Friday 10 April is Saturday in UTC+5, but Friday in UTC.
    accepted = pd.Series([pd.Timestamp("2026-04-10T21:00Z")])
    assert due_at_many(accepted, [1], ["working_days"], calendar).iloc[0] == pd.Timestamp("2026-04-13T23:59:59Z")
    assert due_at_many(accepted, [1], ["working_days"], CALENDAR).iloc[0] == pd.Timestamp(end_of(d("2026-04-13")))


def test_a_due_day_a_time_zone_skipped_ends_at_the_first_moment_after_it():
    """Samoa skipped 30 December 2011 (UTC-10 to UTC+14): a due day with no 23:59:59 of its
    own ends at the first moment that exists after it, never an error."""
    apia = WorkingCalendar(timezone="Pacific/Apia")
    accepted = pd.Series([pd.Timestamp("2011-12-29 10:00", tz="Pacific/Apia")])
    due = due_at_many(accepted, [1], ["calendar_days"], apia).iloc[0]
    assert due == pd.Timestamp("2011-12-31 00:00", tz="Pacific/Apia")


def test_hours_and_minutes_in_a_batch_with_day_deadlines():
    accepted = pd.Series([pd.Timestamp(local("2026-03-20T10:00"))] * 3).dt.tz_convert("UTC")
    due = due_at_many(accepted, [3, 90, 2], ["hours", "minutes", "calendar_days"], CALENDAR)
    assert list(due) == [pd.Timestamp(local("2026-03-20T13:00")), pd.Timestamp(local("2026-03-20T11:30")),
                         pd.Timestamp(end_of(d("2026-03-26")))]  # 22 March is Nauryz: 26 March is the next working day


@pytest.mark.parametrize("language, reason", [("kk", "Наурыз мейрамы"), ("en", "Nauryz (Nowruz holiday)"),
                                              ("ru", "Наурыз мейрамы")])
def test_a_holiday_s_status_names_it_in_the_language_and_by_its_identity(language, reason):
    """``reason`` is for the command line (the calendar's language); ``kind``, ``name`` (the
    holiday's identity, a stable key) and ``holidays`` let pages render it in their reader's language."""
    status = WorkingCalendar(language=language).status(d("2026-03-23"))
    assert status == DayStatus(d("2026-03-23"), False, reason, "holiday", "nauryz", (Holiday("nauryz"),))
    new_year = WorkingCalendar(language=language).status(d("2027-01-01"))
    assert (new_year.kind, new_year.name) == ("holiday", "new_year")
