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
