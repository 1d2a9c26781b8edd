"""Settings: defaults in code, then environment variables, then a test override.

Every setting is documented in README.md ("Configuration").
"""
from __future__ import annotations

import os
import secrets
import sys
from pathlib import Path

from .calendar import LOCAL_TIMEZONE
from .compliance.rules import Thresholds

DEFAULTS = {
    # Local time of every date, week and "end of day" the rules speak of: the spec fixes it
    # at UTC+5 for all dates ("Precise readings"), see calendar.LOCAL_TIMEZONE.
    "MONITOR_TIMEZONE": LOCAL_TIMEZONE,
    # Thresholds of the compliance rules (visit-log-and-rules.md).
    "MAX_HANDOFFS": 1,
    # Integrity rules: INFORMAL_RETURN needs this many consults in this many days before a
    # case's first submit; REOPENED_AFTER_WITHDRAWAL a new case within this many days.
    "MIN_INFORMAL_CONSULTS": 2,
    "INFORMAL_RETURN_DAYS": 30,
    "REOPEN_DAYS": 10,
    # Typed times may run ahead of the server clock by this much (desk clocks drift), no more.
    "CLOCK_SKEW_MINUTES": 5,
    # Public pages never rank an office or service with fewer cases in a week.
    "MIN_CASES_FOR_RANKING": 20,
    # The accountability clock (monitor.compliance.escalation): an overdue case, an unreviewed
    # high-severity finding or an unanswered report of inducement escalates to the
    # administrator's queue after this many working days.
    "ESCALATE_AFTER_WORKING_DAYS": 3,
    "BABEL_DEFAULT_LOCALE": "ru",
    "LANGUAGES": ("kk", "ru", "en"),
    "SQLALCHEMY_TRACK_MODIFICATIONS": False,
    "WTF_CSRF_TIME_LIMIT": None,
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "RATELIMIT_STORAGE_URI": "memory://",
    # Keys in a shared Redis are prefixed, so two deployments (or test runs) never mix counts.
    "RATELIMIT_KEY_PREFIX": "scm",
    # If the shared limiter storage (Redis) is down, count in each worker's memory meanwhile
    # rather than answer 500; /readyz reports the outage.
    "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
    "RATELIMIT_SWALLOW_ERRORS": True,
    # Citizens' forms: how often one address may check a case or file a complaint.
    "CASE_STATUS_RATE_LIMIT": "10 per minute;60 per hour",
    "COMPLAINT_RATE_LIMIT": "5 per hour",
    # "This page is wrong or out of date" (issue 25), per address.
    "ERROR_REPORT_RATE_LIMIT": "5 per hour",
    # Sign-in attempts per address, and failed ones per (account, address), with back-off.
    "LOGIN_RATE_LIMIT": "10 per minute;50 per hour",
    "LOGIN_FAILURE_LIMIT": "5 per minute;10 per 15 minutes;20 per day",
    # Sessions: an absolute lifetime and an idle timeout, in seconds (ASVS 3.3).
    "SESSION_ABSOLUTE_LIFETIME": 12 * 3600,
    "SESSION_IDLE_TIMEOUT": 30 * 60,
    # Largest request body (bytes; 413 above): staff forms, and anonymous citizens' forms.
    # Nothing is uploaded through the web (visit logs are imported with `flask visits import`).
    "MAX_CONTENT_LENGTH": 1024 * 1024,
    "MAX_FORM_MEMORY_SIZE": 512 * 1024,
    "MAX_FORM_PARTS": 1000,
    "PUBLIC_MAX_CONTENT_LENGTH": 64 * 1024,
    # Behind a reverse proxy: how many proxies to trust for X-Forwarded-For/-Proto/-Host.
    "PROXY_FIX_X_FOR": 0,
    "PROXY_FIX_X_PROTO": 0,
    "PROXY_FIX_X_HOST": 0,
    # Links inside open data (publicly cached) use this, never the request's Host header.
    "PUBLIC_BASE_URL": "",
    # Strict-Transport-Security max-age when served over HTTPS (0 turns HSTS off).
    "HSTS_MAX_AGE": 31536000,
    # E-mail (overdue digest, escalations, complaint answers). Without MAIL_SERVER the
    # messages are written to instance/outbox/ instead (development).
    "MAIL_SERVER": "",
    "MAIL_PORT": 25,
    "MAIL_USE_STARTTLS": False,
    "MAIL_USE_SSL": False,
    "MAIL_USERNAME": "",
    "MAIL_PASSWORD": "",
    "MAIL_FROM": "monitor@localhost",
    "MAIL_TIMEOUT": 10,
    # Who gets a copy of every overdue digest and escalation besides the office's staff
    # with an e-mail address (comma-separated, e.g. the compliance unit).
    "MAIL_COPY_TO": "",
    # The mail queue (``flask jobs run mail``, every minute): a mail the server did not take is
    # tried again after MAIL_RETRY_SECONDS, then twice as long each time, at most MAIL_RETRY_MAX_SECONDS.
    "MAIL_RETRY_SECONDS": 60,
    "MAIL_RETRY_MAX_SECONDS": 3600,
    # GET /metrics (Prometheus): allowed from these addresses or networks (comma-separated), or
    # with "Authorization: Bearer METRICS_TOKEN" from anywhere (empty: no token accepted).
    "METRICS_ALLOW": "127.0.0.1,::1",
    "METRICS_TOKEN": "",
    # Citizens' catalog, service pages and checklists: how long a proxy or CDN may keep them.
    "PUBLIC_CACHE_SECONDS": 300,
    # A phone number citizens may call when the catalog search finds nothing (e.g. the unified
    # contact centre of public services); empty: none is shown.
    "CONTACT_PHONE": "",
    # Each process keeps what the citizens' pages show and asks the database at most this
    # often whether a catalog load, calendar change or publication made elsewhere changed it
    # (its own changes take effect at once); and at most this many characters of pages.
    "PUBLIC_RECHECK_SECONDS": 2.0,
    # Logs (monitor/logs.py): "json" (one object per line, for production), "console" (readable
    # lines) or "off" (leave logging as the host process set it up); one line per request.
    "LOG_FORMAT": "console",
    "LOG_LEVEL": "INFO",
    "LOG_REQUESTS": True,
    "PUBLIC_PAGE_CACHE_CHARS": 32_000_000,
}



