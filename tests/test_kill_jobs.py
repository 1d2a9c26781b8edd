"""kill -9 of a real sweep and a real publish, mid-way: the database is exactly as it was (issue 22).

Each job is one transaction: its findings or snapshots, its job_runs row and their audit records
are committed together or not at all. On PostgreSQL the test holds the audit chain's advisory
lock, so the job is stopped *after* it has written its rows and is waiting to extend the chain;
on SQLite the test watches the database's write lock and kills the job once it holds it.
"""
from __future__ import annotations

import datetime as dt
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import create_engine, make_url, text

from monitor.extensions import db
from monitor.tools.synthetic import generate_visits
from services_catalog import load_catalog

from .conftest import TEST_CONFIG, restore_rows, table_rows

pytestmark = pytest.mark.both_databases

ROOT = Path(__file__).resolve().parent.parent
AUDIT_LOCK = 7202611  # monitor.stores.audit.record: one writer at a time extends the chain


def everything() -> dict[str, pd.DataFrame]:
    """Every row of every table, in primary-key order."""
    db.session.rollback()
    tables = {}
    for table in db.metadata.sorted_tables:
        order = list(table.primary_key.columns)
        tables[table.name] = pd.read_sql(table.select().order_by(*order), db.session.connection())
    db.session.rollback()
    return tables


def assert_same(before: dict[str, pd.DataFrame], after: dict[str, pd.DataFrame]) -> None:
    assert before.keys() == after.keys()
    for name in before:
        pd.testing.assert_frame_equal(before[name], after[name], obj=name)


def audit_verify_passes(app) -> None:
    result = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 0, result.output
    assert "audit trail intact" in result.output


def job_command(database_url: str, *args: str) -> tuple[list[str], dict]:
    env = {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": TEST_CONFIG["SECRET_KEY"],
           "APPLICANT_HASH_KEY": TEST_CONFIG["APPLICANT_HASH_KEY"]}
    return [sys.executable, "-m", "flask", "--app", "wsgi", *args], env


class Writing:
    """Tells when another process is in the middle of a write transaction."""

    def __init__(self, database_url: str):
        url = make_url(database_url)
        self.sqlite = url.get_backend_name() == "sqlite"
        if self.sqlite:
            self.path = url.database
        else:
            self.engine = create_engine(url, isolation_level="AUTOCOMMIT")
            self.connection = self.engine.connect()
            # Held by the test: a job that reaches the audit chain waits here, its rows written.
            self.connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": AUDIT_LOCK})

    def started(self, pid: int, tables: tuple[str, ...]) -> bool:
        if self.sqlite:
            probe = sqlite3.connect(self.path, timeout=0, isolation_level=None)
            try:
                probe.execute("BEGIN IMMEDIATE")
                probe.execute("ROLLBACK")
                return False
            except sqlite3.OperationalError as error:  # another connection holds the write lock
                assert "locked" in str(error) or "busy" in str(error), error
                return True
            finally:
                probe.close()
        backend = self.connection.execute(text(
            "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND objid = :key AND NOT granted "
            "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"),
            {"key": AUDIT_LOCK}).scalar()
        if backend is None:
            return False
        written = self.connection.execute(text(
            "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
            "WHERE l.pid = :pid AND l.mode = 'RowExclusiveLock' AND l.granted AND c.relname = ANY(:tables)"),
            {"pid": backend, "tables": list(tables)}).scalar()
        assert written, f"the job waits for the audit chain without having written {tables}"
        return True

    def close(self) -> None:
        if not self.sqlite:
            self.connection.close()
            self.engine.dispose()


def kill_mid_way(database_url: str, args: tuple[str, ...], tables: tuple[str, ...]) -> None:
    command, env = job_command(database_url, *args)
    writing = Writing(database_url)
    try:
        with subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True) as process:
            deadline = time.monotonic() + 120
            caught = False
            while process.poll() is None and time.monotonic() < deadline:
                if writing.started(process.pid, tables):
                    process.send_signal(signal.SIGKILL)
                    caught = True
                    break
                time.sleep(0.002)
            if not caught:  # never left waiting for the lock this test holds
                process.kill()
            output, errors = process.communicate(timeout=60)
    finally:
        writing.close()
    assert caught, f"the job ended before it was caught writing: {output}{errors[-2000:]}"
    assert process.returncode == -signal.SIGKILL
    assert ": ok:" not in output


