"""The service catalog: its model, loader and validator, exporter and the bundled data.

Framework-free: usable from the app, the CLI, a notebook or an auditor's script.
"""
from pathlib import Path

from .exporter import export_catalog
from .loader import CatalogError, CatalogProblem, load_catalog, unverified_versions
from .model import (
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

BUNDLED_CATALOG = Path(__file__).parent / "data"

__all__ = [
    "BUNDLED_CATALOG", "Catalog", "CatalogError", "CatalogProblem", "Deadline", "Document",
    "Fee", "RefusalGround", "RequiredDocument", "Service", "ServiceVersion", "Text",
    "export_catalog", "load_catalog", "unverified_versions", "FeeExemption", "Keywords", "MrpRate",
    "Provenance", "Source",
]
