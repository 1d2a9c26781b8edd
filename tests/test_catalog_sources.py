"""Sources as catalog data (issue 11): per-fact provenance, fees in МРП, the extended format's
round trips, the unverified base format, and the corrected facts of the bundled catalog."""
from __future__ import annotations

import datetime as dt
import re

import pytest
import yaml

from monitor.compliance.catalog_frames import CatalogFrames
from monitor.extensions import db
from monitor.stores.catalog import catalog_from_db, store_catalog
from services_catalog import (
    BUNDLED_CATALOG,
    CatalogError,
    Fee,
    FeeExemption,
    export_catalog,
    load_catalog,
    unverified_versions,
)
from services_catalog.model import SOURCED_FACTS
from tests.catalogs import service, text, version, write_catalog

SOURCE = {"id": "order1", "title": "Order No. 1 of the Minister", "act_number": "1",
          "act_date": "2024-01-01", "url": "https://adilet.zan.kz/rus/docs/V2400000001", "retrieved": "2026-12-01"}
PAGE = {"id": "egov", "title": "egov.kz service passport", "url": "https://egov.kz/cms/ru/services/x",
        "retrieved": "2026-11-30"}
MRP = {"mrp": [{"year": year, "amount": amount, "source": {
    "id": f"mrp{year}", "title": f"Law on the republican budget ({year})",
    "url": "https://adilet.zan.kz/rus/docs/Z0000000000", "retrieved": "2026-12-01"}}
    for year, amount in ((2024, 3692), (2025, 3932), (2026, 4325))]}


def provenance(**overrides):
    facts = {fact: {"source": "order1"} for fact in SOURCED_FACTS}
    facts["max_wait_minutes"] = {"assumed": True, "note": "not published per service"}
    facts["deadline"] = {"source": ["order1", "egov"], "note": "5 working days"}
    facts.update(overrides)
    return {k: v for k, v in facts.items() if v is not None}


def sourced(**overrides):
    data = {"sources": [SOURCE, PAGE], "provenance": provenance()}
    data.update(overrides)
    return version(**data)


def with_mrp(folder):
    (folder / "mrp.yaml").write_text(yaml.safe_dump(MRP, allow_unicode=True), encoding="utf-8")
    return folder


def problems_of(folder) -> list[str]:
    with pytest.raises(CatalogError) as caught:
        load_catalog(folder)
    return [str(p) for p in caught.value.problems]


# ------------------------------------------------------------------ the base format stays valid

def test_a_base_format_catalog_loads_unverified_and_judges_as_before(catalog_dir):
    catalog = load_catalog(catalog_dir)
    assert len(catalog.services) == 3
    assert all(not v.verified and v.sources == () and v.provenance == ()
               for s in catalog.services.values() for v in s.versions)
    assert [(code, v.effective_from) for code, v in unverified_versions(catalog)] == [
        ("S1", dt.date(2024, 1, 1)), ("S2", dt.date(2024, 1, 1)), ("S2", dt.date(2026, 4, 1)),
        ("S3", dt.date(2024, 1, 1))]
    # The engine reads the same limits and documents as before the extension.
    frames = CatalogFrames.from_catalog(catalog)
    assert frames.versions["deadline_value"].tolist() == [5, 10, 3, 2]
    assert set(frames.documents["kind"]) == {"lawful", "obtained"}
    assert catalog.mrp == {}
    assert catalog.services["S1"].versions[0].fee == Fee(0, "KZT")


def test_a_sourced_version_loads_with_its_sources_and_provenance(tmp_path):
    catalog = load_catalog(write_catalog(tmp_path / "c", services=[service("S1", versions=[sourced()])]))
    v = catalog.services["S1"].versions[0]
    assert v.verified
    assert [s.id for s in v.sources] == ["order1", "egov"]
    assert v.sources[0].act_number == "1" and v.sources[0].act_date == dt.date(2024, 1, 1)
    assert v.sources[1].retrieved == dt.date(2026, 11, 30) and v.sources[1].act_number is None
    assert v.provenance_of("deadline").sources == ("order1", "egov")
    assert v.provenance_of("deadline").note == "5 working days"
    assert [p.fact for p in v.assumed_facts] == ["max_wait_minutes"]
    assert unverified_versions(catalog) == []


