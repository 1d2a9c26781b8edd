from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from flask import abort, current_app, flash, redirect, render_template, url_for
from flask_babel import get_locale, gettext as _
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from ... import jobs as scheduled_jobs, scheduler
from ...extensions import db
from ...services import accounts, calendar_changes, escalations, offices as offices_service, stewardship
from ...services.accounts import AccountError
from ...services.context import current_catalog, engine_inputs
from ..access import offices_of
from ..validators import MAX_PAGE, int_arg
from . import bp
from .forms import CalendarOverrideForm, OfficeForm, ResetPasswordForm, UserForm


def _offices() -> list:
    return offices_service.all_offices(db.session)


@bp.route("/users", methods=["GET", "POST"])
def users():
    form = UserForm()
    offices = _offices()
    form.office_code.choices = [SelectChoice("", "—")] + [SelectChoice(o.code, o.code) for o in offices]
    form.supervised.choices = [SelectChoice(o.code, o.code) for o in offices]
    language = str(get_locale() or "ru")
    form.stewarded.choices = [SelectChoice(s.code, f"{s.code} — {s.name.get(language)}")
                              for s in current_catalog().services.values()]
    if form.validate_on_submit():
        if accounts.find_user(db.session, form.login.data) is not None:
            form.login.errors.append(_("This login is taken."))
        elif form.role.data == "desk" and not form.office_code.data:
            form.office_code.errors.append(_("A front-desk user needs an office."))
        else:
            try:
                user = accounts.create_user(db.session, accounts.NewUser(
                    login=form.login.data, role=form.role.data, password=form.password.data,
                    office_code=form.office_code.data or None, full_name=form.full_name.data or "",
                    supervised=tuple(form.supervised.data or ()),
                    stewarded=tuple(form.stewarded.data or ()) if form.role.data == "steward" else ()),
                    current_user.login)
            except accounts.AccountError as error:
                db.session.rollback()
                form.password.errors.append(_(error.message, **error.parameters))
            else:
                db.session.commit()
                flash(_("User %(login)s created.", login=user.login), "success")
                return redirect(url_for(".users"))
    return render_template("admin/users.html", form=form, users=accounts.all_users(db.session),
                           language=str(get_locale()), kept=stewardship.kept_by_user(db.session))


@bp.post("/users/<int:user_id>/password")
def reset_password(user_id: int):
    """An administrator sets a new password for a user; the user's sessions end."""
    user = accounts.user_by_id(db.session, user_id) or abort(404)
    form = ResetPasswordForm()
    problem = None
    if not form.validate_on_submit():
        problem = "; ".join(str(e) for errors in form.errors.values() for e in errors)
    else:
        try:
            accounts.set_password(db.session, user, form.password.data, current_user.login)
        except accounts.AccountError as error:
            problem = _(error.message, **error.parameters)
    if problem:
        db.session.rollback()
        flash(_("Password of %(login)s not changed: %(reason)s", login=user.login, reason=problem), "error")
        return redirect(url_for(".users"))
    db.session.commit()
    flash(_("New password set for %(login)s; their sessions are signed out.", login=user.login), "success")
    return redirect(url_for(".users"))


@bp.post("/users/<int:user_id>/active")
def toggle_active(user_id: int):
    user = accounts.user_by_id(db.session, user_id) or abort(404)
    if user.id == current_user.id:
        flash(_("You cannot deactivate yourself."), "error")
        return redirect(url_for(".users"))
    accounts.set_active(db.session, user, not user.active, current_user.login)
    db.session.commit()
    return redirect(url_for(".users"))


@bp.route("/offices", methods=["GET", "POST"])
def offices():
    form = OfficeForm()
    if form.validate_on_submit():
        try:
            office = offices_service.create_office(db.session, offices_service.NewOffice(
                code=form.code.data, name_kk=form.name_kk.data, name_ru=form.name_ru.data,
                name_en=form.name_en.data, region=form.region.data or ""), actor=current_user.login)
        except AccountError as error:
            db.session.rollback()
            form.code.errors.append(_(error.message, **error.parameters))
        else:
            db.session.commit()
            flash(_("Office %(code)s created.", code=office.code), "success")
            return redirect(url_for(".offices"))
    return render_template("admin/offices.html", form=form, offices=_offices(), language=str(get_locale()))


@bp.get("/jobs")
def jobs():
    """Each scheduled job's next run and last result (the scheduler runs in its own process)."""
    timezone = current_app.config["MONITOR_TIMEZONE"]
    now = dt.datetime.now(ZoneInfo(timezone))
    last = scheduled_jobs.last_runs()
    rows = [(name, trigger.get_next_fire_time(None, now), last.get(name))
            for name, trigger in scheduler.triggers(timezone).items()]
    return render_template("admin/jobs.html", rows=rows)


@bp.route("/calendar", methods=["GET", "POST"])
def calendar():
    """Overrides of the official calendar; open cases' due dates follow at once."""
    form = CalendarOverrideForm()
    if form.validate_on_submit():
        refreshed = calendar_changes.override_day(db.session, form.day.data, form.is_working_day.data == "working",
                                                  form.reason.data.strip(), current_user.login)
        db.session.commit()
        flash(_("Override saved; %(count)s cases re-timed.", count=refreshed), "success")
        return redirect(url_for(".calendar"))
    return render_template("admin/calendar.html", form=form, overrides=calendar_changes.overrides(db.session))


@bp.post("/calendar/<day>/remove")
def remove_override(day: str):
    try:
        parsed = dt.date.fromisoformat(day)
    except ValueError:
        abort(404)
    if calendar_changes.remove_override(db.session, parsed, current_user.login) is not None:
        db.session.commit()
        flash(_("Override removed."), "success")
    return redirect(url_for(".calendar"))


@bp.get("/escalations")
def escalations_queue():
    """The administrator's queue: open escalations, oldest first (issue 13's accountability
    clock). A supervisor sees what escalated from their offices."""
    page = int_arg("page", 1, maximum=MAX_PAGE)
    config = current_app.config
    rows, total = escalations.queue(db.session, offices_of(current_user), dt.datetime.now(dt.UTC),
                                    config["ESCALATE_AFTER_WORKING_DAYS"],
                                    engine_inputs().calendar, page)
    pages = max(1, -(-total // escalations.QUEUE_PER_PAGE))
    return render_template("admin/escalations.html", rows=rows, total=total, page=page, pages=pages,
                           working_days=config["ESCALATE_AFTER_WORKING_DAYS"])
