"""Timestamps are read the same whichever reader takes them (visit_log.parse_timestamps).

The usual local form goes through Arrow, everything else through pandas: the result must
not depend on that, including for impossible dates that Arrow alone would roll over.
"""
from __future__ import annotations

import pandas as pd
import pytest

from monitor.compliance.visit_log import parse_timestamps

VALUES = [
    "2026-04-06T10:00:00", "2026-04-06 10:00:00", "2026-04-06T10:00:00+06:00", "2026-04-06T05:00:00Z",
    "2026-04-06T10:00", "2026-04-06", "2026-04-06T10:00:00.5", "2024-02-29T10:00:00",
    "2026-01-31T23:59:59", "2026-06-30T00:00:00", "2199-12-31T10:00:00", "2026-4-06T10:00:00",
]
IMPOSSIBLE = ["2026-02-30T10:00:00", "2025-02-29T10:00:00", "2026-04-31T10:00:00",
              "2026-02-28T23:59:60", "2026-02-28T24:00:00", "2026-13-01T10:00:00",
              "garbage"]


@pytest.mark.parametrize("dtype", ["str", object])
def test_every_form_reads_as_pandas_reads_it_one_value_at_a_time(dtype):
    values = pd.Series(VALUES + IMPOSSIBLE + [""], dtype=dtype)
    moments, unreadable = parse_timestamps(values, "Asia/Almaty")
    for text, moment, bad in zip(values, moments, unreadable):
        if text in IMPOSSIBLE:
            assert bad and pd.isna(moment), text
        elif text == "":
            assert not bad and pd.isna(moment)
        else:
            alone = pd.Timestamp(text)
            expected = alone.tz_localize("Asia/Almaty") if alone.tzinfo is None else alone
            assert not bad and moment == expected, text


def test_a_local_time_is_read_in_the_given_time_zone():
    moments, _ = parse_timestamps(pd.Series(["1990-07-01T12:00:00"], dtype="str"), "Asia/Almaty")
    # Almaty had summer time in 1990 (UTC+7): the offset of that day, not today's, applies.
    assert moments[0] == pd.Timestamp("1990-07-01T05:00:00Z")
