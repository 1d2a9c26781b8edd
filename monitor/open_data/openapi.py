"""An OpenAPI 3.1 description of every /api/* and /open-data/* endpoint (/api/openapi.json)."""
from __future__ import annotations

from services_catalog.model import CHANNELS, DEADLINE_UNITS, LANGUAGES

from .canonical import INDICATORS, SCOPE_KINDS

REQUIREMENT_KINDS = ("required", "any_of", "conditional")


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _nullable(schema: dict) -> dict:
    return {"oneOf": [schema, {"type": "null"}]}


def _schemas() -> dict:
    text = {"type": "object", "required": list(LANGUAGES), "additionalProperties": False,
            "properties": {lang: {"type": "string"} for lang in LANGUAGES},
            "description": "A text in Kazakh (kk), Russian (ru) and English (en)."}
    deadline = {"type": "object", "required": ["value", "unit"], "properties": {
        "value": {"type": "integer", "minimum": 0}, "unit": {"enum": list(DEADLINE_UNITS)}}}
    document_ref = {"type": "object", "required": ["code", "name"], "properties": {
        "code": {"type": "string"}, "name": _nullable(_ref("Text"))}}
    version = {
        "type": "object",
        "required": ["effective_from", "effective_to", "legal_basis", "deadline", "max_wait_minutes",
                     "max_service_minutes", "fee", "required_documents", "obtained_by_office",
                     "refusal_grounds", "result", "channels"],
        "properties": {
            "effective_from": {"type": "string", "format": "date"},
            "effective_to": {"type": ["string", "null"], "format": "date",
                             "description": "Inclusive; null while the version has no end."},
            "legal_basis": {"type": "string"},
            "deadline": _ref("Deadline"),
            "max_wait_minutes": {"type": "integer", "minimum": 1},
            "max_service_minutes": {"type": "integer", "minimum": 1},
            "fee": {"type": "object", "required": ["amount", "currency"], "properties": {
                "amount": {"type": "number", "minimum": 0}, "currency": {"type": "string"}}},
            "required_documents": {"type": "array", "items": _ref("RequiredDocument")},
            "obtained_by_office": {"type": "array", "items": {
                "type": "object", "required": ["code", "name", "state_system"], "properties": {
                    "code": {"type": "string"}, "name": _nullable(_ref("Text")),
                    "state_system": {"type": ["string", "null"]}}}},
            "refusal_grounds": {"type": "array", "items": {
                "type": "object", "required": ["code", "text"],
                "properties": {"code": {"type": "string"}, "text": _ref("Text")}}},
            "result": _ref("Text"),
            "channels": {"type": "array", "items": {"enum": list(CHANNELS)}},
        },
    }
    return {
        "Text": text,
        "Deadline": deadline,
        "DocumentRef": document_ref,
        "RequiredDocument": {
            "type": "object", "required": ["kind", "codes", "documents", "when"],
            "description": "required: always; any_of: one of the codes suffices; conditional: only when "
                           "'when' says.",
            "properties": {"kind": {"enum": list(REQUIREMENT_KINDS)},
                           "codes": {"type": "array", "items": {"type": "string"}, "minItems": 1},
                           "documents": {"type": "array", "items": _ref("DocumentRef")},
                           "when": _nullable(_ref("Text"))}},
        "Version": version,
        "Document": {"type": "object", "required": ["code", "name", "state_system"], "properties": {
            "code": {"type": "string"}, "name": _ref("Text"), "state_system": {"type": ["string", "null"]}}},
        "CatalogService": {"type": "object", "required": ["code", "name", "provider", "version_in_force"],
                           "properties": {"code": {"type": "string"}, "name": _ref("Text"),
                                          "provider": _ref("Text"),
                                          "version_in_force": _nullable(_ref("Version"))}},
        "Catalog": {"type": "object", "required": ["generated_at", "services", "documents"], "properties": {
            "generated_at": {"type": "string", "format": "date",
                             "description": "The local date the versions in force were chosen for."},
            "services": {"type": "array", "items": _ref("CatalogService")},
            "documents": {"type": "array", "items": _ref("Document")}}},
        "ServiceSummary": {"type": "object", "required": ["code", "name", "deadline"], "properties": {
            "code": {"type": "string"}, "name": _ref("Text"), "deadline": _nullable(_ref("Deadline"))}},
        "ServiceDetail": {"type": "object", "required": ["code", "name", "provider", "versions"], "properties": {
            "code": {"type": "string"}, "name": _ref("Text"), "provider": _ref("Text"),
            "versions": {"type": "array", "items": {"allOf": [_ref("Version"), {
                "type": "object", "required": ["in_force"],
                "properties": {"in_force": {"type": "boolean"}}}]}}}},
        "IndicatorValue": {"type": "object", "required": ["scope_kind", "scope_value", "indicator", "value"],
                           "properties": {"scope_kind": {"enum": list(SCOPE_KINDS)},
                                          "scope_value": {"type": "string",
                                                          "description": "Empty for the network."},
                                          "indicator": {"type": "string"},
                                          "value": {"type": ["number", "null"],
                                                    "description": "null when the denominator is empty."}}},
        "IndicatorWeek": {"type": "object", "required": ["week", "published_at", "audit_head_hash", "values"],
                          "properties": {
                              "week": {"type": "string", "pattern": r"^\d{4}-W\d{2}$"},
                              "published_at": {"type": ["string", "null"], "format": "date-time"},
                              "audit_head_hash": {"type": ["string", "null"],
                                                  "description": "Head of the audit hash chain published "
                                                                 "with the week."},
                              "values": {"type": "array", "items": _ref("IndicatorValue")}}},
        "Indicators": {"type": "object", "required": ["format", "indicators", "weeks"], "properties": {
            "format": {"const": "long"},
            "indicators": {"type": "array", "items": {"type": "string"}},
            "weeks": {"type": "array", "items": _ref("IndicatorWeek")}}},
        "JsonLd": {"type": "object", "required": ["@context", "@graph"], "properties": {
            "@context": {"type": "object"}, "@graph": {"type": "array", "items": {"type": "object"}}}},
        "Error": {"type": "object", "required": ["error"], "properties": {"error": {"type": "string"}}},
        "OpenApi": {"type": "object", "required": ["openapi", "info", "paths"]},
    }


