"""`flask analyze --ocel`: an OCEL 2.0 JSON event log that the published schema accepts.

The schema is vendored in tests/data (see tests/data/README.md for its source).
"""
from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pandas as pd
import pytest

from .test_partitioned import national_log

SCHEMA = json.loads((Path(__file__).parent / "data" / "ocel20-schema-json.json").read_text())

pytestmark = [
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
]


def analyze_to_ocel(app, catalog, visits, out, *extra):
    result = app.test_cli_runner().invoke(args=[
        "analyze", "--catalog", str(catalog), "--visits", str(visits), "--as-of", "2026-05-20T12:00",
        "--ocel", str(out), *extra])
    assert result.exit_code == 0, result.output
    return json.loads(Path(out).read_text())


def test_the_event_log_validates_and_relates_every_visit_to_its_objects(app, catalog_dir, tmp_path):
    log = national_log(catalog_dir, visits=1500, seed=8)
    iin = "880101300010"  # a valid IIN: it must never appear in clear
    log.loc[log.index[:5], "applicant_ref"] = iin
    log.to_csv(tmp_path / "visits.csv", index=False)
    document = analyze_to_ocel(app, catalog_dir, tmp_path / "visits.csv", tmp_path / "log.jsonocel")

    validator = jsonschema.Draft7Validator(SCHEMA, format_checker=jsonschema.FormatChecker())
    assert [error.message for error in validator.iter_errors(document)] == []
    events = pd.DataFrame(document["events"])
    assert len(events) == len(log) and events["id"].is_unique
    assert set(events["type"]) == set(log["action"])
    objects = pd.DataFrame(document["objects"])
    assert objects["id"].is_unique
    kinds = objects.groupby("type").size()
    assert kinds["case"] == log.loc[log["case_id"] != "", "case_id"].nunique()
    assert kinds["office"] == len(set(log["office_code"]) | set(log["forwarded_to"]) - {""})
    assert kinds["applicant"] == log.loc[log["applicant_ref"] != "", "applicant_ref"].nunique()
    known = set(objects["id"])
    related = [r["objectId"] for e in document["events"] for r in e["relationships"]]
    related += [r["objectId"] for o in document["objects"] for r in o.get("relationships", [])]
    assert set(related) <= known
    # A visit of a case relates to that case, at its called_at (UTC).
    row = log[log["case_id"] != ""].iloc[0]
    event = next(e for e in document["events"] if e["id"] == row["visit_id"])
    assert {"objectId": f"case:{row['case_id']}", "qualifier": "case"} in event["relationships"]
    assert pd.Timestamp(event["time"]) == pd.Timestamp(row["called_at"]).tz_localize("Asia/Almaty")
    text = (tmp_path / "log.jsonocel").read_text()
    assert iin not in text and "AP0" not in text  # applicants only as keyed hashes


def test_the_dask_engine_writes_the_same_event_log(app, catalog_dir, tmp_path):
    national_log(catalog_dir, visits=1200, seed=6).to_csv(tmp_path / "visits.csv", index=False)
    single = analyze_to_ocel(app, catalog_dir, tmp_path / "visits.csv", tmp_path / "single.jsonocel")
    dask = analyze_to_ocel(app, catalog_dir, tmp_path / "visits.csv", tmp_path / "dask.jsonocel",
                           "--engine", "dask", "--workers", "2", "--worker-memory", "1GiB")
    for key in ("objectTypes", "eventTypes"):
        assert dask[key] == single[key]
    for key in ("events", "objects"):
        assert sorted(dask[key], key=lambda x: x["id"]) == sorted(single[key], key=lambda x: x["id"])


def _flatten_on_cases(document: dict) -> pd.DataFrame:
    """An OCEL 2.0 reader's flattening on the object type ``case`` (as process-mining tools do):
    one row per (case, event), read from the E2O relationships alone."""
    rows = [(r["objectId"], e["id"], e["type"], pd.Timestamp(e["time"]))
            for e in document["events"] for r in e["relationships"] if r["qualifier"] == "case"]
    return pd.DataFrame(rows, columns=["case", "event", "activity", "time"])


