"""Cells of exported spreadsheets (CSV, XLSX): text is never a formula.

A staff id, a document name or a complaint text such as ``=HYPERLINK(...)`` must stay text
when a supervisor opens the report in Excel or LibreOffice. After OWASP's "CSV Injection"
guidance: a text cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return
gets a leading apostrophe. Numbers stay numbers.
"""
from __future__ import annotations

import pandas as pd

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy whose text cells are safe; numeric and date columns are left as they are."""
    safe = frame.copy()
    for column in safe.columns:
        if not (pd.api.types.is_numeric_dtype(safe[column]) or pd.api.types.is_datetime64_any_dtype(safe[column])):
            safe[column] = safe[column].map(safe_cell)
    safe.columns = [safe_cell(str(c)) if isinstance(c, str) else c for c in safe.columns]
    return safe
