"""Indicators are stored as weekly cells: computed when data arrives, read by requests.

A week's cells are the engine's own additive parts (``indicator_parts`` on that week's stored
rows, ``stores.weeks.week_frames``) kept per (week, office), (week, office, service) and
(week, office, staff): counts, the open-and-overdue count at the week's end, the week's
complaints and the raw quantile inputs. Cells of any set of offices and weeks combine with
the engine's ``combine_indicator_parts`` into exactly the table ``weekly_indicators`` gives
on every stored visit (tests/test_indicator_cells.py), so the network, an office, a
supervisor's area and the services and staff within it are all read from cells. The final
indicators of the network, each office, service and staff member are combined once, at
refresh (``IndicatorValue``): what the network's report and publishing read.

Writers mark the weeks they may change (``stores.cells``; the desk save, corrections,
imports, the sweep, calendar and catalog changes, complaints), and, when the change touches
one case or office, the offices it touches; ``refresh_stale`` recomputes only those weeks, of
those offices (then the network's, services' and staff's final figures that combine them), in
the same transaction for commands and jobs, and in the ``cells`` job (every minute) after desk
saves. A request never computes a cell.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any, cast

import numpy as np
import pandas as pd
from sqlalchemy import bindparam, delete, false, func, insert, or_, select, text, update
from sqlalchemy.orm import Session

from ..compliance import INDICATORS
from ..compliance.indicators import (
    COUNT_INDICATORS,
    IndicatorParts,
    combine_indicator_parts,
    indicator_parts,
    week_label,
    week_number,
)
from ..compliance.visit_log import local_day_numbers
from ..models import (
    IndicatorCell,
    IndicatorFindingCell,
    IndicatorScopeValue,
    IndicatorValue,
    IndicatorWeek,
    StaleIndicatorWeeks,
    Visit,
)
from ..models.cells import CELL_COUNTS
from ..stores import backlog as backlog_store, cells as cells_store, findings as findings_store, weeks as week_store
from ..stores.reading import read_frame
from ..stores.sets import one_of
from .context import EngineInputs

CELL_KINDS = ("office", "service", "staff")
_VISIT_COLUMN = {"office": "office_code", "service": "service_code", "staff": "staff_id"}
_SEPARATOR = "\x1f"
REFRESH_LOCK_KEY = 7202613  # PostgreSQL advisory lock: one refresh at a time


# -- marking ---------------------------------------------------------------------------------

def mark_stale(session: Session, weeks) -> None:
    """Mark these week indexes stale."""
    cells_store.mark_weeks(session, weeks)


def mark_since(session: Session, moment: dt.datetime, timezone: str, offices: set[str] | None = None) -> None:
    """A change at ``moment`` (a visit saved or imported, a correction): its week and every
    later computed week are stale (case events and overdue counts change only from it on), of
    ``offices`` (None: every office; ``offices_touched``)."""
    cells_store.mark_from(session, int(cells_store.week_of_moments(pd.Series([moment]), timezone)[0]),
                          offices=offices)


def mark_moment(session: Session, moment: dt.datetime, timezone: str, office: str | None) -> None:
    """Something counted in the week of ``moment`` only, at ``office`` (a complaint; '' when it
    names none), changed."""
    cells_store.mark_weeks(session, cells_store.week_of_moments(pd.Series([moment]), timezone), [office or ""])


def offices_touched(session: Session, case_pks: Iterable[int], offices: Iterable[str]) -> set[str] | None:
    """The offices whose cells visits at ``offices`` of these cases may change: those offices and
    every office of the cases' visits (stores.cells.offices_of_change; None: every office)."""
    return cells_store.offices_of_change(session, case_pks, offices)


def mark_visits(session: Session, called_at: pd.Series, timezone: str, offices: set[str] | None = None) -> None:
    """Visits called at these moments were written: from the earliest one's week on, of
    ``offices`` (None: every office; ``offices_touched``)."""
    weeks = cells_store.week_of_moments(called_at, timezone)
    if len(weeks):
        cells_store.mark_from(session, int(weeks.min()), int(weeks.max()), offices=offices)


def mark_missing(session: Session, now: dt.datetime, timezone: str) -> None:
    """Weeks not computed yet from the first stored visit's week to the current week (the
    overdue counts of a week without visits, a new week begun) are marked stale."""
    first = session.scalar(select(func.min(Visit.week)))
    if first is None:
        return
    current = int(cells_store.week_of_moments(pd.Series([now]), timezone)[0])
    last = cells_store.last_computed_week(session)
    start = first if last is None else last + 1
    missing = set(range(int(first), start)) - set(session.scalars(select(IndicatorWeek.week)))
    newest = session.scalar(select(func.max(Visit.week)))
    assert newest is not None  # there are visits: ``first`` is not None
    end = max(current, int(newest))
    if missing or start <= end:
        cells_store.mark_weeks(session, missing | set(range(start, end + 1)))


