"""gunicorn settings for production: ``gunicorn -c gunicorn.conf.py 'monitor:create_app()'``.

Every value can be overridden on the command line or by the GUNICORN_* variables below.
With several workers, set RATELIMIT_STORAGE_URI=redis://... so rate limits are shared.
"""
import gc
import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", min(2 * multiprocessing.cpu_count() + 1, 8)))
worker_class = "sync"
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 120))  # an XLSX report of a large area takes a while
graceful_timeout = 30
keepalive = 5
# The app is imported once, in the master, and workers are forked from it: a new or recycled
# worker starts serving at once instead of spending seconds importing pandas and the app
# (no database connection or thread is opened at import time, so forking it is safe).
preload_app = True
# Recycle workers now and then (memory held by pandas frames is returned to the system), but
# rarely: while gunicorn replaces a worker the others serve alone for up to a second, so at
# 2,000 requests a busy citizens' portal lost a worker every few seconds (p95 600 ms instead
# of 9 ms in bench/pages.py).
max_requests = 20000
max_requests_jitter = 2000
# Requests are bounded by the app too (MAX_CONTENT_LENGTH); these bound the headers.
limit_request_line = 8190
limit_request_fields = 100
limit_request_field_size = 8190
# The app logs one line per request itself (monitor/logs.py: request id, role, status, time);
# GUNICORN_ACCESSLOG=- adds gunicorn's own access log (it also sees the 304s answered before Flask).
accesslog = os.environ.get("GUNICORN_ACCESSLOG") or None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOGLEVEL", "info")
# Only the local proxy may say which scheme the citizen used (X-Forwarded-Proto); the app's
# own ProxyFix (PROXY_FIX_X_FOR) decides which forwarded address it trusts for rate limits.
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1")

# Prometheus (GET /metrics): with several workers, PROMETHEUS_MULTIPROC_DIR names a folder of its
# own where each worker keeps its counters, added up by whichever worker answers a scrape
# (docs/operations.md). It is emptied when gunicorn starts; a dead worker's gauges are dropped.
_metrics_dir = os.environ.get("PROMETHEUS_MULTIPROC_DIR")


def _flask_app(wsgi):
    """The Flask application gunicorn serves, or None (a WSGI wrapper of someone's own)."""
    return wsgi if hasattr(wsgi, "app_context") else None


def when_ready(server):
    """The master, once, before forking: what every worker would otherwise load on its first
    request (templates, message catalogs, locale data, holiday tables; no database)."""
    app = _flask_app(server.app.wsgi()) if server.cfg.preload_app else None
    if app is None:
        return
    from monitor.services import public_pages
    try:
        with app.app_context():
            public_pages.warm_code()
    except Exception:  # warming is an optimisation: the workers load the same lazily
        server.log.exception("warming the citizens' pages' code failed")
    # Frozen before forking, what the workers inherit is never walked (nor written to) by their
    # garbage collector: their memory pages stay shared with the master's.
    freeze_startup_objects()


def post_worker_init(worker):
    """A new worker reads the catalog and what the citizens' pages show before it serves (else
    its first citizen waits for that, about 0.4 s), then moves what it holds out of the garbage
    collector's reach (freeze_startup_objects: a full collection cost a report ~150 ms)."""
    app = _flask_app(worker.wsgi)
    if app is not None:
        from monitor.services import public_pages
        try:
            with app.app_context():
                public_pages.warm()
        except Exception:  # a worker that cannot warm up still serves; the pages read as they go
            worker.log.exception("warming the citizens' pages failed")
    freeze_startup_objects()


def freeze_startup_objects() -> None:
    """Move every object alive now (the libraries, the application, what warming loaded) out
    of the cyclic garbage collector's reach: they live as long as the worker.

    Python's full collection walks every tracked object. A worker holds about 200,000 after
    start-up, and a report request makes enough new ones to trigger a full collection every
    other request: about 150 ms each on the 2-core machine at 400 offices, the report's
    "bimodal" times. Frozen, a full collection walks only what requests made (about 15 ms;
    docs/benchmarks.md). Objects made later are collected as before."""
    gc.collect()
    gc.freeze()


def on_starting(server):
    if _metrics_dir:
        os.makedirs(_metrics_dir, exist_ok=True)
        for name in os.listdir(_metrics_dir):
            if name.endswith(".db"):
                os.remove(os.path.join(_metrics_dir, name))


def child_exit(server, worker):
    if _metrics_dir:
        from prometheus_client import multiprocess
        multiprocess.mark_process_dead(worker.pid)
