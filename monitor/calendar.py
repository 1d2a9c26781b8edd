"""The official working-day calendar of Kazakhstan and legal due times.

No Flask, no database: the rules engine, the desk receipt, the citizens' pages and the
CLI all call ``due_at`` (one deadline, explained) or ``due_at_many`` (a million, vectorised).
The calendar is the ``holidays`` package's Kazakhstan (weekends, public holidays, days off
moved by decree, weekend days made working by decree) plus administrators' overrides. Which
holiday a day off is, and its name in kk, ru and en, is this module's own data (HOLIDAY_WORDS,
keyed by the holiday's identity and found by date), never the package's English names.
"""
from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays
import numpy as np
import pandas as pd
from holidays.countries.kazakhstan import KazakhstanIslamicHolidays, KazakhstanStaticHolidays

from services_catalog import Deadline

# Kazakhstan's local time as the rules define it: UTC+5 for every date (IANA's Etc/GMT-5;
# Asia/Almaty agrees only since 1 March 2024).
LOCAL_TIMEZONE = "Etc/GMT-5"
END_OF_DAY = pd.Timedelta(hours=23, minutes=59, seconds=59)
_EPOCH = dt.date(1970, 1, 1)
# The public holidays of Kazakhstan by identity, in the three languages of the app. Source: the
# Law "On holidays in the Republic of Kazakhstan" No. 267-II of 13 December 2001 (adilet.zan.kz,
# Z010000267_) and the Labour Code, article 85 (days off); the Kazakh names are those of the
# holidays package's own kk localisation, which has no Russian one (so the table, not the package).
HOLIDAY_WORDS: dict[str, dict[str, str]] = {
    "new_year": {"kk": "Жаңа жыл", "ru": "Новый год", "en": "New Year"},
    "orthodox_christmas": {"kk": "Православиелік Рождество", "ru": "Православное Рождество",
                           "en": "Orthodox Christmas"},
    "womens_day": {"kk": "Халықаралық әйелдер күні", "ru": "Международный женский день",
                   "en": "International Women's Day"},
    "nauryz": {"kk": "Наурыз мейрамы", "ru": "Наурыз мейрамы", "en": "Nauryz (Nowruz holiday)"},
    "unity_day": {"kk": "Қазақстан халқының бірлігі мерекесі", "ru": "Праздник единства народа Казахстана",
                  "en": "Kazakhstan People's Unity Day"},
    "defender_day": {"kk": "Отан Қорғаушы күні", "ru": "День защитника Отечества",
                     "en": "Defender of the Fatherland Day"},
    "victory_day": {"kk": "Жеңіс күні", "ru": "День Победы", "en": "Victory Day"},
    "capital_day": {"kk": "Астана күні", "ru": "День Столицы", "en": "Capital Day"},
    "constitution_day": {"kk": "Қазақстан Республикасының Конституциясы күні",
                         "ru": "День Конституции Республики Казахстан", "en": "Constitution Day"},
    "republic_day": {"kk": "Республика күні", "ru": "День Республики", "en": "Republic Day"},
    "first_president_day": {"kk": "Қазақстан Республикасының Тұңғыш Президенті күні",
                            "ru": "День Первого Президента Республики Казахстан", "en": "First President Day"},
    "independence_day": {"kk": "Тәуелсіздік күні", "ru": "День Независимости", "en": "Independence Day"},
    "kurban_ait": {"kk": "Құрбан айт", "ru": "Курбан айт", "en": "Kurban Ait (Eid al-Adha)"},
    # A day the package lists that none of the rules below identifies (a future package's new day off).
    "public_holiday": {"kk": "мереке күні", "ru": "праздничный день", "en": "public holiday"},
}
# How a holiday's day off is worded when it moved: {name} the holiday, {date} the day it moved from.
HOLIDAY_FORMS: dict[str, dict[str, str]] = {
    "observed": {"kk": "{name} (қайта белгіленген демалыс)", "ru": "{name} (перенесённый выходной)",
                 "en": "{name} (day off moved)"},
    "estimated": {"kk": "{name} (болжамды күн)", "ru": "{name} (предполагаемая дата)",
                  "en": "{name} (estimated date)"},
    "moved_from": {"kk": "Демалыс күні ({date} күнінен ауыстырылды)", "ru": "Выходной день (перенесён с {date})",
                   "en": "Day off (moved from {date})"},
}
# The holidays of a fixed date (month, day): the law's dates; the package decides the years.
_FIXED_HOLIDAYS = {
    (1, 1): "new_year", (1, 2): "new_year", (1, 7): "orthodox_christmas", (3, 8): "womens_day",
    (3, 21): "nauryz", (3, 22): "nauryz", (3, 23): "nauryz", (5, 1): "unity_day", (5, 7): "defender_day",
    (5, 9): "victory_day", (7, 6): "capital_day", (8, 30): "constitution_day", (3, 15): "constitution_day",
    (10, 25): "republic_day", (12, 1): "first_president_day", (12, 16): "independence_day",
    (12, 17): "independence_day",
}
# The years a fixed date has been a holiday when not always (the law's amendments; inclusive).
_FIXED_YEARS: dict[tuple[int, int], tuple[tuple[int, int], ...]] = {
    (1, 7): ((2006, 9999),), (3, 21): ((2010, 9999),), (3, 23): ((2010, 9999),), (5, 7): ((2013, 9999),),
    (7, 6): ((2009, 9999),), (8, 30): ((1996, 2025),), (3, 15): ((2027, 9999),),
    (10, 25): ((1994, 2008), (2022, 9999)), (12, 1): ((2012, 2021),), (12, 17): ((1991, 2021),),
}
# Religious holidays are never moved off a weekend (Labour Code, art. 85).
_NOT_OBSERVED = ("orthodox_christmas", "kurban_ait")


