"""Open data: the catalog and the published indicators as documents anyone may reuse.

Plain functions, no Flask and no database: each takes the catalog (the value objects of
``services_catalog``) or the published snapshots (a DataFrame as ``publishing.snapshots``
returns it) and gives back a dict, a CSV text or ZIP bytes. The views serialise them and
add caching; docs/open-data.md describes every document.

Every document is a pure function of its inputs, so the same catalog on the same day
gives byte-identical output, and the ETag computed from the body stays the same.
"""
from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import math
import zipfile
from collections.abc import Callable
from urllib.parse import quote

import pandas as pd

from services_catalog import Catalog, Service, ServiceVersion, Text
from services_catalog.exporter import catalog_files
from services_catalog.model import CHANNELS, DEADLINE_UNITS, LANGUAGES, Source

from .services.cells import safe_cell
from .compliance.indicators import INDICATORS, PUBLIC_SCOPE_KINDS as SCOPE_KINDS

REQUIREMENT_KINDS = ("required", "any_of", "conditional")
INDICATOR_COLUMNS = ("week", "scope_kind", "scope_value", "indicator", "value",
                     "published_at", "audit_head_hash")

CPSV = "http://purl.org/vocab/cpsv#"
CV = "http://data.europa.eu/m8g/"
DCT = "http://purl.org/dc/terms/"
SCHEMA = "http://schema.org/"
SKOS = "http://www.w3.org/2004/02/skos/core#"
XSD = "http://www.w3.org/2001/XMLSchema#"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
OWL = "http://www.w3.org/2002/07/owl#"
FOAF = "http://xmlns.com/foaf/0.1/"
ELI = "http://data.europa.eu/eli/ontology#"
# The EU Publications Office's authority tables of currencies (ISO 4217 codes) and countries:
# CPSV-AP 3.2.0 wants a cost's currency and an authority's territory as concepts of such tables.
CURRENCY_AUTHORITY = "http://publications.europa.eu/resource/authority/currency/"
COUNTRY = "http://publications.europa.eu/resource/authority/country/KAZ"
# A fixed time stamp for every ZIP member, so the archive of one catalog is always the same bytes.
ZIP_TIMESTAMP = (1980, 1, 1, 0, 0, 0)


# ---------------------------------------------------------------- the catalog as JSON

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


def _services(catalog: Catalog) -> list[Service]:
    return sorted(catalog.services.values(), key=lambda s: s.code)


def catalog_document(catalog: Catalog, today: dt.date) -> dict:
    """Every service with the version in force on ``today`` (null when none is), and the documents.

    ``generated_at`` is the local date the versions were chosen for: a date, not a moment,
    so the document (and its ETag) only changes when the catalog or the day does.
    """
    services = []
    for service in _services(catalog):
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
    for service in (catalog.search(query) if query.strip() else _services(catalog)):
        version = service.version_in_force(today)
        found.append({
            "code": service.code, "name": service.name.as_dict(),
            "deadline": {"value": version.deadline.value, "unit": version.deadline.unit} if version else None,
        })
    return found


# ---------------------------------------------------------------- the catalog as CSV

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
    for service in _services(catalog):
        row = {"code": service.code, **_texts("name", service.name), **_texts("provider", service.provider),
               **_version_columns(service.version_in_force(today))}
        writer.writerow({name: safe_cell(value) for name, value in row.items()})  # text, never a formula
    return out.getvalue()


# ---------------------------------------------------------------- the catalog folder as ZIP

def catalog_zip(catalog: Catalog) -> bytes:
    """The catalog folder (documents.yaml, services/<code>.yaml, every version) as a ZIP archive.

    Written by ``export_catalog``, so unzipping it gives a folder ``load_catalog`` reads back.
    Members are sorted and carry a fixed time stamp: the same catalog gives the same bytes.
    """
    members = catalog_files(catalog)  # built in memory; no service code is ever a path
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(members):
            info = zipfile.ZipInfo(name, date_time=ZIP_TIMESTAMP)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, members[name].encode("utf-8"))
    return buffer.getvalue()


# ---------------------------------------------------------------- CPSV-AP 3 JSON-LD

