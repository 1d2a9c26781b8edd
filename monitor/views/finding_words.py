"""A finding in the reader's language, from its rule and parameters: the one place.

The engine gives each finding a rule code and ``params`` (compliance/details.py names them);
every page that shows a finding calls ``finding_words`` (a plain-text export or mail would
take its ``.striptags()``) and none reads the English ``detail`` back.
A finding stored before parameters were kept (and not matched by `flask findings
backfill-params`) has none: its English detail is shown as it is, marked as English.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from flask_babel import format_date, format_datetime, gettext as _, ngettext
from markupsafe import Markup, escape

from .numbers import format_decimal


def _quoted(text: str) -> Markup:
    """A value quoted as it was typed or coded (a ground, a case number, free text): marked
    translate="no", so that neither a browser's translator nor a reader takes it for the page's words."""
    return Markup('<span translate="no">%s</span>') % text


def _number(value) -> str:
    return format_decimal(float(value), format="#,##0.##")


def document_names(codes, catalog, language: str) -> Markup:
    """Documents by their names in the catalog; free text (not a code) quoted as typed."""
    documents = catalog.documents if catalog is not None else {}
    names = [escape(documents[code].name.get(language)) if code in documents else _quoted(code)
             for code in codes]
    return Markup("; ").join(names)


def _moment(iso: str, timezone) -> str:
    moment = dt.datetime.fromisoformat(iso)
    return format_datetime(moment.astimezone(timezone) if timezone else moment, "d MMMM y, HH:mm")


def _day(iso: str) -> str:
    return format_date(dt.date.fromisoformat(iso), "d MMMM y")


def _words(rule: str, p: Mapping, catalog, language: str, timezone) -> Markup | str:
    """The message of one rule; its parts are already escaped or plain text."""
    if rule == "CITIZEN_DISPUTE":
        return dispute_words(p, catalog, language)
    if rule in ("EXTRA_DOCUMENT", "STATE_SYSTEM_DOCUMENT") and p.get("reported_by_applicant"):
        documents = document_names(p.get("documents") or (), catalog, language)
        if rule == "EXTRA_DOCUMENT":
            return _("reported by the applicant, not in the log: not required by the service: %(documents)s",
                     documents=documents)
        return _("reported by the applicant, not in the log: obtained by the office from state systems: "
                 "%(documents)s", documents=documents)
    if rule in ("EXTRA_DOCUMENT", "STATE_SYSTEM_DOCUMENT", "UNFOUNDED_RETURN"):
        documents = document_names(p.get("documents") or (), catalog, language)
        if rule == "EXTRA_DOCUMENT":
            return _("not required by the service: %(documents)s", documents=documents)
        if rule == "STATE_SYSTEM_DOCUMENT":
            return _("obtained by the office from state systems: %(documents)s", documents=documents)
        if not p.get("documents"):
            return _("returned without listing any missing document")
        return _("returned for documents that may not be demanded: %(documents)s", documents=documents)
    if rule == "UNFOUNDED_REFUSAL":
        if not p.get("ground"):
            return _("the refusal cites no ground")
        return _("ground %(ground)s is not a lawful refusal ground of the service", ground=_quoted(p["ground"]))
    if rule == "QUEUE_WAIT_EXCEEDED":
        return _("waited %(minutes)s min in the queue, limit %(limit)s (%(over)s min over)",
                 minutes=_number(p["minutes"]), limit=p["limit"], over=_number(p["over"]))
    if rule == "SERVICE_TIME_EXCEEDED":
        return _("served %(minutes)s min at the desk, limit %(limit)s (%(over)s min over)",
                 minutes=_number(p["minutes"]), limit=p["limit"], over=_number(p["over"]))
    if rule == "REPEATED_RETURN":
        return ngettext("the package was returned %(num)d time", "the package was returned %(num)d times",
                        int(p["returns"]))
    if rule == "EXCESS_HANDOFFS":
        return ngettext("%(num)d hand-off, at most %(limit)s allowed", "%(num)d hand-offs, at most %(limit)s allowed",
                        int(p["handoffs"]), limit=p["limit"])
    if rule == "DEADLINE_MISSED":
        return _("completed %(hours)s h after the due time %(due)s", hours=_number(p["hours"]),
                 due=_moment(p["due_at"], timezone))
    if rule == "OVERDUE_OPEN":
        return _("open %(hours)s h past the due time %(due)s", hours=_number(p["hours"]),
                 due=_moment(p["due_at"], timezone))
    if rule == "CLOCK_RESET":
        return _("accepted on %(accepted)s, submitted again on %(again)s (the deadline still counts from the "
                 "acceptance)", accepted=_day(p["accepted_on"]), again=_day(p["submitted_again_on"]))
    if rule == "INFORMAL_RETURN":
        window = ngettext("in the %(num)d day before the first submit", "in the %(num)d days before the first submit",
                          int(p["days"]))
        return ngettext("%(num)d consultation of the applicant for this service %(window)s",
                        "%(num)d consultations of the applicant for this service %(window)s",
                        int(p["consults"]), window=window)
    if rule == "REOPENED_AFTER_WITHDRAWAL":
        return _("new case %(case)s of the applicant for this service began %(days)s days after the withdrawal",
                 case=_quoted(p["case"]), days=_number(p["days"]))
    if rule == "CONFLICT_OF_INTEREST":
        return _("served a declared relative; reason given: %(reason)s", reason=_quoted(p["reason"]))
    raise KeyError(rule)


def dispute_words(p: Mapping, catalog, language: str) -> Markup:
    """A CITIZEN_DISPUTE's parameters (services.witness.dispute_parameters) as a sentence list
    in the reader's language; the applicant's own words quoted as they wrote them."""
    typed = [escape(text) for text in p.get("typed") or []]
    parts = []
    if p.get("documents") or typed:
        names = document_names(p.get("documents") or (), catalog, language) if p.get("documents") else Markup("")
        if typed:
            names = Markup(", ").join(([names] if p.get("documents") else []) + typed)
        # Names as the catalog and the applicant wrote them: not the page's words.
        parts.append(escape(_("documents asked for that are not in the log: %(documents)s")) % {
            "documents": Markup('<span translate="no">%s</span>') % names})
    if p.get("told_to_return"):
        parts.append(escape(_("told to come back, with no return logged")))
    if p.get("asked_to_pay"):
        report = p.get("report")
        parts.append(escape(_("asked to pay more than the fee, or for a gift (report %(reference)s)",
                              reference=report)) if report
                     else escape(_("asked to pay more than the fee, or for a gift")))
    if p.get("sent_elsewhere"):
        parts.append(escape(_("sent to another office")))
    if p.get("waited_minutes") is not None:
        logged = p.get("logged_wait_minutes")
        waited = ngettext("waited %(num)d minute in the queue", "waited %(num)d minutes in the queue",
                          int(p["waited_minutes"]))
        parts.append(escape(waited if logged is None else _("%(waited)s (logged: %(logged)s)", waited=waited,
                                                               logged=ngettext("%(num)d minute", "%(num)d minutes",
                                                                               int(logged)))))
    text = escape(_("The applicant says: ")) + Markup("; ").join(parts) if parts else escape(
        _("The applicant disputes the log."))
    if p.get("account"):
        text += Markup(' <q class="account" lang="">%s</q>') % p["account"]
    return Markup('<span class="dispute">%s</span>') % text


def finding_words(rule: str, params: Mapping | None, detail: str = "", *, catalog=None, language: str = "ru",
                  timezone=None) -> Markup:
    """A finding in the reader's language as safe markup (times in ``timezone``): from its
    rule and ``params``; without params, the stored English ``detail`` as it is."""
    if not isinstance(params, Mapping):  # None (or a frame's NaN): no parameters stored
        return Markup('<span lang="en">%s</span>') % (detail or "")
    # The messages hold no markup; every part is escaped (names, quoted values) or a number or date.
    return Markup(_words(rule, params, catalog, language, timezone))  # nosec B704: parts escaped above

