"""Which services a catalog change can judge differently, and from which day
(``compliance.services_judged_differently``): a catalog load re-judges those services' visits
and cases from that day on, and marks the weekly cells stale from its week."""
from __future__ import annotations

import copy
import datetime as dt

from monitor.compliance import services_judged_differently
from services_catalog import load_catalog

from .catalogs import default_services, service, text, version, write_catalog


def judged_differently(tmp_path, change) -> dict[str, dt.date]:
    """The reach of ``change`` (a function editing the default services in place)."""
    services = default_services()
    before = load_catalog(write_catalog(tmp_path / "before", services=copy.deepcopy(services)))
    change(services)
    return services_judged_differently(before, load_catalog(write_catalog(tmp_path / "after", services=services)))


def test_the_same_catalog_reaches_nothing(tmp_path):
    assert judged_differently(tmp_path, lambda services: None) == {}


def test_words_the_engine_does_not_read_reach_nothing(tmp_path):
    def reword(services):
        services[0]["name"] = text("Another name")
        services[1]["versions"][1].update(legal_basis="Order No. 2 of 1 April 2026",
                                          fee={"amount": 500, "currency": "KZT"})
    assert judged_differently(tmp_path, reword) == {}


def test_a_new_version_reaches_its_service_from_the_day_it_takes_effect(tmp_path):
    def new_version(services):
        services[0]["versions"][0]["effective_to"] = "2026-05-31"
        services[0]["versions"].append(version(effective_from="2026-06-01",
                                               deadline={"value": 3, "unit": "working_days"}))
    assert judged_differently(tmp_path, new_version) == {"S1": dt.date(2026, 6, 1)}


def test_a_new_version_that_judges_as_the_one_before_reaches_nothing(tmp_path):
    def same_rules(services):
        services[0]["versions"][0]["effective_to"] = "2026-05-31"
        services[0]["versions"].append(version(effective_from="2026-06-01", legal_basis="Order No. 9 of 1 June 2026"))
    assert judged_differently(tmp_path, same_rules) == {}


def test_a_change_of_an_earlier_version_reaches_from_that_versions_first_day(tmp_path):
    """S2's second version (from 2026-04-01) gains a lawful document; S3's only version (from
    2024-01-01) gets a longer desk limit; S1 is not touched."""
    def change(services):
        services[1]["versions"][1]["required_documents"] = ["APPLICATION", "MARRIAGE_CERT"]
        services[2]["versions"][0]["max_service_minutes"] = 25
    assert judged_differently(tmp_path, change) == {"S2": dt.date(2026, 4, 1), "S3": dt.date(2024, 1, 1)}


def test_each_kind_of_fact_the_engine_reads_moves_the_day(tmp_path):
    """The deadline's unit, the queue limit, a document the office obtains, a refusal ground."""
    for edit in ({"deadline": {"value": 10, "unit": "working_days"}}, {"max_wait_minutes": 16},
                 {"obtained_by_office": ["ID_CARD"]},
                 {"refusal_grounds": [{"code": "R9", "text": text("another ground")}]}):
        folder = tmp_path / str(len(list(tmp_path.iterdir())))
        assert judged_differently(folder, lambda services, e=edit: services[1]["versions"][1].update(e)) \
            == {"S2": dt.date(2026, 4, 1)}, edit


def test_ending_a_version_reaches_the_days_it_no_longer_covers(tmp_path):
    """S1 ends on 2026-09-30 with nothing after it: from 2026-10-01 no version is in force."""
    assert judged_differently(tmp_path, lambda services: services[0]["versions"][0].update(
        effective_to="2026-09-30")) == {"S1": dt.date(2026, 10, 1)}


def test_moving_the_day_a_version_takes_effect_reaches_from_the_earlier_of_the_two(tmp_path):
    """S2's second version takes effect a week earlier: the days between are judged by it."""
    def earlier(services):
        services[1]["versions"][0]["effective_to"] = "2026-03-24"
        services[1]["versions"][1]["effective_from"] = "2026-03-25"
    assert judged_differently(tmp_path, earlier) == {"S2": dt.date(2026, 3, 25)}

    def later(services):
        services[1]["versions"][0]["effective_to"] = "2026-04-07"
        services[1]["versions"][1]["effective_from"] = "2026-04-08"
    assert judged_differently(tmp_path / "later", later) == {"S2": dt.date(2026, 4, 1)}


def test_an_added_service_reaches_from_its_first_day(tmp_path):
    def add(services):
        services.append(service("S4", versions=[version(effective_from="2025-02-01")]))
    assert judged_differently(tmp_path, add) == {"S4": dt.date(2025, 2, 1)}
