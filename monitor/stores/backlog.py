"""The findings waiting for a supervisor, counted per office: the weekly report's "Needs your
attention" backlogs, read by index whatever the size of the history (models/cells.py:
FindingBacklog).

The backlogs are cumulative by definition (a finding waits until a supervisor closes or
dismisses it, whatever its week), so they are kept as counters per (visit office, case office)
rather than counted over every open finding per request. ``BACKLOGS`` is their one
definition: ``rebuild`` counts it over every finding, and every writer that changes a
finding's firing, review, severity or clearing, inserts findings or moves a case to another
office wraps the change in ``tracking``, which counts the same definition over just the
findings it changes, before and after, and appends the difference as a row. Appending (never
updating one counter row) means that no two writers wait on each other's counter; the rows
a change locks are the findings it counts (those it writes, or those of a case it moves).
``compact`` (the ``cells`` job) folds each key's rows into one.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager

import pandas as pd
from sqlalchemy import ColumnElement, case, delete, func, insert, or_, select, text
from sqlalchemy.orm import Session

from ..models import Case, Finding, FindingBacklog, Visit
from .sets import one_of

KEYS = ["visit_office", "case_office"]

# Nobody has closed or dismissed it: every backlog counts only these.
_UNDECIDED = Finding.review_status.in_(("open", "confirmed"))
_WAITING = Finding.firing.is_(True) & (Finding.review_status == "open")
BACKLOGS: dict[str, ColumnElement[bool]] = {
    # No longer firing (a correction, a catalog or calendar change cleared it), not yet closed or reopened.
    "no_longer_firing_unreviewed": Finding.firing.is_(False),
    # Fires, and no supervisor has reviewed it yet; of those, high severity.
    "awaiting_review": _WAITING,
    "awaiting_review_high": _WAITING & (Finding.severity == "high"),
    # Fires, but a desk action would have cleared it: kept firing until a supervisor decides.
    "held": _WAITING & Finding.cleared_at.is_not(None),
}


def _tally(session: Session, condition: ColumnElement[bool] | None = None) -> pd.DataFrame:
    """The backlogs of the findings meeting ``condition`` (None: all), per key ('' where a
    finding has no visit or no case)."""
    visit_office = func.coalesce(Visit.office_code, "")
    case_office = func.coalesce(Case.office_code, "")
    query = (select(visit_office.label("visit_office"), case_office.label("case_office"),
                    *(func.coalesce(func.sum(case((wanted, 1), else_=0)), 0).label(name)
                      for name, wanted in BACKLOGS.items()))
             .select_from(Finding).outerjoin(Visit, Finding.visit_pk == Visit.id)
             .outerjoin(Case, Finding.case_pk == Case.id)
             .where(_UNDECIDED).group_by(visit_office, case_office))
    if condition is not None:
        query = query.where(condition)
    frame = pd.DataFrame(session.execute(query).all(), columns=[*KEYS, *BACKLOGS])
    return frame.astype({name: "int64" for name in BACKLOGS}).set_index(KEYS)


def _nothing() -> pd.DataFrame:
    return pd.DataFrame(columns=[*KEYS, *BACKLOGS]).astype({name: "int64" for name in BACKLOGS}).set_index(KEYS)


def _append(session: Session, rows: pd.DataFrame) -> None:
    """Append counter rows (indexed by key), leaving out those that change nothing."""
    rows = rows[(rows[list(BACKLOGS)] != 0).any(axis=1)]
    if len(rows):
        session.execute(insert(FindingBacklog), [
            {"visit_office": visit_office, "case_office": case_office,
             **{name: int(value) for name, value in zip(BACKLOGS, values)}}
            for (visit_office, case_office), *values in rows[list(BACKLOGS)].itertuples(name=None)])


class Change:
    """The findings a change touches: those named when it began and those it adds."""

    def __init__(self, finding_ids: Iterable[int]):
        self.ids: set[int] = {int(i) for i in finding_ids}

    def add(self, finding_ids: Iterable[int]) -> None:
        """Findings inserted by the change (none counted before it)."""
        self.ids.update(int(i) for i in finding_ids)


def _of(session: Session, ids: set[int]) -> ColumnElement[bool]:
    return one_of(session, Finding.id, sorted(ids))


@contextmanager
def tracking(session: Session, finding_ids: Iterable[int] = ()) -> Iterator[Change]:
    """Keep the counters exact across a change of these findings (and of those the change
    ``add``\\ s): they are locked and counted before, counted again after, and the difference
    appended. The findings stay locked until the transaction ends, so that a concurrent
    writer of the same findings counts from this change's result, never from what it replaced
    (SQLite has one writer at a time)."""
    change = Change(finding_ids)
    before = _nothing()
    if change.ids:
        session.execute(select(Finding.id).where(_of(session, change.ids)).order_by(Finding.id).with_for_update())
        before = _tally(session, _of(session, change.ids))
    yield change
    session.flush()
    if not change.ids:  # no finding named nor added: no counter moves
        return
    after = _tally(session, _of(session, change.ids))
    _append(session, after.sub(before, fill_value=0).astype("int64"))


def added(session: Session, finding_ids: Iterable[int]) -> None:
    """Findings just inserted (by the ORM, flushed) join the counters."""
    with tracking(session) as change:
        change.add(finding_ids)


def findings_of_cases(session: Session, case_pks: Iterable[int]) -> list[int]:
    """The findings that count in a case's office (its own and its visits'): moving the case to
    another office moves them."""
    pks = sorted({int(pk) for pk in case_pks})
    return list(session.scalars(select(Finding.id).where(one_of(session, Finding.case_pk, pks)))) if pks else []


def rebuild(session: Session) -> None:
    """Count every finding again (after an upgrade, or to repair counters): the rows are
    replaced. Writers wait meanwhile (PostgreSQL: the table is locked first, so that no change
    is both counted here and appended by its writer)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("LOCK TABLE finding_backlog IN EXCLUSIVE MODE"))
    session.execute(delete(FindingBacklog))
    _append(session, _tally(session))
    session.flush()


def compact(session: Session) -> None:
    """Fold each key's rows into one. Only what this statement deletes is summed back, so a
    concurrent compaction or writer can neither lose nor double a change."""
    keys = (FindingBacklog.visit_office, FindingBacklog.case_office)
    if session.execute(select(*keys).group_by(*keys).having(func.count() > 1).limit(1)).first() is None:
        return
    single = select(func.min(FindingBacklog.id)).group_by(*keys).having(func.count() == 1)
    removed = session.execute(delete(FindingBacklog).where(FindingBacklog.id.not_in(single)).returning(
        FindingBacklog.visit_office, FindingBacklog.case_office,
        *(getattr(FindingBacklog, name) for name in BACKLOGS))).all()
    folded = pd.DataFrame(removed, columns=[*KEYS, *BACKLOGS]).groupby(KEYS)[list(BACKLOGS)].sum()
    _append(session, folded)
    session.flush()


def counts(session: Session, offices: list[str] | None) -> dict[str, int]:
    """The backlogs of an area (None: the network, which also counts a finding of no office):
    the sum of the rows whose visit office or case office is in it, every finding once."""
    query = select(*(func.coalesce(func.sum(getattr(FindingBacklog, name)), 0) for name in BACKLOGS))
    if offices is not None:
        offices = [office for office in offices if office]  # '' is no office: the network's only
        query = query.where(or_(one_of(session, FindingBacklog.visit_office, offices, "visit_offices"),
                                one_of(session, FindingBacklog.case_office, offices, "case_offices")))
    return {name: int(value) for name, value in zip(BACKLOGS, session.execute(query).one())}
