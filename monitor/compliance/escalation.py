"""The accountability clock (issue 13): what is left undone escalates by itself.

As the Right-to-Service laws do (Haryana files the appeal automatically once a deadline
passes), an item nobody dealt with is raised to the next level when its clock runs out:

- an overdue case: the clock starts at its legal due time (``cases.due_at``); dealt with
  once the case is completed or withdrawn;
- an unreviewed high-severity finding (review status ``open``): the clock starts when it
  was recorded (``findings.as_of``: the judgement that recorded it, moved only when it
  fires again after being cleared); dealt with once a supervisor reviews it;
- a report of inducement not yet answered or closed: the clock starts when it was
  received (``complaints.received_at``); dealt with once answered or closed.

A clock runs out at the end of the N-th working day after the local day it started
(N = ESCALATE_AFTER_WORKING_DAYS), counted as legal deadlines are (``calendar.due_at``:
weekends, public holidays and days moved by decree skipped, administrators' overrides
applied); the item escalates once that moment has passed, as a case is overdue once its
due time has passed. The next level is the administrator's queue: the model has no
regional supervisor (a supervisor's area is a list of offices, not a level above them).

No Flask, no database: the store (monitor.stores.escalations) asks these functions which
clocks have run out and the pages how long a clock has left.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from services_catalog import Deadline

from ..calendar import WorkingCalendar, due_at

KINDS = ("overdue_case", "unreviewed_finding", "unanswered_inducement")
# Which moment starts each kind's clock (a column of the item's row).
CLOCK_STARTS = {"overdue_case": "due_at", "unreviewed_finding": "as_of", "unanswered_inducement": "received_at"}
# How an escalated item was dealt with.
RESOLUTIONS = {"overdue_case": ("completed", "withdrawn"), "unreviewed_finding": ("reviewed",),
               "unanswered_inducement": ("answered", "closed")}
LEVELS = ("admin",)
NEXT_LEVEL = "admin"
# What "still waiting" means for a finding and a report (the store's queries read these too).
UNREVIEWED = "open"
ESCALATED_SEVERITY = "high"
INDUCEMENT = "inducement"
UNANSWERED = ("received", "in_review")


def finding_waits(review_status: str, severity: str) -> bool:
    return review_status == UNREVIEWED and severity == ESCALATED_SEVERITY


def report_waits(kind: str, status: str) -> bool:
    return kind == INDUCEMENT and status in UNANSWERED


def runs_out_at(started_at: dt.datetime, working_days: int, calendar: WorkingCalendar) -> dt.datetime:
    """The end (local time) of the N-th working day after the local day the clock started."""
    return due_at(started_at, Deadline(working_days, "working_days"), calendar).due_at


def has_run_out(started_at: dt.datetime, now: dt.datetime, working_days: int, calendar: WorkingCalendar) -> bool:
    return runs_out_at(started_at, working_days, calendar) < now


def started_before(now: dt.datetime, working_days: int, calendar: WorkingCalendar) -> dt.datetime:
    """The moment (UTC) before which every clock started has run out at ``now``, and at or
    after which none has: local midnight after the last day whose clocks have run out.

    All clocks started on one local day run out together, so one comparison on the start
    column finds every due item with an index (no item is judged one by one).
    """
    day = calendar.local(now).date()
    while runs_out_at(_midnight(day, calendar), working_days, calendar) >= now:
        day -= dt.timedelta(days=1)
    return _midnight(day + dt.timedelta(days=1), calendar).astimezone(dt.UTC)


def working_days_left(started_at: dt.datetime, now: dt.datetime, working_days: int,
                      calendar: WorkingCalendar) -> int:
    """Working days after today (local) up to the day the clock runs out; 0 on that day."""
    today = calendar.local(now).date()
    last = runs_out_at(started_at, working_days, calendar).date()
    if last <= today:
        return 0
    return int(calendar.working_flags(today + dt.timedelta(days=1), last).sum())


@dataclass(frozen=True)
class Clock:
    """An item's clock as a page shows it: running (``escalated_at`` None) or run out."""

    started_at: dt.datetime
    runs_out_at: dt.datetime  # local time
    days_left: int  # working days after today until it runs out (0: today, or already)
    ran_out: bool  # the moment has passed (escalated by the job's next run if not yet)
    escalated_at: dt.datetime | None = None
    level: str = NEXT_LEVEL
    resolved_at: dt.datetime | None = None

    @property
    def escalated(self) -> bool:
        return self.escalated_at is not None


def clock(started_at: dt.datetime, now: dt.datetime, working_days: int, calendar: WorkingCalendar,
          escalated_at: dt.datetime | None = None, level: str = NEXT_LEVEL,
          resolved_at: dt.datetime | None = None) -> Clock:
    end = runs_out_at(started_at, working_days, calendar)
    return Clock(started_at, end, working_days_left(started_at, now, working_days, calendar), end < now,
                 escalated_at, level, resolved_at)


def _midnight(day: dt.date, calendar: WorkingCalendar) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=calendar.timezone)
