"""Open data and the JSON API (docs/open-data.md): formats, caching, round trips, OpenAPI."""
from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import re
import zipfile
from pathlib import Path

import pytest
from pyshacl import validate as shacl_validate
from rdflib import Graph, Literal as rdflib_literal, URIRef

from monitor.compliance import INDICATORS
from monitor.extensions import db
from monitor.models import IndicatorSnapshot
from monitor.open_data import canonical, csv_tables, json_documents, jsonld, zip_archive
from monitor.open_data.openapi import openapi_document
from monitor.services import publishing
from monitor.stores.catalog import catalog_from_db, store_catalog
from services_catalog import load_catalog

from .catalogs import service, version, write_catalog

ENDPOINTS = {
    "/open-data/catalog.json": "application/json",
    "/open-data/catalog.csv": "text/csv; charset=utf-8",
    "/open-data/catalog.zip": "application/zip",
    "/open-data/catalog.jsonld": "application/ld+json",
    "/open-data/vocabulary": "application/ld+json",
    "/open-data/indicators.csv": "text/csv; charset=utf-8",
    "/open-data/indicators.json": "application/json",
    "/api/services": "application/json",
    "/api/services/S2": "application/json",
    "/api/indicators": "application/json",
    "/api/indicators?week=2026-W12&scope_kind=office": "application/json",
    "/api/openapi.json": "application/json",
}
NOW = dt.datetime(2026, 3, 23, 6, 0, tzinfo=dt.UTC)


def _publish(weeks=("2026-W11", "2026-W12")) -> None:
    """A couple of published weeks: the network and two offices, a value left empty."""
    for number, week in enumerate(weeks):
        rows = [("network", "", "on_time_rate", 0.75 + number / 10), ("network", "", "cases_completed", 40.0),
                ("office", "OF1", "on_time_rate", 0.5), ("office", "OF1", "cases_completed", 10.0),
                ("office", "OF2", "on_time_rate", None), ("office", "OF2", "cases_completed", 0.0)]
        db.session.add_all(IndicatorSnapshot(
            week=week, scope_kind=kind, scope_value=value, indicator=name, value=number_,
            published_at=NOW + dt.timedelta(days=7 * number), audit_head_hash=f"{number}" * 64)
            for kind, value, name, number_ in rows)
    db.session.commit()


# ---------------------------------------------------------------- every endpoint, caching

