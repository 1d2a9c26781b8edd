"""Form validators and query-string readers shared by the blueprints."""
from __future__ import annotations

from flask import abort, request
from flask_babel import lazy_gettext as _l
from wtforms.validators import ValidationError

from ..calendar import FIRST_YEAR, LAST_YEAR
from ..extensions import db
from ..services import offices


class PlausibleDate:
    """A date or time between 2000 and 2100, else a form error (not a 500 later)."""

    def __call__(self, form, field):
        if field.data is not None and not FIRST_YEAR <= field.data.year <= LAST_YEAR:
            raise ValidationError(_l("Enter a date between %(first)s and %(last)s.", first=FIRST_YEAR,
                                     last=LAST_YEAR))


class ExistingOffice:
    """The code of an office the database holds, else a form error: free text naming no
    office is not evidence of where a case went, and a code longer than the column made
    PostgreSQL fail with a 500."""

    def __call__(self, form, field):
        code = (field.data or "").strip()
        if code and not offices.office_exists(db.session, code):
            raise ValidationError(_l("There is no office with this code; give the code of an existing office."))


# The largest id a row can have: every id column is INTEGER (int4 on PostgreSQL, which refuses
# to compare one with a larger number: a 500 before issue 22). No list has a million pages.
MAX_ID = 2**31 - 1
MAX_PAGE = 10**6


def int_arg(name: str, default: int | None = None, minimum: int = 1, maximum: int = MAX_ID) -> int | None:
    """An integer from the query string, or a clear 400: a number of 20 digits made both
    databases fail (an OFFSET or an id out of range) with a 500."""
    value = request.args.get(name, default, type=int)
    if value is not None and not minimum <= value <= maximum:
        abort(400, description=f"{name} must be a whole number from {minimum} to {maximum}")
    return value
