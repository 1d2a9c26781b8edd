"""``flask catalog validate|load|export``: the service catalog."""
from __future__ import annotations

import click
from flask.cli import AppGroup

from services_catalog import BUNDLED_CATALOG, export_catalog, unverified_versions

from ..extensions import db
from ..services import catalog as catalog_service, indicator_cells
from ..services.context import engine_inputs
from .terminal import fail, load_or_report

catalog_cli = AppGroup("catalog", help="Validate, load and export the service catalog.")


@catalog_cli.command("validate")
@click.argument("folder", type=click.Path(file_okay=False))
@click.option("--require-sources", is_flag=True,
              help="Also reject versions with no sources (unverified, base-format versions).")
def catalog_validate(folder, require_sources):
    """Check a catalog folder against every rule of the format; list all problems."""
    catalog = load_or_report(folder)
    versions = sum(len(s.versions) for s in catalog.services.values())
    unverified = unverified_versions(catalog)
    for code, version in unverified:
        click.echo(f"{'error' if require_sources else 'warning'}: service {code}, version from "
                   f"{version.effective_from}: no sources - not checked against official sources",
                   err=True)
    if require_sources and unverified:
        fail(f"{folder}: {len(unverified)} versions have no sources (--require-sources)")
    click.echo(f"{folder}: valid ({len(catalog.services)} services, {versions} versions, "
               f"{len(catalog.documents)} documents).")


@catalog_cli.command("load")
@click.argument("folder", type=click.Path(file_okay=False), required=False)
def catalog_load(folder):
    """Validate a catalog folder and make it the catalog in force (all or nothing).

    Without FOLDER, the catalog bundled with the app. A bulk load is for the first set-up
    and for releases reviewed in the repository: it goes through the same validator as a
    steward's draft but not through a second steward (docs/catalog.md).
    """
    folder = folder or str(BUNDLED_CATALOG)
    catalog = load_or_report(folder)
    try:
        loaded = catalog_service.put_in_force(db.session, catalog, actor="cli")
        indicator_cells.refresh_stale(db.session, engine_inputs())
        db.session.commit()
    except catalog_service.CatalogInUse as error:
        db.session.rollback()
        fail(f"not loaded: {error}")
    judged = list(loaded.judged_from.items())  # every service on a first load: name a few
    changed = ", ".join(f"{code} from {day.isoformat()}" for code, day in judged[:5]) \
        + (f" and {len(judged) - 5} more services" if len(judged) > 5 else "")
    click.echo(f"Loaded {loaded.services} services ({loaded.versions} versions) and "
               f"{loaded.documents} documents from {folder}; {loaded.retimed} cases re-timed"
               + (f" (judged differently: {changed})." if changed else "."))


@catalog_cli.command("export")
@click.argument("folder", type=click.Path(file_okay=False))
def catalog_export(folder):
    """Write the catalog in force to a folder in the catalog format."""
    catalog = catalog_service.catalog_in_force(db.session)
    written = export_catalog(catalog, folder)
    click.echo(f"Wrote {len(written)} files to {folder}.")
