"""The catalog loader and validator (catalog-format.md), the exporter and the database round trip.

Each validation rule gets a bad catalog that breaks only that rule; the test checks that
loading is refused and that the problem names the file, service, version and field with
a reason a catalog author can act on.
"""
from __future__ import annotations

import datetime as dt
import re

import pytest
import yaml

from monitor.extensions import db
from monitor.stores.catalog import catalog_from_db, store_catalog
from services_catalog import (
    BUNDLED_CATALOG,
    Catalog,
    CatalogError,
    CatalogProblem,
    Deadline,
    Fee,
    RequiredDocument,
    export_catalog,
    load_catalog,
)

from .catalogs import DOCUMENTS, default_services, service, text, version, write_catalog

CYRILLIC = re.compile(r"[А-Яа-яЁёӘәҒғҚқҢңӨөҰұҮүҺһІі]")
LATIN = re.compile(r"[A-Za-z]")


# --------------------------------------------------------------------------- helpers

def problems_of(folder) -> list[CatalogProblem]:
    """Load ``folder``, expecting a refusal; return the problems it lists."""
    with pytest.raises(CatalogError) as info:
        load_catalog(folder)
    problems = info.value.problems
    assert problems, "a CatalogError must list at least one problem"
    # The exception message is the list of problems, one per line, for the CLI and the logs.
    message = str(info.value)
    for problem in problems:
        assert str(problem) in message
    return problems


def find(problems, **where) -> CatalogProblem:
    """The single problem whose attributes match ``where`` (field matched as a prefix)."""
    matches = []
    for problem in problems:
        ok = True
        for name, expected in where.items():
            actual = getattr(problem, name)
            if name == "field":
                ok &= actual is not None and actual.startswith(expected)
            elif name == "version":
                ok &= actual is not None and expected in actual
            else:
                ok &= actual == expected
        if ok:
            matches.append(problem)
    assert len(matches) == 1, f"expected one problem with {where}, got {matches} among {problems}"
    return matches[0]


def one_service(tmp_path, *versions, code="S1", **service_overrides):
    """A catalog with only service ``code`` (the rest of the test catalog left out)."""
    return write_catalog(tmp_path / "catalog",
                         services=[service(code, versions=list(versions), **service_overrides)])


def assert_names_location(problem: CatalogProblem, file: str, service_code: str | None,
                          version_date: str | None, field: str) -> None:
    """The problem's printed form names file, service, version and field for a human reader."""
    printed = str(problem)
    assert problem.file == file
    assert file in printed
    if service_code is not None:
        assert problem.service == service_code
        assert service_code in printed
    if version_date is not None:
        assert problem.version is not None and version_date in problem.version
        assert version_date in printed
    assert problem.field is not None and problem.field.startswith(field)
    assert problem.field in printed


# --------------------------------------------------------------------------- the small catalog

def test_the_small_test_catalog_loads(catalog_dir):
    catalog = load_catalog(catalog_dir)
    assert set(catalog.services) == {"S1", "S2", "S3"}
    assert set(catalog.documents) == {d["code"] for d in DOCUMENTS}
    s2 = catalog.services["S2"]
    assert [v.effective_from for v in s2.versions] == [dt.date(2024, 1, 1), dt.date(2026, 4, 1)]
    assert s2.version_in_force(dt.date(2026, 3, 31)).deadline == Deadline(10, "calendar_days")
    assert s2.version_in_force(dt.date(2026, 4, 1)).deadline == Deadline(3, "working_days")
    s1 = catalog.services["S1"].versions[0]
    assert [entry.kind for entry in s1.required_documents] == ["required", "any_of", "conditional"]
    assert s1.lawful_codes == {"APPLICATION", "MARRIAGE_CERT", "JOINT_APPLICATION", "POWER_OF_ATTORNEY"}
    assert s1.obtained_by_office == ("BIRTH_MEDICAL_CERT", "ADDRESS_CERT")
    assert s1.refusal_ground_codes == {"R1", "R2"}


# --------------------------------------------------------------------------- unknown documents