def _flag(value: str) -> bool:
    return value.lower() in ("1", "true", "yes")

# Environment variables read as they are (strings) or converted by the given type.
ENVIRONMENT = {
    "DATABASE_URL": str,
    "SECRET_KEY": str,
    "APPLICANT_HASH_KEY": str,
    "MONITOR_TIMEZONE": str,
    "MAX_HANDOFFS": int,
    "MIN_INFORMAL_CONSULTS": int,
    "INFORMAL_RETURN_DAYS": int,
    "REOPEN_DAYS": int,
    "MIN_CASES_FOR_RANKING": int,
    "ESCALATE_AFTER_WORKING_DAYS": int,
    "CLOCK_SKEW_MINUTES": int,
    "PUBLIC_CACHE_SECONDS": int,
    "PUBLIC_RECHECK_SECONDS": float,
    "LOG_FORMAT": str,
    "LOG_LEVEL": str,
    "LOG_REQUESTS": _flag,
    "PUBLIC_PAGE_CACHE_CHARS": int,
    "RATELIMIT_STORAGE_URI": str,
    "RATELIMIT_KEY_PREFIX": str,
    "OPEN_DATA_VOCABULARY_IRI": str,
    "SESSION_COOKIE_SECURE": _flag,
    "SESSION_ABSOLUTE_LIFETIME": int,
    "SESSION_IDLE_TIMEOUT": int,
    "MAX_CONTENT_LENGTH": int,
    "PROXY_FIX_X_FOR": int,
    "PROXY_FIX_X_PROTO": int,
    "PROXY_FIX_X_HOST": int,
    "PUBLIC_BASE_URL": str,
    "HSTS_MAX_AGE": int,
    "MAIL_SERVER": str,
    "MAIL_PORT": int,
    "MAIL_USE_STARTTLS": _flag,
    "MAIL_USE_SSL": _flag,
    "MAIL_USERNAME": str,
    "MAIL_PASSWORD": str,
    "MAIL_FROM": str,
    "MAIL_COPY_TO": str,
    "MAIL_RETRY_SECONDS": int,
    "MAIL_RETRY_MAX_SECONDS": int,
    "METRICS_ALLOW": str,
    "METRICS_TOKEN": str,
}


