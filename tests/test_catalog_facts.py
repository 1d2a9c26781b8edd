"""Issue 25, "The law kept true": the facts of the bundled catalog corrected against official
sources (docs/catalog.md, "Corrections of 6 December 2026"), pinned so that none can silently
regress, and the rule that no fact rests on a press or aggregator page alone.

Each pin names the service, the version (by its effective date) and the value. The monitor
accuses clerks from these facts: a pin that fails means a fact changed — check the source
before changing the pin.
"""
from __future__ import annotations

import datetime as dt
from urllib.parse import urlparse

import pytest

from monitor.extensions import db
from monitor.stores.catalog import catalog_from_db, store_catalog
from services_catalog import BUNDLED_CATALOG, CatalogError, export_catalog, load_catalog
from services_catalog.model import SOURCED_FACTS
from tests.catalogs import service as service_data, version, write_catalog

# Press and aggregator sites: never an official source of a fact. They may stay only beside an
# official source (adilet.zan.kz, egov.kz, gov.kz ...) and must then be marked ``secondary``.
PRESS_AND_AGGREGATOR_DOMAINS = (
    "aqjolgazet.kz", "baq.kz", "bestprofi.com", "bizmedia.kz", "cis-legislation.com", "ddn.kz",
    "ealegislation.com", "inform.kz", "informburo.kz", "kt.kz", "kz-reporter.com", "kzaif.kz", "lada.kz",
    "nur.kz", "prg.kz", "semeyainasy.media", "spinform.ru", "tengrinews.kz", "tumba.kz", "zakon.kz",
    "zhaikpress.kz",
)


def is_press(url: str) -> bool:
    host = (urlparse(url).hostname or "").lower()
    return any(host == domain or host.endswith("." + domain) for domain in PRESS_AND_AGGREGATOR_DOMAINS)


@pytest.fixture(scope="module")
def bundled():
    return load_catalog(BUNDLED_CATALOG)


def version_of(catalog, code: str, effective_from: str):
    """The version of ``code`` that starts on ``effective_from`` (the pin names it exactly)."""
    day = dt.date.fromisoformat(effective_from)
    found = [v for v in catalog.services[code].versions if v.effective_from == day]
    assert found, f"{code} has no version from {effective_from}"
    return found[0]


# ------------------------------------------------------------------ no fact on the press alone

def test_no_fact_rests_on_a_press_or_aggregator_page_alone(bundled):
    alone = []
    for service in bundled.services.values():
        for v in service.versions:
            for fact in v.provenance:
                if fact.assumed:
                    continue
                urls = [v.source(i).url for i in fact.sources]
                if all(is_press(url) for url in urls):
                    alone.append(f"{service.code} {v.effective_from} {fact.fact}: {', '.join(urls)}")
    assert alone == []


def test_every_press_or_aggregator_source_is_marked_secondary(bundled):
    unmarked = sorted({f"{service.code} {v.effective_from} {s.id} {s.url}"
                       for service in bundled.services.values() for v in service.versions
                       for s in v.sources if is_press(s.url) and not s.secondary})
    assert unmarked == []
    mrp_press = [f"{rate.year}: {rate.source.url}" for rate in bundled.mrp.values()
                 if is_press(rate.source.url) and not rate.source.secondary]
    assert mrp_press == []


def test_every_fact_is_sourced_or_assumed(bundled):
    for service in bundled.services.values():
        for v in service.versions:
            assert {p.fact for p in v.provenance} == set(SOURCED_FACTS), (service.code, v.effective_from)


# ------------------------------------------------------------------ the secondary marker (loader)

OFFICIAL = {"id": "order1", "title": "Order No. 1", "url": "https://adilet.zan.kz/rus/docs/V2400000001",
            "retrieved": "2026-12-06"}
PRESS = {"id": "news", "title": "A news report of Order No. 1", "url": "https://www.lada.kz/news/1.html",
         "retrieved": "2026-12-06", "secondary": True}


