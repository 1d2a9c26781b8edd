"""Settings: defaults in code, then environment variables, then a test override.

Every setting is documented in README.md ("Configuration").
"""
from __future__ import annotations

import os
import secrets
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
    # Public pages never rank an office or service with fewer cases in a week.
    "MIN_CASES_FOR_RANKING": 20,
    "BABEL_DEFAULT_LOCALE": "ru",
    "LANGUAGES": ("kk", "ru", "en"),
    "SQLALCHEMY_TRACK_MODIFICATIONS": False,
    "WTF_CSRF_TIME_LIMIT": None,
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "RATELIMIT_STORAGE_URI": "memory://",
    # Citizens' forms: how often one address may check a case or file a complaint.
    "CASE_STATUS_RATE_LIMIT": "10 per minute;60 per hour",
    "COMPLAINT_RATE_LIMIT": "5 per hour",
    # Sign-in attempts, counted per address and per account.
    "LOGIN_RATE_LIMIT": "10 per minute;50 per hour",
    # Citizens' catalog, service pages and checklists: how long a proxy or CDN may keep them.
    "PUBLIC_CACHE_SECONDS": 300,
}

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
    "PUBLIC_CACHE_SECONDS": int,
    "RATELIMIT_STORAGE_URI": str,
    "OPEN_DATA_VOCABULARY_IRI": str,
    "SESSION_COOKIE_SECURE": lambda value: value.lower() in ("1", "true", "yes"),
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


def load_config(app, overrides: dict | None = None) -> None:
    """Fill ``app.config`` from defaults, the environment and ``overrides``."""
    app.config.from_mapping(DEFAULTS)
    for name, convert in ENVIRONMENT.items():
        if os.environ.get(name):
            app.config[name] = convert(os.environ[name])
    if overrides:
        app.config.update(overrides)

    instance = Path(app.instance_path)
    if not app.config.get("DATABASE_URL"):
        instance.mkdir(parents=True, exist_ok=True)
        app.config["DATABASE_URL"] = f"sqlite:///{instance / 'monitor.sqlite3'}"
    app.config["SQLALCHEMY_DATABASE_URI"] = normalize_database_url(app.config["DATABASE_URL"])
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