def _lang(text: Text) -> list[dict]:
    return [{"@value": getattr(text, lang), "@language": lang} for lang in LANGUAGES]


def iso_duration(value: int, unit: str) -> str:
    """A deadline as an ISO 8601 duration: P5D (working or calendar days), PT2H, PT20M."""
    if unit in ("working_days", "calendar_days"):
        return f"P{value}D"
    if unit == "hours":
        return f"PT{value}H"
    if unit == "minutes":
        return f"PT{value}M"
    raise ValueError(f"unknown deadline unit {unit!r}")


def jsonld_context(vocabulary_iri: str) -> dict:
    return {"cpsv": CPSV, "cv": CV, "dct": DCT, "schema": SCHEMA, "skos": SKOS, "xsd": XSD,
            "foaf": FOAF, "eli": ELI, "scm": vocabulary_iri}


def _evidence(catalog: Catalog, code: str) -> dict:
    node = {"@type": "cv:Evidence", "dct:identifier": code}
    document = catalog.documents.get(code)
    if document:
        node["dct:title"] = _lang(document.name)
    return node


def _inputs(version: ServiceVersion, catalog: Catalog) -> list[dict]:
    inputs = []
    for group, entry in enumerate(version.required_documents, start=1):
        for code in entry.codes:
            node = {**_evidence(catalog, code), "scm:requirementKind": entry.kind}
            if entry.any_of:
                node["scm:anyOfGroup"] = group
            if entry.when:
                node["scm:condition"] = _lang(entry.when)
            inputs.append(node)
    return inputs


def _obtained(version: ServiceVersion, catalog: Catalog) -> list[dict]:
    nodes = []
    for code in version.obtained_by_office:
        node = _evidence(catalog, code)
        document = catalog.documents.get(code)
        if document and document.state_system:
            node["scm:stateSystem"] = document.state_system
        nodes.append(node)
    return nodes


def _authority(service: Service, document_iri: str | None) -> dict:
    node = {"@type": "cv:PublicOrganisation", "skos:prefLabel": _lang(service.provider),
            "dct:spatial": {"@id": COUNTRY, "@type": "dct:Location"}}
    if document_iri:  # the same provider texts give the same node, shared by its services
        key = "\n".join(getattr(service.provider, lang) for lang in LANGUAGES)
        node = {"@id": f"{document_iri}#authority-{hashlib.sha256(key.encode()).hexdigest()[:16]}", **node}
    return node


def _date(day: dt.date) -> dict:
    return {"@value": day.isoformat(), "@type": "xsd:date"}


def _legal_basis(version: ServiceVersion) -> list[dict]:
    """The legal basis in kk, ru and en; a base-format version's one text is the English one."""
    if version.legal_basis_text:
        return _lang(version.legal_basis_text)
    return [{"@value": version.legal_basis, "@language": "en"}]


def _source(source: Source, node_id: str) -> dict:
    """A source of the version's facts: a web page (foaf:Document), and an act (eli:LegalResource)
    when the catalog gives its number or date; with the date it was checked."""
    is_act = bool(source.act_number or source.act_date)
    node = {"@id": node_id, "@type": ["foaf:Document", "eli:LegalResource"] if is_act else "foaf:Document",
            "dct:identifier": source.id, "schema:url": {"@id": source.url},
            "dct:title": _lang(source.title_text) if source.title_text else source.title,
            "scm:checkedOn": _date(source.retrieved), "scm:secondary": source.secondary}
    if source.act_number:
        node["eli:id_local"] = source.act_number
    if source.act_date:
        node["eli:date_document"] = _date(source.act_date)
    return node


def _provenance(version: ServiceVersion, source_ids: dict[str, str]) -> list[dict]:
    """Where each fact of the version comes from: its sources, or assumed with the catalog's note."""
    nodes = []
    for fact in version.provenance:
        node = {"@type": "scm:FactProvenance", "scm:fact": fact.fact, "scm:assumed": fact.assumed,
                "dct:source": [{"@id": source_ids[s]} for s in fact.sources if s in source_ids]}
        if fact.note:
            node["skos:note"] = {"@value": fact.note, "@language": "en"}
        nodes.append(node)
    return nodes


