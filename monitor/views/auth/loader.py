"""Sign-in plumbing shared by the blueprints: loading the signed-in user, session lifetime.

Sessions are revocable on the server: the session keeps "user id:session version", and the
version stored with the user is bumped on sign-out, password change and (de)activation, so
an older cookie no longer loads anyone (ASVS 3.3.1, 3.3.3). Every session also has an
absolute lifetime and an idle timeout (SESSION_ABSOLUTE_LIFETIME, SESSION_IDLE_TIMEOUT).
"""
from __future__ import annotations

import time

from flask import current_app, g, request, session
from flask_login import current_user, logout_user

from ...extensions import db, login_manager
from ...services import accounts

SIGNED_IN_AT = "signed_in_at"
SEEN_AT = "seen_at"


@login_manager.user_loader
def load_user(user_id: str):
    number, _, version = user_id.partition(":")
    if not (number.isdigit() and version.isdigit()):
        return None  # a cookie from before session versions, or forged: nobody
    return accounts.session_user(db.session, int(number), int(version))


def start_session() -> None:
    now = int(time.time())
    session[SIGNED_IN_AT] = session[SEEN_AT] = now


def enforce_session_lifetime():
    """``before_request``: end a session past its absolute lifetime or idle too long."""
    # The user is loaded afresh for each request, even when an app context outlives one
    # request (the test client, or a request made inside a CLI command).
    g.pop("_login_user", None)
    if request.endpoint == "static" or not current_user.is_authenticated:
        return None
    now = int(time.time())
    config = current_app.config
    signed_in, seen = session.get(SIGNED_IN_AT), session.get(SEEN_AT)
    if (not isinstance(signed_in, int) or not isinstance(seen, int)
            or now - signed_in > config["SESSION_ABSOLUTE_LIFETIME"]
            or now - seen > config["SESSION_IDLE_TIMEOUT"]):
        logout_user()  # the request goes on anonymous: the access matrix asks to sign in
        session.clear()
        return None
    if now - seen >= 30:  # refresh the idle clock without rewriting the cookie on every click
        session[SEEN_AT] = now
    return None
