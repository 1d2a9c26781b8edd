"""Probes for the process manager and the load balancer (no sign-in, never cached), and the
Prometheus metrics.

``/healthz``: the process answers. ``/readyz``: it can serve, i.e. the database answers
(503 otherwise). ``/metrics``: only from METRICS_ALLOW or with the METRICS_TOKEN (404 otherwise,
as if there were nothing there; docs/operations.md).

The rate-limit storage (Redis in production) is reported by /readyz too, but without it the
app still serves, counting limits in each worker's memory (RATELIMIT_IN_MEMORY_FALLBACK_ENABLED):
it is "degraded", never a reason for a load balancer to take a working server out.
"""
from __future__ import annotations

import datetime as dt
import logging

from flask import abort, current_app, jsonify, request
from prometheus_client import CONTENT_TYPE_LATEST
from sqlalchemy import text

from ... import metrics
from ...extensions import db, limiter
from ...services import operations
from . import bp

log = logging.getLogger(__name__)


def _no_store(response):
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/healthz")
def healthz():
    return _no_store(jsonify(status="ok"))


def _database_answers() -> bool:
    try:
        db.session.execute(text("SELECT 1"))
        return True
    except Exception as error:  # any failure to answer means "not ready", never a 500
        db.session.rollback()
        log.warning("readyz: database does not answer: %s", error)
        return False


def _rate_limit_storage_answers() -> bool:
    try:
        return bool(limiter.storage.check())
    except Exception as error:  # as above: report, do not crash
        log.warning("readyz: rate-limit storage does not answer: %s", error)
        return False


@bp.get("/readyz")
def readyz():
    checks = {"database": _database_answers(), "rate_limit_storage": _rate_limit_storage_answers()}
    ready = checks["database"]
    status = "not ready" if not ready else "ready" if all(checks.values()) else "degraded"
    response = jsonify(status=status, checks={name: "ok" if ok else "down" for name, ok in checks.items()})
    response.status_code = 200 if ready else 503
    return _no_store(response)


@bp.get("/metrics")
def prometheus_metrics():
    config = current_app.config
    if not metrics.allowed(config, request.remote_addr, request.headers.get("Authorization", ""),
                           forwarded="X-Forwarded-For" in request.headers):
        abort(404)
    status = operations.status(db.session, dt.datetime.now(dt.UTC), config["MONITOR_TIMEZONE"])
    response = current_app.response_class(metrics.exposition(status), mimetype=CONTENT_TYPE_LATEST)
    return _no_store(response)
