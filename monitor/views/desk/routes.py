"""Routes of the front desk. Decisions live in monitor.front_desk; these parse and render."""
from __future__ import annotations

import datetime as dt

import pandas as pd
from flask import abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import get_locale, gettext as _
from flask_login import current_user
from sqlalchemy import case as sql_case, select
from wtforms.fields.choices import SelectChoice

from ... import audit, front_desk
from ...calendar import due_at
from ...compliance.visit_log import iin_is_valid
from ...context import engine_inputs
from ...extensions import db
from ...models import Case, RelativeDeclaration, Visit
from ...privacy import applicant_hash
from ...week_store import overdue_open_sql
from ..access import may_see_office, offices_of
from . import bp
from .forms import CorrectionForm, RelativeForm, VisitForm

NEARLY_DUE = dt.timedelta(days=1)


def _language() -> str:
    return str(get_locale() or "ru")


def _visible_case(case_number: str) -> Case:
    case = db.session.scalar(select(Case).where(Case.case_number == case_number))
    if case is None or not may_see_office(current_user, case.office_code):
        abort(404)  # another office's case is not there for this user
    return case


@bp.get("/")
def today():
    """Today's visits and the office's open cases, the overdue and nearly due first."""
    inputs = engine_inputs()
    now = dt.datetime.now(dt.timezone.utc)
    start = dt.datetime.now(inputs.calendar.timezone).replace(hour=0, minute=0, second=0, microsecond=0)
    offices = offices_of(current_user)
    visits = select(Visit).where(Visit.called_at >= start).order_by(Visit.called_at.desc())
    cases = select(Case).where(Case.completed_at.is_(None), Case.withdrawn_at.is_(None),
                               Case.accepted_at.is_not(None)).order_by(Case.due_at)
    if offices is not None:
        visits = visits.where(Visit.office_code.in_(offices))
        cases = cases.where(Case.office_code.in_(offices))
    # Overdue is the engine's OVERDUE_OPEN now (rules.is_overdue_open), as everywhere.
    overdue = sql_case((overdue_open_sql(now), True), else_=False).label("overdue")
    open_cases = [(case, "overdue" if is_overdue else
                   "nearly-due" if case.due_at and case.due_at < now + NEARLY_DUE else "")
                  for case, is_overdue in db.session.execute(cases.add_columns(overdue).limit(200))]
    return render_template("desk/today.html", visits=db.session.scalars(visits.limit(200)).all(),
                           open_cases=open_cases, timezone=inputs.calendar.timezone,
                           language=_language())


def _draft(form: VisitForm, timezone) -> front_desk.VisitDraft:
    def local(value):
        return value.replace(tzinfo=timezone) if value else None
    others = [line.strip() for chunk in (form.other_documents.data or "").splitlines()
              for line in chunk.split(";") if line.strip()]
    return front_desk.VisitDraft(
        office_code=current_user.office_code or "", staff_id=current_user.login,
        service_code=form.service_code.data, action=form.action.data,
        documents=tuple(form.documents.data or ()) + tuple(others),
        called_at=local(form.called_at.data), finished_at=local(form.finished_at.data),
        ticket_at=local(form.ticket_at.data), case_number=(form.case_number.data or "").strip(),
        applicant_ref=form.applicant_ref.data or "", refusal_ground=form.refusal_ground.data or "",
        forwarded_to=form.forwarded_to.data or "")


@bp.route("/visits/new", methods=["GET", "POST"])
def new_visit():
    """Step 1: find the service. Step 2: the visit form with the service's checklist."""
    if current_user.office_code is None:
        flash(_("Your account has no office: ask an administrator."), "error")
        return redirect(url_for("public.index"))
    inputs = engine_inputs()
    code = request.values.get("service_code") or request.args.get("service", "")
    catalog = inputs.frames.catalog
    if code not in catalog.services:
        query = request.args.get("q", "").strip()
        matches = catalog.search(query) if query else []
        if len(matches) == 1:
            return redirect(url_for(".new_visit", service=matches[0].code,
                                    case=request.args.get("case", "")))
        return render_template("desk/choose_service.html", query=query, matches=matches,
                               services=list(catalog.services.values()), language=_language())

    service = catalog.services[code]
    timezone = inputs.calendar.timezone
    now = dt.datetime.now(timezone).replace(second=0, microsecond=0, tzinfo=None)
    version = service.version_in_force(now.date())
    form = VisitForm()
    if request.method == "GET":
        form.service_code.data = code
        form.case_number.data = request.args.get("case", "")
        form.called_at.data = form.finished_at.data = now
    if version is not None:
        form.documents.choices = [SelectChoice(c, catalog.documents[c].name.get(_language()))
                                  for entry in version.required_documents for c in entry.codes]
        form.refusal_ground.choices = [SelectChoice("", "—")] + [
            SelectChoice(g.code, f"{g.code}: {g.text.get(_language())}") for g in version.refusal_grounds]
    check, errors = None, []
    if form.validate_on_submit():
        draft = _draft(form, timezone)
        key = current_app.config["APPLICANT_HASH_KEY"]
        check = front_desk.check_draft(db.session, draft, current_user, inputs, key)
        errors = check.errors
        reason = (form.override_reason.data or "").strip()
        if not errors and (not check.warnings or reason):
            saved = front_desk.record_visit(db.session, draft, current_user, inputs, key,
                                            override_reason=reason or None)
            db.session.commit()
            if saved.case_number:
                session["check_code"] = {"case": saved.case_number, "code": saved.check_code}
                return redirect(url_for(".receipt", case_number=saved.case_number))
            flash(_("Consultation saved."), "success")
            return redirect(url_for(".today"))
    status = 422 if (check and check.warnings) or errors or form.errors else 200
    return render_template("desk/visit_form.html", form=form, service=service, version=version,
                           documents=catalog.documents, check=check, errors=errors,
                           language=_language()), status


