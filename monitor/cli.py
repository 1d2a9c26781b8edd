"""Command-line interface: ``flask catalog|calendar|visits|analyze|findings|demo ...``.

Commands parse their arguments, call one domain function, commit once and report.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import logging
import sys
import tempfile
import threading
import time
from pathlib import Path

import click
import pandas as pd
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from services_catalog import BUNDLED_CATALOG, CatalogError, Deadline, export_catalog, load_catalog, unverified_versions

from . import (
    jobs,
    scheduler,
)
from .services import accounts, calendar_changes
from .services import catalog as catalog_service
from .services import offices
from .services import indicator_cells
from .services import publishing
from .stores import audit
from .tools import backup
from .stores import calendar as calendar_store
from .tools import demo
from .stores import evidence
from .stores import findings as findings_store
from .stores import visits as visit_store
from .calendar import WorkingCalendar, due_at
from .services.cells import safe_frame
from .compliance import (
    CatalogFrames, VisitLogError, judge, parse_visits, read_visit_file,
)
from .config import rule_thresholds
from .compliance.indicators import SCOPES
from .compliance.ocel import ocel_share, write_ocel
from .compliance.partitioned import PARTITION_ROWS, analyze_partitioned, dask_client
from .compliance.visit_files import read_visit_input
from .services.context import engine_inputs
from .extensions import db
from .compliance.applicants import mask_iins, mask_iins_in_frame
from .models import Case, Visit
from .progress import Lines
from .scheduler import SCHEDULE

catalog_cli = AppGroup("catalog", help="Validate, load and export the service catalog.")
calendar_cli = AppGroup("calendar", help="The official working-day calendar and its overrides.")
visits_cli = AppGroup("visits", help="Import visit logs.")
findings_cli = AppGroup("findings", help="Judge stored visits and export the findings.")
demo_cli = AppGroup("demo", help="Demo offices, users and visits for trying the app.")
backup_cli = AppGroup("backup", help="Back up and restore the SQLite database.")
audit_cli = AppGroup("audit", help="Verify the hash-chained audit trail and the rows it vouches for.")
cells_cli = AppGroup("cells", help="The weekly indicator cells the reports read.")
jobs_cli = AppGroup("jobs", help="Run scheduled jobs by hand and see their last results.")
scheduler_cli = AppGroup("scheduler", help="The scheduler process (run it apart from the web workers).")
users_cli = AppGroup("users", help="Staff accounts: create, set a password, deactivate.")
offices_cli = AppGroup("offices", help="Offices: create and list (so that a deployment can be scripted).")


def _progress(label: str, every_percent: int = 10) -> Lines:
    """Progress lines on stderr for a command run at a terminal (never for the web)."""
    return Lines(label, every_percent, echo=lambda text: click.echo(text, err=True))
log = logging.getLogger(__name__)


def _fail(message: str) -> None:
    click.secho(message, fg="red", err=True)
    sys.exit(1)


def _load_or_report(folder: str):
    try:
        return load_catalog(folder)
    except CatalogError as error:
        for problem in error.problems:
            click.echo(f"error: {problem}", err=True)
        _fail(f"{len(error.problems)} problem(s): the catalog in {folder} is not valid.")


@catalog_cli.command("validate")
@click.argument("folder", type=click.Path(file_okay=False))
@click.option("--require-sources", is_flag=True,
              help="Also reject versions with no sources (unverified, base-format versions).")
def catalog_validate(folder, require_sources):
    """Check a catalog folder against every rule of the format; list all problems."""
    catalog = _load_or_report(folder)
    versions = sum(len(s.versions) for s in catalog.services.values())
    unverified = unverified_versions(catalog)
    for code, version in unverified:
        click.echo(f"{'error' if require_sources else 'warning'}: service {code}, version from "
                   f"{version.effective_from}: no sources - not checked against official sources",
                   err=True)
    if require_sources and unverified:
        _fail(f"{folder}: {len(unverified)} versions have no sources (--require-sources)")
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
    catalog = _load_or_report(folder)
    try:
        loaded = catalog_service.put_in_force(db.session, catalog, actor="cli")
        indicator_cells.refresh_stale(db.session, engine_inputs())
        db.session.commit()
    except catalog_service.CatalogInUse as error:
        db.session.rollback()
        _fail(f"not loaded: {error}")
    click.echo(f"Loaded {loaded.services} services ({loaded.versions} versions) and "
               f"{loaded.documents} documents from {folder}; {loaded.retimed} cases re-timed.")


@catalog_cli.command("export")
@click.argument("folder", type=click.Path(file_okay=False))
def catalog_export(folder):
    """Write the catalog in force to a folder in the catalog format."""
    catalog = catalog_service.catalog_in_force(db.session)
    written = export_catalog(catalog, folder)
    click.echo(f"Wrote {len(written)} files to {folder}.")


@calendar_cli.command("explain")
@click.argument("accepted", metavar="ACCEPTED_AT")
@click.argument("value", type=int)
@click.argument("unit", type=click.Choice(["working_days", "calendar_days", "hours", "minutes"]))
def calendar_explain(accepted, value, unit):
    """Show the due time of a deadline from ACCEPTED_AT (a date or an ISO time) and the days skipped."""
    try:
        moment = dt.datetime.fromisoformat(accepted)
    except ValueError:
        _fail(f"{accepted!r} is not an ISO date or time (e.g. 2026-03-20 or 2026-03-20T10:00)")
    calendar = calendar_store.calendar_from_db(db.session, current_app.config["MONITOR_TIMEZONE"])
    click.echo(due_at(moment, Deadline(value, unit), calendar).explain())


@calendar_cli.command("override")
@click.argument("day", type=click.DateTime(formats=["%Y-%m-%d"]))
@click.option("--working/--off", "is_working", required=True, help="Make the day working or a day off.")
@click.option("--reason", required=True, help="The decree or reason, shown to citizens.")
def calendar_override(day, is_working, reason):
    """Add or replace an override of the official calendar; open cases' due dates follow."""
    refreshed = calendar_changes.override_day(db.session, day.date(), is_working, reason, actor="cli")
    indicator_cells.refresh_stale(db.session, engine_inputs())
    db.session.commit()
    click.echo(f"{day:%Y-%m-%d} is now {'a working day' if is_working else 'a day off'}; "
               f"{refreshed} cases re-timed.")