@pytest.mark.parametrize("where, changes, field", [
    ("required", {"required_documents": ["APPLICATION", "NO_SUCH_DOC"]}, "required_documents"),
    ("any_of", {"required_documents": [{"any_of": ["MARRIAGE_CERT", "NO_SUCH_DOC"]}]},
     "required_documents"),
    ("conditional", {"required_documents": [
        "APPLICATION", {"code": "NO_SUCH_DOC", "when": text("when a representative applies")}]},
     "required_documents"),
    ("obtained_by_office", {"obtained_by_office": ["ADDRESS_CERT", "NO_SUCH_DOC"]},
     "obtained_by_office"),
])
def test_an_unknown_document_code_is_refused(tmp_path, where, changes, field):
    folder = one_service(tmp_path, version(effective_to="2025-12-31"),
                         version(effective_from="2026-01-01", **changes))
    problem, = problems_of(folder)
    assert_names_location(problem, "services/S1.yaml", "S1", "2026-01-01", field)
    assert "NO_SUCH_DOC" in problem.reason
    assert "documents.yaml" in problem.reason or "unknown" in problem.reason.lower()


def test_a_code_both_required_and_obtained_by_the_office_is_refused(tmp_path):
    folder = one_service(tmp_path, version(obtained_by_office=["BIRTH_MEDICAL_CERT", "APPLICATION"]))
    problem, = problems_of(folder)
    assert_names_location(problem, "services/S1.yaml", "S1", "2024-01-01", "obtained_by_office")
    assert "APPLICATION" in problem.reason
    assert "required" in problem.reason and "obtained" in problem.reason


@pytest.mark.parametrize("code", ["MARRIAGE_CERT", "POWER_OF_ATTORNEY"])
def test_an_any_of_or_conditional_code_also_obtained_by_the_office_is_refused(tmp_path, code):
    folder = one_service(tmp_path, version(obtained_by_office=[code]))
    problem, = problems_of(folder)
    assert_names_location(problem, "services/S1.yaml", "S1", "2024-01-01", "obtained_by_office")
    assert code in problem.reason


# --------------------------------------------------------------------------- periods

def test_overlapping_version_periods_are_refused(tmp_path):
    folder = one_service(tmp_path,
                         version(effective_to="2026-04-01"),
                         version(effective_from="2026-04-01", deadline={"value": 3, "unit": "working_days"}))
    problem, = problems_of(folder)
    assert_names_location(problem, "services/S1.yaml", "S1", "2026-04-01", "effective_")
    assert "overlap" in problem.reason.lower()
    assert "2024-01-01" in problem.reason  # names the version it collides with


def test_an_open_ended_version_followed_by_another_overlaps(tmp_path):
    folder = one_service(tmp_path, version(), version(effective_from="2026-04-01"))
    problem, = problems_of(folder)
    assert_names_location(problem, "services/S1.yaml", "S1", "2026-04-01", "effective_")
    assert "overlap" in problem.reason.lower()


def test_versions_listed_out_of_order_are_still_checked_for_overlap(tmp_path):
    folder = one_service(tmp_path,
                         version(effective_from="2025-06-01"),
                         version(effective_from="2024-01-01", effective_to="2025-06-30"))
    problem, = problems_of(folder)
    assert problem.service == "S1" and "overlap" in problem.reason.lower()


def test_touching_periods_are_valid_and_kept_in_date_order(tmp_path):
    folder = one_service(tmp_path,
                         version(effective_from="2026-04-01", deadline={"value": 3, "unit": "working_days"}),
                         version(effective_to="2026-03-31"))
    service_ = load_catalog(folder).services["S1"]
    assert [(v.effective_from, v.effective_to) for v in service_.versions] == [
        (dt.date(2024, 1, 1), dt.date(2026, 3, 31)), (dt.date(2026, 4, 1), None)]
    assert service_.version_in_force(dt.date(2026, 3, 31)).deadline.value == 5
    assert service_.version_in_force(dt.date(2026, 4, 1)).deadline.value == 3
    assert service_.version_in_force(dt.date(2023, 12, 31)) is None


def test_a_single_day_version_is_valid(tmp_path):
    folder = one_service(tmp_path, version(effective_to="2025-12-31"),
                         version(effective_from="2026-01-01", effective_to="2026-01-01"),
                         version(effective_from="2026-01-02"))
    assert len(load_catalog(folder).services["S1"].versions) == 3