def run_to_completion(database_url: str, *args: str) -> str:
    command, env = job_command(database_url, *args)
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr[-3000:]
    return done.stdout


# The import is done once per database and kept as rows; each later test starts from exactly
# those rows (the import takes seconds, a restore a fraction of one).
_IMPORTED: dict[str, dict] = {}


@pytest.fixture
def imported(app, loaded_catalog, tmp_path, database_url):
    """Weeks of visits, imported (and swept as of today) by the import command."""
    if database_url in _IMPORTED:
        restore_rows(_IMPORTED[database_url])
        return app
    catalog = load_catalog(loaded_catalog)
    visits = generate_visits(catalog, visits=20_000, start=dt.date(2026, 4, 6), days=30, offices=["OF1", "OF2"])
    path = tmp_path / "visits.csv"
    visits.to_csv(path, index=False)
    result = app.test_cli_runner().invoke(args=["visits", "import", str(path)])
    assert result.exit_code == 0, result.output
    db.session.commit()
    _IMPORTED[database_url] = table_rows()
    return app


def test_a_sweep_killed_mid_way_changes_nothing(imported, database_url):
    # As of an earlier day, many OVERDUE_OPEN findings stop firing and other findings change:
    # the sweep has thousands of rows to write.
    before = everything()
    assert len(before["findings"]) > 1000 and len(before["audit_records"]) > 0
    kill_mid_way(database_url, ("jobs", "run", "sweep", "--now", "2026-04-22T12:00"), ("findings",))
    assert_same(before, everything())
    audit_verify_passes(imported)

    kill_mid_way(database_url, ("findings", "sweep", "--as-of", "2026-04-22T12:00"), ("findings",))
    assert_same(before, everything())
    audit_verify_passes(imported)

    output = run_to_completion(database_url, "jobs", "run", "sweep", "--now", "2026-04-22T12:00")
    assert "sweep: ok:" in output and "no longer firing" in output
    after = everything()
    assert (~after["findings"]["firing"].astype(bool)).sum() > (~before["findings"]["firing"].astype(bool)).sum()
    assert list(after["job_runs"]["result"]) == ["ok"]
    audit_verify_passes(imported)


@pytest.mark.parametrize("week", [None, "2026-W16"])
def test_a_publish_killed_mid_way_changes_nothing(imported, database_url, week):
    before = everything()
    assert before["indicator_snapshots"].empty
    args = ("jobs", "run", "publish", "--now", "2026-05-20T12:00") + (("--week", week) if week else ())
    kill_mid_way(database_url, args, ("indicator_snapshots", "job_runs"))
    assert_same(before, everything())
    audit_verify_passes(imported)

    output = run_to_completion(database_url, *args)
    assert "publish: ok: published 2026-W" in output
    after = everything()
    assert not after["indicator_snapshots"].empty
    assert list(after["job_runs"]["result"]) == ["ok"]
    audit_verify_passes(imported)


def test_a_job_is_one_transaction_with_its_run_and_their_records(app, loaded_catalog, tmp_path, monkeypatch):
    """The moment a kill is hardest to catch in a real process: the job's work is done and its
    run is being recorded. Nothing of the work may be committed by then."""
    from monitor import jobs
    from monitor.models import IndicatorSnapshot, JobRun
    from monitor.stores import audit

    from .test_import import count, row, run_import, write_csv

    assert run_import(app, write_csv(tmp_path / "v.csv", [row("v1"), row("v2", case_id="C2")])).exit_code == 0
    db.session.commit()
    before = everything()
    record = audit.record

    def killed_while_recording_the_run(session, actor, action, *args, **kwargs):
        if action == "run":
            raise KeyboardInterrupt  # not an Exception: nothing catches it, as nothing catches SIGKILL
        return record(session, actor, action, *args, **kwargs)

    monkeypatch.setattr(audit, "record", killed_while_recording_the_run)
    with pytest.raises(KeyboardInterrupt):
        jobs.run_job(app, "publish", dt.datetime(2026, 4, 20, tzinfo=dt.UTC), week="2026-W15")
    db.session.rollback()
    assert_same(before, everything())

    monkeypatch.setattr(audit, "record", record)
    run = jobs.run_job(app, "publish", dt.datetime(2026, 4, 20, tzinfo=dt.UTC), week="2026-W15")
    assert run.result == "ok", run.message
    assert count(IndicatorSnapshot) > 0 and count(JobRun) == 1
    audit_verify_passes(app)
