"""The official working-day calendar of Kazakhstan and legal due times (monitor/calendar.py).

The rules (visit-log-and-rules.md, "Case timeline"):
- working_days N: end (23:59:59 local) of the N-th working day strictly after the
  acceptance date; N = 0: the end of the acceptance day itself, even a holiday;
- calendar_days N: end of acceptance date + N; a non-working last day moves to the end of
  the next working day;
- hours / minutes N: accepted_at + N.
Local time is Asia/Almaty, UTC+5. Expected values below were counted by hand on the 2024-2027
calendars (holidays, observed days off, days moved by decree).
"""
from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from monitor.calendar import CalendarOverride, WorkingCalendar, due_at, due_at_many
from services_catalog import Deadline

from .reference_calendar import reference_due

LOCAL = dt.timezone(dt.timedelta(hours=5))
UNITS = ("working_days", "calendar_days", "hours", "minutes")
CALENDAR = WorkingCalendar()


def local(text: str) -> dt.datetime:
    """An aware local (UTC+5) moment from 'YYYY-MM-DD' or 'YYYY-MM-DDTHH:MM'."""
    return dt.datetime.fromisoformat(text).replace(tzinfo=LOCAL)


def end_of(day: str) -> dt.datetime:
    return dt.datetime.combine(dt.date.fromisoformat(day), dt.time(23, 59, 59), LOCAL)


