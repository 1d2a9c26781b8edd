"""The catalog in the database: store a validated catalog whole, read it back.

Loading is all or nothing: the caller's transaction either replaces every service
version or, on any error, leaves the catalog in force as it was.
"""
from __future__ import annotations

import datetime as dt
import hashlib

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, selectinload

from services_catalog import (
    Catalog,
    Deadline,
    Document,
    Fee,
    FeeExemption,
    Keywords,
    MrpRate,
    Provenance,
    RefusalGround,
    RequiredDocument,
    Service,
    ServiceVersion,
    Source,
    Text,
)
from services_catalog.model import SOURCED_FACTS

from ..models import AuditRecord, catalog as rows
from ..models.desk import Visit
from . import audit


class CatalogInUse(Exception):
    """The new catalog drops a service that stored visits refer to."""


def _names(prefix: str, text: Text) -> dict:
    return {f"{prefix}_{lang}": value for lang, value in text.as_dict().items()}


def _text(row, prefix: str) -> Text:
    return Text(*(getattr(row, f"{prefix}_{lang}") for lang in ("kk", "ru", "en")))


def _source_json(source: Source) -> dict:
    return {"id": source.id, "title": source.title, "url": source.url,
            "retrieved": source.retrieved.isoformat(), "act_number": source.act_number,
            "act_date": source.act_date.isoformat() if source.act_date else None,
            **({"secondary": True} if source.secondary else {}),
            **({"title_text": source.title_text.as_dict()} if source.title_text else {})}


def _source(data: dict) -> Source:
    return Source(data["id"], data["title"], data["url"], dt.date.fromisoformat(data["retrieved"]),
                  data.get("act_number"),
                  dt.date.fromisoformat(data["act_date"]) if data.get("act_date") else None,
                  bool(data.get("secondary", False)),
                  Text(**data["title_text"]) if data.get("title_text") else None)


def _whole(value):
    return int(value) if value is not None and float(value).is_integer() else value


def store_catalog(session: Session, catalog: Catalog, actor: str = "system") -> dict:
    """Replace the catalog in the database with ``catalog``; returns counts for the user."""
    removed = set(session.scalars(select(rows.Service.code))) - set(catalog.services)
    if removed:
        used = session.execute(select(Visit.service_code, func.count()).where(
            Visit.service_code.in_(removed)).group_by(Visit.service_code)).all()
        if used:
            raise CatalogInUse("; ".join(
                f"service {code} is used by {count} stored visits and cannot be removed"
                for code, count in used))
    old_versions = list(session.scalars(select(rows.ServiceVersion.id)))
    old_keys: dict[str, list[str | int]] = {"document": list(session.scalars(select(rows.Document.code))),
                "service": list(session.scalars(select(rows.Service.code))),
                "mrp_rate": list(session.scalars(select(rows.MrpRate.year)))}
    session.execute(delete(rows.VersionDocument))
    session.execute(delete(rows.RefusalGround))
    session.execute(delete(rows.ServiceVersion))
    session.execute(delete(rows.Service).where(rows.Service.code.in_(removed)))
    session.execute(delete(rows.MrpRate))
    session.flush()
    for rate in catalog.mrp.values():
        session.add(rows.MrpRate(year=rate.year, amount=rate.amount, source=_source_json(rate.source)))
    for document in catalog.documents.values():
        session.merge(rows.Document(code=document.code, state_system=document.state_system,
                                    **_names("name", document.name)))
    for service in catalog.services.values():
        session.merge(rows.Service(code=service.code, **_names("name", service.name),
                                   **_names("provider", service.provider),
                                   keywords=service.keywords.as_dict() if service.keywords.all() else None))
        for version in service.versions:
            session.add(_version_row(service.code, version))
    session.flush()
    unused = set(session.scalars(select(rows.Document.code))) - set(catalog.documents)
    session.execute(delete(rows.Document).where(rows.Document.code.in_(unused)))
    counts = {"services": len(catalog.services), "documents": len(catalog.documents),
              "versions": sum(len(s.versions) for s in catalog.services.values())}
    # The digest of what was loaded lets caches of the catalog know when it changed.
    new_versions = list(session.scalars(select(rows.ServiceVersion.id)))
    digest = hashlib.sha256(repr(catalog).encode()).hexdigest()
    # Rows replaced by Core statements (no ORM event sees them): named here, old and new.
    audit.record(session, actor, "load", "catalog", "catalog", new={**counts, "digest": digest},
                 rows={"catalog_version": old_versions + new_versions,
                       "document": old_keys["document"] + list(catalog.documents),
                       "service": old_keys["service"] + list(catalog.services),
                       "mrp_rate": old_keys["mrp_rate"] + list(catalog.mrp)})
    return counts


def last_load(session: Session) -> str:
    """Which catalog load is in force, in words (the why of findings it clears)."""
    record = session.scalar(select(AuditRecord).where(AuditRecord.entity == "catalog")
                            .order_by(AuditRecord.sequence.desc()).limit(1))
    if record is None:
        return "no catalog loaded"
    digest = (record.new_values or {}).get("digest", "")[:12]
    return f"catalog load by {record.actor} (audit record {record.sequence}, digest {digest})"


