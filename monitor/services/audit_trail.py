"""The audit trail checked and completed: ``flask audit verify`` (the hash chain, the heads
published with the indicators, every recorded row against its digest) and ``flask audit
adopt`` (rows stored before row digests existed, vouched for in one record)."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from ..stores import audit, evidence


@dataclass(frozen=True)
class TrailCheck:
    chain: audit.Verification  # the chain walked and every head checked
    rows: list[evidence.RowProblem]  # each row edited, deleted or inserted behind the application's back

    @property
    def ok(self) -> bool:
        return self.chain.ok and not self.rows


def verify(session: Session, head: str | None = None) -> TrailCheck:
    """Walk the chain (naming the first record altered, removed or inserted), check every
    head stored with a publication and ``head`` if given, and recompute every row's digest."""
    return TrailCheck(audit.verify(session, head), evidence.verify_rows(session))


def adopt_unrecorded(session: Session, reason: str, actor: str) -> int:
    """Record the digests of the rows stored before row digests existed, in one audit
    record; rows already recorded are left as they are. Returns how many were adopted."""
    known = evidence.latest(session)
    rows: dict[str, list] = {}
    for entity in evidence.ENTITIES:
        recorded = set(known.loc[known["entity"] == entity, "row_id"])
        rows[entity] = [i for i in evidence.current(session, entity)["row_id"] if i not in recorded]
    count = sum(len(ids) for ids in rows.values())
    if count:
        audit.record(session, actor, "adopt", "rows", "unrecorded", reason=reason, rows=rows,
                     new={entity: len(ids) for entity, ids in rows.items()})
    return count
