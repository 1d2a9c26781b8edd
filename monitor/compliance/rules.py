"""The compliance rules (visit-log-and-rules.md, "The rules" and "Integrity rules"), vectorised.

``judge`` is the one implementation: the desk calls it for the visit being typed, the
import and the sweep for every stored visit, ``flask analyze`` for an auditor's file.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .catalog_frames import CatalogFrames
from .details import detail_text
from .integrity import informal_returns, reopened_after_withdrawal


@dataclass(frozen=True)
class Rule:
    code: str
    level: str  # "visit" or "case"
    clause: str  # of the anti-corruption standard (seed-standard.en.md)
    severity: str  # high | medium | low
    summary: str


RULES = {rule.code: rule for rule in (
    Rule("EXTRA_DOCUMENT", "visit", "2.2.3", "high",
         "a document the rules do not provide for was demanded"),
    Rule("STATE_SYSTEM_DOCUMENT", "visit", "2.2.3", "high",
         "a document the office must obtain itself from a state system was demanded"),
    Rule("UNFOUNDED_RETURN", "visit", "2.2.3", "medium",
         "the package was returned without a lawful missing document (red tape)"),
    Rule("REPEATED_RETURN", "case", "2.2.3", "medium",
         "the package was returned more than once (red tape)"),
    Rule("EXCESS_HANDOFFS", "case", "2.2.3", "medium",
         "the case was handed from desk to desk too often (red tape)"),
    Rule("UNFOUNDED_REFUSAL", "visit", "2.2.3, 2.1.1", "high",
         "a refusal cited no lawful ground"),
    Rule("DEADLINE_MISSED", "case", "2.2.3", "medium", "the case was completed after its legal deadline"),
    Rule("OVERDUE_OPEN", "case", "2.2.3", "medium", "the case is still open after its legal deadline"),
    Rule("QUEUE_WAIT_EXCEEDED", "visit", "2.2.1, 2.2.5", "low", "the applicant waited too long in the queue"),
    Rule("SERVICE_TIME_EXCEEDED", "visit", "2.2.1, 2.2.5", "low", "the visit took too long at the desk"),
    # Integrity rules: logs that hide red tape. They feed no weekly indicator.
    Rule("CLOCK_RESET", "case", "2.2.3", "high",
         "the case was submitted again after its acceptance, restarting the legal deadline"),
    Rule("INFORMAL_RETURN", "case", "2.2.3", "medium",
         "the applicant was sent away without a logged return before submitting"),
    Rule("REOPENED_AFTER_WITHDRAWAL", "case", "2.2.3", "medium",
         "the applicant came back with a new case soon after a withdrawal"),
)}
INTEGRITY_RULES = ("CLOCK_RESET", "INFORMAL_RETURN", "REOPENED_AFTER_WITHDRAWAL")
# The only rule the as-of time decides (``is_overdue_open``; its "hours" grow with it): every
# other finding changes only when the visits, the catalog or the calendar do, and is judged
# then. The nightly sweep therefore judges again only the cases this rule may change
# (stores.findings.time_bound_cases); tests/test_engine_properties.py holds the engine to it.
TIME_BOUND_RULES = ("OVERDUE_OPEN",)

# Findings the applicant reports (issue 27, services.witness; docs/witness.md): not judged
# from the log, so ``judge`` never fires them and no sweep clears them. A document the
# applicant reports fires the document rule above that the log would have fired.
APPLICANT_RULES = {rule.code: rule for rule in (
    Rule("CITIZEN_DISPUTE", "visit", "2.2.3", "high",
         "the applicant disputes what the desk logged for the visit"),
)}
INDUCEMENT_CLAUSE = "2.2.4"  # CITIZEN_DISPUTE's clause when money or a gift was asked
ALL_RULES = {**RULES, **APPLICANT_RULES}

FINDING_COLUMNS = ["case_id", "visit_id", "rule", "clause", "severity", "detail"]
# Every finding also carries ``params``: its rule's parameters (details.py names them), the
# words of every language; ``detail`` is their English.
DOCUMENT_RULES = ("EXTRA_DOCUMENT", "STATE_SYSTEM_DOCUMENT")


@dataclass(frozen=True)
class Thresholds:
    """Thresholds that are settings, not catalog data (the queue and desk limits are each
    service version's own, in the catalog)."""

    max_handoffs: int = 1  # EXCESS_HANDOFFS fires above this many forwards in a case
    min_informal_consults: int = 2  # INFORMAL_RETURN: at least this many consults ...
    informal_return_days: int = 30  # ... in this many calendar days before the first submit
    reopen_days: int = 10  # REOPENED_AFTER_WITHDRAWAL: a new case at most this many days later


def _findings(rule: str, rows, params: dict, case_rows=None) -> pd.DataFrame:
    """One rule's findings: ``params`` maps each parameter to its values, one per finding.

    Only fired rows get here: the per-finding dicts and English details are built over them.
    """
    meta = RULES[rule]
    names = list(params)
    columns = [np.asarray(values, dtype=object).tolist() if not isinstance(values, list) else values
               for values in params.values()]
    count = len(rows if case_rows is None else case_rows)
    mappings = [dict(zip(names, values)) for values in zip(*columns)] if names else [{} for _ in range(count)]
    return pd.DataFrame({
        "rule": rule, "clause": meta.clause, "severity": meta.severity,
        "detail": pd.Series([detail_text(rule, p) for p in mappings], dtype=object),
        "params": pd.Series(mappings, dtype=object),
        "row": rows if case_rows is None else -1,
        "case_row": -1 if case_rows is None else case_rows,
    })


def _minutes(delta: pd.Series) -> pd.Series:
    return delta.dt.total_seconds() / 60


def _rounded(values) -> list[float]:
    """Minutes or hours for a detail: 0.1 precision, finer when below one (1 s = 0.02 min)."""
    values = pd.Series(np.asarray(values, dtype="float64"))
    return values.round(1).where(values.abs() >= 1, values.round(2)).tolist()


def requested_tokens(visits: pd.DataFrame) -> pd.DataFrame:
    """``documents_requested`` split on ';' and trimmed: one row per (visit row, token)."""
    text = visits["documents_requested"].fillna("")
    # Split, flattened and trimmed by Arrow: each piece knows the row it came from, in order.
    array = pa.array(text, type=pa.large_string(), from_pandas=True)  # no copy when pandas keeps it in Arrow
    pieces = pc.split_pattern(array.combine_chunks() if isinstance(array, pa.ChunkedArray) else array, ";")
    tokens = pc.utf8_trim_whitespace(pc.list_flatten(pieces))
    kept = pc.not_equal(tokens, "")
    rows = text.index.to_numpy()[np.asarray(pc.filter(pc.list_parent_indices(pieces), kept), dtype="int64")]
    found = pc.filter(tokens, kept).to_numpy(zero_copy_only=False).astype(object)
    order = np.argsort(rows, kind="stable")  # in the order of the rows' labels (judge's are 0, 1, ...)
    return pd.DataFrame({"row": rows[order], "token": found[order]})


def _listed(tokens: pd.DataFrame) -> pd.Series:
    """Tokens of each row as a list, indexed by row (cheap when rows have one token)."""
    repeated = tokens["row"].duplicated(keep=False).to_numpy()
    single = pd.Series([[token] for token in tokens["token"].to_numpy()[~repeated]],
                       index=tokens["row"].to_numpy()[~repeated], dtype=object)
    several = tokens[repeated].groupby("row", sort=True)["token"].agg(list)
    return pd.concat([single, several]).sort_index()


def judge_documents(visits: pd.DataFrame, frames: CatalogFrames) -> pd.DataFrame:
    """Each requested token that is not a lawful code of the visit's version, once per visit,
    with its rule: a document the office obtains itself, or one the rules do not provide for.
    One lookup of every (version, token) in the catalog's documents, whether a desk's three
    tokens or an import's millions."""
    tokens = requested_tokens(visits)
    version = visits["version"].to_numpy()[tokens["row"].to_numpy()]
    kind = frames.document_kind(version, tokens["token"])
    offending = np.flatnonzero(kind != "lawful")
    judged = tokens.iloc[offending][["row", "token"]]
    once = ~judged.duplicated().to_numpy()  # a token asked twice in one visit counts once
    return judged[once].assign(rule=np.where(kind[offending[once]] == "obtained", "STATE_SYSTEM_DOCUMENT",
                                             "EXTRA_DOCUMENT"))


def judge_visits(visits: pd.DataFrame, frames: CatalogFrames) -> pd.DataFrame:
    """Findings of the six visit rules; ``visits`` carries a ``version`` for each row."""
    found = []
    versions = frames.versions.set_index("version")
    version = visits["version"].to_numpy()
    positions = np.arange(len(visits))
    action = visits["action"].to_numpy()

    offending = judge_documents(visits, frames)
    for rule in DOCUMENT_RULES:
        of_rule = offending[offending["rule"] == rule]
        if len(of_rule):
            listed = _listed(of_rule)
            found.append(_findings(rule, listed.index.to_numpy(), {"documents": listed.tolist()}))

    is_return = action == "return"
    asked = visits["documents_requested"].fillna("").str.replace(";", "").str.strip() != ""
    empty_return = is_return & ~asked.to_numpy()
    bad_tokens = _listed(offending[is_return[offending["row"].to_numpy()]])
    unfounded = pd.concat([pd.Series([[] for _ in range(int(empty_return.sum()))], index=positions[empty_return],
                                     dtype=object), bad_tokens])
    if len(unfounded):
        unfounded = unfounded.sort_index()
        found.append(_findings("UNFOUNDED_RETURN", unfounded.index.to_numpy(), {"documents": unfounded.tolist()}))

    is_refusal = action == "refuse"
    if is_refusal.any():
        ground = visits["refusal_ground"].fillna("").str.strip().to_numpy()
        lawful = pd.MultiIndex.from_frame(frames.grounds[["version", "ground"]])
        cited_lawful = pd.MultiIndex.from_arrays([version, ground]).isin(lawful)
        no_ground = is_refusal & (ground == "")
        wrong_ground = is_refusal & (ground != "") & ~cited_lawful
        fired = no_ground | wrong_ground
        # No ground cited: an empty ground (the detail says so).
        found.append(_findings("UNFOUNDED_REFUSAL", positions[fired], {"ground": ground[fired].astype(str)}))

    for rule, start, end, limit_column in (
            ("QUEUE_WAIT_EXCEEDED", "ticket_at", "called_at", "max_wait_minutes"),
            ("SERVICE_TIME_EXCEEDED", "called_at", "finished_at", "max_service_minutes")):
        spent = _minutes(visits[end] - visits[start]).to_numpy()
        limit = versions[limit_column].reindex(version).to_numpy()
        over = spent > limit  # strictly exceeded; no ticket -> NaN -> False
        if over.any():
            found.append(_findings(rule, positions[over], {
                "minutes": _rounded(spent[over]), "limit": limit[over].astype(int).tolist(),
                "over": _rounded(spent[over] - limit[over])}))
    return pd.concat(found, ignore_index=True) if found else _findings("EXTRA_DOCUMENT", np.array([], int),
                                                                        {"documents": []})


def _hours(delta: pd.Series) -> pd.Series:
    return delta.dt.total_seconds() / 3600


def is_overdue_open(cases: pd.DataFrame, at: pd.Timestamp) -> np.ndarray:
    """Accepted, past its due time, and neither completed nor withdrawn before ``at``.

    The one definition behind OVERDUE_OPEN (``at`` = the as-of time) and the weekly
    overdue_open indicator (``at`` = the week's end): a case completed after the as-of
    time was still open at it.
    """
    completed_before = (cases["completed_at"] < at).to_numpy()
    withdrawn_before = (cases["withdrawn_at"] < at).to_numpy()
    return (cases["accepted_at"].notna().to_numpy() & (cases["due_at"] < at).to_numpy()
            & ~completed_before & ~withdrawn_before)


def judge_cases(cases: pd.DataFrame, as_of: pd.Timestamp, thresholds: Thresholds) -> pd.DataFrame:
    """Findings of the four case rules on timelines from ``case_timeline``."""
    found = []
    positions = np.arange(len(cases))
    returns = cases["return_count"].to_numpy()
    fired = returns >= 2
    found.append(_findings("REPEATED_RETURN", None, {"returns": returns[fired]}, positions[fired]))
    handoffs = cases["forward_count"].to_numpy()
    fired = handoffs > thresholds.max_handoffs
    found.append(_findings("EXCESS_HANDOFFS", None, {
        "handoffs": handoffs[fired], "limit": [thresholds.max_handoffs] * int(fired.sum())}, positions[fired]))

    late = (cases["completed_at"] > cases["due_at"]).to_numpy()  # on time at exactly due_at
    if late.any():
        found.append(_findings("DEADLINE_MISSED", None, {
            "hours": _rounded(_hours(cases["completed_at"] - cases["due_at"])[late]),
            "due_at": _utc_iso(cases["due_at"][late])}, positions[late]))
    overdue = is_overdue_open(cases, as_of)
    if overdue.any():
        found.append(_findings("OVERDUE_OPEN", None, {
            "hours": _rounded(_hours(as_of - cases["due_at"][overdue])),
            "due_at": _utc_iso(cases["due_at"][overdue])}, positions[overdue]))
    return pd.concat(found, ignore_index=True)


def _utc_iso(moments: pd.Series) -> list[str]:
    """UTC moments as ISO 8601 text (to the second, with the offset): JSON-safe parameters."""
    return moments.dt.tz_convert("UTC").dt.strftime("%Y-%m-%dT%H:%M:%S+00:00").tolist()


def finding_table(findings: pd.DataFrame, visits: pd.DataFrame, cases: pd.DataFrame) -> pd.DataFrame:
    """Findings with the spec's columns (case_id, visit_id, rule, clause, severity, detail)."""
    is_visit = findings["row"].to_numpy() >= 0
    visit_rows = findings["row"].to_numpy()[is_visit]
    case_rows = findings["case_row"].to_numpy()[~is_visit]
    case_id = np.empty(len(findings), dtype=object)
    visit_id = np.full(len(findings), "", dtype=object)
    # Only the findings' rows are taken out of the text columns (not every visit's).
    case_id[is_visit] = visits["case_id"].iloc[visit_rows].to_numpy(dtype=object)
    visit_id[is_visit] = visits["visit_id"].iloc[visit_rows].to_numpy(dtype=object)
    case_id[~is_visit] = cases["case_id"].iloc[case_rows].to_numpy(dtype=object)
    table = findings.assign(case_id=pd.Series(case_id).fillna("").to_numpy(), visit_id=visit_id)
    return table


def _local_dates(moments: pd.Series, timezone: str) -> pd.Series:
    return moments.dt.tz_convert(timezone).dt.strftime("%Y-%m-%d")


def judge_integrity(visits: pd.DataFrame, cases: pd.DataFrame, timezone: str,
                    thresholds: Thresholds) -> pd.DataFrame:
    """Findings of the three integrity rules, on the cases of ``case_timeline(visits)``."""
    found = []
    reset = cases["reset_row"].to_numpy()
    fired = np.flatnonzero(reset >= 0)
    if len(fired):
        accepted = _local_dates(visits["finished_at"].iloc[cases["reset_accepting_row"].to_numpy()[fired]],
                                timezone).tolist()
        again = _local_dates(visits["called_at"].iloc[reset[fired]], timezone).tolist()
        found.append(_findings("CLOCK_RESET", None, {"accepted_on": accepted, "submitted_again_on": again}, fired))
    rows, counts = informal_returns(visits, cases, thresholds.min_informal_consults,
                                    thresholds.informal_return_days)
    if len(rows):
        found.append(_findings("INFORMAL_RETURN", None, {
            "consults": counts, "days": [thresholds.informal_return_days] * len(rows)}, rows))
    rows, new_cases = reopened_after_withdrawal(cases, thresholds.reopen_days)
    if len(rows):
        after = _hours(pd.Series(cases["first_visit_at"].iloc[new_cases].to_numpy()
                                 - cases["withdrawn_at"].iloc[rows].to_numpy()))
        found.append(_findings("REOPENED_AFTER_WITHDRAWAL", None, {
            "case": pd.Series(cases["case_id"].to_numpy()[new_cases]).astype(str).tolist(),
            "days": _rounded(after / 24)}, rows))
    return pd.concat(found, ignore_index=True) if found else _findings(
        "CLOCK_RESET", None, {}, np.array([], dtype="int64"))
