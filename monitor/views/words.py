"""Domain values rendered in the reader's language: due-date arithmetic, holiday names and
findings' details.

The domain modules stay framework-free and speak in data (``DueDate.steps()``, the
holidays package's English names as keys, the engine's ``detail`` which is the spec's CSV
column); this module is the one place that turns them into words with Flask-Babel.
"""
from __future__ import annotations

import datetime as dt
import re

from markupsafe import Markup, escape

from flask_babel import (
    format_date, format_datetime, format_decimal, format_percent, get_locale, gettext as _, lazy_gettext as _l,
    ngettext,
)

from ..calendar import DayStatus, DueDate
from ..services import witness
from ..services.context import current_catalog
from ..compliance.indicator_table import RATE_INDICATORS, THROUGHPUT
from .labels import label

# The holidays package's English names for Kazakhstan (its kk names give our kk texts).
HOLIDAY_NAMES = {
    "New Year's Day": _l("New Year's Day"),
    "Orthodox Christmas": _l("Orthodox Christmas"),
    "International Women's Day": _l("International Women's Day"),
    "Nowruz Holiday": _l("Nowruz Holiday"),
    "Kazakhstan's People Solidarity Holiday": _l("Kazakhstan's People Solidarity Holiday"),
    "Defender of the Fatherland Day": _l("Defender of the Fatherland Day"),
    "Victory Day": _l("Victory Day"),
    "Capital Day": _l("Capital Day"),
    "Constitution Day": _l("Constitution Day"),
    "First President Day": _l("First President Day"),
    "Independence Day": _l("Independence Day"),
    "Eid al-Adha": _l("Eid al-Adha"),
    "Republic Day": _l("Republic Day"),
}
_SUBSTITUTED = re.compile(r"^Day off \(substituted from (\d\d)/(\d\d)/(\d{4})\)$")
_SUFFIX = re.compile(r"^(.*) \((observed|estimated)\)$")


def holiday_name(english: str) -> str:
    """One holiday's name (``"; "``-joined names on one day each) in the reader's language."""
    return "; ".join(_one_holiday(name) for name in english.split("; "))


def _one_holiday(name: str) -> str:
    substituted = _SUBSTITUTED.match(name)
    if substituted:
        month, day, year = (int(part) for part in substituted.groups())
        return _("Day off (moved from %(date)s)", date=format_date(dt.date(year, month, day), "d MMMM y"))
    suffixed = _SUFFIX.match(name)
    if suffixed:
        base = _one_holiday(suffixed.group(1))
        if suffixed.group(2) == "observed":
            return _("%(name)s (day off moved)", name=base)
        return _("%(name)s (estimated date)", name=base)
    return str(HOLIDAY_NAMES.get(name, name))


def day_reason(status: DayStatus) -> str:
    """Why a day is off (or, for a weekend day, working), in the reader's language."""
    if status.kind == "holiday":
        return holiday_name(status.name)
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


