"""Error pages and security headers: users never see a stack trace.

A database that is down or locked answers 503 with a retry hint, and the transaction of
the failed request is rolled back, so nothing is half-written.
"""
from __future__ import annotations

import logging

from flask import Flask, g, jsonify, render_template, request
from flask_login import current_user
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException

from .extensions import db, login_manager

log = logging.getLogger(__name__)
# The same for everyone, signed in or not: they keep their public caching.
PUBLIC_DOCUMENTS = ("/open-data/", "/api/", "/static/")
# Answers about one case or complaint, or to a sign-in, are never kept by a browser or proxy
# cache, whoever asks (issue 22, defect 5): the staff's areas and the citizens' private pages.
PRIVATE_BLUEPRINTS = ("auth", "desk", "supervisor", "admin")
PRIVATE_ENDPOINTS = ("public.case_status", "public.complain", "public.complaint_filed", "public.follow_complaint")

CONTENT_SECURITY_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                           "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'")


def _wants_json() -> bool:
    return request.path.startswith(("/api/", "/open-data/")) or request.accept_mimetypes.best == "application/json"


def _render(status: int, title: str, message: str):
    if _wants_json():
        return jsonify(error=title, message=message), status
    return render_template("error.html", status=status, title=title, message=message), status


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        response = _render(error.code or 500, error.name, error.description or "")
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
        # again and failing with a 500 (issue 22, defect 7). The session cookie is left as it
        # is: they are still signed in when the database is back.
        g._login_user = login_manager.anonymous_user()
        log.error("database unavailable: %s", error.orig)
        body, status = _render(503, "Service Unavailable",
                               "The database is busy or unreachable. Nothing was saved; please retry "
                               "in a minute.")
        return body, status, {"Retry-After": "30", "Cache-Control": "no-store"}

    @app.errorhandler(Exception)
    def unexpected(error: Exception):
        db.session.rollback()
        log.exception("unexpected error on %s", request.path)
        return _render(500, "Internal Server Error", "Something went wrong on our side; it has been logged.")

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