@calendar_cli.command("remove-override")
@click.argument("day", type=click.DateTime(formats=["%Y-%m-%d"]))
def calendar_remove_override(day):
    """Remove an override; the official calendar applies again to that day."""
    refreshed = calendar_changes.remove_override(db.session, day.date(), actor="cli")
    if refreshed is None:
        _fail(f"there is no override on {day:%Y-%m-%d}")
    indicator_cells.refresh_stale(db.session, engine_inputs())
    db.session.commit()
    click.echo(f"Override on {day:%Y-%m-%d} removed; {refreshed} cases re-timed.")


def _report_bad_rows(bad_rows: pd.DataFrame, limit: int = 50) -> None:
    for row in bad_rows.head(limit).itertuples(index=False):  # reasons may quote a value: mask IINs
        click.echo(mask_iins(f"line {row.line}, column {row.column}: {row.reason}"), err=True)
    if len(bad_rows) > limit:
        click.echo(f"... and {len(bad_rows) - limit} more problems", err=True)


def _say_how_read(path: str, raw: pd.DataFrame) -> None:
    """Name the encoding and delimiter found, when they are not the default UTF-8 and commas."""
    read_as = raw.attrs.get("read_as", "")
    if read_as.startswith("CSV") and read_as != "CSV, UTF-8, separated by commas":
        click.echo(f"{path}: read as {read_as}", err=True)


def _write_rejects(raw: pd.DataFrame, bad_rows: pd.DataFrame, path: str) -> None:
    """The rejected rows as they were, with their reasons, ready to fix and re-import."""
    reasons = bad_rows.assign(problem=bad_rows["column"] + ": " + bad_rows["reason"]) \
        .groupby("line")["problem"].agg(" | ".join)
    rejected = raw[raw["line"].isin(reasons.index)].copy()
    rejected["reason"] = rejected["line"].map(reasons)
    # The clear IIN is never written anywhere: the rejects show its last 4 digits (the
    # operator finds the person by the other columns, and retypes the IIN when fixing the row).
    mask_iins_in_frame(rejected).to_csv(path, index=False)


