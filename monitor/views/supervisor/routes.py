"""Routes of the supervisors' pages. Numbers come from monitor.services.reports (the engine)."""
from __future__ import annotations

import datetime as dt
import io
from urllib.parse import parse_qsl, urlencode, urlsplit

import pandas as pd
from flask import abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import get_locale, gettext as _
from flask_login import current_user
from markupsafe import Markup

from ...calendar import FIRST_YEAR, LAST_YEAR, BadWeek, checked_week, last_complete_week, week_end, week_of_label
from ...compliance import ALL_RULES, INDICATORS, funnel
from ...compliance.indicator_table import BY_NAME, DENOMINATORS, FINDINGS_BEHIND
from ...extensions import db
from ...services import (
    cases,
    citizens,
    escalations,
    findings as findings_service,
    front_desk,
    mail,
    public_pages,
    reports,
)
from ...services.cells import safe_frame
from ...services.context import engine_inputs
from .. import RATE_INDICATORS, reader_context, words
from ..access import offices_of, visible
from ..charts import funnel_chart, line_chart
from ..error_words import error_message, field_error
from ..exports import people_workbook
from ..labels import label, labeller
from ..validators import MAX_PAGE, int_arg
from . import bp
from .forms import AnswerForm, DecisionForm, ReviewForm


def _week() -> str:
    week = request.args.get("week") or last_complete_week(dt.datetime.now(dt.UTC),
                                                          current_app.config["MONITOR_TIMEZONE"])
    try:
        checked_week(week)
    except BadWeek:
        abort(400, description=_("Write the week as 2026-W12, a year between %(first)s and %(last)s.",
                                 first=FIRST_YEAR, last=LAST_YEAR))
    return week.strip()


def _report(week: str, scopes: tuple[str, ...] = reports.SCOPES) -> reports.WeeklyReport:
    # The report reads the complaints of the weeks it shows itself (never all of them).
    return reports.weekly_report(db.session, engine_inputs(), week, offices_of(current_user), scopes)


# The page's own tables: the offices' key figures. Every indicator of the offices, services and
# staff is on a page of its own (table()): a national network has hundreds and thousands.
PAGE_SCOPES = ("office",)
TABLES = {"offices": "office", "services": "service", "staff": "staff"}


@bp.get("/")
def report():
    """The weekly report of the supervisor's area (an admin sees the network)."""
    week = _week()
    result = _report(week, PAGE_SCOPES)
    # line_chart escapes every text it embeds, so its SVG is safe markup.
    charts = {name: Markup(line_chart(result.weeks, result.trend[name].tolist(), label(name),  # nosec B704
                                      percent=name in RATE_INDICATORS))
              for name in ("on_time_rate", "extra_document_rate", "queue_wait_within_limit_rate",
                           "red_tape_per_100_cases")}
    names = _office_names()
    counts = reports.evidence_counts(db.session, offices_of(current_user), week,
                                     current_app.config["MONITOR_TIMEZONE"])
    return render_template("supervisor/report.html", report=result, charts=charts, indicators=INDICATORS,
                           key_indicators=KEY_INDICATORS, funnels=_funnel_charts(result, names), counts=counts,
                           **_cell_words(names), denominators=DENOMINATORS, summary_length=reports.SUMMARY_LENGTH,
                           by_rule=reports.findings_by_rule(db.session, offices_of(current_user), week,
                                                            current_app.config["MONITOR_TIMEZONE"]))


@bp.get("/<any(offices, services, staff):table>")
def table(table: str):
    """Every indicator of the area's offices, services or staff in the week (the staff's with
    their workload), with the change since the week before."""
    week = _week()
    result = reports.scope_report(db.session, engine_inputs(), week, offices_of(current_user), TABLES[table])
    return render_template("supervisor/table.html", report=result, indicators=INDICATORS,
                           **_cell_words(_office_names()))


def _cell_words(office_names: dict[str, str]) -> dict:
    """What the report's cells (templates/supervisor/_report_cells.html) read from their page,
    each resolved once for the page: a national report has thousands of cells."""
    return {"office_names": office_names, "findings_link": findings_linker(), "label": labeller(),
            "describe_change": words.change_describer(), "format_number": words.indicator_formatter(),
            "better": {name: BY_NAME[name].better for name in INDICATORS}}


# The columns of the offices' table that fits the page; every indicator is in the full table.
KEY_INDICATORS = ("cases_completed", "on_time_rate", "overdue_open", "extra_document_rate",
                  "red_tape_per_100_cases", "queue_wait_within_limit_rate", "complaints")


def findings_link(indicator: str, office: str | None, week: str) -> str | None:
    """The findings page showing exactly the findings a number is made of (None: a number
    no finding makes, such as a lead time). Open-and-overdue counts are today's: the
    findings that still fire."""
    rules = FINDINGS_BEHIND.get(indicator)
    if not rules:
        return None
    arguments = {"rule": list(rules), "firing": "yes"}
    if indicator != "overdue_open":
        arguments["week"] = week
    if office:
        arguments["office"] = office
    return url_for("supervisor.findings", **arguments)


