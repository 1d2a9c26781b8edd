"""Findings as supervisors read and review them: the findings of their area one page at a time,
the one loader of a finding (with office scope), and the review.

A finding belongs to the office of its visit or of its case; another area's is refused as
NotYourOffice, a kind of NotFound, and the pages answer both alike (404).
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.engine import Row
from sqlalchemy.orm import Session

from ..models import Finding, User
from ..stores import findings as findings_store
from ..stores.findings import FindingFilter
from .errors import NotFound, NotYourOffice

__all__ = ["FindingFilter", "FindingsPage", "area_page", "visible_finding", "review"]


@dataclass(frozen=True)
class FindingsPage:
    """One page of an area's findings (newest first), each row (Finding, Visit, Case), and how
    many the filter holds in all: nothing is cut off silently."""
    rows: list[Row]
    total: int
    page: int
    pages: int


def area_page(session: Session, offices: list[str] | None, wanted: FindingFilter, page: int,
              per_page: int) -> FindingsPage:
    query = findings_store.area_findings(offices, wanted)
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    rows = list(session.execute(query.order_by(Finding.id.desc()).limit(per_page).offset((page - 1) * per_page)))
    return FindingsPage(rows, total, page, max(1, -(-total // per_page)))


def visible_finding(session: Session, finding_id: int, offices: list[str] | None) -> Finding:
    """The finding with this id if it is of one of ``offices`` (None: every office)."""
    row = session.execute(findings_store.area_findings(offices).where(Finding.id == finding_id)).first()
    if row is not None:
        return row.Finding
    if session.get(Finding, finding_id) is None:
        raise NotFound(what="finding", key=finding_id)
    raise NotYourOffice(what="finding", key=finding_id)


def review(session: Session, finding: Finding, decision: str, note: str, reviewer: User) -> str | None:
    """A supervisor's review of a finding they may see; the refusal's code, or None once recorded."""
    return findings_store.review(session, finding, decision, note, reviewer)
