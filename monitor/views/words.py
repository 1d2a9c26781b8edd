"""Domain values rendered in the reader's language: due-date arithmetic, holiday names.

The domain modules stay framework-free and speak in data (``DueDate.steps()``, holidays by
identity with their kk/ru/en words in calendar.py); this module turns them into words with
Flask-Babel. Findings are worded in finding_words.py, the services' refusals in error_words.py.
"""
from __future__ import annotations

import datetime as dt
from functools import lru_cache

from flask_babel import format_date, format_datetime, get_locale, gettext as _, lazy_gettext as _l, ngettext
from markupsafe import Markup

from ..calendar import DayStatus, DueDate, holiday_words
from ..compliance.indicator_table import RATE_INDICATORS, THROUGHPUT
from .labels import label
from .numbers import format_in


def holiday_name(status: DayStatus) -> str:
    """A day off's holidays in the reader's language, from the calendar's own kk/ru/en table
    (calendar.HOLIDAY_WORDS, keyed by the holiday's identity, never by the package's names)."""
    return holiday_words(status.holidays, str(get_locale() or "ru"), lambda day: format_date(day, "d MMMM y"))


def day_reason(status: DayStatus) -> str:
    """Why a day is off (or, for a weekend day, working), in the reader's language."""
    if status.kind == "holiday":
        return holiday_name(status)
    if status.kind == "weekend":
        return _("weekend")
    if status.kind == "decree_workday":
        return _("weekend day made working by government decree")
    if status.kind == "override":
        return _("set by an administrator: %(reason)s", reason=status.name)
    return status.reason


def unit_words(value: int, unit: str) -> str:
    if unit == "working_days":
        return ngettext("%(num)d working day", "%(num)d working days", value)
    if unit == "calendar_days":
        return ngettext("%(num)d calendar day", "%(num)d calendar days", value)
    if unit == "hours":
        return ngettext("%(num)d hour", "%(num)d hours", value)
    return ngettext("%(num)d minute", "%(num)d minutes", value)


def explain_due(due: DueDate) -> list[str]:
    """The due date's arithmetic, one sentence per step, in the reader's language."""
    lines = []
    for step in due.steps():
        if step.kind == "accepted":
            lines.append(_("Accepted %(moment)s; the deadline is %(deadline)s.",
                           moment=format_datetime(step.moment, "d MMMM y, HH:mm"),
                           deadline=unit_words(step.value, step.unit)))
        elif step.kind == "same_day":
            lines.append(_("0 working days: due by the end of the day of acceptance."))
        elif step.kind == "count_working_days":
            lines.append(_("Counting %(deadline)s after %(day)s.", deadline=unit_words(step.value, "working_days"),
                           day=format_date(step.day, "d MMMM y")))
        elif step.kind == "add_calendar_days":
            lines.append(_("%(day)s plus %(deadline)s; a last day that is not a working day moves to the "
                           "next working day.", day=format_date(step.day, "d MMMM y"),
                           deadline=unit_words(step.value, "calendar_days")))
        elif step.kind == "skipped":
            lines.append(_("Skipped %(day)s: %(reason)s", day=format_date(step.day, "EEEE, d MMMM y"),
                           reason=day_reason(step.status)))
        else:
            lines.append(_("Due %(moment)s local time.", moment=format_datetime(step.moment, "d MMMM y, HH:mm")))
    return lines


def code(text: str) -> Markup:
    """A command or code inside a sentence."""
    return Markup("<code>%s</code>") % text


def rule_name(code: str) -> str:
    return label(code)


# Why a correction waits for a supervisor (front_desk.Supervision codes), in the reader's language.
SUPERVISION_MESSAGES = {
    "imported": _l("an imported visit"),
    "other_staff": _l("a visit of another staff member (%(staff)s)"),
    "action_change": _l("a change of action"),
    "published_week": _l("a visit of a published week (%(week)s)"),
    "window_closed": _l("the desk's correction window closed on %(moment)s"),
    "findings_change": _l("it records or clears findings: %(rules)s"),
}


