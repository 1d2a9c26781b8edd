"""Weekly publication of the service-quality indicators (clauses 2.2.1, 2.2.5).

A published week is frozen: publishing it again changes nothing and never adds a copy.
Each publication also records the audit chain's head, so that anyone holding the published
head can later prove the audit records up to it were not rewritten.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any, TypedDict

import numpy as np
import pandas as pd
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from .. import calendar
from ..calendar import last_complete_week, week_label, week_of_label
from ..compliance import INDICATORS
from ..compliance.indicators import PUBLIC_SCOPE_KINDS, SCOPE_KINDS
from ..models import AuditRecord, IndicatorSnapshot, Visit
from ..stores import audit, evidence as evidence_store, weeks as week_store
from . import indicator_cells
from .context import EngineInputs


class PublishError(ValueError):
    """A week that cannot be published: a malformed label, or a week not yet ended."""


def checked_week(label: str) -> str:
    """An ISO week label (``2026-W47``) as given, or PublishError saying what is wrong."""
    try:
        return calendar.checked_week(label)
    except calendar.BadWeek as error:
        raise PublishError(str(error)) from None


def closed_week(label: str, now: dt.datetime, timezone: str) -> str:
    """The label of a week that has ended before ``now`` (local time), or PublishError.

    Only a closed week is published: a running or future week frozen now would keep numbers
    that its remaining days change."""
    label = checked_week(label)
    if week_of_label(label) >= calendar.week_of(now, timezone):
        raise PublishError(f"week {label} has not ended yet (the last ended week is "
                           f"{last_complete_week(now, timezone)}); only ended weeks are published")
    return label


@dataclass(frozen=True)
class Publication:
    week: str
    rows: int
    already_published: bool


def week_of(moment: dt.datetime, timezone: str) -> str:
    """The label of the ISO week (local time) a moment falls in."""
    return week_label(calendar.week_of(moment, timezone))


def published_weeks(session: Session) -> list[str]:
    return list(session.scalars(select(IndicatorSnapshot.week).distinct().order_by(IndicatorSnapshot.week)))


def audit_head(session: Session) -> tuple[str | None, int]:
    head = session.execute(select(AuditRecord.hash).order_by(AuditRecord.sequence.desc()).limit(1)).scalar()
    count = session.execute(select(func.count()).select_from(AuditRecord)).scalar_one()
    return head, count


def complaints_frame(session: Session, start: dt.datetime | None = None,
                     end: dt.datetime | None = None) -> pd.DataFrame:
    """Complaints received in [start, end) (all by default) as the engine's frame."""
    return week_store.complaints_between(session, start, end)


def week_indicators(session: Session, inputs: EngineInputs, week: str) -> pd.DataFrame:
    """Every scope's indicators for one ISO week, long format (scope_kind, scope_value, indicator, value).

    Read from the week's stored cells (services.indicator_cells; publish_week refreshes stale
    weeks first), equal to the engine on every stored visit.
    """
    index = week_of_label(week)
    parts = []
    for kind in SCOPE_KINDS:
        scope = None if kind == "network" else kind
        seen = indicator_cells.scope_values(session, scope) if scope else None
        table = indicator_cells.values_table(session, scope, (index, index), seen)
        values = table[scope] if scope else pd.Series("", index=table.index)
        long = table.assign(scope_kind=kind, scope_value=values.astype(str)).melt(
            id_vars=["week", "scope_kind", "scope_value"], value_vars=INDICATORS,
            var_name="indicator", value_name="value")
        parts.append(long)
    result = pd.concat(parts, ignore_index=True)
    result["value"] = result["value"].astype("float64")
    return result


def publish_week(session: Session, inputs: EngineInputs, week: str, now: dt.datetime) -> Publication:
    """Freeze one week's indicators for every scope; a week already published stays as it is.

    Only a week that has ended is published (PublishError otherwise)."""
    week = closed_week(week, now, inputs.timezone)
    if session.scalar(select(IndicatorSnapshot.id).where(IndicatorSnapshot.week == week).limit(1)):
        return Publication(week, 0, already_published=True)
    indicator_cells.refresh_due(session, inputs, now)
    table = week_indicators(session, inputs, week)
    head, _ = audit_head(session)
    # One INSERT of every value (a national network's week is tens of thousands: ORM objects
    # took seconds), recorded in the audit chain with digests computed from what was written.
    values = table["value"].to_numpy(dtype="float64")
    kinds, scope_values, names = (table[c].to_numpy(dtype=object) for c in ("scope_kind", "scope_value", "indicator"))
    # The ids in the order of the rows given (the digests below pair them), one batched
    # statement even where values are empty (render_nulls).
    published = session.scalars(
        insert(IndicatorSnapshot).returning(IndicatorSnapshot.id, sort_by_parameter_order=True), [
            {"week": week, "scope_kind": kind, "scope_value": scope_value, "indicator": indicator,
             "value": None if np.isnan(value) else float(value), "published_at": now, "audit_head_hash": head}
            for kind, scope_value, indicator, value in zip(kinds, scope_values, names, values)],
        execution_options={"render_nulls": True}).all()
    written = pd.DataFrame({"id": np.asarray(published, dtype="int64"), "week": week, "scope_kind": kinds,
                            "scope_value": scope_values, "indicator": names, "value": values,
                            "published_at": pd.Series(pd.Timestamp(now).tz_convert("UTC"), index=range(len(values))),
                            "audit_head_hash": head})
    audit.record(session, "system", "publish", "indicator_snapshots", week, new={"values": len(published)},
                 rows={"indicator_snapshot": published}, written={"indicator_snapshot": published},
                 known=evidence_store.of_written("indicator_snapshot", written))
    from . import public_pages  # it reads the published snapshots through this module
    public_pages.note_published(session)
    return Publication(week, len(table), already_published=False)


