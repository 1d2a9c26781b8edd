"""``flask scheduler run``: the scheduler process, apart from the web workers."""
from __future__ import annotations

import threading
import time

import click
from flask import current_app
from flask.cli import AppGroup

from .. import jobs, scheduler
from .terminal import fail

scheduler_cli = AppGroup("scheduler", help="The scheduler process (run it apart from the web workers).")


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
        fail("The scheduler lost its lock (the database restarted?): stopped so that its service manager "
             "starts it again, as the one scheduler or as a standby.")
