"""Loading a case for a member of staff: the one loader that applies office scope.

As flaskr's ``get_post(id, check_author)``: every page that opens a case by its number asks
here, and another office's case is answered exactly like a missing one (the 404 tells a
clerk nothing about other offices' applicants).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import case as sql_case, select
from sqlalchemy.orm import Session, selectinload

from ..calendar import local_midnight
from ..models import Case, Visit
from ..stores import cases as case_store
from ..stores.weeks import overdue_open_sql


class CaseNotFound(LookupError):
    """No case with this number that the user may see."""

    def __init__(self, case_number: str):
        self.case_number = case_number
        super().__init__(case_number)


def visible_case(session: Session, case_number: str, offices: list[str] | None) -> Case:
    """The case with this number if it belongs to one of ``offices`` (None: every office)."""
    case = case_store.by_number(session, case_number)
    if case is None or (offices is not None and case.office_code not in offices):
        raise CaseNotFound(case_number)
    return case


@dataclass(frozen=True)
class DeskDay:
    """What a desk sees first: today's visits (newest first) and its open cases by urgency."""
    visits: list[Visit]
    open_cases: list[tuple[Case, str]]  # (case, "overdue" | "nearly-due" | "")


def desk_day(session: Session, offices: list[str] | None, now: dt.datetime, timezone: str,
             nearly_due: dt.timedelta, limit: int = 200) -> DeskDay:
    """Today's visits of ``offices`` (None: all) and their accepted open cases, the soonest due
    first; overdue is the engine's OVERDUE_OPEN at ``now`` (rules.is_overdue_open), as everywhere."""
    visits = select(Visit).where(Visit.called_at >= local_midnight(now, timezone)).order_by(Visit.called_at.desc())
    cases = select(Case).where(Case.completed_at.is_(None), Case.withdrawn_at.is_(None),
                               Case.accepted_at.is_not(None)).order_by(Case.due_at, Case.id)
    if offices is not None:
        visits = visits.where(Visit.office_code.in_(offices))
        cases = cases.where(Case.office_code.in_(offices))
    overdue = sql_case((overdue_open_sql(now), True), else_=False).label("overdue")
    open_cases = []
    for case, is_overdue in session.execute(cases.options(selectinload(Case.visits)).add_columns(overdue)
                                            .limit(limit)):
        state = ("overdue" if is_overdue else
                 "nearly-due" if case.due_at and case.due_at < now + nearly_due else "")
        open_cases.append((case, state))
    return DeskDay(list(session.scalars(visits.options(selectinload(Visit.case)).limit(limit))), open_cases)
