"""Blueprints, one package per audience: public, desk, supervisor, admin, api."""
from __future__ import annotations

from flask import Flask, request, url_for
from flask_babel import format_datetime, format_decimal, format_percent, get_locale, lazy_gettext as _l

from ..compliance.indicator_table import RATE_INDICATORS  # noqa: F401  (the views import it from here)
from .labels import label

DEADLINE_UNITS = {
    "working_days": _l("working days"),
    "calendar_days": _l("calendar days"),
    "hours": _l("hours"),
    "minutes": _l("minutes"),
}


def format_indicator(value, name: str) -> str:
    """A published number as people read it in their language: rates in percent, decimal
    commas in Kazakh and Russian, an empty value (no denominator) as a dash."""
    if value is None or value != value:  # None or NaN: an empty denominator
        return "—"
    if name in RATE_INDICATORS:
        return format_percent(value, format="#,##0.0%")
    return format_decimal(value, format="#,##0" if float(value).is_integer() else "#,##0.0")


def format_moment(value) -> str:
    """A date and time as people write it in their language (local time)."""
    return format_datetime(value, "d MMMM y, HH:mm") if value is not None else "—"


def register_template_helpers(app: Flask) -> None:
    """What every page needs: the current language and links that switch it."""

    def url_in_language(code: str) -> str:
        arguments = dict(request.view_args or {})
        arguments.update(request.args.to_dict())
        arguments["lang"] = code
        return url_for(request.endpoint or "public.index", **arguments)

    app.add_template_filter(format_indicator, "indicator")
    app.add_template_filter(format_moment, "moment")
    app.add_template_global(label, "label")

    @app.context_processor
    def language_context():
        return {"language": str(get_locale() or "ru"), "url_in_language": url_in_language,
                "unit_label": DEADLINE_UNITS}
