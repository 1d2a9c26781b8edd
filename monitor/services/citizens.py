"""What citizens can do without an account: check a case, complain, follow the answer.

Nothing here reveals whether a case exists to someone without its check code, and no
personal data is ever shown.
"""
from __future__ import annotations

import datetime as dt
import hmac
import secrets
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import exists, or_, select
from sqlalchemy.orm import Session

from ..calendar import local_today
from ..models import Case, Complaint, ComplaintLanguage, Visit
from ..stores import audit, cases as case_store
from ..stores.weeks import overdue_open_sql
from . import indicator_cells
from .errors import NotFound, NotYourOffice
from .front_desk import check_code_hash, new_check_code

# Compared when there is nothing to compare with, so that timing is alike; random, so that
# no number and code can ever match it (a case numbered "none" with code "none" did).
_DUMMY_HASH = check_code_hash(secrets.token_hex(16), secrets.token_hex(16))


@dataclass(frozen=True)
class CaseStatus:
    case_number: str
    service_code: str | None
    outcome: str
    accepted_at: dt.datetime | None
    due_at: dt.datetime | None
    completed_at: dt.datetime | None
    overdue: bool
    visits: list[tuple[dt.datetime, str]]  # (called_at, action): dates and actions only


def case_for_citizen(session: Session, case_number: str, code: str) -> Case | None:
    """The case if the check code matches; None otherwise (missing or wrong alike): the one
    loader of every citizen's page about a case (status, answers about its visits)."""
    typed = case_number.strip()
    # Phones type lower case and people copy numbers with spaces: the number as typed, else
    # in capitals without spaces (how the desk prints it); an imported number keeps its case.
    tidy = "".join(typed.split()).upper()
    found = case_store.by_numbers(session, {typed, tidy})
    case = found.get(typed) or found.get(tidy)
    expected = case.check_code_hash if case is not None and case.check_code_hash else _DUMMY_HASH
    given = check_code_hash(case.case_number if case is not None else typed, code)
    matches = hmac.compare_digest(expected, given)
    if case is None or not case.check_code_hash or not matches:
        return None
    return case


def case_status(session: Session, case_number: str, code: str, now: dt.datetime) -> CaseStatus | None:
    """The case's status if the check code matches; None otherwise (missing or wrong alike)."""
    case = case_for_citizen(session, case_number, code)
    if case is None:
        return None
    visits = [(v.called_at, v.action) for v in session.scalars(
        select(Visit).where(Visit.case_pk == case.id).order_by(Visit.called_at))]
    # "Overdue" is the engine's OVERDUE_OPEN now (rules.is_overdue_open): a case issued
    # late is late, but no longer overdue.
    overdue = session.scalar(select(Case.id).where(Case.id == case.id, overdue_open_sql(now))) is not None
    return CaseStatus(case.case_number, case.service_code, case.outcome, case.accepted_at, case.due_at,
                      case.completed_at, overdue, visits)


@dataclass(frozen=True)
class FiledComplaint:
    reference: str
    follow_up_code: str  # shown once to the citizen; only its hash is kept


def file_complaint(session: Session, *, kind: str, text: str, case_number: str = "",
                   service_code: str = "", office_code: str = "", contact: str = "",
                   language: str | None = None, now: dt.datetime | None = None) -> FiledComplaint:
    """Record a complaint or a report of inducement (clauses 2.1.5, 2.2.4), and the language
    it was filed in (its answer is mailed in it)."""
    now = now or dt.datetime.now(dt.UTC)
    if case_number and not office_code:
        case = case_store.by_number(session, case_number)
        if case is not None:  # route the complaint to the office of the case
            office_code, service_code = case.office_code or "", service_code or case.service_code or ""
    # The date the citizen lives in (MONITOR_TIMEZONE), not UTC's: at 01:00 in Astana it is today.
    local_day = local_today(current_app.config["MONITOR_TIMEZONE"], now)
    reference = f"CMP-{local_day:%y%m%d}-{secrets.token_hex(3).upper()}"
    code = new_check_code()
    complaint = Complaint(
        reference=reference, follow_up_code_hash=check_code_hash(reference, code), kind=kind,
        case_number=case_number or None, service_code=service_code or None,
        office_code=office_code or None, text=text.strip(), contact=contact.strip() or None,
        status="received", received_at=now)
    session.add(complaint)
    session.flush()
    indicator_cells.mark_moment(session, now, current_app.config["MONITOR_TIMEZONE"], complaint.office_code)
    if language:
        session.add(ComplaintLanguage(complaint_id=complaint.id, language=language))
    audit.record(session, "citizen", "create", "complaint", reference,
                 new={"kind": kind, "office": office_code or None}, at=now, rows={"complaint": [complaint.id]})
    return FiledComplaint(reference, code)


def complaint_for_citizen(session: Session, reference: str, code: str) -> Complaint | None:
    complaint = session.scalar(select(Complaint).where(Complaint.reference == reference.strip()))
    expected = complaint.follow_up_code_hash if complaint is not None else _DUMMY_HASH
    matches = hmac.compare_digest(expected, check_code_hash(reference.strip(), code))
    if complaint is None or not complaint.follow_up_code_hash or not matches:
        return None
    return complaint


def answer_complaint(session: Session, complaint: Complaint, answer: str, close: bool, actor: str,
                     now: dt.datetime | None = None) -> None:
    now = now or dt.datetime.now(dt.UTC)
    old = {"status": complaint.status, "answer": complaint.answer}
    complaint.answer = answer.strip()
    complaint.status = "closed" if close else "answered"
    complaint.answered_at = now
    session.flush()
    audit.record(session, actor, "answer", "complaint", complaint.reference, old=old,
                 new={"status": complaint.status, "answer": complaint.answer}, at=now,
                 rows={"complaint": [complaint.id]})


def complaints_of_area(offices: list[str] | None):
    """The complaints that reach the supervisors of ``offices`` (None: the network).

    A complaint names its office, or it is routed to the office of its case when filed;
    one that names only a service (the service page's link) reaches the supervisors of
    every office providing that service: the offices with visits of it.
    """
    query = select(Complaint)
    if offices is None:
        return query
    # Asked per complaint that names no office (an index lookup each), never by reading every
    # visit of the area.
    providing = exists().where(Visit.office_code.in_(offices), Visit.service_code == Complaint.service_code)
    return query.where(or_(Complaint.office_code.in_(offices), Complaint.office_code.is_(None) & providing))


def may_see_complaint(session: Session, complaint: Complaint, offices: list[str] | None) -> bool:
    if offices is None:
        return True
    return session.scalar(complaints_of_area(offices).where(Complaint.id == complaint.id)) is not None


def complaint_by_reference(session: Session, reference: str) -> Complaint | None:
    return session.scalar(select(Complaint).where(Complaint.reference == reference))


def visible_complaint(session: Session, reference: str, offices: list[str] | None) -> Complaint:
    """The complaint with this reference if it reaches the supervisors of ``offices``
    (None: every office); else NotFound, or NotYourOffice for another area's (answered alike:
    a report of inducement is only ever shown to the supervisors it reaches)."""
    complaint = complaint_by_reference(session, reference)
    if complaint is None:
        raise NotFound(what="complaint", key=reference)
    if not may_see_complaint(session, complaint, offices):
        raise NotYourOffice(what="complaint", key=reference)
    return complaint


def area_complaints(session: Session, offices: list[str] | None, limit: int = 500) -> list[Complaint]:
    """The complaints that reach the supervisors of ``offices``, newest first."""
    return list(session.scalars(complaints_of_area(offices).order_by(Complaint.received_at.desc()).limit(limit)))