# The engine's English details (rules.py, the spec's ``detail`` column) read back into parts.
# One pattern per wording; a detail that matches none is shown as it is, marked as English.
_NUMBER = r"(-?\d+(?:\.\d+)?(?:e[-+]?\d+)?)"
_UTC = r"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) UTC"
DETAIL_PATTERNS = [
    (re.compile(r"^reported by the applicant: not required by the service: (.+)$", re.S),
     _l("reported by the applicant, not in the log: not required by the service: %(documents)s"), ("documents",)),
    (re.compile(r"^reported by the applicant: obtained by the office from state systems: (.+)$", re.S),
     _l("reported by the applicant, not in the log: obtained by the office from state systems: %(documents)s"),
     ("documents",)),
    (re.compile(r"^not required by the service: (.+)$", re.S),
     _l("not required by the service: %(documents)s"), ("documents",)),
    (re.compile(r"^obtained by the office from state systems: (.+)$", re.S),
     _l("obtained by the office from state systems: %(documents)s"), ("documents",)),
    (re.compile(r"^returned without listing any missing document$"),
     _l("returned without listing any missing document"), ()),
    (re.compile(r"^returned for documents that may not be demanded: (.+)$", re.S),
     _l("returned for documents that may not be demanded: %(documents)s"), ("documents",)),
    (re.compile(r"^the refusal cites no ground$"), _l("the refusal cites no ground"), ()),
    (re.compile(r"^ground (.*) is not a lawful refusal ground of the service$", re.S),
     _l("ground %(ground)s is not a lawful refusal ground of the service"), ("ground",)),
    (re.compile(rf"^waited {_NUMBER} min in the queue, limit (\d+) \({_NUMBER} min over\)$"),
     _l("waited %(minutes)s min in the queue, limit %(limit)s (%(over)s min over)"),
     ("minutes", "limit", "over")),
    (re.compile(rf"^served {_NUMBER} min at the desk, limit (\d+) \({_NUMBER} min over\)$"),
     _l("served %(minutes)s min at the desk, limit %(limit)s (%(over)s min over)"),
     ("minutes", "limit", "over")),
    (re.compile(r"^(\d+) returns of the package$"), _l("%(count)s returns of the package"), ("count",)),
    (re.compile(r"^(\d+) hand-offs, at most (\d+) allowed$"),
     _l("%(count)s hand-offs, at most %(limit)s allowed"), ("count", "limit")),
    (re.compile(rf"^completed {_NUMBER} h after the due time {_UTC}$"),
     _l("completed %(hours)s h after the due time %(due)s"), ("hours", "due")),
    (re.compile(rf"^open {_NUMBER} h past the due time {_UTC}$"),
     _l("open %(hours)s h past the due time %(due)s"), ("hours", "due")),
    (re.compile(r"^accepted on (\d{4}-\d\d-\d\d), submitted again on (\d{4}-\d\d-\d\d) "
                r"\(the deadline still counts from the acceptance\)$"),
     _l("accepted on %(accepted)s, submitted again on %(again)s (the deadline still counts from the acceptance)"),
     ("accepted", "again")),
    (re.compile(r"^(\d+) consults of the applicant for this service in the (\d+) days before the first submit$"),
     _l("%(count)s consults of the applicant for this service in the %(days)s days before the first submit"),
     ("count", "days")),
    (re.compile(rf"^new case (.+) of the applicant for this service began {_NUMBER} days after the withdrawal$",
                re.S),
     _l("new case %(case)s of the applicant for this service began %(days)s days after the withdrawal"),
     ("case", "days")),
]


def _render_part(name: str, value: str, timezone) -> str:
    if name == "due":  # a UTC moment: shown in local time, as people write it
        moment = dt.datetime.fromisoformat(value).replace(tzinfo=dt.timezone.utc)
        return format_datetime(moment.astimezone(timezone) if timezone else moment, "d MMMM y, HH:mm")
    if name in ("accepted", "again"):
        return format_date(dt.date.fromisoformat(value), "d MMMM y")
    if name in ("minutes", "over", "hours", "days"):
        return format_decimal(float(value), format="#,##0.##")
    return value


def detail_parts(detail: str):
    """(message, {part: text}) of an engine detail, or None when no wording matches."""
    for pattern, message, names in DETAIL_PATTERNS:
        matched = pattern.match(detail or "")
        if matched:
            return message, dict(zip(names, matched.groups()))
    return None


# Parts quoted as they were typed or coded (documents asked for, a ground, a case number):
# marked translate="no", so that neither a browser's translator nor a reader mistakes them
# for the page's own words.
QUOTED_PARTS = ("documents", "ground", "case")


def finding_detail(detail: str, timezone=None) -> Markup:
    """A finding's detail in the reader's language (times in local time), as safe markup."""
    dispute = witness.parse_dispute(detail)
    if dispute is not None:
        return dispute_words(dispute)
    parsed = detail_parts(detail)
    if parsed is None:
        return Markup('<span lang="en">%s</span>') % detail
    message, parts = parsed
    rendered = {}
    for name, value in parts.items():
        text = _render_part(name, value, timezone)
        rendered[name] = Markup('<span translate="no">%s</span>') % text if name in QUOTED_PARTS else text
    # The message is escaped (escape() returns Markup); its parts are escaped by Markup's %.
    return escape(str(message)) % rendered


