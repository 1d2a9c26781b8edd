"""Words for codes shown to people (indicators, outcomes, actions...), translatable."""
from flask_babel import lazy_gettext as _l

LABELS = {
    # Weekly indicators (visit-log-and-rules.md)
    "cases_accepted": _l("Cases accepted"),
    "cases_completed": _l("Cases completed"),
    "on_time_rate": _l("Completed on time"),
    "overdue_open": _l("Open and overdue at week end"),
    "lead_time_p50_hours": _l("Lead time, median (hours)"),
    "lead_time_p90_hours": _l("Lead time, 90th percentile (hours)"),
    "extra_document_rate": _l("Visits with an unlawful document demand"),
    "queue_wait_p90_minutes": _l("Queue wait, 90th percentile (minutes)"),
    "queue_wait_within_limit_rate": _l("Queue waits within the limit"),
    "red_tape_per_100_cases": _l("Red tape per 100 cases"),
    "refusal_rate": _l("Refusals"),
    "unfounded_refusal_rate": _l("Refusals without a lawful ground"),
    "visits_per_case": _l("Visits per case"),
    "complaints": _l("Complaints"),
    # Case outcomes
    "open": _l("open"), "issued": _l("issued"), "refused": _l("refused"), "withdrawn": _l("withdrawn"),
    # Visit actions
    "submit": _l("submitted"), "return": _l("returned"), "resubmit": _l("resubmitted"),
    "forward": _l("forwarded"), "issue": _l("result issued"), "refuse": _l("refusal"),
    "withdraw": _l("withdrawn"), "consult": _l("consultation"),
    # Complaints
    "extra_document": _l("extra document demanded"), "delay": _l("delay"), "refusal": _l("refusal"),
    "rudeness": _l("rudeness"), "inducement": _l("inducement (bribe)"), "other": _l("other"),
    "received": _l("received"), "in_review": _l("in review"), "answered": _l("answered"),
    "closed": _l("closed"),
    # Reviews of findings
    "confirmed": _l("confirmed"), "dismissed": _l("dismissed"),
    # Severities of findings
    "high": _l("high"), "medium": _l("medium"), "low": _l("low"),
    # Error pages
    "Not Found": _l("Not Found"), "Forbidden": _l("Forbidden"), "Bad Request": _l("Bad Request"),
    "Too Many Requests": _l("Too Many Requests"), "Service Unavailable": _l("Service Unavailable"),
    "Internal Server Error": _l("Internal Server Error"),
}


def label(code) -> str:
    return str(LABELS.get(code, code))