# -- computing -------------------------------------------------------------------------------

def _lock(session: Session) -> None:
    """One refresh at a time (and, on SQLite, the write lock before the first read)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": REFRESH_LOCK_KEY})
    else:
        session.execute(update(IndicatorWeek).where(IndicatorWeek.week != IndicatorWeek.week).values(week=0))


def _stale_offices(marks, computed: set[int]) -> dict[int, frozenset[str] | None]:
    """Per week marked, the offices whose cells are stale (None: every office). A week never
    computed is computed whole, whatever its marks name."""
    stale: dict[int, set[str] | None] = {}
    for first, last, office in marks:
        for week in range(first, last + 1):
            known = stale.get(week, set())
            if office is None or week not in computed or known is None:
                stale[week] = None
            else:
                known.add(office)
                stale[week] = known
    return {week: None if offices is None or len(offices) > cells_store.WHOLE_WEEK_OFFICES else frozenset(offices)
            for week, offices in stale.items()}


def refresh_stale(session: Session, inputs: EngineInputs, now: dt.datetime | None = None) -> list[int]:
    """Recompute the weeks marked stale (each from its own rows, of the offices marked);
    returns them."""
    _lock(session)
    marks = session.execute(select(StaleIndicatorWeeks.id, StaleIndicatorWeeks.first_week,
                                   StaleIndicatorWeeks.last_week, StaleIndicatorWeeks.office_code)).all()
    if not marks:
        return []
    first_marked, last_marked = min(m.first_week for m in marks), max(m.last_week for m in marks)
    computed = set(session.scalars(select(IndicatorWeek.week).where(
        IndicatorWeek.week.between(first_marked, last_marked))))
    stale = _stale_offices([(m.first_week, m.last_week, m.office_code) for m in marks], computed)
    weeks = sorted(stale)
    stored = {int(week): count for week, count in session.execute(
        select(Visit.week, func.count()).where(Visit.week.between(weeks[0], weeks[-1])).group_by(Visit.week))
        if week is not None}
    for first, last in _spans(weeks, stored, stale):
        refresh_weeks(session, inputs, first, last, now, offices=stale[first])
    session.execute(delete(StaleIndicatorWeeks).where(one_of(session, StaleIndicatorWeeks.id, [m.id for m in marks])))
    session.flush()
    return weeks


def refresh_due(session: Session, inputs: EngineInputs, now: dt.datetime) -> list[int]:
    """Begin the weeks up to ``now`` that have no cells yet and recompute those marked stale
    (the ``cells`` job every minute, ``flask cells refresh``); returns the weeks computed.
    The backlog counters' rows appended since the last run are folded, one per key."""
    backlog_store.compact(session)
    mark_missing(session, now, inputs.timezone)
    return refresh_stale(session, inputs, now)


def refresh_all(session: Session, inputs: EngineInputs, now: dt.datetime | None = None) -> list[int]:
    """(Re)build every week from the first stored visit's to the current one, and the report's
    backlog counters from every finding (``flask cells refresh --all``: after an upgrade)."""
    now = now or dt.datetime.now(dt.UTC)
    _lock(session)
    backlog_store.rebuild(session)
    session.execute(delete(IndicatorCell))
    session.execute(delete(IndicatorFindingCell))
    session.execute(delete(IndicatorValue))
    session.execute(delete(IndicatorScopeValue))
    session.execute(delete(IndicatorWeek))
    mark_missing(session, now, inputs.timezone)
    return refresh_stale(session, inputs, now)


def _blob(values: np.ndarray) -> bytes:
    return np.ascontiguousarray(values, dtype="<f8").tobytes()


def _blobs(samples: pd.DataFrame, keys: list[str]) -> pd.Series:
    """Each group's ``value`` samples as one blob, in their order within the group (one sort
    and a slice per group: a Python aggregation per group cost seconds per refresh)."""
    if samples.empty:
        return pd.Series([], dtype=object)
    ordered = samples.sort_values(keys, kind="stable")
    groups = ordered.groupby(keys, sort=False).size()
    ends = np.cumsum(groups.to_numpy())
    values = np.ascontiguousarray(ordered["value"].to_numpy(), dtype="<f8")
    return pd.Series([values[end - size:end].tobytes() for end, size in zip(ends, groups.to_numpy())],
                     index=groups.index, dtype=object)


def _values(blob: bytes | None) -> np.ndarray:
    return np.frombuffer(blob or b"", dtype="<f8")


SPAN_WEEKS = 16  # at most this many consecutive weeks are computed from one read of their rows
SPAN_VISITS = 400_000  # nor more visits than this (a refresh's memory; as the Dask engine's partitions)


