"""``flask findings sweep|backfill-params|export``: the stored findings."""
from __future__ import annotations

import click
from flask.cli import AppGroup

from ..extensions import db
from ..services import findings
from ..services.context import engine_inputs
from .terminal import as_of as moment_given, progress_lines

findings_cli = AppGroup("findings", help="Judge stored visits and export the findings.")


@findings_cli.command("sweep")
@click.option("--as-of", help="ISO 8601 time the open cases are judged at (default: now).")
def findings_sweep(as_of):
    """Judge every stored visit and case; findings that no longer fire are marked so, never deleted."""
    inputs = engine_inputs()
    result, _weeks = findings.sweep(db.session, inputs, moment_given(as_of, inputs.timezone),
                                    progress=progress_lines("sweep"))
    db.session.commit()
    click.echo(f"Judged {result.visits} visits and {result.cases} cases: {result.added} new findings, "
               f"{result.kept} still standing, {result.removed} no longer firing (kept, marked), "
               f"{result.fired_again} firing again.")
    if result.data_errors:
        click.echo(f"{result.data_errors} stored visits have no service version in force and were "
                   "not judged.", err=True)


@findings_cli.command("backfill-params")
def findings_backfill_params():
    """Give findings stored before migration 0009 their parameters (once, after upgrading).

    The stored visits are judged again; a finding gets the parameters of the engine's finding
    of the same rule and visit or case whose detail is exactly its stored detail. The others
    keep their English detail, which pages show as it is."""
    result = findings.backfill_params(db.session, engine_inputs())
    db.session.commit()
    click.echo(f"{result.filled} findings got their parameters; {result.left} could not be matched "
               "and keep their stored detail.")


@findings_cli.command("export")
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--include-cleared", is_flag=True,
              help="Also findings no longer firing (kept as evidence), with a firing column.")
def findings_export(path, include_cleared):
    """Write the stored findings as CSV (the spec's columns plus review_status)."""
    written = findings.export_csv(db.session, path, include_cleared)
    click.echo(f"Wrote {written} findings to {path}.")