# ------------------------------------------------------------------ the validator

@pytest.mark.parametrize("fact", SOURCED_FACTS)
def test_a_version_with_sources_rejects_a_fact_with_neither_source_nor_assumed(tmp_path, fact):
    folder = write_catalog(tmp_path / "c", services=[service("S7", versions=[
        sourced(provenance=provenance(**{fact: None}))])])
    found = problems_of(folder)
    assert len(found) == 1
    assert found[0].startswith("services/S7.yaml, service S7, version 1 (from 2024-01-01), "
                               f"field provenance.{fact}: the fact {fact} names no source")


@pytest.mark.parametrize(("entry", "field", "reason"), [
    ({"assumed": True}, "provenance.fee.note", "an assumed fact needs a note"),
    ({"source": "nowhere"}, "provenance.fee.source", "source nowhere is not in this version's sources"),
    ({"source": []}, "provenance.fee.source", "names no source id"),
    ({"source": "order1", "assumed": True, "note": "x"}, "provenance.fee", "either sourced or assumed"),
    ({"sources": "order1"}, "provenance.fee", "unknown keys sources"),
])
def test_a_bad_provenance_entry_is_named(tmp_path, entry, field, reason):
    folder = write_catalog(tmp_path / "c", services=[
        service("S1", versions=[sourced(provenance=provenance(fee=entry))])])
    found = problems_of(folder)
    assert any(f"field {field}:" in p and reason in p for p in found), found


@pytest.mark.parametrize(("source", "field", "reason"), [
    ({**SOURCE, "url": "adilet.zan.kz/rus"}, "sources[1].url", "must be an http(s) address"),
    ({**SOURCE, "retrieved": None}, "sources[1].retrieved", "is not a date"),
    ({k: v for k, v in SOURCE.items() if k != "title"}, "sources[1].title", "the title of the source is required"),
    ({**SOURCE, "id": "two words"}, "sources[1].id", "must be a short id"),
])
def test_a_bad_source_is_named(tmp_path, source, field, reason):
    folder = write_catalog(tmp_path / "c", services=[service("S1", versions=[sourced(sources=[source, PAGE])])])
    assert any(f"field {field}:" in p and reason in p for p in problems_of(folder))


def test_an_unknown_fact_and_a_repeated_source_id_are_rejected(tmp_path):
    folder = write_catalog(tmp_path / "c", services=[service("S1", versions=[sourced(
        sources=[SOURCE, {**PAGE, "id": "order1"}], provenance={**provenance(), "colour": {"source": "order1"}})])])
    found = problems_of(folder)
    assert any("field provenance.colour: unknown fact" in p for p in found)
    assert any("field sources[2].id: source id order1 is used twice" in p for p in found)


def test_cli_validate_warns_about_unverified_and_require_sources_rejects_them(app, catalog_dir):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["catalog", "validate", str(catalog_dir)])
    assert result.exit_code == 0, result.output
    assert "valid (3 services, 4 versions" in result.output
    assert "warning: service S2, version from 2026-04-01: no sources - not checked against official sources" \
        in result.output
    strict = runner.invoke(args=["catalog", "validate", "--require-sources", str(catalog_dir)])
    assert strict.exit_code == 1
    assert "error: service S1, version from 2024-01-01: no sources" in strict.output
    assert "4 versions have no sources (--require-sources)" in strict.output


def test_cli_validate_rejects_an_unsourced_fact(app, tmp_path):
    folder = write_catalog(tmp_path / "c", services=[service("S1", versions=[
        sourced(provenance=provenance(refusal_grounds=None))])])
    result = app.test_cli_runner().invoke(args=["catalog", "validate", str(folder)])
    assert result.exit_code != 0
    assert "field provenance.refusal_grounds: the fact refusal_grounds names no source" in result.output


def test_the_bundled_catalog_passes_validate_with_require_sources(app):
    result = app.test_cli_runner().invoke(args=["catalog", "validate", "--require-sources", str(BUNDLED_CATALOG)])
    assert result.exit_code == 0, result.output
    assert "warning" not in result.output and "error" not in result.output


