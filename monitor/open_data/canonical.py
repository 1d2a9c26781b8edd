"""What every format shares so that the same inputs give the same bytes: services in code
order, published snapshots in one stable order, their times in UTC and their values as
floats (None when the denominator was empty); the scope kinds and indicators published."""
from __future__ import annotations

import math

import pandas as pd

from services_catalog import Catalog, Service

from ..compliance.indicators import INDICATORS, PUBLIC_SCOPE_KINDS as SCOPE_KINDS

__all__ = ["INDICATORS", "INDICATOR_COLUMNS", "SCOPE_KINDS", "services_in_order", "snapshots_in_order",
           "utc_moment", "value_or_none"]

INDICATOR_COLUMNS = ("week", "scope_kind", "scope_value", "indicator", "value",
                     "published_at", "audit_head_hash")


def services_in_order(catalog: Catalog) -> list[Service]:
    return sorted(catalog.services.values(), key=lambda s: s.code)


def utc_moment(value) -> str | None:
    """A stored time as ISO 8601 in UTC (a time without zone is UTC); None when missing."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    moment = pd.Timestamp(value)
    moment = moment.tz_localize("UTC") if moment.tzinfo is None else moment.tz_convert("UTC")
    return moment.isoformat()


def value_or_none(value) -> float | None:
    """An indicator's value as a float; None when it has none (an empty denominator)."""
    if value is None or pd.isna(value):
        return None
    number = float(value)
    return None if math.isnan(number) else number


def snapshots_in_order(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows in a stable order, whatever order the database returned them in."""
    order = {name: position for position, name in enumerate(INDICATORS)}
    kinds = {name: position for position, name in enumerate(SCOPE_KINDS)}
    frame = frame.reindex(columns=list(INDICATOR_COLUMNS))
    keys = pd.DataFrame({
        "week": frame["week"].astype(str),
        "kind": frame["scope_kind"].map(kinds).fillna(len(kinds)),
        "scope": frame["scope_value"].fillna("").astype(str),
        "order": frame["indicator"].map(order).fillna(len(order)),
        "indicator": frame["indicator"].astype(str),
    }, index=frame.index)
    positions = keys.sort_values(["week", "kind", "scope", "order", "indicator"], kind="stable").index
    return frame.loc[positions]

