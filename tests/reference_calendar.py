"""The due time in the spec's words, one day at a time.

The slow and obvious reference that the calendar's tests and the engine's property tests
compare ``due_at`` and ``due_at_many`` with (visit-log-and-rules.md, "Case timeline").
"""
from __future__ import annotations

import datetime as dt

from monitor.calendar import WorkingCalendar


def reference_due(accepted: dt.datetime, value: int, unit: str, calendar: WorkingCalendar) -> dt.datetime:
    """The due time of a case accepted at ``accepted`` (naive: local already)."""
    moment = calendar.local(accepted)
    if unit == "hours":
        return moment + dt.timedelta(hours=value)
    if unit == "minutes":
        return moment + dt.timedelta(minutes=value)
    day = moment.date()
    if unit == "working_days":
        counted = 0
        while counted < value:  # the N-th working day strictly after the acceptance date
            day += dt.timedelta(days=1)
            counted += calendar.is_working_day(day)
    else:  # acceptance date + N; a non-working last day moves to the next working day
        day += dt.timedelta(days=value)
        while not calendar.is_working_day(day):
            day += dt.timedelta(days=1)
    return dt.datetime.combine(day, dt.time(23, 59, 59), calendar.timezone)