# ------------------------------------------------------------------ fees in МРП

def test_a_fee_in_mrp_is_converted_with_the_mrp_of_the_versions_year(tmp_path):
    folder = with_mrp(write_catalog(tmp_path / "c", services=[service("S1", versions=[
        sourced(effective_from="2025-01-01", effective_to="2025-12-31", fee={"mrp": 8}),
        sourced(effective_from="2026-01-01", effective_to=None, fee={"mrp": 0.2, "exemptions": [
            {"when": text("first card"), "amount": 0}, {"when": text("children"), "mrp": 4}]}),
    ])]))
    catalog = load_catalog(folder)
    v2025, v2026 = catalog.services["S1"].versions
    assert v2025.fee == Fee(31456, "KZT", 8)
    assert v2026.fee.amount == 865 and v2026.fee.mrp == 0.2
    assert v2026.fee.exemptions == (FeeExemption(v2026.fee.exemptions[0].when, 0),
                                    FeeExemption(v2026.fee.exemptions[1].when, 17300, 4))
    assert catalog.mrp[2026].amount == 4325 and catalog.mrp[2026].source.id == "mrp2026"


@pytest.mark.parametrize(("period", "reason"), [
    ({"effective_from": "2025-06-01", "effective_to": "2026-05-31"}, "a fee in МРП changes every 1 January"),
    ({"effective_from": "2023-01-01", "effective_to": "2023-12-31"}, "needs the МРП of 2023 in mrp.yaml"),
    ({"effective_from": "2025-01-01", "effective_to": None}, "must start in the latest МРП year (2026)"),
])
def test_a_fee_in_mrp_must_have_one_known_year(tmp_path, period, reason):
    folder = with_mrp(write_catalog(tmp_path / "c", services=[
        service("S1", versions=[sourced(fee={"mrp": 1}, **period)])]))
    assert any("field fee.mrp:" in p and reason in p for p in problems_of(folder))


def test_a_fee_gives_amount_or_mrp_not_both(tmp_path):
    folder = with_mrp(write_catalog(tmp_path / "c", services=[service("S1", versions=[
        sourced(effective_from="2026-01-01", fee={"mrp": 1, "amount": 4325})])]))
    assert any("field fee: give either amount (tenge) or mrp, not both" in p for p in problems_of(folder))


# ------------------------------------------------------------------ round trips

def _rich_catalog(tmp_path):
    exemptions = [{"when": text("children"), "mrp": 4}, {"when": text("veterans"), "amount": 0}]
    rich = sourced(effective_from="2026-01-01", fee={"mrp": 8, "exemptions": exemptions},
                   legal_basis={"kk": "Бұйрық № 1", "ru": "Приказ № 1", "en": "Order No. 1"})
    older = sourced(effective_from="2025-01-01", effective_to="2025-12-31", fee={"amount": 1725.5, "currency": "KZT"})
    keywords = {"kk": ["тіркеу"], "ru": ["прописка", "регистрация по месту жительства"], "en": ["propiska"]}
    folder = with_mrp(write_catalog(tmp_path / "c", services=[
        service("S1", versions=[older, rich], keywords=keywords), service("S2")]))
    return load_catalog(folder)


def test_export_then_load_keeps_sources_provenance_mrp_keywords_and_texts(tmp_path):
    catalog = _rich_catalog(tmp_path)
    s1 = catalog.services["S1"]
    assert s1.keywords.ru == ("прописка", "регистрация по месту жительства")
    assert s1.versions[1].legal_basis == "Order No. 1" and s1.versions[1].legal_basis_in("ru") == "Приказ № 1"
    written = export_catalog(catalog, tmp_path / "out")
    assert tmp_path / "out" / "mrp.yaml" in written
    again = load_catalog(tmp_path / "out")
    assert again == catalog
    exported = yaml.safe_load((tmp_path / "out" / "services" / "S1.yaml").read_text(encoding="utf-8"))
    assert exported["versions"][1]["fee"] == {"mrp": 8, "exemptions": [
        {"when": text("children"), "mrp": 4}, {"when": text("veterans"), "amount": 0}]}
    assert exported["versions"][1]["provenance"]["max_wait_minutes"] == {
        "assumed": True, "note": "not published per service"}
    plain = yaml.safe_load((tmp_path / "out" / "services" / "S2.yaml").read_text(encoding="utf-8"))
    assert "sources" not in plain["versions"][0]