def _instance_secret(instance_path: Path, name: str) -> str:
    """Read a secret kept under instance/, creating it on first run.

    Generated secrets survive restarts, so sessions and applicant hashes stay valid.
    """
    path = instance_path / name
    if path.exists():
        return path.read_text().strip()
    value = secrets.token_hex(32)
    instance_path.mkdir(parents=True, exist_ok=True)
    path.write_text(value + "\n")
    path.chmod(0o600)
    return value


ROOT = Path(__file__).resolve().parent.parent
SOURCE_CHECKOUT = (ROOT / "setup.cfg").is_file() and (ROOT / "templates").is_dir()


def instance_path() -> str:
    """instance/ of the checkout; for an installed package MONITOR_INSTANCE_PATH or
    <prefix>/var/monitor-instance (Flask's own default for installed packages)."""
    if os.environ.get("MONITOR_INSTANCE_PATH"):
        return os.environ["MONITOR_INSTANCE_PATH"]
    if SOURCE_CHECKOUT:
        return str(ROOT / "instance")
    return str(Path(sys.prefix) / "var" / "monitor-instance")


def _from_environment(settings) -> None:
    """The settings given in the environment, converted, over those in ``settings``."""
    for name, convert in ENVIRONMENT.items():
        if os.environ.get(name):
            settings[name] = convert(os.environ[name])


def command_settings() -> dict:
    """The settings an application would have (defaults, then the environment, the instance's
    applicant key) for a command that runs without one: ``flask analyze``."""
    settings = dict(DEFAULTS)
    _from_environment(settings)
    if not settings.get("APPLICANT_HASH_KEY"):
        settings["APPLICANT_HASH_KEY"] = _instance_secret(Path(instance_path()), "applicant_hash_key")
    return settings


def load_config(app, overrides: dict | None = None) -> None:
    """Fill ``app.config`` from defaults, the environment and ``overrides``."""
    app.config.from_mapping(DEFAULTS)
    _from_environment(app.config)
    if overrides:
        app.config.update(overrides)

    instance = Path(app.instance_path)
    if not app.config.get("DATABASE_URL"):
        instance.mkdir(parents=True, exist_ok=True)
        app.config["DATABASE_URL"] = f"sqlite:///{instance / 'monitor.sqlite3'}"
    app.config["SQLALCHEMY_DATABASE_URI"] = normalize_database_url(app.config["DATABASE_URL"])
    # A pooled connection is tested before use (a database restart leaves them all dead), so
    # the first request of each worker after a restart does not fail.
    app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {})
    app.config["SQLALCHEMY_ENGINE_OPTIONS"].setdefault("pool_pre_ping", True)
    # Cookies die with the session's absolute lifetime, whatever the browser keeps.
    app.config["PERMANENT_SESSION_LIFETIME"] = app.config["SESSION_ABSOLUTE_LIFETIME"]
    app.config["BABEL_DEFAULT_TIMEZONE"] = app.config["MONITOR_TIMEZONE"]  # dates shown in local time
    for name, file_name in (("SECRET_KEY", "secret_key"), ("APPLICANT_HASH_KEY", "applicant_hash_key")):
        if not app.config.get(name):
            app.config[name] = _instance_secret(instance, file_name)


def rule_thresholds(config, **overrides) -> Thresholds:
    """The rules' thresholds from the settings; ``overrides`` that are not None win."""
    values = {"max_handoffs": config["MAX_HANDOFFS"],
              "min_informal_consults": config["MIN_INFORMAL_CONSULTS"],
              "informal_return_days": config["INFORMAL_RETURN_DAYS"],
              "reopen_days": config["REOPEN_DAYS"]}
    values.update({name: value for name, value in overrides.items() if value is not None})
    return Thresholds(**values)


def normalize_database_url(url: str) -> str:
    """Let users write ``postgresql://`` and still get the psycopg 3 driver."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url