def _database_problem(error: Exception) -> str:
    """What the database refused, in its own words: never the SQL statement nor its values
    (a driver's message can carry both); the statement goes to the debug log only."""
    statement = getattr(error, "statement", None)
    if statement:
        log.debug("failed statement (first 2000 characters): %s", str(statement)[:2000])
    original = getattr(error, "orig", None) or error
    words = str(original).strip().splitlines()
    return mask_iins(words[0][:300]) if words else type(original).__name__


@visits_cli.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--skip-invalid", is_flag=True, help="Import the good rows even if some are bad.")
@click.option("--rejects", type=click.Path(dir_okay=False), help="With --skip-invalid: write bad rows here.")
def visits_import(path, skip_invalid, rejects):
    """Import a visit log (CSV or XLSX in the spec's columns) in one transaction."""
    if rejects and not skip_invalid:
        _fail("--rejects goes with --skip-invalid")
    inputs = engine_inputs()
    try:
        raw = read_visit_file(path)
    except VisitLogError as error:
        _fail(mask_iins(str(error)))
    _say_how_read(path, raw)
    parsed = parse_visits(raw, inputs.frames, inputs.timezone)
    key = current_app.config["APPLICANT_HASH_KEY"]
    # A visit_id already stored with other content is a bad row: stored visits are evidence,
    # changed only by a correction (never silently counted as "already present").
    differing = visit_store.stored_differences(db.session, parsed.visits, key)
    conflicts = pd.DataFrame({
        "line": differing["line"], "column": "visit_id",
        "reason": "visit_id " + differing["visit_id"].astype(str) + " is already stored with a different "
                  + differing["fields"] + ": a stored visit is changed only by a correction, not by a re-import",
        "visit_id": differing["visit_id"]})
    bad_rows = pd.concat([parsed.bad_rows, conflicts], ignore_index=True).sort_values(
        ["line", "column"], kind="stable").reset_index(drop=True) if len(conflicts) else parsed.bad_rows
    visits = parsed.visits[~parsed.visits["visit_id"].isin(differing["visit_id"])]
    bad_lines = bad_rows["line"].nunique()
    if len(bad_rows):
        _report_bad_rows(bad_rows)
        if not skip_invalid:
            advice = (" Rows whose visit_id is stored with other content: correct those visits in the "
                      "application (desk or supervisor) instead.") if len(conflicts) else ""
            _fail(f"{bad_lines} bad row(s): nothing imported. Fix them, or use "
                  "--skip-invalid --rejects REJECTS.csv to import the good rows." + advice)
        if rejects:
            _write_rejects(raw, bad_rows, rejects)
            click.echo(f"{bad_lines} bad row(s) written with reasons to {rejects}", err=True)
    digest = hashlib.sha256(Path(path).read_bytes()).hexdigest()[:16]

    progress = _progress("import: stored visits")
    stage = "storing the visits and their cases"
    try:
        result = visit_store.import_visits(
            db.session, visits, hash_key=key,
            source=f"import:{digest}", frames=inputs.frames, calendar=inputs.calendar, progress=progress)
        if result.inserted:
            progress.phase("judging the cases and consults this import touched")
            # Judge once, when data arrives: the cases and consults this import touched (all
            # stored visits at once when the import is everything stored), as of now.
            stage = "checking the imported cases against the rules"
            everything = db.session.scalar(select(func.count()).select_from(Visit)) == result.inserted
            findings_store.sweep(db.session, inputs.frames, inputs.calendar, dt.datetime.now(dt.timezone.utc),
                                 inputs.thresholds, None if everything else list(result.case_pks),
                                 None if everything else list(result.consult_pks), known=result.visits)
            stage = "updating the weekly indicator cells"
            indicator_cells.mark_visits(db.session, visits["called_at"], inputs.timezone)
            indicator_cells.refresh_stale(db.session, inputs)
        stage = "committing the import"
        db.session.commit()
    except (SQLAlchemyError, db.engine.dialect.dbapi.Error) as error:
        db.session.rollback()
        _fail(f"the import failed while {stage}: {_database_problem(error)}. Nothing was imported.")
    click.echo(f"Imported {result.inserted} visits ({result.already_present} already present, "
               f"{parsed.ignored_repeats} identical repeats ignored, {bad_lines} rejected"
               + (f", {len(conflicts)} of them stored with other content: use a correction" if len(conflicts) else "")
               + "); "
               f"{result.cases_touched} cases updated.")


