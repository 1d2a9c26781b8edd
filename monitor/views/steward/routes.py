"""Routes of the catalog stewards. Decisions live in monitor.services.stewardship."""
from __future__ import annotations

import datetime as dt

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import format_date, format_decimal, get_locale, gettext as _, ngettext
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from services_catalog.model import SOURCED_FACTS

from ...extensions import db
from ...services import stewardship
from ...services.catalog import CatalogInUse
from ...services.context import current_catalog, engine_inputs, local_today
from ...services.stewardship import KEEP, NEW, DraftFields, StewardshipError
from .. import DEADLINE_UNITS, FACT_LABELS
from . import bp
from .forms import AnswerForm, DecisionForm, DraftForm

# Which form field a validator's problem is about (the longest field prefix first).
PROBLEM_FIELDS = (
    ("effective_from", "effective_from"), ("effective_to", "effective_from"),
    ("legal_basis.kk", "legal_basis_kk"), ("legal_basis.ru", "legal_basis_ru"), ("legal_basis", "legal_basis_en"),
    ("deadline.unit", "deadline_unit"), ("deadline", "deadline_value"),
    ("max_wait_minutes", "max_wait_minutes"), ("max_service_minutes", "max_service_minutes"),
    ("fee", "fee_mrp"), ("required_documents", "required"), ("obtained_by_office", "obtained"),
    ("refusal_grounds", "new_ground_code"), ("sources", "new_source_url"),
) + tuple((f"provenance.{fact}", f"source_{fact}") for fact in SOURCED_FACTS)


def _language() -> str:
    return str(get_locale() or "ru")


def _error(error: StewardshipError) -> str:
    return _(error.message, **error.parameters)


def _kept_service(code: str):
    """The service, if this steward keeps it; 404 otherwise (another ministry's service is
    not there for them, as another office's case is not there for a clerk)."""
    service = current_catalog().services.get(code)
    if service is None or not stewardship.may_steward(db.session, current_user, code):
        abort(404)
    return service


def _draft(draft_id: int):
    draft = stewardship.draft_for(db.session, current_user, draft_id)
    if draft is None:
        abort(404)
    return draft


@bp.get("/")
def index():
    """The services this steward keeps, drafts waiting, and reports of wrong pages."""
    catalog = current_catalog()
    return render_template("steward/index.html", services=stewardship.services_kept(db.session, current_user, catalog),
                           drafts=stewardship.drafts_for(db.session, current_user), today=local_today(),
                           decided=stewardship.drafts_for(db.session, current_user, ("approved", "rejected"))[:20],
                           reports=stewardship.open_report_counts(db.session), language=_language())


def _choices(form: DraftForm, catalog, base) -> None:
    language = _language()
    documents = [SelectChoice(code, d.name.get(language)) for code, d in
                 sorted(catalog.documents.items(), key=lambda item: item[1].name.get(language))]
    form.required.choices = documents
    form.obtained.choices = documents
    grounds = base.refusal_grounds if base else ()
    form.grounds_kept.choices = [SelectChoice(g.code, g.text.get(language)) for g in grounds]
    sources = base.sources if base else ()
    form.sources_kept.choices = [SelectChoice(s.id, s.title) for s in sources]
    for fact in SOURCED_FACTS:
        form[f"source_{fact}"].choices = (
            [SelectChoice(KEEP, _("As in the version in force")), SelectChoice(NEW, _("The new source below"))]
            + [SelectChoice(s.id, s.title) for s in sources])


def _fill(form: DraftForm, base) -> None:
    """A new draft starts as the version in force: the steward changes only what changed."""
    form.effective_from.data = local_today() + dt.timedelta(days=1)
    if base is None:
        return
    legal = base.legal_basis_text
    for lang in ("kk", "ru", "en"):
        form[f"legal_basis_{lang}"].data = legal.get(lang) if legal else base.legal_basis
    form.deadline_value.data, form.deadline_unit.data = base.deadline.value, base.deadline.unit
    form.max_wait_minutes.data, form.max_service_minutes.data = base.max_wait_minutes, base.max_service_minutes
    form.fee_mrp.data = base.fee.mrp
    form.fee_amount.data = base.fee.amount if base.fee.mrp is None else None
    form.required.data = sorted(base.lawful_codes)
    form.obtained.data = list(base.obtained_by_office)
    form.grounds_kept.data = [g.code for g in base.refusal_grounds]
    form.sources_kept.data = [s.id for s in base.sources]
    for fact in SOURCED_FACTS:
        form[f"source_{fact}"].data = KEEP


