"""What a returned package lacks, for the citizen's receipt and status page (issue 24).

The spec records no separate field for it: a `return` visit's `documents_requested` is the
list of what is missing (visit-log-and-rules.md: UNFOUNDED_RETURN fires when "a `return`
lists no documents, or lists a document" the rules do not allow). So the citizen is told
exactly those documents, each with the law that allows asking for it (the service version's
official sources for its required documents, else its legal basis), or, for a document the
desk had no right to ask for, that they need not bring it.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from services_catalog import Catalog, Document, ServiceVersion, Source, Text

# What a logged token is, for the citizen.
REQUIRED = "required"              # a plain required document
ONE_OF = "one_of"                  # one of an any_of group: the others do as well
CONDITIONAL = "conditional"        # required only in the case the catalog names (``when``)
OFFICE_OBTAINS = "office_obtains"  # the office gets it itself from a state information system
NOT_PROVIDED_FOR = "not_provided_for"  # not among the service's documents (a code or free text)


@dataclass(frozen=True)
class MissingDocument:
    token: str                       # as the desk logged it (a catalog code, or free text)
    status: str
    document: Document | None = None  # the catalog's document when the token is its code
    alternatives: tuple[Document, ...] = ()  # ONE_OF: the group's other documents
    when: Text | None = None         # CONDITIONAL: when the law allows asking for it


@dataclass(frozen=True)
class ReturnedPackage:
    """The case's last visit returned the package: what it lacks, and the law behind it."""

    returned_at: dt.datetime
    documents: tuple[MissingDocument, ...]
    version: ServiceVersion | None   # the version in force on the return's local date
    sources: tuple[Source, ...] = ()  # the official sources of the version's required documents

    @property
    def lawful(self) -> tuple[MissingDocument, ...]:
        return tuple(d for d in self.documents if d.status in (REQUIRED, ONE_OF, CONDITIONAL))

    @property
    def unlawful(self) -> tuple[MissingDocument, ...]:
        return tuple(d for d in self.documents if d.status in (OFFICE_OBTAINS, NOT_PROVIDED_FOR))

    def cited(self, language: str) -> list[tuple[str, str]]:
        """(title, url) of the official sources of the required documents that have a title in
        ``language`` (an English-only title is not shown on a kk or ru page)."""
        return [(title, source.url) for source in self.sources if (title := source.title_in(language))]


def _classify(token: str, version: ServiceVersion | None, catalog: Catalog) -> MissingDocument:
    token = catalog.document_code(token) or token  # a name typed at the desk, as its code
    document = catalog.documents.get(token)
    if version is not None:
        for entry in version.required_documents:
            if token in entry.codes:
                if entry.any_of:
                    others = tuple(catalog.documents[c] for c in entry.codes if c != token and c in catalog.documents)
                    return MissingDocument(token, ONE_OF, document, alternatives=others)
                if entry.when:
                    return MissingDocument(token, CONDITIONAL, document, when=entry.when)
                return MissingDocument(token, REQUIRED, document)
        if token in version.obtained_by_office:
            return MissingDocument(token, OFFICE_OBTAINS, document)
    return MissingDocument(token, NOT_PROVIDED_FOR, document)


def _sources(version: ServiceVersion | None) -> tuple[Source, ...]:
    if version is None:
        return ()
    provenance = version.provenance_of("required_documents")
    cited = [version.source(source_id) for source_id in (provenance.sources if provenance else ())]
    return tuple(source for source in cited if source is not None and not source.secondary)


def returned_package(visits: Sequence, service_code: str | None, catalog: Catalog,
                     timezone: dt.tzinfo) -> ReturnedPackage | None:
    """The missing documents of the case's return, when its last visit (by ``called_at``) is a
    `return` (the package is back with the applicant); None otherwise.

    ``visits`` are the case's visits in order, each with ``action``, ``called_at`` and
    ``documents`` (the logged tokens, as services.witness.LoggedVisit gives them).
    """
    if not visits or visits[-1].action != "return":
        return None
    last = visits[-1]
    service = catalog.services.get(service_code or "")
    version = service.version_in_force(last.called_at.astimezone(timezone).date()) if service else None
    found: dict[str, MissingDocument] = {}
    for token in last.documents:  # each document once, a name typed as text as its code
        item = _classify(token, version, catalog)
        found.setdefault(item.token, item)
    return ReturnedPackage(last.called_at, tuple(found.values()), version, _sources(version))
