"""Routes of the citizens' pages."""
from __future__ import annotations

import datetime as dt

from flask import abort, current_app, render_template, request
from flask_babel import get_locale

from ...calendar import due_at
from ...calendar_store import calendar_from_db
from ...catalog_store import catalog_from_db
from ...extensions import db
from . import bp


def _language() -> str:
    return str(get_locale() or "ru")


@bp.get("/")
def index():
    """The catalog: every service with its version in force today, searchable."""
    catalog = catalog_from_db(db.session)
    query = request.args.get("q", "").strip().casefold()
    today = dt.date.today()
    services = []
    for service in catalog.services.values():
        haystack = " ".join([service.code, *service.name.as_dict().values()]).casefold()
        if query and not all(word in haystack for word in query.split()):
            continue
        services.append((service, service.version_in_force(today)))
    return render_template("public/index.html", services=services, query=request.args.get("q", ""),
                           language=_language())


@bp.get("/services/<code>")
def service(code: str):
    """Everything the version in force says, with an example due date from today."""
    catalog = catalog_from_db(db.session)
    found = catalog.services.get(code)
    if found is None:
        abort(404)
    today = dt.date.today()
    version = found.version_in_force(today)
    example = None
    if version is not None:
        calendar = calendar_from_db(db.session, current_app.config["MONITOR_TIMEZONE"], _language())
        now = dt.datetime.now(calendar.timezone)
        example = due_at(now, version.deadline, calendar)
    return render_template("public/service.html", service=found, version=version, example=example,
                           documents=catalog.documents, language=_language())