def _catalog_with(tmp_path, provenance_overrides=None, sources=None):
    facts = {fact: {"source": "order1"} for fact in SOURCED_FACTS}
    facts.update(provenance_overrides or {})
    v = version(sources=sources or [OFFICIAL, PRESS], provenance=facts)
    return write_catalog(tmp_path / "c", services=[service_data("S1", versions=[v])])


def test_a_secondary_source_beside_an_official_one_is_accepted_and_kept(tmp_path, app):
    folder = _catalog_with(tmp_path, {"fee": {"source": ["order1", "news"]}})
    catalog = load_catalog(folder)
    v = catalog.services["S1"].versions[0]
    assert v.source("news").secondary and not v.source("order1").secondary
    export_catalog(catalog, tmp_path / "out")
    assert load_catalog(tmp_path / "out") == catalog
    store_catalog(db.session, catalog)
    db.session.commit()
    db.session.expire_all()
    assert catalog_from_db(db.session) == catalog


def test_a_fact_on_secondary_sources_alone_is_rejected(tmp_path):
    folder = _catalog_with(tmp_path, {"fee": {"source": "news"}})
    with pytest.raises(CatalogError) as caught:
        load_catalog(folder)
    messages = [str(p) for p in caught.value.problems]
    assert any("field provenance.fee.source" in m and "only secondary sources" in m for m in messages), messages


def test_secondary_must_be_true_or_left_out(tmp_path):
    folder = _catalog_with(tmp_path, sources=[OFFICIAL, {**PRESS, "secondary": "yes"}])
    with pytest.raises(CatalogError) as caught:
        load_catalog(folder)
    assert any("sources[2].secondary" in str(p) for p in caught.value.problems)


# ------------------------------------------------------------------ the corrected facts, pinned

def test_701002_passport_2024_has_the_48_page_passport_at_12_mrp(bundled):
    fee = version_of(bundled, "701002", "2024-01-01").fee
    assert (fee.mrp, fee.amount) == (8, 29536)
    assert [(e.mrp, e.amount) for e in fee.exemptions] == [(4, 14768), (12, 44304)]
    # only press summaries of the Tax Code were found: the fee is assumed, never press-sourced
    for day in ("2023-01-01", "2024-01-01", "2025-01-01", "2026-01-01"):
        assert version_of(bundled, "701002", day).provenance_of("fee").assumed


def test_701005_the_2023_version_allowed_the_portal_and_a_plain_translation(bundled):
    old = version_of(bundled, "701005", "2023-01-01")
    assert old.effective_to == dt.date(2024, 2, 29)
    assert old.channels == ("front_desk", "online")
    assert "TRANSLATION_COPY" in old.lawful_codes and "NOTARISED_TRANSLATION" not in old.lawful_codes
    new = version_of(bundled, "701005", "2024-03-01")
    assert new.effective_to is None and new.channels == ("front_desk",)
    assert "NOTARISED_TRANSLATION" in new.lawful_codes and "TRANSLATION_COPY" not in new.lawful_codes


def test_702002_child_care_allowance_runs_to_one_and_a_half_years(bundled):
    allowance = bundled.services["702002"]
    assert "полутора лет" in allowance.name.ru and "бір жарым жасқа" in allowance.name.kk
    assert "one and a half years" in allowance.name.en
    for day in ("2023-01-01", "2023-07-01"):
        grounds = {g.code: g.text for g in version_of(bundled, "702002", day).refusal_grounds}
        assert grounds["R3"].ru == "Достижение ребенком возраста полутора лет"
        assert "одного года" not in " ".join(g.ru for g in grounds.values())
    assert "пособие до полутора лет" in allowance.keywords.ru and "пособие до года" not in allowance.keywords.ru


def test_702005_the_office_reads_the_disability_and_marriage_records_itself(bundled):
    v = version_of(bundled, "702005", "2023-07-01")
    assert {"CHILD_DISABILITY_CERT", "MARRIAGE_CERT", "DIVORCE_CERT", "BIRTH_CERT"} <= set(v.obtained_by_office)
    assert not {"CHILD_DISABILITY_CERT", "MARRIAGE_CERT"} & v.lawful_codes
    foreign = [e for e in v.required_documents if e.codes == ("FOREIGN_MARRIAGE_CERT",)]
    assert foreign and foreign[0].when and "outside the Republic of Kazakhstan" in foreign[0].when.en
    assert v.provenance_of("required_documents").sources == ("egov_pass158",)


