from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_user, logout_user

from ...extensions import db, limiter
from ...services import accounts
from . import bp
from .forms import LoginForm, OwnPasswordForm
from .loader import start_session

HOME_OF_ROLE = {"desk": "desk.today", "supervisor": "supervisor.report", "admin": "admin.users",
                "steward": "steward.index"}


def _is_local(target: str) -> bool:
    """Only a path of this site may follow a sign-in (no open redirect, no header injection)."""
    parts = urlsplit(target)
    return (target.startswith("/") and not target.startswith("//") and "\\" not in target
            and target.isprintable() and not parts.scheme and not parts.netloc)


def _account_and_address() -> str:
    """Failed sign-ins are counted per (account, address): a stranger's guesses from elsewhere
    never lock the owner out (ASVS 2.2.1)."""
    login = request.form.get("login")
    login = login.strip().lower() if isinstance(login, str) else "-"
    return f"{login[:80] or '-'}|{get_remote_address()}"


def _failed(response) -> bool:
    return response.status_code == 401


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"])  # per address
@limiter.limit(lambda: current_app.config["LOGIN_FAILURE_LIMIT"], methods=["POST"],
               key_func=_account_and_address, deduct_when=_failed)
def login():
    if current_user.is_authenticated:
        return redirect(url_for(HOME_OF_ROLE[current_user.role]))
    form = LoginForm()
    if form.validate_on_submit():
        user = accounts.authenticate(db.session, form.login.data, form.password.data)
        if user is None:
            flash(_("Wrong login or password."), "error")
            return render_template("auth/login.html", form=form), 401
        language = session.get("lang")
        session.clear()  # a fresh session on sign-in
        if language:
            session["lang"] = language
        login_user(user)
        start_session()
        target = request.args.get("next", "")
        if not _is_local(target):
            target = url_for(HOME_OF_ROLE[user.role])
        return redirect(target)
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
def logout():
    if current_user.is_authenticated:
        accounts.end_sessions(current_user)  # the cookie, even if copied, is dead now
        db.session.commit()
    logout_user()
    session.clear()
    return redirect(url_for("public.index"))


@bp.route("/account/password", methods=["GET", "POST"])
def own_password():
    """Every signed-in user changes their own password (the current one is asked first)."""
    form = OwnPasswordForm()
    if form.validate_on_submit():
        if accounts.authenticate(db.session, current_user.login, form.current.data) is None:
            form.current.errors.append(_("This is not your current password."))
        else:
            try:
                accounts.set_password(db.session, current_user, form.password.data, current_user.login)
            except accounts.AccountError as error:
                form.password.errors.append(_(error.message, **error.parameters))
            else:
                db.session.commit()
                # The change ended every session, this one too: start a fresh one.
                login_user(current_user._get_current_object())
                start_session()
                flash(_("Your password is changed; other sessions are signed out."), "success")
                return redirect(url_for(HOME_OF_ROLE[current_user.role]))
    return render_template("auth/password.html", form=form), 422 if form.errors else 200
