"""The catalog as CPSV-AP 3 JSON-LD (/open-data/catalog.jsonld) and the scm: extension
vocabulary it uses, as RDFS in JSON-LD (/open-data/vocabulary)."""
from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from services_catalog import Catalog, Service, ServiceVersion, Text
from services_catalog.model import LANGUAGES, Source

from .canonical import services_in_order

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
    node: dict[str, Any] = {"@type": "cv:Evidence", "dct:identifier": code}
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
    costs: list[dict[str, Any]] = [{"@type": "cv:Cost", "dct:identifier": f"{service.code}/fee",
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
    node: dict[str, Any] = {
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
        "@graph": [_public_service(s, catalog, today, document_iri, service_page) for s in services_in_order(catalog)],
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