def test_the_findings_are_objects_linked_to_their_events_and_cases(app, catalog_dir, tmp_path):
    national_log(catalog_dir, visits=1500, seed=8).to_csv(tmp_path / "visits.csv", index=False)
    document = analyze_to_ocel(app, catalog_dir, tmp_path / "visits.csv", tmp_path / "log.jsonocel",
                               "--findings", str(tmp_path / "findings.csv"))
    validator = jsonschema.Draft7Validator(SCHEMA, format_checker=jsonschema.FormatChecker())
    assert [error.message for error in validator.iter_errors(document)] == []
    table = pd.read_csv(tmp_path / "findings.csv", dtype=str, keep_default_na=False)
    assert len(table) > 50 and table["rule"].nunique() >= 4
    objects = {o["id"]: o for o in document["objects"]}
    findings = {i: o for i, o in objects.items() if o["type"] == "finding"}
    assert len(findings) == len(table)  # one object per finding, none lost, none invented
    attributes = {i: {a["name"]: a["value"] for a in o["attributes"]} for i, o in findings.items()}
    assert sorted((a["rule"], a["clause"], a["severity"], a["detail"]) for a in attributes.values()) == \
        sorted(table[["rule", "clause", "severity", "detail"]].itertuples(index=False, name=None))
    declared = {t["name"]: [a["name"] for a in t["attributes"]] for t in document["objectTypes"]}
    assert declared["finding"] == ["rule", "clause", "severity", "detail"]
    events = {e["id"]: e for e in document["events"]}
    linked = {}  # finding id -> the events related to it
    for event in document["events"]:
        for r in event["relationships"]:
            if r["qualifier"] == "finding":
                assert r["objectId"] in findings
                linked.setdefault(r["objectId"], set()).add(event["id"])
    flat = _flatten_on_cases(document)
    for row in table.itertuples(index=False):
        [found] = [i for i, a in attributes.items()
                   if (a["rule"], a["detail"]) == (row.rule, row.detail)
                   and (i.startswith(f"finding:visit:{row.visit_id}:") if row.visit_id
                        else i.startswith(f"finding:case:{row.case_id}:"))]
        case_links = [r["objectId"] for r in findings[found]["relationships"] if r["qualifier"] == "case"]
        assert case_links == ([f"case:{row.case_id}"] if row.case_id else [])
        if row.case_id:  # the case lists its findings too
            assert {"objectId": found, "qualifier": "finding"} in objects[f"case:{row.case_id}"]["relationships"]
        if row.visit_id:  # a visit's finding: that visit, and only it
            assert linked[found] == {row.visit_id}
        else:  # a finding on a whole case: every visit of the case
            assert linked[found] == set(flat.loc[flat["case"] == f"case:{row.case_id}", "event"])
            assert all(f"case:{row.case_id}" in {r["objectId"] for r in events[e]["relationships"]}
                       for e in linked[found])
    # What a process-mining tool does with it: keep the cases related to a finding of one rule
    # and count their variants (the sequence of activities in time order).
    rule = table.loc[table["case_id"] != "", "rule"].value_counts().index[0]
    broke = {r["objectId"] for i, a in attributes.items() if a["rule"] == rule
             for r in findings[i]["relationships"] if r["qualifier"] == "case"}
    assert broke == {f"case:{c}" for c in table.loc[(table["rule"] == rule) & (table["case_id"] != ""), "case_id"]}
    variants = flat[flat["case"].isin(broke)].sort_values(["case", "time", "event"]) \
        .groupby("case")["activity"].agg(tuple).value_counts()
    assert variants.sum() == len(broke) and len(variants) >= 1
    clean = flat[~flat["case"].isin(broke)]["case"].nunique()
    assert clean + len(broke) == flat["case"].nunique()