def test_every_overlapping_pair_is_reported(tmp_path):
    """A long version overlapping two later ones: both collisions are listed, not just one.

    2024-01-01..2025-12-31 overlaps 2024-06-01..2024-07-01 AND 2025-01-01..open; an
    author who fixes only the first reported overlap must not discover the second later.
    """
    folder = one_service(tmp_path,
                         version(effective_to="2025-12-31"),
                         version(effective_from="2024-06-01", effective_to="2024-07-01"),
                         version(effective_from="2025-01-01"))
    problems = [p for p in problems_of(folder) if "overlap" in p.reason.lower()]
    named = " ".join(f"{p.version} {p.reason}" for p in problems)
    assert "2024-06-01" in named
    assert "2025-01-01" in named, f"the overlap with the version from 2025-01-01 is not reported: {problems}"
    assert len(problems) == 2


def test_effective_from_after_effective_to_is_refused(tmp_path):
    folder = one_service(tmp_path, version(effective_from="2026-05-01", effective_to="2026-04-30"))
    problem, = problems_of(folder)
    assert_names_location(problem, "services/S1.yaml", "S1", "2026-05-01", "effective_")
    assert "2026-05-01" in problem.reason and "2026-04-30" in problem.reason


# --------------------------------------------------------------------------- deadline and limits

@pytest.mark.parametrize("deadline, field, shown", [
    ({"value": -1, "unit": "working_days"}, "deadline.value", "-1"),
    ({"value": 2.5, "unit": "working_days"}, "deadline.value", "2.5"),
    ({"value": "5", "unit": "working_days"}, "deadline.value", "5"),
    ({"value": None, "unit": "hours"}, "deadline.value", "None"),
    ({"value": 5, "unit": "weeks"}, "deadline.unit", "weeks"),
    ({"value": 5, "unit": "Working_Days"}, "deadline.unit", "Working_Days"),
])
def test_a_bad_deadline_is_refused(tmp_path, deadline, field, shown):
    folder = one_service(tmp_path, version(deadline=deadline))
    problem, = problems_of(folder)
    assert_names_location(problem, "services/S1.yaml", "S1", "2024-01-01", field)
    assert shown in problem.reason


def test_the_unknown_unit_reason_lists_the_known_units(tmp_path):
    problem, = problems_of(one_service(tmp_path, version(deadline={"value": 5, "unit": "weeks"})))
    for unit in ("minutes", "hours", "working_days", "calendar_days"):
        assert unit in problem.reason


def test_a_deadline_of_zero_is_valid(tmp_path):
    folder = one_service(tmp_path, version(deadline={"value": 0, "unit": "working_days"}))
    assert load_catalog(folder).services["S1"].versions[0].deadline == Deadline(0, "working_days")


@pytest.mark.parametrize("limit", ["max_wait_minutes", "max_service_minutes"])
@pytest.mark.parametrize("value", [0, -5, 2.5])
def test_wait_and_service_limits_must_be_positive_whole_numbers(tmp_path, limit, value):
    folder = one_service(tmp_path, version(**{limit: value}))
    problem, = problems_of(folder)
    assert_names_location(problem, "services/S1.yaml", "S1", "2024-01-01", limit)
    assert str(value) in problem.reason
    assert "> 0" in problem.reason or "positive" in problem.reason.lower()


def test_limits_of_one_minute_are_valid(tmp_path):
    folder = one_service(tmp_path, version(max_wait_minutes=1, max_service_minutes=1))
    loaded = load_catalog(folder).services["S1"].versions[0]
    assert (loaded.max_wait_minutes, loaded.max_service_minutes) == (1, 1)


# --------------------------------------------------------------------------- names in kk, ru, en

@pytest.mark.parametrize("missing", ["kk", "ru", "en"])
def test_a_document_name_missing_a_language_is_refused(tmp_path, missing):
    documents = [dict(d) for d in DOCUMENTS] + [{
        "code": "EXTRA_DOC", "state_system": None,
        "name": {lang: "x" for lang in ("kk", "ru", "en") if lang != missing}}]
    problem, = problems_of(write_catalog(tmp_path / "catalog", documents=documents))
    assert_names_location(problem, "documents.yaml", None, None, "documents")
    assert "EXTRA_DOC" in problem.field and problem.field.endswith(f"name.{missing}")
    assert missing in problem.reason