@visits_cli.command("export-parquet")
@click.argument("folder", type=click.Path(file_okay=False))
def visits_export_parquet(folder):
    """Write every stored visit as Parquet, one file per local month (visits-YYYY-MM.parquet).

    The files hold the import columns as text (applicants as their stored keyed hashes), so
    `flask analyze --visits FOLDER` and `flask visits import` read them back.
    """
    written = visit_store.export_parquet(db.session, folder, current_app.config["MONITOR_TIMEZONE"])
    for name, rows in written.items():
        click.echo(f"  {name}: {rows:,} visits")
    click.echo(f"Wrote {sum(written.values()):,} visits in {len(written)} monthly file(s) to {folder}.")


REFRESH_SLICE = 5000  # cases re-timed per step of `visits refresh`


@visits_cli.command("refresh")
def visits_refresh():
    """Re-time every stored case and fill each visit's stored day and week (once after upgrading)."""
    inputs = engine_inputs()
    progress = _progress("refresh: cases re-timed")
    # In slices, so that a long refresh says how far it is (the same as refresh_all_cases).
    pks = list(db.session.scalars(select(Case.id).order_by(Case.id)))
    refreshed = 0
    for done, chunk in enumerate(visit_store.chunks(pks, REFRESH_SLICE), 1):
        refreshed += visit_store.refresh_cases(db.session, chunk, inputs.frames, inputs.calendar)
        progress(min(done * REFRESH_SLICE, len(pks)), len(pks))
    progress.phase("filling each visit's local day and week")
    visit_store.fill_visit_weeks(db.session, inputs.timezone)
    progress.phase("rebuilding the weekly indicator cells")
    indicator_cells.refresh_all(db.session, inputs)
    db.session.commit()
    click.echo(f"{refreshed} cases re-timed; every visit has its local day and ISO week.")


def _as_of(value: str | None, timezone: str) -> pd.Timestamp:
    if not value:
        return pd.Timestamp.now(tz="UTC")
    try:
        moment = pd.Timestamp(value)
    except ValueError:
        _fail(f"--as-of {value!r} is not an ISO 8601 timestamp")
    return moment.tz_localize(timezone) if moment.tzinfo is None else moment


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
    timezone = current_app.config["MONITOR_TIMEZONE"]
    frames = CatalogFrames.from_catalog(_load_or_report(catalog_dir))
    thresholds = rule_thresholds(current_app.config, max_handoffs=max_handoffs,
                                 min_informal_consults=min_informal_consults,
                                 informal_return_days=informal_return_days, reopen_days=reopen_days)
    calendar = WorkingCalendar(timezone=timezone)
    moment = _as_of(as_of, timezone)
    hash_key = current_app.config["APPLICANT_HASH_KEY"]
    progress = _progress("analyze")
    if engine == "dask":
        progress.phase(f"judging {visits_path} on Dask")
        run = _analyze_on_dask(visits_path, frames, calendar, moment, thresholds, scope, ocel_path,
                               hash_key, scheduler, workers, worker_memory, scratch, partition_rows)
    else:
        run = _analyze_here(visits_path, frames, calendar, moment, thresholds, scope, ocel_path, hash_key, progress)
    table, indicators, visits, cases, bad_rows = run
    progress.phase(f"{visits:,} visits judged; writing the results")
    if len(bad_rows):
        _report_problems(bad_rows)
        click.echo(f"{bad_rows['where'].nunique()} bad row(s) left out of the analysis.", err=True)
    if findings_path:
        table.to_csv(findings_path, index=False)
    if indicators_path:
        indicators.to_csv(indicators_path, index=False)
    click.echo(f"{visits} visits, {cases} cases, {len(table)} findings.")
    for rule, count in table["rule"].value_counts().sort_index().items():
        click.echo(f"  {rule}: {count}")
    if strict and len(bad_rows):
        sys.exit(1)