def _fields(form: DraftForm) -> DraftFields:
    ground = None
    if (form.new_ground_code.data or "").strip():
        ground = (form.new_ground_code.data.strip(),
                  {lang: (form[f"new_ground_{lang}"].data or "").strip() for lang in ("kk", "ru", "en")})
    source = None
    if (form.new_source_title.data or "").strip() or (form.new_source_url.data or "").strip():
        source = {"title": (form.new_source_title.data or "").strip(), "url": (form.new_source_url.data or "").strip(),
                  "secondary": bool(form.new_source_secondary.data)}
    return DraftFields(
        effective_from=form.effective_from.data,
        legal_basis={lang: form[f"legal_basis_{lang}"].data.strip() for lang in ("kk", "ru", "en")},
        deadline_value=form.deadline_value.data, deadline_unit=form.deadline_unit.data,
        max_wait_minutes=form.max_wait_minutes.data, max_service_minutes=form.max_service_minutes.data,
        fee_mrp=number(form.fee_mrp.data), fee_amount=number(form.fee_amount.data),
        required=tuple(form.required.data or ()), obtained=tuple(form.obtained.data or ()),
        grounds_kept=tuple(form.grounds_kept.data or ()), new_ground=ground,
        sources_kept=tuple(form.sources_kept.data or ()), new_source=source,
        fact_sources={fact: form[f"source_{fact}"].data for fact in SOURCED_FACTS}, retrieved=local_today())


def number(value) -> float | None:
    return float(value) if value is not None else None


def _validator_says(reason: str) -> str:
    """The catalog validator's reason (English, as the CLI prints it), labelled as such in kk and ru."""
    return reason if _language() == "en" else _("The catalog's validator (in English): %(reason)s", reason=reason)


def _place_problems(form: DraftForm, problems) -> list:
    """Put each validator problem of the drafted version on the field it names; the rest (the
    version in force it shortens, a later one) are listed apart."""
    others = []
    drafted = f"(from {form.effective_from.data.isoformat()})"
    for problem in problems:
        ours = problem.version is None or problem.version.endswith(drafted)
        name = next((target for prefix, target in PROBLEM_FIELDS
                     if ours and problem.field and problem.field.startswith(prefix)), None)
        if name is not None:
            form[name].errors = list(form[name].errors) + [_validator_says(problem.reason)]
        else:
            others.append(problem)
    return others


def _review(catalog, code: str, content: dict):
    """What a draft would do: the validator's verdict, its changes, the cases it touches."""
    check = stewardship.check_draft(catalog, code, content)
    affected = stewardship.affected_cases(db.session, check, code, engine_inputs().calendar) \
        if check.valid else stewardship.Affected(())
    return check, stewardship.changes(catalog, code, content), affected


@bp.route("/services/<code>/draft", methods=["GET", "POST"])
def new_draft(code: str):
    """Draft the service's next version; check it (changes, cases), save it or submit it."""
    service = _kept_service(code)
    catalog = current_catalog()
    form = DraftForm()
    start = form.effective_from.data if request.method == "POST" and form.effective_from.data else \
        local_today() + dt.timedelta(days=1)
    base = stewardship.base_version(catalog, code, start)
    _choices(form, catalog, base)
    if request.method == "GET":
        _fill(form, base)
        return render_template("steward/draft_form.html", form=form, service=service, review=None,
                               others=[], documents=catalog.documents, language=_language())
    review, others, status = None, [], 422
    if form.validate_on_submit():
        content = stewardship.compose_version(base, _fields(form))
        review = _review(catalog, code, content)
        others = _place_problems(form, review[0].problems)
        step = request.form.get("step", "check")
        if review[0].valid and step in ("save", "submit"):
            try:
                draft = stewardship.save_draft(db.session, current_user, code, content)
                if step == "submit":
                    stewardship.submit(db.session, draft, current_user, catalog, engine_inputs().calendar)
            except StewardshipError as error:
                db.session.rollback()
                flash(_error(error), "error")
            else:
                db.session.commit()
                flash(_("Draft submitted: a second steward must approve it.") if step == "submit"
                      else _("Draft saved."), "success")
                return redirect(url_for(".draft", draft_id=draft.id))
        status = 200 if review[0].valid else 422
    return render_template("steward/draft_form.html", form=form, service=service, review=review, others=others,
                           documents=catalog.documents, language=_language()), status


@bp.get("/drafts/<int:draft_id>")
def draft(draft_id: int):
    """A draft: its changes, the cases it would re-time or re-judge, and what may be done next."""
    found = _draft(draft_id)
    catalog = current_catalog()
    review = _review(catalog, found.service_code, found.content) if found.status in ("draft", "submitted") else None
    return render_template("steward/draft.html", draft=found, service=catalog.services.get(found.service_code),
                           review=review, decision_form=DecisionForm(), documents=catalog.documents,
                           language=_language())


@bp.post("/drafts/<int:draft_id>/submit")
def submit_draft(draft_id: int):
    found = _draft(draft_id)
    try:
        stewardship.submit(db.session, found, current_user, current_catalog(), engine_inputs().calendar)
    except StewardshipError as error:
        db.session.rollback()
        flash(_error(error), "error")
    else:
        db.session.commit()
        flash(_("Draft submitted: a second steward must approve it."), "success")
    return redirect(url_for(".draft", draft_id=found.id))


