"""Row digests are built column by column (Arrow): the canonical text of every kind of value
is exactly the one defined value by value (monitor/stores/evidence.py), so that digests of
rows recorded before stay valid."""
from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pandas as pd
from sqlalchemy import JSON, Boolean, Column, Date, DateTime, Float, Integer, String

from monitor.models.types import UTCDateTime
from monitor.stores import evidence

NULL = evidence.NULL


def reference(values: pd.Series, column) -> list:
    """The canonical text as first defined, one value at a time (extension arrays given as
    Python values, as the first ``of_written`` gave them)."""
    if isinstance(values.dtype, pd.api.extensions.ExtensionDtype) and not isinstance(values.dtype, pd.DatetimeTZDtype):
        values = pd.Series(values.to_numpy(dtype=object, na_value=None), dtype=object)
    moments = isinstance(values.dtype, pd.DatetimeTZDtype)
    values = values if moments else values.astype(object)
    missing = values.isna().to_numpy()
    kind = column.type
    if isinstance(kind, (DateTime, UTCDateTime)):
        stamps = values if moments else pd.to_datetime(values, utc=True, format="ISO8601")
        text = np.datetime_as_string(stamps.to_numpy(dtype="datetime64[us]"), unit="us").astype(object)
    elif isinstance(kind, Date):
        text = [v.isoformat() if hasattr(v, "isoformat") else str(v) for v in values]
    elif isinstance(kind, Boolean):
        text = ["1" if v in (True, 1, "1", "t", "true") else "0" for v in values]
    elif isinstance(kind, Integer):
        text = [str(int(v)) if v is not None and v == v else NULL for v in values]
    elif isinstance(kind, Float):
        text = [repr(float(v)) if v is not None and v == v else NULL for v in values]
    elif isinstance(kind, JSON):
        text = [json.dumps(v, sort_keys=True, ensure_ascii=False) for v in values]
    else:
        text = [str(v) for v in values]
    return [NULL if gone else value for value, gone in zip(text, missing)]


CASES = [
    (Integer, pd.Series([1, 2, 3])),
    (Integer, pd.Series(pd.array([1, None, 3], dtype="Int64"))),
    (Integer, pd.Series([1.0, np.nan, 7.0])),
    (Integer, pd.Series([1, None, "4", 2**40], dtype=object)),  # text from a forged row, a large id
    (Integer, pd.Series([2.5, None], dtype=object)),  # a fraction: truncated as int() does
    (Integer, pd.Series([True, False, None], dtype=object)),
    (String, pd.Series(["a", "", None, "Ёж;x", "\x1fsep"], dtype=object)),
    (String, pd.Series(["a", "", None], dtype="str")),
    (String, pd.Series([1, "b", None, 2.5], dtype=object)),
    (String, pd.Series([None, None], dtype=object)),
    (UTCDateTime, pd.Series(["2026-04-06 05:10:00.000000", None, "2026-04-06 05:10:00.123456"], dtype=object)),
    (UTCDateTime, pd.Series(pd.to_datetime(["2026-04-06T10:10:00.1234567+05:00", None], format="ISO8601",
                                           utc=True))),
    (DateTime, pd.Series(["2026-04-06 05:10:00+00:00", "2026-04-06 05:10:00.5+00:00"], dtype=object)),
    (Boolean, pd.Series([True, False, None, 1, 0, "t", "true", "f"], dtype=object)),
    (Date, pd.Series([dt.date(2026, 4, 6), "2026-04-07", None], dtype=object)),
    (Float, pd.Series([1.5, None, 2, np.nan], dtype=object)),
    (JSON, pd.Series([{"b": 1, "a": "ё"}, [1, 2], None], dtype=object)),
]


def test_every_kind_of_value_has_the_text_it_always_had():
    for kind, values in CASES:
        column = Column("x", kind())
        assert evidence._text(values, column) == reference(values, column), (kind, values.tolist())


def test_a_row_is_its_columns_joined_and_its_digest_the_sha256_of_that():
    frame = pd.DataFrame({"a": pd.array([1, None], dtype="Int64"), "b": ["x", None]})
    columns = [Column("a", Integer()), Column("b", String())]
    assert evidence._joined(frame, columns) == ["1\x1fx", f"{NULL}\x1f{NULL}"]
    import hashlib
    assert evidence.digests(evidence._joined_texts(frame, columns)) == [
        hashlib.sha256(text.encode("utf-8")).hexdigest() for text in ("1\x1fx", f"{NULL}\x1f{NULL}")]