def _analyze_here(path, frames, calendar, as_of, thresholds, scope, ocel_path, hash_key, progress):
    """The single-process engine: the whole log in this process's memory."""
    progress.phase(f"reading {path}")
    try:
        given = read_visit_input(path)
    except VisitLogError as error:
        _fail(mask_iins(str(error)))
    _say_how_read(path, given.rows)
    progress.phase(f"checking {len(given.rows):,} rows")
    parsed = parse_visits(given.rows, frames, calendar.timezone_name)
    bad = parsed.bad_rows
    bad_rows = pd.DataFrame({"where": given.where(bad["line"]), "column": bad["column"], "reason": bad["reason"]})
    visits = parsed.visits
    del given, parsed  # the text as read: not held while the visits are judged (peak memory)
    progress.phase(f"judging {len(visits):,} visits")
    analysis = judge(visits, frames, calendar, as_of, thresholds)
    del visits
    if ocel_path:
        write_ocel(ocel_path, [ocel_share(analysis.visits, hash_key, analysis.finding_table())])
    return (analysis.finding_table(), analysis.indicators(calendar.timezone_name, scope),
            len(analysis.visits), len(analysis.cases), bad_rows)


def _analyze_on_dask(path, frames, calendar, as_of, thresholds, scope, ocel_path, hash_key,
                     scheduler, workers, worker_memory, scratch, partition_rows):
    """The partitioned engine (compliance.partitioned) on a local or an existing cluster."""
    if scratch:
        Path(scratch).mkdir(parents=True, exist_ok=True)
    with dask_client(scheduler, workers, worker_memory) as client, \
            tempfile.TemporaryDirectory(prefix="monitor-ocel-", dir=scratch) as ocel_dir:
        try:
            result = analyze_partitioned(client, path, frames, calendar, as_of, thresholds, scopes=(scope,),
                                         scratch=scratch, partition_rows=partition_rows,
                                         ocel_dir=ocel_dir if ocel_path else None, ocel_key=hash_key)
        except VisitLogError as error:
            _fail(str(error))
        if ocel_path:
            write_ocel(ocel_path, sorted(Path(ocel_dir).glob("part-*.json")))
    click.echo(f"Judged in {result.partitions} partitions.", err=True)
    return result.findings, result.indicators[scope], result.visits, result.cases, result.bad_rows


def _report_problems(bad_rows: pd.DataFrame, limit: int = 50) -> None:
    for row in bad_rows.head(limit).itertuples(index=False):
        click.echo(f"{row.where}, column {row.column}: {row.reason}", err=True)
    if len(bad_rows) > limit:
        click.echo(f"... and {len(bad_rows) - limit} more problems", err=True)


@findings_cli.command("sweep")
@click.option("--as-of", help="ISO 8601 time the open cases are judged at (default: now).")
def findings_sweep(as_of):
    """Judge every stored visit and case; findings that no longer fire are marked so, never deleted."""
    inputs = engine_inputs()
    progress = _progress("sweep")
    visits = db.session.scalar(select(func.count()).select_from(Visit))
    progress(0, visits, "stored visits to judge")
    result = findings_store.sweep(db.session, inputs.frames, inputs.calendar,
                                  _as_of(as_of, inputs.timezone), inputs.thresholds)
    progress(visits, visits, "judged")
    indicator_cells.refresh_stale(db.session, inputs)
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
    inputs = engine_inputs()
    result = findings_store.backfill_params(db.session, inputs.frames, inputs.calendar, inputs.thresholds)
    db.session.commit()
    click.echo(f"{result.filled} findings got their parameters; {result.left} could not be matched "
               "and keep their stored detail.")


@findings_cli.command("export")
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--include-cleared", is_flag=True,
              help="Also findings no longer firing (kept as evidence), with a firing column.")
def findings_export(path, include_cleared):
    """Write the stored findings as CSV (the spec's columns plus review_status)."""
    table = findings_store.findings_table(db.session, include_cleared)
    safe_frame(table).to_csv(path, index=False)  # details quote what people typed: never a formula
    click.echo(f"Wrote {len(table)} findings to {path}.")