@dataclass(frozen=True)
class CalendarOverride:
    """An administrator's correction of the official calendar for one day."""

    day: dt.date
    is_working_day: bool
    reason: str


@dataclass(frozen=True)
class Holiday:
    """One holiday of a day off, as data: its identity (a key of HOLIDAY_WORDS), and whether
    the day is the holiday moved off a weekend (``observed``), a date the package only
    estimates (``estimated``), or a day off moved by decree from ``moved_from``."""

    key: str
    observed: bool = False
    estimated: bool = False
    moved_from: dt.date | None = None

    def words(self, language: str, day_text: Callable[[dt.date], str] | None = None) -> str:
        """The holiday's name in ``language`` (kk, ru, en; anything else: en); ``day_text``
        formats the day a decree moved it from (ISO by default)."""
        language = language if language in ("kk", "ru", "en") else "en"
        if self.moved_from is not None:
            day = day_text(self.moved_from) if day_text else self.moved_from.isoformat()
            return HOLIDAY_FORMS["moved_from"][language].format(date=day)
        name = HOLIDAY_WORDS[self.key][language]
        for form in ("observed", "estimated"):
            if getattr(self, form):
                name = HOLIDAY_FORMS[form][language].format(name=name)
        return name


def holiday_words(found: tuple[Holiday, ...], language: str,
                  day_text: Callable[[dt.date], str] | None = None) -> str:
    """The holidays of one day in ``language``, ``"; "``-joined."""
    return "; ".join(holiday.words(language, day_text) for holiday in found)


@dataclass(frozen=True)
class DayStatus:
    day: dt.date
    is_working_day: bool
    reason: str  # why the day is off, or why a weekend day is working; "" for ordinary days
    # The same reason as data, for pages that render it in their reader's language:
    # "holiday" (``holidays`` = which, ``name`` = their keys "; "-joined), "weekend",
    # "override" (``name`` = the administrator's reason), "decree_workday", or "".
    kind: str = ""
    name: str = ""
    holidays: tuple[Holiday, ...] = ()


@dataclass(frozen=True)
class ExplainStep:
    """One line of a due date's arithmetic, as data (rendered per language at the edge).

    ``kind`` is "accepted" (moment, value, unit), "same_day", "count_working_days" (day,
    value), "add_calendar_days" (day, value), "skipped" (day, status) or "due" (moment).
    """

    kind: str
    moment: dt.datetime | None = None
    day: dt.date | None = None
    value: int | None = None
    unit: str = ""
    status: DayStatus | None = None


