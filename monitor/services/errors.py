"""What a use case refuses, as data: a code and its parameters, never an English sentence.

The services raise or return these; the views say them in the reader's language
(views/error_words.py, one mapping code -> message). Codes of a field's problem are the
parser's (compliance.visit_log.BAD_ROW_CODES) and the desk's own (DESK_CODES).
"""
from __future__ import annotations

from dataclasses import dataclass, field as dataclass_field

# The desk's own checks (services/front_desk.py), beside the parser's BAD_ROW_CODES.
DESK_CODES = (
    "in_future",            # a typed time after the server's clock (params: now, ISO)
    "case_number_needed",   # a follow-up visit without the receipt's case number
    "no_such_case",         # no case of that number at this office (params: case)
    "case_of_other_service",  # (params: case, service)
    "before_previous_visit",  # called before the case's previous visit (params: moment, ISO UTC)
    "finishes_before_previous",  # (params: moment)
    "after_next_visit",     # (params: moment)
    "unknown_document",     # a typed document that is no document of the catalog (params: document)
    "reason_needed",        # a correction without a reason
    "nothing_changed",      # a correction that changes nothing
    "already_decided",      # a correction request decided before (params: request, status)
    "note_needed",          # a decision without a note
    "ground_needed",        # a refusal without a ground
)


@dataclass(frozen=True)
class FieldError:
    """One problem of one field of a form (the parser's column names: case_id, called_at, ...)."""

    field: str
    code: str
    params: dict = dataclass_field(default_factory=dict)


class DomainError(Exception):
    """A use case's refusal: ``code`` and ``params`` say what, the view says it in words."""

    code = "domain_error"

    def __init__(self, code: str | None = None, **params):
        self.code = code or type(self).code
        self.params = params
        super().__init__(self.code, params)


class DraftRejected(DomainError):
    """A visit draft that cannot be saved: its field errors, or a missing reason
    (``override_reason_needed``: a warning was not confirmed; ``late_reason_needed``)."""

    code = "draft_rejected"

    def __init__(self, code: str | None = None, errors: list[FieldError] | None = None, check=None, **params):
        super().__init__(code, **params)
        self.errors = list(errors or ())
        self.check = check  # the front desk's DraftCheck: its warnings are shown with the form


class NotFound(DomainError):
    """No such object (a case, visit, finding, complaint, correction request, draft...) for
    this user: the loaders raise it (params: what, key), the views answer 404."""

    code = "not_found"


class NotYourOffice(NotFound):
    """The object exists but belongs to an office (or a service) the user may not act for.
    A kind of NotFound: the pages answer it exactly like a missing object, so that no one
    learns what another office holds; the type keeps the difference for the code and logs."""

    code = "not_your_office"