@pytest.mark.parametrize("url", ENDPOINTS)
def test_every_endpoint_answers_with_its_type_and_caches(client, loaded_catalog, url):
    response = client.get(url)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.headers["Content-Type"] == ENDPOINTS[url]
    assert response.headers["Cache-Control"] == "public, max-age=300"
    etag, weak = response.get_etag()
    assert etag == hashlib.sha256(response.get_data()).hexdigest() and not weak
    again = client.get(url, headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304 and again.get_data() == b""
    assert again.headers["ETag"] == response.headers["ETag"]
    other = client.get(url, headers={"If-None-Match": '"something-else"'})
    assert other.status_code == 200 and other.get_data() == response.get_data()


def test_the_etag_follows_the_catalog(client, loaded_catalog, tmp_path):
    before = client.get("/open-data/catalog.json")
    changed = write_catalog(tmp_path / "changed", services=[service("S1"), service("S2"), service("S3"),
                                                            service("S4")])
    store_catalog(db.session, load_catalog(changed))
    db.session.commit()
    after = client.get("/open-data/catalog.json", headers={"If-None-Match": before.headers["ETag"]})
    assert after.status_code == 200 and after.headers["ETag"] != before.headers["ETag"]
    assert [s["code"] for s in after.get_json()["services"]] == ["S1", "S2", "S3", "S4"]


def test_open_data_documents_only_the_public_scope_kinds():
    assert canonical.SCOPE_KINDS == publishing.PUBLIC_SCOPE_KINDS
    assert "staff" in publishing.SCOPE_KINDS and "staff" not in canonical.SCOPE_KINDS


# ---------------------------------------------------------------- catalog.json / .csv / .zip

def test_catalog_json_has_every_service_in_three_languages_with_the_version_in_force(client, loaded_catalog):
    document = client.get("/open-data/catalog.json").get_json()
    today = dt.date.today()
    assert abs((dt.date.fromisoformat(document["generated_at"]) - today).days) <= 1  # local date
    services = {s["code"]: s for s in document["services"]}
    assert list(services) == ["S1", "S2", "S3"]
    for code, entry in services.items():
        assert entry["name"] == {"kk": f"Service {code} (kk)", "ru": f"Service {code} (ru)", "en": f"Service {code}"}
        assert set(entry["provider"]) == {"kk", "ru", "en"}
    s2 = services["S2"]["version_in_force"]  # the test catalog's S2 changed on 2026-04-01
    assert s2["effective_from"] == "2026-04-01" and s2["effective_to"] is None
    assert s2["deadline"] == {"value": 3, "unit": "working_days"}
    assert [o["code"] for o in s2["obtained_by_office"]] == ["ID_CARD", "PHOTO"]
    assert s2["obtained_by_office"][0]["state_system"] == "GBD_FL"
    s1 = services["S1"]["version_in_force"]
    assert [(e["kind"], e["codes"]) for e in s1["required_documents"]] == [
        ("required", ["APPLICATION"]), ("any_of", ["MARRIAGE_CERT", "JOINT_APPLICATION"]),
        ("conditional", ["POWER_OF_ATTORNEY"])]
    conditional = s1["required_documents"][2]
    assert conditional["when"]["ru"] == "when a representative applies (ru)"
    assert conditional["documents"] == [{"code": "POWER_OF_ATTORNEY", "name": {
        "kk": "Power of attorney (kk)", "ru": "Power of attorney (ru)", "en": "Power of attorney"}}]
    assert s1["fee"] == {"amount": 0, "currency": "KZT"} and s1["max_wait_minutes"] == 15
    assert s1["refusal_grounds"][0] == {"code": "R1", "text": {
        "kk": "false documents (kk)", "ru": "false documents (ru)", "en": "false documents"}}
    assert s1["result"]["en"] == "Certificate" and s1["channels"] == ["front_desk", "online"]
    assert s1["legal_basis"] == "Order No. 1 of 1 January 2024"
    assert {d["code"] for d in document["documents"]} >= {"ID_CARD", "PHOTO", "APPLICATION"}


def test_a_service_without_a_version_in_force_is_listed_with_null(tmp_path):
    folder = write_catalog(tmp_path / "c", services=[service("OLD", versions=[version(effective_to="2025-01-31")])])
    catalog = load_catalog(folder)
    document = json_documents.catalog_document(catalog, dt.date(2026, 5, 1))
    assert document["services"][0]["version_in_force"] is None
    rows = list(csv.DictReader(io.StringIO(csv_tables.catalog_csv(catalog, dt.date(2026, 5, 1)))))
    assert rows[0]["code"] == "OLD" and rows[0]["deadline_value"] == ""
    assert json_documents.service_list(catalog, dt.date(2026, 5, 1))[0]["deadline"] is None


def test_catalog_csv_has_a_row_per_service(client, loaded_catalog):
    body = client.get("/open-data/catalog.csv").get_data()
    assert not body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(body.decode("utf-8"))))
    assert [r["code"] for r in rows] == ["S1", "S2", "S3"]
    first = rows[0]
    assert first["name_kk"] == "Service S1 (kk)" and first["provider_en"] == "Ministry"
    assert first["required_documents"] == "APPLICATION"
    assert first["any_of_documents"] == "MARRIAGE_CERT|JOINT_APPLICATION"
    assert first["conditional_documents"] == "POWER_OF_ATTORNEY"
    assert first["obtained_by_office"] == "BIRTH_MEDICAL_CERT;ADDRESS_CERT"
    assert first["refusal_grounds"] == "R1;R2" and first["channels"] == "front_desk;online"
    assert (rows[1]["deadline_value"], rows[1]["deadline_unit"]) == ("3", "working_days")
    assert rows[2]["deadline_unit"] == "hours" and rows[2]["result_ru"] == "Certificate (ru)"


