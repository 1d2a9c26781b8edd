"""The accountability clock as use cases: escalate what ran out, resolve what was dealt
with, show each item's clock, list and count the queue of an area.

The rules (which items, when a clock starts and runs out) are monitor.compliance.escalation;
the rows are monitor.stores.escalations. Nothing here commits: the job or the view does.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, or_, select, true
from sqlalchemy.orm import Session

from ..calendar import WorkingCalendar
from ..compliance import escalation as rules
from ..models import Case, Complaint, Escalation, Finding, Visit
from ..progress import Progress, silent
from ..stores import escalations as store
from ..stores.weeks import overdue_open_sql
from .citizens import complaints_of_area

QUEUE_PER_PAGE = 100


@dataclass(frozen=True)
class EscalationRun:
    escalated: int
    resolved: int

    def __str__(self) -> str:
        return f"{self.escalated} items escalated, {self.resolved} escalations resolved"


def escalate(session: Session, now: dt.datetime, working_days: int, calendar: WorkingCalendar,
             progress: Progress = silent) -> EscalationRun:
    """Resolve the escalations whose item was dealt with, then escalate every item whose
    clock has run out at ``now``. Running it again with nothing new writes nothing."""
    now = now.astimezone(dt.UTC)
    dealt_with = list(store.dealt_with(session))
    resolved = [store.resolve(session, item, now) for item in dealt_with]
    progress(len(resolved), len(resolved), "escalations resolved")
    cutoff = rules.started_before(now, working_days, calendar)
    due = list(store.due_items(session, cutoff))
    added = []
    for item in due:
        added.append(store.add(session, item, now, working_days))
        progress(len(added), len(due), "" if len(added) < len(due) else "items escalated")
    if not due:
        progress(0, 0, "items escalated")
    return EscalationRun(len(added), len(resolved))


def of_area(offices: list[str] | None):
    """Escalations of items the supervisors of ``offices`` see (None: the network): their
    offices', and reports naming only a service their offices provide (complaints_of_area)."""
    if offices is None:
        return true()
    reports = select(Complaint.id).where(complaints_of_area(offices).whereclause)
    return or_(Escalation.office_code.in_(offices),
               Escalation.office_code.is_(None) & (Escalation.item_kind == "unanswered_inducement")
               & Escalation.item_id.in_(reports))


@dataclass(frozen=True)
class QueueRow:
    escalation: Escalation
    clock: rules.Clock
    rule: str | None = None  # a finding's rule
    case_number: str | None = None  # the case a finding is on, for its link


def queue(session: Session, offices: list[str] | None, now: dt.datetime, working_days: int,
          calendar: WorkingCalendar, page: int = 1) -> tuple[list[QueueRow], int]:
    """One page of the open escalations of an area, oldest escalation first, and their count."""
    where = (Escalation.resolved_at.is_(None), of_area(offices))
    total = session.scalar(select(func.count()).select_from(Escalation).where(*where)) or 0
    rows = session.scalars(select(Escalation).where(*where).order_by(Escalation.escalated_at, Escalation.id)
                           .limit(QUEUE_PER_PAGE).offset((page - 1) * QUEUE_PER_PAGE)).all()
    findings = [row.item_id for row in rows if row.item_kind == "unreviewed_finding"]
    about = {}
    if findings:
        about = {pk: (rule, number) for pk, rule, number in session.execute(
            select(Finding.id, Finding.rule, Case.case_number)
            .outerjoin(Visit, Finding.visit_pk == Visit.id)
            .outerjoin(Case, Case.id == func.coalesce(Finding.case_pk, Visit.case_pk))
            .where(Finding.id.in_(findings)))}
    ends = _RunsOut(working_days, calendar)
    listed = []
    for row in rows:
        rule, number = about.get(row.item_id, (None, None)) if row.item_kind == "unreviewed_finding" else (None, None)
        listed.append(QueueRow(row, ends.clock(row.started_at, now, row), rule, number))
    return listed, total


def open_count(session: Session, offices: list[str] | None, since: dt.datetime | None = None,
               until: dt.datetime | None = None) -> int:
    """Open escalations of an area; with ``since``/``until``, only those escalated in between."""
    query = select(func.count()).select_from(Escalation).where(Escalation.resolved_at.is_(None), of_area(offices))
    if since is not None:
        query = query.where(Escalation.escalated_at >= since)
    if until is not None:
        query = query.where(Escalation.escalated_at < until)
    return session.scalar(query) or 0


def clocks(session: Session, kind: str, items: list[tuple[int, dt.datetime | None, bool]], now: dt.datetime,
           working_days: int, calendar: WorkingCalendar) -> dict[int, rules.Clock]:
    """The clock of each item a page shows: ``(id, clock start, still waiting)``.

    An escalated item shows its escalation (even once dealt with); a waiting one the time
    it has left; an item dealt with before its clock ran out shows none.
    """
    escalated = store.of_items(session, kind, [pk for pk, _, _ in items])
    ends = _RunsOut(working_days, calendar)
    shown = {}
    for pk, started_at, waiting in items:
        if pk in escalated:
            shown[pk] = ends.clock(escalated[pk].started_at, now, escalated[pk])
        elif waiting and started_at is not None:
            shown[pk] = ends.clock(started_at, now)
    return shown


def finding_clocks(session: Session, findings: list[Finding], now: dt.datetime, working_days: int,
                   calendar: WorkingCalendar) -> dict[int, rules.Clock]:
    """The clocks of a findings page's rows, by finding id."""
    return clocks(session, "unreviewed_finding",
                  [(f.id, f.as_of, rules.finding_waits(f.review_status, f.severity)) for f in findings],
                  now, working_days, calendar)


def case_clocks(session: Session, cases: list[Case], now: dt.datetime, working_days: int,
                calendar: WorkingCalendar) -> dict[int, rules.Clock]:
    """The clocks of overdue cases (a desk's day view, a case's page), by case id. A case's
    clock runs while it is the engine's OVERDUE_OPEN now (``overdue_open_sql``, as the desk
    view and the citizens' status decide it)."""
    overdue = set(session.scalars(select(Case.id).where(Case.id.in_([c.id for c in cases] or [-1]),
                                                        overdue_open_sql(now))))
    return clocks(session, "overdue_case", [(c.id, c.due_at, c.id in overdue) for c in cases],
                  now, working_days, calendar)


def report_clocks(session: Session, complaints: list[Complaint], now: dt.datetime, working_days: int,
                  calendar: WorkingCalendar) -> dict[int, rules.Clock]:
    """The clocks of a complaints page's reports of inducement, by complaint id."""
    return clocks(session, "unanswered_inducement",
                  [(c.id, c.received_at, rules.report_waits(c.kind, c.status)) for c in complaints],
                  now, working_days, calendar)


class _RunsOut:
    """Clocks of one page: one calendar computation per local start day, not per item."""

    def __init__(self, working_days: int, calendar: WorkingCalendar):
        self.working_days, self.calendar = working_days, calendar
        self._by_day: dict[dt.date, rules.Clock] = {}

    def clock(self, started_at: dt.datetime, now: dt.datetime, escalation: Escalation | None = None) -> rules.Clock:
        day = self.calendar.local(started_at).date()
        if day not in self._by_day:
            self._by_day[day] = rules.clock(started_at, now, self.working_days, self.calendar)
        base = self._by_day[day]
        return rules.Clock(started_at, base.runs_out_at, base.days_left, base.ran_out,
                           escalation.escalated_at if escalation else None,
                           escalation.level if escalation else rules.NEXT_LEVEL,
                           escalation.resolved_at if escalation else None)
