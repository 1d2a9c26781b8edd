"""Scheduled jobs: plain functions that open an app context, call the domain, commit once.

The scheduler (``flask scheduler run``) is only the alarm clock, in its own process; every
job can also be run by hand (``flask jobs run NAME``) and tests call them with a fixed clock.
"""
from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable, Mapping
from pathlib import Path

from flask import Flask, current_app
from sqlalchemy.exc import OperationalError

from .compliance.indicators import week_label
from .config import DEFAULTS
from .extensions import db
from .progress import Progress, silent
from .services import escalations, findings, indicator_cells, job_runs, mail, publishing
from .services.context import engine_inputs, working_calendar
from .services.job_runs import JobRun

MAIL_DEFAULTS = {name: value for name, value in DEFAULTS.items() if name.startswith("MAIL_")}

log = logging.getLogger(__name__)


# Seconds to wait before each new attempt of a job whose database went away (a restart, a
# failover): the job runs again instead of waiting for its next hour or night.
DATABASE_RETRIES = (2, 8, 30)


def _record(name: str, now: dt.datetime, work: Callable[[], str]) -> JobRun:
    """Run ``work`` and keep its result as a JobRun row, whether it succeeds or fails.

    A job that succeeds is one transaction: its work, its JobRun row and their audit records
    are committed together, so that a job killed at any moment leaves the database as it was
    (``tests/test_kill_jobs.py``). A job that fails keeps nothing of its work, only its run.
    A database error is tried again after DATABASE_RETRIES (one warning line each, the
    traceback once, if it still fails).
    """
    for pause in (*DATABASE_RETRIES, None):
        try:
            run = _finished(name, now, "ok", work())
            db.session.commit()
            break
        except OperationalError as error:
            _roll_back()
            if pause is None:
                run = _failed(name, now, error)
                break
            log.warning("job %s: the database did not answer (%s); trying again in %s s",
                        name, str(error.orig).splitlines()[0] if error.orig else error, pause)
            time.sleep(pause)
        except Exception as error:  # a job must never die silently: keep why it failed
            _roll_back()
            run = _failed(name, now, error)
            break
    log.info("job %s %s: %s", name, run.result, run.message)
    return run


def _roll_back() -> None:
    try:
        db.session.rollback()
    except OperationalError:  # the connection is gone: nothing to roll back
        db.session.invalidate()


def _failed(name: str, now: dt.datetime, error: Exception) -> JobRun:
    log.exception("job %s failed", name)
    run = _finished(name, now, "failed", f"{type(error).__name__}: {error}")
    db.session.commit()
    return run


def _finished(name: str, now: dt.datetime, result: str, message: str) -> JobRun:
    return job_runs.record(db.session, name, now, result, message)


def sweep(now: dt.datetime, progress: Progress = silent) -> JobRun:
    """Nightly: judge again, as of now, the cases time alone changes (OVERDUE_OPEN)."""
    def work() -> str:
        result, weeks = findings.sweep_time_bound(db.session, engine_inputs(), now, progress=progress)
        return (f"{result.visits} visits, {result.cases} cases: {result.added} new findings, "
                f"{result.removed} no longer firing; {len(weeks)} weeks of indicator cells refreshed")
    return _record("sweep", now, work)


def cells(now: dt.datetime, progress: Progress = silent) -> JobRun:
    """Every minute: recompute the weekly indicator cells of the weeks marked stale (by desk
    saves, complaints, calendar changes made on the admin page) and compute a new week's."""
    def work() -> str:
        weeks = indicator_cells.refresh_due(db.session, engine_inputs(), now)
        progress(len(weeks), len(weeks), "weeks refreshed")
        return f"{len(weeks)} weeks of indicator cells refreshed" + (
            f" ({', '.join(week_label(w) for w in weeks[:5])}{', ...' if len(weeks) > 5 else ''})" if weeks else "")
    return _record("cells", now, work)


def publish(now: dt.datetime, week: str | None = None, since: str | None = None,
            progress: Progress = silent) -> JobRun:
    """Weekly: freeze the indicators of the week just ended, and of every week missed.

    ``week``: that one week. ``since``: every ended, unpublished week from that one on, the
    weeks of history imported before the first publication too (a catch-up by hand). Neither:
    the weeks missed since the last publication (or since the first visit, before any).
    """
    def work() -> str:
        inputs = engine_inputs()
        weeks = publishing.weeks_to_publish(db.session, now, inputs.timezone, week, since)
        done = []
        for number, label in enumerate(weeks, 1):
            done.append(publishing.publish_week(db.session, inputs, label, now))
            progress(number, len(weeks), f"{label} " + ("already published" if done[-1].already_published
                                                       else f"published ({done[-1].rows} values)"))
        fresh = [p.week for p in done if not p.already_published]
        kept = [p.week for p in done if p.already_published]
        return (f"published {', '.join(fresh) or 'nothing new'}"
                + (f"; already published: {', '.join(kept)}" if kept else ""))
    return _record("publish", now, work)


