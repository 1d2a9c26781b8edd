"""The alarm clock: APScheduler 3 in its own process, never inside web workers.

Jobs live in the application's database (SQLAlchemyJobStore), so a restart keeps them;
times are local (UTC+5, MONITOR_TIMEZONE); coalesce folds a backlog into one run; one instance per job.
One scheduler per deployment: a second one started by mistake (or as a standby on another
machine) waits for the ``SchedulerLock`` and runs no job until the first is gone.
"""
from __future__ import annotations

import fcntl
import os
from pathlib import Path

from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from sqlalchemy import create_engine, make_url, text
from sqlalchemy.pool import NullPool

# name -> cron fields, in local time
SCHEDULE = {
    "sweep": {"hour": 2, "minute": 0},
    "overdue": {"minute": 5},
    "escalate": {"minute": 15},
    "publish": {"day_of_week": "mon", "hour": 6, "minute": 0},
    "mail": {"minute": "*"},  # the mail queue: what is due, every minute
    "cells": {"minute": "*"},  # the weekly indicator cells of the weeks desk saves marked stale
}


def triggers(timezone: str) -> dict[str, CronTrigger]:
    return {name: CronTrigger(timezone=timezone, **fields) for name, fields in SCHEDULE.items()}


def configure(scheduler: BaseScheduler, database_url: str, timezone: str) -> BaseScheduler:
    scheduler.configure(
        jobstores={"default": SQLAlchemyJobStore(url=database_url, tablename="scheduler_jobs",
                                                 engine_options={"pool_pre_ping": True})},
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 3600},
        timezone=timezone)
    for name, trigger in triggers(timezone).items():
        scheduler.add_job("monitor.jobs:scheduled", trigger=trigger, args=[name], id=name,
                          name=name, replace_existing=True)
    return scheduler


def blocking_scheduler(database_url: str, timezone: str) -> BlockingScheduler:
    return configure(BlockingScheduler(), database_url, timezone)


# The PostgreSQL advisory lock key of the scheduler (any constant no other lock of the app uses).
SCHEDULER_LOCK_KEY = 7202612


class SchedulerLock:
    """Held by the one running scheduler of a deployment.

    On PostgreSQL a session advisory lock, on a connection of its own that stays open while
    the scheduler runs (every machine that reaches the database sees it); on SQLite an
    exclusive ``flock`` on a file beside the database (one machine, as SQLite itself). The
    lock ends with the process however it ends, so a killed scheduler never blocks the next.
    """

    def __init__(self, database_url: str):
        self.url = make_url(database_url)
        self.connection = None
        self.file = None

    @property
    def held(self) -> bool:
        return self.connection is not None or self.file is not None

    def try_acquire(self) -> bool:
        if self.url.get_backend_name() == "postgresql":
            connection = create_engine(self.url, poolclass=NullPool).connect()
            got = connection.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": SCHEDULER_LOCK_KEY}).scalar()
            connection.commit()
            if got:
                self.connection = connection
            else:
                connection.close()
            return bool(got)
        database = self.url.database
        if not database or database == ":memory:":
            return True  # a database of this process alone: no other scheduler can share it
        path = Path(f"{database}.scheduler-lock")
        handle = open(path, "a+")  # noqa: SIM115 - kept open while the lock is held
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            return False
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        self.file = handle
        return True

    def still_held(self) -> bool:
        """Whether the lock survives (a PostgreSQL restart ends the session and its lock)."""
        if self.connection is None:
            return self.held or self.url.get_backend_name() != "postgresql"
        try:
            self.connection.execute(text("SELECT 1")).scalar()
            self.connection.commit()
            return True
        except Exception:  # any failure means the session, and so the lock, may be gone
            return False

    def release(self) -> None:
        if self.connection is not None:
            try:
                self.connection.close()  # ends the session, and with it the advisory lock
            finally:
                self.connection = None
        if self.file is not None:
            fcntl.flock(self.file, fcntl.LOCK_UN)
            self.file.close()
            self.file = None