# Characters url_for leaves as they are in a query (werkzeug.urls._urlencode).
_QUERY_SAFE = "!$'()*,/:;?@"


def findings_linker():
    """``findings_link`` for one page: url_for once per indicator and week, an office's link
    that one with its office added (the same text url_for gives); a national report links
    thousands of numbers."""
    bases: dict[tuple[str, str], str | None] = {}

    def link(indicator: str, office: str | None, week: str) -> str | None:
        if (indicator, week) not in bases:
            bases[indicator, week] = findings_link(indicator, None, week)
        base = bases[indicator, week]
        if base is None or not office:
            return base
        return f"{base}&{urlencode([('office', office)], safe=_QUERY_SAFE)}"
    return link


def _office_names() -> dict[str, str]:
    """Offices by name in the reader's language (the code is shown beside it, smaller)."""
    return public_pages.office_names(str(get_locale() or "ru"))


def _point_words(name: str, names: dict[str, str]):
    """What a funnel point says on hover and focus: the office, its rate, its cases, its
    standing. The words are looked up once per chart: a national chart has hundreds of points."""
    things = label("of:" + DENOMINATORS[name])
    # The translated pattern, filled in as Flask-Babel fills it (``pattern % variables``).
    pattern = _("%(office)s: %(value)s; number of %(things)s: %(n)s")
    standing_words = labeller()
    format_number = words.indicator_formatter()

    def describe(code, n, value, standing) -> str:
        office = f"{names[code]} ({code})" if code in names else code
        said = pattern % {"office": office, "value": format_number(value, name), "things": things, "n": int(n)}
        return f"{said}; {standing_words(standing)}" if standing else said
    return describe


def _funnel_charts(result: reports.WeeklyReport, names: dict[str, str] | None = None) -> dict[str, Markup]:
    names = names or {}
    charts = {}
    for name, table in result.funnels.items():
        unit, network = BY_NAME[name].unit, result.network[name]

        def limits(ns, z, network=network, unit=unit):
            low, high = funnel.control_limits(network, ns, unit, z)
            return list(low), list(high)
        points = [(row.office, row.n, row.value, row.standing) for row in table.itertuples()]
        # funnel_chart escapes every text it embeds, so its SVG is safe markup.
        charts[name] = Markup(funnel_chart(points, network, limits, label(name),  # nosec B704
                                           _("Number of %(things)s", things=label("of:" + DENOMINATORS[name])),
                                           percent=name in RATE_INDICATORS, describe=_point_words(name, names)))
    return charts


