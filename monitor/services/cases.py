"""Loading a case or a visit for a member of staff: the one loader per object that applies
office scope.

As flaskr's ``get_post(id, check_author)``: every page that opens a case by its number, or a
visit by its id, asks here. Another office's case is refused as NotYourOffice, a kind of
NotFound, and the pages answer both alike (404): a clerk learns nothing about other offices'
applicants.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import case as sql_case, or_, select
from sqlalchemy.orm import Session, selectinload

from ..calendar import local_midnight
from ..models import AuditRecord, Case, CorrectionRequest, Finding, Visit
from ..stores import cases as case_store
from ..stores.weeks import overdue_open_sql
from .errors import NotFound, NotYourOffice


class CaseNotFound(NotFound):
    """No case with this number that the user may see."""

    def __init__(self, case_number: str, code: str | None = None):
        self.case_number = case_number
        super().__init__(code, what="case", key=case_number)


class CaseOfAnotherOffice(CaseNotFound, NotYourOffice):
    """The case exists, at an office the user may not see (answered as CaseNotFound)."""

    code = "not_your_office"


def in_scope(office_code: str | None, offices: list[str] | None) -> bool:
    """Whether a record of ``office_code`` is within ``offices`` (None: every office)."""
    return offices is None or office_code in offices


def visible_case(session: Session, case_number: str, offices: list[str] | None) -> Case:
    """The case with this number if it belongs to one of ``offices`` (None: every office)."""
    case = case_store.by_number(session, case_number)
    if case is None:
        raise CaseNotFound(case_number)
    if not in_scope(case.office_code, offices):
        raise CaseOfAnotherOffice(case_number)
    return case


def visible_visit(session: Session, visit_id: str, offices: list[str] | None) -> Visit:
    """The visit with this id if it was logged at one of ``offices`` (None: every office)."""
    visit = session.scalar(select(Visit).where(Visit.visit_id == visit_id))
    if visit is None:
        raise NotFound(what="visit", key=visit_id)
    if not in_scope(visit.office_code, offices):
        raise NotYourOffice(what="visit", key=visit_id)
    return visit


@dataclass(frozen=True)
class CaseTimeline:
    """A case as a supervisor reads it: its visits in order, every finding on the case or its
    visits, the corrections' audit records and the correction requests."""
    visits: list[Visit]
    findings: list[Finding]
    history: list[AuditRecord]
    requests: list[CorrectionRequest]


CORRECTION_ACTIONS = ("correct", "request_correction", "approve_correction", "reject_correction")


def case_timeline(session: Session, case: Case) -> CaseTimeline:
    visits = list(session.scalars(select(Visit).where(Visit.case_pk == case.id).order_by(Visit.called_at)))
    visit_pks = [v.id for v in visits] or [-1]
    findings = list(session.scalars(select(Finding).where(or_(
        Finding.case_pk == case.id, Finding.visit_pk.in_(visit_pks)))))
    history = list(session.scalars(select(AuditRecord).where(
        AuditRecord.entity == "visit", AuditRecord.entity_id.in_([v.visit_id for v in visits] or ["-"]),
        AuditRecord.action.in_(CORRECTION_ACTIONS)).order_by(AuditRecord.sequence)))
    requests = list(session.scalars(select(CorrectionRequest).where(
        CorrectionRequest.visit_pk.in_(visit_pks)).order_by(CorrectionRequest.id)))
    return CaseTimeline(visits, findings, history, requests)


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


def correction_requests(session: Session, offices: list[str] | None, limit: int = 500) -> list[CorrectionRequest]:
    """The correction requests of ``offices`` (None: all), pending first, newest first."""
    query = select(CorrectionRequest).order_by(CorrectionRequest.status != "pending", CorrectionRequest.id.desc())
    if offices is not None:
        query = query.where(CorrectionRequest.office_code.in_(offices))
    return list(session.scalars(query.limit(limit)))


def visible_correction_request(session: Session, request_id: int, offices: list[str] | None) -> CorrectionRequest:
    """The correction request with this id if its visit is of one of ``offices``."""
    found = session.get(CorrectionRequest, request_id)
    if found is None:
        raise NotFound(what="correction_request", key=request_id)
    if not in_scope(found.office_code, offices):
        raise NotYourOffice(what="correction_request", key=request_id)
    return found
