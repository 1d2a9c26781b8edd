"""``flask analyze``: a visit log judged against a catalog folder, with no database."""
from __future__ import annotations

import sys

import click
import pandas as pd
from flask import current_app, has_app_context

from ..calendar import WorkingCalendar
from ..compliance import CatalogFrames, VisitLogError
from ..compliance.applicants import mask_iins
from ..compliance.indicators import SCOPES
from ..compliance.partitioned import PARTITION_ROWS
from ..config import command_settings, rule_thresholds
from ..services import log_analysis
from .terminal import as_of as moment_given, fail, load_or_report, progress_lines, say_how_read


def _report_problems(bad_rows: pd.DataFrame, limit: int = 50) -> None:
    for row in bad_rows.head(limit).itertuples(index=False):  # reasons may quote a value: mask IINs
        click.echo(mask_iins(f"{row.where}, column {row.column}: {row.reason}"), err=True)
    if len(bad_rows) > limit:
        click.echo(f"... and {len(bad_rows) - limit} more problems", err=True)


@click.command("analyze")
@click.option("--catalog", "catalog_dir", required=True, type=click.Path(file_okay=False, exists=True))
@click.option("--visits", "visits_path", required=True, type=click.Path(exists=True),
              help="A visit log (CSV, XLSX or Parquet) or a folder of them, read in name order.")
@click.option("--as-of", help="ISO 8601 time the open cases are judged at (default: now; local if no offset).")
@click.option("--findings", "findings_path", type=click.Path(dir_okay=False), help="Findings CSV to write.")
@click.option("--indicators", "indicators_path", type=click.Path(dir_okay=False),
              help="Weekly indicators CSV to write.")
@click.option("--scope", type=click.Choice(list(SCOPES)), help="One row per week and office/service/staff.")
@click.option("--max-handoffs", type=int, help="EXCESS_HANDOFFS threshold (default: the setting, 1).")
@click.option("--min-informal-consults", type=int, help="INFORMAL_RETURN: consults needed (default: the setting, 2).")
@click.option("--informal-return-days", type=int, help="INFORMAL_RETURN: days looked back (default: the setting, 30).")
@click.option("--reopen-days", type=int, help="REOPENED_AFTER_WITHDRAWAL: days after (default: the setting, 10).")
@click.option("--strict", is_flag=True, help="Exit with status 1 if any row is bad.")
@click.option("--ocel", "ocel_path", type=click.Path(dir_okay=False),
              help="Also write the visits as an OCEL 2.0 JSON event log (for process mining).")
@click.option("--engine", type=click.Choice(["single", "dask"]), default="single", show_default=True,
              help="single: this process; dask: partitions judged on a Dask cluster.")
@click.option("--scheduler", help="--engine dask: address of a running Dask scheduler "
              "(default: a local cluster on this machine).")
@click.option("--workers", type=int, default=2, show_default=True, help="Local cluster: worker processes.")
@click.option("--worker-memory", default="2GiB", show_default=True, help="Local cluster: memory per worker.")
@click.option("--scratch", type=click.Path(file_okay=False),
              help="--engine dask: a folder every worker can read and write (default: a temporary one).")
@click.option("--partition-rows", type=int, default=PARTITION_ROWS, show_default=True,
              help="--engine dask: visits per partition at most (bounds each worker's memory).")
def analyze(catalog_dir, visits_path, as_of, findings_path, indicators_path, scope, max_handoffs,
            min_informal_consults, informal_return_days, reopen_days, strict,
            ocel_path, engine, scheduler, workers, worker_memory, scratch, partition_rows):
    """Judge a visit log against a catalog folder, with no database (for auditors).

    Bad rows are listed on stderr and left out of the analysis.
    """
    # Run as a Flask plugin command (setup.cfg) it has no application: none is created for it.
    settings = current_app.config if has_app_context() else command_settings()
    timezone = settings["MONITOR_TIMEZONE"]
    frames = CatalogFrames.from_catalog(load_or_report(catalog_dir))
    thresholds = rule_thresholds(settings, max_handoffs=max_handoffs,
                                 min_informal_consults=min_informal_consults,
                                 informal_return_days=informal_return_days, reopen_days=reopen_days)
    calendar = WorkingCalendar(timezone=timezone)
    moment = moment_given(as_of, timezone)
    hash_key = settings["APPLICANT_HASH_KEY"]
    progress = progress_lines("analyze")
    try:
        if engine == "dask":
            progress.phase(f"judging {visits_path} on Dask")
            run = log_analysis.analyze_on_dask(
                visits_path, frames, calendar, moment, thresholds, scope, ocel_path, hash_key,
                log_analysis.Cluster(scheduler, workers, worker_memory, scratch, partition_rows))
            click.echo(f"Judged in {run.partitions} partitions.", err=True)
        else:
            run = log_analysis.analyze_here(visits_path, frames, calendar, moment, thresholds, scope, ocel_path,
                                            hash_key, phase=progress.phase,
                                            on_read=lambda rows: say_how_read(visits_path, rows))
    except VisitLogError as error:
        fail(mask_iins(str(error)))
    table, bad_rows = run.findings, run.bad_rows
    progress.phase(f"{run.visits:,} visits judged; writing the results")
    if len(bad_rows):
        _report_problems(bad_rows)
        click.echo(f"{bad_rows['where'].nunique()} bad row(s) left out of the analysis.", err=True)
    if findings_path:
        table.to_csv(findings_path, index=False)
    if indicators_path:
        run.indicators.to_csv(indicators_path, index=False)
    click.echo(f"{run.visits} visits, {run.cases} cases, {len(table)} findings.")
    for rule, count in table["rule"].value_counts().sort_index().items():
        click.echo(f"  {rule}: {count}")
    if strict and len(bad_rows):
        sys.exit(1)