def dispute_words(parameters: dict) -> Markup:
    """A CITIZEN_DISPUTE's parameters (services.witness.dispute_parameters) as a sentence
    list in the reader's language; the applicant's own words quoted as they wrote them."""
    catalog = current_catalog()
    language = str(get_locale() or "ru")
    names = [catalog.documents[c].name.get(language) if c in catalog.documents else c
             for c in parameters.get("documents") or []] + list(parameters.get("typed") or [])
    parts = []
    if names:
        parts.append(escape(_("documents asked for that are not in the log: %(documents)s")) % {
            "documents": Markup('<span translate="no">%s</span>') % ", ".join(names)})
    if parameters.get("told_to_return"):
        parts.append(escape(_("told to come back, with no return logged")))
    if parameters.get("asked_to_pay"):
        report = parameters.get("report")
        parts.append(escape(_("asked to pay more than the fee, or for a gift (report %(reference)s)",
                              reference=report)) if report
                     else escape(_("asked to pay more than the fee, or for a gift")))
    if parameters.get("sent_elsewhere"):
        parts.append(escape(_("sent to another office")))
    if parameters.get("waited_minutes") is not None:
        logged = parameters.get("logged_wait_minutes")
        waited = ngettext("waited %(num)d minute in the queue", "waited %(num)d minutes in the queue",
                          int(parameters["waited_minutes"]))
        parts.append(escape(waited if logged is None else _("%(waited)s (logged: %(logged)s)", waited=waited,
                                                               logged=ngettext("%(num)d minute", "%(num)d minutes",
                                                                               int(logged)))))
    text = escape(_("The applicant says: ")) + Markup("; ").join(parts) if parts else escape(
        _("The applicant disputes the log."))
    if parameters.get("account"):
        text += Markup(' <q class="account" lang="">%s</q>') % parameters["account"]
    return Markup('<span class="dispute">%s</span>') % text


def code(text: str) -> Markup:
    """A command or code inside a sentence."""
    return Markup("<code>%s</code>") % text


def rule_name(code: str) -> str:
    return label(code)


# Desk errors: the parser's and front_desk's English reasons (shared with the import, whose
# reports stay in English as a machine format) read back and said in the reader's language.
DESK_ERROR_PATTERNS = [
    (re.compile(r"^a follow-up visit needs the case number from the receipt$"),
     _l("a follow-up visit needs the case number from the receipt"), ()),
    (re.compile(r"^there is no case (.+) at your office$"), _l("there is no case %(case)s at your office"),
     ("case",)),
    (re.compile(r"^there is no case (.+)$"), _l("there is no case %(case)s"), ("case",)),
    (re.compile(r"^a follow-up cannot be dated before the case's previous visit \((.+) UTC\)$"),
     _l("a follow-up cannot be dated before the case's previous visit"), ("moment",)),
    (re.compile(r"^a follow-up cannot finish before the case's previous visit finished \((.+) UTC\)$"),
     _l("a follow-up cannot finish before the case's previous visit finished"), ("moment",)),
    (re.compile(r"^a visit cannot be dated after the case's next visit \((.+) UTC\)$"),
     _l("a visit cannot be dated after the case's next visit"), ("moment",)),
    (re.compile(r'^unknown document "(.+)": not a document of the catalog$', re.S),
     _l('unknown document "%(document)s": choose the documents from the list, by name'), ("document",)),
    (re.compile(r"^(\w+) (\S+) is in the future \(server time (\S+)\)$"),
     _l("this time is in the future (server time %(now)s)"), ("field", "moment", "now")),
    (re.compile(r"^a correction needs a reason$"), _l("a correction needs a reason"), ()),
    (re.compile(r"^nothing was changed$"), _l("nothing was changed"), ()),
    (re.compile(r"^case (.+) is for service (.+)$"), _l("case %(case)s is for service %(service)s"),
     ("case", "service")),
    (re.compile(r"^case (.+) is handled by another office$"), _l("case %(case)s is handled by another office"),
     ("case",)),
    (re.compile(r"^(\w+) is required$"), _l("this field is required"), ("field",)),
    (re.compile(r"^case_id is required for a (\w+) visit$"),
     _l("a case number is needed for this action"), ("action",)),
    (re.compile(r"^forwarded_to is required for a forward visit$"),
     _l("say where the case is forwarded to"), ()),
    (re.compile(r"^(\w+) is not an ISO 8601 timestamp: (.*)$", re.S),
     _l("not a date and time: %(value)s"), ("field", "value")),
    (re.compile(r"^ticket_at is after called_at$"), _l("the ticket cannot be taken after the call to the desk"), ()),
    (re.compile(r"^finished_at is before called_at$"), _l("the visit cannot finish before it was called"), ()),
    (re.compile(r"^applicant_ref looks like an IIN \(12 digits\) but its control digit is wrong$"),
     _l("this IIN's control digit is wrong"), ()),
    (re.compile(r"^no version of service (.+) is in force on (\d{4}-\d\d-\d\d)$"),
     _l("no version of service %(service)s is in force on %(day)s"), ("service", "day")),
    (re.compile(r"^unknown service (.+) \(not in the catalog\)$"), _l("unknown service %(service)s"),
     ("service",)),
    (re.compile(r"^unknown action (.+?) \(expected"), _l("unknown action %(action)s"), ("action",)),
]
# Why a correction waits for a supervisor (front_desk.why_supervised), in the reader's language.
SUPERVISED_PATTERNS = [
    (re.compile(r"^an imported visit$"), _l("an imported visit"), ()),
    (re.compile(r"^a visit of another staff member \((.+)\)$"), _l("a visit of another staff member (%(staff)s)"),
     ("staff",)),
    (re.compile(r"^a change of action$"), _l("a change of action"), ()),
    (re.compile(r"^a visit of a published week \((.+)\)$"), _l("a visit of a published week (%(week)s)"),
     ("week",)),
    (re.compile(r"^the desk's window closed at (.+)$"), _l("the desk's correction window closed on %(moment)s"),
     ("moment",)),
    (re.compile(r"^a change of findings \((.+)\)$"), _l("it records or clears findings: %(rules)s"), ("rules",)),
]


