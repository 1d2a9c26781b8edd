"""Administrators' changes of the working-day calendar, and what follows from them.

An override moves due dates: the cases it can reach (accepted before the day ends, due on it
or later: ``cases.reaching_day``) are re-timed and swept at once, with their applicants'
other cases, so a finding that no longer fires says which change cleared it
(findings_store.Cause); no other case's due time can move. The admin page
and ``flask calendar override|remove-override`` both call these, never the stores.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import CalendarOverride
from ..stores import calendar as calendar_store, cases as case_store, findings as findings_store
from .context import engine_inputs


def overrides(session: Session) -> list[CalendarOverride]:
    """The stored overrides, the latest day first."""
    return list(session.scalars(select(CalendarOverride).order_by(CalendarOverride.day.desc())))


def override_day(session: Session, day: dt.date, is_working_day: bool, reason: str, actor: str,
                 now: dt.datetime | None = None) -> int:
    """Make ``day`` working or a day off; returns how many cases were re-timed (the findings
    judged as of ``now``, default the present)."""
    why = calendar_store.set_override(session, day, is_working_day, reason, actor)
    return _rejudge(session, actor, why, day, now)


def remove_override(session: Session, day: dt.date, actor: str, now: dt.datetime | None = None) -> int | None:
    """Let the official calendar apply to ``day`` again; None if it had no override."""
    why = calendar_store.remove_override(session, day, actor)
    return None if why is None else _rejudge(session, actor, why, day, now)


def _rejudge(session: Session, actor: str, why: str, day: dt.date, now: dt.datetime | None) -> int:
    # The calendar just changed: the engine's inputs are read afresh, after the change; the
    # weekly indicator cells from the day's week on are marked stale (a case the day reaches
    # is due on it or later, before and after the change, so no earlier week's figure moves).
    inputs = engine_inputs()
    reached = case_store.reaching_day(session, day, inputs.timezone)
    return findings_store.retime_and_judge(session, inputs, actor, findings_store.Cause("calendar", why), now=now,
                                           since=day, case_pks=reached)[0]
