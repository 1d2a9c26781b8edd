"""The services' refusals (services/errors.py) in the reader's language: one mapping from a
code to its message, the parameters filled in (dates in local time, services by name)."""
from __future__ import annotations

import datetime as dt

from flask_babel import format_date, format_datetime, lazy_gettext as _l

from ..services.errors import DomainError, FieldError

# One message per code: the parser's (compliance.visit_log.BAD_ROW_CODES), the desk's own
# (services.errors.DESK_CODES) and the refusals of a whole use case.
MESSAGES = {
    "control_character": _l("this field holds a control character; remove it"),
    "too_long": _l("this text is too long"),
    "required": _l("this field is required"),
    "unknown_action": _l("unknown action %(action)s"),
    "case_required": _l("a case number is needed for this action"),
    "forward_target_required": _l("say where the case is forwarded to"),
    "unknown_service": _l("unknown service %(service)s"),
    "not_a_timestamp": _l("not a date and time"),
    "ticket_after_call": _l("the ticket cannot be taken after the call to the desk"),
    "finish_before_call": _l("the visit cannot finish before it was called"),
    "iin_control_digit": _l("this IIN's control digit is wrong"),
    "no_version_in_force": _l("no version of service %(service)s is in force on %(day)s"),
    "duplicate_visit_id": _l("this visit was already recorded"),
    "in_future": _l("this time is in the future (server time %(now)s)"),
    "case_number_needed": _l("a follow-up visit needs the case number from the receipt"),
    "no_such_case": _l("there is no case %(case)s at your office"),
    "case_of_other_service": _l("case %(case)s is for service %(service)s"),
    "before_previous_visit": _l("a follow-up cannot be dated before the case's previous visit"),
    "finishes_before_previous": _l("a follow-up cannot finish before the case's previous visit finished"),
    "after_next_visit": _l("a visit cannot be dated after the case's next visit"),
    "unknown_document": _l('unknown document "%(document)s": choose the documents from the list, by name'),
    "reason_needed": _l("a correction needs a reason"),
    "nothing_changed": _l("nothing was changed"),
    "already_decided": _l("this request was already decided"),
    "note_needed": _l("A decision needs a note."),
    "ground_needed": _l("choose the lawful ground of the refusal"),
    "override_reason_needed": _l("saving despite a warning needs a written reason"),
    "late_reason_needed": _l("a visit typed after its working day needs a reason for the late entry"),
    "invalid": _l("the visit cannot be saved as it is: see the fields marked"),
    "not_your_office": _l("this belongs to another office"),
    "not_found": _l("not found"),
    # A supervisor's review refused (stores/findings.py review).
    "unknown_decision": _l("unknown decision"),
    "review_note_needed": _l("a review needs a note"),
    "still_fires": _l("only a finding that no longer fires can be closed; confirm or dismiss it"),
    "still_open": _l("this finding still fires and is open"),
}

# The parser's column names -> the desk form's fields.
DESK_FIELDS = {"case_id": "case_number", "applicant_ref": "applicant_ref", "ticket_at": "ticket_at",
               "called_at": "called_at", "finished_at": "finished_at", "forwarded_to": "forwarded_to",
               "refusal_ground": "refusal_ground", "action": "action", "service_code": "service_code",
               "documents_requested": "documents"}


def _parts(params: dict, catalog, language: str, timezone) -> dict:
    parts = dict(params)
    if parts.get("day"):
        parts["day"] = format_date(dt.date.fromisoformat(parts["day"]), "d MMMM y")
    if parts.get("now"):
        parts["now"] = format_datetime(dt.datetime.fromisoformat(parts["now"]), "d MMMM y, HH:mm")
    service = parts.get("service")
    if service and catalog is not None and service in catalog.services:
        parts["service"] = catalog.services[service].name.get(language)
    return parts


def error_message(code: str, params: dict | None = None, *, catalog=None, language: str = "ru",
                  timezone=None) -> str:
    """The message of a refusal's code in the reader's language."""
    return str(MESSAGES[code]) % _parts(params or {}, catalog, language, timezone)


def field_error(error: FieldError, **context) -> tuple[str, str]:
    """(form field, message) of a field's problem."""
    return DESK_FIELDS.get(error.field, error.field), error_message(error.code, error.params, **context)


def refusal(error: DomainError, **context) -> str:
    """A whole use case's refusal (DraftRejected, NotYourOffice, ...) in words."""
    return error_message(error.code, error.params, **context)


# Why an applicant's answer was not recorded (services.witness.AnswerRefused codes).
WITNESS_ERRORS = {
    "unknown_visit": _l("This visit is not part of the case."),
    "closed": _l("This answer can no longer be changed: answers can be changed for 7 days."),
    "unknown_verdict": _l("Choose yes or no."),
    "dispute_needs_what": _l("Say what was different: tick what happened or write it in your words."),
    "confirmation_differs": _l("You said this is what happened but also ticked what was different: choose one."),
    "unknown_document": _l("Choose the documents from the list."),
    "too_long": _l("The text is too long."),
    "bad_wait": _l("The waiting time must be between 0 and 1440 minutes."),
}


def witness_error(code: str) -> str:
    """Why an applicant's answer was not recorded (services.witness.AnswerRefused), in words."""
    return str(WITNESS_ERRORS.get(code, code))
