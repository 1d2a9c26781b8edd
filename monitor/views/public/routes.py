"""Routes of the citizens' pages: requirements, case status, complaints, indicators."""
from __future__ import annotations

import datetime as dt
import math

from flask import (
    Response,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import get_locale, gettext as _, ngettext
from flask_login import current_user
from markupsafe import Markup
from wtforms.fields.choices import SelectChoice

from ...calendar import due_at
from ...compliance.escalation import runs_out_at
from ...compliance.indicator_table import PUBLIC_INDICATORS
from ...extensions import db, limiter
from ...services import citizens, mail, offices, public_pages, returns, stewardship, witness as witness_service
from ...services.context import current_catalog, engine_inputs, local_today
from ...services.publishing import office_ranking
from .. import RATE_INDICATORS, format_week_start, public_url
from ..charts import line_chart
from ..error_words import witness_error
from ..labels import citizen_label
from . import bp
from .forms import AnswerForm, CaseStatusForm, ComplaintForm, ErrorReportForm, FollowUpForm

SHOWN_INDICATORS = PUBLIC_INDICATORS  # the one indicator table says which are public
TREND_WEEKS = 12  # the weeks /indicators shows (and reads)


def _language() -> str:
    return str(get_locale() or "ru")


def _page_key(tag: str) -> tuple:
    """What a rendered citizens' page depends on beyond its tag: the query's arguments (the
    language links carry them)."""
    return (request.endpoint, tag, tuple(sorted(request.args.items(multi=True))))


def _cacheable(render, *key):
    """A citizens' page a proxy or CDN may keep: it changes only when a catalog or calendar
    change is recorded (their latest audit records), when the local date turns, or with
    ``key`` (language, query, example due date). A conditional request that still matches
    gets 304 without rendering; any other is rendered once per process (public_pages).
    Signed-in users' pages (their name, flashes) are neither shared nor kept.
    """
    if current_user.is_authenticated or session.get("_flashes"):
        return render()
    stamp = public_pages.catalog_page_stamp(_language(), request.path, key)
    probe = Response()
    probe.set_etag(stamp.tag)
    probe.last_modified = stamp.modified
    probe.make_conditional(request)
    if probe.status_code == 304:
        response = probe
    else:
        response = make_response(public_pages.rendered(_page_key(stamp.tag), render))
        response.set_etag(stamp.tag)
        response.last_modified = probe.last_modified
    response.cache_control.public = True
    response.cache_control.max_age = current_app.config["PUBLIC_CACHE_SECONDS"]
    response.vary.update(("Cookie", "Accept-Language"))
    return response


@bp.get("/")
def index():
    """The catalog: every service with its version in force today, searchable."""
    query = request.args.get("q", "").strip()
    return _cacheable(lambda: _index(query), query)


def _index(query: str):
    catalog = public_pages.catalog()
    today = local_today()
    services = [(service, service.version_in_force(today)) for service in catalog.search(query)]
    nearest = catalog.nearest(query) if query and not services else []
    return render_template("public/index.html", services=services, query=query, nearest=nearest,
                           contact_phone=current_app.config["CONTACT_PHONE"])


_examples: dict = {}


def _example_due_date(deadline, calendar):
    """The due date if accepted now; the same for everyone within a minute, so computed once."""
    now = dt.datetime.now(calendar.timezone).replace(second=0, microsecond=0)
    key = (deadline, now, calendar.language, tuple(sorted(calendar.overrides.items())))
    example = _examples.get(key)
    if example is None:
        if len(_examples) > 512:
            _examples.clear()
        example = _examples[key] = due_at(now, deadline, calendar)
    return example


def _service_page(code: str, template: str):
    catalog = public_pages.catalog()
    found = catalog.services.get(code)
    if found is None:
        abort(404)
    today = local_today()
    version = found.version_in_force(today)
    example = None
    if version is not None:
        example = _example_due_date(version.deadline, public_pages.calendar(_language()))
    history = [v for v in found.versions if v is not version]
    # The example due date (from now) is part of the key: an hours deadline moves it within a day.
    return _cacheable(lambda: render_template(template, service=found, version=version, example=example,
                                              history=history, documents=catalog.documents), example)


@bp.get("/services/<code>")
def service(code: str):
    """Everything the version in force says, an example due date from today, and history."""
    return _service_page(code, "public/service.html")


@bp.get("/services/<code>/checklist")
def checklist(code: str):
    """A one-page printable checklist of the documents, and of what must not be asked."""
    return _service_page(code, "public/checklist.html")


@bp.route("/status", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["CASE_STATUS_RATE_LIMIT"], methods=["POST"])
def case_status():
    """Status of a case from its number and check code; a wrong code reveals nothing."""
    form = CaseStatusForm()
    status, not_found = None, False
    if form.validate_on_submit():
        status = citizens.case_status(db.session, form.case_number.data, form.check_code.data,
                                      dt.datetime.now(dt.UTC))
        not_found = status is None
    timezone = public_pages.calendar(_language()).timezone
    logged, returned = [], None
    if status is not None:  # each visit as logged, and a link to say whether it is what happened
        case = citizens.case_for_citizen(db.session, form.case_number.data, form.check_code.data)
        logged = witness_service.logged_visits(db.session, engine_inputs(), case, dt.datetime.now(dt.UTC))
        # A returned package: what to bring, by name, with the law that allows asking for it.
        returned = returns.returned_package(logged, status.service_code, current_catalog(), timezone)
    response = make_response(render_template("public/status.html", form=form, status=status, not_found=not_found,
                                             timezone=timezone, logged=logged, returned=returned,
                                             documents=current_catalog().documents))
    response.headers["Cache-Control"] = "no-store"
    return response


ANSWER_PREFIX = "v{}-"  # each visit's answer form on the page: v0-, v1-, ...


def _answer_forms(logged: list, posted: AnswerForm | None, posted_index: int | None) -> list[AnswerForm]:
    """One answer form per visit, filled with the answer already given (or the one just posted)."""
    catalog = current_catalog()
    language = _language()
    forms = []
    for index, visit in enumerate(logged):
        if posted is not None and index == posted_index:
            form = posted
        else:
            answer = visit.answer
            data = {"visit_id": visit.visit_id}
            if answer is not None:
                data.update(verdict=answer.verdict, documents=list(answer.documents or []),
                            typed_documents="\n".join(t.strip() for t in (answer.typed_documents or "").split(";")
                                                      if t.strip()),
                            told_to_return=answer.told_to_return, asked_to_pay=answer.asked_to_pay,
                            sent_elsewhere=answer.sent_elsewhere, waited_minutes=answer.waited_minutes,
                            account=answer.account or "")
            form = AnswerForm(formdata=None, prefix=ANSWER_PREFIX.format(index), data=data)
        form.documents.choices = [SelectChoice(code, catalog.documents[code].name.get(language)
                                               if code in catalog.documents else code) for code in visit.choices]
        forms.append(form)
    return forms


@bp.route("/w/<case_number>/<code>", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["CASE_STATUS_RATE_LIMIT"])
def witness(case_number: str, code: str):
    """The receipt's short link (and QR code): each visit of the case as the desk logged it,
    and "is this what happened?" -- confirm, or say what differed (docs/witness.md).

    The check code in the link is the key, as on the status page: a wrong one is a 404 that
    says nothing, and every request counts against the citizens' rate limit."""
    case = citizens.case_for_citizen(db.session, case_number, code)
    if case is None:
        abort(404)
    inputs = engine_inputs()
    now = dt.datetime.now(dt.UTC)
    posted, posted_index, refused = None, None, None
    if request.method == "POST":
        prefix = request.form.get("form", "")
        if not prefix[1:-1].isdigit() or prefix != ANSWER_PREFIX.format(int(prefix[1:-1])):
            abort(400)
        posted_index = int(prefix[1:-1])
        posted = AnswerForm(prefix=prefix)
        if posted.validate_on_submit():
            given = witness_service.GivenAnswer(
                verdict=posted.verdict.data, documents=tuple(posted.documents.data or ()),
                typed_documents=posted.typed_documents.data or "", told_to_return=posted.told_to_return.data,
                asked_to_pay=posted.asked_to_pay.data, sent_elsewhere=posted.sent_elsewhere.data,
                waited_minutes=posted.waited_minutes.data, account=posted.account.data or "")
            try:
                recorded = witness_service.record_answer(db.session, inputs, case, posted.visit_id.data, given, now,
                                                         language=_language())
            except witness_service.AnswerRefused as error:
                db.session.rollback()
                refused = witness_error(error.code)
            else:
                if recorded.inducement is not None:
                    _escalate(recorded.inducement.reference, supervisors_only=True)
                db.session.commit()
                flash(_answer_thanks(recorded), "success")
                return redirect(url_for(".witness", case_number=case.case_number, code=code,
                                        _anchor=f"visit-{posted_index}"), 303)
    logged = witness_service.logged_visits(db.session, inputs, case, now)
    if posted is not None and not 0 <= posted_index < len(logged):
        abort(400)
    forms = _answer_forms(logged, posted, posted_index)
    status = 422 if refused or (posted is not None and posted.errors) else 200
    response = make_response(render_template(
        "public/witness.html", case=case, logged=list(zip(logged, forms)), refused=refused,
        refused_index=posted_index if refused or (posted is not None and posted.errors) else None,
        changeable_for=witness_service.CHANGEABLE_FOR.days,
        documents=current_catalog().documents, code=code), status)
    # The link carries the check code: never kept by a browser cache or sent on as a referrer.
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _answer_thanks(recorded) -> str:
    if recorded.answer.verdict == "confirmed":
        return _("Thank you: you confirmed what the desk logged.")
    if recorded.inducement is not None:
        return _("Thank you: your answer is recorded, and your report of being asked to pay went to the "
                 "office's supervisors (reference %(reference)s).", reference=recorded.inducement.reference)
    return _("Thank you: your answer is recorded as evidence, and a supervisor will review it.")


def _complaint_choices(form: ComplaintForm) -> None:
    catalog = current_catalog()
    language = _language()
    form.service_code.choices = [SelectChoice("", "—")] + [
        SelectChoice(s.code, f"{s.code} — {s.name.get(language)}") for s in catalog.services.values()]
    form.office_code.choices = [SelectChoice("", "—")] + [
        SelectChoice(o.code, getattr(o, f"name_{language}", o.name_ru)) for o in offices.all_offices(db.session)]


@bp.route("/complaints/new", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["COMPLAINT_RATE_LIMIT"], methods=["POST"],
               exempt_when=lambda: bool(request.form.get("website")))
def complain():
    """Complain about a case, a service or an office, or report an inducement (2.2.4)."""
    form = ComplaintForm()
    _complaint_choices(form)
    if request.method == "GET":
        form.case_number.data = request.args.get("case", "")
        form.service_code.data = request.args.get("service", "")
    if form.validate_on_submit():
        if form.website.data:  # only robots fill the hidden field: accept silently, store nothing
            return render_template("public/complaint_filed.html", filed=None)
        filed = citizens.file_complaint(
            db.session, kind=form.kind.data, text=form.text.data, case_number=form.case_number.data or "",
            service_code=form.service_code.data or "", office_code=form.office_code.data or "",
            contact=form.contact.data or "", language=_language())
        if form.kind.data == "inducement":
            _escalate(filed.reference)
        db.session.commit()  # the complaint and its escalation mails, together
        # The follow-up code is shown in this answer only: never kept in the (readable)
        # session cookie, never cached, so a shared kiosk does not leak it.
        answer_by = None
        if form.kind.data == "inducement":  # the accountability clock of an unanswered report
            answer_by = runs_out_at(dt.datetime.now(dt.UTC), current_app.config["ESCALATE_AFTER_WORKING_DAYS"],
                                    public_pages.calendar(_language()))
        response = current_app.make_response(render_template(
            "public/complaint_filed.html", filed={"reference": filed.reference, "code": filed.follow_up_code},
            inducement=form.kind.data == "inducement", answer_by=answer_by,
            escalate_days=current_app.config["ESCALATE_AFTER_WORKING_DAYS"]))
        response.headers["Cache-Control"] = "no-store"
        return response
    return render_template("public/complaint_form.html", form=form), 422 if form.errors else 200


@bp.route("/services/<code>/report", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["ERROR_REPORT_RATE_LIMIT"], methods=["POST"],
               exempt_when=lambda: bool(request.form.get("website")))
def report_error(code: str):
    """"This page is wrong or out of date", for the service's stewards. A page of its own, never
    cached: the service page (cached for everyone) only links here, so that no CSRF token is
    ever kept in a shared page. A signed-in clerk's report (from the visit form) says who sent it."""
    service = current_catalog().services.get(code)
    if service is None:
        abort(404)
    form = ErrorReportForm()
    if form.validate_on_submit():
        if form.website.data:  # a robot: accepted silently, nothing stored
            return _no_store(render_template("public/report_filed.html", service=service, report=None))
        clerk = current_user if current_user.is_authenticated and current_user.role in ("desk", "admin") else None
        report = stewardship.file_report(
            db.session, code, form.text.data, form.contact.data or "", _language(),
            engine_inputs().calendar, reporter=clerk)
        db.session.commit()
        return _no_store(render_template("public/report_filed.html", service=service, report=report,
                                         stewards=len(stewardship.stewards_of(db.session, code))))
    response = _no_store(render_template("public/report_form.html", form=form, service=service,
                                         missing=request.args.get("missing") == "1"))
    return response, 422 if form.errors else 200


def _no_store(body):
    response = current_app.make_response(body)
    response.headers["Cache-Control"] = "no-store"
    return response


def _escalate(reference: str, supervisors_only: bool = False) -> None:
    """A report of inducement reaches the office's supervisors at once (clause 2.2.4): its
    mails are queued with the complaint, and the ``mail`` job sends them within a minute."""
    complaint = citizens.complaint_by_reference(db.session, reference)
    mail.queue_escalation(db.session, complaint, mail.addresses(current_app.config["MAIL_COPY_TO"]),
                          public_url("supervisor.complaint", reference=reference), dt.datetime.now(dt.UTC),
                          supervisors_only=supervisors_only)


@bp.get("/complaints/filed")
def complaint_filed():
    """Kept for old bookmarks: the code was shown once, when the complaint was filed."""
    session.pop("filed_complaint", None)  # from cookies issued before the fix
    return render_template("public/complaint_filed.html", filed=None)


@bp.route("/complaints/follow", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["CASE_STATUS_RATE_LIMIT"], methods=["POST"])
def follow_complaint():
    form = FollowUpForm()
    complaint, not_found = None, False
    if form.validate_on_submit():
        complaint = citizens.complaint_for_citizen(db.session, form.reference.data, form.code.data)
        not_found = complaint is None
    return render_template("public/complaint_follow.html", form=form, complaint=complaint,
                           not_found=not_found)


@bp.get("/indicators")
def indicators():
    """Published weekly indicators, network-wide and per office, with their trend: rendered
    once per publication, language and query for anonymous readers (public_pages)."""
    if current_user.is_authenticated or session.get("_flashes"):
        return _indicators()
    changes = public_pages.changes()
    key = (changes.published, changes.offices, _language(), _page_key(""))
    return public_pages.rendered(key, _indicators)


def _indicators():
    table = public_pages.published_snapshots(last_weeks=TREND_WEEKS)
    minimum = current_app.config["MIN_CASES_FOR_RANKING"]
    if table.empty:
        return render_template("public/indicators.html", weeks=[], network={}, charts={}, offices=[],
                               minimum=minimum, head=None, plain=[])
    weeks = sorted(table["week"].unique())[-TREND_WEEKS:]
    office = request.args.get("office", "")
    if office and not ((table["scope_kind"] == "office") & (table["scope_value"] == office)).any():
        abort(404)
    # The trend of one office (?office=CODE) or of the whole network.
    chosen = (table["scope_kind"] == "office") & (table["scope_value"] == office) if office \
        else table["scope_kind"] == "network"
    network = table[chosen & table["week"].isin(weeks)] \
        .pivot_table(index="indicator", columns="week", values="value", aggfunc="first", dropna=False)
    # line_chart escapes every text it embeds, so its SVG is safe markup.
    axis = [format_week_start(week) for week in weeks]  # a chart names a week by its Monday
    charts = {name: Markup(line_chart(axis, [network.at[name, w] if w in network.columns else None  # nosec B704
                                             for w in weeks], citizen_label(name),
                                      percent=name in RATE_INDICATORS))
              for name in SHOWN_INDICATORS if name in network.index}
    latest = weeks[-1]
    # One audit chain head: the latest week's covers every record before it.
    latest_rows = table[table["week"] == latest]
    head = latest_rows["audit_head_hash"].iloc[0] if not latest_rows.empty else None
    return render_template("public/indicators.html", weeks=weeks, network=network, charts=charts,
                           office=office, offices=office_ranking(table, latest, minimum), minimum=minimum,
                           office_names=public_pages.office_names(_language()),
                           latest=latest, head=head, plain=_in_plain_words(network, latest))


def _in_plain_words(network, week: str) -> list[str]:
    """The latest week's medians and percentiles as a citizen says them ("half of the cases
    took less than 27 hours"); rounded up, so that "less than" stays true."""
    def value(name):
        if name not in network.index or week not in network.columns:
            return None
        number = network.at[name, week]
        return None if number is None or number != number else math.ceil(number)
    sentences = []
    if (hours := value("lead_time_p50_hours")) is not None:
        sentences.append(ngettext("Half of the cases took less than %(num)s hour.",
                                  "Half of the cases took less than %(num)s hours.", hours))
    if (hours := value("lead_time_p90_hours")) is not None and "lead_time_p90_hours" in SHOWN_INDICATORS:
        sentences.append(ngettext("9 in 10 cases took less than %(num)s hour.",
                                  "9 in 10 cases took less than %(num)s hours.", hours))
    if (minutes := value("queue_wait_p90_minutes")) is not None and "queue_wait_p90_minutes" in SHOWN_INDICATORS:
        sentences.append(ngettext("9 in 10 visitors waited in the queue less than %(num)s minute.",
                                  "9 in 10 visitors waited in the queue less than %(num)s minutes.", minutes))
    return sentences
