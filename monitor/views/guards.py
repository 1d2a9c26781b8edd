"""Requests refused before any view runs, with a clear 400 or 413 instead of a 500 later.

- HTML forms take form data only: a JSON body (whose nested values no form field expects)
  is refused; the JSON API is read-only (GET).
- No address may hold a NUL character (PostgreSQL refuses it in any text), and no text
  sent to be stored may hold control characters (a NUL byte stored in a visit broke
  the week's XLSX export): tab, CR and LF are the only ones allowed in form bodies.
- Anonymous requests may send at most PUBLIC_MAX_CONTENT_LENGTH bytes (the complaint form
  is the largest); every request at most MAX_CONTENT_LENGTH (Werkzeug answers 413).
"""
from __future__ import annotations

import re

from flask import Flask, abort, current_app, request
from flask_login import current_user

CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
WRITES = ("POST", "PUT", "PATCH", "DELETE")


def _has_control_characters(values) -> str | None:
    for key, value in values.items(multi=True):
        if CONTROL.search(key) or (isinstance(value, str) and CONTROL.search(value)):
            return key
    return None


MAX_ID = 2**63 - 1  # no row has a larger id; SQLite cannot even compare with one


def refuse_bad_requests():
    if any(isinstance(value, int) and abs(value) > MAX_ID for value in (request.view_args or {}).values()):
        abort(404)
    if "\x00" in request.path:  # no page has one; PostgreSQL refuses NUL in any text
        abort(404)
    if any("\x00" in key or "\x00" in value for key, value in request.args.items(multi=True)):
        abort(400, description="The address holds a NUL character; remove it and try again.")
    if request.method in WRITES:
        if request.is_json:
            abort(400, description="Send this form as form data (application/x-www-form-urlencoded), not JSON.")
        limit = current_app.config["PUBLIC_MAX_CONTENT_LENGTH"]
        if not current_user.is_authenticated and (request.content_length or 0) > limit:
            abort(413, description=f"A citizen's form holds at most {limit // 1024} KB.")
    field = _has_control_characters(request.form) if request.method in WRITES else None
    if field is not None:
        abort(400, description=f"The field {field[:40]!r} holds a control character (such as NUL); "
                               "remove it and send again.")


def register_guards(app: Flask) -> None:
    app.before_request(refuse_bad_requests)
