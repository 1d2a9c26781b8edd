"""The official calendar with the administrators' overrides kept in the database."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from . import audit
from .calendar import CalendarOverride, WorkingCalendar
from .models import CalendarOverride as OverrideRow


def calendar_from_db(session: Session, timezone: str, language: str = "en") -> WorkingCalendar:
    overrides = [CalendarOverride(row.day, row.is_working_day, row.reason)
                 for row in session.scalars(select(OverrideRow))]
    return WorkingCalendar(overrides, timezone=timezone, language=language)


def set_override(session: Session, day: dt.date, is_working_day: bool, reason: str, actor: str) -> None:
    """Add or replace an override. The caller recomputes open cases' due dates after it."""
    row = session.get(OverrideRow, day)
    old = {"is_working_day": row.is_working_day, "reason": row.reason} if row else None
    if row is None:
        row = OverrideRow(day=day)
        session.add(row)
    row.is_working_day, row.reason, row.created_by = is_working_day, reason, actor
    row.created_at = dt.datetime.now(dt.timezone.utc)
    audit.record(session, actor, "set", "calendar_override", day.isoformat(), old=old,
                 new={"is_working_day": is_working_day, "reason": reason}, reason=reason)


def remove_override(session: Session, day: dt.date, actor: str, reason: str = "") -> bool:
    row = session.get(OverrideRow, day)
    if row is None:
        return False
    audit.record(session, actor, "remove", "calendar_override", day.isoformat(),
                 old={"is_working_day": row.is_working_day, "reason": row.reason}, reason=reason)
    session.delete(row)
    session.flush()
    return True
