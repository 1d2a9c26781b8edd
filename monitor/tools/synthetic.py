"""Realistic synthetic visit logs for any catalog: demo data and benchmarks.

Vectorised with numpy so that a million visits take seconds. Most cases are lawful and
on time; a realistic share shows the breaches the monitor exists to find (extra and
state-system documents, returns, hand-offs, unfounded refusals, long queues, late cases).
"""
from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from services_catalog import Catalog

# Case paths: the actions of the case's visits in order, and how often each occurs.
PATHS = (
    (("submit", "issue"), 0.50),
    (("submit", "refuse"), 0.06),
    (("submit", "return", "resubmit", "issue"), 0.12),
    (("submit", "return", "resubmit", "return", "resubmit", "issue"), 0.03),
    (("submit", "forward", "issue"), 0.06),
    (("submit", "forward", "forward", "issue"), 0.02),
    (("submit", "withdraw"), 0.03),
    (("submit",), 0.08),
    (("consult",), 0.10),
)
FREE_TEXT = ("справка с места работы", "copy of payslip", "нотариальная копия")


def generate_visits(catalog: Catalog, visits: int, start: dt.date, days: int,
                    offices: list[str], staff_per_office: int = 4, seed: int = 7,
                    breach_rate: float = 0.08) -> pd.DataFrame:
    """About ``visits`` visit rows (spec columns, text) spread over ``days`` working hours."""
    rng = np.random.default_rng(seed)
    actions_of = [np.array(path) for path, _ in PATHS]
    weights = np.array([w for _, w in PATHS])
    mean_length = float((weights / weights.sum()) @ np.array([len(a) for a in actions_of]))
    n_cases = max(1, int(visits / mean_length))
    path = rng.choice(len(PATHS), size=n_cases, p=weights / weights.sum())
    lengths = np.array([len(a) for a in actions_of])[path]

    services = list(catalog.services.values())
    service = rng.integers(0, len(services), n_cases)
    office = rng.integers(0, len(offices), n_cases)
    first_day = rng.integers(0, days, n_cases)

    # Each case's limits, from the version in force on its first day.
    limits = np.zeros((n_cases, 4))  # deadline in days, by-the-clock flag, wait limit, desk limit
    case_date = np.datetime64(start, "D") + first_day
    for index, svc in enumerate(services):
        for version in svc.versions:
            end = np.datetime64(version.effective_to or dt.date(9999, 12, 31), "D")
            mask = ((service == index) & (case_date >= np.datetime64(version.effective_from, "D"))
                    & (case_date <= end))
            by_day = version.deadline.unit in ("working_days", "calendar_days")
            span = version.deadline.value * (1.4 if version.deadline.unit == "working_days" else 1.0)
            limits[mask] = (span if by_day else 0, 0 if by_day else 1,
                            version.max_wait_minutes, version.max_service_minutes)

    # Expand cases to visits.
    case_of = np.repeat(np.arange(n_cases), lengths)
    step = np.arange(len(case_of)) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    first_action = np.cumsum([0] + [len(a) for a in actions_of[:-1]])
    action = np.concatenate(actions_of)[first_action[path][case_of] + step]
    n = len(case_of)
    gap_days = np.where(step == 0, 0, rng.integers(1, 6, n))
    # Completion usually within the deadline; about one case in ten runs late.
    deadline_days = limits[case_of, 0]
    completion = np.ceil(deadline_days * np.where(rng.random(n) < breach_rate * 1.2,
                                                  rng.uniform(1.1, 1.6, n), rng.uniform(0.2, 0.8, n)))
    gap_days = np.where(np.isin(action, ("issue", "refuse")), completion, gap_days)
    by_clock = limits[case_of, 1] == 1
    gap_days = np.where(by_clock & (step > 0), 0, gap_days).astype("int64")
    day = first_day[case_of] + pd.Series(gap_days).groupby(case_of).cumsum().to_numpy()
    date = np.datetime64(start, "D") + day
    weekday = (date.astype("int64") + 3) % 7
    date = date + np.where(weekday == 5, 2, np.where(weekday == 6, 1, 0))  # desks work weekdays

    wait_limit, desk_limit = limits[case_of, 2], limits[case_of, 3]
    wait = np.round(wait_limit * rng.beta(2, 4, n), 1)
    wait = np.where(rng.random(n) < breach_rate / 2, wait_limit + rng.uniform(1, 25, n), wait)
    desk = np.round(desk_limit * rng.beta(3, 3, n), 1)
    desk = np.where(rng.random(n) < breach_rate / 3, desk_limit + rng.uniform(1, 15, n), desk)
    # Same-day visits of a case (deadlines by the clock) follow one another within minutes.
    minute_of_day = rng.integers(9 * 60, 16 * 60, n).astype("float64")
    before = pd.Series(desk + 2).groupby(case_of).cumsum().to_numpy() - (desk + 2)
    first_minute = pd.Series(minute_of_day).groupby(case_of).transform("first").to_numpy()
    minute_of_day = np.where(by_clock & (step > 0), first_minute + before, minute_of_day)
    called = date.astype("datetime64[s]") + (minute_of_day * 60).astype("timedelta64[s]")
    ticket = called - (wait * 60).astype("timedelta64[s]")
    finished = called + (desk * 60).astype("timedelta64[s]")
    no_ticket = rng.random(n) < 0.1

    # Documents, by the version in force on each visit's date.
    documents = np.full(n, "", dtype=object)
    grounds = np.full(len(case_of), "", dtype=object)
    visit_service = service[case_of]
    for index, svc in enumerate(services):
        for version in svc.versions:
            end = np.datetime64(version.effective_to or dt.date(9999, 12, 31), "D")
            mask = ((visit_service == index) & (date >= np.datetime64(version.effective_from, "D"))
                    & (date <= end))
            if not mask.any():
                continue
            plain = [e.codes[0] for e in version.required_documents if not e.any_of and not e.when]
            lawful = sorted(version.lawful_codes) or plain
            unlawful = [c for c in catalog.documents if c not in version.lawful_codes
                        and c not in version.obtained_by_office][:5] + list(FREE_TEXT)
            obtained = list(version.obtained_by_office) or unlawful
            submit = mask & np.isin(action, ("submit", "resubmit"))
            documents[submit] = ";".join(plain)
            returned = mask & (action == "return")
            documents[returned] = rng.choice(lawful, returned.sum()) if lawful else ""
            breach = mask & np.isin(action, ("submit", "resubmit", "return", "consult")) \
                & (rng.random(len(case_of)) < breach_rate)
            extra = np.where(rng.random(breach.sum()) < 0.6, rng.choice(unlawful, breach.sum()),
                             rng.choice(obtained, breach.sum()))
            documents[breach] = pd.Series(documents[breach]).str.cat(extra, sep=";").str.strip(";").to_numpy()
            refused = mask & (action == "refuse")
            lawful_grounds = [g.code for g in version.refusal_grounds] or ["R1"]
            grounds[refused] = np.where(rng.random(refused.sum()) < 0.8,
                                        rng.choice(lawful_grounds, refused.sum()), "")

    staff = np.array([f"{o}-S{k + 1}" for o in offices for k in range(staff_per_office)])
    staff_of = office[case_of] * staff_per_office + rng.integers(0, staff_per_office, len(case_of))
    other_office = np.array(offices)[(office[case_of] + 1) % len(offices)]
    case_ids = np.char.add("C", np.char.zfill((case_of + 1).astype(str), 7)).astype(object)
    case_ids[action == "consult"] = ""

    def text(moments: np.ndarray) -> np.ndarray:
        return np.datetime_as_string(moments.astype("datetime64[s]"), unit="s")

    frame = pd.DataFrame({
        "visit_id": np.char.add("V", np.char.zfill(np.arange(1, len(case_of) + 1).astype(str), 8)),
        "case_id": case_ids,
        "office_code": np.array(offices)[office[case_of]],
        "service_code": np.array([s.code for s in services])[visit_service],
        "staff_id": staff[staff_of],
        "applicant_ref": np.char.add("A", np.char.zfill(case_of.astype(str), 7)),
        "ticket_at": np.where(no_ticket, "", text(ticket)),
        "called_at": text(called),
        "finished_at": text(finished),
        "action": action,
        "documents_requested": documents,
        "refusal_ground": grounds,
        "forwarded_to": np.where(action == "forward", other_office, ""),
    })
    return frame.sort_values(["called_at", "visit_id"], kind="stable").reset_index(drop=True)