def missed_weeks(session: Session, now: dt.datetime, timezone: str, first_week: str | None) -> list[str]:
    """Weeks that ended but were never published, oldest first (after downtime)."""
    last = week_of_label(last_complete_week(now, timezone))
    done = set(published_weeks(session))
    start = week_of_label(first_week) if first_week else last
    if done:
        start = max(start, min(week_of_label(w) for w in done))
    return [week_label(w) for w in range(start, last + 1) if week_label(w) not in done]


def first_week(session: Session, timezone: str) -> str | None:
    """The week of the first stored visit (None without visits)."""
    first = session.scalar(select(func.min(Visit.called_at)))
    return week_of(first, timezone) if first else None


def unpublished_weeks(session: Session, now: dt.datetime, timezone: str, since: str | None = None) -> list[str]:
    """Every ended week from ``since`` (and from the first stored visit's week: there is
    nothing to publish before it) that was never published, oldest first, including the weeks
    of history imported before the first publication."""
    first = first_week(session, timezone)
    if first is None:
        return []
    start = max(week_of_label(first), week_of_label(checked_week(since)) if since else 0)
    last = week_of_label(last_complete_week(now, timezone))
    candidates = [week_label(w) for w in range(start, last + 1)]
    # One index probe per candidate week (the network's few rows), not a pass over every
    # published value: /metrics asks this at each scrape.
    done: set[str] = set()
    for at in range(0, len(candidates), 500):
        done.update(session.scalars(select(IndicatorSnapshot.week).distinct().where(
            IndicatorSnapshot.week.in_(candidates[at:at + 500]), IndicatorSnapshot.scope_kind == "network")))
    return [week for week in candidates if week not in done]


def weeks_to_publish(session: Session, now: dt.datetime, timezone: str, week: str | None = None,
                     since: str | None = None) -> list[str]:
    """What the weekly publish freezes: ``week`` alone; or every ended, unpublished week from
    ``since`` on (history imported before the first publication too); or, by default, the
    weeks missed since the last publication (or since the first visit, before any)."""
    if week:
        return [week]
    if since:
        return unpublished_weeks(session, now, timezone, since)
    return missed_weeks(session, now, timezone, first_week(session, timezone))


def week_end(week: str, timezone: str) -> dt.datetime:
    """When a labelled week ends: the next Monday at 00:00 local time."""
    return calendar.week_end(week_of_label(checked_week(week)), timezone).to_pydatetime()


def public_snapshots(session: Session, scope_kind: str | None = None, last_weeks: int | None = None
                     ) -> pd.DataFrame:
    """Published snapshots fit for anyone: staff members' figures (and logins) left out, by
    the query itself (a national network's staff are four fifths of a week's values)."""
    return snapshots(session, scope_kind, last_weeks, PUBLIC_SCOPE_KINDS)


def snapshots(session: Session, scope_kind: str | None = None, last_weeks: int | None = None,
              kinds: tuple[str, ...] | None = None) -> pd.DataFrame:
    """Published snapshots (of ``scope_kind``, or of ``kinds``); ``last_weeks``: of the latest
    published weeks only (a page that shows a trend reads what it shows, however long the history)."""
    query = select(IndicatorSnapshot.week, IndicatorSnapshot.scope_kind, IndicatorSnapshot.scope_value,
                   IndicatorSnapshot.indicator, IndicatorSnapshot.value, IndicatorSnapshot.published_at,
                   IndicatorSnapshot.audit_head_hash).order_by(
        IndicatorSnapshot.week, IndicatorSnapshot.scope_kind, IndicatorSnapshot.scope_value)
    if scope_kind:
        query = query.where(IndicatorSnapshot.scope_kind == scope_kind)
    if kinds:
        query = query.where(IndicatorSnapshot.scope_kind.in_(kinds))
    if last_weeks:
        recent = list(session.scalars(select(IndicatorSnapshot.week).distinct()
                                      .order_by(IndicatorSnapshot.week.desc()).limit(last_weeks)))
        if recent:
            query = query.where(IndicatorSnapshot.week >= min(recent))
    return pd.read_sql(query, session.connection())


class RankedOffice(TypedDict):
    """An office of ``office_ranking``."""

    code: str
    enough: bool  # enough completed cases to be ranked
    rank: int | None  # None: too few cases
    values: dict[Hashable, Any]  # indicator -> value of the week


def office_ranking(table: pd.DataFrame, week: str, minimum_cases: int) -> list[RankedOffice]:
    """Offices of a published week, ranked by on-time rate.

    An office with fewer than ``minimum_cases`` completed cases is listed as "too few
    cases" and never ranked, so that one unlucky case does not make it the worst.
    Returns dicts (code, enough, rank or None, values), ranked offices first.
    """
    rows = table[(table["scope_kind"] == "office") & (table["week"] == week)].pivot_table(
        index="scope_value", columns="indicator", values="value", aggfunc="first", dropna=False)
    offices = [RankedOffice(code=str(code), enough=(row.get("cases_completed") or 0) >= minimum_cases,
                            rank=None, values=row.to_dict()) for code, row in rows.iterrows()]
    ranked = sorted((o for o in offices if o["enough"]), key=lambda o: -(o["values"].get("on_time_rate") or 0))
    for position, office in enumerate(ranked, start=1):
        office["rank"] = position
    return sorted(offices, key=lambda o: (o["rank"] or len(offices) + 1, o["code"]))
