"""Prometheus metrics (GET /metrics, monitor/views/health): request latency, the jobs, the
weeks still to publish, the mail queue and the citizens' page cache.

Request latency and cache counters live in each process; under gunicorn's several workers set
PROMETHEUS_MULTIPROC_DIR (an empty folder the workers may write, emptied at each start;
gunicorn.conf.py does both when it is set), so that prometheus_client's multiprocess mode adds
up every worker's figures whichever worker answers the scrape. The database figures are read
when asked for (monitor.services.operations), by the worker that answers.
"""
from __future__ import annotations

import hmac
import ipaddress
import os
import time

from flask import Flask, g, request
from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest, multiprocess
from prometheus_client.core import GaugeMetricFamily

REQUEST_SECONDS = Histogram("monitor_request_duration_seconds", "Time to answer a request, by endpoint and status.",
                            ["endpoint", "status"])
PUBLIC_PAGE_CACHE = Counter("monitor_public_page_cache", "Citizens' pages served from the in-process cache "
                            "(hit) or rendered (miss).", ["result"])


def install(app: Flask) -> None:
    """Time every request that reaches Flask (the 304s answered before it are not counted)."""
    @app.before_request
    def start_timer():
        g.metrics_started = time.perf_counter()

    @app.after_request
    def observe(response):
        started = g.pop("metrics_started", None)
        if started is not None:
            # The endpoint, never the path: one series per route, whatever URLs are tried.
            REQUEST_SECONDS.labels(request.endpoint or "none", str(response.status_code)).observe(
                time.perf_counter() - started)
        return response


def allowed(config, remote_addr: str | None, authorization: str, forwarded: bool) -> bool:
    """From an address of METRICS_ALLOW, or with the bearer token METRICS_TOKEN.

    A request that came through a proxy the app was not told to trust (X-Forwarded-For while
    PROXY_FIX_X_FOR is 0) shows the proxy's address, not the client's: only the token counts then.
    """
    token = config.get("METRICS_TOKEN") or ""
    scheme, _, given = (authorization or "").partition(" ")
    if token and scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode()):
        return True
    if forwarded and not config.get("PROXY_FIX_X_FOR"):
        return False
    try:
        address = ipaddress.ip_address(remote_addr or "")
    except ValueError:
        return False
    for entry in (config.get("METRICS_ALLOW") or "").split(","):
        try:
            if entry.strip() and address in ipaddress.ip_network(entry.strip(), strict=False):
                return True
        except ValueError:
            continue  # a malformed entry allows nothing
    return False


def _timestamp(moment) -> float:
    return moment.timestamp()


class _Figures:
    """The database figures as metric families (a collector for one scrape)."""

    def __init__(self, status):
        self.status = status

    def collect(self):
        status = self.status
        success = GaugeMetricFamily("monitor_job_last_success_timestamp_seconds",
                                    "When the job's last successful run finished (Unix time).", labels=["job"])
        ok = GaugeMetricFamily("monitor_job_last_run_ok", "1 if the job's last finished run succeeded, else 0.",
                               labels=["job"])
        duration = GaugeMetricFamily("monitor_job_last_run_duration_seconds",
                                     "How long the job's last finished run took.", labels=["job"])
        for job in status.jobs:
            if job.last_success is not None:
                success.add_metric([job.job], _timestamp(job.last_success))
            ok.add_metric([job.job], 1.0 if job.last_ok else 0.0)
            duration.add_metric([job.job], job.last_seconds)
        yield from (success, ok, duration)
        yield GaugeMetricFamily("monitor_unpublished_closed_weeks",
                                "Ended weeks since the first stored visit whose indicators are not published.",
                                value=len(status.unpublished_weeks))
        oldest = GaugeMetricFamily("monitor_oldest_unpublished_week_end_timestamp_seconds",
                                   "When the oldest unpublished ended week ended (Unix time; absent when none).")
        if status.oldest_unpublished_end is not None:
            oldest.add_metric([], _timestamp(status.oldest_unpublished_end))
        yield oldest
        queue = GaugeMetricFamily("monitor_mail_queue", "Mails in the queue by status (pending: waiting to be "
                                  "sent or retried; sending: claimed by a sender).", labels=["status"])
        for name in ("pending", "sending"):
            queue.add_metric([name], status.mail.get(name, 0))
        yield queue
        pending = GaugeMetricFamily("monitor_mail_oldest_pending_timestamp_seconds",
                                    "When the oldest pending mail was queued (Unix time; absent when none).")
        if status.oldest_pending_mail is not None:
            pending.add_metric([], _timestamp(status.oldest_pending_mail))
        yield pending


def exposition(status) -> bytes:
    """The text format: this process's (or every worker's) metrics, then the database figures."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        processes = generate_latest(registry)
    else:
        processes = generate_latest(REGISTRY)
    figures = CollectorRegistry(auto_describe=False)
    figures.register(_Figures(status))
    return processes + generate_latest(figures)
