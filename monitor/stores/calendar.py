"""The official calendar with the administrators' overrides kept in the database."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..calendar import CalendarOverride, WorkingCalendar
from ..models import CalendarOverride as OverrideRow
from . import audit


def calendar_from_db(session: Session, timezone: str, language: str = "en") -> WorkingCalendar:
    overrides = [CalendarOverride(row.day, row.is_working_day, row.reason)
                 for row in session.scalars(select(OverrideRow))]
    return WorkingCalendar(overrides, timezone=timezone, language=language)


def set_override(session: Session, day: dt.date, is_working_day: bool, reason: str, actor: str) -> str:
    """Add or replace an override; returns why (for the findings it clears). The caller
    re-times the cases and sweeps after it (findings_store.retime_and_judge)."""
    row = session.get(OverrideRow, day)
    old = {"is_working_day": row.is_working_day, "reason": row.reason} if row else None
    if row is None:
        row = OverrideRow(day=day)
        session.add(row)
    row.is_working_day, row.reason, row.created_by = is_working_day, reason, actor
    row.created_at = dt.datetime.now(dt.UTC)
    record = audit.record(session, actor, "set", "calendar_override", day.isoformat(), old=old,
                          new={"is_working_day": is_working_day, "reason": reason}, reason=reason,
                          rows={"calendar_override": [day]})
    kind = "working day" if is_working_day else "day off"
    return f"calendar override of {day.isoformat()} ({kind}: {reason}) by {actor} (audit record {record.sequence})"


def remove_override(session: Session, day: dt.date, actor: str, reason: str = "") -> str | None:
    """Remove an override; returns why (for the findings it clears), None if there was none."""
    row = session.get(OverrideRow, day)
    if row is None:
        return None
    old = {"is_working_day": row.is_working_day, "reason": row.reason}
    session.delete(row)
    session.flush()
    record = audit.record(session, actor, "remove", "calendar_override", day.isoformat(), old=old, reason=reason,
                          rows={"calendar_override": [day]})
    return f"calendar override of {day.isoformat()} removed by {actor} (audit record {record.sequence})"
