"""The append-only, hash-chained audit trail."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .types import UTCDateTime


class AuditRecord(db.Model):
    """Who changed what, when and why. The application never updates or deletes a row."""

    __tablename__ = "audit_records"

    sequence: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    actor: Mapped[str] = mapped_column(String(80))
    action: Mapped[str] = mapped_column(String(40))
    entity: Mapped[str] = mapped_column(String(40), index=True)
    entity_id: Mapped[str] = mapped_column(String(120))
    old_values: Mapped[dict | None] = mapped_column(JSON)
    new_values: Mapped[dict | None] = mapped_column(JSON)
    reason: Mapped[str | None] = mapped_column(Text)
    previous_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The digest of the row after the change (one row), or the ordered digest of the
    # (entity, id, row digest) entries of a batch (an import, a sweep): see monitor.stores.evidence.
    data_digest: Mapped[str | None] = mapped_column(String(64))


class RowDigest(db.Model):
    """The digest of one row as an audit record left it. Covered by the record's data_digest,
    so that neither the rows nor these digests can be changed without ``flask audit verify``
    naming them."""

    __tablename__ = "row_digests"
    __table_args__ = (Index("ix_row_digests_entity_row", "entity", "row_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    sequence: Mapped[int] = mapped_column(Integer, index=True)  # the audit record
    entity: Mapped[str] = mapped_column(String(20))
    row_id: Mapped[str] = mapped_column(String(120))
    digest: Mapped[str] = mapped_column(String(64))  # '-' once the application deleted the row