def test_catalog_zip_round_trips_through_the_loader(client, loaded_catalog, tmp_path):
    response = client.get("/open-data/catalog.zip")
    assert response.headers["Content-Disposition"] == "attachment; filename=catalog.zip"
    with zipfile.ZipFile(io.BytesIO(response.get_data())) as archive:
        assert sorted(archive.namelist()) == ["documents.yaml", "services/S1.yaml", "services/S2.yaml",
                                              "services/S3.yaml"]
        archive.extractall(tmp_path / "unzipped")
    loaded = load_catalog(tmp_path / "unzipped")
    assert loaded == catalog_from_db(db.session)
    assert len(loaded.services["S2"].versions) == 2  # every version, not only the one in force
    assert client.get("/open-data/catalog.zip").get_data() == response.get_data()  # same bytes again


def test_a_code_that_looks_like_a_number_survives_the_zip(tmp_path):
    folder = write_catalog(tmp_path / "c", services=[service("00101")])
    catalog = load_catalog(folder)
    with zipfile.ZipFile(io.BytesIO(zip_archive.catalog_zip(catalog))) as archive:
        archive.extractall(tmp_path / "out")
    assert load_catalog(tmp_path / "out") == catalog


# ---------------------------------------------------------------- JSON-LD

def _scm_terms(node, found: set) -> set:
    if isinstance(node, dict):
        for key, value in node.items():
            if key.startswith("scm:"):
                found.add(key)
            if key == "@type" and isinstance(value, str) and value.startswith("scm:"):
                found.add(value)
            _scm_terms(value, found)
    elif isinstance(node, list):
        for item in node:
            _scm_terms(item, found)
    return found


