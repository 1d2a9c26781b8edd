"""Cases by their number: the one place that reads "the case with this number".

A case number is what people type and print (``Case.case_number``); the key is unique.
Office scope is the use case's decision (services/cases.py), not the store's.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..calendar import local_midnight_of
from ..models import Case
from .weeks import overdue_open_sql


def by_number(session: Session, case_number: str | None) -> Case | None:
    """The case with exactly this number, or None (also for an empty number)."""
    if not case_number:
        return None
    return session.scalar(select(Case).where(Case.case_number == case_number))


def by_numbers(session: Session, case_numbers: Iterable[str]) -> dict[str, Case]:
    """The stored cases among these numbers, by number."""
    wanted = {number for number in case_numbers if number}
    if not wanted:
        return {}
    return {case.case_number: case for case in session.scalars(select(Case).where(Case.case_number.in_(wanted)))}


def overdue_open(session: Session, case_number: str | None, now: dt.datetime) -> Case | None:
    """The case, if it is accepted, open and past its due time at ``now`` (OVERDUE_OPEN)."""
    if not case_number:
        return None
    return session.scalar(select(Case).where(
        Case.case_number == case_number, Case.accepted_at.is_not(None), Case.completed_at.is_(None),
        Case.withdrawn_at.is_(None), Case.due_at < now))


def reaching_day(session: Session, day: dt.date, timezone: str) -> list[int]:
    """The cases whose due time a change of ``day`` in the working calendar can move: accepted
    before the day ends, due on it or later (local days). ``calendar.due_at_many`` looks only at
    the days after the acceptance day up to the due day, so no other case's due time changes,
    whether the day becomes working or not: the count of working days before it is the same."""
    starts, ends = local_midnight_of(day, timezone), local_midnight_of(day + dt.timedelta(days=1), timezone)
    return list(session.scalars(select(Case.id).where(Case.due_at >= starts, Case.accepted_at < ends)))


def all_overdue_open(session: Session, now: dt.datetime) -> list[tuple[str, str, dt.datetime]]:
    """Every case overdue and open at ``now`` (the engine's one definition, ``overdue_open_sql``)
    as (office code, case number, due time), by office, the longest overdue first."""
    rows = session.execute(select(Case.office_code, Case.case_number, Case.due_at).where(
        overdue_open_sql(now)).order_by(Case.office_code, Case.due_at)).all()
    return [(row.office_code, row.case_number, row.due_at) for row in rows]