def supervised_reason(why: str | None) -> str:
    """A correction request's reason for supervision, in the reader's language."""
    for pattern, message, names in SUPERVISED_PATTERNS:
        matched = pattern.match(why or "")
        if matched:
            parts = dict(zip(names, matched.groups()))
            if "moment" in parts:
                parts["moment"] = format_datetime(dt.datetime.fromisoformat(parts["moment"]), "d MMMM y, HH:mm")
            if "rules" in parts:
                parts["rules"] = ", ".join(
                    (_("records %(rule)s", rule=label(code)) if verb == "opens" else
                     _("clears %(rule)s", rule=label(code)))
                    for verb, code in (item.split(" ", 1) for item in parts["rules"].split("; ")))
            return str(message) % parts
    return why or ""


# The parser's column names -> the desk form's fields.
DESK_FIELDS = {"case_id": "case_number", "applicant_ref": "applicant_ref", "ticket_at": "ticket_at",
               "called_at": "called_at", "finished_at": "finished_at", "forwarded_to": "forwarded_to",
               "refusal_ground": "refusal_ground", "action": "action", "service_code": "service_code",
               "documents_requested": "documents"}


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


def desk_error(column: str, reason: str) -> tuple[str, str]:
    """(form field, message in the reader's language) for a desk validation error."""
    field = DESK_FIELDS.get(column, column)
    for pattern, message, names in DESK_ERROR_PATTERNS:
        matched = pattern.match(reason or "")
        if matched:
            parts = dict(zip(names, matched.groups()))
            if "day" in parts:
                parts["day"] = format_date(dt.date.fromisoformat(parts["day"]), "d MMMM y")
            return field, str(message) % parts
    return field, reason


def format_indicator(value, name: str) -> str:
    """A published number as people read it in their language: rates in percent, decimal
    commas in Kazakh and Russian, an empty value (no denominator) as a dash."""
    if value is None or value != value:  # None or NaN: an empty denominator
        return "—"
    if name in RATE_INDICATORS:
        return format_percent(value, format="#,##0.0%")
    return format_decimal(value, format="#,##0" if float(value).is_integer() else "#,##0.0")


def describe_change(delta, name: str, better: str) -> dict | None:
    """A week-on-week change in words, an arrow and a class for its colour (never colour
    alone): rates in percentage points, the rest in their own unit; ``better`` is the
    indicator's better direction ("higher" | "lower"). None when there is nothing to compare."""
    if delta is None or delta != delta:
        return None
    if delta == 0:
        return {"css": "same", "arrow": "=", "amount": "", "word": _("no change")}
    if name in RATE_INDICATORS:
        amount = _("%(n)s pp", n=format_decimal(abs(delta) * 100, format="#,##0.0"))
    else:
        amount = format_indicator(abs(delta), name)
    if name in THROUGHPUT:  # neither better nor worse
        css, word = "neutral", (_("up") if delta > 0 else _("down"))
    else:
        worse = delta > 0 if better == "lower" else delta < 0
        css, word = ("worse", _("worse")) if worse else ("better", _("better"))
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
