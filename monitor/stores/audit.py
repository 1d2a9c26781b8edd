"""The append-only, hash-chained audit trail.

Each record's hash covers its content and the previous record's hash, so that altering,
removing or inserting a record breaks the chain from that point on. The heads stored with
each publication must stay records of the intact chain: a tail rewritten and re-hashed, or
cut off, loses them (``verify``).
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from typing import Literal, overload

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from ..models import AuditRecord, IndicatorSnapshot
from . import evidence

GENESIS = "0" * 64


def _digest(record) -> str:
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


@overload
def record(session: Session, actor: str, action: str, entity: str, entity_id,
           old: dict | None = None, new: dict | None = None, reason: str | None = None,
           at: dt.datetime | None = None, rows: dict | None = None,
           only_if_changed: Literal[False] = False, written: dict | None = None,
           known=None) -> AuditRecord: ...


@overload
def record(session: Session, actor: str, action: str, entity: str, entity_id,
           old: dict | None = None, new: dict | None = None, reason: str | None = None,
           at: dt.datetime | None = None, rows: dict | None = None,
           only_if_changed: bool = False, written: dict | None = None,
           known=None) -> AuditRecord | None: ...


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
        at=(at or dt.datetime.now(dt.UTC)).astimezone(dt.UTC).replace(microsecond=0),
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
class HeadCheck:
    """One head the chain must still hold: given with --head, or stored with a publication."""
    head: str
    source: str  # "given" or what stored it ("publication of week 2026-W12")
    ok: bool
    sequence: int | None = None  # where it is in the chain

    def __str__(self) -> str:
        where = "the head given" if self.source == "given" else f"the head stored with the {self.source}"
        if self.ok:
            return f"{where} ({self.head[:12]}) is record {self.sequence}: the records up to it are unchanged"
        if self.sequence is not None:
            return (f"{where} ({self.head[:12]}) is record {self.sequence}, after the chain breaks: "
                    "the records up to it are not proven")
        return (f"{where} ({self.head[:12]}): this head is not in the chain: records up to it were altered "
                "or removed (a rewritten or truncated tail)")


@dataclass(frozen=True)
class Verification:
    ok: bool  # the chain and every head checked
    checked: int
    problem: str = ""
    sequence: int | None = None  # the first record that fails
    heads: tuple = ()  # HeadCheck for every head checked

    @property
    def chain_ok(self) -> bool:
        return not self.problem

    @property
    def broken_heads(self) -> list:
        return [h for h in self.heads if not h.ok]


def stored_heads(session: Session) -> list[tuple[str, str]]:
    """(head, what stored it) for every head the application stored: each publication's."""
    rows = session.execute(select(IndicatorSnapshot.week, IndicatorSnapshot.audit_head_hash)
                           .where(IndicatorSnapshot.audit_head_hash.is_not(None)).distinct()
                           .order_by(IndicatorSnapshot.week)).all()
    return [(row.audit_head_hash, f"publication of week {row.week}") for row in rows]


def verify(session: Session, head: str | None = None, stored: bool = True) -> Verification:
    """Walk the whole chain from the first record; name the first one altered, removed or
    inserted; and check that every head the application stored with a publication (and
    ``head``, a hash published with the weekly indicators, if given) is still in the
    intact chain, which catches a rewritten-and-rehashed or truncated tail."""
    wanted: dict[str, list[str]] = {}
    if head:
        wanted.setdefault(head, []).append("given")
    if stored:
        for value, source in stored_heads(session):
            wanted.setdefault(value, []).append(source)
    # Plain rows (no ORM objects): the walk is the cost of verify on a long chain.
    query = select(*[AuditRecord.__table__.c[name] for name in _COLUMNS]).order_by(AuditRecord.sequence)
    records = session.execute(query.execution_options(yield_per=5000))
    try:
        result, found = _walk(records, set(wanted))
    finally:
        records.close()  # an early answer must not leave a server-side cursor open
    missing = [value for value in wanted if value not in found]
    if missing:  # after a break: where are they, if anywhere?
        for chunk in range(0, len(missing), 1000):
            for row in session.execute(select(AuditRecord.hash, AuditRecord.sequence).where(
                    AuditRecord.hash.in_(missing[chunk:chunk + 1000]))):
                found.setdefault(row.hash, (row.sequence, False))
    checks = tuple(HeadCheck(value, source, *(found[value][::-1] if value in found else (False, None)))
                   for value, sources in wanted.items() for source in sources)
    ok = result.ok and all(check.ok for check in checks)
    return Verification(ok, result.checked, result.problem, result.sequence, checks)


_COLUMNS = ("sequence", "at", "actor", "action", "entity", "entity_id", "old_values", "new_values", "reason",
            "previous_hash", "hash", "data_digest")


def _walk(records, wanted: set) -> tuple[Verification, dict]:
    """The chain's first problem, and where each wanted head is in the intact prefix:
    {hash: (sequence, True)}."""
    previous, expected_sequence, checked = GENESIS, 1, 0
    found: dict[str, tuple[int, bool]] = {}
    for entry in records:
        if entry.sequence != expected_sequence:
            return Verification(False, checked, f"record {expected_sequence} is missing (removed) before "
                                f"record {entry.sequence}", expected_sequence), found
        if entry.previous_hash != previous:
            return Verification(False, checked, f"record {entry.sequence} does not follow record "
                                f"{entry.sequence - 1} (a record was inserted, removed or altered)",
                                entry.sequence), found
        if entry.hash != _digest(entry):
            return Verification(False, checked, f"record {entry.sequence} was altered", entry.sequence), found
        checked += 1
        previous, expected_sequence = entry.hash, expected_sequence + 1
        if entry.hash in wanted:
            found[entry.hash] = (entry.sequence, True)
    return Verification(True, checked), found