def _ok(description: str, media_type: str, schema: dict | None, extra: dict | None = None) -> dict:
    content = {media_type: {"schema": schema} if schema is not None else {}}
    responses = {
        "200": {"description": description, "content": content, "headers": {
            "ETag": {"$ref": "#/components/headers/ETag"},
            "Cache-Control": {"$ref": "#/components/headers/CacheControl"}}},
        "304": {"$ref": "#/components/responses/NotModified"},
    }
    responses.update(extra or {})
    return responses


def _get(operation_id: str, summary: str, description: str, responses: dict, tag: str,
         parameters: list | None = None) -> dict:
    return {"get": {"operationId": operation_id, "summary": summary, "description": description,
                    "tags": [tag], "parameters": [{"$ref": "#/components/parameters/IfNoneMatch"},
                                                  *(parameters or [])],
                    "responses": responses}}


# No query may hold a NUL character (views/guards.py answers 400; in a path, 404): free text
# in a query is any string without one.
TEXT = {"type": "string", "pattern": r"^[^\u0000]*$"}


def openapi_document() -> dict:
    """An OpenAPI 3.1 description of every /api/* and /open-data/* endpoint."""
    csv_schema = {"type": "string", "contentMediaType": "text/csv"}
    error = {"description": "An error, as JSON.",
             "content": {"application/json": {"schema": _ref("Error")}}}
    paths = {
        "/open-data/catalog.json": _get(
            "catalogJson", "The catalog in force today (JSON)",
            "Every service with the version in force on today's local date, texts in kk, ru and en, "
            "and the vocabulary of documents.",
            _ok("The catalog.", "application/json", _ref("Catalog")), "open data"),
        "/open-data/catalog.csv": _get(
            "catalogCsv", "The catalog in force today (CSV)",
            "One row per service (version in force today); texts in _kk/_ru/_en columns, document "
            "codes joined with ';' (members of an any-of group with '|'). UTF-8 without BOM.",
            _ok("The catalog as CSV.", "text/csv", csv_schema), "open data"),
        "/open-data/catalog.zip": _get(
            "catalogZip", "The catalog folder, every version (ZIP)",
            "documents.yaml and services/<code>.yaml in the catalog format, all versions; unzipped, "
            "it loads with services_catalog.load_catalog.",
            _ok("The catalog folder as a ZIP archive.", "application/zip", None), "open data"),
        "/open-data/catalog.jsonld": _get(
            "catalogJsonLd", "The catalog in force today (CPSV-AP 3 JSON-LD)",
            "One cpsv:PublicService per service, with the scm: extension terms of /open-data/vocabulary.",
            _ok("The catalog as JSON-LD.", "application/ld+json", _ref("JsonLd")), "open data"),
        "/open-data/vocabulary": _get(
            "vocabulary", "The scm: extension vocabulary (RDFS in JSON-LD)",
            "Defines every scm: term used by catalog.jsonld with rdfs:label and rdfs:comment.",
            _ok("The vocabulary.", "application/ld+json", _ref("JsonLd")), "open data"),
        "/open-data/indicators.csv": _get(
            "indicatorsCsv", "Published weekly indicators (CSV, long format)",
            "Columns week, scope_kind, scope_value, indicator, value, published_at, audit_head_hash; "
            "one row per published value.",
            _ok("All published snapshots.", "text/csv", csv_schema), "open data"),
        "/open-data/indicators.json": _get(
            "indicatorsJson", "Published weekly indicators (JSON, long format)",
            "Grouped by week, each with its publication time and the audit head hash published with it.",
            _ok("All published snapshots.", "application/json", _ref("Indicators")), "open data"),
        "/api/services": _get(
            "listServices", "Services with their deadline in force today",
            "Code, names and deadline of every service; ?q= keeps those whose code or name (any "
            "language, any case) contains every word of the query.",
            _ok("The matching services.", "application/json",
                {"type": "array", "items": _ref("ServiceSummary")}, {"400": error}), "api",
            [{"name": "q", "in": "query", "required": False, "schema": TEXT,
              "description": "Words, each a part of the code or of a name in kk, ru or en."}]),
        "/api/services/{code}": _get(
            "getService", "One service with all its versions",
            "Every version, oldest first, each with in_force telling whether it applies today.",
            _ok("The service.", "application/json", _ref("ServiceDetail"), {"404": error}), "api",
            [{"name": "code", "in": "path", "required": True, "schema": {"type": "string"}}]),
        "/api/indicators": _get(
            "listIndicators", "Published weekly indicators, filtered",
            "The published snapshots, as /open-data/indicators.json, narrowed by the given filters "
            "(each at most once; a value outside its enumeration or pattern is refused with 400).",
            _ok("The matching snapshots.", "application/json", _ref("Indicators"), {"400": error}), "api",
            [{"name": "week", "in": "query", "required": False,
              "schema": {"type": "string", "pattern": r"^\d{4}-W\d{2}$"}, "example": "2026-W12"},
             {"name": "scope_kind", "in": "query", "required": False, "schema": {"enum": list(SCOPE_KINDS)}},
             {"name": "scope_value", "in": "query", "required": False, "schema": TEXT,
              "description": "An office, service or staff code ('' for the network)."},
             {"name": "indicator", "in": "query", "required": False, "schema": {"enum": list(INDICATORS)}}]),
        "/api/openapi.json": _get(
            "openapi", "This OpenAPI document", "Describes every /api and /open-data endpoint.",
            _ok("The OpenAPI document.", "application/json", _ref("OpenApi")), "api"),
    }
    return {
        "openapi": "3.1.0",
        "jsonSchemaDialect": "https://spec.openapis.org/oas/3.1/dialect/base",
        "info": {
            "title": "Service Compliance Monitor: open data and API",
            "version": "1.0.0",
            "description": "The catalog of Kazakhstan public services (what each lawfully requires) and "
                           "the published weekly service-quality indicators. Public, no sign-in. Every "
                           "answer carries a strong ETag (SHA-256 of the body) and Cache-Control: public, "
                           "max-age=300; a request with a matching If-None-Match gets 304. See "
                           "docs/open-data.md.",
        },
        "servers": [{"url": "/"}],
        "tags": [{"name": "open data", "description": "Whole documents for download and reuse."},
                 {"name": "api", "description": "Queries over the catalog and the indicators."}],
        "paths": paths,
        "components": {
            "schemas": _schemas(),
            "headers": {
                "ETag": {"description": "Strong validator: the SHA-256 of the body, in hex.",
                         "schema": {"type": "string"}},
                "CacheControl": {"description": "Always 'public, max-age=300'.", "schema": {"type": "string"}},
            },
            "parameters": {
                "IfNoneMatch": {"name": "If-None-Match", "in": "header", "required": False,
                                "schema": {"type": "string"},
                                "description": "An ETag from an earlier answer: 304 when it still matches."},
            },
            "responses": {
                "NotModified": {"description": "The ETag in If-None-Match still matches; no body.",
                                "headers": {"ETag": {"$ref": "#/components/headers/ETag"}}},
            },
        },
    }
