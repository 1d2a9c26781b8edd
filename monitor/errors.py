"""Error pages and security headers: users never see a stack trace.

A database that is down or locked answers 503 with a retry hint, and the transaction of
the failed request is rolled back, so nothing is half-written.
"""
from __future__ import annotations

import logging

from flask import Flask, g, jsonify, render_template, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException

from .extensions import db, login_manager

log = logging.getLogger(__name__)
# The same for everyone, signed in or not: they keep their public caching.
PUBLIC_DOCUMENTS = ("/open-data/", "/api/", "/static/")
# Answers about one case or complaint, or to a sign-in, are never kept by a browser or proxy
# cache, whoever asks: the staff's areas and the citizens' private pages.
PRIVATE_BLUEPRINTS = ("auth", "desk", "supervisor", "admin")
PRIVATE_ENDPOINTS = ("public.case_status", "public.complain", "public.complaint_filed", "public.follow_complaint")

CONTENT_SECURITY_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                           "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'")


# What an error page says in the reader's language (issue 24): Werkzeug's descriptions are English.
TITLES = {
    400: _l("Bad Request"), 401: _l("Sign-in required"), 403: _l("Forbidden"), 404: _l("Not Found"),
    405: _l("Method not allowed"), 413: _l("Too much data"), 429: _l("Too Many Requests"),
    500: _l("Internal Server Error"), 503: _l("Service Unavailable"),
}
DESCRIPTIONS = {
    400: _l("The request could not be understood. Check what you typed and try again."),
    401: _l("Please sign in to see this page."),
    403: _l("You do not have access to this page."),
    404: _l("There is no such page. The address may be mistyped, or the page has moved."),
    405: _l("This page cannot be used that way."),
    413: _l("What you sent is too large."),
    429: _l("Too many requests in a short time. Please wait a minute and try again."),
    500: _l("Something went wrong on our side; it has been logged."),
    503: _l("The database is busy or unreachable. Nothing was saved; please retry in a minute."),
}


def _wants_json() -> bool:
    return request.path.startswith(("/api/", "/open-data/")) or request.accept_mimetypes.best == "application/json"


def _render(status: int, title: str, message: str | None = None, english: str = ""):
    """An error as JSON for programs (``english``, as before) or as a page in the reader's
    language; ``message`` None means the status's own description."""
    if _wants_json():
        return jsonify(error=title, message=str(message) if message is not None else english), status
    return render_template("error.html", status=status, title=str(TITLES.get(status, title)),
                           message=message if message is not None else DESCRIPTIONS.get(status, "")), status


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        # Werkzeug's own description is English: the page says the status's own words instead;
        # a description the app wrote (abort(400, description=_(...))) is kept.
        own = error.description if error.description and error.description != type(error).description else None
        response = _render(error.code or 500, error.name, own, error.description or "")
        if error.code == 429:
            response = (response[0], 429, {"Retry-After": "60"})
        return response

    @app.errorhandler(OperationalError)
    def database_unavailable(error: OperationalError):
        try:
            db.session.rollback()
        except OperationalError:  # the connection is gone: nothing to roll back
            db.session.invalidate()
        # The signed-in user cannot be loaded (or reloaded, after the rollback) now: the 503
        # page and its headers are drawn as for a visitor, instead of asking the database
        # again and failing with a 500. The session cookie is left as it
        # is: they are still signed in when the database is back.
        g._login_user = login_manager.anonymous_user()
        log.error("database unavailable: %s", error.orig)
        body, status = _render(503, "Service Unavailable", english="The database is busy or unreachable. "
                               "Nothing was saved; please retry in a minute.")
        return body, status, {"Retry-After": "30", "Cache-Control": "no-store"}

    @app.errorhandler(Exception)
    def unexpected(error: Exception):
        db.session.rollback()
        log.exception("unexpected error on %s", request.path)
        return _render(500, "Internal Server Error",
                       english="Something went wrong on our side; it has been logged.")

    @app.after_request
    def security_headers(response):
        if request.is_secure and app.config["HSTS_MAX_AGE"]:  # ASVS 14.4.5
            response.headers.setdefault("Strict-Transport-Security",
                                        f"max-age={app.config['HSTS_MAX_AGE']}; includeSubDomains")
        if current_user.is_authenticated and not request.path.startswith(PUBLIC_DOCUMENTS):
            # Staff pages and downloads hold personal data: never kept by a browser or proxy cache.
            response.headers["Cache-Control"] = "no-store"
            response.vary.add("Cookie")
        elif (request.method not in ("GET", "HEAD") or request.blueprint in PRIVATE_BLUEPRINTS
              or request.endpoint in PRIVATE_ENDPOINTS):
            response.headers["Cache-Control"] = "no-store"
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        return response