def _costs(service: Service, version: ServiceVersion) -> list[dict]:
    """The standard fee, then each conditional fee (an exemption) with its condition."""
    currency = {"@id": CURRENCY_AUTHORITY + quote(version.fee.currency, safe=""), "@type": "skos:Concept"}
    costs = [{"@type": "cv:Cost", "dct:identifier": f"{service.code}/fee",
              "cv:hasValue": {"@value": float(version.fee.amount), "@type": "xsd:double"},
              "cv:currency": currency}]
    for number, exemption in enumerate(version.fee.exemptions, start=1):
        costs.append({"@type": "cv:Cost", "dct:identifier": f"{service.code}/fee/{number}",
                      "cv:hasValue": {"@value": float(exemption.amount), "@type": "xsd:double"},
                      "cv:currency": currency, "dct:description": _lang(exemption.when)})
    return costs


def _public_service(service: Service, catalog: Catalog, today: dt.date, document_iri: str | None,
                    service_page: Callable[[str], str] | None) -> dict:
    code = quote(service.code, safe="")
    service_id = f"{document_iri}#service-{code}" if document_iri else f"_:service-{code}"
    node = {
        "@id": service_id,
        "@type": "cpsv:PublicService",
        "dct:identifier": service.code,
        "dct:title": _lang(service.name),
        "cv:hasCompetentAuthority": _authority(service, document_iri),
    }
    if service_page:
        node["schema:url"] = {"@id": service_page(service.code)}
    version = service.version_in_force(today)
    if version is None:
        return node
    source_ids = {s.id: f"{service_id}/source-{quote(s.id, safe='')}" for s in version.sources}
    legal_basis = version.provenance_of("legal_basis")
    acts = [{"@id": source_ids[s.id]} for s in version.sources  # the acts the rules implement
            if legal_basis and s.id in legal_basis.sources and (s.act_number or s.act_date)]
    rule = {"@type": "cpsv:Rule", "dct:identifier": f"{service.code}/{version.effective_from.isoformat()}",
            "dct:title": _legal_basis(version), "dct:description": _legal_basis(version)}
    if acts:
        rule["cpsv:implements"] = acts
    node.update({
        "dct:description": _lang(version.result),
        "cpsv:hasInput": _inputs(version, catalog),
        "cv:hasCost": _costs(service, version),
        "cv:processingTime": {"@value": iso_duration(version.deadline.value, version.deadline.unit),
                              "@type": "xsd:duration"},
        "scm:deadlineUnit": version.deadline.unit,
        "cpsv:follows": rule,
        "cpsv:produces": {"@type": "cv:Output", "dct:identifier": f"{service.code}/result",
                          "dct:title": _lang(version.result)},
        "cv:hasChannel": [{"@type": "cv:Channel", "dct:identifier": channel} for channel in version.channels],
        "scm:maxWaitMinutes": version.max_wait_minutes,
        "scm:maxServiceMinutes": version.max_service_minutes,
        "scm:refusalGround": [{"@type": "scm:RefusalGround", "dct:identifier": g.code,
                               "dct:description": _lang(g.text)} for g in version.refusal_grounds],
        "scm:obtainedByOffice": _obtained(version, catalog),
        "scm:effectiveFrom": _date(version.effective_from),
        "scm:source": [_source(s, source_ids[s.id]) for s in version.sources],
        "scm:factProvenance": _provenance(version, source_ids),
    })
    if version.effective_to:
        node["scm:effectiveTo"] = _date(version.effective_to)
    return node


def catalog_jsonld(catalog: Catalog, today: dt.date, vocabulary_iri: str, document_iri: str | None = None,
                   service_page: Callable[[str], str] | None = None) -> dict:
    """The catalog as CPSV-AP 3 JSON-LD: one cpsv:PublicService per service, version in force on ``today``.

    ``vocabulary_iri`` is the namespace of the scm: extension terms (ending in ``#``);
    ``document_iri``, when given, makes stable IRIs for services and authorities (else blank
    nodes); ``service_page(code)`` gives the human-readable page linked with schema:url.
    """
    return {
        "@context": jsonld_context(vocabulary_iri),
        "@graph": [_public_service(s, catalog, today, document_iri, service_page) for s in _services(catalog)],
    }


