"""Putting a catalog in force: the one use case behind ``flask catalog load`` and a steward's
approved draft (issue 25), so that both store the catalog whole and re-time and re-judge the
stored cases the same way."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from services_catalog import Catalog

from ..stores import catalog as catalog_store, findings as findings_store
from .context import engine_inputs

CatalogInUse = catalog_store.CatalogInUse


@dataclass(frozen=True)
class CatalogLoad:
    services: int
    versions: int
    documents: int
    retimed: int  # cases whose timeline changed


def put_in_force(session: Session, catalog: Catalog, actor: str) -> CatalogLoad:
    """Store ``catalog`` as the catalog in force (all or nothing), then re-time every case and
    sweep the findings, each cleared one naming this load. Flushes; the caller commits.
    Raises CatalogInUse when it drops a service stored visits refer to."""
    counts = catalog_store.store_catalog(session, catalog, actor=actor)
    cause = findings_store.Cause("catalog", catalog_store.last_load(session))
    retimed = findings_store.rejudge_all(session, engine_inputs(), actor, cause)[0]
    return CatalogLoad(counts["services"], counts["versions"], counts["documents"], retimed)


def catalog_in_force(session: Session) -> Catalog:
    return catalog_store.catalog_from_db(session)