@bp.get("/receipts/<case_number>")
def receipt(case_number: str):
    """The applicant's receipt: case number, check code, due date and how it was counted."""
    case = _visible_case(case_number)
    inputs = engine_inputs()
    catalog = inputs.frames.catalog
    service = catalog.services.get(case.service_code)
    explained, version = None, None
    if case.accepted_at is not None and service is not None:
        accepted_local = case.accepted_at.astimezone(inputs.calendar.timezone)
        version = service.version_in_force(accepted_local.date())
        if version is not None:
            explained = due_at(case.accepted_at, version.deadline, inputs.calendar)
    code = session.get("check_code") or {}
    check_code = None
    if code.get("case") == case_number:  # shown on the first receipt only; only its hash is kept
        check_code = session.pop("check_code")["code"]
    return render_template("desk/receipt.html", case=case, service=service, version=version,
                           explained=explained, check_code=check_code, documents=catalog.documents,
                           timezone=inputs.calendar.timezone, language=_language())


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
            exists = db.session.scalar(select(RelativeDeclaration.id).where(
                RelativeDeclaration.user_id == current_user.id,
                RelativeDeclaration.applicant_hash == hashed))
            if exists is None:
                db.session.add(RelativeDeclaration(user_id=current_user.id, applicant_hash=hashed,
                                                   declared_at=dt.datetime.now(dt.timezone.utc)))
                audit.record(db.session, current_user.login, "declare", "relative", current_user.id)
                db.session.commit()
            flash(_("Declaration saved."), "success")
            return redirect(url_for(".relatives"))
    count = len(current_user.relatives)
    return render_template("desk/relatives.html", form=form, count=count, language=_language())


@bp.route("/visits/<visit_id>/correct", methods=["GET", "POST"])
def correct(visit_id: str):
    """Correct a visit of the office; the old values stay in the audit log."""
    visit = db.session.scalar(select(Visit).where(Visit.visit_id == visit_id))
    if visit is None or not may_see_office(current_user, visit.office_code):
        abort(404)
    inputs = engine_inputs()
    timezone = inputs.calendar.timezone

    def local(moment):
        return moment.astimezone(timezone).replace(tzinfo=None) if moment else None
    form = CorrectionForm()
    if request.method == "GET":
        form.documents_requested.data = visit.documents_requested
        form.ticket_at.data, form.called_at.data = local(visit.ticket_at), local(visit.called_at)
        form.finished_at.data = local(visit.finished_at)
        form.refusal_ground.data, form.forwarded_to.data = visit.refusal_ground, visit.forwarded_to
    errors = []
    if form.validate_on_submit():
        def aware(value):
            return value.replace(tzinfo=timezone).astimezone(dt.timezone.utc) if value else None
        changes = {
            "documents_requested": ";".join(t.strip() for t in (form.documents_requested.data or "").split(";")
                                            if t.strip()),
            "ticket_at": aware(form.ticket_at.data), "called_at": aware(form.called_at.data),
            "finished_at": aware(form.finished_at.data),
            "refusal_ground": (form.refusal_ground.data or "").strip(),
            "forwarded_to": (form.forwarded_to.data or "").strip(),
        }
        errors = front_desk.correct_visit(db.session, visit, changes, form.reason.data, current_user, inputs)
        if not errors:
            db.session.commit()
            flash(_("Visit corrected; the previous values are kept in the audit log."), "success")
            return redirect(url_for(".today"))
        db.session.rollback()
    return render_template("desk/correct.html", form=form, visit=visit, errors=errors), 422 if errors else 200