VOCABULARY_TERMS = (
    # (term, kind, label, comment, domain, range)
    ("RefusalGround", "rdfs:Class", "Refusal ground",
     ("One of the only lawful reasons to refuse the service, with its code in the catalog "
      "(dct:identifier) and its text in kk, ru and en (dct:description)."), None, None),
    ("refusalGround", "rdf:Property", "refusal ground",
     ("A lawful reason to refuse the service under the version in force. Refusing for any other "
      "reason is an unfounded refusal."), "cpsv:PublicService", "scm:RefusalGround"),
    ("requirementKind", "rdf:Property", "requirement kind",
     ("How an input is required: 'required' (always), 'any_of' (one document of its scm:anyOfGroup "
      "suffices) or 'conditional' (only in the case scm:condition describes)."), "cv:Evidence", "xsd:string"),
    ("anyOfGroup", "rdf:Property", "any-of group",
     ("The inputs of one service that share this number form one group: the applicant may be asked "
      "for one of them, not for all."), "cv:Evidence", "xsd:integer"),
    ("condition", "rdf:Property", "condition",
     ("When the input may be asked for (in kk, ru and en); outside that case asking for it is "
      "not lawful."), "cv:Evidence", "rdf:langString"),
    ("obtainedByOffice", "rdf:Property", "obtained by the office",
     ("Evidence the office obtains itself from a state information system: the applicant must never "
      "be asked for it."), "cpsv:PublicService", "cv:Evidence"),
    ("stateSystem", "rdf:Property", "state information system",
     "The name of the state information system the office reads the evidence from (e.g. GBD_FL).",
     "cv:Evidence", "xsd:string"),
    ("deadlineUnit", "rdf:Property", "deadline unit",
     ("The unit of the legal deadline given as cv:processingTime: 'working_days' (days of the official "
      "working-day calendar of Kazakhstan), 'calendar_days', 'hours' or 'minutes'. P5D with "
      "'working_days' means five working days."), "cpsv:PublicService", "xsd:string"),
    ("maxWaitMinutes", "rdf:Property", "maximum wait (minutes)",
     "The longest lawful wait in the queue at the front desk, in minutes.", "cpsv:PublicService",
     "xsd:integer"),
    ("maxServiceMinutes", "rdf:Property", "maximum service time (minutes)",
     "The longest lawful time at the desk, in minutes.", "cpsv:PublicService", "xsd:integer"),
    ("effectiveFrom", "rdf:Property", "in force from",
     "The first day (local date, inclusive) of the catalog version described.", "cpsv:PublicService",
     "xsd:date"),
    ("effectiveTo", "rdf:Property", "in force until",
     ("The last day (local date, inclusive) of the catalog version described; absent while the "
      "version has no end."), "cpsv:PublicService", "xsd:date"),
    ("source", "rdf:Property", "source",
     ("A text the facts of the version described come from: the act (also an eli:LegalResource, with "
      "eli:id_local and eli:date_document), the service's official page, or a press page kept only "
      "beside an official one (scm:secondary)."), "cpsv:PublicService", "foaf:Document"),
    ("checkedOn", "rdf:Property", "checked on",
     "The date the source was read to confirm the facts.", "foaf:Document", "xsd:date"),
    ("secondary", "rdf:Property", "secondary source",
     ("True for a press or aggregator page: never the only source of a fact, kept beside an official "
      "one."), "foaf:Document", "xsd:boolean"),
    ("FactProvenance", "rdfs:Class", "Provenance of a fact",
     ("Where one fact of the version described comes from: scm:fact names it, dct:source gives its "
      "sources, or scm:assumed is true and skos:note says why."), None, None),
    ("factProvenance", "rdf:Property", "provenance of a fact",
     "The provenance of each fact of the version described.", "cpsv:PublicService", "scm:FactProvenance"),
    ("fact", "rdf:Property", "fact",
     ("The fact: legal_basis, deadline, fee, required_documents, obtained_by_office, refusal_grounds, "
      "max_wait_minutes or max_service_minutes."), "scm:FactProvenance", "xsd:string"),
    ("assumed", "rdf:Property", "assumed",
     ("True when no official source confirms the fact: the catalog assumes it, and skos:note says on "
      "what basis."), "scm:FactProvenance", "xsd:boolean"),
)


