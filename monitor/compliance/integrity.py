"""The integrity rules (visit-log-and-rules.md, "Integrity rules: logs that hide red tape").

The people the monitor watches also write its logs. These three patterns move a deadline or
hide a return without breaking any other rule; each is a case finding citing 2.2.3. "Same
applicant" is the same non-empty ``applicant_ref`` (in the database, the same keyed hash);
a case's applicant is the ref of its first visit that has one (``case_timeline``).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

_NS_PER_DAY = 86_400 * 10**9


def _nanoseconds(moments: pd.Series) -> np.ndarray:
    return moments.to_numpy("datetime64[ns]").astype("int64")


def _count_before(point_keys: np.ndarray, point_times: np.ndarray, query_keys: np.ndarray,
                  query_times: np.ndarray, inclusive: bool) -> np.ndarray:
    """For each query, how many points sort before it by (key, time).

    A point at exactly the query's time counts when ``inclusive``. The difference of two
    such counts for one key is the number of that key's points between the two times.
    """
    keys = np.concatenate([point_keys, query_keys])
    times = np.concatenate([point_times, query_times])
    is_point = np.arange(len(keys)) < len(point_keys)
    # On equal (key, time) the points come first (the sort is stable and they are listed
    # first) unless they must not count: then they go after the queries.
    order = np.lexsort((is_point & (not inclusive), times, keys))
    points_before = np.cumsum(is_point[order])  # at a query, the points sorted before it
    counts = np.empty(len(keys), dtype="int64")
    counts[order] = points_before
    return counts[len(point_keys):]


def _keys(first: tuple[np.ndarray, np.ndarray], second: tuple[np.ndarray, np.ndarray]
          ) -> tuple[np.ndarray, np.ndarray]:
    """(applicant, service) pairs of two sets of rows, coded by one shared factorization.

    Each part is coded on its own and the pair is the number ``applicant × services + service``:
    equal pairs, equal codes (a MultiIndex of the text would build a tuple per row).
    """
    applicants, _ = pd.factorize(np.concatenate([first[0], second[0]]).astype(object), use_na_sentinel=False)
    services, service_names = pd.factorize(np.concatenate([first[1], second[1]]).astype(object),
                                           use_na_sentinel=False)
    codes = applicants.astype("int64") * max(len(service_names), 1) + services
    return codes[:len(first[0])], codes[len(first[0]):]


def informal_returns(visits: pd.DataFrame, cases: pd.DataFrame, min_consults: int,
                     window_days: int) -> tuple[np.ndarray, np.ndarray]:
    """Cases whose applicant had ``min_consults`` or more consults for the same service, at
    any office, in the ``window_days`` calendar days before the first submit's called_at
    (from submit - window inclusive to the submit exclusive). Returns (case rows, counts)."""
    submit_row = cases["first_submit_row"].to_numpy()
    asking = np.flatnonzero(submit_row >= 0)  # an empty applicant matches no consult below
    applicant = cases["applicant_ref"].iloc[asking].to_numpy().astype(str)
    refs = visits["applicant_ref"].fillna("").astype(str) if "applicant_ref" in visits \
        else pd.Series("", index=visits.index, dtype=object)
    # Text is compared where it is stored (Arrow) and only the consults' is taken out.
    consult = np.flatnonzero(((visits["action"] == "consult") & (refs != "")).to_numpy())
    called = _nanoseconds(visits["called_at"])
    consult_keys, case_keys = _keys((refs.iloc[consult].to_numpy(dtype=object),
                                     visits["service_code"].iloc[consult].to_numpy(dtype=object)),
                                    (applicant, cases["service_code"].iloc[asking].to_numpy(dtype=object)))
    submit_at = called[submit_row[asking]]
    window_start = submit_at - window_days * _NS_PER_DAY
    in_window = (_count_before(consult_keys, called[consult], case_keys, submit_at, inclusive=False)
                 - _count_before(consult_keys, called[consult], case_keys, window_start, inclusive=False))
    fired = in_window >= min_consults
    return asking[fired], in_window[fired]


def reopened_after_withdrawal(cases: pd.DataFrame, window_days: int) -> tuple[np.ndarray, np.ndarray]:
    """Withdrawn cases whose applicant's first visit of another case for the same service, at
    any office, came strictly after the withdrawal and at most ``window_days`` × 24 h later.
    Returns (withdrawn case rows, rows of the first such new case)."""
    applicant = cases["applicant_ref"].to_numpy().astype(str)
    withdrawn = np.flatnonzero(cases["withdrawn_at"].notna().to_numpy())
    others = np.flatnonzero(applicant != "")  # so an empty applicant is never "the same"
    if not len(withdrawn) or not len(others):
        return np.array([], dtype="int64"), np.array([], dtype="int64")
    service = cases["service_code"].to_numpy()
    other_keys, withdrawn_keys = _keys((applicant[others], service[others]),
                                       (applicant[withdrawn], service[withdrawn]))
    first_visit = _nanoseconds(cases["first_visit_at"])[others]
    order = np.lexsort((np.arange(len(others)), first_visit, other_keys))
    withdrawal = _nanoseconds(cases["withdrawn_at"])[withdrawn]
    # The first other case of the same key whose first visit is strictly after the withdrawal.
    position = _count_before(other_keys, first_visit, withdrawn_keys, withdrawal, inclusive=True)
    found = position < len(others)
    candidate = order[np.minimum(position, len(others) - 1)]
    found &= other_keys[candidate] == withdrawn_keys
    found &= first_visit[candidate] <= withdrawal + window_days * _NS_PER_DAY
    # A case's own first visit is never after its withdrawal, so the candidate is another case.
    return withdrawn[found], others[candidate[found]]
