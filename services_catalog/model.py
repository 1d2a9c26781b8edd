"""The catalog as frozen value objects: what a service may lawfully require, per period."""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

LANGUAGES = ("kk", "ru", "en")
DEADLINE_UNITS = ("minutes", "hours", "working_days", "calendar_days")
CHANNELS = ("front_desk", "online")
# A service code names a file (services/<code>.yaml), a URL segment and a ZIP member: letters,
# digits, "_" and "-" only, so that no code can be a path (issue 14, defect 1).
SERVICE_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$")


@dataclass(frozen=True)
class Text:
    """A text in the three languages of the catalog."""

    kk: str
    ru: str
    en: str

    def get(self, language: str) -> str:
        return getattr(self, language, None) or self.ru

    def as_dict(self) -> dict[str, str]:
        return {"kk": self.kk, "ru": self.ru, "en": self.en}


@dataclass(frozen=True)
class Document:
    code: str
    name: Text
    state_system: str | None = None


@dataclass(frozen=True)
class Deadline:
    value: int
    unit: str  # one of DEADLINE_UNITS


@dataclass(frozen=True)
class Fee:
    amount: float
    currency: str = "KZT"


@dataclass(frozen=True)
class RequiredDocument:
    """One entry of ``required_documents``.

    A plain entry has one code; an ``any_of`` group several (one of them suffices);
    a conditional entry one code and the ``when`` text saying when it may be asked for.
    """

    codes: tuple[str, ...]
    any_of: bool = False
    when: Text | None = None

    @property
    def kind(self) -> str:
        if self.any_of:
            return "any_of"
        return "conditional" if self.when else "required"


@dataclass(frozen=True)
class RefusalGround:
    code: str
    text: Text


@dataclass(frozen=True)
class ServiceVersion:
    effective_from: dt.date
    effective_to: dt.date | None
    legal_basis: str
    deadline: Deadline
    max_wait_minutes: int
    max_service_minutes: int
    fee: Fee
    required_documents: tuple[RequiredDocument, ...]
    obtained_by_office: tuple[str, ...]
    refusal_grounds: tuple[RefusalGround, ...]
    result: Text
    channels: tuple[str, ...] = ("front_desk",)

    @property
    def lawful_codes(self) -> frozenset[str]:
        """Every code the applicant may be asked for: plain, any_of members, conditional."""
        return frozenset(code for entry in self.required_documents for code in entry.codes)

    @property
    def refusal_ground_codes(self) -> frozenset[str]:
        return frozenset(ground.code for ground in self.refusal_grounds)

    def in_force_on(self, day: dt.date) -> bool:
        return self.effective_from <= day and (self.effective_to is None or day <= self.effective_to)


@dataclass(frozen=True)
class Service:
    code: str
    name: Text
    provider: Text
    versions: tuple[ServiceVersion, ...]

    def matches(self, query: str) -> bool:
        """Tolerant search: every word of the query is part of the code or of a name, in any
        of the three languages, whatever the case ("неке", "Marriage reg", "7030")."""
        haystack = " ".join([self.code, *self.name.as_dict().values()]).casefold()
        return all(word in haystack for word in query.casefold().split())

    def version_in_force(self, on_date: dt.date) -> ServiceVersion | None:
        for version in self.versions:
            if version.in_force_on(on_date):
                return version
        return None


@dataclass(frozen=True)
class Catalog:
    documents: dict[str, Document] = field(default_factory=dict)
    services: dict[str, Service] = field(default_factory=dict)

    def version_in_force(self, service_code: str, on_date: dt.date) -> ServiceVersion | None:
        service = self.services.get(service_code)
        return service.version_in_force(on_date) if service else None

    def search(self, query: str) -> list[Service]:
        return [service for service in self.services.values() if service.matches(query)]
