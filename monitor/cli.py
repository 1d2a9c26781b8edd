"""Command-line interface: ``flask catalog|calendar|visits|analyze|findings|demo ...``.

Commands parse their arguments, call one domain function, commit once and report.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import sys
from pathlib import Path

import click
import pandas as pd
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import func, select

from services_catalog import CatalogError, Deadline, export_catalog, load_catalog

from . import audit, backup, calendar_store, catalog_store, demo, findings_store, jobs, scheduler, visit_store
from .calendar import WorkingCalendar, due_at
from .compliance import (
    CatalogFrames, VisitLogError, judge, parse_visits, read_visit_file,
)
from .config import rule_thresholds
from .compliance.indicators import SCOPES
from .context import engine_inputs
from .extensions import db
from .models import Visit
from .scheduler import SCHEDULE

catalog_cli = AppGroup("catalog", help="Validate, load and export the service catalog.")
calendar_cli = AppGroup("calendar", help="The official working-day calendar and its overrides.")
visits_cli = AppGroup("visits", help="Import visit logs.")
findings_cli = AppGroup("findings", help="Judge stored visits and export the findings.")
demo_cli = AppGroup("demo", help="Demo offices, users and visits for trying the app.")
backup_cli = AppGroup("backup", help="Back up and restore the SQLite database.")
audit_cli = AppGroup("audit", help="Verify the hash-chained audit trail.")
jobs_cli = AppGroup("jobs", help="Run scheduled jobs by hand and see their last results.")
scheduler_cli = AppGroup("scheduler", help="The scheduler process (run it apart from the web workers).")


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
def catalog_validate(folder):
    """Check a catalog folder against every rule of the format; list all problems."""
    catalog = _load_or_report(folder)
    versions = sum(len(s.versions) for s in catalog.services.values())
    click.echo(f"{folder}: valid ({len(catalog.services)} services, {versions} versions, "
               f"{len(catalog.documents)} documents).")


@catalog_cli.command("load")
@click.argument("folder", type=click.Path(file_okay=False))
def catalog_load(folder):
    """Validate a catalog folder and make it the catalog in force (all or nothing)."""
    catalog = _load_or_report(folder)
    try:
        counts = catalog_store.store_catalog(db.session, catalog, actor="cli")
        inputs = engine_inputs()
        refreshed = visit_store.refresh_all_cases(db.session, inputs.frames, inputs.calendar)
        db.session.commit()
    except catalog_store.CatalogInUse as error:
        db.session.rollback()
        _fail(f"not loaded: {error}")
    click.echo(f"Loaded {counts['services']} services ({counts['versions']} versions) and "
               f"{counts['documents']} documents from {folder}; {refreshed} cases re-timed.")


@catalog_cli.command("export")
@click.argument("folder", type=click.Path(file_okay=False))
def catalog_export(folder):
    """Write the catalog in force to a folder in the catalog format."""
    catalog = catalog_store.catalog_from_db(db.session)
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
    calendar_store.set_override(db.session, day.date(), is_working, reason, actor="cli")
    inputs = engine_inputs()
    refreshed = visit_store.refresh_all_cases(db.session, inputs.frames, inputs.calendar)
    db.session.commit()
    click.echo(f"{day:%Y-%m-%d} is now {'a working day' if is_working else 'a day off'}; "
               f"{refreshed} cases re-timed.")


@calendar_cli.command("remove-override")
@click.argument("day", type=click.DateTime(formats=["%Y-%m-%d"]))
def calendar_remove_override(day):
    """Remove an override; the official calendar applies again to that day."""
    if not calendar_store.remove_override(db.session, day.date(), actor="cli"):
        _fail(f"there is no override on {day:%Y-%m-%d}")
    inputs = engine_inputs()
    refreshed = visit_store.refresh_all_cases(db.session, inputs.frames, inputs.calendar)
    db.session.commit()
    click.echo(f"Override on {day:%Y-%m-%d} removed; {refreshed} cases re-timed.")


def _report_bad_rows(bad_rows: pd.DataFrame, limit: int = 50) -> None:
    for row in bad_rows.head(limit).itertuples(index=False):
        click.echo(f"line {row.line}, column {row.column}: {row.reason}", err=True)
    if len(bad_rows) > limit:
        click.echo(f"... and {len(bad_rows) - limit} more problems", err=True)


def _write_rejects(raw: pd.DataFrame, bad_rows: pd.DataFrame, path: str) -> None:
    """The rejected rows as they were, with their reasons, ready to fix and re-import."""
    reasons = bad_rows.assign(problem=bad_rows["column"] + ": " + bad_rows["reason"]) \
        .groupby("line")["problem"].agg(" | ".join)
    rejected = raw[raw["line"].isin(reasons.index)].copy()
    rejected["reason"] = rejected["line"].map(reasons)
    rejected.to_csv(path, index=False)


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
        _fail(str(error))
    parsed = parse_visits(raw, inputs.frames, inputs.timezone)
    if len(parsed.bad_rows):
        _report_bad_rows(parsed.bad_rows)
        if not skip_invalid:
            _fail(f"{parsed.bad_lines} bad row(s): nothing imported. Fix them, or use "
                  "--skip-invalid --rejects REJECTS.csv to import the good rows.")
        if rejects:
            _write_rejects(raw, parsed.bad_rows, rejects)
            click.echo(f"{parsed.bad_lines} bad row(s) written with reasons to {rejects}", err=True)
    digest = hashlib.sha256(Path(path).read_bytes()).hexdigest()[:16]

    def progress(done: int, total: int) -> None:
        click.echo(f"  stored {done:,}/{total:,} visits", err=True)

    result = visit_store.import_visits(
        db.session, parsed.visits, hash_key=current_app.config["APPLICANT_HASH_KEY"],
        source=f"import:{digest}", frames=inputs.frames, calendar=inputs.calendar, progress=progress)
    if result.inserted:
        # Judge once, when data arrives: the cases and consults this import touched (all
        # stored visits at once when the import is everything stored), as of now.
        everything = db.session.scalar(select(func.count()).select_from(Visit)) == result.inserted
        findings_store.sweep(db.session, inputs.frames, inputs.calendar, dt.datetime.now(dt.timezone.utc),
                             inputs.thresholds, None if everything else list(result.case_pks),
                             None if everything else list(result.consult_pks))
    db.session.commit()
    click.echo(f"Imported {result.inserted} visits ({result.already_present} already present, "
               f"{parsed.ignored_repeats} identical repeats ignored, {parsed.bad_lines} rejected); "
               f"{result.cases_touched} cases updated.")


@visits_cli.command("refresh")
def visits_refresh():
    """Re-time every stored case and fill each visit's stored day and week (once after upgrading)."""
    inputs = engine_inputs()
    refreshed = visit_store.refresh_all_cases(db.session, inputs.frames, inputs.calendar)
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
@click.option("--visits", "visits_path", required=True, type=click.Path(dir_okay=False, exists=True))
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
def analyze(catalog_dir, visits_path, as_of, findings_path, indicators_path, scope, max_handoffs,
            min_informal_consults, informal_return_days, reopen_days, strict):
    """Judge a visit log against a catalog folder, with no database (for auditors).

    Bad rows are listed on stderr and left out of the analysis.
    """
    timezone = current_app.config["MONITOR_TIMEZONE"]
    frames = CatalogFrames.from_catalog(_load_or_report(catalog_dir))
    try:
        raw = read_visit_file(visits_path)
    except VisitLogError as error:
        _fail(str(error))
    parsed = parse_visits(raw, frames, timezone)
    if len(parsed.bad_rows):
        _report_bad_rows(parsed.bad_rows)
        click.echo(f"{parsed.bad_lines} bad row(s) left out of the analysis.", err=True)
    thresholds = rule_thresholds(current_app.config, max_handoffs=max_handoffs,
                                 min_informal_consults=min_informal_consults,
                                 informal_return_days=informal_return_days, reopen_days=reopen_days)
    calendar = WorkingCalendar(timezone=timezone)
    analysis = judge(parsed.visits, frames, calendar, _as_of(as_of, timezone), thresholds)
    table = analysis.finding_table()
    if findings_path:
        table.to_csv(findings_path, index=False)
    if indicators_path:
        analysis.indicators(timezone, scope).to_csv(indicators_path, index=False)
    click.echo(f"{len(analysis.visits)} visits, {len(analysis.cases)} cases, {len(table)} findings.")
    for rule, count in table["rule"].value_counts().sort_index().items():
        click.echo(f"  {rule}: {count}")
    if strict and len(parsed.bad_rows):
        sys.exit(1)


