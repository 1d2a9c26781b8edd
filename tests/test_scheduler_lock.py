"""One scheduler per deployment: a second one stands by and takes over when the first stops."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, make_url, select, text

from monitor.extensions import db
from monitor.models import JobRun
from monitor.scheduler import SchedulerLock

pytestmark = pytest.mark.both_databases

ROOT = Path(__file__).resolve().parent.parent


def test_one_lock_holder_at_a_time(app, database_url):
    first, second = SchedulerLock(database_url), SchedulerLock(database_url)
    try:
        assert first.try_acquire() and first.still_held()
        assert not second.try_acquire() and not second.held
        first.release()
        assert second.try_acquire()
    finally:
        first.release()
        second.release()


def test_a_lock_lost_with_its_database_session_is_noticed(app, database_url):
    lock = SchedulerLock(database_url)
    assert lock.try_acquire()
    try:
        if make_url(database_url).get_backend_name() == "postgresql":
            holder = lock.connection.execute(text("SELECT pg_backend_pid()")).scalar()
            killer = create_engine(make_url(database_url).set(database="postgres"), isolation_level="AUTOCOMMIT")
            with killer.connect() as connection:  # a database restart ends the session that held the lock
                connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": holder})
            killer.dispose()
            assert not lock.still_held()
            other = SchedulerLock(database_url)
            assert other.try_acquire()  # the lock is free again: a standby takes over
            other.release()
        else:  # a file lock lives as long as the process: nothing can take it away
            assert lock.still_held()
    finally:
        lock.release()


def _publish_runs() -> int:
    db.session.rollback()  # see what the scheduler processes committed
    return db.session.scalar(select(func.count()).select_from(JobRun).where(JobRun.job == "publish"))


def _wait_for(condition, seconds: float = 90) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.3)
    return False


def test_two_schedulers_run_each_job_once_and_the_standby_takes_over(app, database_url, tmp_path):
    environment = {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": "test", "APPLICANT_HASH_KEY": "test",
                   "MONITOR_INSTANCE_PATH": str(tmp_path)}
    command = [sys.executable, "-m", "flask", "--app", "wsgi", "scheduler", "run", "--check-seconds", "0.5"]
    outputs = [open(tmp_path / f"scheduler-{n}.log", "w") for n in (1, 2)]
    first = subprocess.Popen(command, cwd=ROOT, env=environment, stdout=outputs[0], stderr=subprocess.STDOUT)
    second = None
    try:
        assert _wait_for(lambda: _publish_runs() == 1), \
            f"the first scheduler never ran its catch-up: {(tmp_path / 'scheduler-1.log').read_text()[-3000:]}"
        second = subprocess.Popen(command, cwd=ROOT, env=environment, stdout=outputs[1], stderr=subprocess.STDOUT)
        time.sleep(8)  # time enough to start, and to run a catch-up were it not standing by
        assert _publish_runs() == 1 and second.poll() is None
        first.send_signal(signal.SIGTERM)
        first.wait(timeout=30)
        assert _wait_for(lambda: _publish_runs() == 2), "the standby never took over"
    finally:
        for process in (first, second):
            if process is not None and process.poll() is None:
                process.send_signal(signal.SIGTERM)
                process.wait(timeout=30)
        for output in outputs:
            output.close()
    assert "standing by" in (tmp_path / "scheduler-2.log").read_text()
