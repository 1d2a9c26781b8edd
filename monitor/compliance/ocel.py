"""The visit log as an OCEL 2.0 object-centric event log (JSON), for process mining.

Objects are cases, applicants, offices and findings; events are visits, typed by their
action, at their ``called_at`` (the order the spec gives a case's visits). Each event relates
to its case (``case``), its office (``office``), its applicant (``applicant``) and, for a
forward, the office it went to (``forwarded_to``). A case relates to its applicant and to
the office of its first visit. Applicants appear only as keyed hashes (never an IIN in
clear).

A finding (a broken rule, as ``flask analyze --findings`` lists it) is an object of type
``finding`` with its rule, clause, severity and detail. The visit that broke a rule relates
to its finding; a finding on a whole case (a missed deadline, too many hand-offs ...) is
related from every visit of the case. A finding relates to its case, and the case to its
findings (all qualified ``finding`` / ``case``), so a process-mining tool can keep the cases,
and so the variants, that broke a given rule.

Format: https://www.ocel-standard.org/2.0/ocel20_specification.pdf, "JSON format";
attribute values are text, as the published JSON schema requires.

The log is written in shares (one per partition of the Dask engine, or one for the whole
log) that hold disjoint events, cases, applicants and findings; ``write_ocel`` joins them.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from .applicants import applicant_hashes
from .visit_log import ACTIONS

EVENT_ATTRIBUTES = ("staff_id", "finished_at", "ticket_at", "documents_requested", "refusal_ground")
CASE_ATTRIBUTES = ("service_code",)
FINDING_ATTRIBUTES = ("rule", "clause", "severity", "detail")
_STATIC = "1970-01-01T00:00:00Z"  # the spec's time of an attribute value that never changes


def _moment(values: pd.Series) -> np.ndarray:
    text = values.dt.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return text.fillna("").to_numpy(dtype=object)


def finding_ids(findings: pd.DataFrame) -> pd.Series:
    """A stable id per finding: ``finding:visit:<visit_id>:<rule>`` or ``finding:case:<case_id>:<rule>``,
    with ``:2``, ``:3`` ... when one visit or case breaks a rule more than once."""
    on_visit = findings["visit_id"].astype(str) != ""
    owner = np.where(on_visit, "visit:" + findings["visit_id"].astype(str),
                     "case:" + findings["case_id"].astype(str))
    ids = pd.Series("finding:" + owner + ":" + findings["rule"].astype(str), index=findings.index)
    repeat = ids.groupby(ids.to_numpy()).cumcount()
    return ids.where(repeat == 0, ids + ":" + (repeat + 1).astype(str))


def _finding_objects(findings: pd.DataFrame | None) -> tuple[list[str], dict, dict, dict]:
    """Finding objects (JSON texts), and the finding ids of each visit, each case (findings on
    the case as a whole) and all the findings of each case."""
    if findings is None or findings.empty:
        return [], {}, {}, {}
    findings = findings.reset_index(drop=True)
    ids = finding_ids(findings)
    case_id = findings["case_id"].fillna("").astype(str)
    visit_id = findings["visit_id"].fillna("").astype(str)
    objects = []
    for i, identifier in enumerate(ids):
        relationships = [{"objectId": f"case:{case_id[i]}", "qualifier": "case"}] if case_id[i] else []
        objects.append(json.dumps({
            "id": identifier, "type": "finding",
            "attributes": [{"name": name, "value": str(findings[name][i]), "time": _STATIC}
                           for name in FINDING_ATTRIBUTES],
            "relationships": relationships}, ensure_ascii=False))
    of_visit = ids[visit_id != ""].groupby(visit_id[visit_id != ""].to_numpy()).agg(list).to_dict()
    on_case = (visit_id == "") & (case_id != "")
    of_case_itself = ids[on_case].groupby(case_id[on_case].to_numpy()).agg(list).to_dict()
    of_case = ids[case_id != ""].groupby(case_id[case_id != ""].to_numpy()).agg(list).to_dict()
    return objects, of_visit, of_case_itself, of_case


def ocel_share(visits: pd.DataFrame, hash_key: str, findings: pd.DataFrame | None = None) -> dict:
    """Events, case, applicant and finding objects, and office codes of these visits (JSON texts).

    ``findings`` is the finding table of these visits (``Analysis.finding_table()``)."""
    visits = visits.reset_index(drop=True)
    finding_objects, of_visit, of_case_itself, of_case = _finding_objects(findings)
    applicant = applicant_hashes(visits["applicant_ref"].fillna("").astype(str), hash_key) \
        .fillna("").to_numpy(dtype=object)
    case = visits["case_id"].astype(object).where(visits["case_id"].notna(), "").to_numpy(dtype=object)
    office = visits["office_code"].to_numpy(dtype=object)
    forwarded = visits["forwarded_to"].fillna("").to_numpy(dtype=object)
    called = _moment(visits["called_at"])
    values = {"finished_at": _moment(visits["finished_at"]), "ticket_at": _moment(visits["ticket_at"])}
    for name in ("staff_id", "documents_requested", "refusal_ground"):
        values[name] = visits[name].fillna("").to_numpy(dtype=object)
    events = []
    for i, (visit_id, action) in enumerate(zip(visits["visit_id"].to_numpy(dtype=object),
                                               visits["action"].to_numpy(dtype=object))):
        relationships = [{"objectId": f"office:{office[i]}", "qualifier": "office"}]
        if case[i]:
            relationships.append({"objectId": f"case:{case[i]}", "qualifier": "case"})
        if applicant[i]:
            relationships.append({"objectId": f"applicant:{applicant[i]}", "qualifier": "applicant"})
        if forwarded[i]:
            relationships.append({"objectId": f"office:{forwarded[i]}", "qualifier": "forwarded_to"})
        for found in of_visit.get(str(visit_id), []) + (of_case_itself.get(str(case[i]), []) if case[i] else []):
            relationships.append({"objectId": found, "qualifier": "finding"})
        events.append(json.dumps({
            "id": str(visit_id), "type": str(action), "time": called[i],
            "attributes": [{"name": name, "value": str(values[name][i])} for name in EVENT_ATTRIBUTES
                           if values[name][i]],
            "relationships": relationships}, ensure_ascii=False))

    in_case = visits["case_id"].notna().to_numpy()
    ordered = visits[in_case].assign(applicant=applicant[in_case]) \
        .sort_values(["case_id", "called_at", "finished_at"], kind="stable")
    first = ordered.drop_duplicates("case_id")
    with_applicant = ordered[ordered["applicant"] != ""].drop_duplicates("case_id") \
        .set_index("case_id")["applicant"]
    objects = []
    for case_id, service, office_code in zip(first["case_id"], first["service_code"], first["office_code"]):
        relationships = [{"objectId": f"office:{office_code}", "qualifier": "office"}]
        if case_id in with_applicant.index:
            relationships.append({"objectId": f"applicant:{with_applicant[case_id]}", "qualifier": "applicant"})
        relationships += [{"objectId": found, "qualifier": "finding"} for found in of_case.get(str(case_id), ())]
        objects.append(json.dumps({
            "id": f"case:{case_id}", "type": "case",
            "attributes": [{"name": "service_code", "value": str(service), "time": _STATIC}],
            "relationships": relationships}, ensure_ascii=False))
    for digest in pd.unique(applicant[applicant != ""]):
        objects.append(json.dumps({"id": f"applicant:{digest}", "type": "applicant", "attributes": []}))
    objects += finding_objects
    offices = set(office) | set(forwarded[forwarded != ""])
    return {"events": events, "objects": objects, "offices": sorted(offices)}


def write_ocel_part(path: Path, visits: pd.DataFrame, hash_key: str, findings: pd.DataFrame | None = None) -> None:
    """One share of the log, as a file the client joins (the Dask engine's partitions)."""
    share = ocel_share(visits, hash_key, findings)
    with path.open("w", encoding="utf-8") as handle:
        json.dump(share, handle, ensure_ascii=False)


def write_ocel(path: str | Path, shares) -> dict:
    """Join shares (dicts from ``ocel_share``, or paths of ``write_ocel_part`` files) into
    one OCEL 2.0 JSON file; returns the number of events and objects."""
    shares = list(shares)
    offices: set[str] = set()
    counts = {"events": 0, "objects": 0}

    def load(share):
        if isinstance(share, dict):
            return share
        with Path(share).open(encoding="utf-8") as handle:
            return json.load(handle)

    for share in shares:
        offices |= set(load(share)["offices"])
    header = {
        "objectTypes": [
            {"name": "case", "attributes": [{"name": n, "type": "string"} for n in CASE_ATTRIBUTES]},
            {"name": "applicant", "attributes": []},
            {"name": "office", "attributes": []},
            {"name": "finding", "attributes": [{"name": n, "type": "string"} for n in FINDING_ATTRIBUTES]},
        ],
        "eventTypes": [{"name": action, "attributes": [
            {"name": n, "type": "time" if n.endswith("_at") else "string"} for n in EVENT_ATTRIBUTES]}
            for action in ACTIONS],
    }
    with Path(path).open("w", encoding="utf-8") as out:
        out.write(json.dumps(header, ensure_ascii=False)[:-1])
        out.write(', "objects": [')
        first = True
        for code in sorted(offices):
            out.write(("" if first else ",\n") + json.dumps({"id": f"office:{code}", "type": "office",
                                                             "attributes": []}, ensure_ascii=False))
            first = False
            counts["objects"] += 1
        applicants: set[str] = set()  # a visit may name another applicant than its case's
        for share in shares:
            for text in load(share)["objects"]:
                if text.startswith('{"id": "applicant:'):
                    if text in applicants:
                        continue
                    applicants.add(text)
                out.write(("" if first else ",\n") + text)
                first = False
                counts["objects"] += 1
        out.write('],\n"events": [')
        first = True
        for share in shares:
            for text in load(share)["events"]:
                out.write(("" if first else ",\n") + text)
                first = False
                counts["events"] += 1
        out.write("]}\n")
    return counts
