"""Write a catalog back to the folder format it was loaded from (catalog-format.md)."""
from __future__ import annotations

from pathlib import Path

import yaml

from .model import SERVICE_CODE, Catalog, Fee, RequiredDocument, Service, ServiceVersion, Source


def _required_entry(entry: RequiredDocument):
    if entry.any_of:
        data: dict[str, object] = {"any_of": list(entry.codes)}
        if entry.when:
            data["when"] = entry.when.as_dict()
        return data
    if entry.when:
        return {"code": entry.codes[0], "when": entry.when.as_dict()}
    return entry.codes[0]


def source_to_dict(source: Source) -> dict:
    data: dict[str, object] = {"id": source.id,
                               "title": source.title_text.as_dict() if source.title_text else source.title}
    if source.act_number is not None:
        data["act_number"] = source.act_number
    if source.act_date is not None:
        data["act_date"] = source.act_date
    data.update(url=source.url, retrieved=source.retrieved)
    if source.secondary:
        data["secondary"] = True
    return data


def fee_to_dict(fee: Fee) -> dict:
    data: dict[str, object] = ({"mrp": fee.mrp} if fee.mrp is not None
                               else {"amount": fee.amount, "currency": fee.currency})
    if fee.exemptions:
        data["exemptions"] = [
            {"when": e.when.as_dict(), **({"mrp": e.mrp} if e.mrp is not None else {"amount": e.amount})}
            for e in fee.exemptions]
    return data


def version_to_dict(version: ServiceVersion) -> dict:
    data = {
        "effective_from": version.effective_from,
        "effective_to": version.effective_to,
        "legal_basis": version.legal_basis_text.as_dict() if version.legal_basis_text else version.legal_basis,
        "deadline": {"value": version.deadline.value, "unit": version.deadline.unit},
        "max_wait_minutes": version.max_wait_minutes,
        "max_service_minutes": version.max_service_minutes,
        "fee": fee_to_dict(version.fee),
        "required_documents": [_required_entry(e) for e in version.required_documents],
        "obtained_by_office": list(version.obtained_by_office),
        "refusal_grounds": [{"code": g.code, "text": g.text.as_dict()} for g in version.refusal_grounds],
        "result": version.result.as_dict(),
        "channels": list(version.channels),
    }
    if version.sources:
        data["sources"] = [source_to_dict(s) for s in version.sources]
    if version.provenance:
        data["provenance"] = {
            p.fact: ({"assumed": True, "note": p.note} if p.assumed else
                     {"source": p.sources[0] if len(p.sources) == 1 else list(p.sources),
                      **({"note": p.note} if p.note else {})})
            for p in version.provenance}
    return data


def service_to_dict(service: Service) -> dict:
    return {
        "code": service.code,
        "name": service.name.as_dict(),
        "provider": service.provider.as_dict(),
        **({"keywords": service.keywords.as_dict()} if service.keywords.all() else {}),
        "versions": [version_to_dict(v) for v in service.versions],
    }


def documents_to_dict(catalog: Catalog) -> dict:
    return {"documents": [
        {"code": d.code, "name": d.name.as_dict(), "state_system": d.state_system}
        for d in catalog.documents.values()
    ]}


def mrp_to_dict(catalog: Catalog) -> dict:
    return {"mrp": [{"year": rate.year, "amount": rate.amount, "source": source_to_dict(rate.source)}
                    for rate in catalog.mrp.values()]}


def dump_yaml(data) -> str:
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100)


def catalog_files(catalog: Catalog) -> dict[str, str]:
    """The catalog folder as {relative path: YAML text}: documents.yaml, mrp.yaml (if any) and
    one services/<code>.yaml per service. The folder export and the open-data ZIP both use it."""
    files = {"documents.yaml": dump_yaml(documents_to_dict(catalog))}
    if catalog.mrp:
        files["mrp.yaml"] = dump_yaml(mrp_to_dict(catalog))
    for service in catalog.services.values():
        if not SERVICE_CODE.match(service.code):  # never a path outside the folder
            raise ValueError(f"service code {service.code!r} cannot name a file")
        files[f"services/{service.code}.yaml"] = dump_yaml(service_to_dict(service))
    return files


def export_catalog(catalog: Catalog, folder: str | Path) -> list[Path]:
    """Write the catalog's files (``catalog_files``) under ``folder``; return the paths."""
    folder = Path(folder)
    (folder / "services").mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in catalog_files(catalog).items():
        written.append(folder / name)
        written[-1].write_text(text, encoding="utf-8")
    return written