def d(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


# --------------------------------------------------------------------------- which days work

@pytest.mark.parametrize("day, working, reason_has", [
    # Nauryz 2026: 21 (Sat), 22 (Sun), 23 (Mon) holidays, 24-25 observed days off.
    ("2026-03-20", True, ""),
    ("2026-03-21", False, "Nowruz"),
    ("2026-03-22", False, "Nowruz"),
    ("2026-03-23", False, "Nowruz"),
    ("2026-03-24", False, "Nowruz"),
    ("2026-03-25", False, "Nowruz"),
    ("2026-03-26", True, ""),
    # May 2026: 1 May (Fri), 7 May (Thu), 9 May (Sat) with 11 May (Mon) off in its place.
    ("2026-05-01", False, "Unity"),
    ("2026-05-04", True, ""),
    ("2026-05-07", False, "Defender"),
    ("2026-05-08", True, ""),
    ("2026-05-09", False, "Victory"),
    ("2026-05-10", False, "weekend"),
    ("2026-05-11", False, "Victory"),
    ("2026-05-12", True, ""),
    # New Year.
    ("2025-01-01", False, "New Year"),
    ("2025-01-02", False, "New Year"),
    ("2026-01-01", False, "New Year"),
    ("2026-01-02", False, "New Year"),
    ("2026-01-05", True, ""),
    # January 2025: Friday 3 off, moved by decree to Sunday 5, which was worked.
    ("2025-01-03", False, "Day off"),
    ("2025-01-04", False, "weekend"),
    ("2025-01-05", True, "decree"),
    ("2025-01-06", True, ""),
    # May 2024: Saturday 4 worked, Wednesday 8 off in its place.
    ("2024-05-04", True, "decree"),
    ("2024-05-08", False, "Day off"),
    # Ordinary weekends.
    ("2026-03-28", False, "weekend"),
    ("2026-03-29", False, "weekend"),
    ("2025-12-31", True, ""),
])
def test_the_official_calendar_of_kazakhstan(day, working, reason_has):
    status = CALENDAR.status(d(day))
    assert status.day == d(day)
    assert status.is_working_day is working
    assert CALENDAR.is_working_day(d(day)) is working
    if reason_has:
        assert reason_has in status.reason
    else:
        assert status.reason == ""


def test_the_moved_day_off_says_where_it_was_moved_from():
    reason = CALENDAR.status(d("2025-01-03")).reason
    assert "substitut" in reason.lower() or "decree" in reason.lower() or "moved" in reason.lower()


def test_working_flags_agree_with_status_day_by_day():
    first, last = d("2024-03-01"), d("2027-12-31")
    flags = CALENDAR.working_flags(first, last)
    assert len(flags) == (last - first).days + 1
    for offset, flag in enumerate(flags):
        day = first + dt.timedelta(days=offset)
        assert bool(flag) is CALENDAR.is_working_day(day), day


# --------------------------------------------------------------------------- due_at at real boundaries

@pytest.mark.parametrize("accepted, value, unit, due", [
    # working days across Nauryz 2026: 26, 27, 30, 31 March, 1 April.
    ("2026-03-20T10:00", 5, "working_days", "2026-04-01"),
    ("2026-03-20T10:00", 1, "working_days", "2026-03-26"),
    ("2026-03-20T23:59", 2, "working_days", "2026-03-27"),
    ("2026-03-21T09:00", 1, "working_days", "2026-03-26"),   # accepted on a holiday
    ("2026-03-19T12:00", 1, "working_days", "2026-03-20"),
    # N = 0: the end of the acceptance day itself, even a holiday or a weekend day.
    ("2026-03-23T11:00", 0, "working_days", "2026-03-23"),
    ("2026-03-28T11:00", 0, "working_days", "2026-03-28"),
    ("2026-03-20T00:00", 0, "working_days", "2026-03-20"),
    # May 2026.
    ("2026-04-30T16:00", 1, "working_days", "2026-05-04"),
    ("2026-05-06T10:00", 1, "working_days", "2026-05-08"),
    ("2026-05-06T10:00", 2, "working_days", "2026-05-12"),
    ("2026-05-08T10:00", 1, "working_days", "2026-05-12"),
    # Year ends: 2025-12-31, then 5 and 6 January 2026.
    ("2025-12-30T09:00", 3, "working_days", "2026-01-06"),
    ("2025-12-31T17:00", 1, "working_days", "2026-01-05"),
    ("2026-12-31T15:00", 1, "working_days", "2027-01-05"),    # 1-2 Jan, weekend, 4 Jan observed
    # January 2025: 3 January off by decree, Sunday 5 January a working day.
    ("2025-01-02T10:00", 1, "working_days", "2025-01-05"),
    ("2024-12-31T10:00", 2, "working_days", "2025-01-06"),
    ("2025-01-04T10:00", 1, "working_days", "2025-01-05"),
    # Month ends.
    ("2026-01-30T10:00", 1, "working_days", "2026-02-02"),
    ("2026-02-27T10:00", 2, "working_days", "2026-03-03"),
    ("2026-04-30T10:00", 10, "working_days", "2026-05-19"),
    # calendar days: the last day, moved on to a working day when it is not one.
    ("2026-03-13T10:00", 10, "calendar_days", "2026-03-26"),  # 23 March (Nauryz) -> 26
    ("2026-03-10T10:00", 5, "calendar_days", "2026-03-16"),   # Sunday -> Monday
    ("2026-03-10T10:00", 2, "calendar_days", "2026-03-12"),   # a working day stays
    ("2026-03-21T10:00", 0, "calendar_days", "2026-03-26"),   # N = 0 on a holiday moves on
    ("2026-03-20T10:00", 0, "calendar_days", "2026-03-20"),
    ("2026-03-22T10:00", 1, "calendar_days", "2026-03-26"),   # days in between are counted
    ("2025-12-25T10:00", 7, "calendar_days", "2026-01-05"),   # 1 January -> 5 January
    ("2024-12-29T10:00", 5, "calendar_days", "2025-01-05"),   # 3 Jan off -> working Sunday 5
    ("2026-04-28T10:00", 3, "calendar_days", "2026-05-04"),
    ("2026-05-08T10:00", 1, "calendar_days", "2026-05-12"),   # 9 May Sat ... 11 May observed
    ("2026-12-31T10:00", 1, "calendar_days", "2027-01-05"),
    ("2026-01-31T10:00", 30, "calendar_days", "2026-03-02"),  # across February: a Monday
    ("2026-01-31T10:00", 35, "calendar_days", "2026-03-10"),  # 7 Mar Sat ... 9 Mar observed
])
def test_due_at_by_days(accepted, value, unit, due):
    result = due_at(local(accepted), Deadline(value, unit), CALENDAR)
    assert result.due_at == end_of(due)
    assert result.due_at.tzinfo is not None
    assert result.due_at.utcoffset() == dt.timedelta(hours=5)
    assert (result.due_at.hour, result.due_at.minute, result.due_at.second) == (23, 59, 59)
    assert result.deadline == Deadline(value, unit)
    assert result.accepted_at == local(accepted)


@pytest.mark.parametrize("accepted, value, unit, due", [
    ("2026-03-20T10:00", 5, "hours", "2026-03-20T15:00"),
    ("2026-03-20T22:30", 2, "hours", "2026-03-21T00:30"),     # into a holiday: hours run on
    ("2026-12-31T23:50", 15, "minutes", "2027-01-01T00:05"),
    ("2026-03-23T09:00", 0, "minutes", "2026-03-23T09:00"),
    ("2026-03-20T10:00", 30, "hours", "2026-03-21T16:00"),
    ("2026-03-20T10:07", 90, "minutes", "2026-03-20T11:37"),
])
def test_due_at_by_hours_and_minutes(accepted, value, unit, due):
    result = due_at(local(accepted), Deadline(value, unit), CALENDAR)
    assert result.due_at == local(due)
    assert result.due_at.utcoffset() == dt.timedelta(hours=5)
    assert result.skipped == ()


def test_acceptance_in_utc_counts_from_the_local_date():
    # 19:30 UTC on Friday 20 March is 00:30 on Saturday 21 March (Nauryz) in Almaty.
    accepted = dt.datetime(2026, 3, 20, 19, 30, tzinfo=dt.UTC)
    result = due_at(accepted, Deadline(0, "working_days"), CALENDAR)
    assert result.due_at == end_of("2026-03-21")
    result = due_at(accepted, Deadline(1, "working_days"), CALENDAR)
    assert result.due_at == end_of("2026-03-26")
    assert result.accepted_at == local("2026-03-21T00:30")
    # The same instant written in UTC or in local time gives the same due time.
    assert due_at(local("2026-03-21T00:30"), Deadline(1, "working_days"), CALENDAR).due_at == result.due_at


def test_a_naive_acceptance_is_local_time():
    naive = dt.datetime(2026, 3, 20, 23, 30)
    result = due_at(naive, Deadline(1, "working_days"), CALENDAR)
    assert result.due_at == end_of("2026-03-26")
    assert due_at(naive, Deadline(3, "hours"), CALENDAR).due_at == local("2026-03-21T02:30")


# --------------------------------------------------------------------------- what was skipped, explained

def test_skipped_days_across_nauryz_with_reasons():
    result = due_at(local("2026-03-20T10:00"), Deadline(5, "working_days"), CALENDAR)
    skipped = {s.day: s.reason for s in result.skipped}
    assert list(skipped) == [d("2026-03-21"), d("2026-03-22"), d("2026-03-23"), d("2026-03-24"),
                             d("2026-03-25"), d("2026-03-28"), d("2026-03-29")]
    assert all(not s.is_working_day for s in result.skipped)
    for day in ("2026-03-21", "2026-03-22", "2026-03-23", "2026-03-24", "2026-03-25"):
        assert "Nowruz" in skipped[d(day)]
    assert skipped[d("2026-03-28")] == "weekend"
    assert skipped[d("2026-03-29")] == "weekend"

    explained = result.explain()
    for day in skipped:
        assert day.isoformat() in explained
    assert "Nowruz" in explained and "weekend" in explained
    assert "2026-04-01 23:59:59" in explained
    assert "2026-03-26" not in explained  # a counted working day is not "skipped"


def test_skipped_days_of_the_moved_day_off_and_the_working_sunday():
    result = due_at(local("2024-12-31T10:00"), Deadline(2, "working_days"), CALENDAR)
    skipped = {s.day: s.reason for s in result.skipped}
    assert list(skipped) == [d("2025-01-01"), d("2025-01-02"), d("2025-01-03"), d("2025-01-04")]
    assert "New Year" in skipped[d("2025-01-01")]
    assert "Day off" in skipped[d("2025-01-03")]
    assert skipped[d("2025-01-04")] == "weekend"
    assert d("2025-01-05") not in skipped  # the working Sunday is counted
    explained = result.explain()
    assert "2025-01-03" in explained and "skipped 2025-01-05" not in explained
    assert "Day off (moved from 2025-01-05)" in explained  # the day off says where it came from
    assert "2025-01-06 23:59:59" in explained


def test_skipped_days_of_may_2026():
    result = due_at(local("2026-05-06T10:00"), Deadline(2, "working_days"), CALENDAR)
    skipped = {s.day: s.reason for s in result.skipped}
    assert list(skipped) == [d("2026-05-07"), d("2026-05-09"), d("2026-05-10"), d("2026-05-11")]
    assert "Victory" in skipped[d("2026-05-09")] and "Victory" in skipped[d("2026-05-11")]


def test_calendar_days_skip_only_the_non_working_end():
    result = due_at(local("2026-03-13T10:00"), Deadline(10, "calendar_days"), CALENDAR)
    # The weekend of 14-15 March is counted as calendar days; only 23-25 March are passed over.
    assert [s.day for s in result.skipped] == [d("2026-03-23"), d("2026-03-24"), d("2026-03-25")]
    explained = result.explain()
    assert "2026-03-23" in explained and "2026-03-14" not in explained
    assert "2026-03-26 23:59:59" in explained


def test_a_zero_day_deadline_skips_nothing_and_says_so():
    result = due_at(local("2026-03-23T11:00"), Deadline(0, "working_days"), CALENDAR)
    assert result.skipped == ()
    explained = result.explain()
    assert "2026-03-23 23:59:59" in explained
    assert "0 working days" in explained


# --------------------------------------------------------------------------- overrides

def test_an_override_turns_a_working_day_off():
    calendar = WorkingCalendar([CalendarOverride(d("2026-03-26"), False, "Decree No. 1 of 2026")])
    status = calendar.status(d("2026-03-26"))
    assert status.is_working_day is False and "Decree No. 1 of 2026" in status.reason
    result = due_at(local("2026-03-20T10:00"), Deadline(5, "working_days"), calendar)
    assert result.due_at == end_of("2026-04-02")
    assert d("2026-03-26") in [s.day for s in result.skipped]
    assert "Decree No. 1 of 2026" in result.explain()
    # calendar days ending on it move on too.
    assert due_at(local("2026-03-25T10:00"), Deadline(1, "calendar_days"), calendar).due_at \
        == end_of("2026-03-27")


def test_an_override_turns_a_weekend_day_working():
    calendar = WorkingCalendar([CalendarOverride(d("2026-03-28"), True, "working Saturday")])
    assert calendar.is_working_day(d("2026-03-28"))
    assert not calendar.is_working_day(d("2026-03-29"))
    result = due_at(local("2026-03-20T10:00"), Deadline(5, "working_days"), calendar)
    assert result.due_at == end_of("2026-03-31")
    assert d("2026-03-28") not in [s.day for s in result.skipped]
    assert due_at(local("2026-03-27T10:00"), Deadline(1, "calendar_days"), calendar).due_at \
        == end_of("2026-03-28")


def test_an_override_can_make_a_public_holiday_working_and_undo_a_decree():
    calendar = WorkingCalendar([
        CalendarOverride(d("2026-03-25"), True, "holiday cancelled"),
        CalendarOverride(d("2025-01-05"), False, "decree revoked"),
    ])
    assert due_at(local("2026-03-20T10:00"), Deadline(1, "working_days"), calendar).due_at \
        == end_of("2026-03-25")
    assert due_at(local("2025-01-02T10:00"), Deadline(1, "working_days"), calendar).due_at \
        == end_of("2025-01-06")
    flags = calendar.working_flags(d("2025-01-01"), d("2026-12-31"))
    assert flags[(d("2026-03-25") - d("2025-01-01")).days]
    assert not flags[(d("2025-01-05") - d("2025-01-01")).days]


def test_the_official_calendar_is_unchanged_by_another_calendars_overrides():
    WorkingCalendar([CalendarOverride(d("2026-03-26"), False, "x")]).status(d("2026-03-26"))
    assert CALENDAR.is_working_day(d("2026-03-26"))


# --------------------------------------------------------------------------- due_at_many

def test_due_at_many_handles_missing_rows_and_keeps_the_index():
    accepted = pd.Series([pd.Timestamp("2026-03-20T10:00+05:00"), pd.NaT,
                          pd.Timestamp("2026-03-20T10:00+05:00"), pd.Timestamp("2026-03-20T10:00+05:00")],
                         index=[10, 20, 30, 40], dtype="datetime64[ns, UTC]")
    result = due_at_many(accepted, [5, 5, None, 2], ["working_days", "working_days", "hours", None],
                         CALENDAR)
    assert list(result.index) == [10, 20, 30, 40]
    assert result.loc[10] == pd.Timestamp(end_of("2026-04-01"))
    assert pd.isna(result.loc[20]) and pd.isna(result.loc[30]) and pd.isna(result.loc[40])


def test_due_at_many_with_no_known_rows_is_all_missing():
    accepted = pd.Series([pd.NaT, pd.NaT], dtype="datetime64[ns, UTC]")
    result = due_at_many(accepted, [1, 2], [None, None], CALENDAR)
    assert result.isna().all() and len(result) == 2


OVERRIDE_DAYS = [d("2026-03-26"), d("2026-03-28"), d("2026-03-23"), d("2025-01-05"), d("2025-01-03"),
                 d("2026-12-31"), d("2027-01-02"), d("2024-05-04"), d("2026-05-11")]

uniform_moments = st.datetimes(min_value=dt.datetime(2024, 1, 1),
                               max_value=dt.datetime(2027, 12, 31, 23, 59, 59))
# Half the acceptances fall in the few weeks before a holiday, a decree day or an override,
# where the counting can go wrong; the rest anywhere in 2024-2027.
near_boundaries = st.builds(
    lambda day, back, seconds: dt.datetime.combine(day, dt.time()) - dt.timedelta(days=back)
    + dt.timedelta(seconds=seconds),
    st.sampled_from(OVERRIDE_DAYS + [d("2026-05-01"), d("2025-12-31"), d("2027-03-21")]),
    st.integers(-2, 20), st.integers(0, 86399))
moments = st.one_of(uniform_moments, near_boundaries)
rows = st.tuples(moments, st.sampled_from(["local", "utc", "naive"]), st.integers(0, 30),
                 st.sampled_from(UNITS))
override_sets = st.lists(st.tuples(st.sampled_from(OVERRIDE_DAYS), st.booleans()), max_size=4)


@settings(max_examples=min(60, settings.default.max_examples), deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(rows, min_size=1, max_size=12), overrides=override_sets)
def test_due_at_many_agrees_with_due_at_and_the_rules(rows, overrides):
    calendar = WorkingCalendar([CalendarOverride(day, working, "test") for day, working in overrides])
    accepted = []
    for moment, form, _, _ in rows:
        aware = moment.replace(tzinfo=calendar.timezone)
        accepted.append(aware if form != "utc" else aware.astimezone(dt.UTC))
    series = pd.Series([pd.Timestamp(a).tz_convert("UTC") for a in accepted], dtype="datetime64[ns, UTC]")
    series.index = range(100, 100 + 3 * len(rows), 3)  # not a default index
    values = [value for _, _, value, _ in rows]
    units = [unit for _, _, _, unit in rows]
    many = due_at_many(series, values, units, calendar)
    assert list(many.index) == list(series.index)
    for i, (moment, form, value, unit) in enumerate(rows):
        given_moment = moment if form == "naive" else accepted[i]
        one = due_at(given_moment, Deadline(value, unit), calendar)
        expected = reference_due(given_moment, value, unit, calendar)
        assert one.due_at == expected, (given_moment, value, unit)
        assert one.due_at.tzinfo is not None
        assert many.iloc[i] == pd.Timestamp(expected), (given_moment, value, unit)
        assert all(not s.is_working_day for s in one.skipped)
        assert all(one.accepted_at.date() <= s.day <= one.due_at.date() for s in one.skipped)
        if unit in ("working_days", "calendar_days"):
            assert one.due_at.time() == dt.time(23, 59, 59)
            assert calendar.is_working_day(one.due_at.date()) or (unit == "working_days" and value == 0)
            assert one.due_at.date() >= one.accepted_at.date() + dt.timedelta(days=value)


@settings(max_examples=min(60, settings.default.max_examples), deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(rows, min_size=1, max_size=12), overrides=override_sets,
       day=st.sampled_from(OVERRIDE_DAYS), working=st.booleans())
def test_a_days_change_moves_only_the_due_times_of_cases_accepted_before_it_ends_and_due_on_it_or_later(
        rows, overrides, day, working):
    """What ``stores.cases.reaching_day`` re-times after an override: no other due time moves."""
    before = WorkingCalendar([CalendarOverride(d, w, "test") for d, w in overrides])
    after = WorkingCalendar([CalendarOverride(d, w, "test") for d, w in overrides if d != day]
                            + [CalendarOverride(day, working, "test")])
    accepted = pd.Series([pd.Timestamp(moment.replace(tzinfo=before.timezone)).tz_convert("UTC")
                          for moment, _, _, _ in rows], dtype="datetime64[ns, UTC]")
    values, units = [value for _, _, value, _ in rows], [unit for _, _, _, unit in rows]
    old, new = due_at_many(accepted, values, units, before), due_at_many(accepted, values, units, after)
    starts = pd.Timestamp(dt.datetime.combine(day, dt.time(), tzinfo=before.timezone))
    reached = (accepted < starts + pd.Timedelta(days=1)) & (old >= starts)
    assert ((old == new) | reached).all()
    assert (reached == ((accepted < starts + pd.Timedelta(days=1)) & (new >= starts))).all()
