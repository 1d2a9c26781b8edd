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

from services_catalog import BUNDLED_CATALOG, CatalogError, load_catalog
from services_catalog.model import SOURCED_FACTS

# Press and aggregator sites: never an official source of a fact. They may stay only beside an
# official source (adilet.zan.kz, egov.kz, gov.kz ...) and must then be marked ``secondary``.
PRESS_AND_AGGREGATOR_DOMAINS = (
    "aqjolgazet.kz", "baq.kz", "bestprofi.com", "bizmedia.kz", "cis-legislation.com", "ddn.kz",
    "ealegislation.com", "inform.kz", "informburo.kz", "kt.kz", "kz-reporter.com", "kzaif.kz", "lada.kz",
    "nur.kz", "prg.kz", "spinform.ru", "tengrinews.kz", "zakon.kz", "zhaikpress.kz",
)


def is_press(url: str) -> bool:
    host = (urlparse(url).hostname or "").lower()
    return any(host == domain or host.endswith("." + domain) for domain in PRESS_AND_AGGREGATOR_DOMAINS)


@pytest.fixture(scope="module")
def bundled():
    return load_catalog(BUNDLED_CATALOG)


def version(catalog, code: str, effective_from: str):
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
