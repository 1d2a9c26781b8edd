"""Putting a catalog in force: the one use case behind ``flask catalog load`` and a steward's
approved draft (issue 25), so that both store the catalog whole and re-time and re-judge the
stored cases of the services it changes the same way."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from services_catalog import Catalog

from ..compliance import services_judged_differently
from ..stores import catalog as catalog_store, findings as findings_store, visits as visit_store
from .context import engine_inputs

CatalogInUse = catalog_store.CatalogInUse


@dataclass(frozen=True)
class CatalogLoad:
    services: int
    versions: int
    documents: int
    retimed: int  # cases re-timed: those the load can judge differently
    judged_from: dict[str, dt.date] = field(default_factory=dict)  # each changed service: from which day


def put_in_force(session: Session, catalog: Catalog, actor: str, now: dt.datetime | None = None) -> CatalogLoad:
    """Store ``catalog`` as the catalog in force (all or nothing), then re-time and judge again
    the cases and consults it can judge differently (``services_judged_differently``: those of
    the services it changes, from the first day each judges differently; no other finding can
    move) as of ``now`` (default the present), each finding cleared naming this load, and mark
    the weekly cells stale from that day's week on (the earliest such day). A new version that
    takes effect tomorrow reaches no stored visit and moves no figure.
    Flushes; the caller commits.
    Raises CatalogInUse when it drops a service stored visits refer to."""
    changed = services_judged_differently(catalog_store.catalog_from_db(session), catalog)
    counts = catalog_store.store_catalog(session, catalog, actor=actor)
    cause = findings_store.Cause("catalog", catalog_store.last_load(session))
    inputs = engine_inputs()
    case_pks, consult_pks = visit_store.of_services(session, changed, inputs.timezone)
    retimed = findings_store.retime_and_judge(session, inputs, actor, cause, now=now,
                                              since=min(changed.values(), default=None),
                                              case_pks=case_pks, visit_pks=consult_pks)[0]
    return CatalogLoad(counts["services"], counts["versions"], counts["documents"], retimed, changed)


def catalog_in_force(session: Session) -> Catalog:
    return catalog_store.catalog_from_db(session)
