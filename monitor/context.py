"""The engine's inputs as this app has them: the catalog and calendar in the database,
the thresholds in the configuration. Used by the views, the CLI and the jobs alike."""
from __future__ import annotations

from dataclasses import dataclass

from flask import current_app

from .calendar import WorkingCalendar
from .calendar_store import calendar_from_db
from .catalog_store import catalog_from_db
from .compliance import CatalogFrames, Thresholds
from .extensions import db


@dataclass(frozen=True)
class EngineInputs:
    frames: CatalogFrames
    calendar: WorkingCalendar
    thresholds: Thresholds
    timezone: str


def engine_inputs() -> EngineInputs:
    config = current_app.config
    timezone = config["MONITOR_TIMEZONE"]
    return EngineInputs(
        frames=CatalogFrames.from_catalog(catalog_from_db(db.session)),
        calendar=calendar_from_db(db.session, timezone),
        thresholds=Thresholds(max_handoffs=config["MAX_HANDOFFS"]),
        timezone=timezone,
    )
