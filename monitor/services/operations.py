"""What an operator watches (the figures behind GET /metrics): the jobs' last runs, the weeks
still to publish and the mail queue, read from the database at the moment they are asked for."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..models import JobRun
from ..stores import outbox as outbox_store
from . import publishing


@dataclass(frozen=True)
class JobStatus:
    job: str
    last_success: dt.datetime | None  # when the last successful run finished
    last_ok: bool  # whether the last finished run succeeded
    last_seconds: float  # how long the last finished run took


@dataclass(frozen=True)
class Status:
    jobs: tuple[JobStatus, ...]
    unpublished_weeks: tuple[str, ...]
    oldest_unpublished_end: dt.datetime | None  # when the oldest unpublished week ended
    mail: dict[str, int]  # by status: pending, sending, sent
    oldest_pending_mail: dt.datetime | None


def job_statuses(session: Session) -> tuple[JobStatus, ...]:
    successes = dict(session.execute(select(JobRun.job, func.max(JobRun.finished_at))
                                     .where(JobRun.result == "ok").group_by(JobRun.job)).all())
    latest = select(JobRun.job, func.max(JobRun.id).label("id")).where(JobRun.finished_at.is_not(None)) \
        .group_by(JobRun.job).subquery()
    runs = session.scalars(select(JobRun).join(latest, JobRun.id == latest.c.id).order_by(JobRun.job))
    return tuple(JobStatus(run.job, successes.get(run.job), run.result == "ok",
                           max((run.finished_at - run.started_at).total_seconds(), 0.0))
                 for run in runs if run.finished_at is not None)  # always: the latest finished runs


def status(session: Session, now: dt.datetime, timezone: str) -> Status:
    weeks = publishing.unpublished_weeks(session, now, timezone)
    return Status(jobs=job_statuses(session), unpublished_weeks=tuple(weeks),
                  oldest_unpublished_end=publishing.week_end(weeks[0], timezone) if weeks else None,
                  mail=outbox_store.counts(session), oldest_pending_mail=outbox_store.oldest_pending(session))
