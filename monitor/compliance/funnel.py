"""Offices against the network on a funnel plot, and whether a change is more than noise.

A league table shames the small office that had one bad case and hides the large one that
drifts; a funnel plot (Spiegelhalter 2005, "Funnel plots for comparing institutional
performance") compares each office's rate with the network's, within control limits that
widen as the office's number of cases shrinks. Limits are the normal approximation: for a
share p of n, p0 +- z * sqrt(p0 (1 - p0) / n); for a count per 100 cases (red tape), a
Poisson rate, 100 * (l0 +- z * sqrt(l0 / n)). 95 % limits (z = 1.96) warn, 99.8 % limits
(z = 3.09) alarm.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

Z_95 = 1.959964
Z_998 = 3.090232
STANDINGS = ("alarm", "warning", "within", "better")  # worst first


def _spread(network_rate: float, n, unit: str):
    """The standard error of a rate of ``n`` cases (or visits) when the network's rate holds."""
    n = np.asarray(n, dtype="float64")
    with np.errstate(divide="ignore", invalid="ignore"):
        if unit == "per_100_cases":
            return 100 * np.sqrt(network_rate / 100 / n)
        return np.sqrt(network_rate * (1 - network_rate) / n)


def control_limits(network_rate: float, n, unit: str, z: float) -> tuple[np.ndarray, np.ndarray]:
    """Lower and upper limits for rates of ``n`` cases; a share stays within 0..1."""
    spread = _spread(network_rate, n, unit)
    low = np.maximum(network_rate - z * spread, 0.0)
    high = network_rate + z * spread
    if unit != "per_100_cases":
        high = np.minimum(high, 1.0)
    return low, high


def standing(value: float, n: float, network_rate: float, unit: str, better: str) -> str | None:
    """Where one office stands: ``alarm`` (beyond the 99.8 % limit on the worse side),
    ``warning`` (beyond 95 %, worse side), ``better`` (beyond 95 %, better side) or
    ``within``; None when it cannot be compared (no cases, or no network rate)."""
    if value is None or n is None or network_rate is None or n <= 0 \
            or math.isnan(value) or math.isnan(network_rate):
        return None
    low95, high95 = (float(x) for x in control_limits(network_rate, n, unit, Z_95))
    low998, high998 = (float(x) for x in control_limits(network_rate, n, unit, Z_998))
    worse_side = value > high95 if better == "lower" else value < low95
    if worse_side:
        beyond = value > high998 if better == "lower" else value < low998
        return "alarm" if beyond else "warning"
    better_side = value < low95 if better == "lower" else value > high95
    return "better" if better_side else "within"


def compare_with_network(offices: pd.DataFrame, network_rate: float, unit: str, better: str) -> pd.DataFrame:
    """``offices`` (columns office, value, n) with the four limits and each one's standing.

    Offices with no cases in the week (n = 0) are dropped: they have no rate to compare.
    Sorted worst first: by standing, then by how far beyond the network they are.
    """
    table = offices[offices["n"] > 0].copy()
    for z, suffix in ((Z_95, "95"), (Z_998, "998")):
        low, high = control_limits(network_rate, table["n"].to_numpy(), unit, z)
        table[f"low_{suffix}"], table[f"high_{suffix}"] = low, high
    table["standing"] = [standing(v, n, network_rate, unit, better)
                         for v, n in zip(table["value"], table["n"])]
    spread = _spread(network_rate, table["n"].to_numpy(), unit)
    with np.errstate(divide="ignore", invalid="ignore"):
        distance = (table["value"].to_numpy() - network_rate) / spread
    table["worse_by"] = distance if better == "lower" else -distance  # in standard errors
    order = table["standing"].map({s: i for i, s in enumerate(STANDINGS)}).fillna(len(STANDINGS))
    return table.assign(_order=order).sort_values(["_order", "worse_by"], ascending=[True, False]) \
        .drop(columns="_order").reset_index(drop=True)


@dataclass(frozen=True)
class Worsening:
    """A change for the worse beyond chance, sized by its evidence: ``cases`` is how many more
    of this week's cases fared badly than last week's rate would have let (the people behind
    it), ``z`` how far past chance (the two-sample z statistic)."""
    cases: float
    z: float


def worsening(current: float, previous: float, n_current: float, n_previous: float,
              unit: str, better: str, z: float = Z_95) -> Worsening | None:
    """Did the rate get worse by more than chance, week on week? (Two-sample z test: the
    pooled rate's standard error for the two weeks' numbers of cases; 95 % by default.)
    None when it did not, or when either week has no cases."""
    values = (current, previous, n_current, n_previous)
    if any(v is None or (isinstance(v, float) and math.isnan(v)) for v in values) \
            or n_current <= 0 or n_previous <= 0:
        return None
    difference = current - previous
    if (difference <= 0) if better == "lower" else (difference >= 0):
        return None
    pooled = (current * n_current + previous * n_previous) / (n_current + n_previous)
    if unit == "per_100_cases":
        error = 100 * math.sqrt(pooled / 100 * (1 / n_current + 1 / n_previous))
        affected = abs(difference) / 100 * n_current
    else:
        error = math.sqrt(pooled * (1 - pooled) * (1 / n_current + 1 / n_previous))
        affected = abs(difference) * n_current
    statistic = abs(difference) / error if error > 0 else math.inf
    return Worsening(affected, statistic) if statistic > z else None


def change_is_worse(current: float, previous: float, n_current: float, n_previous: float,
                    unit: str, better: str, z: float = Z_95) -> bool:
    """Whether ``worsening`` finds a change for the worse beyond chance."""
    return worsening(current, previous, n_current, n_previous, unit, better, z) is not None