@pytest.mark.parametrize("missing", ["kk", "ru", "en"])
@pytest.mark.parametrize("field", ["name", "provider"])
def test_a_service_name_or_provider_missing_a_language_is_refused(tmp_path, field, missing):
    incomplete = {lang: "x" for lang in ("kk", "ru", "en") if lang != missing}
    folder = one_service(tmp_path, version(), **{field: incomplete})
    problem, = problems_of(folder)
    assert_names_location(problem, "services/S1.yaml", "S1", None, f"{field}.{missing}")
    assert problem.version is None  # a service-level field, not a version's
    assert missing in problem.reason


@pytest.mark.parametrize("missing", ["kk", "ru", "en"])
def test_a_refusal_ground_text_missing_a_language_is_refused(tmp_path, missing):
    incomplete = {lang: "x" for lang in ("kk", "ru", "en") if lang != missing}
    folder = one_service(tmp_path, version(refusal_grounds=[
        {"code": "R1", "text": text("false documents")}, {"code": "R2", "text": incomplete}]))
    problem, = problems_of(folder)
    assert_names_location(problem, "services/S1.yaml", "S1", "2024-01-01",
                          f"refusal_grounds[2].text.{missing}")
    assert missing in problem.reason


@pytest.mark.parametrize("missing", ["kk", "ru", "en"])
def test_a_conditional_when_missing_a_language_is_refused(tmp_path, missing):
    incomplete = {lang: "x" for lang in ("kk", "ru", "en") if lang != missing}
    folder = one_service(tmp_path, version(required_documents=[
        "APPLICATION", {"code": "POWER_OF_ATTORNEY", "when": incomplete}]))
    problem, = problems_of(folder)
    assert_names_location(problem, "services/S1.yaml", "S1", "2024-01-01",
                          f"required_documents[2].when.{missing}")
    assert missing in problem.reason


@pytest.mark.parametrize("missing", ["kk", "ru", "en"])
def test_a_result_missing_a_language_is_refused(tmp_path, missing):
    incomplete = {lang: "x" for lang in ("kk", "ru", "en") if lang != missing}
    folder = one_service(tmp_path, version(result=incomplete))
    problem, = problems_of(folder)
    assert_names_location(problem, "services/S1.yaml", "S1", "2024-01-01", f"result.{missing}")


def test_an_empty_text_counts_as_missing(tmp_path):
    folder = one_service(tmp_path, version(result={"kk": "  ", "ru": "x", "en": "x"}))
    problem, = problems_of(folder)
    assert problem.field == "result.kk"


def test_a_conditional_entry_without_when_is_refused(tmp_path):
    folder = one_service(tmp_path, version(required_documents=["APPLICATION", {"code": "POWER_OF_ATTORNEY"}]))
    problem, = problems_of(folder)
    assert_names_location(problem, "services/S1.yaml", "S1", "2024-01-01", "required_documents[2]")
    assert "when" in problem.field or "when" in problem.reason


# --------------------------------------------------------------------------- uniqueness

def test_a_service_code_used_by_two_files_is_refused(tmp_path):
    folder = write_catalog(tmp_path / "catalog", services=[service("S1"), service("S2")], raw_files={
        "services/S1_copy.yaml": yaml.safe_dump(service("S1"), allow_unicode=True, sort_keys=False)})
    problem, = problems_of(folder)
    assert problem.service == "S1"
    assert problem.field == "code"
    printed = str(problem)
    # Both files are named, so the author knows which two collide.
    assert "services/S1.yaml" in printed and "services/S1_copy.yaml" in printed
    assert problem.file in ("services/S1.yaml", "services/S1_copy.yaml")


def test_a_document_code_defined_twice_is_refused(tmp_path):
    documents = [dict(d) for d in DOCUMENTS] + [
        {"code": "PHOTO", "name": text("Another photo"), "state_system": None}]
    problem, = problems_of(write_catalog(tmp_path / "catalog", documents=documents))
    assert_names_location(problem, "documents.yaml", None, None, "documents")
    assert "PHOTO" in problem.field
    assert "PHOTO" in problem.reason and "twice" in problem.reason


