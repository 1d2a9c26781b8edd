"""Small catalogs written to a temporary folder, so each test states only what it changes."""
from __future__ import annotations

import copy
from pathlib import Path

import yaml


def text(label: str) -> dict:
    return {"kk": f"{label} (kk)", "ru": f"{label} (ru)", "en": label}


DOCUMENTS = [
    {"code": "ID_CARD", "name": text("Identity card"), "state_system": "GBD_FL"},
    {"code": "APPLICATION", "name": text("Application"), "state_system": None},
    {"code": "MARRIAGE_CERT", "name": text("Marriage certificate"), "state_system": None},
    {"code": "JOINT_APPLICATION", "name": text("Joint application of parents"), "state_system": None},
    {"code": "POWER_OF_ATTORNEY", "name": text("Power of attorney"), "state_system": None},
    {"code": "BIRTH_MEDICAL_CERT", "name": text("Medical birth certificate"), "state_system": "EHR"},
    {"code": "ADDRESS_CERT", "name": text("Address certificate"), "state_system": "GBD_RN"},
    {"code": "PHOTO", "name": text("Photo"), "state_system": None},
]


def version(**overrides) -> dict:
    data = {
        "effective_from": "2024-01-01",
        "effective_to": None,
        "legal_basis": "Order No. 1 of 1 January 2024",
        "deadline": {"value": 5, "unit": "working_days"},
        "max_wait_minutes": 15,
        "max_service_minutes": 20,
        "fee": {"amount": 0, "currency": "KZT"},
        "required_documents": [
            "APPLICATION",
            {"any_of": ["MARRIAGE_CERT", "JOINT_APPLICATION"]},
            {"code": "POWER_OF_ATTORNEY", "when": text("when a representative applies")},
        ],
        "obtained_by_office": ["BIRTH_MEDICAL_CERT", "ADDRESS_CERT"],
        "refusal_grounds": [{"code": "R1", "text": text("false documents")},
                            {"code": "R2", "text": text("not entitled")}],
        "result": text("Certificate"),
        "channels": ["front_desk", "online"],
    }
    data.update(overrides)
    return data


def service(code: str = "S1", versions: list | None = None, **overrides) -> dict:
    data = {"code": code, "name": text(f"Service {code}"), "provider": text("Ministry"),
            "versions": versions if versions is not None else [version()]}
    data.update(overrides)
    return data


def default_services() -> list[dict]:
    """S1: one version (5 working days). S2: two versions, the deadline changes on 2026-04-01."""
    return [
        service("S1"),
        service("S2", versions=[
            version(effective_to="2026-03-31", deadline={"value": 10, "unit": "calendar_days"},
                    required_documents=["APPLICATION", "PHOTO"], obtained_by_office=["ID_CARD"]),
            version(effective_from="2026-04-01", deadline={"value": 3, "unit": "working_days"},
                    required_documents=["APPLICATION"], obtained_by_office=["ID_CARD", "PHOTO"]),
        ]),
        service("S3", versions=[version(deadline={"value": 2, "unit": "hours"},
                                        max_wait_minutes=10, max_service_minutes=10)]),
    ]


def write_catalog(folder: Path, services: list[dict] | None = None,
                  documents: list[dict] | None = None, raw_files: dict[str, str] | None = None) -> Path:
    """Write a catalog folder; ``raw_files`` adds or replaces files with text as given."""
    folder = Path(folder)
    (folder / "services").mkdir(parents=True, exist_ok=True)
    docs = copy.deepcopy(DOCUMENTS if documents is None else documents)
    (folder / "documents.yaml").write_text(yaml.safe_dump({"documents": docs}, allow_unicode=True))
    for data in (default_services() if services is None else services):
        path = folder / "services" / f"{data['code']}.yaml"
        path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))
    for name, content in (raw_files or {}).items():
        (folder / name).write_text(content)
    return folder
