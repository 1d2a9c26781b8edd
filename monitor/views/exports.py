"""Exports for people: XLSX with sheet names and headers in the reader's language, rates as
percentages. CSV stays the machine format (RFC 4180, UTF-8, the spec's English column
names) and the pages say so."""
from __future__ import annotations

import io

import numpy as np
import pandas as pd
from flask_babel import gettext as _, lazy_gettext as _l
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from . import RATE_INDICATORS
from .labels import label

SHEETS = {"area": _l("Area"), "office": _l("Offices"), "service": _l("Services"), "staff": _l("Staff"),
          "workload": _l("Workload")}
COLUMNS = {"week": _l("Week"), "office": _l("Office"), "service": _l("Service"), "staff": _l("Staff member"),
           "staff_id": _l("Staff member"), "visits": _l("Visits")}
RATE_FORMAT = "0.0%"


def header(column: str) -> str:
    if column in COLUMNS:
        return str(COLUMNS[column])
    if column.endswith("_change"):
        return _("%(indicator)s: change from the week before", indicator=label(column[: -len("_change")]))
    return label(column)


def is_rate(column: str) -> bool:
    return column in RATE_INDICATORS or (column.endswith("_change") and column[: -len("_change")] in RATE_INDICATORS)


def people_workbook(tables: dict[str, pd.DataFrame]) -> io.BytesIO:
    """One sheet per table; headers in the reader's language, bold; rates formatted as percent.

    Written row by row by openpyxl's write-only workbook: a national report's sheets hold
    thousands of rows, which a workbook kept whole in memory took seconds to write."""
    workbook = Workbook(write_only=True)
    bold = Font(bold=True)
    for name, table in tables.items():
        sheet = workbook.create_sheet(str(SHEETS.get(name, name))[:31])  # Excel's limit on sheet names
        headers = [header(column) for column in table.columns]
        for position, text in enumerate(headers, start=1):
            sheet.column_dimensions[get_column_letter(position)].width = max(10, min(40, len(text) + 2))
        sheet.append([_cell(sheet, text, font=bold) for text in headers])
        rates = [is_rate(column) for column in table.columns]
        for values in table.itertuples(index=False, name=None):
            sheet.append([_cell(sheet, value, number_format=RATE_FORMAT) if rate else _plain(value)
                          for value, rate in zip(values, rates)])
    buffer = io.BytesIO()
    workbook.save(buffer)
    buffer.seek(0)
    return buffer


def _plain(value):
    """A value as a cell holds it: empty for a missing number, Python's own numbers."""
    if value is None or (isinstance(value, float | np.floating) and np.isnan(value)) or value is pd.NA:
        return None
    return value.item() if isinstance(value, np.generic) else value


def _cell(sheet, value, font: Font | None = None, number_format: str | None = None) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value=_plain(value))
    if font is not None:
        cell.font = font
    if number_format is not None:
        cell.number_format = number_format
    return cell
