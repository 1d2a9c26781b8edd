"""The engine's inputs as this app has them: the catalog and calendar in the database,
the thresholds in the configuration. Used by the views, the CLI and the jobs alike.

The catalog is read from the database once per process and kept until it changes: every
catalog load writes an audit record (with a digest of what was loaded), whose hash is
the cache's stamp.
"""
from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import select

from services_catalog import Catalog

from .. import calendar
from ..calendar import WorkingCalendar
from ..compliance import CatalogFrames, Thresholds
from ..config import rule_thresholds
from ..extensions import db
from ..models import AuditRecord
from ..stores.calendar import calendar_from_db
from ..stores.catalog import catalog_from_db

_lock = threading.Lock()
_cached: dict[str, tuple[str | None, CatalogFrames]] = {}


@dataclass(frozen=True)
class EngineInputs:
    frames: CatalogFrames
    calendar: WorkingCalendar
    thresholds: Thresholds
    timezone: str


def current_frames() -> CatalogFrames:
    """The catalog in force as engine frames, re-read only after a catalog load."""
    stamp = db.session.scalar(select(AuditRecord.hash).where(AuditRecord.entity == "catalog")
                              .order_by(AuditRecord.sequence.desc()).limit(1))
    key = current_app.config["SQLALCHEMY_DATABASE_URI"]
    with _lock:
        cached = _cached.get(key)
        if cached is not None and cached[0] == stamp and stamp is not None:
            return cached[1]
    frames = CatalogFrames.from_catalog(catalog_from_db(db.session()))
    with _lock:
        _cached[key] = (stamp, frames)
    return frames


def current_catalog() -> Catalog:
    return current_frames().catalog


def local_today() -> dt.date:
    """Today's date where the offices are (MONITOR_TIMEZONE), not the server's."""
    return calendar.local_today(current_app.config["MONITOR_TIMEZONE"])


def working_calendar() -> WorkingCalendar:
    """The official working-day calendar with the stored overrides, in MONITOR_TIMEZONE."""
    return calendar_from_db(db.session(), current_app.config["MONITOR_TIMEZONE"])


def engine_inputs() -> EngineInputs:
    config = current_app.config
    timezone = config["MONITOR_TIMEZONE"]
    return EngineInputs(
        frames=current_frames(),
        calendar=working_calendar(),
        thresholds=rule_thresholds(config),
        timezone=timezone,
    )
