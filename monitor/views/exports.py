"""Exports for people: XLSX with sheet names and headers in the reader's language, rates as
percentages. CSV stays the machine format (RFC 4180, UTF-8, the spec's English column
names) and the pages say so."""
from __future__ import annotations

import io

import pandas as pd
from flask_babel import gettext as _, lazy_gettext as _l

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
    """One sheet per table; headers in the reader's language; rates formatted as percent."""
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        for name, table in tables.items():
            sheet = str(SHEETS.get(name, name))[:31]  # Excel's limit on sheet names
            table.rename(columns=header).to_excel(writer, sheet_name=sheet, index=False)
            worksheet = writer.sheets[sheet]
            for position, column in enumerate(table.columns, start=1):
                width = max(10, min(40, len(header(column)) + 2))
                worksheet.column_dimensions[worksheet.cell(row=1, column=position).column_letter].width = width
                if is_rate(column):
                    for row in range(2, len(table) + 2):
                        worksheet.cell(row=row, column=position).number_format = RATE_FORMAT
    buffer.seek(0)
    return buffer
