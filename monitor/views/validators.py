"""Form validators shared by the blueprints."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms.validators import ValidationError

# Dates the app can reason about: local time zones, pandas timestamps (1677..2262) and the
# official calendar all work inside this range; year 0001 or 9999 is a typing error.
FIRST_YEAR, LAST_YEAR = 2000, 2100


class PlausibleDate:
    """A date or time between 2000 and 2100, else a form error (not a 500 later)."""

    def __call__(self, form, field):
        if field.data is not None and not FIRST_YEAR <= field.data.year <= LAST_YEAR:
            raise ValidationError(_l("Enter a date between %(first)s and %(last)s.", first=FIRST_YEAR,
                                     last=LAST_YEAR))
