"""Column types shared by the models."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import DateTime
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator):
    """A moment stored in UTC and always read back timezone-aware.

    PostgreSQL keeps ``timestamptz``; SQLite has no time zones, so the UTC wall time is
    stored and UTC is attached on reading. Naive values are refused: a moment without
    a zone is a bug waiting for a daylight-saving change.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r} given for a UTC column")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


def as_stored(column):
    """A moment column selected as the driver gives it (text on SQLite, a datetime on
    PostgreSQL), to be parsed a whole column at a time with ``pd.to_datetime(..., utc=True,
    format="ISO8601")``: the type's per-value processing costs seconds per million rows."""
    from sqlalchemy import String, type_coerce

    return type_coerce(column, String).label(column.key)
