from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from sqlalchemy import select
from werkzeug.security import check_password_hash

from ...extensions import db, limiter
from ...models import User
from . import bp
from .forms import LoginForm

HOME_OF_ROLE = {"desk": "desk.today", "supervisor": "supervisor.report", "admin": "admin.users"}


def _is_local(target: str) -> bool:
    """Only a path of this site may follow a sign-in (no open redirect)."""
    parts = urlsplit(target)
    return (target.startswith("/") and not target.startswith("//") and "\\" not in target
            and not parts.scheme and not parts.netloc)


def _login_name() -> str:
    return (request.form.get("login") or "").strip().lower() or "-"


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"])  # per address
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"], key_func=_login_name)
def login():
    if current_user.is_authenticated:
        return redirect(url_for(HOME_OF_ROLE[current_user.role]))
    form = LoginForm()
    if form.validate_on_submit():
        user = db.session.scalar(select(User).where(User.login == form.login.data.strip()))
        if user is None or not user.active or not check_password_hash(user.password_hash,
                                                                      form.password.data):
            flash(_("Wrong login or password."), "error")
            return render_template("auth/login.html", form=form), 401
        language = session.get("lang")
        session.clear()  # a fresh session on sign-in
        if language:
            session["lang"] = language
        login_user(user)
        target = request.args.get("next", "")
        if not _is_local(target):
            target = url_for(HOME_OF_ROLE[user.role])
        return redirect(target)
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
def logout():
    logout_user()
    return redirect(url_for("public.index"))
