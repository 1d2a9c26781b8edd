"""Words for codes shown to people (indicators, outcomes, actions...), translatable."""
from flask_babel import gettext, lazy_gettext as _l

from ..compliance.indicator_table import INDICATOR_TABLE

LABELS = {
    # Weekly indicators: their labels are in the one table (compliance.indicator_table).
    **{indicator.name: _l(indicator.label) for indicator in INDICATOR_TABLE},
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
    "confirmed": _l("confirmed"), "dismissed": _l("dismissed"), "reopened": _l("reopened"),
    # Why a finding no longer fires, and correction requests
    "sweep": _l("a later sweep"), "correction": _l("a correction"), "catalog": _l("a catalog load"),
    "calendar": _l("a calendar change"), "desk": _l("a visit logged at the desk"),
    "pending": _l("pending"), "approved": _l("approved"), "rejected": _l("rejected"),
    # A steward's draft of a catalog version (services.stewardship)
    "draft": _l("draft"), "submitted": _l("submitted for approval"),
    # Actions of the audit trail shown on a case's history
    "correct": _l("corrected"), "request_correction": _l("correction requested"),
    "approve_correction": _l("correction approved"), "reject_correction": _l("correction rejected"),
    # Escalations (monitor/compliance/escalation.py): what escalated, and how it was dealt with
    "overdue_case": _l("Overdue case"), "unreviewed_finding": _l("Unreviewed high-severity finding"),
    "unanswered_inducement": _l("Unanswered report of inducement"),
    "completed": _l("completed"), "reviewed": _l("reviewed"),
    # Rules (monitor/compliance/rules.py), named for people
    "EXTRA_DOCUMENT": _l("Document not provided for by the rules"),
    "STATE_SYSTEM_DOCUMENT": _l("Document the office must obtain itself"),
    "UNFOUNDED_RETURN": _l("Return without a lawful reason"),
    "REPEATED_RETURN": _l("Package returned more than once"),
    "EXCESS_HANDOFFS": _l("Too many hand-offs"),
    "UNFOUNDED_REFUSAL": _l("Refusal without a lawful ground"),
    "DEADLINE_MISSED": _l("Deadline missed"),
    "OVERDUE_OPEN": _l("Open past its deadline"),
    "QUEUE_WAIT_EXCEEDED": _l("Queue wait over the limit"),
    "SERVICE_TIME_EXCEEDED": _l("Desk time over the limit"),
    "CLOCK_RESET": _l("Deadline restarted by a second submit"),
    "INFORMAL_RETURN": _l("Sent away without a logged return"),
    "REOPENED_AFTER_WITHDRAWAL": _l("New case soon after a withdrawal"),
    "CONFLICT_OF_INTEREST": _l("Conflict of interest"),
    "CITIZEN_DISPUTE": _l("The applicant disputes the log"),
    # The applicant's answer to "is this what happened?" (services.witness)
    "confirmed_log": _l("confirmed as logged"), "disputed_log": _l("disputed"),
    # What a rate is a share of (compliance.indicator_table.DENOMINATORS)
    "of:visits": _l("visits"), "of:visits_with_ticket": _l("visits with a queue ticket"),
    "of:refusals": _l("refusals"), "of:cases_completed": _l("completed cases"),
    "of:cases_accepted": _l("accepted cases"), "of:answered_visits": _l("visits the applicant answered about"),
    # Where an office stands against the network (compliance.funnel)
    "alarm": _l("far worse than the network"), "warning": _l("worse than the network"),
    "within": _l("within the network's range"), "better": _l("better than the network"),
    # Severities of findings
    "high": _l("high"), "medium": _l("medium"), "low": _l("low"),
    # Error pages
    "Not Found": _l("Not Found"), "Forbidden": _l("Forbidden"), "Bad Request": _l("Bad Request"),
    "Too Many Requests": _l("Too Many Requests"), "Service Unavailable": _l("Service Unavailable"),
    "Internal Server Error": _l("Internal Server Error"),
}


def label(code) -> str:
    return str(LABELS.get(code, code))


def labeller():
    """``label`` for one page, each code translated once: a national report labels thousands of cells."""
    said: dict[str, str] = {}

    def cached(code) -> str:
        if code not in said:
            said[code] = label(code)
        return said[code]
    return cached


# The citizens' indicators page says medians and percentiles in plain words (issue 24).
CITIZEN_LABELS = {
    "lead_time_p50_hours": _l("Time within which half of the cases were done (hours)"),
    "lead_time_p90_hours": _l("Time within which 9 in 10 cases were done (hours)"),
    "queue_wait_p90_minutes": _l("Wait in the queue that 9 in 10 visitors did not exceed (minutes)"),
}


def citizen_label(code) -> str:
    """An indicator's name for citizens: plain words where the supervisors' name is jargon."""
    return str(CITIZEN_LABELS.get(code) or label(code))


# The state information systems an office reads documents from (documents.yaml, state_system):
# citizens read their names, never the catalog's codes.
STATE_SYSTEMS = {
    "GBD_FL": _l("State database “Individuals”"),
    "GBD_RN": _l("State database “Real estate register”"),
    "IS_RPZAGS": _l("Information system “Civil registration point”"),
    "IS_KMIS": _l("Integrated medical information system"),
    "IS_ESUTD": _l("Unified system of employment contracts"),
    "IS_ENPF": _l("Information system of the Unified Accumulative Pension Fund"),
    "IS_GFSS": _l("Information system of the State Social Insurance Fund"),
    "IS_KPSISU": _l("Information system of the Committee on Legal Statistics and Special Records"),
}


def state_system_name(code: str) -> str:
    """The name of a state information system; one the table does not know is not shown by code."""
    name = STATE_SYSTEMS.get(code)
    return str(name) if name is not None else gettext("a state information system")