@bp.get("/report.<fmt>")
def export(fmt: str):
    """The report as CSV (one table, with a sheet column) or XLSX (one sheet per table)."""
    week = _week()
    # Staff ids and names are text typed by people: never a live formula.
    tables = {name: safe_frame(table) for name, table in reports.report_tables(_report(week)).items()}
    if fmt == "csv":
        joined = pd.concat([t.assign(sheet=name) for name, t in tables.items()], ignore_index=True)
        return send_file(io.BytesIO(joined.to_csv(index=False).encode("utf-8")), mimetype="text/csv",
                         as_attachment=True, download_name=f"report-{week}.csv")
    if fmt == "xlsx":
        buffer = people_workbook(tables)  # headers in the reader's language, rates in percent
        return send_file(buffer, as_attachment=True, download_name=f"report-{week}.xlsx",
                         mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    abort(404)


FINDINGS_PER_PAGE = 100


def _finding_filter() -> findings_service.FindingFilter:
    """The filters of the findings page, from its query string (``rule`` may repeat)."""
    args = request.args
    week = None
    if args.get("week"):
        index = week_of_label(_week())
        timezone = current_app.config["MONITOR_TIMEZONE"]
        week = (index, week_end(index - 1, timezone), week_end(index, timezone))
    firing = {"yes": True, "no": False}.get(args.get("firing", ""))
    return findings_service.FindingFilter(
        rules=tuple(rule for rule in args.getlist("rule") if rule), severity=args.get("severity", ""),
        office=args.get("office", ""), status=args.get("status", ""), firing=firing,
        cause=args.get("cause", ""), week=week, held=args.get("firing") == "held",
        finding_id=int_arg("id"))  # one finding: the escalations queue links here


@bp.get("/findings")
def findings():
    """The findings behind a number, one page at a time (newest first) with the total count:
    nothing is cut off silently. After a review the page comes back to where it was."""
    listed = findings_service.area_page(db.session, offices_of(current_user), _finding_filter(),
                                        int_arg("page", 1, maximum=MAX_PAGE), FINDINGS_PER_PAGE)
    rows, total, page, pages = listed.rows, listed.total, listed.page, listed.pages
    arguments = {key: request.args.getlist(key) for key in request.args if key not in ("page", "reviewed", "next")}
    shown = [row.Finding.id for row in rows]
    reviewed = request.args.get("reviewed", type=int)
    # Where the reader was: the finding just reviewed, or, when the filter no longer holds
    # it, the one that came after it.
    place = reviewed if reviewed in shown else request.args.get("next", type=int)
    inputs = engine_inputs()
    clocks = escalations.finding_clocks(db.session, [row.Finding for row in rows], dt.datetime.now(dt.UTC),
                                        current_app.config["ESCALATE_AFTER_WORKING_DAYS"], inputs.calendar)
    return render_template("supervisor/findings.html", rows=rows, form=ReviewForm(), total=total, page=page,
                           pages=pages, arguments=arguments, timezone=inputs.calendar.timezone, clocks=clocks,
                           rules=sorted(ALL_RULES), reviewed=reviewed, place=place if place in shown else None)


@bp.post("/findings/<int:finding_id>/review")
def review(finding_id: int):
    """Confirm or dismiss a finding with a note; dismissed findings stay, as dismissed."""
    finding = visible(findings_service.visible_finding, finding_id)
    form = ReviewForm()
    if not form.validate_on_submit():
        flash(_("A review needs a decision and a note."), "error")
        return redirect(_back_to_findings(finding_id))
    refused = findings_service.review(db.session, finding, form.decision.data, form.note.data, current_user,
                                      timezone=current_app.config["MONITOR_TIMEZONE"])
    if refused:
        db.session.rollback()
        flash(_("Finding %(id)s: %(reason)s", id=finding_id, reason=error_message(refused)), "error")
        return redirect(_back_to_findings(finding_id))
    db.session.commit()
    flash(_("Finding %(id)s: %(status)s.", id=finding.id, status=label(finding.review_status)), "success")
    return redirect(_back_to_findings(finding_id))


def _back_to_findings(finding_id: int) -> str:
    """Back to the place in the filtered findings list the review came from -- only ever
    that page of this site: the Referer is the visitor's to set, never a redirect target."""
    referrer = urlsplit(request.referrer or "")
    findings_path = url_for(".findings")
    kept = []
    if referrer.path == findings_path and referrer.query.isprintable():
        kept = [(key, value) for key, value in parse_qsl(referrer.query) if key not in ("reviewed", "next")]
    place = [("reviewed", str(finding_id))]
    following = request.form.get("next", type=int)
    if following:
        place.append(("next", str(following)))
    return f"{findings_path}?{urlencode(kept + place)}#place"


@bp.get("/cases/<case_number>")
def case(case_number: str):
    """A case's timeline: its visits in order and every finding on it."""
    found = visible(cases.visible_case, case_number)
    timeline = cases.case_timeline(db.session, found)
    inputs = engine_inputs()
    clock = escalations.case_clocks(db.session, [found], dt.datetime.now(dt.UTC),
                                    current_app.config["ESCALATE_AFTER_WORKING_DAYS"], inputs.calendar).get(found.id)
    return render_template("supervisor/case.html", case=found, visits=timeline.visits, findings=timeline.findings,
                           clock=clock, history=timeline.history, requests=timeline.requests,
                           timezone=inputs.calendar.timezone)


@bp.get("/corrections")
def corrections():
    """Correction requests of the area: the desk may not make these alone."""
    return render_template("supervisor/corrections.html",
                           requests=cases.correction_requests(db.session, offices_of(current_user)),
                           form=DecisionForm(), timezone=engine_inputs().calendar.timezone)


@bp.post("/corrections/<int:request_id>")
def decide_correction(request_id: int):
    """Approve (the correction is made, its findings re-judged) or reject a request."""
    found = visible(cases.visible_correction_request, request_id)
    form = DecisionForm()
    if not form.validate_on_submit():
        flash(_("A decision needs a note."), "error")
        return redirect(url_for(".corrections"))
    errors = front_desk.decide_correction(db.session, found, form.decision.data == "approve", form.note.data,
                                          current_user, engine_inputs())
    if errors:
        db.session.rollback()
        context = reader_context()
        flash("; ".join(field_error(error, **context)[1] for error in errors), "error")
    else:
        db.session.commit()
        flash(_("Correction request %(id)s: %(status)s.", id=found.id, status=_(found.status)), "success")
    return redirect(url_for(".corrections"))


@bp.get("/complaints")
def complaints():
    """Complaints of the area; reports of inducement are only ever shown here."""
    listed = citizens.area_complaints(db.session, offices_of(current_user))
    clocks = escalations.report_clocks(db.session, listed, dt.datetime.now(dt.UTC),
                                       current_app.config["ESCALATE_AFTER_WORKING_DAYS"], engine_inputs().calendar)
    return render_template("supervisor/complaints.html", complaints=listed, clocks=clocks)


@bp.route("/complaints/<reference>", methods=["GET", "POST"])
def complaint(reference: str):
    found = visible(citizens.visible_complaint, reference)
    form = AnswerForm()
    if form.validate_on_submit():
        citizens.answer_complaint(db.session, found, form.answer.data, form.close.data, current_user.login)
        # The citizen who left an e-mail address gets the answer: queued with it, sent by the mail job.
        mail.queue_complaint_answer(db.session, found, dt.datetime.now(dt.UTC))
        db.session.commit()
        flash(_("Answer saved."), "success")
        return redirect(url_for(".complaints"))
    return render_template("supervisor/complaint.html", complaint=found, form=form)
