"""Routes of the front desk. Decisions live in monitor.services.front_desk; these parse and render."""
from __future__ import annotations

import datetime as dt
import hashlib
import json

import pandas as pd
from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import get_locale, gettext as _
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from ...calendar import due_at
from ...compliance.applicants import applicant_hash
from ...compliance.visit_log import iin_is_valid
from ...extensions import db
from ...services import accounts, cases, escalations, front_desk, receipts, returns, witness
from ...services.context import engine_inputs
from ...services.errors import DraftRejected
from .. import desk_words, public_url, reader_context
from ..access import offices_of, visible
from ..error_words import field_error
from ..labels import label
from ..qr import qr_svg
from ..words import supervised_reason
from . import bp
from .forms import CorrectionForm, RelativeForm, VisitForm

NEARLY_DUE = dt.timedelta(days=1)


def _language() -> str:
    return str(get_locale() or "ru")


@bp.get("/")
def today():
    """Today's visits and the office's open cases, the overdue and nearly due first."""
    inputs = engine_inputs()
    now = dt.datetime.now(dt.UTC)
    day = cases.desk_day(db.session, offices_of(current_user), now, inputs.timezone, NEARLY_DUE)
    open_cases = [(case, state, _next_step(case, state)) for case, state in day.open_cases]
    # An overdue case's accountability clock: when it goes to the administrator.
    clocks = escalations.case_clocks(db.session, [case for case, _, _ in open_cases], now,
                                     current_app.config["ESCALATE_AFTER_WORKING_DAYS"], inputs.calendar)
    # The applicants' answers about the office's visits: counts only, none below the threshold.
    answers = witness.answer_counts(db.session, offices_of(current_user), current_app.config["MIN_CASES_FOR_RANKING"])
    return render_template("desk/today.html", visits=day.visits, answers=answers,
                           open_cases=open_cases, timezone=inputs.calendar.timezone, clocks=clocks,
                           services=inputs.frames.catalog.services, language=_language())


def _next_step(case, state: str) -> str:
    """What the office has to do next on an open case, in words (from its last visit)."""
    last = case.visits[-1] if case.visits else None  # open and accepted: no return since
    if last is not None and last.action == "forward" and last.forwarded_to != case.office_code:
        return _("Forwarded to %(office)s: wait for its answer.", office=last.forwarded_to)
    if state == "overdue":
        return _("Overdue: issue the result or refuse with a lawful ground now.")
    return _("Issue the result, or refuse with a lawful ground, before the due date.")


def _skew() -> dt.timedelta:
    return dt.timedelta(minutes=current_app.config["CLOCK_SKEW_MINUTES"])


def _draft(form: VisitForm, timezone, facts: front_desk.DocumentFacts) -> front_desk.VisitDraft:
    def local(value):
        return value.replace(tzinfo=timezone) if value else None
    action = form.action.data
    # A document typed by a name of the catalog is that document ("Адресная справка" is the
    # address certificate the office obtains itself); any other text stays as typed.
    others = [facts.resolve(line) for chunk in (form.other_documents.data or "").splitlines()
              for line in chunk.split(";") if line.strip()]
    # Only the fields of the chosen action count (the form shows only those; without
    # JavaScript it shows all, and a value typed in another action's field is not saved).
    documents = tuple(form.documents.data or ()) + tuple(others) if action in DOCUMENT_ACTIONS else ()
    finished = form.finished_at.data or dt.datetime.now(timezone).replace(second=0, microsecond=0, tzinfo=None)
    return front_desk.VisitDraft(
        office_code=current_user.office_code or "", staff_id=current_user.login,
        service_code=form.service_code.data, action=action, documents=documents,
        called_at=local(form.called_at.data), finished_at=local(finished),
        ticket_at=local(form.ticket_at.data),
        case_number=(form.case_number.data or "").strip() if action != "consult" else "",
        applicant_ref=form.applicant_ref.data or "",
        refusal_ground=(form.refusal_ground.data or "") if action == "refuse" else "",
        forwarded_to=(form.forwarded_to.data or "").strip() if action == "forward" else "")


# Which of the form's fields each action uses (static/js/visit-form.js shows only these).
DOCUMENT_ACTIONS = ("submit", "resubmit", "return", "consult")
FIELDS_OF_ACTION = {
    # A submit may name a case: a second submit on an accepted case is warned (CLOCK_RESET).
    "case_number": ("submit", "resubmit", "return", "forward", "issue", "refuse", "withdraw"),
    "documents": DOCUMENT_ACTIONS,
    "applicant_ref": ("submit", "resubmit", "consult"),
    "refusal_ground": ("refuse",),
    "forwarded_to": ("forward",),
}


