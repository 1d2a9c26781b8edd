"""The official working-day calendar of Kazakhstan and legal due times.

No Flask, no database: the rules engine, the desk receipt, the citizens' pages and the
CLI all call ``due_at`` (one deadline, explained) or ``due_at_many`` (a million, vectorised).
The calendar is the ``holidays`` package's Kazakhstan (weekends, public holidays, days off
moved by decree, weekend days made working by decree) plus administrators' overrides.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterable, Mapping
from zoneinfo import ZoneInfo

import holidays
import numpy as np
import pandas as pd

from services_catalog import Deadline

# Kazakhstan's local time as the rules define it: UTC+5 for every date (IANA's Etc/GMT-5;
# Asia/Almaty agrees only since 1 March 2024).
LOCAL_TIMEZONE = "Etc/GMT-5"
END_OF_DAY = pd.Timedelta(hours=23, minutes=59, seconds=59)
_EPOCH = dt.date(1970, 1, 1)
# Language codes of this app -> languages the holidays package names holidays in.
# The holidays package translates holiday names into Kazakh; its own names (language None)
# are English: the stable keys pages translate from (views.words), and what every other
# language shows.
_HOLIDAY_LANGUAGES = {"kk": "kk"}


@dataclass(frozen=True)
class CalendarOverride:
    """An administrator's correction of the official calendar for one day."""

    day: dt.date
    is_working_day: bool
    reason: str


@dataclass(frozen=True)
class DayStatus:
    day: dt.date
    is_working_day: bool
    reason: str  # why the day is off, or why a weekend day is working; "" for ordinary days
    # The same reason as data, for pages that render it in their reader's language:
    # "holiday" (``name`` = the holiday's English name, a stable key), "weekend",
    # "override" (``name`` = the administrator's reason), "decree_workday", or "".
    kind: str = ""
    name: str = ""


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
        return _official_holidays(year, _HOLIDAY_LANGUAGES.get(self.language or ""))

    def status(self, day: dt.date) -> DayStatus:
        """Whether ``day`` is a working day, and why not (or why a weekend day is)."""
        if day in self.overrides:
            override = self.overrides[day]
            return DayStatus(day, override.is_working_day, f"override: {override.reason}",
                             "override", override.reason)
        official = self._official(day.year)
        if day in official:
            return DayStatus(day, False, official[day], "holiday",
                             _official_holidays(day.year, None)[day])
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
def _official_holidays(year: int, language: str | None) -> holidays.HolidayBase:
    return holidays.country_holidays("KZ", years=year, language=language)


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
    return (now or dt.datetime.now(dt.timezone.utc)).astimezone(ZoneInfo(timezone)).date()


def local_midnight(moment: dt.datetime, timezone: str) -> dt.datetime:
    """The start (00:00 local, aware) of the local day ``moment`` falls in."""
    return dt.datetime.combine(moment.astimezone(ZoneInfo(timezone)).date(), dt.time(), ZoneInfo(timezone))


def local_midnight_of(day: dt.date, timezone: str) -> dt.datetime:
    """00:00 local (aware) of a local date."""
    return dt.datetime.combine(day, dt.time(), ZoneInfo(timezone))