@dataclass(frozen=True)
class DueDate:
    """A legal due time with the arithmetic a citizen can check."""

    accepted_at: dt.datetime
    deadline: Deadline
    due_at: dt.datetime
    skipped: tuple[DayStatus, ...]  # non-working days passed over while counting

    def steps(self) -> tuple[ExplainStep, ...]:
        """The arithmetic as data: pages render it in the reader's language."""
        accepted, value, unit = self.accepted_at, self.deadline.value, self.deadline.unit
        steps = [ExplainStep("accepted", moment=accepted, value=value, unit=unit)]
        if unit == "working_days":
            steps.append(ExplainStep("same_day") if value == 0 else
                         ExplainStep("count_working_days", day=accepted.date(), value=value))
        elif unit == "calendar_days":
            steps.append(ExplainStep("add_calendar_days", day=accepted.date(), value=value))
        steps += [ExplainStep("skipped", day=status.day, status=status) for status in self.skipped]
        steps.append(ExplainStep("due", moment=self.due_at))
        return tuple(steps)

    def explain(self) -> str:
        """The arithmetic in English, for the command line."""
        lines = []
        for step in self.steps():
            if step.kind == "accepted":
                lines.append(f"Accepted {step.moment:%Y-%m-%d %H:%M}; deadline {step.value} "
                             f"{step.unit.replace('_', ' ')}.")
            elif step.kind == "same_day":
                lines.append("0 working days: due by the end of the day of acceptance.")
            elif step.kind == "count_working_days":
                lines.append(f"Counting {step.value} working days after {step.day:%Y-%m-%d}.")
            elif step.kind == "add_calendar_days":
                lines.append(f"{step.day:%Y-%m-%d} + {step.value} days; a non-working "
                             "last day moves to the next working day.")
            elif step.kind == "skipped":
                reason = step.status.reason if step.status is not None else ""
                lines.append(f"  skipped {step.day:%Y-%m-%d} ({step.day:%a}): {reason}")
            else:
                lines.append(f"Due {step.moment:%Y-%m-%d %H:%M:%S} local time.")
        return "\n".join(lines)


class WorkingCalendar:
    """Working days of Kazakhstan, with overrides, in a local time zone."""

    def __init__(self, overrides: Iterable[CalendarOverride] = (), timezone: str = LOCAL_TIMEZONE,
                 language: str | None = None):
        self.overrides: Mapping[dt.date, CalendarOverride] = {o.day: o for o in overrides}
        self.timezone = ZoneInfo(timezone)
        self.timezone_name = timezone
        self.language = language

    def _official(self, year: int) -> holidays.HolidayBase:
        return _official_holidays(year)

    def status(self, day: dt.date) -> DayStatus:
        """Whether ``day`` is a working day, and why not (or why a weekend day is)."""
        if day in self.overrides:
            override = self.overrides[day]
            return DayStatus(day, override.is_working_day, f"override: {override.reason}",
                             "override", override.reason)
        official = self._official(day.year)
        if day in official:
            found = holidays_of(day)
            return DayStatus(day, False, holiday_words(found, self.language or "en"), "holiday",
                             "; ".join(h.key for h in found), found)
        if day.weekday() >= 5:
            if day in official.weekend_workdays:
                return DayStatus(day, True, "weekend day made working by government decree",
                                 "decree_workday")
            return DayStatus(day, False, "weekend", "weekend")
        return DayStatus(day, True, "")

    def is_working_day(self, day: dt.date) -> bool:
        return self.status(day).is_working_day

    def working_flags(self, first: dt.date, last: dt.date) -> np.ndarray:
        """A boolean array, one per day from ``first`` to ``last`` inclusive: is it working?"""
        days = np.arange(np.datetime64(first), np.datetime64(last) + 1)  # dates: day units
        weekday = (days.view("int64") + 3) % 7  # 1970-01-01 was a Thursday (3)
        flags = weekday < 5
        first_number = _day_number(first)
        for year in range(first.year, last.year + 1):
            official = self._official(year)
            for day in official:
                if first <= day <= last:
                    flags[_day_number(day) - first_number] = False
            for day in official.weekend_workdays:
                if first <= day <= last and day.year == year:
                    flags[_day_number(day) - first_number] = True
        for day, override in self.overrides.items():
            if first <= day <= last:
                flags[_day_number(day) - first_number] = override.is_working_day
        return flags

    def local(self, moment: dt.datetime) -> dt.datetime:
        """The local wall time of a moment; a naive datetime is taken as local already."""
        if moment.tzinfo is None:
            return moment.replace(tzinfo=self.timezone)
        return moment.astimezone(self.timezone)