@bp.get("/visits/new")
def new_visit():
    """Step 1: find the service. Step 2: the visit form with the service's checklist."""
    if current_user.office_code is None:
        flash(_("Your account has no office: ask an administrator."), "error")
        return redirect(url_for("public.index"))
    inputs = engine_inputs()
    code = request.args.get("service_code") or request.args.get("service", "")
    catalog = inputs.frames.catalog
    if code not in catalog.services:
        query = request.args.get("q", "").strip()
        exact = front_desk.exact_service_code(catalog, query)
        if exact is not None:  # a service code, in any case: its form at once
            return redirect(url_for(".new_visit", service=exact, case=request.args.get("case", "")))
        matches = catalog.search(query) if query else []
        if len(matches) == 1:
            return redirect(url_for(".new_visit", service=matches[0].code,
                                    case=request.args.get("case", "")))
        return render_template("desk/choose_service.html", query=query, matches=matches,
                               services=list(catalog.services.values()), language=_language())
    form, service, version, now = _visit_form(inputs, code)
    form.service_code.data = code
    form.case_number.data = request.args.get("case", "")
    form.called_at.data = now  # the visit starts when the form opens; finished is set on saving
    return _visit_page(form, service, version, None, [])


@bp.post("/visits/new")
def save_visit():
    """Save the visit: the front desk checks the draft once; a refusal comes back as data
    (services.errors.DraftRejected) and is shown with the form, its warnings and its fields."""
    if current_user.office_code is None:
        flash(_("Your account has no office: ask an administrator."), "error")
        return redirect(url_for("public.index"))
    inputs = engine_inputs()
    code = request.form.get("service_code", "")
    if code not in inputs.frames.catalog.services:
        return redirect(url_for(".new_visit"))
    form, service, version, _now = _visit_form(inputs, code)
    if not form.validate_on_submit():
        return _visit_page(form, service, version, None, [])
    timezone = inputs.calendar.timezone
    draft = _draft(form, timezone, front_desk.document_facts(version, inputs.frames.catalog))
    try:
        saved = front_desk.record_visit(
            db.session, draft, current_user, inputs, current_app.config["APPLICANT_HASH_KEY"],
            override_reason=(form.override_reason.data or "").strip() or None,
            late_reason=(form.late_reason.data or "").strip() or None, skew=_skew())
    except DraftRejected as refused:
        db.session.rollback()
        context = reader_context()
        errors = [field_error(error, **context) for error in refused.errors]
        for name, message in errors:  # shown at the field too, and linked from the summary
            if name in form and message not in form[name].errors:
                form[name].errors = list(form[name].errors) + [message]
        return _visit_page(form, service, version, refused.check, errors)
    if saved.case_number and saved.check_code:
        _keep_for_receipt(saved.case_number, saved.check_code)
    db.session.commit()
    finished = draft.finished_at.astimezone(timezone)
    if saved.case_number:
        flash(_("Saved: %(action)s, case %(case)s, finished at %(time)s.", action=label(draft.action),
                case=saved.case_number, time=finished.strftime("%H:%M")), "success")
        return redirect(url_for(".receipt", case_number=saved.case_number))
    flash(_("Saved: consultation, finished at %(time)s.", time=finished.strftime("%H:%M")), "success")
    return redirect(url_for(".today"))


def _visit_form(inputs, code: str):
    """The visit form of a service, its choices from the version in force today."""
    catalog = inputs.frames.catalog
    service = catalog.services[code]
    now = dt.datetime.now(inputs.calendar.timezone).replace(second=0, microsecond=0, tzinfo=None)
    version = service.version_in_force(now.date())
    form = VisitForm()
    if version is not None:
        form.documents.choices = [SelectChoice(c, catalog.documents[c].name.get(_language()))
                                  for entry in version.required_documents for c in entry.codes]
        form.refusal_ground.choices = [SelectChoice("", "—")] + [
            SelectChoice(g.code, f"{g.code}: {g.text.get(_language())}") for g in version.refusal_grounds]
    return form, service, version, now


def _visit_page(form, service, version, check, errors):
    status = 422 if (check and (check.warnings or check.late)) or errors or form.errors else 200
    catalog = engine_inputs().frames.catalog
    context = reader_context()
    warnings = desk_words.warning_items(check.warnings if check else (), **context)
    data = desk_words.document_data(front_desk.document_facts(version, catalog), **context)
    return render_template("desk/visit_form.html", form=form, service=service, version=version,
                           documents=catalog.documents, check=check, warnings=warnings,
                           reason_first=bool(warnings) or bool(check and check.late),
                           document_json=desk_words.script_json(data),
                           errors=_unlinked(errors, form), fields_of_action=FIELDS_OF_ACTION,
                           language=_language()), status