def test_catalog_jsonld_is_cpsv_ap(client, loaded_catalog):
    document = json.loads(client.get("/open-data/catalog.jsonld").get_data())
    context = document["@context"]
    assert context["cpsv"] == "http://purl.org/vocab/cpsv#" and context["cv"] == "http://data.europa.eu/m8g/"
    assert context["dct"] == "http://purl.org/dc/terms/" and "schema" in context
    assert context["scm"] == "http://localhost/open-data/vocabulary#"
    services = {node["dct:identifier"]: node for node in document["@graph"]}
    assert set(services) == {"S1", "S2", "S3"}
    assert all(node["@type"] == "cpsv:PublicService" for node in services.values())
    times = {code: (node["cv:processingTime"]["@value"], node["scm:deadlineUnit"]) for code, node in services.items()}
    assert times == {"S1": ("P5D", "working_days"), "S2": ("P3D", "working_days"), "S3": ("PT2H", "hours")}
    assert services["S1"]["cv:processingTime"]["@type"] == "xsd:duration"
    s1 = services["S1"]
    assert {"@value": "Service S1 (kk)", "@language": "kk"} in s1["dct:title"]
    assert s1["cv:hasCompetentAuthority"]["@type"] == "cv:PublicOrganisation"
    assert {"@value": "Ministry", "@language": "en"} in s1["cv:hasCompetentAuthority"]["skos:prefLabel"]
    inputs = {e["dct:identifier"]: e for e in s1["cpsv:hasInput"]}
    assert all(e["@type"] == "cv:Evidence" for e in inputs.values())
    assert inputs["MARRIAGE_CERT"]["scm:anyOfGroup"] == inputs["JOINT_APPLICATION"]["scm:anyOfGroup"]
    assert "scm:anyOfGroup" not in inputs["APPLICATION"]
    condition = {"@value": "when a representative applies", "@language": "en"}
    assert condition in inputs["POWER_OF_ATTORNEY"]["scm:condition"]
    [cost] = s1["cv:hasCost"]
    assert cost["@type"] == "cv:Cost" and cost["cv:hasValue"]["@value"] == 0 and cost["dct:identifier"] == "S1/fee"
    assert cost["cv:currency"] == {"@id": "http://publications.europa.eu/resource/authority/currency/KZT",
                                   "@type": "skos:Concept"}
    basis = [{"@value": "Order No. 1 of 1 January 2024", "@language": "en"}]
    assert s1["cpsv:follows"] == {"@type": "cpsv:Rule", "dct:identifier": "S1/2024-01-01",
                                  "dct:title": basis, "dct:description": basis}
    assert (s1["scm:maxWaitMinutes"], s1["scm:maxServiceMinutes"]) == (15, 20)
    assert [g["dct:identifier"] for g in s1["scm:refusalGround"]] == ["R1", "R2"]
    obtained = {e["dct:identifier"]: e for e in services["S2"]["scm:obtainedByOffice"]}
    assert obtained["ID_CARD"]["scm:stateSystem"] == "GBD_FL" and "scm:stateSystem" not in obtained["PHOTO"]
    assert s1["schema:url"]["@id"] == "http://localhost/services/S1"
    # Every scm: term used is defined by the vocabulary, with a label and a comment.
    vocabulary = json.loads(client.get("/open-data/vocabulary").get_data())
    defined = {node["@id"]: node for node in vocabulary["@graph"]}
    assert vocabulary["@context"]["scm"] == context["scm"]
    for term in _scm_terms(document, set()):
        assert term in defined, term
        assert defined[term]["rdfs:label"]["@value"] and defined[term]["rdfs:comment"]["@value"]


@pytest.mark.parametrize("value, unit, expected", [
    (5, "working_days", "P5D"), (10, "calendar_days", "P10D"), (2, "hours", "PT2H"), (20, "minutes", "PT20M")])
def test_deadlines_as_iso_durations(value, unit, expected):
    assert jsonld.iso_duration(value, unit) == expected


# ---------------------------------------------------------------- CPSV-AP 3.2.0 conformance (pySHACL)

# The official shapes of CPSV-AP 3.2.0 (SEMICeu/CPSV-AP, releases/3.2.0/shacl/cpsv-ap-SHACL.ttl,
# CC-BY 4.0; tests/data/README.md).
CPSV_AP_SHAPES = Graph().parse(Path(__file__).parent / "data" / "cpsv-ap-SHACL.ttl", format="turtle")
SHACL_RESULTS = """PREFIX sh: <http://www.w3.org/ns/shacl#>
SELECT ?focus ?path WHERE { ?result a sh:ValidationResult ; sh:focusNode ?focus ; sh:resultPath ?path }"""


def _rdf(document: dict) -> Graph:
    """A JSON-LD document read by rdflib, as a plain graph of its triples."""
    return Graph().parse(data=json.dumps(document), format="json-ld")


def _cpsv_ap_report(document: dict) -> tuple[bool, set[tuple[str, str]], str]:
    """pySHACL's verdict on a JSON-LD document: conforms, {(focus node, path)} of the violations, text."""
    data = _rdf(document)
    conforms, report, text = shacl_validate(data, shacl_graph=CPSV_AP_SHAPES, inference="none")
    return conforms, {(str(row.focus), str(row.path)) for row in report.query(SHACL_RESULTS)}, text


@pytest.mark.parametrize("today", [dt.date(2026, 12, 6), dt.date(2024, 6, 1)])
def test_the_bundled_catalog_conforms_to_cpsv_ap_3_2_0(today):
    from services_catalog import BUNDLED_CATALOG

    document = jsonld.catalog_jsonld(
        load_catalog(BUNDLED_CATALOG), today, "https://example.kz/open-data/vocabulary#",
        document_iri="https://example.kz/open-data/catalog.jsonld",
        service_page=lambda code: f"https://example.kz/services/{code}")
    conforms, violations, text = _cpsv_ap_report(document)
    assert conforms, text
    assert violations == set()


