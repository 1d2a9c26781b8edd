"""The visit log as an OCEL 2.0 object-centric event log (JSON), for process mining.

Objects are cases, applicants and offices; events are visits, typed by their action, at
their ``called_at`` (the order the spec gives a case's visits). Each event relates to its
case (``case``), its office (``office``), its applicant (``applicant``) and, for a
forward, the office it went to (``forwarded_to``). A case relates to its applicant and to
the office of its first visit. Applicants appear only as keyed hashes (never an IIN in
clear). Format: https://www.ocel-standard.org/2.0/ocel20_specification.pdf, "JSON format";
attribute values are text, as the published JSON schema requires.

The log is written in shares (one per partition of the Dask engine, or one for the whole
log) that hold disjoint events, cases and applicants; ``write_ocel`` joins them.
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
_STATIC = "1970-01-01T00:00:00Z"  # the spec's time of an attribute value that never changes


def _moment(values: pd.Series) -> np.ndarray:
    text = values.dt.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return text.fillna("").to_numpy(dtype=object)


def ocel_share(visits: pd.DataFrame, hash_key: str) -> dict:
    """Events, case and applicant objects, and office codes of these visits (JSON texts)."""
    visits = visits.reset_index(drop=True)
    applicant = applicant_hashes(visits["applicant_ref"].fillna("").astype(str), hash_key)
    applicant = applicant.fillna("").to_numpy(dtype=object)
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
        objects.append(json.dumps({
            "id": f"case:{case_id}", "type": "case",
            "attributes": [{"name": "service_code", "value": str(service), "time": _STATIC}],
            "relationships": relationships}, ensure_ascii=False))
    for digest in pd.unique(applicant[applicant != ""]):
        objects.append(json.dumps({"id": f"applicant:{digest}", "type": "applicant", "attributes": []}))
    offices = set(office) | set(forwarded[forwarded != ""])
    return {"events": events, "objects": objects, "offices": sorted(offices)}


def write_ocel_part(path: Path, visits: pd.DataFrame, hash_key: str) -> None:
    """One share of the log, as a file the client joins (the Dask engine's partitions)."""
    share = ocel_share(visits, hash_key)
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
