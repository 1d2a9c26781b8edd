"""Blueprints, one package per audience: public, desk, supervisor, admin, api."""
from __future__ import annotations

from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from flask import Flask, current_app, g, request, url_for
from flask_babel import format_date, format_datetime, get_locale, lazy_gettext as _l
from werkzeug.routing import BuildError

from ..calendar import week_days
from ..compliance.indicator_table import RATE_INDICATORS  # noqa: F401  (the views import it from here)
from ..services.context import current_catalog
from . import words
from .finding_words import finding_words
from .labels import citizen_label, label, state_system_name
from .numbers import format_decimal
from .words import format_indicator

DEADLINE_UNITS = {
    "working_days": _l("working days"),
    "calendar_days": _l("calendar days"),
    "hours": _l("hours"),
    "minutes": _l("minutes"),
}

# The facts of a catalog version that name their source (services_catalog.model.SOURCED_FACTS).
FACT_LABELS = {
    "legal_basis": _l("Legal basis"),
    "deadline": _l("Deadline"),
    "fee": _l("Fee"),
    "required_documents": _l("Documents you may be asked for"),
    "obtained_by_office": _l("You must not be asked for these"),
    "refusal_grounds": _l("The only lawful grounds for refusal"),
    "max_wait_minutes": _l("Longest lawful wait in the queue"),
    "max_service_minutes": _l("Longest lawful time at the desk"),
}


def format_moment(value) -> str:
    """A date and time as people write it in their language (local time)."""
    return format_datetime(value, "d MMMM y, HH:mm") if value is not None else "—"


def format_money(value) -> str:
    """A fee as people write it: 34 600 in Kazakh and Russian, 34,600 in English."""
    return format_decimal(value, format="#,##0.##") if value is not None else "—"


def format_fee(fee) -> str:
    """A fee as the citizen reads it, the same in the list and on the page: "free of charge"
    for 0, otherwise its amount and currency."""
    if fee.amount == 0:
        return str(_l("free of charge"))
    return f"{format_money(fee.amount)}\u00a0{fee.currency}"


def format_day(value) -> str:
    return format_date(value, "d MMMM y") if value is not None else "—"


def format_week(label: str) -> str:
    """A week as its dates in the reader's language ("16–22 March 2026", "30 March – 5 April
    2026"), never its ISO code; digits of one date are kept together by non-breaking spaces."""
    monday, sunday = week_days(label)
    if monday.year != sunday.year:
        text = f"{format_date(monday, 'd MMMM y')} – {format_date(sunday, 'd MMMM y')}"
    elif monday.month != sunday.month:
        text = f"{format_date(monday, 'd MMMM')} – {format_date(sunday, 'd MMMM y')}"
    else:
        text = f"{format_date(monday, 'd')}–\u2060{format_date(sunday, 'd MMMM y')}"  # no break after the dash
    return text.replace(" ", "\u00a0").replace("\u00a0–\u00a0", "\u00a0– ")


def format_week_start(label: str) -> str:
    """A week named short by its Monday ("16 Mar"), for a chart's axis."""
    return format_date(week_days(label)[0], "d MMM")


def url_host(value: str) -> str:
    return urlsplit(value).hostname or value


def register_template_helpers(app: Flask) -> None:
    """What every page needs: the current language and links that switch it."""

    def url_in_language(code: str) -> str:
        # Query keys that url_for itself reads (endpoint, _external, _scheme...) are the
        # visitor's text, not instructions: drop them.
        arguments = {key: value for key, value in request.args.to_dict().items()
                     if key not in ("endpoint", "values") and not key.startswith("_")}
        arguments.update(request.view_args or {})
        arguments["lang"] = code
        try:
            return url_for(request.endpoint or "public.index", **arguments)
        except BuildError:
            return url_for("public.index", lang=code)

    app.add_template_filter(format_indicator, "indicator")
    app.add_template_filter(format_moment, "moment")
    app.add_template_filter(format_money, "money")
    app.add_template_filter(format_day, "day")
    app.add_template_filter(url_host, "host")
    app.add_template_filter(format_week, "week")
    app.add_template_filter(format_fee, "fee")
    app.add_template_global(label, "label")
    app.add_template_global(citizen_label, "citizen_label")
    app.add_template_global(state_system_name, "state_system_name")

    def finding_in_words(rule: str, params, detail: str = ""):
        return finding_words(rule, params, detail, **reader_context())
    app.add_template_global(finding_in_words, "finding_words")
    app.add_template_global(words.supervised_reason, "supervised_reason")
    app.add_template_global(words.explain_due, "explain_due")
    app.add_template_global(words.holiday_name, "holiday_name")
    app.add_template_global(words.code, "code")
    app.add_template_global(words.unit_words, "deadline_words")
    app.add_template_global(words.escalation_clock, "escalation_clock")
    app.add_template_global(words.escalation_ran_out, "escalation_ran_out")

    @app.context_processor
    def language_context():
        return {"language": str(get_locale() or "ru"), "url_in_language": url_in_language,
                "unit_label": DEADLINE_UNITS, "fact_label": FACT_LABELS}


def public_url(endpoint: str, **values) -> str:
    """An absolute link from PUBLIC_BASE_URL, never from the request's Host header (which
    anyone can set, and pages with such links are cached publicly)."""
    path = url_for(endpoint, **values)
    base = current_app.config.get("PUBLIC_BASE_URL", "").rstrip("/")
    if base:
        return base + path
    # Not configured (development): the server's own name, or localhost, but not the Host header.
    server = current_app.config.get("SERVER_NAME") or "localhost"
    return f"http://{server}{path}"


def reader_context() -> dict:
    """What renders a finding for this request: the catalog's document names, the reader's
    language and the local time zone (the catalog read once per request)."""
    if "reader_catalog" not in g:
        g.reader_catalog = current_catalog()
    return {"catalog": g.reader_catalog, "language": str(get_locale() or "ru"),
            "timezone": ZoneInfo(current_app.config["MONITOR_TIMEZONE"])}