def test_the_served_catalog_conforms_and_a_broken_one_does_not(client, loaded_catalog):
    document = json.loads(client.get("/open-data/catalog.jsonld").get_data())
    conforms, _, text = _cpsv_ap_report(document)
    assert conforms, text
    # The same document made wrong the way a careless export would: a service without its
    # identifier, a title in no language, a cost whose currency is a bare text.
    broken = json.loads(json.dumps(document))
    s1, s2 = broken["@graph"][0], broken["@graph"][1]
    del s1["dct:identifier"]
    s2["dct:title"] = "Service S2"
    s2["cv:hasCost"][0]["cv:currency"] = "KZT"
    conforms, violations, _ = _cpsv_ap_report(broken)
    assert not conforms
    dct = "http://purl.org/dc/terms/"
    assert (s1["@id"], dct + "identifier") in violations
    assert (s2["@id"], dct + "title") in violations
    assert any(path == "http://data.europa.eu/m8g/currency" for _, path in violations)


def test_the_sources_of_each_fact_are_in_the_json_ld():
    """Read back as RDF, each fact of a version names the pages and acts the catalog cites for it
    (with the date checked and the secondary marker), or says it is assumed and why."""
    from services_catalog import BUNDLED_CATALOG

    catalog = load_catalog(BUNDLED_CATALOG)
    today = dt.date(2026, 12, 6)
    document = jsonld.catalog_jsonld(catalog, today, "https://example.kz/open-data/vocabulary#",
                                        document_iri="https://example.kz/open-data/catalog.jsonld")
    graph = _rdf(document)
    query = """PREFIX scm: <https://example.kz/open-data/vocabulary#>
        PREFIX dct: <http://purl.org/dc/terms/> PREFIX schema: <http://schema.org/>
        SELECT ?fact ?assumed ?url ?checked ?secondary WHERE {
          ?service dct:identifier ?code ; scm:factProvenance ?p .
          ?p scm:fact ?fact ; scm:assumed ?assumed .
          OPTIONAL { ?p dct:source ?s . ?s schema:url ?url ; scm:checkedOn ?checked ; scm:secondary ?secondary } }"""
    checked = 0
    for code in catalog.services:
        version = catalog.version_in_force(code, today)
        if version is None or not version.provenance:
            continue
        rows = graph.query(query, initBindings={"code": rdflib_literal(code)})
        found: dict[str, set] = {}
        assumed: dict[str, bool] = {}
        for row in rows:
            found.setdefault(str(row.fact), set())
            assumed[str(row.fact)] = row.assumed.toPython()
            if row.url is not None:
                found[str(row.fact)].add((str(row.url), row.checked.toPython(), row.secondary.toPython()))
        for fact in version.provenance:
            expected = {(version.source(i).url, version.source(i).retrieved, version.source(i).secondary)
                        for i in fact.sources}
            assert found[fact.fact] == expected, (code, fact.fact)
            assert assumed[fact.fact] is fact.assumed
            checked += 1
    assert checked >= 8 * 20
    # The acts behind the legal basis are eli:LegalResources the rules implement, with number and date.
    passport = URIRef("https://example.kz/open-data/catalog.jsonld#service-701002")
    acts = graph.query("""PREFIX cpsv: <http://purl.org/vocab/cpsv#> PREFIX eli: <http://data.europa.eu/eli/ontology#>
        SELECT ?number WHERE { ?service cpsv:follows/cpsv:implements ?act . ?act a eli:LegalResource ;
        eli:id_local ?number }""", initBindings={"service": passport})
    assert "267" in {str(row.number) for row in acts}