# --------------------------------------------------------------------------- several problems at once

def test_every_problem_of_a_catalog_is_listed(tmp_path):
    documents = [dict(d) for d in DOCUMENTS] + [
        {"code": "ID_CARD", "name": text("Identity card again"), "state_system": None}]
    services = [
        service("S1", versions=[version(required_documents=["APPLICATION", "NO_SUCH_DOC"])]),
        service("S2", versions=[
            version(effective_to="2026-03-31"),
            version(effective_from="2026-04-01", max_wait_minutes=0)]),
        service("S3", name={"kk": "x", "ru": "x"}),
        service("S4", versions=[version(deadline={"value": 2.5, "unit": "fortnights"})]),
    ]
    problems = problems_of(write_catalog(tmp_path / "catalog", services=services, documents=documents))
    find(problems, file="documents.yaml", field="documents[ID_CARD]")
    find(problems, service="S1", field="required_documents")
    find(problems, service="S2", version="2026-04-01", field="max_wait_minutes")
    find(problems, service="S3", field="name.en")
    find(problems, service="S4", field="deadline.value")
    find(problems, service="S4", field="deadline.unit")
    assert len(problems) == 6, problems


def test_every_problem_of_one_version_is_listed(tmp_path):
    """A version with a bad deadline AND an unknown document: both are reported at once."""
    folder = one_service(tmp_path, version(
        deadline={"value": -3, "unit": "working_days"},
        required_documents=["APPLICATION", "NO_SUCH_DOC"],
        obtained_by_office=["APPLICATION"]))
    problems = problems_of(folder)
    find(problems, field="deadline.value")
    unknown = [p for p in problems if "NO_SUCH_DOC" in p.reason]
    assert unknown, f"the unknown document NO_SUCH_DOC is not reported: {problems}"
    both = [p for p in problems if "APPLICATION" in p.reason and p.field == "obtained_by_office"]
    assert both, f"APPLICATION both required and obtained is not reported: {problems}"


def test_problems_in_every_version_are_listed(tmp_path):
    folder = one_service(tmp_path,
                         version(effective_to="2025-12-31", max_service_minutes=0),
                         version(effective_from="2026-01-01", max_service_minutes=-1))
    problems = problems_of(folder)
    find(problems, version="2024-01-01", field="max_service_minutes")
    find(problems, version="2026-01-01", field="max_service_minutes")


# --------------------------------------------------------------------------- YAML itself

def test_invalid_yaml_is_reported_with_its_file_name(tmp_path):
    folder = write_catalog(tmp_path / "catalog", raw_files={
        "services/S9.yaml": "code: S9\nname: {kk: a, ru: b\nversions: []\n"})
    problems = problems_of(folder)
    problem = find(problems, file="services/S9.yaml")
    assert "yaml" in problem.reason.lower()
    assert "services/S9.yaml" in str(problem)
    assert len(problems) == 1  # the other, valid files are not blamed


def test_invalid_yaml_in_documents_is_reported_with_its_file_name(tmp_path):
    folder = write_catalog(tmp_path / "catalog", raw_files={"documents.yaml": "documents: [\n  - code: X\n"})
    problems = problems_of(folder)
    problem = find(problems, file="documents.yaml", service=None)
    assert "yaml" in problem.reason.lower()


def test_a_folder_without_documents_or_services_is_refused(tmp_path):
    (tmp_path / "empty").mkdir()
    problems = problems_of(tmp_path / "empty")
    assert any("documents.yaml" in str(p) for p in problems)
    assert any("service" in str(p) for p in problems)


def test_a_missing_folder_is_refused(tmp_path):
    problems_of(tmp_path / "nowhere")


# --------------------------------------------------------------------------- codes stay as written

def test_a_service_code_with_leading_zeros_stays_a_string(tmp_path):
    unquoted = yaml.safe_dump(service("PLACEHOLDER"), allow_unicode=True, sort_keys=False) \
        .replace("code: PLACEHOLDER", "code: 00101")
    assert "code: 00101\n" in unquoted
    folder = write_catalog(tmp_path / "catalog", services=[service("00202")],
                           raw_files={"services/00101.yaml": unquoted})
    catalog = load_catalog(folder)
    assert set(catalog.services) == {"00101", "00202"}
    assert catalog.services["00101"].code == "00101"
    # ... and it survives an export and a reload.
    export_catalog(catalog, tmp_path / "out")
    assert load_catalog(tmp_path / "out") == catalog
    assert set(load_catalog(tmp_path / "out").services) == {"00101", "00202"}