@demo_cli.command("load")
@click.option("--weeks", default=6, show_default=True, help="Weeks of visits to generate.")
def demo_load(weeks):
    """Load the bundled catalog, demo offices and users, and weeks of realistic visits (once)."""
    report = demo.load_demo(db.session, current_app.config, weeks=weeks)
    db.session.commit()
    click.echo(report)
    if not report.startswith("Demo data already present"):
        run = jobs.run_job(current_app._get_current_object(), "publish")
        click.echo(f"Weekly indicators: {run.message}")
        run = jobs.run_job(current_app._get_current_object(), "escalate")
        click.echo(f"Accountability clock: {run.message}")


@jobs_cli.command("run")
@click.argument("name", type=click.Choice(list(SCHEDULE)))
@click.option("--week", help="publish: this ISO week (e.g. 2026-W47) instead of every missed week.")
@click.option("--since", help="publish: every ended, unpublished week from this ISO week on (e.g. 2026-W01), "
                             "imported history before the first publication too.")
@click.option("--now", "now_text", help="Run as if it were this time (ISO 8601; for catching up).")
def jobs_run(name, week, since, now_text):
    """Run a job now: sweep, overdue, escalate, publish, mail or cells (progress on stderr)."""
    now = _as_of(now_text, current_app.config["MONITOR_TIMEZONE"]).to_pydatetime()
    if (week is not None or since is not None) and name != "publish":
        raise click.UsageError("--week and --since go with the publish job only")
    if week is not None and since is not None:
        raise click.UsageError("give --week (one week) or --since (every unpublished week from it), not both")
    if week is not None:
        try:  # refused before the job runs: a usage error (exit 2), no traceback
            week = publishing.closed_week(week, now, current_app.config["MONITOR_TIMEZONE"])
        except publishing.PublishError as error:
            raise click.BadParameter(str(error), param_hint="--week") from None
    if since is not None:
        try:
            since = publishing.closed_week(since, now, current_app.config["MONITOR_TIMEZONE"])
        except publishing.PublishError as error:
            raise click.BadParameter(str(error), param_hint="--since") from None
    run = jobs.run_job(current_app._get_current_object(), name, now, progress=_progress(name),
                       week=week, since=since)
    click.echo(f"{run.job}: {run.result}: {run.message}")
    if run.result != "ok":
        sys.exit(1)


@jobs_cli.command("list")
def jobs_list():
    """Each job's schedule, next run time and last result."""
    timezone = current_app.config["MONITOR_TIMEZONE"]
    now = pd.Timestamp.now(tz=timezone).to_pydatetime()
    last = jobs.last_runs()
    for name, trigger in scheduler.triggers(timezone).items():
        next_run = trigger.get_next_fire_time(None, now)
        run = last.get(name)
        result = f"{run.result} at {run.started_at:%Y-%m-%d %H:%M} UTC: {run.message}" if run else "never run"
        click.echo(f"{name:<8} next {next_run:%Y-%m-%d %H:%M %Z}  last {result}")


@scheduler_cli.command("run")
@click.option("--check-seconds", default=30.0, show_default=True,
              help="How often a standby tries to take over, and the running one checks it still holds the lock.")
def scheduler_run(check_seconds):
    """Start the scheduler in this process (jobs kept in the database; Ctrl-C stops it).

    One per deployment: while another scheduler of this database runs, this one stands by
    and takes over when it stops."""
    config = current_app.config
    lock = scheduler.SchedulerLock(config["SQLALCHEMY_DATABASE_URI"])
    if not lock.try_acquire():
        click.echo("Another scheduler is running for this database: standing by (no job runs here) until it stops...")
        while not lock.try_acquire():
            time.sleep(check_seconds)
        click.echo("The other scheduler stopped: taking over.")
    clock = scheduler.blocking_scheduler(config["SQLALCHEMY_DATABASE_URI"], config["MONITOR_TIMEZONE"])
    lost, stopped = threading.Event(), threading.Event()

    def watch_lock():
        while not stopped.wait(check_seconds):
            if not lock.still_held():
                lost.set()
                clock.shutdown(wait=False)
                return
    app = current_app._get_current_object()
    jobs.use_app(app)
    click.echo("Catching up on missed publications, then waiting for the next job...")
    jobs.run_job(app, "publish")
    threading.Thread(target=watch_lock, name="scheduler-lock", daemon=True).start()
    try:
        clock.start()
    finally:
        stopped.set()
        lock.release()
    if lost.is_set():
        _fail("The scheduler lost its lock (the database restarted?): stopped so that its service manager "
              "starts it again, as the one scheduler or as a standby.")


