"""Job runs in the database: each run of a scheduled job, with its result (``job_runs``)."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..models import JobRun


def add(session: Session, job: str, started_at: dt.datetime, result: str, message: str,
        finished_at: dt.datetime) -> JobRun:
    run = JobRun(job=job, started_at=started_at, result=result, message=message, finished_at=finished_at)
    session.add(run)
    session.flush()
    return run


def last_runs(session: Session) -> dict[str, JobRun]:
    """The latest run of each job that ever ran, by job name."""
    latest = select(JobRun.job, func.max(JobRun.id).label("id")).group_by(JobRun.job).subquery()
    return {run.job: run for run in session.scalars(select(JobRun).join(latest, JobRun.id == latest.c.id))}


def last_success(session: Session, job: str) -> dt.datetime | None:
    """When the latest successful run of ``job`` started, or None."""
    return session.scalar(select(func.max(JobRun.started_at)).where(JobRun.job == job, JobRun.result == "ok"))
