"""Administrators' changes of the working-day calendar, and what follows from them.

An override moves due dates: every open case is re-timed and swept at once, so a finding
that no longer fires says which change cleared it (findings_store.Cause). The admin page
and ``flask calendar override|remove-override`` both call these, never the stores.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import CalendarOverride
from ..stores import calendar as calendar_store, findings as findings_store
from .context import engine_inputs


def overrides(session: Session) -> list[CalendarOverride]:
    """The stored overrides, the latest day first."""
    return list(session.scalars(select(CalendarOverride).order_by(CalendarOverride.day.desc())))


def override_day(session: Session, day: dt.date, is_working_day: bool, reason: str, actor: str) -> int:
    """Make ``day`` working or a day off; returns how many cases were re-timed."""
    why = calendar_store.set_override(session, day, is_working_day, reason, actor)
    return _rejudge(session, actor, why, day)


def remove_override(session: Session, day: dt.date, actor: str) -> int | None:
    """Let the official calendar apply to ``day`` again; None if it had no override."""
    why = calendar_store.remove_override(session, day, actor)
    return None if why is None else _rejudge(session, actor, why, day)


def _rejudge(session: Session, actor: str, why: str, day: dt.date) -> int:
    # The calendar just changed: the engine's inputs are read afresh, after the change; the
    # weekly indicator cells from the day's week on are marked stale.
    return findings_store.rejudge_all(session, engine_inputs(), actor, findings_store.Cause("calendar", why),
                                      since=day)[0]