@lru_cache(maxsize=64)
def _official_holidays(year: int) -> holidays.HolidayBase:
    return holidays.country_holidays("KZ", years=year)


@lru_cache(maxsize=4096)
def holidays_of(day: dt.date) -> tuple[Holiday, ...]:
    """Which holidays make ``day`` a day off in the package's calendar, found by date (the law's
    fixed dates, the package's Kurban ait dates and decree substitutions, and the rule moving a
    holiday off a weekend), never by its names; () for a day that is no holiday."""
    official = _official_holidays(day.year)
    if day not in official:
        return ()
    for data in _substitutions(day.year):
        if (day.month, day.day) == (data[0], data[1]):  # a decree moves a day off onto a working day
            return (Holiday("public_holiday", moved_from=dt.date(
                data[4] if len(data) > 4 else day.year, data[2], data[3])),)
    found: list[Holiday] = []
    key = _fixed_holiday(day)
    if key:
        found.append(Holiday(key))
    for eid, estimated in _kurban_ait_dates(day.year):
        if eid == day:
            found.append(Holiday("kurban_ait", estimated=estimated))
    if not found:
        found.append(_observed(day))
    return tuple(found)


def _fixed_holiday(day: dt.date) -> str | None:
    """The holiday the law puts on this date in its year, if any."""
    key = _FIXED_HOLIDAYS.get((day.month, day.day))
    years = _FIXED_YEARS.get((day.month, day.day), ((0, 9999),))
    return key if key and any(first <= day.year <= last for first, last in years) else None


def _observed(day: dt.date) -> Holiday:
    """A weekday off that is no holiday itself: the nearest earlier holiday that fell on a
    weekend and moved to the next working day (Labour Code, art. 85)."""
    for back in range(1, 8):
        earlier = day - dt.timedelta(days=back)
        key = _fixed_holiday(earlier)
        if earlier in _official_holidays(earlier.year) and key and key not in _NOT_OBSERVED \
                and earlier.weekday() >= 5:
            return Holiday(key, observed=True)
    return Holiday("public_holiday")


def _substitutions(year: int) -> tuple[tuple, ...]:
    """The package's days off moved by decree in ``year``: (month, day, from month, from day[, from year])."""
    data: tuple = tuple(KazakhstanStaticHolidays.special_public_holidays.get(year, ()))
    rows: tuple[tuple, ...] = data if data and isinstance(data[0], tuple) else ((data,) if data else ())
    return tuple(row for row in rows if len(row) >= 4)


@lru_cache(maxsize=64)
def _kurban_ait_dates(year: int) -> tuple[tuple[dt.date, bool], ...]:
    """The package's Kurban ait (Eid al-Adha) dates of ``year``, each with whether it is estimated."""
    return tuple((day, bool(estimated)) for day, estimated in KazakhstanIslamicHolidays().eid_al_adha_dates(year)
                 if day.year == year)


def _day_number(day: dt.date) -> int:
    return (day - _EPOCH).days