def test_a_plain_numeric_service_code_becomes_its_digits(tmp_path):
    raw = yaml.safe_dump(service("PLACEHOLDER"), sort_keys=False).replace("code: PLACEHOLDER", "code: 701001")
    folder = write_catalog(tmp_path / "catalog", services=[], raw_files={"services/701001.yaml": raw})
    assert list(load_catalog(folder).services) == ["701001"]


# --------------------------------------------------------------------------- the bundled catalog

def _all_texts(catalog: Catalog):
    for document in catalog.documents.values():
        yield f"document {document.code} name", document.name
    for service_ in catalog.services.values():
        yield f"service {service_.code} name", service_.name
        yield f"service {service_.code} provider", service_.provider
        for version_ in service_.versions:
            where = f"service {service_.code} version {version_.effective_from}"
            yield f"{where} result", version_.result
            for ground in version_.refusal_grounds:
                yield f"{where} ground {ground.code}", ground.text
            for entry in version_.required_documents:
                if entry.when:
                    yield f"{where} when {entry.codes}", entry.when


def test_the_bundled_catalog_loads_and_is_rich_enough():
    catalog = load_catalog(BUNDLED_CATALOG)
    assert len(catalog.services) >= 12
    assert any(len(s.versions) >= 2 for s in catalog.services.values())
    kinds = {entry.kind for s in catalog.services.values() for v in s.versions
             for entry in v.required_documents}
    assert {"required", "conditional"} <= kinds
    assert any(v.obtained_by_office for s in catalog.services.values() for v in s.versions)
    assert all(v.refusal_grounds for s in catalog.services.values() for v in s.versions)
    # Versions come out in date order, each ending before the next begins.
    for service_ in catalog.services.values():
        for earlier, later in zip(service_.versions, service_.versions[1:]):
            assert earlier.effective_to is not None and earlier.effective_to < later.effective_from


def test_every_bundled_name_is_in_kazakh_russian_and_english():
    catalog = load_catalog(BUNDLED_CATALOG)
    checked = 0
    for where, text_ in _all_texts(catalog):
        for lang in ("kk", "ru", "en"):
            value = getattr(text_, lang)
            assert isinstance(value, str) and value.strip(), f"{where}: no {lang} text"
        assert CYRILLIC.search(text_.kk), f"{where}: the kk text is not in Kazakh: {text_.kk!r}"
        assert CYRILLIC.search(text_.ru), f"{where}: the ru text is not in Russian: {text_.ru!r}"
        assert LATIN.search(text_.en) and not CYRILLIC.search(text_.en), \
            f"{where}: the en text is not in English: {text_.en!r}"
        checked += 1
    assert checked > 0
    for service_ in catalog.services.values():
        assert service_.name.kk != service_.name.ru, f"service {service_.code}: kk name is the ru one"


# --------------------------------------------------------------------------- round trips

def test_export_then_load_gives_the_same_small_catalog(catalog_dir, tmp_path):
    catalog = load_catalog(catalog_dir)
    written = export_catalog(catalog, tmp_path / "out")
    assert (tmp_path / "out" / "documents.yaml") in written
    assert {p.name for p in written if p.parent.name == "services"} == {"S1.yaml", "S2.yaml", "S3.yaml"}
    again = load_catalog(tmp_path / "out")
    assert again == catalog
    # A second round is stable too (no drift through the exporter's formatting).
    export_catalog(again, tmp_path / "out2")
    assert load_catalog(tmp_path / "out2") == catalog