def _spans(weeks: list[int], visits: dict[int, int],
           offices: dict[int, frozenset[str] | None] | None = None) -> list[tuple[int, int]]:
    """Sorted weeks as runs of consecutive weeks stale in the same offices (``offices`` per
    week), each at most SPAN_WEEKS long and holding at most SPAN_VISITS stored visits
    (``visits`` per week), unless one week alone holds more."""
    spans: list[tuple[int, int]] = []
    held = 0
    offices = offices or {}
    for week in weeks:
        size = visits.get(week, 0)
        if spans and week == spans[-1][1] + 1 and week - spans[-1][0] < SPAN_WEEKS and held + size <= SPAN_VISITS \
                and offices.get(week) == offices.get(spans[-1][0]):
            spans[-1] = (spans[-1][0], week)
            held += size
        else:
            spans.append((week, week))
            held = size
    return spans


def compute_weeks(session: Session, inputs: EngineInputs, first: int, last: int,
                  offices: frozenset[str] | None = None) -> pd.DataFrame:
    """The cells of weeks first..last from one read of their stored rows: one row per (week,
    scope_kind, office, value), of ``offices`` (None: every office; else the rows read are
    those of the offices and of the cases whose events count there, and the cells of other
    offices those rows touch are left out). Each week's cells equal those computed from that
    week's rows alone: counts, samples and complaints are taken at their own week, and the
    open-and-overdue count at a week's end is the stored count of the week before plus the
    changes since (cases falling due, or closed, in the weeks): never a read of every case still
    open. Weeks are refreshed oldest first (refresh_stale), so the week before is current when
    it is read. When the week before was never computed (the first week, or a gap), the cases
    open and overdue are read and counted from the start, as the engine does."""
    timezone = inputs.timezone
    carry = session.scalar(select(IndicatorWeek.week).where(IndicatorWeek.week == first - 1)) is not None
    rows = week_store.week_frames(session, inputs.frames, timezone, first, last, open_cases=not carry,
                                  offices=offices)
    visits = rows.visits
    key = (visits["office_code"].astype(str) + _SEPARATOR + visits["service_code"].astype(str) + _SEPARATOR
           + visits["staff_id"].astype(str)).to_numpy(dtype=object)
    parts = indicator_parts(visits.assign(cell=key), rows.cases, rows.findings, timezone, "cell",
                            answers=rows.answers)

    def in_span(weeks) -> np.ndarray:
        weeks = np.asarray(weeks)
        return (weeks >= first) & (weeks <= last)
    counts = parts.counts.reindex(columns=list(CELL_COUNTS)).fillna(0)
    counts = counts[in_span(counts.index.get_level_values("week"))].groupby(level=["week", "scope"]).sum()
    changes = parts.overdue_changes.reset_index()
    if carry:
        changes = changes[in_span(changes["week"])]  # earlier ones are in the count carried over
    else:
        changes = changes[changes["week"] <= last]
        changes["week"] = np.maximum(changes["week"].to_numpy(), first)
    levels = changes.groupby(["scope", "week"])["change"].sum().unstack("week", fill_value=0) \
        .reindex(columns=range(first, last + 1), fill_value=0).cumsum(axis=1)
    overdue = cast(pd.Series, levels.stack())
    overdue = overdue[overdue != 0].swaplevel().rename("overdue_open")
    overdue.index = overdue.index.set_names(["week", "scope"])
    lead = parts.lead_hours[in_span(parts.lead_hours["week"])]
    wait = parts.wait_minutes[in_span(parts.wait_minutes["week"])]
    # Every (week, cell key) that has a count, an overdue level or a sample, sorted: one
    # frame of the keys (never a Python tuple per key).
    cell_keys = pd.concat([counts.index.to_frame(index=False), overdue.index.to_frame(index=False),
                           lead[["week", "scope"]], wait[["week", "scope"]]], ignore_index=True)
    cell_keys = cell_keys.astype({"week": "int64", "scope": object}).drop_duplicates() \
        .sort_values(["week", "scope"])
    index = pd.MultiIndex.from_frame(cell_keys, names=["week", "scope"])
    finest = pd.DataFrame(index=index).join(counts).fillna(0)
    finest["overdue_open"] = overdue.reindex(finest.index).fillna(0)
    finest = finest.reset_index()
    # Each cell key's (office, service, staff).
    places = pd.Series(pd.unique(finest["scope"].to_numpy(dtype=object)), dtype=object)
    split = places.str.split(_SEPARATOR, expand=True) if len(places) else pd.DataFrame(columns=[0, 1, 2])
    place = pd.DataFrame({"office_code": split[0].to_numpy(dtype=object),
                          "service_code": split[1].to_numpy(dtype=object),
                          "staff_id": split[2].to_numpy(dtype=object)}, index=places.to_numpy(dtype=object))
    finest = finest.join(place, on="scope")
    lead = lead.join(place, on="scope")
    wait = wait.join(place, on="scope")

    # The scope values the stored visits of the weeks show (judged or not: stores.weeks.scope_values).
    seen = read_frame(session.connection(), select(Visit.week, Visit.office_code, Visit.service_code,
                                                   Visit.staff_id, func.count().label("n"))
                      .where(Visit.week.between(first, last),
                             *([] if offices is None else [one_of(session, Visit.office_code, sorted(offices))]))
                      .group_by(Visit.week, Visit.office_code, Visit.service_code, Visit.staff_id))
    complaints = week_store.complaints_of_weeks(session, first, last, timezone)
    complaints = complaints.assign(
        week=week_number(local_day_numbers(complaints["received_at"], timezone)) if len(complaints) else [],
        office_code=complaints["office_code"].fillna(""))
    complaints = complaints[in_span(complaints["week"])]

    carried = _overdue_before(session, first if carry else None, offices)
    kinds = []
    for kind in CELL_KINDS:
        keys = ["week", "office_code"] + ([_VISIT_COLUMN[kind]] if kind != "office" else [])
        grouped = finest.groupby(keys)[list(CELL_COUNTS) + ["overdue_open"]].sum()
        grouped = grouped.join(_carried(carried, kind, keys, first, last), how="outer")
        grouped = grouped.join(seen.groupby(keys)["n"].sum().rename("seen"), how="outer")
        if kind != "staff":
            wanted = complaints if kind == "office" else complaints[complaints["service_code"].notna()]
            grouped = grouped.join(wanted.groupby(keys).size().rename("complaints"), how="outer")
        else:
            grouped["complaints"] = 0
        grouped = grouped.fillna(0).astype("int64")
        grouped["overdue_open"] += grouped.pop("carried")
        # A cell only carried over, no longer open and overdue, and with nothing else: none.
        grouped = grouped[grouped.any(axis=1).to_numpy()]
        for column, samples in (("lead_hours", lead), ("wait_minutes", wait)):
            blobs = _blobs(samples, keys)
            grouped[column] = blobs.reindex(grouped.index).where(lambda b: b.notna(), b"").to_numpy(dtype=object) \
                if len(blobs) else b""
        grouped = grouped.reset_index()
        grouped["scope_value"] = "" if kind == "office" else grouped[_VISIT_COLUMN[kind]]
        kinds.append(grouped.assign(scope_kind=kind))
    columns = ["week", "scope_kind", "office_code", "scope_value", *CELL_COUNTS, "overdue_open", "complaints",
               "seen", "lead_hours", "wait_minutes"]
    cells = pd.concat(kinds, ignore_index=True)[columns]
    if offices is not None:  # other offices' cells of the cases read are partial: not these offices'
        cells = cells[cells["office_code"].isin(sorted(offices)).to_numpy()].reset_index(drop=True)
    return cells


