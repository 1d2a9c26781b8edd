"""The catalog and the published indicators as JSON documents (/open-data/*.json, /api/*)."""
from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd

from services_catalog import Catalog, Service, ServiceVersion, Text

from .canonical import INDICATORS, services_in_order, snapshots_in_order, utc_moment, value_or_none


def _document_name(catalog: Catalog, code: str) -> dict | None:
    document = catalog.documents.get(code)
    return document.name.as_dict() if document else None


def _when(text: Text | None) -> dict | None:
    return text.as_dict() if text else None


def version_document(version: ServiceVersion, catalog: Catalog) -> dict:
    """One version with document codes resolved to their names in the three languages."""
    return {
        "effective_from": version.effective_from.isoformat(),
        "effective_to": version.effective_to.isoformat() if version.effective_to else None,
        "legal_basis": version.legal_basis,
        "deadline": {"value": version.deadline.value, "unit": version.deadline.unit},
        "max_wait_minutes": version.max_wait_minutes,
        "max_service_minutes": version.max_service_minutes,
        "fee": {"amount": version.fee.amount, "currency": version.fee.currency},
        "required_documents": [
            {"kind": entry.kind, "codes": list(entry.codes),
             "documents": [{"code": code, "name": _document_name(catalog, code)} for code in entry.codes],
             "when": _when(entry.when)}
            for entry in version.required_documents],
        "obtained_by_office": [
            {"code": code, "name": _document_name(catalog, code),
             "state_system": catalog.documents[code].state_system if code in catalog.documents else None}
            for code in version.obtained_by_office],
        "refusal_grounds": [{"code": g.code, "text": g.text.as_dict()} for g in version.refusal_grounds],
        "result": version.result.as_dict(),
        "channels": list(version.channels),
    }


def documents_vocabulary(catalog: Catalog) -> list[dict]:
    return [{"code": d.code, "name": d.name.as_dict(), "state_system": d.state_system}
            for d in sorted(catalog.documents.values(), key=lambda d: d.code)]


def catalog_document(catalog: Catalog, today: dt.date) -> dict:
    """Every service with the version in force on ``today`` (null when none is), and the documents.

    ``generated_at`` is the local date the versions were chosen for: a date, not a moment,
    so the document (and its ETag) only changes when the catalog or the day does.
    """
    services = []
    for service in services_in_order(catalog):
        version = service.version_in_force(today)
        services.append({
            "code": service.code, "name": service.name.as_dict(), "provider": service.provider.as_dict(),
            "version_in_force": version_document(version, catalog) if version else None,
        })
    return {"generated_at": today.isoformat(), "services": services,
            "documents": documents_vocabulary(catalog)}


def service_document(service: Service, catalog: Catalog, today: dt.date) -> dict:
    """A service with all its versions, oldest first, each marked whether it is in force today."""
    return {
        "code": service.code, "name": service.name.as_dict(), "provider": service.provider.as_dict(),
        "versions": [{**version_document(v, catalog), "in_force": v.in_force_on(today)}
                     for v in service.versions],
    }


def service_list(catalog: Catalog, today: dt.date, query: str = "") -> list[dict]:
    """Code, names and the deadline in force today of every service matching ``query``."""
    found = []
    # The one search of the portal and the desk (services_catalog.search), best match first.
    for service in (catalog.search(query) if query.strip() else services_in_order(catalog)):
        version = service.version_in_force(today)
        found.append({
            "code": service.code, "name": service.name.as_dict(),
            "deadline": {"value": version.deadline.value, "unit": version.deadline.unit} if version else None,
        })
    return found


def indicators_document(frame: pd.DataFrame) -> dict:
    """Published snapshots in long format, grouped by week with the week's publication time and
    the audit chain head published with it."""
    weeks: list[dict[str, Any]] = []
    current: dict[str, Any] | None = None
    values: list[dict[str, Any]] = []
    for row in snapshots_in_order(frame).itertuples(index=False):
        if current is None or current["week"] != row.week:
            values = []
            current = {"week": row.week, "published_at": utc_moment(row.published_at),
                       "audit_head_hash": row.audit_head_hash if isinstance(row.audit_head_hash, str) else None,
                       "values": values}
            weeks.append(current)
        values.append({"scope_kind": row.scope_kind, "scope_value": row.scope_value or "",
                                  "indicator": row.indicator, "value": value_or_none(row.value)})
    return {"format": "long", "indicators": list(INDICATORS), "weeks": weeks}