def test_export_round_trip_keeps_every_detail(tmp_path):
    detailed = version(
        effective_from="2025-01-01", effective_to="2025-12-31",
        legal_basis="Order No. 7: «quoted», with: colons",
        fee={"amount": 1725.5, "currency": "KZT"},
        required_documents=[
            "APPLICATION",
            {"any_of": ["MARRIAGE_CERT", "JOINT_APPLICATION"], "when": text("when the parents are married")},
            {"code": "POWER_OF_ATTORNEY", "when": {"kk": "өкіл", "ru": "представитель", "en": "a representative"}},
        ],
        obtained_by_office=[], channels=["online"])
    folder = write_catalog(tmp_path / "catalog", services=[service("S1", versions=[detailed])])
    catalog = load_catalog(folder)
    v = catalog.services["S1"].versions[0]
    assert v.fee == Fee(1725.5, "KZT")
    group = v.required_documents[1]
    assert (group.codes, group.any_of, group.kind) == (("MARRIAGE_CERT", "JOINT_APPLICATION"), True, "any_of")
    assert group.when.en == "when the parents are married"
    assert v.required_documents[2] == RequiredDocument(
        ("POWER_OF_ATTORNEY",), when=v.required_documents[2].when)
    assert v.required_documents[2].when.kk == "өкіл"
    export_catalog(catalog, tmp_path / "out")
    assert load_catalog(tmp_path / "out") == catalog


def test_export_then_load_gives_the_same_bundled_catalog(tmp_path):
    catalog = load_catalog(BUNDLED_CATALOG)
    export_catalog(catalog, tmp_path / "out")
    assert load_catalog(tmp_path / "out") == catalog


def test_the_database_round_trip_gives_the_same_small_catalog(app, catalog_dir):
    catalog = load_catalog(catalog_dir)
    counts = store_catalog(db.session, catalog)
    assert counts == {"services": 3, "documents": len(DOCUMENTS), "versions": 4}
    assert catalog_from_db(db.session) == catalog
    db.session.commit()
    db.session.expire_all()
    assert catalog_from_db(db.session) == catalog


def test_the_database_round_trip_gives_the_same_bundled_catalog(app):
    catalog = load_catalog(BUNDLED_CATALOG)
    store_catalog(db.session, catalog)
    db.session.commit()
    db.session.expire_all()
    assert catalog_from_db(db.session) == catalog


def test_the_database_round_trip_keeps_any_of_conditions_and_fractional_fees(app, tmp_path):
    detailed = version(
        fee={"amount": 1725.5, "currency": "KZT"},
        required_documents=[
            {"any_of": ["MARRIAGE_CERT", "JOINT_APPLICATION"], "when": text("when married")},
            "APPLICATION",
            {"code": "POWER_OF_ATTORNEY", "when": text("when a representative applies")},
        ], obtained_by_office=["PHOTO"])
    catalog = load_catalog(write_catalog(tmp_path / "catalog", services=[service("00101", versions=[detailed])]))
    store_catalog(db.session, catalog)
    db.session.commit()
    db.session.expire_all()
    assert catalog_from_db(db.session) == catalog


def test_storing_a_new_catalog_replaces_the_old_one_whole(app, catalog_dir, tmp_path):
    store_catalog(db.session, load_catalog(catalog_dir))
    db.session.commit()
    services = default_services()[:2]
    services[0] = service("S1", versions=[version(deadline={"value": 7, "unit": "calendar_days"},
                                                  obtained_by_office=["ADDRESS_CERT"])])
    newer = load_catalog(write_catalog(tmp_path / "newer", services=services,
                                       documents=[d for d in DOCUMENTS if d["code"] != "BIRTH_MEDICAL_CERT"]))
    store_catalog(db.session, newer)
    db.session.commit()
    db.session.expire_all()
    assert catalog_from_db(db.session) == newer


def test_an_invalid_catalog_loaded_through_the_cli_leaves_the_catalog_in_force(app, loaded_catalog, tmp_path):
    before = load_catalog(loaded_catalog)
    bad = write_catalog(tmp_path / "bad", services=[
        service("S1", versions=[version(deadline={"value": 1, "unit": "hours"})]),  # a valid change
        service("S9", versions=[version(obtained_by_office=["NO_SUCH_DOC"])]),      # and an error
    ])
    result = app.test_cli_runner().invoke(args=["catalog", "load", str(bad)])
    assert result.exit_code != 0
    assert "NO_SUCH_DOC" in result.output
    db.session.rollback()
    db.session.expire_all()
    assert catalog_from_db(db.session) == before