def _overdue_before(session: Session, first: int | None, offices: frozenset[str] | None = None) -> pd.DataFrame:
    """The stored open-and-overdue counts at the end of the week before ``first``, per cell
    (none without ``first``), of ``offices`` (None: all)."""
    return read_frame(session.connection(), select(
        IndicatorCell.scope_kind, IndicatorCell.office_code, IndicatorCell.scope_value, IndicatorCell.overdue_open)
        .where(IndicatorCell.week == first - 1 if first is not None else false(), IndicatorCell.overdue_open != 0,
               *([] if offices is None else [one_of(session, IndicatorCell.office_code, sorted(offices))])))


def _carried(carried: pd.DataFrame, kind: str, keys: list[str], first: int, last: int) -> pd.Series:
    """The counts carried over, as a column ``carried`` on every week first..last."""
    base = carried[carried["scope_kind"].to_numpy() == kind]
    weeks = np.arange(first, last + 1)
    frame = pd.DataFrame({"week": np.repeat(weeks, len(base)),
                          "office_code": np.tile(base["office_code"].to_numpy(dtype=object), len(weeks))})
    if kind != "office":
        frame[_VISIT_COLUMN[kind]] = np.tile(base["scope_value"].to_numpy(dtype=object), len(weeks))
    frame["carried"] = np.tile(base["overdue_open"].to_numpy(dtype="int64"), len(weeks))
    return frame.groupby(keys)["carried"].sum()