def test_the_database_round_trip_keeps_sources_provenance_mrp_keywords_and_texts(app, tmp_path):
    catalog = _rich_catalog(tmp_path)
    store_catalog(db.session, catalog)
    db.session.commit()
    db.session.expire_all()
    assert catalog_from_db(db.session) == catalog


# ------------------------------------------------------------------ the corrected bundled catalog

@pytest.fixture(scope="module")
def bundled():
    return load_catalog(BUNDLED_CATALOG)


def in_force(catalog, code, day):
    found = catalog.version_in_force(code, dt.date.fromisoformat(day))
    assert found is not None, f"no version of {code} in force on {day}"
    return found


def test_the_bundled_catalog_is_sourced_and_large_enough(bundled):
    assert len(bundled.services) >= 24
    assert unverified_versions(bundled) == []
    assert {year: rate.amount for year, rate in bundled.mrp.items()} == {2023: 3450, 2024: 3692, 2025: 3932, 2026: 4325}
    for service_ in bundled.services.values():
        assert service_.keywords.kk and service_.keywords.ru and service_.keywords.en, service_.code
        for v in service_.versions:
            assert v.legal_basis_text is not None, service_.code
            assert {p.fact for p in v.provenance} == set(SOURCED_FACTS)


def test_a_standard_passport_costs_8_mrp_in_2026(bundled):
    fee = in_force(bundled, "701002", "2026-06-01").fee
    assert (fee.mrp, fee.amount, fee.currency) == (8, 34600, "KZT")
    assert [(e.mrp, e.amount) for e in fee.exemptions] == [(4, 17300), (12, 51900)]
    earlier = [in_force(bundled, "701002", f"{year}-06-01").fee.amount for year in (2023, 2024, 2025)]
    assert earlier == [27600, 29536, 31456]


def test_the_criminal_record_certificate_takes_10_minutes(bundled):
    deadline = in_force(bundled, "704001", "2026-06-01").deadline
    assert (deadline.value, deadline.unit) == (10, "minutes")


def test_no_address_certificate_service_is_in_force(bundled):
    assert "701004" not in bundled.services
    names = [s.name.en.lower() for s in bundled.services.values()]
    assert not any("address certificate" in name for name in names)
    # ... but the office must never ask for it: it stays a document the office reads itself.
    assert bundled.documents["ADDRESS_CERT"].state_system == "GBD_FL"
    assert "ADDRESS_CERT" in in_force(bundled, "701003", "2026-06-01").obtained_by_office
    assert not any("ADDRESS_CERT" in v.lawful_codes for s in bundled.services.values() for v in s.versions)


@pytest.mark.parametrize(("code", "day", "value", "unit"), [
    ("701003", "2026-01-15", 15, "minutes"),
    ("703001", "2026-01-15", 2, "working_days"),
    ("703004", "2026-01-15", 1, "working_days"),
    ("705001", "2026-01-15", 2, "hours"),
])
def test_corrected_deadlines(bundled, code, day, value, unit):
    deadline = in_force(bundled, code, day).deadline
    assert (deadline.value, deadline.unit) == (value, unit)


def test_the_dated_versions_of_2026(bundled):
    assert in_force(bundled, "703002", "2026-03-09").fee.amount == 4325      # 1 МРП
    assert in_force(bundled, "703002", "2026-03-10").fee == Fee(3450, "KZT")
    divorce = in_force(bundled, "703003", "2026-03-10").fee
    # issue 25: 345 KZT on one spouse's application under a court decision (tests/test_catalog_facts.py)
    assert (divorce.amount, divorce.currency, [e.amount for e in divorce.exemptions]) == (6900, "KZT", [345])
    card = in_force(bundled, "701001", "2026-02-01").fee
    assert card.amount == 865 and {e.amount for e in card.exemptions} == {0}
    assert {e.when.en for e in card.exemptions} == {"First identity card", "Replacement on expiry"}
    pilot = in_force(bundled, "701003", "2026-01-15")
    assert pilot.effective_from == dt.date(2025, 11, 11) and pilot.effective_to == dt.date(2026, 6, 30)
    assert any(e.when and "minor or incapable" in e.when.en for e in pilot.required_documents)