@audit_cli.command("verify")
@click.option("--head", help="A published head hash: also prove the records up to it are unchanged.")
def audit_verify(head):
    """In one run: walk the audit chain (name the first record altered, removed or
    inserted), check every head the application stored with a publication (and --head, if
    given) is still in the intact chain, and recompute the digest of every recorded row:
    name each row edited, deleted or inserted behind the application's back."""
    result = audit.verify(db.session, head)
    problems = evidence.verify_rows(db.session)
    if not result.chain_ok:
        click.secho(f"audit trail BROKEN after {result.checked} good records: {result.problem}", fg="red", err=True)
    for check in result.heads:
        if check.ok:
            click.echo(f"head: {check}")
        else:
            click.secho(f"head: {check}", fg="red", err=True)
    for problem in problems[:200]:
        click.secho(f"data: {problem}", fg="red", err=True)
    if len(problems) > 200:
        click.secho(f"... and {len(problems) - 200} more rows", fg="red", err=True)
    if not result.ok or problems:
        _fail(f"audit verify FAILED: chain {'intact' if result.chain_ok else 'broken'}, "
              f"{len(result.broken_heads)} of {len(result.heads)} head(s) not proven, "
              f"{len(problems)} row problem(s)")
    click.echo(f"audit trail intact: {result.checked} records; {len(result.heads)} head(s) in the chain"
               + (f" (with {head})" if head else "") + "; every recorded row matches its digest")


@audit_cli.command("adopt")
@click.option("--reason", required=True, help="Why rows stored without a digest are vouched for now.")
def audit_adopt(reason):
    """Record the digests of rows stored before row digests existed (after an upgrade), in
    one audit record. Rows already recorded are left as they are."""
    rows = {entity: [] for entity in evidence.ENTITIES}
    known = evidence.latest(db.session)
    for entity in evidence.ENTITIES:
        present = evidence.current(db.session, entity)
        recorded = set(known.loc[known["entity"] == entity, "row_id"])
        rows[entity] = [i for i in present["row_id"] if i not in recorded]
    count = sum(len(ids) for ids in rows.values())
    if count:
        audit.record(db.session, "cli", "adopt", "rows", "unrecorded", reason=reason, rows=rows,
                     new={entity: len(ids) for entity, ids in rows.items()})
    db.session.commit()
    click.echo(f"Adopted {count} rows that had no digest.")


@backup_cli.command("create")
@click.argument("path", type=click.Path(dir_okay=False))
def backup_create(path):
    """Copy the live SQLite database to PATH (safe while the app runs)."""
    try:
        size = backup.create_backup(db.engine, Path(path))
    except backup.BackupError as error:
        _fail(str(error))
    click.echo(f"Backed up to {path} ({size:,} bytes).")


@backup_cli.command("restore")
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def backup_restore(path, yes):
    """Replace the SQLite database with the backup at PATH (stop the app first)."""
    if not yes:
        click.confirm(f"Replace the database with {path}?", abort=True)
    db.session.remove()
    try:
        backup.restore_backup(db.engine, Path(path))
    except backup.BackupError as error:
        _fail(str(error))
    click.echo(f"Restored from {path}.")


def _new_password(login: str, from_stdin: bool = False) -> str:
    """Asked twice, never echoed, never an argument (it would stay in the shell history);
    or, for scripts, the first line of standard input (``--password-stdin``)."""
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        problem = accounts.password_problem(password, login)
        if problem is not None:
            _fail(f"password not accepted: {problem}")
        return password
    while True:
        password = click.prompt("Password", hide_input=True, confirmation_prompt="Repeat the password")
        problem = accounts.password_problem(password, login)
        if problem is None:
            return password
        click.echo(f"error: {problem}; try another.", err=True)
        if not sys.stdin.isatty():
            _fail("password not accepted")