def _keep_for_receipt(case_number: str, code: str) -> None:
    """The new check code waits, sealed, in the database; the session holds only the one-time
    key, never the code (the cookie is signed, not encrypted)."""
    session.pop("check_code", None)  # from cookies issued before the fix
    session["receipt_key"] = receipts.seal(db.session, case_number, current_user.id, code)


def _code_for_receipt(case_number: str) -> str | None:
    """The check code, on the first receipt only (only its hash is kept with the case)."""
    key = session.get("receipt_key")
    if not key:
        return None
    code = receipts.open_once(db.session, key, case_number, current_user.id)
    if code is not None:
        session.pop("receipt_key")
        db.session.commit()
    return code


def _unlinked(errors, form):
    """Errors not attached to a field of the form (those are in the summary via the form)."""
    return [(name, message) for name, message in errors if name not in form]


@bp.get("/receipts/<case_number>")
def receipt(case_number: str):
    """The applicant's receipt: case number, check code, due date and how it was counted."""
    case = visible(cases.visible_case, case_number)
    inputs = engine_inputs()
    catalog = inputs.frames.catalog
    service = catalog.services.get(case.service_code)
    explained, version = None, None
    if case.accepted_at is not None and service is not None:
        accepted_local = case.accepted_at.astimezone(inputs.calendar.timezone)
        version = service.version_in_force(accepted_local.date())
        if version is not None:
            explained = due_at(case.accepted_at, version.deadline, inputs.calendar)
    check_code = _code_for_receipt(case_number)
    refusal = next((v for v in reversed(case.visits) if v.action == "refuse"), None)
    ground = None
    if refusal is not None:
        in_force = service.version_in_force(refusal.called_at.astimezone(inputs.calendar.timezone).date()) \
            if service is not None else None
        grounds = {g.code: g for g in (in_force.refusal_grounds if in_force else ())}
        ground = (refusal.refusal_ground, grounds.get(refusal.refusal_ground or ""))
    # The applicant's way to say whether the log is what happened (issue 27): a short link and
    # its QR code, which carry the check code, so only on the receipt that shows the code.
    witness_link = public_url("public.witness", case_number=case.case_number, code=check_code) \
        if check_code else None
    logged = witness.logged_visits(db.session, inputs, case, dt.datetime.now(dt.UTC), with_answers=False)
    return render_template("desk/receipt.html", case=case, service=service, version=version,
                           explained=explained, check_code=check_code, documents=catalog.documents,
                           refusal_ground=ground, logged=logged,
                           returned=returns.returned_package(logged, case.service_code, catalog,
                                                             inputs.calendar.timezone),
                           witness_link=witness_link, status_link=public_url("public.case_status"),
                           witness_qr=qr_svg(witness_link, _("Is this what happened?")) if witness_link else None,
                           timezone=inputs.calendar.timezone, language=_language())


@bp.post("/receipts/<case_number>/check-code")
def reissue_check_code(case_number: str):
    """A new check code for a citizen who lost theirs; the old one stops working (audited)."""
    case = visible(cases.visible_case, case_number)
    code = front_desk.reissue_check_code(db.session, case, current_user)
    _keep_for_receipt(case.case_number, code)
    db.session.commit()
    flash(_("A new check code was issued; the old one no longer works."), "success")
    return redirect(url_for(".receipt", case_number=case.case_number))


@bp.route("/relatives", methods=["GET", "POST"])
def relatives():
    """Declare close relatives (clause 2.4.1): only a keyed hash of each IIN is kept."""
    form = RelativeForm()
    if form.validate_on_submit():
        iin = form.iin.data.strip()
        if not iin_is_valid(pd.Series([iin])).iloc[0]:
            form.iin.errors.append(_("This IIN's control digit is wrong."))
        else:
            hashed = applicant_hash(iin, current_app.config["APPLICANT_HASH_KEY"])
            if accounts.declare_relative(db.session, current_user, hashed):
                db.session.commit()
            flash(_("Declaration saved."), "success")
            return redirect(url_for(".relatives"))
    count = len(current_user.relatives)
    return render_template("desk/relatives.html", form=form, count=count, language=_language())


