"""The runs of scheduled jobs: each kept with its result and vouched for by its own audit
record, in the transaction of the job's work (monitor/jobs.py commits both at once)."""
from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from ..models import JobRun
from ..stores import audit, job_runs as job_run_store

__all__ = ["JobRun", "last_runs", "not_recorded", "recorded_since", "record"]


def record(session: Session, job: str, started_at: dt.datetime, result: str, message: str) -> JobRun:
    """Keep a run of ``job`` (finished now) and its audit record; flushes."""
    run = job_run_store.add(session, job, started_at, result, message, finished_at=dt.datetime.now(dt.UTC))
    # Job runs are evidence too: the run's row is vouched for by its own record.
    audit.record(session, "system", "run", "job_run", run.id, new={"job": job, "result": run.result},
                 rows={"job_run": [run.id]})
    return run


def not_recorded(job: str, now: dt.datetime, message: str) -> JobRun:
    """A successful run that is not kept (a mail run with nothing to send, say)."""
    return JobRun(job=job, started_at=now, finished_at=now, result="ok", message=message)


def recorded_since(session: Session, job: str, now: dt.datetime, within: dt.timedelta) -> bool:
    """Whether a successful run of ``job`` started in the ``within`` before ``now``."""
    last = job_run_store.last_success(session, job)
    return last is not None and dt.timedelta(0) <= now - last < within


def last_runs(session: Session) -> dict[str, JobRun]:
    return job_run_store.last_runs(session)
