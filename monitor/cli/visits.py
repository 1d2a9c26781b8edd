"""``flask visits import|export-parquet|refresh``: visit logs in and out."""
from __future__ import annotations

import click
import pandas as pd
from flask import current_app
from flask.cli import AppGroup

from ..compliance import VisitLogError
from ..compliance.applicants import mask_iins
from ..extensions import db
from ..services import visit_logs
from ..services.context import engine_inputs
from .terminal import fail, progress_lines, say_how_read

visits_cli = AppGroup("visits", help="Import visit logs.")


def _report_bad_rows(bad_rows: pd.DataFrame, limit: int = 50) -> None:
    for row in bad_rows.head(limit).itertuples(index=False):  # reasons may quote a value: mask IINs
        click.echo(mask_iins(f"line {row.line}, column {row.column}: {row.reason}"), err=True)
    if len(bad_rows) > limit:
        click.echo(f"... and {len(bad_rows) - limit} more problems", err=True)


@visits_cli.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--skip-invalid", is_flag=True, help="Import the good rows even if some are bad.")
@click.option("--rejects", type=click.Path(dir_okay=False), help="With --skip-invalid: write bad rows here.")
def visits_import(path, skip_invalid, rejects):
    """Import a visit log (CSV or XLSX in the spec's columns) in one transaction."""
    if rejects and not skip_invalid:
        fail("--rejects goes with --skip-invalid")
    inputs = engine_inputs()
    key = current_app.config["APPLICANT_HASH_KEY"]
    try:
        visit_file = visit_logs.read(db.session, path, inputs, key)
    except VisitLogError as error:
        fail(mask_iins(str(error)))
    say_how_read(path, visit_file.raw)
    bad_lines = visit_file.bad_lines
    if len(visit_file.bad_rows):
        _report_bad_rows(visit_file.bad_rows)
        if not skip_invalid:
            advice = (" Rows whose visit_id is stored with other content: correct those visits in the "
                      "application (desk or supervisor) instead.") if visit_file.conflicts else ""
            fail(f"{bad_lines} bad row(s): nothing imported. Fix them, or use "
                 "--skip-invalid --rejects REJECTS.csv to import the good rows." + advice)
        if rejects:
            visit_logs.write_rejects(visit_file, rejects)
            click.echo(f"{bad_lines} bad row(s) written with reasons to {rejects}", err=True)

    progress = progress_lines("import: stored visits")
    try:
        result = visit_logs.store(db.session, visit_file, inputs, key, progress=progress, phase=progress.phase)
        db.session.commit()
    except visit_logs.ImportFailed as error:
        db.session.rollback()
        fail(f"{error}. Nothing was imported.")
    except visit_logs.database_errors(db.session) as error:
        db.session.rollback()
        fail(f"the import failed while committing the import: {visit_logs.database_problem(error)}. "
             "Nothing was imported.")
    conflicts = visit_file.conflicts
    click.echo(f"Imported {result.inserted} visits ({result.already_present} already present, "
               f"{visit_file.ignored_repeats} identical repeats ignored, {bad_lines} rejected"
               + (f", {conflicts} of them stored with other content: use a correction" if conflicts else "")
               + "); "
               f"{result.cases_touched} cases updated.")


@visits_cli.command("export-parquet")
@click.argument("folder", type=click.Path(file_okay=False))
def visits_export_parquet(folder):
    """Write every stored visit as Parquet, one file per local month (visits-YYYY-MM.parquet).

    The files hold the import columns as text (applicants as their stored keyed hashes), so
    `flask analyze --visits FOLDER` and `flask visits import` read them back.
    """
    written = visit_logs.export_parquet(db.session, folder, current_app.config["MONITOR_TIMEZONE"])
    for name, rows in written.items():
        click.echo(f"  {name}: {rows:,} visits")
    click.echo(f"Wrote {sum(written.values()):,} visits in {len(written)} monthly file(s) to {folder}.")


@visits_cli.command("refresh")
def visits_refresh():
    """Re-time every stored case and fill each visit's stored day and week (once after upgrading)."""
    progress = progress_lines("refresh: cases re-timed")
    refreshed = visit_logs.refresh(db.session, engine_inputs(), progress=progress, phase=progress.phase)
    db.session.commit()
    click.echo(f"{refreshed} cases re-timed; every visit has its local day and ISO week.")