@bp.post("/drafts/<int:draft_id>/decide")
def decide(draft_id: int):
    """A second steward approves (the version is put in force) or rejects, with a reason."""
    found = _draft(draft_id)
    form = DecisionForm()
    decision = request.form.get("decision")
    if decision not in ("approve", "reject") or not form.validate_on_submit():
        flash(_("Give a reason and choose to approve or reject."), "error")
        return redirect(url_for(".draft", draft_id=found.id))
    try:
        if decision == "approve":
            loaded = stewardship.approve(db.session, found, current_user, form.reason.data, current_catalog())
        else:
            stewardship.reject(db.session, found, current_user, form.reason.data)
    except StewardshipError as error:
        db.session.rollback()
        flash(_error(error), "error")
    except CatalogInUse as error:
        db.session.rollback()
        flash(str(error), "error")
    else:
        db.session.commit()
        if decision == "approve":
            flash(ngettext("Approved: the version is in force from %(day)s; %(num)s case re-timed.",
                           "Approved: the version is in force from %(day)s; %(num)s cases re-timed.",
                           loaded.retimed, day=format_date(found.effective_from, "d MMMM y")), "success")
        else:
            flash(_("Rejected; the author sees your reason."), "success")
    return redirect(url_for(".draft", draft_id=found.id))


@bp.get("/reports")
def reports():
    """Reports of wrong or out-of-date pages of the services this steward keeps, oldest due first."""
    shown = request.args.get("status", "open")
    status = shown if shown in ("open", "answered") else "open"
    catalog = current_catalog()
    return render_template("steward/reports.html", reports=stewardship.reports_for(db.session, current_user, status),
                           status=status, services=catalog.services, language=_language(),
                           timezone=engine_inputs().calendar.timezone)


@bp.route("/reports/<int:report_id>", methods=["GET", "POST"])
def report(report_id: int):
    found = stewardship.report_for(db.session, current_user, report_id)
    if found is None:
        abort(404)
    form = AnswerForm()
    if found.status == "open" and form.validate_on_submit():
        try:
            stewardship.answer_report(db.session, found, current_user, form.answer.data)
        except StewardshipError as error:
            db.session.rollback()
            flash(_error(error), "error")
        else:
            db.session.commit()
            flash(_("Answer recorded."), "success")
            return redirect(url_for(".reports"))
    catalog = current_catalog()
    return render_template("steward/report.html", report=found, form=form,
                           service=catalog.services.get(found.service_code), language=_language(),
                           timezone=engine_inputs().calendar.timezone)


def describe(fact: str, value, documents, language: str) -> str:
    """A fact of a draft (catalog format) in the reader's words, for the diff."""
    if value in (None, [], {}):
        return "—"
    if fact == "legal_basis":
        return value.get(language) or value.get("ru") if isinstance(value, dict) else str(value)
    if fact == "deadline":
        return f"{value.get('value')} {DEADLINE_UNITS.get(value.get('unit'), value.get('unit'))}"
    if fact in ("max_wait_minutes", "max_service_minutes"):
        return _("%(n)s min", n=value)
    if fact == "fee":
        text = _("%(n)s МРП", n=format_decimal(value["mrp"])) if value.get("mrp") is not None else \
            _("%(n)s tenge", n=format_decimal(value.get("amount", 0)))
        return text + (" " + _("(with exemptions)") if value.get("exemptions") else "")

    def name(code):
        document = documents.get(code)
        return document.name.get(language) if document else code
    if fact == "required_documents":
        words = []
        for entry in value:
            if isinstance(entry, str):
                words.append(name(entry))
            elif "any_of" in entry:
                words.append(_("one of: %(names)s", names=" / ".join(name(c) for c in entry["any_of"])))
            else:
                words.append(_("%(name)s (%(when)s)", name=name(entry["code"]),
                               when=entry["when"].get(language) or entry["when"].get("ru")))
        return "; ".join(words)
    if fact == "obtained_by_office":
        return "; ".join(name(code) for code in value)
    if fact == "refusal_grounds":
        return "; ".join(g["text"].get(language) or g["text"].get("ru") for g in value)
    if fact == "sources":
        return "; ".join(s["title"] + (" " + _("(secondary)") if s.get("secondary") else "") for s in value)
    if fact == "provenance":
        return "; ".join(f"{FACT_LABELS.get(f, f)}: " + (_("assumed") if p.get("assumed") else
                                                        ", ".join(p["source"] if isinstance(p.get("source"), list)
                                                                  else [str(p.get("source"))]))
                         for f, p in value.items())
    return str(value)


@bp.app_template_global("draft_fact")
def draft_fact(fact: str, value, documents) -> str:
    return describe(fact, value, documents, _language())


def fact_label(fact: str) -> str:
    return str(FACT_LABELS.get(fact) or {"sources": _("Sources"), "provenance": _("Where each fact comes from")}[fact])


bp.add_app_template_global(fact_label, "draft_fact_label")