def refresh_weeks(session: Session, inputs: EngineInputs, first: int, last: int,
                  now: dt.datetime | None = None, offices: frozenset[str] | None = None) -> None:
    """Replace the cells, final values and share of the scope values seen of weeks first..last
    (of ``offices``: their cells, and the final values that combine them)."""
    now = now or dt.datetime.now(dt.UTC)
    weeks = (first, last)
    cells = compute_weeks(session, inputs, first, last, offices)
    _update_scope_values(session, weeks, cells, offices)
    if offices is None:
        session.execute(delete(IndicatorCell).where(IndicatorCell.week.between(first, last)))
        _insert_cells(session, cells)
        _refresh_values(session, inputs, weeks, cells)
    else:
        _replace_cells_of_offices(session, inputs, weeks, cells, offices)
    _refresh_finding_cells(session, weeks, inputs.timezone, offices)
    stored = set(session.scalars(select(IndicatorWeek.week).where(IndicatorWeek.week.between(first, last))))
    if stored:
        session.execute(update(IndicatorWeek).where(IndicatorWeek.week.between(first, last))
                        .values(refreshed_at=now))
    fresh = [{"week": week, "refreshed_at": now} for week in range(first, last + 1) if week not in stored]
    if fresh:
        session.execute(insert(IndicatorWeek), fresh)
    session.flush()


def _insert_cells(session: Session, cells: pd.DataFrame) -> None:
    if len(cells):
        session.execute(insert(IndicatorCell.__table__), _records(cells))


def _replace_cells_of_offices(session: Session, inputs: EngineInputs, weeks: tuple[int, int], cells: pd.DataFrame,
                              offices: frozenset[str]) -> None:
    """Replace these offices' cells of the weeks, then combine again the final figures they
    take part in, from the stored cells of every office: the network's, these offices', and
    those of the services and staff members these offices' cells show, before or after."""
    of_offices = (IndicatorCell.week.between(*weeks), one_of(session, IndicatorCell.office_code, sorted(offices)))
    before = read_frame(session.connection(), select(IndicatorCell.scope_kind, IndicatorCell.scope_value).distinct()
                        .where(*of_offices, IndicatorCell.scope_kind.in_(("service", "staff"))))
    touched = pd.concat([before, cells.loc[cells["scope_kind"] != "office", ["scope_kind", "scope_value"]]])
    values = {kind: sorted(set(touched.loc[touched["scope_kind"] == kind, "scope_value"]))
              for kind in ("service", "staff")}
    session.execute(delete(IndicatorCell).where(*of_offices))
    _insert_cells(session, cells)
    _refresh_values(session, inputs, weeks, _stored_cells(session, weeks, values), offices, values)


def _stored_cells(session: Session, weeks: tuple[int, int], values: dict[str, list[str]]) -> pd.DataFrame:
    """The stored cells of these weeks that the network's and these services' and staff
    members' final figures combine: every office cell, and these values' cells in every office."""
    kinds = [read_cells(session, "office", weeks, None).assign(scope_kind="office")]
    kinds += [read_cells(session, kind, weeks, None, values=chosen).assign(scope_kind=kind)
              for kind, chosen in values.items() if chosen]
    return pd.concat(kinds, ignore_index=True)


def _refresh_values(session: Session, inputs: EngineInputs, weeks: tuple[int, int], cells: pd.DataFrame,
                    offices: frozenset[str] | None = None, named: dict[str, list[str]] | None = None) -> None:
    """Replace the final figures of the network and of every office, service and staff member
    these weeks' ``cells`` show (with ``offices``: of the network, these offices and the
    services and staff ``named``; ``cells`` hold all of their cells), in one combination: each
    kind's cells hold every visit once, under scope values of their own. A week gets rows for
    the network and the scope values its cells show."""
    first, last = weeks
    chosen = [] if offices is None else [or_(
        IndicatorValue.scope_kind == "network",
        (IndicatorValue.scope_kind == "office") & one_of(session, IndicatorValue.scope_value, sorted(offices)),
        *[(IndicatorValue.scope_kind == kind) & one_of(session, IndicatorValue.scope_value, chosen_values, kind)
          for kind, chosen_values in (named or {}).items() if chosen_values])]
    session.execute(delete(IndicatorValue).where(IndicatorValue.week.between(first, last), *chosen))
    stacked, labelled = [], []
    for kind in ("network", *CELL_KINDS):
        source = cells[cells["scope_kind"] == ("office" if kind == "network" else kind)]
        if kind == "office":
            source = source[(source["office_code"] != "")
                            & (source["office_code"].isin(sorted(offices)) if offices is not None else True)]
        stacked.append(source)
        labelled.append(kind + _SEPARATOR + _scope_of(source, None if kind == "network" else kind))
    labels = np.concatenate(labelled)
    stacked_cells = pd.concat(stacked, ignore_index=True)
    network = "network" + _SEPARATOR
    present = sorted(set(labels) | {network})
    table = combine_cells(stacked_cells, "label", (first, last), present, inputs.timezone, labels=labels)
    week_labels = {week_label(week): week for week in range(first, last + 1)}
    table["week"] = table["week"].map(week_labels)
    shown = set(zip(stacked_cells["week"].astype("int64"), labels)) \
        | {(week, network) for week in range(first, last + 1)}
    table = table[[pair in shown for pair in zip(table["week"], table["label"])]]
    kinds = table["label"].str.split(_SEPARATOR, n=1, expand=True)
    values = table[INDICATORS].astype("float64").astype(object)
    values = values.where(values.notna(), None).assign(week=table["week"].to_numpy(),
                                                       scope_kind=kinds[0].to_numpy(),
                                                       scope_value=kinds[1].to_numpy())
    if len(values):
        session.execute(insert(IndicatorValue.__table__), _records(values))


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """A frame's rows as the parameters of one INSERT (its column names are the table's)."""
    return cast(list[dict[str, Any]], frame.to_dict("records"))


