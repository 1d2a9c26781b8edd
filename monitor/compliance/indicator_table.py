"""The one table of weekly indicators: name, label, which direction is better, unit, public.

The engine computes ``INDICATORS`` (compliance.indicators, same names and order); the
report reads ``better`` for "better or worse", the charts and number formats read ``unit``, the
citizens' page shows the ``public`` ones, and the labels shown to people are these English
texts translated (views.labels wraps them in lazy_gettext; ``_l`` below only marks them for
``pybabel extract``, keeping this module framework-free).
"""
from __future__ import annotations

from dataclasses import dataclass

from .indicators import CASE_RED_TAPE, VISIT_RED_TAPE
from .rules import DOCUMENT_RULES


def _l(text: str) -> str:
    """Marks a label for translation (extracted by pybabel's ``-k _l``); translated at display."""
    return text


@dataclass(frozen=True)
class Indicator:
    name: str
    label: str
    better: str  # "higher" | "lower": the direction that is better for citizens
    unit: str  # "count" | "rate" | "hours" | "minutes" | "per_100_cases" | "visits"
    public: bool  # shown on the citizens' indicators page


INDICATOR_TABLE = (
    Indicator("cases_accepted", _l("Cases accepted"), "higher", "count", False),
    Indicator("cases_completed", _l("Cases completed"), "higher", "count", False),
    Indicator("on_time_rate", _l("Completed on time"), "higher", "rate", True),
    Indicator("overdue_open", _l("Open and overdue at week end"), "lower", "count", False),
    Indicator("lead_time_p50_hours", _l("Lead time, median (hours)"), "lower", "hours", True),
    Indicator("lead_time_p90_hours", _l("Lead time, 90th percentile (hours)"), "lower", "hours", False),
    Indicator("extra_document_rate", _l("Visits with an unlawful document demand"), "lower", "rate", True),
    Indicator("queue_wait_p90_minutes", _l("Queue wait, 90th percentile (minutes)"), "lower", "minutes", False),
    Indicator("queue_wait_within_limit_rate", _l("Queue waits within the limit"), "higher", "rate", True),
    Indicator("red_tape_per_100_cases", _l("Red tape per 100 cases"), "lower", "per_100_cases", True),
    Indicator("refusal_rate", _l("Refusals"), "lower", "rate", False),
    Indicator("unfounded_refusal_rate", _l("Refusals without a lawful ground"), "lower", "rate", False),
    Indicator("visits_per_case", _l("Visits per case"), "lower", "visits", False),
    Indicator("complaints", _l("Complaints"), "lower", "count", True),
    # The applicants' answers to "is this what happened?" (docs/witness.md)
    Indicator("confirmation_rate", _l("Visits the applicant confirmed as logged"), "higher", "rate", True),
    Indicator("disputes_per_100_cases", _l("Disputes of the log per 100 cases"), "lower", "per_100_cases", True),
)
BY_NAME = {indicator.name: indicator for indicator in INDICATOR_TABLE}
# Throughput: more or fewer cases is neither better nor worse in itself.
THROUGHPUT = ("cases_accepted", "cases_completed")
RATE_INDICATORS = frozenset(i.name for i in INDICATOR_TABLE if i.unit == "rate")
PUBLIC_INDICATORS = tuple(i.name for i in INDICATOR_TABLE if i.public)

# What each rate is a share of, for comparing offices on a funnel plot (compliance.funnel):
# the count the rate divides by, in the words of the spec's indicator table.
DENOMINATORS = {
    "on_time_rate": "cases_completed",
    "extra_document_rate": "visits",
    "queue_wait_within_limit_rate": "visits_with_ticket",
    "red_tape_per_100_cases": "cases_completed",
    "refusal_rate": "cases_completed",
    "unfounded_refusal_rate": "refusals",
    "confirmation_rate": "answered_visits",
    "disputes_per_100_cases": "cases_accepted",
}
# The findings a number is made of: a supervisor who clicks it sees exactly these rules
# (of the week's visits, or of the cases completed in the week -- the spec's definitions).
FINDINGS_BEHIND = {
    "on_time_rate": ("DEADLINE_MISSED",),
    "overdue_open": ("OVERDUE_OPEN",),
    "extra_document_rate": DOCUMENT_RULES,
    "queue_wait_p90_minutes": ("QUEUE_WAIT_EXCEEDED",),
    "queue_wait_within_limit_rate": ("QUEUE_WAIT_EXCEEDED",),
    "red_tape_per_100_cases": VISIT_RED_TAPE + CASE_RED_TAPE,
    "unfounded_refusal_rate": ("UNFOUNDED_REFUSAL",),
    "disputes_per_100_cases": ("CITIZEN_DISPUTE",),
}