# ---------------------------------------------------------------- the JSON API

def test_services_list_and_tolerant_search(client, loaded_catalog):
    listed = client.get("/api/services").get_json()
    assert [s["code"] for s in listed] == ["S1", "S2", "S3"]
    assert listed[1] == {"code": "S2", "name": {"kk": "Service S2 (kk)", "ru": "Service S2 (ru)", "en": "Service S2"},
                         "deadline": {"value": 3, "unit": "working_days"}}
    def search(q):
        return [s["code"] for s in client.get("/api/services", query_string={"q": q}).get_json()]

    assert search("ERVICE s3") == ["S3"]
    assert search("s2 (KK)") == ["S2"]
    assert search("serv") == ["S1", "S2", "S3"]
    assert search("nothing like it") == []


def test_one_service_with_all_versions(client, loaded_catalog):
    found = client.get("/api/services/S2").get_json()
    assert [(v["effective_from"], v["in_force"]) for v in found["versions"]] == [
        ("2024-01-01", False), ("2026-04-01", True)]
    assert found["versions"][0]["deadline"] == {"value": 10, "unit": "calendar_days"}


def test_an_unknown_service_is_a_json_404(client, loaded_catalog):
    response = client.get("/api/services/NOPE")
    assert response.status_code == 404 and response.headers["Content-Type"] == "application/json"
    assert "NOPE" in response.get_json()["error"]


# ---------------------------------------------------------------- indicators

def test_indicators_before_anything_is_published(client, app):
    assert client.get("/open-data/indicators.json").get_json() == {
        "format": "long", "indicators": list(INDICATORS), "weeks": []}
    assert client.get("/open-data/indicators.csv").get_data(as_text=True) == \
        "week,scope_kind,scope_value,indicator,value,published_at,audit_head_hash\r\n"
    assert client.get("/api/indicators?week=2026-W12").get_json()["weeks"] == []


def test_published_indicators(client, app):
    _publish()
    document = client.get("/open-data/indicators.json").get_json()
    assert [w["week"] for w in document["weeks"]] == ["2026-W11", "2026-W12"]
    first = document["weeks"][0]
    assert first["audit_head_hash"] == "0" * 64 and first["published_at"] == "2026-03-23T06:00:00+00:00"
    assert first["values"][:2] == [
        {"scope_kind": "network", "scope_value": "", "indicator": "cases_completed", "value": 40.0},
        {"scope_kind": "network", "scope_value": "", "indicator": "on_time_rate", "value": 0.75}]
    assert {"scope_kind": "office", "scope_value": "OF2", "indicator": "on_time_rate", "value": None} \
        in first["values"]
    rows = list(csv.DictReader(io.StringIO(client.get("/open-data/indicators.csv").get_data(as_text=True))))
    assert len(rows) == 12 and rows[-1]["audit_head_hash"] == "1" * 64
    assert {r["value"] for r in rows if r["scope_value"] == "OF2" and r["indicator"] == "on_time_rate"} == {""}
    filtered = client.get("/api/indicators?week=2026-W12&scope_kind=office").get_json()
    assert [w["week"] for w in filtered["weeks"]] == ["2026-W12"]
    assert {v["scope_kind"] for v in filtered["weeks"][0]["values"]} == {"office"}
    assert len(filtered["weeks"][0]["values"]) == 4
    one = client.get("/api/indicators?scope_kind=office&scope_value=OF1&indicator=on_time_rate").get_json()
    assert [(w["week"], w["values"][0]["value"]) for w in one["weeks"]] == [("2026-W11", 0.5), ("2026-W12", 0.5)]


@pytest.mark.parametrize("query", ["week=12", "week=2026-12", "scope_kind=region"])
def test_bad_indicator_filters_are_a_json_400(client, app, query):
    response = client.get(f"/api/indicators?{query}")
    assert response.status_code == 400 and "error" in response.get_json()