def escalate(now: dt.datetime, progress: Progress = silent) -> JobRun:
    """Hourly: items nobody dealt with in ESCALATE_AFTER_WORKING_DAYS go to the
    administrator's queue; escalations whose item was since dealt with are resolved."""
    def work() -> str:
        return str(escalations.escalate(db.session, now, current_app.config["ESCALATE_AFTER_WORKING_DAYS"],
                                        working_calendar(), progress))
    return _record("escalate", now, work)


def overdue_digest(now: dt.datetime, outbox: Path | None = None, config: Mapping | None = None) -> JobRun:
    """Hourly: each office's overdue open cases, queued for its desk and supervisors.

    One mail per office and language its recipients read (``mail.queue_overdue_digests``);
    the ``mail`` job sends them. The list is also on the desk's day view. ``outbox`` is unused
    (the ``mail`` job writes there); kept for callers of the former signature.
    """
    config = {**MAIL_DEFAULTS, **(config or {})}

    def work() -> str:
        digests = mail.queue_overdue_digests(db.session, now, config)
        return f"{digests.cases} overdue cases in {digests.offices} offices; {digests.queued} digests queued"
    return _record("overdue", now, work)


MAIL_BATCH = 200  # mails one run sends at most; the rest wait a minute
IDLE_MAIL_RUN_RECORDED_EVERY = dt.timedelta(hours=1)


def send_mail(now: dt.datetime, outbox: Path, config: Mapping | None = None) -> JobRun:
    """Every minute: send the queued mails that are due, each at most once.

    A mail is claimed (committed as ``sending``) before the SMTP conversation and marked
    ``sent`` after it, so a second sender running at the same time skips it. A refusal or an
    unreachable server puts it back with the error and a later attempt (MAIL_RETRY_SECONDS,
    doubling up to MAIL_RETRY_MAX_SECONDS); the run then fails, visibly, naming the error.
    """
    config = {**MAIL_DEFAULTS, **(config or {})}
    if not mail.due(db.session, now, 1):
        # Nothing to send: a run every minute would add a job run and an audit record each time;
        # one an hour shows the job alive (monitor_job_last_success_timestamp_seconds).
        if job_runs.recorded_since(db.session, "mail", now, IDLE_MAIL_RUN_RECORDED_EVERY):
            return job_runs.not_recorded("mail", now, "nothing due")

    def work() -> str:
        sent, errors = 0, []
        for mail_id in mail.due(db.session, now, MAIL_BATCH):
            row = mail.claim(db.session, mail_id, now)
            db.session.commit()
            if row is None:  # another sender took it
                continue
            try:
                mail.send(config, outbox, mail.as_mail(row))
            except mail.MailError as error:
                mail.mark_failed(db.session, row, now, str(error), config)
                errors.append(str(error))
            else:
                mail.mark_sent(db.session, row, now)
                sent += 1
            db.session.commit()
        if errors:
            raise mail.MailError(f"{len(errors)} mail(s) not sent, kept for a retry ({sent} sent): {errors[-1]}")
        return f"{sent} mails sent"
    return _record("mail", now, work)


def run_job(app: Flask, name: str, now: dt.datetime | None = None, *, progress: Progress = silent,
            **options) -> JobRun:
    """Run one job by name; ``progress`` (the CLI's) hears how far the long ones are."""
    now = now or dt.datetime.now(dt.UTC)
    with app.app_context():
        if name == "sweep":
            return sweep(now, progress)
        if name == "publish":
            return publish(now, options.get("week"), options.get("since"), progress)
        if name == "escalate":
            return escalate(now, progress)
        if name == "overdue":
            return overdue_digest(now, config=app.config)
        if name == "mail":
            return send_mail(now, Path(app.instance_path) / "outbox", app.config)
        if name == "cells":
            return cells(now, progress)
        raise KeyError(name)


def last_runs() -> dict[str, JobRun]:
    return job_runs.last_runs(db.session)


# The scheduler stores jobs by reference ("monitor.jobs:scheduled"); the scheduler process
# registers its app here once, so that runs share one engine and its connection pool.
_scheduler_app: Flask | None = None


def use_app(app: Flask) -> None:
    global _scheduler_app
    _scheduler_app = app


def scheduled(name: str) -> None:
    if _scheduler_app is None:
        raise RuntimeError("the scheduler process must call jobs.use_app(app) first")
    run_job(_scheduler_app, name)