def due_at_many(accepted_at: pd.Series, values, units, calendar: WorkingCalendar) -> pd.Series:
    """Legal due times for many acceptances at once (visit-log-and-rules.md, "due_at").

    ``accepted_at`` is a tz-aware series; ``values`` and ``units`` give each row's deadline.
    Rows with no acceptance or no deadline get NaT. The result is in UTC.
    """
    accepted_at = pd.Series(accepted_at)
    index = accepted_at.index
    result = pd.Series(pd.NaT, index=index, dtype="datetime64[ns, UTC]")
    values = pd.Series(np.asarray(values), index=index)
    units = pd.Series(np.asarray(units, dtype=object), index=index)
    known = accepted_at.notna() & values.notna() & units.notna()
    if not known.any():
        return result
    accepted = accepted_at[known].dt.tz_convert("UTC")
    value = values[known].astype("int64").to_numpy()
    unit = units[known].to_numpy()

    local_day = accepted.dt.tz_convert(calendar.timezone).dt.tz_localize(None).dt.floor("D")
    day_number = local_day.to_numpy().astype("datetime64[D]").astype("int64")
    first = int(day_number.min())
    span_days = int(value[np.isin(unit, ("working_days", "calendar_days"))].max(initial=0))
    last = int(day_number.max()) + 2 * span_days + 400
    flags = calendar.working_flags(_EPOCH + dt.timedelta(days=first), _EPOCH + dt.timedelta(days=last))
    working_count = np.cumsum(flags)  # working days in [first, first + i]
    offset = day_number - first

    # searchsorted (side "left") finds the first day whose working-day count reaches a target.
    # Working days: the N-th working day strictly after the acceptance day; N = 0: that day.
    nth = np.searchsorted(working_count, working_count[offset] + value)
    # Calendar days: acceptance day + N (inside the look-up range, which reaches 2 N + 400
    # days further); a non-working last day moves to the next working day.
    is_working_days, is_calendar_days = unit == "working_days", unit == "calendar_days"
    plain = np.where(is_calendar_days, offset + value, offset)  # other rows: their own day
    next_working = np.searchsorted(working_count, working_count[plain] + ~flags[plain])
    due_day = np.where(is_working_days, np.where(value == 0, offset, nth), next_working)

    by_day = is_working_days | is_calendar_days  # the others count hours or minutes
    end_of_day = pd.Series(
        (due_day[by_day] + first).astype("datetime64[D]").astype("datetime64[ns]")
    ) + END_OF_DAY
    # A local end of day that does not exist (a day skipped by a time-zone change) is the
    # first moment after it.
    local_end = end_of_day.dt.tz_localize(calendar.timezone, nonexistent="shift_forward").dt.tz_convert("UTC")
    computed = pd.Series(pd.NaT, index=accepted.index, dtype="datetime64[ns, UTC]")
    computed[by_day] = local_end.array
    minutes = np.where(unit == "hours", value * 60, value)  # the rest of the rows: minutes
    by_time = ~by_day
    computed[by_time] = accepted[by_time] + pd.to_timedelta(minutes[by_time], unit="min")
    result[known] = computed
    return result


def due_at(accepted_at: dt.datetime, deadline: Deadline, calendar: WorkingCalendar) -> DueDate:
    """The legal due time of one acceptance, with the non-working days it passed over."""
    accepted_local = calendar.local(accepted_at)
    due = due_at_many(pd.Series([pd.Timestamp(accepted_local)]), [deadline.value], [deadline.unit],
                      calendar).iloc[0]
    due_local = due.tz_convert(calendar.timezone).to_pydatetime()
    skipped = []
    if deadline.unit in ("working_days", "calendar_days"):
        # Working days: every day after acceptance may be passed over. Calendar days are
        # all counted; only a non-working last day (and any after it) is passed over.
        offset = 1 if deadline.unit == "working_days" else deadline.value
        day = accepted_local.date() + dt.timedelta(days=offset)
        while day < due_local.date():
            status = calendar.status(day)
            if not status.is_working_day:
                skipped.append(status)
            day += dt.timedelta(days=1)
    return DueDate(accepted_local, deadline, due_local, tuple(skipped))


def end_of_next_working_day(moment: dt.datetime, calendar: WorkingCalendar) -> dt.datetime:
    """Local midnight after the first working day following ``moment``'s local day (the
    desk's own correction window): one working day, counted as ``due_at`` counts deadlines."""
    due = due_at(moment, Deadline(1, "working_days"), calendar).due_at
    return dt.datetime.combine(due.date() + dt.timedelta(days=1), dt.time(), tzinfo=calendar.timezone)


# --- Local days and ISO weeks: the one definition (visit-log-and-rules.md, "Weekly indicators").
# A visit counts on its local date; a week is the ISO week of local dates, Monday to Sunday, and
# ends at Monday 00:00 local time. Every layer asks these functions, never its own arithmetic.

WEEK_LABEL = re.compile(r"(\d{4})-W(\d{2})")
# Dates and weeks the app can reason about: local time zones, pandas timestamps (1677..2262) and
# the official calendar all work inside this range; year 0001 or 9999 is a typing error.
FIRST_YEAR, LAST_YEAR = 2000, 2100


class BadWeek(ValueError):
    """A week label that is not an ISO week in the years the monitor knows.

    ``reason`` is a code (``format``, ``no_such_week``, ``out_of_range``) for the edge to word."""

    def __init__(self, label: str, reason: str):
        self.label, self.reason = label, reason
        super().__init__(f"{label!r} is not an ISO week such as 2026-W12 ({reason.replace('_', ' ')})")