def vocabulary_document(vocabulary_iri: str) -> dict:
    """The scm: extension vocabulary as RDFS in JSON-LD (terms, labels, comments, domains, ranges)."""
    graph = [{
        "@id": vocabulary_iri.rstrip("#"),
        "@type": "owl:Ontology",
        "rdfs:label": {"@value": "Service Compliance Monitor extension of CPSV-AP", "@language": "en"},
        "rdfs:comment": {"@value": "Terms the catalog of public services needs beyond CPSV-AP 3: "
                                   "what may lawfully be asked for and when, what the office obtains "
                                   "itself, lawful refusal grounds and front-desk time limits.",
                         "@language": "en"},
    }]
    for term, kind, label, comment, domain, range_ in VOCABULARY_TERMS:
        node = {"@id": f"scm:{term}", "@type": kind,
                "rdfs:label": {"@value": label, "@language": "en"},
                "rdfs:comment": {"@value": comment, "@language": "en"},
                "rdfs:isDefinedBy": {"@id": vocabulary_iri.rstrip("#")}}
        if domain:
            node["rdfs:domain"] = {"@id": domain}
        if range_:
            node["rdfs:range"] = {"@id": range_}
        graph.append(node)
    context = {**jsonld_context(vocabulary_iri), "rdf": RDF, "rdfs": RDFS, "owl": OWL}
    return {"@context": context, "@graph": graph}


# ---------------------------------------------------------------- published indicators

def _moment(value) -> str | None:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    moment = pd.Timestamp(value)
    moment = moment.tz_localize("UTC") if moment.tzinfo is None else moment.tz_convert("UTC")
    return moment.isoformat()


def _value(value) -> float | None:
    if value is None or pd.isna(value):
        return None
    number = float(value)
    return None if math.isnan(number) else number


def _sorted_snapshots(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows in a stable order, whatever order the database returned them in."""
    order = {name: position for position, name in enumerate(INDICATORS)}
    kinds = {name: position for position, name in enumerate(SCOPE_KINDS)}
    frame = frame.reindex(columns=list(INDICATOR_COLUMNS))
    keys = pd.DataFrame({
        "week": frame["week"].astype(str),
        "kind": frame["scope_kind"].map(kinds).fillna(len(kinds)),
        "scope": frame["scope_value"].fillna("").astype(str),
        "order": frame["indicator"].map(order).fillna(len(order)),
        "indicator": frame["indicator"].astype(str),
    }, index=frame.index)
    positions = keys.sort_values(["week", "kind", "scope", "order", "indicator"], kind="stable").index
    return frame.loc[positions]


def indicators_document(frame: pd.DataFrame) -> dict:
    """Published snapshots in long format, grouped by week with the week's publication time and
    the audit chain head published with it."""
    weeks = []
    current = None
    for row in _sorted_snapshots(frame).itertuples(index=False):
        if current is None or current["week"] != row.week:
            current = {"week": row.week, "published_at": _moment(row.published_at),
                       "audit_head_hash": row.audit_head_hash if isinstance(row.audit_head_hash, str) else None,
                       "values": []}
            weeks.append(current)
        current["values"].append({"scope_kind": row.scope_kind, "scope_value": row.scope_value or "",
                                  "indicator": row.indicator, "value": _value(row.value)})
    return {"format": "long", "indicators": list(INDICATORS), "weeks": weeks}


def indicators_csv(frame: pd.DataFrame) -> str:
    """Published snapshots in long format, one row per week, scope and indicator."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(INDICATOR_COLUMNS)
    for row in _sorted_snapshots(frame).itertuples(index=False):
        value = _value(row.value)
        writer.writerow([row.week, row.scope_kind, row.scope_value or "", row.indicator,
                         "" if value is None else repr(value), _moment(row.published_at) or "",
                         row.audit_head_hash if isinstance(row.audit_head_hash, str) else ""])
    return out.getvalue()


# ---------------------------------------------------------------- OpenAPI 3.1

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
