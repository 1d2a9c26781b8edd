"""The catalog as frozen value objects: what a service may lawfully require, per period."""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

LANGUAGES = ("kk", "ru", "en")
DEADLINE_UNITS = ("minutes", "hours", "working_days", "calendar_days")
CHANNELS = ("front_desk", "online")
# The facts of a version that must each name their source (or be marked assumed) once the
# version declares ``sources`` (docs/catalog.md, "Sources"). Queue and desk limits are
# rarely published per service: they are the usual ``assumed`` ones.
SOURCED_FACTS = ("legal_basis", "deadline", "fee", "required_documents", "obtained_by_office",
                 "refusal_grounds", "max_wait_minutes", "max_service_minutes")
# A service code names a file (services/<code>.yaml), a URL segment and a ZIP member: letters,
# digits, "_" and "-" only, so that no code can be a path.
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
class FeeExemption:
    """A condition under which the fee is lower or nothing (``amount`` in tenge, or ``mrp``)."""

    when: Text
    amount: float
    mrp: float | None = None


@dataclass(frozen=True)
class Fee:
    """The fee of a version. ``amount`` is always tenge for the version's period; when the
    law writes the fee in МРП, ``mrp`` keeps that figure and ``amount`` is mrp × the МРП of
    the version's year (catalog data, ``mrp.yaml``)."""

    amount: float
    currency: str = "KZT"
    mrp: float | None = None
    exemptions: tuple[FeeExemption, ...] = ()


@dataclass(frozen=True)
class MrpRate:
    """The monthly calculation index (МРП / АЕК) of one year, with where it is set."""

    year: int
    amount: int
    source: Source


@dataclass(frozen=True)
class Source:
    """A text a version's facts come from. ``secondary`` marks a press or aggregator page kept
    only beside an official one (the act on adilet.zan.kz, an egov.kz / gov.kz page): a fact
    may not rest on secondary sources alone (docs/catalog.md, "Secondary sources")."""

    id: str
    title: str
    url: str
    retrieved: dt.date
    act_number: str | None = None
    act_date: dt.date | None = None
    secondary: bool = False
    # The title in kk, ru and en when the catalog gives it so (``title`` is then the English one).
    title_text: Text | None = None

    def title_in(self, language: str) -> str | None:
        """The title in ``language``; None where the catalog has it in English only."""
        if self.title_text:
            return self.title_text.get(language)
        return self.title if language == "en" else None


@dataclass(frozen=True)
class Provenance:
    """Where one fact of a version comes from: source ids, or ``assumed`` with a note."""

    fact: str
    sources: tuple[str, ...] = ()
    assumed: bool = False
    note: str | None = None


@dataclass(frozen=True)
class Keywords:
    """The words people use for a service, per language (search only, never shown as names)."""

    kk: tuple[str, ...] = ()
    ru: tuple[str, ...] = ()
    en: tuple[str, ...] = ()

    def all(self) -> tuple[str, ...]:
        return self.kk + self.ru + self.en

    def as_dict(self) -> dict[str, list[str]]:
        return {"kk": list(self.kk), "ru": list(self.ru), "en": list(self.en)}


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
    sources: tuple[Source, ...] = ()
    provenance: tuple[Provenance, ...] = ()
    # The legal basis in the three languages when the catalog gives it so (``legal_basis``
    # then holds the English text, which the open data and the engine read).
    legal_basis_text: Text | None = None

    def legal_basis_in(self, language: str) -> str:
        return self.legal_basis_text.get(language) if self.legal_basis_text else self.legal_basis

    @property
    def verified(self) -> bool:
        """False for a base-format version (no sources): loaded, but shown as not checked."""
        return bool(self.sources)

    @property
    def official_sources(self) -> tuple[Source, ...]:
        """The acts and official pages the version cites, in the catalog's order."""
        return tuple(s for s in self.sources if not s.secondary)

    @property
    def secondary_sources(self) -> tuple[Source, ...]:
        """Press or aggregator pages, cited only beside an official source: none without one."""
        return tuple(s for s in self.sources if s.secondary) if self.official_sources else ()

    def provenance_of(self, fact: str) -> Provenance | None:
        return next((p for p in self.provenance if p.fact == fact), None)

    def source(self, source_id: str) -> Source | None:
        return next((s for s in self.sources if s.id == source_id), None)

    @property
    def assumed_facts(self) -> tuple[Provenance, ...]:
        return tuple(p for p in self.provenance if p.assumed)

    @property
    def mostly_assumed(self) -> bool:
        """More than half of the facts assumed: the service could not really be verified."""
        return bool(self.provenance) and 2 * len(self.assumed_facts) > len(self.provenance)

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
    keywords: Keywords = Keywords()

    def matches(self, query: str) -> bool:
        """Whether ``query`` finds this service (services_catalog.search: names, keywords,
        word forms, one typo, missing spaces) — the one search of the portal, desk and API."""
        from .search import score

        return score(self, query) > 0

    def version_in_force(self, on_date: dt.date) -> ServiceVersion | None:
        for version in self.versions:
            if version.in_force_on(on_date):
                return version
        return None


@dataclass(frozen=True)
class Catalog:
    documents: dict[str, Document] = field(default_factory=dict)
    services: dict[str, Service] = field(default_factory=dict)
    mrp: dict[int, MrpRate] = field(default_factory=dict)

    def version_in_force(self, service_code: str, on_date: dt.date) -> ServiceVersion | None:
        service = self.services.get(service_code)
        return service.version_in_force(on_date) if service else None

    def document_code(self, text: str) -> str | None:
        """The code of the document ``text`` names: its code, or its name in kk, ru or en in any
        case (the first such document in catalog order); None when it names none."""
        text = text.strip()
        if text in self.documents:
            return text
        wanted = text.casefold()
        return next((code for code, document in self.documents.items()
                     if any(wanted == name.strip().casefold() for name in document.name.as_dict().values())), None)

    def search(self, query: str) -> list[Service]:
        """The services ``query`` finds, best match first (every service for an empty query)."""
        from .search import search

        return search(self.services.values(), query)

    def nearest(self, query: str, limit: int = 3) -> list[Service]:
        """The services nearest to a query that finds none (search.nearest)."""
        from .search import nearest

        return nearest(self.services.values(), query, limit)