def test_legal_bases_name_their_acts(bundled):
    for code in ("701001", "701002", "701003"):
        assert "No. 267 of 30 March 2020 (reg. No. 20192)" in in_force(bundled, code, "2026-01-15").legal_basis
    assert "No. 862 of 2 December 2014" in in_force(bundled, "705001", "2026-01-15").legal_basis
    assert "№ 267" in in_force(bundled, "701001", "2026-01-15").legal_basis_in("ru")


def test_minors_documents_and_death_registration_documents(bundled):
    card = in_force(bundled, "701001", "2026-01-15")
    assert {"BIRTH_CERT", "LEGAL_REPRESENTATIVE_ID"} <= card.lawful_codes
    assert "BIRTH_CERT" not in card.obtained_by_office
    death = in_force(bundled, "703004", "2026-01-15")
    assert {"POWER_OF_ATTORNEY", "MILITARY_ID", "KINSHIP_DOC"} <= death.lawful_codes


def test_state_systems_follow_one_scheme(bundled):
    systems = {d.state_system for d in bundled.documents.values() if d.state_system}
    assert systems and all(re.fullmatch(r"(GBD|IS)_[A-Z]+", s) for s in systems), systems
    assert "IS_MZ" not in systems


# ------------------------------------------------------------------ shown to citizens

def test_the_service_page_lists_sources_with_links_and_dates_and_assumed_facts(app, client):
    store_catalog(db.session, load_catalog(BUNDLED_CATALOG))
    db.session.commit()
    page = client.get("/services/701002?lang=en").get_data(as_text=True)
    assert 'href="https://adilet.zan.kz/rus/docs/V2000020192"' in page
    assert "Checked on 1 December 2026." in page
    assert "34,600\u00a0KZT (8 MCI)" in page  # the amount and currency never split
    assert "Longest lawful wait in the queue" in page and "Assumed, not confirmed by an official source:" in page
    assert "Not checked against official sources." not in page
    ru = client.get("/services/701002?lang=ru").get_data(as_text=True)
    assert "Проверено 1 декабря 2026 г." in ru or "Проверено 1 декабря 2026" in ru
    assert "приказ Министра внутренних дел от 30 марта 2020 года № 267 (рег. № 20192), с изменениями</a> " \
        "(adilet.zan.kz) — № 267 от 30 марта 2020" in ru  # the act by its title in Russian
    assert "34\xa0600\xa0KZT (8 МРП)" in ru
    assert "Закон Республики Казахстан от 29 января 2013 года № 73-V" in ru
    kk = client.get("/services/701002?lang=kk").get_data(as_text=True)
    assert "(8 АЕК)" in kk and "Дереккөздер" in kk
    assert "Ішкі істер министрінің 2020 жылғы 30 наурыздағы № 267 бұйрығы (тіркеу № 20192), өзгерістерімен</a>" in kk


def test_an_unverified_service_page_says_so(client, loaded_catalog):
    for lang, words in (("en", "Not checked against official sources."),
                        ("ru", "Не проверено по официальным источникам.")):
        page = client.get(f"/services/S1?lang={lang}").get_data(as_text=True)
        assert words in page


def test_a_service_whose_facts_are_mostly_assumed_is_marked_not_verified(app, client):
    catalog = load_catalog(BUNDLED_CATALOG)
    vehicles = in_force(catalog, "705002", "2026-06-01")
    assert vehicles.verified and vehicles.mostly_assumed
    assert not in_force(catalog, "704001", "2026-06-01").mostly_assumed
    store_catalog(db.session, catalog)
    db.session.commit()
    page = client.get("/services/705002?lang=ru").get_data(as_text=True)
    assert "Не проверено: большинство сведений об этой услуге не подтверждены" in page
    assert "Не проверено: большинство" not in client.get("/services/704001?lang=ru").get_data(as_text=True)
