"""The alarm clock: APScheduler 3 in its own process, never inside web workers.

Jobs live in the application's database (SQLAlchemyJobStore), so a restart keeps them;
times are local (UTC+5, MONITOR_TIMEZONE); coalesce folds a backlog into one run; one instance per job.
"""
from __future__ import annotations

from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger

# name -> cron fields, in local time
SCHEDULE = {
    "sweep": {"hour": 2, "minute": 0},
    "overdue": {"minute": 5},
    "escalate": {"minute": 15},
    "publish": {"day_of_week": "mon", "hour": 6, "minute": 0},
}


def triggers(timezone: str) -> dict[str, CronTrigger]:
    return {name: CronTrigger(timezone=timezone, **fields) for name, fields in SCHEDULE.items()}


def configure(scheduler: BaseScheduler, database_url: str, timezone: str) -> BaseScheduler:
    scheduler.configure(
        jobstores={"default": SQLAlchemyJobStore(url=database_url, tablename="scheduler_jobs")},
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 3600},
        timezone=timezone)
    for name, trigger in triggers(timezone).items():
        scheduler.add_job("monitor.jobs:scheduled", trigger=trigger, args=[name], id=name,
                          name=name, replace_existing=True)
    return scheduler


def blocking_scheduler(database_url: str, timezone: str) -> BlockingScheduler:
    return configure(BlockingScheduler(), database_url, timezone)