def supervised_reason(request) -> Markup | str:
    """A correction request's reason for supervision (its why_code and why_params), in the
    reader's language; a request made before they were kept shows its English as it is."""
    if not request.why_code:
        return Markup('<span lang="en">%s</span>') % (request.why_supervised or "")
    parts = dict(request.why_params or {})
    if request.why_code == "window_closed":
        parts["moment"] = format_datetime(dt.datetime.fromisoformat(parts["moment"]), "d MMMM y, HH:mm")
    if request.why_code == "findings_change":
        parts["rules"] = ", ".join([_("records %(rule)s", rule=label(code)) for code in parts.get("opens", ())]
                                   + [_("clears %(rule)s", rule=label(code)) for code in parts.get("clears", ())])
    return str(SUPERVISION_MESSAGES[request.why_code]) % parts


def format_indicator(value, name: str) -> str:
    """A published number as people read it in their language: rates in percent, decimal
    commas in Kazakh and Russian, an empty value (no denominator) as a dash."""
    return _indicator_in(get_locale(), value, name)


def indicator_formatter():
    """``format_indicator`` with the request's locale looked up once (a page of thousands of numbers)."""
    locale = get_locale()

    def format_number(value, name: str) -> str:
        return _indicator_in(locale, value, name)
    return format_number


def _indicator_in(locale, value, name: str) -> str:
    if value is None or value != value:  # None or NaN: an empty denominator
        return "—"
    if name in RATE_INDICATORS:
        return format_in(locale, value, "#,##0.0%")
    return format_in(locale, value, "#,##0" if float(value).is_integer() else "#,##0.0")


@lru_cache(maxsize=32)
def _change_words(locale) -> dict[str, str]:
    """describe_change's words in ``locale`` (called under it), translated once: the report
    describes thousands of changes. "pp" is the translated pattern, filled in as Flask-Babel
    fills it (``pattern % variables``)."""
    return {"no change": _("no change"), "up": _("up"), "down": _("down"), "worse": _("worse"),
            "better": _("better"), "pp": _("%(n)s pp")}


def describe_change(delta, name: str, better: str) -> dict | None:
    """A week-on-week change in words, an arrow and a class for its colour (never colour
    alone): rates in percentage points, the rest in their own unit; ``better`` is the
    indicator's better direction ("higher" | "lower"). None when there is nothing to compare."""
    return _change_in(get_locale(), delta, name, better)


def change_describer():
    """``describe_change`` with the request's locale looked up once (a page of thousands of changes)."""
    locale = get_locale()
    said = _said(locale)

    def describe(delta, name: str, better: str) -> dict | None:
        return _change_in(locale, delta, name, better, said)
    return describe


def _said(locale) -> dict[str, str]:
    return _change_words(locale) if locale is not None else {
        "no change": _("no change"), "up": _("up"), "down": _("down"), "worse": _("worse"), "better": _("better"),
        "pp": _("%(n)s pp")}


def _change_in(locale, delta, name: str, better: str, said: dict[str, str] | None = None) -> dict | None:
    if delta is None or delta != delta:
        return None
    said = said or _said(locale)
    if delta == 0:
        return {"css": "same", "arrow": "=", "amount": "", "word": said["no change"]}
    if name in RATE_INDICATORS:
        amount = said["pp"] % {"n": format_in(locale, abs(delta) * 100, "#,##0.0")}
    else:
        amount = _indicator_in(locale, abs(delta), name)
    if name in THROUGHPUT:  # neither better nor worse
        css, word = "neutral", (said["up"] if delta > 0 else said["down"])
    else:
        worse = delta > 0 if better == "lower" else delta < 0
        css, word = ("worse", said["worse"]) if worse else ("better", said["better"])
    return {"css": css, "arrow": "▲" if delta > 0 else "▼", "amount": amount, "word": word}


def escalation_clock(clock) -> str:
    """An item's accountability clock (compliance.escalation.Clock) in the reader's words."""
    if clock is None:
        return ""
    if clock.escalated:
        return _("Escalated to the administrator on %(date)s",
                 date=format_date(clock.escalated_at, "d MMMM y"))
    end = format_date(clock.runs_out_at.date(), "d MMMM y")
    if clock.ran_out:
        return _("Time ran out at the end of %(date)s: goes to the administrator within the hour", date=end)
    if clock.days_left == 0:
        return _("Escalates to the administrator at the end of today")
    return ngettext("Escalates to the administrator in %(num)d working day, at the end of %(date)s",
                    "Escalates to the administrator in %(num)d working days, at the end of %(date)s",
                    clock.days_left, date=end)


def escalation_ran_out(clock) -> str:
    """When an escalated item's clock ran out, for the administrator's queue."""
    return _("ran out at the end of %(date)s", date=format_date(clock.runs_out_at.date(), "d MMMM y"))