def _version_row(service_code: str, version: ServiceVersion) -> rows.ServiceVersion:
    row = rows.ServiceVersion(
        service_code=service_code, effective_from=version.effective_from,
        effective_to=version.effective_to, legal_basis=version.legal_basis,
        deadline_value=version.deadline.value, deadline_unit=version.deadline.unit,
        max_wait_minutes=version.max_wait_minutes, max_service_minutes=version.max_service_minutes,
        fee_amount=version.fee.amount, fee_currency=version.fee.currency, fee_mrp=version.fee.mrp,
        fee_exemptions=[{"when": e.when.as_dict(), "amount": e.amount, "mrp": e.mrp}
                        for e in version.fee.exemptions] or None,
        legal_basis_text=version.legal_basis_text.as_dict() if version.legal_basis_text else None,
        sources=[_source_json(s) for s in version.sources] or None,
        provenance={p.fact: {"sources": list(p.sources), "assumed": p.assumed, "note": p.note}
                    for p in version.provenance} or None,
        channels=list(version.channels), **_names("result", version.result))
    position = 0
    for group, entry in enumerate(version.required_documents, start=1):
        for code in entry.codes:
            position += 1
            condition = _names("condition", entry.when) if entry.when else {}
            row.documents.append(rows.VersionDocument(
                document_code=code, kind=entry.kind, position=position,
                group_number=group, **condition))
    for code in version.obtained_by_office:
        position += 1
        row.documents.append(rows.VersionDocument(
            document_code=code, kind="obtained_by_office", position=position))
    for index, ground in enumerate(version.refusal_grounds, start=1):
        row.refusal_grounds.append(rows.RefusalGround(
            code=ground.code, position=index, **_names("text", ground.text)))
    return row


def _version(row: rows.ServiceVersion) -> ServiceVersion:
    required: list[RequiredDocument] = []
    groups: dict[int | None, list[rows.VersionDocument]] = {}  # every required entry has a group number
    obtained = []
    for document in row.documents:
        if document.kind == "obtained_by_office":
            obtained.append(document.document_code)
        else:
            groups.setdefault(document.group_number, []).append(document)
    for members in groups.values():
        first = members[0]
        when = _text(first, "condition") if first.condition_en is not None else None
        required.append(RequiredDocument(tuple(m.document_code for m in members),
                                         any_of=first.kind == "any_of", when=when))
    fee_amount = _whole(row.fee_amount)
    exemptions = tuple(FeeExemption(Text(**e["when"]), _whole(e["amount"]), _whole(e["mrp"]))
                       for e in row.fee_exemptions or ())
    provenance = tuple(Provenance(fact, tuple(p["sources"]), p["assumed"], p["note"])
                       for fact, p in sorted((row.provenance or {}).items(),
                                             key=lambda item: SOURCED_FACTS.index(item[0])))
    return ServiceVersion(
        effective_from=row.effective_from, effective_to=row.effective_to,
        legal_basis=row.legal_basis, deadline=Deadline(row.deadline_value, row.deadline_unit),
        max_wait_minutes=row.max_wait_minutes, max_service_minutes=row.max_service_minutes,
        fee=Fee(fee_amount, row.fee_currency, _whole(row.fee_mrp), exemptions),
        required_documents=tuple(required),
        obtained_by_office=tuple(obtained),
        refusal_grounds=tuple(RefusalGround(g.code, _text(g, "text")) for g in row.refusal_grounds),
        result=_text(row, "result"), channels=tuple(row.channels),
        sources=tuple(_source(s) for s in row.sources or ()), provenance=provenance,
        legal_basis_text=Text(**row.legal_basis_text) if row.legal_basis_text else None)


def catalog_from_db(session: Session) -> Catalog:
    """The catalog in force, as the same value objects the YAML loader makes."""
    documents = {row.code: Document(row.code, _text(row, "name"), row.state_system)
                 for row in session.scalars(select(rows.Document).order_by(rows.Document.code))}
    services = {}
    query = select(rows.Service).order_by(rows.Service.code).options(
        selectinload(rows.Service.versions).selectinload(rows.ServiceVersion.documents),
        selectinload(rows.Service.versions).selectinload(rows.ServiceVersion.refusal_grounds))
    for row in session.scalars(query):
        keywords = Keywords(**{lang: tuple(words) for lang, words in (row.keywords or {}).items()})
        services[row.code] = Service(row.code, _text(row, "name"), _text(row, "provider"),
                                     tuple(_version(v) for v in row.versions), keywords)
    mrp = {row.year: MrpRate(row.year, row.amount, _source(row.source))
           for row in session.scalars(select(rows.MrpRate).order_by(rows.MrpRate.year))}
    return Catalog(documents=documents, services=services, mrp=mrp)
