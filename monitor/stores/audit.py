"""The append-only, hash-chained audit trail.

Each record's hash covers its content and the previous record's hash, so that altering,
removing or inserting a record breaks the chain from that point on.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json

from dataclasses import dataclass

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from . import evidence
from ..models import AuditRecord

GENESIS = "0" * 64


def _digest(record: AuditRecord) -> str:
    content = {
        "sequence": record.sequence, "at": record.at.isoformat(), "actor": record.actor,
        "action": record.action, "entity": record.entity, "entity_id": record.entity_id,
        "old": record.old_values, "new": record.new_values, "reason": record.reason,
        "previous": record.previous_hash,
    }
    if record.data_digest is not None:  # records written before row digests verify as they were
        content["data"] = record.data_digest
    payload = json.dumps(content, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def record(session: Session, actor: str, action: str, entity: str, entity_id,
           old: dict | None = None, new: dict | None = None, reason: str | None = None,
           at: dt.datetime | None = None, rows: dict | None = None,
           only_if_changed: bool = False, written: dict | None = None,
           known=None) -> AuditRecord | None:
    """Append one audit record in the caller's transaction.

    ``rows`` names the rows the change left behind (``{"visit": [pk], "case": [pk]}``):
    their digests as they now stand are kept with the record (monitor.stores.evidence). With
    ``only_if_changed``, nothing is written when none of them changed since their last
    record (a sweep that changed nothing leaves no trace). ``written`` names those of ``rows``
    this transaction inserted (an import's): they have no earlier digest to compare with;
    ``known`` gives the digests of rows just written (evidence.of_written), not read back.
    """
    changed = None
    if rows:
        session.flush()
        changed = evidence.entries(session, rows, written=written, known=known)
        if only_if_changed and changed.empty:
            return None
    if session.get_bind().dialect.name == "postgresql":
        # One writer at a time extends the chain; released when the transaction ends.
        session.execute(text("SELECT pg_advisory_xact_lock(7202611)"))
    head = session.execute(
        select(AuditRecord.sequence, AuditRecord.hash).order_by(AuditRecord.sequence.desc()).limit(1)
    ).first()
    entry = AuditRecord(
        sequence=(head.sequence + 1) if head else 1,
        # In UTC, as the column reads it back: the hash must be computed on what verify reads.
        at=(at or dt.datetime.now(dt.timezone.utc)).astimezone(dt.timezone.utc).replace(microsecond=0),
        actor=actor, action=action, entity=entity, entity_id=str(entity_id),
        old_values=old, new_values=new, reason=reason,
        previous_hash=head.hash if head else GENESIS,
        data_digest=evidence.batch_digest(changed) if changed is not None else None,
    )
    entry.hash = _digest(entry)
    session.add(entry)
    session.flush()
    if changed is not None:
        evidence.store(session, entry.sequence, changed)
    return entry


@dataclass(frozen=True)
class Verification:
    ok: bool
    checked: int
    problem: str = ""
    sequence: int | None = None  # the first record that fails


def verify(session: Session, head: str | None = None) -> Verification:
    """Walk the chain from the first record; name the first one altered, removed or inserted.

    With ``head`` (a hash published with the weekly indicators), check the records up to
    that head only, and that the head is still in the chain.
    """
    query = select(AuditRecord).order_by(AuditRecord.sequence).execution_options(yield_per=1000)
    records = session.scalars(query)
    try:
        return _walk(records, head)
    finally:
        records.close()  # an early answer must not leave a server-side cursor open


def _walk(records, head: str | None) -> Verification:
    previous, expected_sequence, checked = GENESIS, 1, 0
    for entry in records:
        if entry.sequence != expected_sequence:
            return Verification(False, checked, f"record {expected_sequence} is missing (removed) before "
                                f"record {entry.sequence}", expected_sequence)
        if entry.previous_hash != previous:
            return Verification(False, checked, f"record {entry.sequence} does not follow record "
                                f"{entry.sequence - 1} (a record was inserted, removed or altered)",
                                entry.sequence)
        if entry.hash != _digest(entry):
            return Verification(False, checked, f"record {entry.sequence} was altered", entry.sequence)
        checked += 1
        previous, expected_sequence = entry.hash, expected_sequence + 1
        if head is not None and entry.hash == head:
            return Verification(True, checked)
    if head is not None:
        return Verification(False, checked, "the published head is not in the chain: records up to it "
                            "were altered or removed")
    return Verification(True, checked)