def _keys(index: pd.Index) -> list[tuple[Any, Any, Any]]:
    """The (scope kind, office, scope value) of each row of a three-level index."""
    return list(zip(index.get_level_values(0), index.get_level_values(1), index.get_level_values(2)))


def _refresh_finding_cells(session: Session, weeks: tuple[int, int], timezone: str,
                           offices: frozenset[str] | None = None) -> None:
    """Replace the weeks' counts of firing findings per (visit office, case office, rule): with
    ``offices``, those of their visits and their cases' case findings (None: all)."""
    if offices is not None:
        offices = offices - {""}  # a complaint naming no office: no finding is counted there
        if not offices:
            return
    counts = findings_store.firing_in_weeks(session, *weeks, timezone, offices)
    stale = [] if offices is None else [or_(
        one_of(session, IndicatorFindingCell.visit_office, sorted(offices), "visit_offices"),
        (IndicatorFindingCell.visit_office == "")
        & one_of(session, IndicatorFindingCell.case_office, sorted(offices), "case_offices"))]
    session.execute(delete(IndicatorFindingCell).where(IndicatorFindingCell.week.between(*weeks), *stale))
    if len(counts):
        session.execute(insert(IndicatorFindingCell.__table__), _records(counts))


def _update_scope_values(session: Session, weeks: tuple[int, int], cells: pd.DataFrame,
                         offices: frozenset[str] | None = None) -> None:
    """The scope values seen: add these weeks' (of ``offices``), take away what they had before."""
    before = read_frame(session.connection(), select(IndicatorCell.scope_kind, IndicatorCell.office_code,
                                                     IndicatorCell.scope_value)
                        .where(IndicatorCell.week.between(*weeks), IndicatorCell.seen > 0,
                               *([] if offices is None else [one_of(session, IndicatorCell.office_code,
                                                                    sorted(offices))])))
    now = cells.loc[cells["seen"] > 0, ["scope_kind", "office_code", "scope_value"]]
    now = now.assign(scope_value=np.where(now["scope_kind"] == "office", now["office_code"], now["scope_value"]))
    before = before.assign(scope_value=np.where(before["scope_kind"] == "office", before["office_code"],
                                                before["scope_value"]))
    keys = ["scope_kind", "office_code", "scope_value"]
    change = pd.concat([now.assign(change=1), before.assign(change=-1)]).groupby(keys)["change"].sum()
    change = change[change != 0]
    if change.empty:
        return
    # Set-based: one read of the touched offices' rows, then one statement per kind of
    # change (never one ORM load and flush per scope value: thousands per week).
    table = IndicatorScopeValue.__table__
    changed = sorted(set(change.index.get_level_values("office_code")))
    stored = pd.DataFrame(session.execute(select(table.c.scope_kind, table.c.office_code, table.c.scope_value,
                                                 table.c.weeks).where(
        one_of(session, table.c.office_code, changed))).all(), columns=[*keys, "weeks"]).set_index(keys)["weeks"]
    merged = change.to_frame().join(stored, how="left")
    known = merged["weeks"].notna()
    total = merged["weeks"].fillna(0) + merged["change"]
    fresh = merged[~known]
    gone = merged[known & (total <= 0)]
    kept = merged[known & (total > 0)]
    key = (table.c.scope_kind == bindparam("k")) & (table.c.office_code == bindparam("o")) \
        & (table.c.scope_value == bindparam("v"))
    if len(fresh):
        session.execute(insert(table), [{"scope_kind": k, "office_code": o, "scope_value": v, "weeks": int(delta)}
                                        for (k, o, v), delta in zip(_keys(fresh.index), fresh["change"])])
    if len(gone):
        session.execute(delete(table).where(key), [{"k": k, "o": o, "v": v} for k, o, v in _keys(gone.index)])
    if len(kept):
        session.execute(update(table).where(key).values(weeks=bindparam("w")),
                        [{"k": k, "o": o, "v": v, "w": int(weeks)}
                         for (k, o, v), weeks in zip(_keys(kept.index), total[known & (total > 0)])])
    session.flush()