# ---------------------------------------------------------------- OpenAPI

def _openapi_path(rule: str) -> str:
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule)


def test_openapi_describes_every_api_and_open_data_route(client, app):
    document = client.get("/api/openapi.json").get_json()
    assert document["openapi"].startswith("3.1")
    routes = {_openapi_path(rule.rule) for rule in app.url_map.iter_rules()
              if rule.rule.startswith(("/api/", "/open-data/"))}
    assert routes == set(document["paths"])
    operation_ids = []
    for path, item in document["paths"].items():
        operation = item["get"]
        operation_ids.append(operation["operationId"])
        assert operation["responses"]["200"]["content"], path
        assert "304" in operation["responses"]
    assert len(operation_ids) == len(set(operation_ids))
    assert "code" in {p.get("name") for p in document["paths"]["/api/services/{code}"]["get"]["parameters"]}
    # Every $ref points to something that exists.
    text = json.dumps(document)
    for ref in set(re.findall(r'"\$ref": "#/([^"]+)"', text)):
        node = document
        for part in ref.split("/"):
            node = node[part]


def test_the_vocabulary_namespace_can_be_fixed_by_configuration(client, app, loaded_catalog):
    app.config["OPEN_DATA_VOCABULARY_IRI"] = "https://example.kz/ns/scm#"
    assert client.get("/open-data/catalog.jsonld").get_json()["@context"]["scm"] == "https://example.kz/ns/scm#"
    vocabulary = client.get("/open-data/vocabulary").get_json()
    assert vocabulary["@graph"][0]["@id"] == "https://example.kz/ns/scm"


def test_the_openapi_document_is_valid():
    validator = pytest.importorskip("openapi_spec_validator")  # not a dependency: checked where installed
    validator.validate(openapi_document())


def test_the_bundled_catalog_makes_every_document(tmp_path):
    from services_catalog import BUNDLED_CATALOG

    catalog = load_catalog(BUNDLED_CATALOG)
    with zipfile.ZipFile(io.BytesIO(zip_archive.catalog_zip(catalog))) as archive:
        archive.extractall(tmp_path / "out")
    assert load_catalog(tmp_path / "out") == catalog
    today = dt.date(2026, 6, 1)
    document = json.loads(json.dumps(json_documents.catalog_document(catalog, today)))
    assert len(document["services"]) == len(catalog.services)
    graph = jsonld.catalog_jsonld(catalog, today, "https://example.kz/ns/scm#")["@graph"]
    assert [node["dct:identifier"] for node in graph] == sorted(catalog.services)
    rows = list(csv.DictReader(io.StringIO(csv_tables.catalog_csv(catalog, today))))
    assert [r["code"] for r in rows] == sorted(catalog.services)


def test_staff_members_figures_never_reach_the_public_reads(app):
    """Published staff figures (and the logins they name) stay with the supervisors: the
    public reads leave them out in the query itself, whatever scope is asked for."""
    from monitor.models import IndicatorSnapshot
    published = dt.datetime(2026, 4, 13, 1, tzinfo=dt.UTC)
    db.session.add_all(IndicatorSnapshot(week="2026-W15", scope_kind=kind, scope_value=value,
                                         indicator="visits_per_case", value=1.5, published_at=published)
                       for kind, value in (("network", ""), ("office", "OF1"), ("service", "S1"),
                                           ("staff", "clerk.login")))
    db.session.commit()
    assert set(publishing.snapshots(db.session)["scope_kind"]) == {"network", "office", "service", "staff"}
    public = publishing.public_snapshots(db.session, last_weeks=12)
    assert set(public["scope_kind"]) == {"network", "office", "service"}
    assert "clerk.login" not in set(public["scope_value"])
    assert publishing.public_snapshots(db.session, "staff").empty
    assert list(publishing.public_snapshots(db.session, "office")["scope_value"]) == ["OF1"]
