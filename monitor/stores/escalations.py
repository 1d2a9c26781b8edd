"""Escalations in the database: the items whose clock ran out, and those since dealt with.

Reads only what may be due (each kind's partial index: open cases by due time, unreviewed
high-severity findings and unanswered reports of inducement by their clock's start) and
the open queue (ix_escalations_open), never the whole history. Writes flush, never
commit; every escalation and every resolution is one audit record with its row digest.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import and_, func, literal_column, or_, select
from sqlalchemy.orm import Session

from ..compliance.escalation import CLOCK_STARTS, ESCALATED_SEVERITY, INDUCEMENT, NEXT_LEVEL, UNANSWERED, UNREVIEWED
from ..models import Case, Complaint, Escalation, Finding, Visit
from . import audit


@dataclass(frozen=True)
class DueItem:
    kind: str
    item_id: int
    item_ref: str
    office_code: str | None
    started_at: dt.datetime


def _constant(value: str):
    """A constant written into the SQL, not bound: SQLite uses a partial index only when the
    query's terms match the index's WHERE literally (the values are this module's own)."""
    return literal_column("'" + value.replace("'", "''") + "'")


def _not_escalated(kind: str, item_id):
    return ~select(Escalation.id).where(Escalation.item_kind == kind, Escalation.item_id == item_id).exists()


def _started(kind: str, model):
    return getattr(model, CLOCK_STARTS[kind])


def due_items(session: Session, started_before: dt.datetime) -> list[DueItem]:
    """Items still waiting for someone whose clock started before ``started_before`` and
    that were never escalated, oldest clock first."""
    # Each condition is its kind's partial index: ix_cases_open_due, ix_findings_unreviewed_high,
    # ix_complaints_unanswered_inducement.
    cases = select(Case.id, Case.case_number, Case.office_code, _started("overdue_case", Case)).where(
        Case.completed_at.is_(None), Case.withdrawn_at.is_(None), Case.accepted_at.is_not(None),
        Case.due_at < started_before, _not_escalated("overdue_case", Case.id))
    findings = (select(Finding.id, Finding.id, func.coalesce(Visit.office_code, Case.office_code),
                       _started("unreviewed_finding", Finding))
                .outerjoin(Visit, Finding.visit_pk == Visit.id).outerjoin(Case, Finding.case_pk == Case.id)
                .where(Finding.review_status == _constant(UNREVIEWED),
                       Finding.severity == _constant(ESCALATED_SEVERITY),
                       Finding.as_of < started_before, _not_escalated("unreviewed_finding", Finding.id)))
    reports = select(Complaint.id, Complaint.reference, Complaint.office_code,
                     _started("unanswered_inducement", Complaint)).where(
        Complaint.kind == _constant(INDUCEMENT), Complaint.status.in_([_constant(s) for s in UNANSWERED]),
        Complaint.received_at < started_before, _not_escalated("unanswered_inducement", Complaint.id))
    items = []
    for kind, query in (("overdue_case", cases), ("unreviewed_finding", findings),
                        ("unanswered_inducement", reports)):
        items += [DueItem(kind, int(pk), str(ref), office, started)
                  for pk, ref, office, started in session.execute(query)]
    return sorted(items, key=lambda item: (item.started_at, item.kind, item.item_id))


def add(session: Session, item: DueItem, now: dt.datetime, working_days: int) -> Escalation:
    """Escalate one item to the next level, audited (actor "system")."""
    escalation = Escalation(item_kind=item.kind, item_id=item.item_id, item_ref=item.item_ref,
                            office_code=item.office_code, started_at=item.started_at, escalated_at=now,
                            level=NEXT_LEVEL)
    session.add(escalation)
    session.flush()
    audit.record(session, "system", "escalate", "escalation", escalation.id, at=now,
                 new={"item": item.kind, "ref": item.item_ref, "office": item.office_code,
                      "started_at": item.started_at.isoformat(), "level": escalation.level},
                 reason=f"nobody dealt with it within {working_days} working days",
                 rows={"escalation": [escalation.id]})
    return escalation


@dataclass(frozen=True)
class DealtWith:
    escalation: Escalation
    resolution: str
    at: dt.datetime | None  # when the item was dealt with, if the item says


def dealt_with(session: Session) -> list[DealtWith]:
    """Open escalations whose item has since been dealt with, and how."""
    found = []
    # A case's OVERDUE_OPEN still firing (held after a desk withdraw or a backdated result,
    # findings_store.Cause.hold) means nobody with the authority has dealt with it yet.
    still_overdue = select(Finding.id).where(
        Finding.rule == "OVERDUE_OPEN", Finding.case_pk == Case.id, Finding.visit_pk.is_(None),
        Finding.firing.is_(True)).exists()
    cases = select(Escalation, Case.outcome, Case.completed_at, Case.withdrawn_at).join(
        Case, and_(Escalation.item_kind == "overdue_case", Case.id == Escalation.item_id)).where(
        Escalation.resolved_at.is_(None), or_(Case.completed_at.is_not(None), Case.withdrawn_at.is_not(None)),
        ~still_overdue)
    for escalation, outcome, completed_at, withdrawn_at in session.execute(cases):
        withdrawn = outcome == "withdrawn" or completed_at is None
        found.append(DealtWith(escalation, "withdrawn" if withdrawn else "completed",
                               withdrawn_at if withdrawn else completed_at))
    findings = select(Escalation, Finding.reviewed_at).join(
        Finding, and_(Escalation.item_kind == "unreviewed_finding", Finding.id == Escalation.item_id)).where(
        Escalation.resolved_at.is_(None), Finding.review_status != UNREVIEWED)
    found += [DealtWith(escalation, "reviewed", at) for escalation, at in session.execute(findings)]
    reports = select(Escalation, Complaint.status, Complaint.answered_at).join(
        Complaint, and_(Escalation.item_kind == "unanswered_inducement", Complaint.id == Escalation.item_id)).where(
        Escalation.resolved_at.is_(None), Complaint.status.not_in(UNANSWERED))
    found += [DealtWith(escalation, status, at) for escalation, status, at in session.execute(reports)]
    return sorted(found, key=lambda item: item.escalation.id)


def resolve(session: Session, item: DealtWith, now: dt.datetime) -> Escalation:
    """Mark an escalation resolved, at the moment its item was dealt with (never later
    than now), audited (actor "system")."""
    escalation = item.escalation
    escalation.resolved_at = min(item.at, now) if item.at is not None else now
    escalation.resolution = item.resolution
    session.flush()
    audit.record(session, "system", "resolve", "escalation", escalation.id, at=now,
                 old={"resolved_at": None, "resolution": None},
                 new={"resolved_at": escalation.resolved_at.isoformat(), "resolution": escalation.resolution,
                      "item": escalation.item_kind, "ref": escalation.item_ref},
                 rows={"escalation": [escalation.id]})
    return escalation


def of_items(session: Session, kind: str, ids) -> dict[int, Escalation]:
    """The escalations of some items of one kind (a page's rows), by item id."""
    ids = sorted({int(i) for i in ids})
    if not ids:
        return {}
    rows = session.scalars(select(Escalation).where(Escalation.item_kind == kind, Escalation.item_id.in_(ids)))
    return {row.item_id: row for row in rows}
