"""Stored rows as pandas frames, read without a Python object per row where nothing needs one.

``pd.read_sql`` of a SQLAlchemy query builds one ``Row`` per row before pandas sees it: on
the hundreds of thousands of rows an import's re-check and a cells refresh read back, that
is most of the reading's cost. When no selected column has a result processor (plain
numbers and texts, moments read as the driver gives them with ``as_stored``), the driver's
rows are the values SQLAlchemy would give, and they go to pandas as they are: the same
frame, same dtypes, on SQLite and on PostgreSQL (``week_frames`` of a week of 400 offices:
7.8 s -> 5.9 s, docs/benchmarks.md).
"""
from __future__ import annotations

from typing import Any

import pandas as pd
from sqlalchemy import Connection, Select


def read_frame(connection: Connection, query: Select[*tuple[Any, ...]]) -> pd.DataFrame:
    """``pd.read_sql(query, connection)``: straight from the driver's rows when no column's
    type converts what the driver returns (else by pandas)."""
    dialect = connection.dialect
    if any(column.type._cached_result_processor(dialect, None) is not None for column in query.selected_columns):
        return pd.read_sql(query, connection)
    result = connection.execute(query)
    try:
        names = list(result.keys())
        rows = result.cursor.fetchall() if result.cursor is not None else []
    finally:
        result.close()
    return pd.DataFrame(rows, columns=names)
