"""``flask jobs run|list``: the scheduled jobs by hand, and their last results."""
from __future__ import annotations

import sys

import click
import pandas as pd
from flask import current_app
from flask.cli import AppGroup

from .. import jobs, scheduler
from ..scheduler import SCHEDULE
from ..services import publishing
from .terminal import as_of, progress_lines

jobs_cli = AppGroup("jobs", help="Run scheduled jobs by hand and see their last results.")


def _closed_week(label: str, now, option: str) -> str:
    try:  # refused before the job runs: a usage error (exit 2), no traceback
        return publishing.closed_week(label, now, current_app.config["MONITOR_TIMEZONE"])
    except publishing.PublishError as error:
        raise click.BadParameter(str(error), param_hint=option) from None


@jobs_cli.command("run")
@click.argument("name", type=click.Choice(list(SCHEDULE)))
@click.option("--week", help="publish: this ISO week (e.g. 2026-W47) instead of every missed week.")
@click.option("--since", help="publish: every ended, unpublished week from this ISO week on (e.g. 2026-W01), "
                             "imported history before the first publication too.")
@click.option("--now", "now_text", help="Run as if it were this time (ISO 8601; for catching up).")
def jobs_run(name, week, since, now_text):
    """Run a job now: sweep, overdue, escalate, publish, mail or cells (progress on stderr)."""
    now = as_of(now_text, current_app.config["MONITOR_TIMEZONE"]).to_pydatetime()
    if (week is not None or since is not None) and name != "publish":
        raise click.UsageError("--week and --since go with the publish job only")
    if week is not None and since is not None:
        raise click.UsageError("give --week (one week) or --since (every unpublished week from it), not both")
    if week is not None:
        week = _closed_week(week, now, "--week")
    if since is not None:
        since = _closed_week(since, now, "--since")
    run = jobs.run_job(current_app._get_current_object(), name, now, progress=progress_lines(name),
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
