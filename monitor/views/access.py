"""Who may open what: the single access matrix (role x route) that every request goes through.

A route missing from ACCESS is refused to everyone (fail closed), and tests/test_access.py
walks ``app.url_map`` with real objects of two offices to make sure every route has an entry
and answers as it should. Office-level limits (a desk user sees only their office's cases)
are the services' loaders' (services/cases.py, citizens.py, findings.py), given the offices
of ``offices_of``; ``visible`` turns their NotFound, and NotYourOffice, into the one answer
404: another office's record is answered exactly like a missing one.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from flask import abort, redirect, request, url_for
from flask_login import current_user

from ..extensions import db
from ..services.errors import NotFound
from ..services.offices import offices_seen_by

T = TypeVar("T")

ANYONE = frozenset({"anonymous", "desk", "supervisor", "admin", "steward"})
DESK = frozenset({"desk", "admin"})
SUPERVISOR = frozenset({"supervisor", "admin"})
ADMIN = frozenset({"admin"})
# Catalog stewards (issue 25): only they draft and approve versions; which services each
# keeps is checked by the views (services.stewardship.may_steward, 404 for another's).
STEWARD = frozenset({"steward"})

ACCESS: dict[str, frozenset[str]] = {
    "static": ANYONE,
    # Citizens' pages and open data: no sign-in (clause 2.2.2).
    "public.index": ANYONE, "public.service": ANYONE, "public.checklist": ANYONE,
    "public.case_status": ANYONE, "public.complain": ANYONE, "public.complaint_filed": ANYONE,
    "public.follow_complaint": ANYONE, "public.indicators": ANYONE,
    # "This page is wrong or out of date": citizens, and clerks from the visit form.
    "public.report_error": ANYONE,
    # The receipt's short link: the check code in it is the key (issue 27).
    "public.witness": ANYONE,
    "api.catalog_json": ANYONE, "api.catalog_csv": ANYONE, "api.catalog_zip": ANYONE,
    "api.catalog_jsonld": ANYONE, "api.vocabulary": ANYONE, "api.indicators_csv": ANYONE,
    "api.indicators_json": ANYONE, "api.services": ANYONE, "api.service": ANYONE,
    "api.indicators": ANYONE, "api.openapi": ANYONE,
    "auth.login": ANYONE, "auth.logout": ANYONE,
    "health.healthz": ANYONE, "health.readyz": ANYONE,
    # Prometheus: no sign-in; the view admits only METRICS_ALLOW addresses or the METRICS_TOKEN.
    "health.prometheus_metrics": ANYONE,
    # Every signed-in user changes their own password.
    "auth.own_password": frozenset({"desk", "supervisor", "admin", "steward"}),
    # The front desk.
    "desk.today": DESK, "desk.new_visit": DESK, "desk.save_visit": DESK, "desk.receipt": DESK, "desk.relatives": DESK,
    "desk.correct": DESK, "desk.reissue_check_code": DESK,
    # Supervisors (their offices) and admins (the network).
    "supervisor.report": SUPERVISOR, "supervisor.export": SUPERVISOR, "supervisor.table": SUPERVISOR,
    "supervisor.findings": SUPERVISOR,
    "supervisor.review": SUPERVISOR, "supervisor.case": SUPERVISOR, "supervisor.complaints": SUPERVISOR,
    "supervisor.complaint": SUPERVISOR, "supervisor.corrections": SUPERVISOR,
    "supervisor.decide_correction": SUPERVISOR,
    # Administration.
    "admin.users": ADMIN, "admin.toggle_active": ADMIN, "admin.reset_password": ADMIN,
    "admin.offices": ADMIN, "admin.jobs": ADMIN,
    "admin.calendar": ADMIN, "admin.remove_override": ADMIN,
    # Catalog stewards.
    "steward.index": STEWARD, "steward.new_draft": STEWARD, "steward.draft": STEWARD,
    "steward.submit_draft": STEWARD, "steward.decide": STEWARD, "steward.reports": STEWARD,
    "steward.report": STEWARD,
    # The administrator's queue of escalations; supervisors see what escalated from their offices.
    "admin.escalations_queue": SUPERVISOR,
}


def role_of(user) -> str:
    return user.role if user.is_authenticated else "anonymous"


def enforce_access():
    """``before_request``: refuse what the matrix does not allow."""
    endpoint = request.endpoint
    if endpoint is None:  # no route matched: let the 404 handler answer
        return None
    allowed = ACCESS.get(endpoint, frozenset())
    role = role_of(current_user)
    if role in allowed:
        return None
    if role == "anonymous" and allowed:
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
    abort(403)


def offices_of(user) -> list[str] | None:
    """The offices whose data the user may see; None means every office (admin)."""
    return offices_seen_by(user)


def visible(load: Callable[..., T], *key) -> T:
    """``load(db.session, *key, offices)`` for the signed-in user, or 404: a missing object and
    another office's are one answer (style guide: one loader per object)."""
    try:
        return load(db.session, *key, offices_of(current_user))
    except NotFound:
        abort(404)