def local_day_numbers(moments: pd.Series, timezone: str) -> np.ndarray:
    """Days since 1970-01-01 of each moment's local date (NaT -> a very small number)."""
    local = moments.dt.tz_convert(timezone).dt.tz_localize(None)
    return local.to_numpy().astype("datetime64[D]").astype("int64")


def week_number(day_numbers) -> np.ndarray:
    """Monday-based week index of local day numbers (1970-01-01 was a Thursday)."""
    return (np.asarray(day_numbers) + 3) // 7


def week_label(week: int) -> str:
    """The ISO label (``2026-W12``) of a week index."""
    # Day 7 * week is the week's Thursday, which decides its ISO year.
    year, number, _ = (_EPOCH + dt.timedelta(days=int(week) * 7)).isocalendar()
    return f"{year}-W{number:02d}"


def week_of_label(label: str) -> int:
    """The week index of an ISO week label such as ``2026-W12``, or BadWeek (the engine knows
    every ISO week; what people may ask for is ``checked_week``'s range)."""
    text = (label or "").strip() if isinstance(label, str) else ""
    matched = WEEK_LABEL.fullmatch(text)
    if matched is None:
        raise BadWeek(str(label), "format")
    year, number = int(matched.group(1)), int(matched.group(2))
    try:
        monday = dt.date.fromisocalendar(year, number, 1)
    except ValueError:
        raise BadWeek(text, "no_such_week") from None
    return int(week_number((monday - _EPOCH).days))


def week_days(label: str) -> tuple[dt.date, dt.date]:
    """The Monday and the Sunday of an ISO week label such as ``2026-W12`` (BadWeek otherwise):
    citizens read a week as its dates, never as its code."""
    monday = _EPOCH + dt.timedelta(days=int(week_of_label(label)) * 7 - 3)
    return monday, monday + dt.timedelta(days=6)


def is_week_label(label: str) -> bool:
    """Whether ``label`` is an ISO week label of the years people may ask about."""
    try:
        checked_week(label)
    except BadWeek:
        return False
    return True


def checked_week(label: str) -> str:
    """``label`` stripped, once it is known to be an ISO week of FIRST_YEAR..LAST_YEAR (what a
    person may ask for: a page, a command, the API); BadWeek otherwise."""
    week_of_label(label)
    text = label.strip()
    if not FIRST_YEAR <= int(text[:4]) <= LAST_YEAR:
        raise BadWeek(text, "out_of_range")
    return text


def week_end(week: int, timezone: str) -> pd.Timestamp:
    """Monday 00:00 local after the week, in UTC: the moment a week's overdue cases are judged."""
    monday = _EPOCH + dt.timedelta(days=int(week) * 7 + 4)
    return pd.Timestamp(monday).tz_localize(timezone).tz_convert("UTC")


def week_start(week: int, timezone: str) -> pd.Timestamp:
    """Monday 00:00 local that starts the week, in UTC."""
    return week_end(int(week) - 1, timezone)


def week_of(moment: dt.datetime, timezone: str) -> int:
    """The index of the week (local time) a moment falls in."""
    return int(week_number(local_day_numbers(pd.Series([pd.Timestamp(moment)]), timezone))[0])


def last_complete_week(now: dt.datetime, timezone: str) -> str:
    """The label of the week that ended most recently before ``now`` (local time)."""
    return week_label(week_of(now, timezone) - 1)


def local_today(timezone: str, now: dt.datetime | None = None) -> dt.date:
    """Today's date where the offices are, not the server's."""
    return (now or dt.datetime.now(dt.UTC)).astimezone(ZoneInfo(timezone)).date()


def local_midnight(moment: dt.datetime, timezone: str) -> dt.datetime:
    """The start (00:00 local, aware) of the local day ``moment`` falls in."""
    return dt.datetime.combine(moment.astimezone(ZoneInfo(timezone)).date(), dt.time(), ZoneInfo(timezone))


def local_midnight_of(day: dt.date, timezone: str) -> dt.datetime:
    """00:00 local (aware) of a local date."""
    return dt.datetime.combine(day, dt.time(), ZoneInfo(timezone))