@findings_cli.command("sweep")
@click.option("--as-of", help="ISO 8601 time the open cases are judged at (default: now).")
def findings_sweep(as_of):
    """Judge every stored visit and case and store the findings (replacing earlier results)."""
    inputs = engine_inputs()
    result = findings_store.sweep(db.session, inputs.frames, inputs.calendar,
                                  _as_of(as_of, inputs.timezone), inputs.thresholds)
    db.session.commit()
    click.echo(f"Judged {result.visits} visits and {result.cases} cases: {result.added} new findings, "
               f"{result.kept} still standing, {result.removed} no longer firing.")
    if result.data_errors:
        click.echo(f"{result.data_errors} stored visits have no service version in force and were "
                   "not judged.", err=True)


@findings_cli.command("export")
@click.argument("path", type=click.Path(dir_okay=False))
def findings_export(path):
    """Write the stored findings as CSV (the spec's columns plus review_status)."""
    table = findings_store.findings_table(db.session)
    table.to_csv(path, index=False)
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


@jobs_cli.command("run")
@click.argument("name", type=click.Choice(list(SCHEDULE)))
@click.option("--week", help="publish: this ISO week (e.g. 2026-W47) instead of every missed week.")
@click.option("--now", "now_text", help="Run as if it were this time (ISO 8601; for catching up).")
def jobs_run(name, week, now_text):
    """Run a job now: sweep, overdue or publish."""
    now = _as_of(now_text, current_app.config["MONITOR_TIMEZONE"]).to_pydatetime()
    run = jobs.run_job(current_app._get_current_object(), name, now, week=week)
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
def scheduler_run():
    """Start the scheduler in this process (jobs kept in the database; Ctrl-C stops it)."""
    config = current_app.config
    clock = scheduler.blocking_scheduler(config["SQLALCHEMY_DATABASE_URI"], config["MONITOR_TIMEZONE"])
    app = current_app._get_current_object()
    jobs.use_app(app)
    click.echo("Catching up on missed publications, then waiting for the next job...")
    jobs.run_job(app, "publish")
    clock.start()


@audit_cli.command("verify")
@click.option("--head", help="A published head hash: prove the records up to it are unchanged.")
def audit_verify(head):
    """Walk the audit chain and name the first record altered, removed or inserted."""
    result = audit.verify(db.session, head)
    if not result.ok:
        _fail(f"audit trail BROKEN after {result.checked} good records: {result.problem}")
    click.echo(f"audit trail intact: {result.checked} records" + (f" up to head {head}" if head else ""))


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


def register_commands(app) -> None:
    for command in (catalog_cli, calendar_cli, visits_cli, findings_cli, demo_cli, jobs_cli, audit_cli,
                    backup_cli,
                    scheduler_cli, analyze):
        app.cli.add_command(command)
