"""Case timelines from visits (visit-log-and-rules.md, "Case timeline"), for all cases at once."""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..calendar import WorkingCalendar, due_at_many, local_day_numbers
from .catalog_frames import CatalogFrames

CASE_COLUMNS = [
    "case_id", "service_code", "office_code", "first_visit_at", "accepted_at", "due_at",
    "completed_at", "withdrawn_at", "outcome", "version", "visit_count", "return_count",
    "forward_count", "accepting_row", "completing_row", "applicant_ref", "first_submit_row",
    "reset_row", "reset_accepting_row",
]
ACCEPTING_ACTIONS = ("submit", "resubmit")
_TIMELINE_INPUTS = ("case_id", "service_code", "office_code", "called_at", "finished_at", "action", "applicant_ref")


def _empty_cases() -> pd.DataFrame:
    """No cases, with the column types the indicators expect."""
    moments = ("first_visit_at", "accepted_at", "due_at", "completed_at", "withdrawn_at")
    counts = ("version", "visit_count", "return_count", "forward_count", "accepting_row", "completing_row",
              "first_submit_row", "reset_row", "reset_accepting_row")
    return pd.DataFrame({c: pd.Series(dtype="datetime64[ns, UTC]" if c in moments
                                      else "int64" if c in counts else object) for c in CASE_COLUMNS})


def order_visits(visits: pd.DataFrame) -> np.ndarray:
    """Positions of the visits ordered by case, then called_at (ties: finished_at, file order).

    The spec orders a case's visits by called_at; two visits called in the same second are
    put in the order they ended, then as the file lists them, so that a result never
    depends on how rows happen to be sorted.
    """
    return _case_order(visits)[0]


def _case_order(visits: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, pd.Index]:
    """``order_visits``, with each visit's case code and the case ids (first seen first)."""
    case_codes, case_ids = pd.factorize(visits["case_id"], use_na_sentinel=True)
    order = np.lexsort((np.arange(len(visits)), visits["finished_at"].to_numpy("datetime64[ns]"),
                        visits["called_at"].to_numpy("datetime64[ns]"), case_codes))
    return order, case_codes, case_ids


def _rows_at(rows: np.ndarray, positions: np.ndarray) -> np.ndarray:
    """Positions in ``visits`` of ordered positions (-1 stays -1)."""
    return np.where(positions >= 0, rows[np.maximum(positions, 0)], -1)