# -- combining -------------------------------------------------------------------------------

def _scope_of(cells: pd.DataFrame, scope: str | None) -> np.ndarray:
    """Each cell's scope value: '' for the network, the office, the service or staff member,
    or any constant (an area)."""
    if scope is None:
        return np.full(len(cells), "", dtype=object)
    if scope == "office":
        return cells["office_code"].to_numpy(dtype=object)
    if scope in ("service", "staff"):
        return cells["scope_value"].to_numpy(dtype=object)
    return np.full(len(cells), scope, dtype=object)


def combine_cells(cells: pd.DataFrame, scope: str | None, weeks: tuple[int, int], scope_values,
                  timezone: str, labels: np.ndarray | None = None) -> pd.DataFrame:
    """``weekly_indicators`` of the visits these cells hold (one kind, disjoint offices), for
    weeks first..last and these scope values (``scope``: None for the network, office,
    service, staff, or a name for the whole set, e.g. "area"), by ``combine_indicator_parts``.
    ``labels``: each cell's scope value, given (cells of any kinds, each value of one kind)."""
    first, last = weeks
    frame = cells.assign(scope=_scope_of(cells, scope) if labels is None else labels)
    keys = ["week", "scope"]
    counts = frame.groupby(keys)[list(CELL_COUNTS)].sum().astype("float64")
    # Open-and-overdue counts at each week's end, as the +1/-1 changes the engine sums up.
    open_at = frame.groupby(keys)["overdue_open"].sum().unstack("scope", fill_value=0) \
        .reindex(range(first, last + 1), fill_value=0)
    open_at.index.name = "week"
    # One level of columns: stacked, a Series (the stubs allow a DataFrame too).
    changes = cast(pd.Series, (open_at - open_at.shift(1, fill_value=0)).stack())
    changes.index = changes.index.set_names(keys)
    changes.name = "change"

    def samples(column: str) -> pd.DataFrame:
        arrays = [_values(blob) for blob in frame[column]]
        lengths = np.array([len(a) for a in arrays], dtype="int64")
        return pd.DataFrame({"week": np.repeat(frame["week"].to_numpy(dtype="int64"), lengths),
                             "scope": np.repeat(frame["scope"].to_numpy(dtype=object), lengths),
                             "value": np.concatenate(arrays) if arrays else np.array([], dtype="float64")})
    values = [""] if scope is None else list(scope_values)
    parts = IndicatorParts(counts=counts, overdue_changes=changes.astype("int64"),
                           lead_hours=samples("lead_hours"), wait_minutes=samples("wait_minutes"),
                           scope_values=np.array(values, dtype=object), first_week=first, last_week=last,
                           answers_known=True)
    name = None if scope is None else scope
    table = combine_indicator_parts([parts], name, timezone, None, weeks=(first, last), scope_values=values)
    complaints = frame.groupby(keys)["complaints"].sum()
    grid = pd.MultiIndex.from_arrays([[week_label(w) for w in range(first, last + 1) for _ in values],
                                      [v for _ in range(first, last + 1) for v in sorted(values)]])
    complaints.index = pd.MultiIndex.from_arrays([[week_label(w) for w in complaints.index.get_level_values(0)],
                                                  complaints.index.get_level_values(1)])
    table["complaints"] = complaints.reindex(grid, fill_value=0).to_numpy(dtype="int64")
    return table


# -- reading ---------------------------------------------------------------------------------

def read_cells(session: Session, kind: str, weeks: tuple[int, int], offices: list[str] | None,
               samples: bool = True, values: list[str] | None = None) -> pd.DataFrame:
    """The cells of one kind of these weeks (of ``offices``; None: every office; of these
    scope ``values`` when given)."""
    columns = [IndicatorCell.week, IndicatorCell.office_code, IndicatorCell.scope_value,
               *[getattr(IndicatorCell, name) for name in CELL_COUNTS], IndicatorCell.overdue_open,
               IndicatorCell.complaints]
    if samples:
        columns += [IndicatorCell.lead_hours, IndicatorCell.wait_minutes]
    query = select(*columns).where(IndicatorCell.scope_kind == kind,
                                   IndicatorCell.week.between(weeks[0], weeks[1]))
    if offices is not None:
        query = query.where(one_of(session, IndicatorCell.office_code, offices))
    if values is not None:
        query = query.where(one_of(session, IndicatorCell.scope_value, values, "scope_values"))
    rows = session.execute(query).all()
    frame = pd.DataFrame(rows, columns=[c.key for c in columns])
    for name in (*CELL_COUNTS, "overdue_open", "complaints", "week"):
        frame[name] = frame[name].astype("int64")
    return frame