@pytest.mark.parametrize("day", ["2023-01-01", "2024-01-01", "2025-01-01", "2026-01-01", "2026-03-10"])
def test_703002_a_marriage_is_registered_in_15_calendar_days(bundled, day):
    v = version_of(bundled, "703002", day)
    assert (v.deadline.value, v.deadline.unit) == (15, "calendar_days")
    assert "moj630" in v.provenance_of("deadline").sources


@pytest.mark.parametrize("code", ["703002", "703003"])
def test_the_2026_versions_name_the_tax_code_in_force_from_2026(bundled, code):
    v = version_of(bundled, code, "2026-01-01")
    for language in ("kk", "ru", "en"):
        assert "214-VIII" in v.legal_basis_in(language), language
    assert not any(s.url.endswith("K1700000120") for s in v.sources)   # Tax Code 120-VI: not in force in 2026
    assert v.provenance_of("fee").assumed
    later = version_of(bundled, code, "2026-03-10")
    assert "Deputy Prime Minister" in later.legal_basis_in("en")
    assert later.provenance_of("fee").assumed                           # the order was found only in the press


def test_703003_divorce_under_a_court_decision_costs_345_from_10_march_2026(bundled):
    fee = version_of(bundled, "703003", "2026-03-10").fee
    assert fee.amount == 6900
    assert [e.amount for e in fee.exemptions] == [345]
    assert "court decision" in fee.exemptions[0].when.en


def test_703005_the_deadline_and_fee_stay_assumed_with_their_reasons(bundled):
    for day in ("2023-01-01", "2026-03-10"):
        v = version_of(bundled, "703005", day)
        assert v.provenance_of("deadline").assumed and "15 calendar days" in v.provenance_of("deadline").note
        assert v.provenance_of("fee").assumed
    assert "not a free service" in version_of(bundled, "703005", "2023-01-01").provenance_of("fee").note
    assert version_of(bundled, "703005", "2026-03-10").fee.amount == 1725


def test_703006_repeat_certificates_are_not_free_and_their_documents_are_sourced(bundled):
    v = version_of(bundled, "703006", "2023-01-01")
    assert v.provenance_of("fee").assumed and v.provenance_of("fee").note.startswith("NOT FREE")
    assert v.provenance_of("required_documents").sources == ("govkz_3203",)
    assert {"APPLICATION", "POWER_OF_ATTORNEY", "PAYMENT_RECEIPT"} <= v.lawful_codes


@pytest.mark.parametrize(("day", "tenge", "with_car_plates"), [
    ("2023-01-01", 5175, 14835), ("2024-01-01", 5538, 15875.6), ("2025-01-01", 5898, 16907.6),
    ("2026-01-01", 6487.5, 18597.5),
])
def test_705002_vehicle_registration_duties_in_mrp(bundled, day, tenge, with_car_plates):
    fee = version_of(bundled, "705002", day).fee
    assert (fee.mrp, fee.amount) == (1.5, tenge)
    assert [e.mrp for e in fee.exemptions] == [1.25, 4.3, 2.9]
    assert fee.exemptions[1].amount == with_car_plates
    assert version_of(bundled, "705002", day).provenance_of("fee").assumed == (day == "2026-01-01")


def test_708001_the_childs_birth_certificate_may_be_asked_for(bundled):
    v = version_of(bundled, "708001", "2023-01-01")
    assert "BIRTH_CERT" in v.lawful_codes and "BIRTH_CERT" not in v.obtained_by_office
    assert "govkz_3042" in v.provenance_of("required_documents").sources
    assert (v.deadline.value, v.deadline.unit) == (30, "minutes")
    assert v.provenance_of("deadline").sources == ("egov_037",)


def test_the_mrp_of_2023_comes_from_gov_kz(bundled):
    rate = bundled.mrp[2023]
    assert rate.amount == 3450 and urlparse(rate.source.url).hostname == "www.gov.kz"
