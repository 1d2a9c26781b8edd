"""A finding's ``detail`` in English, from its rule and parameters: the one wording.

The engine gives every finding a ``params`` mapping of JSON-safe values (document codes as
they were typed, minutes, hours, ISO dates and times, counts, case ids, a ground); pages
render those in the reader's language (views/finding_words.py). The spec's CSV ``detail``
column ("names the offending documents, the ground, or the minutes/hours over") is this
module's English, so `flask analyze` and the findings export read as they always did.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from functools import lru_cache

import numpy as np


# Cached: a batch writes hundreds of thousands of details from a few thousand rounded values.
@lru_cache(maxsize=65_536)
def number(value: float) -> str:
    """Minutes, hours or days as the detail writes them: never an exponent, no trailing zero."""
    return np.format_float_positional(float(value), trim="-")


@lru_cache(maxsize=65_536)
def utc_text(iso: str) -> str:
    """An ISO moment (UTC) as the detail writes it: ``2026-04-01 18:59:59 UTC``."""
    moment = dt.datetime.fromisoformat(iso).astimezone(dt.UTC)
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC")


def _documents(p: Mapping) -> str:
    return "; ".join(p["documents"])


def _return(p: Mapping) -> str:
    if not p.get("documents"):
        return "returned without listing any missing document"
    return "returned for documents that may not be demanded: " + _documents(p)


def _refusal(p: Mapping) -> str:
    if not p.get("ground"):
        return "the refusal cites no ground"
    return f"ground {p['ground']} is not a lawful refusal ground of the service"


def _limit_text(what: str) -> Callable[[Mapping], str]:
    def text(p: Mapping) -> str:
        return f"{what} {number(p['minutes'])} min {'in the queue' if what == 'waited' else 'at the desk'}, " \
               f"limit {p['limit']} ({number(p['over'])} min over)"
    return text


WORDINGS: dict[str, Callable[[Mapping], str]] = {
    "EXTRA_DOCUMENT": lambda p: "not required by the service: " + _documents(p),
    "STATE_SYSTEM_DOCUMENT": lambda p: "obtained by the office from state systems: " + _documents(p),
    "UNFOUNDED_RETURN": _return,
    "UNFOUNDED_REFUSAL": _refusal,
    "QUEUE_WAIT_EXCEEDED": _limit_text("waited"),
    "SERVICE_TIME_EXCEEDED": _limit_text("served"),
    "REPEATED_RETURN": lambda p: f"{p['returns']} returns of the package",
    "EXCESS_HANDOFFS": lambda p: f"{p['handoffs']} hand-offs, at most {p['limit']} allowed",
    "DEADLINE_MISSED": lambda p: f"completed {number(p['hours'])} h after the due time {utc_text(p['due_at'])}",
    "OVERDUE_OPEN": lambda p: f"open {number(p['hours'])} h past the due time {utc_text(p['due_at'])}",
    "CLOCK_RESET": lambda p: (f"accepted on {p['accepted_on']}, submitted again on {p['submitted_again_on']} "
                              "(the deadline still counts from the acceptance)"),
    "INFORMAL_RETURN": lambda p: (f"{p['consults']} consults of the applicant for this service in the "
                                  f"{p['days']} days before the first submit"),
    "REOPENED_AFTER_WITHDRAWAL": lambda p: (f"new case {p['case']} of the applicant for this service began "
                                            f"{number(p['days'])} days after the withdrawal"),
    # Recorded at the desk, not by the engine (services/front_desk.py): clause 2.4.1.
    "CONFLICT_OF_INTEREST": lambda p: f"served a declared relative; reason given: {p['reason']}",
}


def detail_text(rule: str, params: Mapping) -> str:
    """The English detail of a finding of ``rule`` with ``params`` (the CSV ``detail``)."""
    return WORDINGS[rule](params)
