"""The catalog in force and the published indicators as CSV (/open-data/*.csv): UTF-8 without
BOM, CRLF line ends; the catalog's text cells are never formulas (services.cells.safe_cell)."""
from __future__ import annotations

import csv
import datetime as dt
import io

import pandas as pd

from services_catalog import Catalog, ServiceVersion, Text
from services_catalog.model import LANGUAGES

from ..services.cells import safe_cell
from .canonical import INDICATOR_COLUMNS, services_in_order, snapshots_in_order, utc_moment, value_or_none

CATALOG_CSV_COLUMNS = (
    "code", "name_kk", "name_ru", "name_en", "provider_kk", "provider_ru", "provider_en",
    "effective_from", "effective_to", "legal_basis", "deadline_value", "deadline_unit",
    "max_wait_minutes", "max_service_minutes", "fee_amount", "fee_currency",
    "required_documents", "any_of_documents", "conditional_documents", "obtained_by_office",
    "refusal_grounds", "result_kk", "result_ru", "result_en", "channels",
)


def _texts(prefix: str, text: Text | None) -> dict:
    return {f"{prefix}_{lang}": (getattr(text, lang) if text else "") for lang in LANGUAGES}


def _number(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _version_columns(version: ServiceVersion | None) -> dict:
    if version is None:
        return _texts("result", None)
    entries = version.required_documents
    return {
        "effective_from": version.effective_from.isoformat(),
        "effective_to": version.effective_to.isoformat() if version.effective_to else "",
        "legal_basis": version.legal_basis,
        "deadline_value": version.deadline.value, "deadline_unit": version.deadline.unit,
        "max_wait_minutes": version.max_wait_minutes, "max_service_minutes": version.max_service_minutes,
        "fee_amount": _number(version.fee.amount), "fee_currency": version.fee.currency,
        "required_documents": ";".join(e.codes[0] for e in entries if e.kind == "required"),
        "any_of_documents": ";".join("|".join(e.codes) for e in entries if e.kind == "any_of"),
        "conditional_documents": ";".join(e.codes[0] for e in entries if e.kind == "conditional"),
        "obtained_by_office": ";".join(version.obtained_by_office),
        "refusal_grounds": ";".join(g.code for g in version.refusal_grounds),
        **_texts("result", version.result),
        "channels": ";".join(version.channels),
    }


def catalog_csv(catalog: Catalog, today: dt.date) -> str:
    """One row per service with the version in force on ``today`` (version columns empty when none)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CATALOG_CSV_COLUMNS, restval="", lineterminator="\r\n")
    writer.writeheader()
    for service in services_in_order(catalog):
        row = {"code": service.code, **_texts("name", service.name), **_texts("provider", service.provider),
               **_version_columns(service.version_in_force(today))}
        writer.writerow({name: safe_cell(value) for name, value in row.items()})  # text, never a formula
    return out.getvalue()


def indicators_csv(frame: pd.DataFrame) -> str:
    """Published snapshots in long format, one row per week, scope and indicator."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(INDICATOR_COLUMNS)
    for row in snapshots_in_order(frame).itertuples(index=False):
        value = value_or_none(row.value)
        writer.writerow([row.week, row.scope_kind, row.scope_value or "", row.indicator,
                         "" if value is None else repr(value), utc_moment(row.published_at) or "",
                         row.audit_head_hash if isinstance(row.audit_head_hash, str) else ""])
    return out.getvalue()