def scope_values(session: Session, scope: str, offices: list[str] | None = None) -> list:
    """The scope's values seen in the stored visits (of ``offices``, None: all), from cells."""
    query = select(IndicatorScopeValue.scope_value).distinct().where(IndicatorScopeValue.scope_kind == scope)
    if offices is not None:
        query = query.where(one_of(session, IndicatorScopeValue.office_code, offices))
    return sorted(session.scalars(query))


def values_table(session: Session, scope: str | None, weeks: tuple[int, int], scope_values) -> pd.DataFrame:
    """The final indicators of the network (None) or of these offices, services or staff,
    weeks first..last, as ``weekly_indicators`` lays them out (a value without cells in a
    week has no cases and no visits there: counts 0, rates empty)."""
    first, last = weeks
    kind = scope or "network"
    values = [""] if scope is None else sorted(scope_values)
    query = select(IndicatorValue.week, IndicatorValue.scope_value,
                   *[getattr(IndicatorValue, name) for name in INDICATORS]).where(
        IndicatorValue.scope_kind == kind, IndicatorValue.week.between(first, last))
    if scope is not None and len(values) <= 1000:
        query = query.where(one_of(session, IndicatorValue.scope_value, values))
    stored = pd.DataFrame(session.execute(query).all(), columns=["week", "scope", *INDICATORS])
    stored = stored.set_index(["week", "scope"]).astype("float64")
    grid = pd.MultiIndex.from_product([np.arange(first, last + 1), values], names=["week", "scope"])
    table = stored.reindex(grid)
    for name in (*COUNT_INDICATORS, "complaints"):
        table[name] = table[name].fillna(0).astype("int64")
    table = table.reset_index()
    table["week"] = [week_label(w) for w in table["week"]]
    table = table.rename(columns={"scope": scope}) if scope else table.drop(columns="scope")
    return table[["week"] + ([scope] if scope else []) + INDICATORS]


def scope_table(session: Session, timezone: str, scope: str | None, weeks: tuple[int, int],
                offices: list[str] | None, values) -> pd.DataFrame:
    """The indicators of the network, or of offices, services or staff within an area
    (``offices``; None: the network): final values where they are the area's, else combined."""
    if scope in (None, "office") or offices is None:
        return values_table(session, scope, weeks, values)
    return combine_cells(read_cells(session, scope, weeks, offices), scope, weeks, values, timezone)


def area_table(session: Session, timezone: str, weeks: tuple[int, int], offices: list[str] | None) -> pd.DataFrame:
    """The indicators of an area as a whole (no scope column): the network's or one office's
    final values, or the combined office cells of several offices."""
    if offices is None:
        return values_table(session, None, weeks, None)
    if len(offices) == 1:
        return values_table(session, "office", weeks, offices).drop(columns="office")
    return combine_cells(read_cells(session, "office", weeks, offices), "area", weeks, ["area"],
                         timezone).drop(columns="area")


def office_counts(session: Session, week: int, offices: list[str] | None) -> pd.DataFrame:
    """Per office of the area, the counts the rates of ``week`` are shares of."""
    cells = read_cells(session, "office", (week, week), offices, samples=False)
    cells = cells[cells["office_code"] != ""]
    return pd.DataFrame({"visits": cells["visits"].to_numpy(), "visits_with_ticket": cells["ticketed"].to_numpy(),
                         "cases_completed": cells["completed"].to_numpy(), "refusals": cells["refused"].to_numpy(),
                         "cases_accepted": cells["accepted"].to_numpy(),
                         "answered_visits": cells["answered"].to_numpy()},
                        index=pd.Index(cells["office_code"].to_numpy(), name="office"))


def findings_by_rule(session: Session, week: int, offices: list[str] | None) -> dict[str, int]:
    """Per rule, the findings of the area (None: the network) that fire in ``week``, counted
    where the findings page's week filter puts them (models/cells.py: IndicatorFindingCell)."""
    query = select(IndicatorFindingCell.rule, func.sum(IndicatorFindingCell.findings)).where(
        IndicatorFindingCell.week == week).group_by(IndicatorFindingCell.rule)
    if offices is not None:
        query = query.where(or_(one_of(session, IndicatorFindingCell.visit_office, offices, "visit_offices"),
                                one_of(session, IndicatorFindingCell.case_office, offices, "case_offices")))
    return {rule: int(count) for rule, count in session.execute(query).all() if count}


def staff_visits(session: Session, week: int, offices: list[str] | None) -> pd.Series:
    """Visits per staff member of the area in ``week`` (those with visits)."""
    cells = read_cells(session, "staff", (week, week), offices, samples=False)
    visits = cells.groupby("scope_value")["visits"].sum()
    return visits[visits > 0]
