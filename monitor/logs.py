"""One log format for the web workers, the scheduler and the CLI.

``LOG_FORMAT=json`` (production): one JSON object per line on standard error — what journald,
Loki or Elasticsearch read without a parser of ours — with the time in UTC, the level, the
logger, the message, the request id when there is a request, any fields a caller passes with
``extra={"fields": {...}}`` and a traceback once, as one field. ``LOG_FORMAT=console`` (the
default, for ``make run``): the same records as short readable lines.

Each request gets an id (the proxy's ``X-Request-ID`` when it is a sane token, else a new
one), sent back in the ``X-Request-ID`` header; the app logs one line per request with its
method, path (never the query, which may hold a case number), status, time taken and the
user's role (never the login).
"""
from __future__ import annotations

import datetime as dt
import json
import logging
import re
import time
import uuid

from flask import Flask, g, has_request_context, request
from flask_login import current_user

REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
_configured: str | None = None


class JsonLines(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = _request_id()
        if request_id:
            entry["request_id"] = request_id
        entry.update(getattr(record, "fields", None) or {})
        if record.exc_info:
            entry["traceback"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


class Console(logging.Formatter):
    def __init__(self):
        super().__init__("%(asctime)s %(levelname)-7s %(name)s: %(message)s", "%H:%M:%S")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        fields = getattr(record, "fields", None)
        if fields:
            line += " " + " ".join(f"{key}={value}" for key, value in fields.items())
        return line


def request_id_for(offered: str) -> str:
    """The proxy's X-Request-ID when it is a sane token, else a new id."""
    return offered if REQUEST_ID.match(offered) else uuid.uuid4().hex


def _request_id() -> str | None:
    return g.get("request_id") if has_request_context() else None


def configure(log_format: str, level: str = "INFO") -> None:
    """Install one handler on the root logger (once per process; a second app keeps it)."""
    global _configured
    if _configured == log_format:
        return
    handler = logging.StreamHandler()
    handler.setFormatter(JsonLines() if log_format == "json" else Console())
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "_monitor", False)]:
        root.removeHandler(old)
    handler._monitor = True
    root.addHandler(handler)
    root.setLevel(level)
    _configured = log_format


def install(app: Flask) -> None:
    """Request ids and one line per request."""
    if app.config["LOG_FORMAT"] != "off":
        configure(app.config["LOG_FORMAT"], app.config["LOG_LEVEL"])
    log = logging.getLogger("monitor.requests")

    @app.before_request
    def start_request():
        g.request_id = request_id_for(request.headers.get("X-Request-ID", ""))
        g.request_started = time.perf_counter()

    @app.after_request
    def log_request(response):
        if "request_id" in g:
            response.headers["X-Request-ID"] = g.request_id
        if app.config["LOG_REQUESTS"] and "request_started" in g:
            role = getattr(current_user, "role", None) or "anonymous"
            log.info("%s %s %s", request.method, request.path, response.status_code, extra={"fields": {
                "method": request.method, "path": request.path, "status": response.status_code,
                "ms": round((time.perf_counter() - g.request_started) * 1000, 1), "role": role,
                "endpoint": request.endpoint}})
        return response
