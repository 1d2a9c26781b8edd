"""Requests refused before any view runs, with a clear 400 or 413 instead of a 500 later.

- HTML forms take form data only: a JSON body (whose nested values no form field expects)
  is refused; the JSON API is read-only (GET).
- No address may hold a NUL character (PostgreSQL refuses it in any text), and no text
  sent to be stored may hold control characters (a NUL byte stored in a visit broke
  the week's XLSX export): tab, CR and LF are the only ones allowed in form bodies.
- Anonymous requests may send at most PUBLIC_MAX_CONTENT_LENGTH bytes (the complaint form
  is the largest); every request at most MAX_CONTENT_LENGTH (Werkzeug answers 413), with a
  Content-Length or chunked (a chunked body is read up to the limit and refused past it).
"""
from __future__ import annotations

import re

from flask import Flask, abort, current_app, request
from flask_login import current_user

from .validators import MAX_ID  # no row has a larger id

CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
WRITES = ("POST", "PUT", "PATCH", "DELETE")


def _has_control_characters(values) -> str | None:
    for key, value in values.items(multi=True):
        if CONTROL.search(key) or (isinstance(value, str) and CONTROL.search(value)):
            return key
    return None


def _refuse_a_larger_body(limit: int, what: str) -> None:
    """413 for a body over ``limit`` bytes, announced (Content-Length) or chunked.

    A chunked body has no Content-Length, and Werkzeug silently cuts a stream at its limit
    (a truncated form, not a 413): so it is read here, one byte past the limit at most, and
    the form is then parsed from that copy. The guards run before anything (CSRF) reads the
    form."""
    too_large = f"{what} holds at most {limit // 1024} KB."
    if (request.content_length or 0) > limit:
        abort(413, description=too_large)
    if request.content_length is None and request.environ.get("wsgi.input_terminated"):
        request.max_content_length = limit + 1
        if len(request.get_data(cache=True)) > limit:
            abort(413, description=too_large)


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
        if current_user.is_authenticated:
            _refuse_a_larger_body(current_app.config["MAX_CONTENT_LENGTH"], "A form")
        else:
            _refuse_a_larger_body(current_app.config["PUBLIC_MAX_CONTENT_LENGTH"], "A citizen's form")
    field = _has_control_characters(request.form) if request.method in WRITES else None
    if field is not None:
        abort(400, description=f"The field {field[:40]!r} holds a control character (such as NUL); "
                               "remove it and send again.")


def register_guards(app: Flask) -> None:
    app.before_request(refuse_bad_requests)
