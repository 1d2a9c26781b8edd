"""The append-only, hash-chained audit trail.

Each record's hash covers its content and the previous record's hash, so that altering,
removing or inserting a record breaks the chain from that point on.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json

from sqlalchemy import select
from sqlalchemy.orm import Session

from .models import AuditRecord

GENESIS = "0" * 64


def _digest(record: AuditRecord) -> str:
    payload = json.dumps({
        "sequence": record.sequence, "at": record.at.isoformat(), "actor": record.actor,
        "action": record.action, "entity": record.entity, "entity_id": record.entity_id,
        "old": record.old_values, "new": record.new_values, "reason": record.reason,
        "previous": record.previous_hash,
    }, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def record(session: Session, actor: str, action: str, entity: str, entity_id,
           old: dict | None = None, new: dict | None = None, reason: str | None = None,
           at: dt.datetime | None = None) -> AuditRecord:
    """Append one audit record in the caller's transaction."""
    head = session.execute(
        select(AuditRecord.sequence, AuditRecord.hash).order_by(AuditRecord.sequence.desc()).limit(1)
    ).first()
    entry = AuditRecord(
        sequence=(head.sequence + 1) if head else 1,
        at=(at or dt.datetime.now(dt.timezone.utc)).replace(microsecond=0),
        actor=actor, action=action, entity=entity, entity_id=str(entity_id),
        old_values=old, new_values=new, reason=reason,
        previous_hash=head.hash if head else GENESIS,
    )
    entry.hash = _digest(entry)
    session.add(entry)
    session.flush()
    return entry
