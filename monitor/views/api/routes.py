"""Routes of the open data and the JSON API (docs/open-data.md).

Thin views: the documents are built by ``monitor.open_data`` (one module per format); here they are read from the
database, serialised and answered with a strong ETag (SHA-256 of the body), public caching
for five minutes and 304 to a matching If-None-Match.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json

from flask import current_app, request

from ... import calendar
from ...open_data import canonical, csv_tables, json_documents, jsonld, zip_archive
from ...open_data.openapi import openapi_document
from ...services import public_pages
from ...services.context import local_today
from .. import public_url
from . import bp

CACHE_CONTROL = "public, max-age=300"
JSON = "application/json"
JSON_LD = "application/ld+json"


def _today() -> dt.date:
    """Today's local date: the versions in force are those of the offices' day."""
    return local_today()


def _cached(body: str | bytes, mimetype: str, headers: dict | None = None):
    """A public, cacheable answer whose strong ETag is the SHA-256 of its body."""
    data = body.encode("utf-8") if isinstance(body, str) else body
    response = current_app.response_class(data, mimetype=mimetype, headers=headers)
    response.set_etag(hashlib.sha256(data).hexdigest())
    response.headers["Cache-Control"] = CACHE_CONTROL
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Access-Control-Expose-Headers"] = "ETag"
    return response.make_conditional(request)


def _json(build, mimetype: str = JSON):
    """``build()``'s document as JSON, serialised once per process while its inputs stay the same."""
    return _cached(_kept(lambda: json.dumps(build(), ensure_ascii=False, indent=2) + "\n"), mimetype)


def _kept(build):
    """A public document built once per process for this address while the catalog, the
    calendar, the publications and the local date stay the same (services.public_pages)."""
    key = (request.endpoint, tuple(sorted(request.args.items(multi=True))), public_pages.changes(), _today())
    return public_pages.rendered(key, build)


def _error(status: int, message: str):
    response = current_app.response_class(json.dumps({"error": message}, ensure_ascii=False) + "\n",
                                          status=status, mimetype=JSON)
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


def _vocabulary_iri() -> str:
    """The namespace of the scm: terms: OPEN_DATA_VOCABULARY_IRI if set, else this app's vocabulary URL."""
    return current_app.config.get("OPEN_DATA_VOCABULARY_IRI") or public_url("api.vocabulary") + "#"


# ---------------------------------------------------------------- open data

@bp.get("/open-data/catalog.json")
def catalog_json():
    return _json(lambda: json_documents.catalog_document(public_pages.catalog(), _today()))


@bp.get("/open-data/catalog.csv")
def catalog_csv():
    return _cached(_kept(lambda: csv_tables.catalog_csv(public_pages.catalog(), _today())), "text/csv")


@bp.get("/open-data/catalog.zip")
def catalog_zip():
    return _cached(_kept(lambda: zip_archive.catalog_zip(public_pages.catalog())), "application/zip",
                   {"Content-Disposition": "attachment; filename=catalog.zip"})


@bp.get("/open-data/catalog.jsonld")
def catalog_jsonld():
    return _json(lambda: jsonld.catalog_jsonld(
        public_pages.catalog(), _today(), _vocabulary_iri(),
        # From PUBLIC_BASE_URL, never the Host header: these documents are cached publicly.
        document_iri=public_url("api.catalog_jsonld"),
        service_page=lambda code: public_url("public.service", code=code)), JSON_LD)


@bp.get("/open-data/vocabulary")
def vocabulary():
    return _json(lambda: jsonld.vocabulary_document(_vocabulary_iri()), JSON_LD)


@bp.get("/open-data/indicators.csv")
def indicators_csv():
    return _cached(_kept(lambda: csv_tables.indicators_csv(public_pages.published_snapshots())), "text/csv")


@bp.get("/open-data/indicators.json")
def indicators_json():
    return _json(lambda: json_documents.indicators_document(public_pages.published_snapshots()))


# ---------------------------------------------------------------- JSON API

@bp.get("/api/services")
def services():
    query = request.args.get("q", "").strip()
    return _json(lambda: json_documents.service_list(public_pages.catalog(), _today(), query))


@bp.get("/api/services/<code>")
def service(code: str):
    catalog = public_pages.catalog()
    found = catalog.services.get(code)
    if found is None:
        return _error(404, f"no service with code {code!r}")
    return _json(lambda: json_documents.service_document(found, catalog, _today()))


@bp.get("/api/indicators")
def indicators():
    filters = ("week", "scope_kind", "scope_value", "indicator")
    repeated = [name for name in filters if len(request.args.getlist(name)) > 1]
    if repeated:
        return _error(400, f"give {repeated[0]} at most once")
    week = request.args.get("week")
    scope_kind = request.args.get("scope_kind")
    indicator = request.args.get("indicator")
    # Any label written as an ISO week filters (one that no calendar has finds nothing), as the schema says.
    if week is not None and not calendar.WEEK_LABEL.fullmatch(week):
        return _error(400, f"week must be an ISO week such as 2026-W12, not {week!r}")
    if scope_kind is not None and scope_kind not in canonical.SCOPE_KINDS:
        return _error(400, f"scope_kind must be one of {', '.join(canonical.SCOPE_KINDS)}")
    if indicator is not None and indicator not in canonical.INDICATORS:
        return _error(400, f"indicator must be one of {', '.join(canonical.INDICATORS)}")
    table = public_pages.published_snapshots()
    for column in filters:
        value = request.args.get(column)
        if value is not None:
            table = table[table[column] == value]
    return _json(lambda: json_documents.indicators_document(table))


@bp.get("/api/openapi.json")
def openapi():
    return _json(openapi_document)
