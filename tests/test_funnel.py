"""Offices against the network (monitor.compliance.funnel): limits, standings, changes."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from monitor.compliance import funnel


def test_limits_of_a_share_are_the_normal_approximation():
    low, high = funnel.control_limits(0.1, np.array([100, 400]), "rate", funnel.Z_95)
    # sqrt(0.1 * 0.9 / 100) = 0.03; sqrt(0.1 * 0.9 / 400) = 0.015
    assert low == pytest.approx([0.1 - 1.959964 * 0.03, 0.1 - 1.959964 * 0.015])
    assert high == pytest.approx([0.1 + 1.959964 * 0.03, 0.1 + 1.959964 * 0.015])
    low, high = funnel.control_limits(0.1, np.array([100]), "rate", funnel.Z_998)
    assert (low[0], high[0]) == pytest.approx((0.1 - 3.090232 * 0.03, 0.1 + 3.090232 * 0.03))


def test_limits_of_a_share_stay_between_0_and_1_and_widen_as_cases_shrink():
    low, high = funnel.control_limits(0.5, np.array([1, 4, 100]), "rate", funnel.Z_998)
    assert low[0] == 0.0 and high[0] == 1.0
    assert list(high) == sorted(high, reverse=True) and list(low) == sorted(low)


def test_limits_per_100_cases_are_poisson_and_have_no_ceiling():
    low, high = funnel.control_limits(20.0, np.array([50, 1]), "per_100_cases", funnel.Z_95)
    spread = 100 * math.sqrt(0.2 / 50)  # 6.3246 per 100 cases
    assert (low[0], high[0]) == pytest.approx((20 - 1.959964 * spread, 20 + 1.959964 * spread))
    assert low[1] == 0.0 and high[1] == pytest.approx(20 + 1.959964 * 100 * math.sqrt(0.2))  # > 100


@pytest.mark.parametrize("value, expected", [
    (0.1 + 3.090232 * 0.03 + 1e-6, "alarm"),
    (0.1 + 3.090232 * 0.03 - 1e-6, "warning"),
    (0.1 + 1.959964 * 0.03 + 1e-6, "warning"),
    (0.1 + 1.959964 * 0.03 - 1e-6, "within"),
    (0.1, "within"),
    (0.1 - 1.959964 * 0.03 + 1e-6, "within"),
    (0.1 - 1.959964 * 0.03 - 1e-6, "better"),
])
def test_standing_of_a_rate_where_lower_is_better(value, expected):
    assert funnel.standing(value, 100, 0.1, "rate", "lower") == expected


def test_standing_where_higher_is_better_reads_the_other_side():
    assert funnel.standing(0.1 - 3.090232 * 0.03 - 1e-6, 100, 0.1, "rate", "higher") == "alarm"
    assert funnel.standing(0.1 - 1.959964 * 0.03 - 1e-6, 100, 0.1, "rate", "higher") == "warning"
    assert funnel.standing(0.1 + 1.959964 * 0.03 + 1e-6, 100, 0.1, "rate", "higher") == "better"


def test_an_office_with_no_cases_or_a_network_without_a_rate_is_not_compared():
    assert funnel.standing(0.5, 0, 0.1, "rate", "lower") is None
    assert funnel.standing(float("nan"), 10, 0.1, "rate", "lower") is None
    assert funnel.standing(0.5, 10, float("nan"), "rate", "lower") is None


def test_a_small_office_with_one_bad_case_is_within_where_a_large_one_is_alarmed():
    """The point of the funnel: the same rate means different things at 4 and 400 cases."""
    assert funnel.standing(0.25, 4, 0.1, "rate", "lower") == "within"
    assert funnel.standing(0.25, 400, 0.1, "rate", "lower") == "alarm"


def test_compare_with_network_sorts_worst_first_and_drops_offices_without_cases():
    offices = pd.DataFrame({"office": ["SMALL", "BIG", "OK", "GOOD", "NONE"],
                            "value": [0.25, 0.25, 0.11, 0.0, np.nan], "n": [4, 400, 100, 400, 0]})
    table = funnel.compare_with_network(offices, 0.1, "rate", "lower")
    assert list(table["office"]) == ["BIG", "SMALL", "OK", "GOOD"]
    assert list(table["standing"]) == ["alarm", "within", "within", "better"]
    assert table.loc[0, "worse_by"] == pytest.approx(0.15 / 0.015)  # standard errors above the network
    assert table.loc[0, "high_95"] == pytest.approx(0.1 + 1.959964 * 0.015)
    assert table.loc[0, "low_998"] == pytest.approx(0.1 - 3.090232 * 0.015)


def test_a_change_is_worse_only_beyond_chance_and_in_the_worse_direction():
    # 5 % -> 15 % of 200 visits each: pooled 10 %, standard error 0.03, difference 0.10 > 1.96 * 0.03.
    assert funnel.change_is_worse(0.15, 0.05, 200, 200, "rate", "lower")
    assert not funnel.change_is_worse(0.15, 0.05, 200, 200, "rate", "higher")  # a rise is better there
    assert funnel.change_is_worse(0.05, 0.15, 200, 200, "rate", "higher")
    # 0 % -> 20 % of 5: standard error 0.19, the difference is chance.
    assert not funnel.change_is_worse(0.2, 0.0, 5, 5, "rate", "lower")
    assert not funnel.change_is_worse(0.2, float("nan"), 50, 0, "rate", "lower")
    assert not funnel.change_is_worse(0.1, 0.1, 500, 500, "rate", "lower")


def test_a_change_per_100_cases_is_judged_as_a_poisson_rate():
    # 10 -> 30 per 100 cases of 100 cases each: pooled 20, error 100 * sqrt(0.2 * 0.02) = 6.32.
    assert funnel.change_is_worse(30.0, 10.0, 100, 100, "per_100_cases", "lower")
    assert not funnel.change_is_worse(30.0, 20.0, 100, 100, "per_100_cases", "lower")  # 10 < 1.96 * 6.7


def test_a_worsening_is_sized_by_the_cases_behind_it_not_the_percentage():
    # One refusal out of one completed case (0 -> 100 %) against an office whose on-time rate
    # fell from 91 % to 68 % over 25 cases: the second is the evidence that matters.
    one_refusal = funnel.worsening(1.0, 0.0, 1, 40, "rate", "lower")
    late = funnel.worsening(0.68, 0.91, 25, 30, "rate", "higher")
    assert one_refusal is not None and late is not None
    assert one_refusal.cases == pytest.approx(1.0) and late.cases == pytest.approx(0.23 * 25)
    assert late.cases > one_refusal.cases
    # Red tape per 100 cases: 30 vs 10 per 100 over 100 cases is 20 more instances.
    red_tape = funnel.worsening(30.0, 10.0, 100, 100, "per_100_cases", "lower")
    assert red_tape is not None and red_tape.cases == pytest.approx(20.0) and red_tape.z > funnel.Z_95
    assert funnel.worsening(0.1, 0.1, 500, 500, "rate", "lower") is None