def case_timeline(visits: pd.DataFrame, frames: CatalogFrames, calendar: WorkingCalendar) -> pd.DataFrame:
    """One row per case_id: accepted_at, due_at, completed_at, withdrawn_at and counts.

    ``accepting_row`` and ``completing_row`` are positions in ``visits`` of the visit that
    accepted and the one that completed the case (-1 if none): scoped indicators use them.
    ``reset_row`` is the first submit/resubmit that came after an acceptance with no return
    between them (CLOCK_RESET), ``reset_accepting_row`` that acceptance; ``first_submit_row``
    the case's first ``submit`` (INFORMAL_RETURN counts the consults before it);
    ``applicant_ref`` the ref of the case's first visit that has one ('' if none).
    """
    in_case = visits["case_id"].notna().to_numpy()
    rows = np.flatnonzero(in_case)
    if not len(rows):
        return _empty_cases()
    order, case_codes, case_ids = _case_order(visits[["case_id", "called_at", "finished_at"]].iloc[rows])
    rows = rows[order]
    # Only the columns a timeline reads are taken in case order (not the visit's whole row).
    part = visits[[c for c in _TIMELINE_INPUTS if c in visits]].iloc[rows]
    # Ordered by case code, the visits meet their cases in code order: these codes are what a
    # factorization of the ordered case ids would give (0, 1, ... by first appearance).
    codes = case_codes[order]
    n_cases = len(case_ids)
    seq = np.arange(len(part))
    # Actions as small codes: the masks below compare integers, not a million strings each.
    action_codes, action_names = pd.factorize(part["action"])
    action_names = np.asarray(action_names, dtype=object)

    def is_action(*names: str) -> np.ndarray:
        return np.isin(action_codes, np.flatnonzero(np.isin(action_names, names)))

    def last_seq(mask: np.ndarray) -> np.ndarray:
        """Per case, the ordered position of the last visit matching ``mask`` (-1 if none)."""
        result = np.full(n_cases, -1)  # int64 (numpy 2: the default integer everywhere)
        np.maximum.at(result, codes[mask], seq[mask])
        return result

    def count(mask: np.ndarray) -> np.ndarray:
        return np.bincount(codes[mask], minlength=n_cases)

    is_accepting_action = is_action(*ACCEPTING_ACTIONS)
    is_return = is_action("return")
    last_return = last_seq(is_return)
    # A submit/resubmit accepts the package when nothing but a return (or nothing at all)
    # came before it among the case's submits, resubmits and returns; one that follows an
    # acceptance with no return between them restarts the clock (spec, "accepted_at" and
    # CLOCK_RESET): the deadline still counts from the acceptance.
    events = np.flatnonzero(is_accepting_action | is_return)
    previous = np.empty(len(events), dtype="int64")
    previous[:1] = -1
    previous[1:] = np.where(codes[events[1:]] == codes[events[:-1]], events[:-1], -1)
    event_accepts = is_accepting_action[events] & ((previous < 0) | is_return[np.maximum(previous, 0)])
    event_resets = is_accepting_action[events] & (previous >= 0) & is_accepting_action[np.maximum(previous, 0)]
    accepting = events[event_accepts]
    last_accepting = np.full(n_cases, -1)
    np.maximum.at(last_accepting, codes[accepting], accepting)
    # The first submit/resubmit after the last return (or the first one if none): accepted.
    accepting_seq = np.where(last_accepting > last_return, last_accepting, -1)
    # The acceptance each reset follows: the latest accepting event before it. Events of a
    # case are contiguous and every reset has an acceptance of its own case before it.
    run_acceptance = np.maximum.accumulate(np.where(event_accepts, events, -1))
    resets = events[event_resets]
    reset_seq = np.full(n_cases, len(part))
    np.minimum.at(reset_seq, codes[resets], resets)
    reset_acceptance = np.full(n_cases, -1)
    first_reset = event_resets & (events == reset_seq[codes[events]])
    reset_acceptance[codes[events[first_reset]]] = run_acceptance[first_reset]
    reset_seq = np.where(reset_seq < len(part), reset_seq, -1)
    first_submit_seq = np.full(n_cases, len(part))
    is_submit = is_action("submit")
    np.minimum.at(first_submit_seq, codes[is_submit], seq[is_submit])
    first_submit_seq = np.where(first_submit_seq < len(part), first_submit_seq, -1)
    refs = part["applicant_ref"].fillna("").astype(str) if "applicant_ref" in part \
        else pd.Series("", index=part.index, dtype=object)
    has_ref = (refs != "").to_numpy()
    first_ref_seq = np.full(n_cases, len(part))
    np.minimum.at(first_ref_seq, codes[has_ref], seq[has_ref])
    applicant = np.where(first_ref_seq < len(part),
                         refs.iloc[np.minimum(first_ref_seq, len(part) - 1)].to_numpy(dtype=object), "")

    # "The issue or refuse visit": if a case has several (a refusal, then a resubmit that is
    # issued), the last one completes it.
    completing_seq = last_seq(is_action("issue", "refuse"))
    withdrawing_seq = last_seq(is_action("withdraw"))
    first_seq = np.full(n_cases, len(part))
    np.minimum.at(first_seq, codes, seq)

    finished = part["finished_at"]

    def at(positions: np.ndarray, values: pd.Series) -> pd.Series:
        picked = values.iloc[np.maximum(positions, 0)].reset_index(drop=True)
        return picked.where(pd.Series(positions >= 0))

    cases = pd.DataFrame({
        "case_id": np.asarray(case_ids, dtype=object),
        "service_code": part["service_code"].iloc[first_seq].to_numpy(),
        "office_code": part["office_code"].iloc[first_seq].to_numpy(),
        "first_visit_at": part["called_at"].iloc[first_seq].reset_index(drop=True),
        "accepted_at": at(accepting_seq, finished),
        "completed_at": at(completing_seq, finished),
        "withdrawn_at": at(withdrawing_seq, finished),
        "visit_count": np.bincount(codes, minlength=n_cases),
        "return_count": count(is_return),
        "forward_count": count(is_action("forward")),
        "accepting_row": _rows_at(rows, accepting_seq),
        "completing_row": _rows_at(rows, completing_seq),
        "applicant_ref": applicant.astype(object),
        "first_submit_row": _rows_at(rows, first_submit_seq),
        "reset_row": _rows_at(rows, reset_seq),
        "reset_accepting_row": _rows_at(rows, reset_acceptance),
    })
    completing_action = np.where(completing_seq >= 0, action_names[action_codes[np.maximum(completing_seq, 0)]], "")
    cases["outcome"] = np.select(
        [completing_action == "issue", completing_action == "refuse", withdrawing_seq >= 0],
        ["issued", "refused", "withdrawn"], "open")

    # The deadline comes from the version in force on the acceptance date, for the
    # service of the accepting visit.
    has_acceptance = cases["accepted_at"].notna().to_numpy()
    accepting_service = np.where(has_acceptance, visits["service_code"].to_numpy()[
        np.maximum(cases["accepting_row"].to_numpy(), 0)], None)
    version = np.full(n_cases, -1)
    if has_acceptance.any():
        accepted_days = local_day_numbers(cases.loc[has_acceptance, "accepted_at"], calendar.timezone_name)
        version[has_acceptance] = frames.version_in_force(
            pd.Series(accepting_service[has_acceptance]), accepted_days)
    cases["version"] = version
    deadlines = frames.versions.set_index("version")
    known = version >= 0
    values = np.full(n_cases, np.nan)
    units = np.full(n_cases, None)  # an object array
    values[known] = deadlines["deadline_value"].reindex(version[known]).to_numpy()
    units[known] = deadlines["deadline_unit"].reindex(version[known]).to_numpy()
    cases["due_at"] = due_at_many(cases["accepted_at"].where(pd.Series(known)), values, units, calendar)
    return cases[CASE_COLUMNS]