def _user(login: str):
    user = accounts.find_user(db.session, login)
    if user is None:
        _fail(f"no user {login!r}")
    return user


@offices_cli.command("create")
@click.argument("code")
@click.option("--name-kk", required=True, help="The office's name in Kazakh.")
@click.option("--name-ru", required=True, help="The office's name in Russian.")
@click.option("--name-en", required=True, help="The office's name in English.")
@click.option("--region", default="", help="The region (shown in reports).")
def offices_create(code, name_kk, name_ru, name_en, region):
    """Create an office (audited, as in the browser)."""
    try:
        offices.create_office(db.session, offices.NewOffice(code, name_kk, name_ru, name_en, region), actor="cli")
    except accounts.AccountError as error:
        db.session.rollback()
        _fail(f"office {code!r} not created: {error}")
    db.session.commit()
    click.echo(f"Created office {code}.")


@offices_cli.command("list")
def offices_list():
    """Every office: code, region and names."""
    for office in offices.all_offices(db.session):
        click.echo(f"{office.code}\t{office.region}\t{office.name_kk}\t{office.name_ru}\t{office.name_en}")


@users_cli.command("create")
@click.argument("login")
@click.option("--role", type=click.Choice(["admin", "supervisor", "desk", "steward"]), required=True)
@click.option("--office", "office_code", help="The office of a front-desk user.")
@click.option("--supervises", multiple=True, help="An office a supervisor oversees (repeatable).")
@click.option("--keeps", "stewarded", multiple=True,
              help="A service code a steward keeps (repeatable; none: the whole catalog).")
@click.option("--name", "full_name", default="", help="Full name, shown in the audit trail.")
@click.option("--email", help="Where the overdue digest and escalations are sent.")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of standard input.")
def users_create(login, role, office_code, supervises, stewarded, full_name, email, password_stdin):
    """Create a staff account; the password is asked twice (or read with --password-stdin)."""
    if accounts.find_user(db.session, login) is not None:
        _fail(f"the login {login!r} is taken (logins are compared ignoring case)")
    password = _new_password(login, password_stdin)
    try:
        accounts.create_user(db.session, accounts.NewUser(
            login=login, role=role, password=password, office_code=office_code, full_name=full_name,
            supervised=tuple(supervises), email=email, stewarded=tuple(stewarded)), actor="cli")
    except accounts.AccountError as error:
        db.session.rollback()
        _fail(str(error))
    db.session.commit()
    click.echo(f"Created {role} {login}" + (f" at office {office_code}" if office_code else "") + ".")


@users_cli.command("set-password")
@click.argument("login")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of standard input.")
def users_set_password(login, password_stdin):
    """Set a new password (asked twice, or read with --password-stdin); the user's sessions end."""
    user = _user(login)
    accounts.set_password(db.session, user, _new_password(user.login, password_stdin), actor="cli")
    db.session.commit()
    click.echo(f"Password of {user.login} changed; their sessions are signed out.")


@users_cli.command("deactivate")
@click.argument("login")
def users_deactivate(login):
    """Deactivate an account: it can no longer sign in and its sessions end."""
    user = _user(login)
    accounts.set_active(db.session, user, False, actor="cli")
    db.session.commit()
    click.echo(f"{user.login} deactivated.")


@cells_cli.command("refresh")
@click.option("--all", "everything", is_flag=True, help="Rebuild every week from the stored rows.")
def cells_refresh(everything):
    """Recompute the weeks marked stale (and begin the current week); --all: rebuild every week."""
    inputs = engine_inputs()
    now = dt.datetime.now(dt.timezone.utc)
    if everything:
        weeks = indicator_cells.refresh_all(db.session, inputs, now)
    else:
        indicator_cells.mark_missing(db.session, now, inputs.timezone)
        weeks = indicator_cells.refresh_stale(db.session, inputs, now)
    db.session.commit()
    click.echo(f"{len(weeks)} weeks of indicator cells computed.")


def register_commands(app) -> None:
    for command in (catalog_cli, calendar_cli, visits_cli, findings_cli, demo_cli, jobs_cli, audit_cli, cells_cli,
                    backup_cli, users_cli, offices_cli,
                    scheduler_cli, analyze):
        app.cli.add_command(command)