@bp.route("/visits/<visit_id>/correct", methods=["GET", "POST"])
def correct(visit_id: str):
    """Correct a visit of the office; the old values stay in the audit log.

    Documents are picked by name (the new-visit form's picker); before a correction that
    opens or clears a finding is sent, the form shows which (a preview the clerk confirms).
    """
    visit = visible(cases.visible_visit, visit_id)
    inputs = engine_inputs()
    timezone = inputs.calendar.timezone
    catalog = inputs.frames.catalog

    def local(moment):
        return moment.astimezone(timezone).replace(tzinfo=None) if moment else None
    service = catalog.services.get(visit.service_code)
    version = service.version_in_force(visit.called_at.astimezone(timezone).date()) if service else None
    stored = [t for t in (visit.documents_requested or "").split(";") if t.strip()]
    listed = {c for entry in (version.required_documents if version else ()) for c in entry.codes}
    extra = list(dict.fromkeys([c for c in stored if c in catalog.documents and c not in listed]
                               + [c for c in (version.obtained_by_office if version else ()) if c not in listed]))
    form = CorrectionForm()
    if request.method == "GET":
        form.action.data = visit.action
        form.documents.data = [t for t in stored if t in catalog.documents]
        form.other_documents.data = "\n".join(t for t in stored if t not in catalog.documents)
        form.ticket_at.data, form.called_at.data = local(visit.ticket_at), local(visit.called_at)
        form.finished_at.data = local(visit.finished_at)
        form.refusal_ground.data, form.forwarded_to.data = visit.refusal_ground, visit.forwarded_to
    errors, effect = [], None
    if form.validate_on_submit():
        def aware(value):
            return value.replace(tzinfo=timezone).astimezone(dt.UTC) if value else None
        others = [line.strip() for chunk in (form.other_documents.data or "").splitlines()
                  for line in chunk.split(";") if line.strip()]
        codes, document_errors = front_desk.resolve_documents(list(form.documents.data or ()) + others, catalog,
                                                              visit.documents_requested or "")
        # Kept in the stored order, new ones after: reordering is not a change.
        codes = [t for t in stored if t in codes] + [c for c in codes if c not in stored]
        changes = {
            "action": form.action.data,
            "documents_requested": ";".join(codes),
            "ticket_at": aware(form.ticket_at.data), "called_at": aware(form.called_at.data),
            "finished_at": aware(form.finished_at.data),
            "refusal_ground": (form.refusal_ground.data or "").strip(),
            "forwarded_to": (form.forwarded_to.data or "").strip(),
        }
        context = reader_context()
        errors = [field_error(error, **context) for error in document_errors or front_desk.correction_errors(
            db.session, visit, changes, form.reason.data, inputs, skew=_skew())]
        if not errors:
            effect = front_desk.correction_effect(db.session, visit, changes, inputs)
            seen = _preview_token(visit, changes)
            if effect and form.preview.data != seen:
                form.preview.data = seen  # shown once; saving the same changes again confirms
                db.session.rollback()
                return _correction_page(form, visit, [], effect, inputs, version, extra), 422
            outcome = front_desk.correct_visit(db.session, visit, changes, form.reason.data, current_user, inputs,
                                               skew=_skew())
            errors = [field_error(error, **context) for error in outcome.errors]
        if not errors:
            db.session.commit()
            if outcome.request is not None:
                flash(_("This correction needs a supervisor's approval (%(why)s); until then the visit "
                        "stands as it is.", why=supervised_reason(outcome.request)), "success")
            else:
                flash(_("Visit corrected; the previous values are kept in the audit log."), "success")
            return redirect(url_for(".today"))
        db.session.rollback()
        for name, message in errors:
            name = "other_documents" if name in ("documents", "documents_requested") else name
            if name in form and message not in form[name].errors:
                form[name].errors = list(form[name].errors) + [message]
    return _correction_page(form, visit, _unlinked(errors, form), effect, inputs, version, extra), \
        422 if errors else 200


def _preview_token(visit, changes: dict) -> str:
    """Names the exact changes a preview showed: a form changed after it gets a new preview."""
    plain = {k: v.isoformat() if isinstance(v, dt.datetime) else v for k, v in sorted(changes.items())}
    return hashlib.sha256(json.dumps([visit.visit_id, plain], sort_keys=True).encode()).hexdigest()[:32]


def _correction_page(form, visit, errors, effect, inputs, version, extra):
    deadline = front_desk.correction_deadline(visit, inputs.calendar)
    return render_template("desk/correct.html", form=form, visit=visit, errors=errors, deadline=deadline,
                           effect=effect, version=version, extra=extra, documents=inputs.frames.catalog.documents,
                           timezone=inputs.calendar.timezone, language=_language())
