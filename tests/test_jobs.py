"""Scheduled jobs with a controlled clock: the weekly publish, catching up, the sweep."""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pandas as pd
import pytest
from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import func, select

from monitor import jobs, scheduler
from monitor.compliance.indicators import week_of_label
from monitor.extensions import db
from monitor.models import Case, Finding, IndicatorSnapshot, JobRun, Visit
from monitor.services import findings as findings_service, publishing
from monitor.services.context import engine_inputs
from monitor.stores import findings as findings_store
from monitor.stores.findings import analyze_stored
from monitor.tools.synthetic import generate_visits
from services_catalog import load_catalog

from .conftest import findings_and_figures, restore_rows, table_rows

pytestmark = pytest.mark.both_databases

ALMATY = ZoneInfo("Asia/Almaty")


def load_visits(app, catalog_dir, tmp_path, start=dt.date(2026, 3, 2), days=40, visits=1500):
    frame = generate_visits(load_catalog(catalog_dir), visits=visits, start=start, days=days,
                            offices=["OF1", "OF2"], breach_rate=0.15)
    frame.to_csv(tmp_path / "v.csv", index=False)
    result = app.test_cli_runner().invoke(args=["visits", "import", str(tmp_path / "v.csv")])
    assert result.exit_code == 0, result.output


def snapshot_count() -> int:
    return db.session.scalar(select(func.count()).select_from(IndicatorSnapshot))


def test_weekly_publish_fires_on_monday_at_six_almaty_time():
    trigger = scheduler.triggers("Asia/Almaty")["publish"]
    thursday = dt.datetime(2026, 11, 26, 12, 0, tzinfo=ALMATY)
    assert trigger.get_next_fire_time(None, thursday) == dt.datetime(2026, 11, 30, 6, 0, tzinfo=ALMATY)
    monday_early = dt.datetime(2026, 11, 30, 5, 59, tzinfo=ALMATY)
    assert trigger.get_next_fire_time(None, monday_early) == dt.datetime(2026, 11, 30, 6, 0, tzinfo=ALMATY)
    # 06:00 Almaty is 01:00 UTC.
    assert trigger.get_next_fire_time(None, thursday).astimezone(dt.UTC).hour == 1


def test_scheduler_keeps_jobs_in_the_database_with_safe_defaults(app, database_url):
    clock = scheduler.configure(BackgroundScheduler(), app.config["SQLALCHEMY_DATABASE_URI"],
                                "Asia/Almaty")
    clock.start(paused=True)
    try:
        found = {job.id: job for job in clock.get_jobs()}
        assert set(found) == {"sweep", "overdue", "escalate", "publish", "mail", "cells"}
        publish = found["publish"]
        assert publish.coalesce and publish.max_instances == 1 and publish.misfire_grace_time == 3600
        assert publish.next_run_time.weekday() == 0 and publish.next_run_time.hour == 6
        assert str(publish.next_run_time.tzinfo) == "Asia/Almaty"
    finally:
        clock.shutdown(wait=False)
        clock._jobstores["default"].engine.dispose()  # the store's own connection pool


def test_publishing_a_week_twice_changes_nothing(app, loaded_catalog, tmp_path):
    load_visits(app, loaded_catalog, tmp_path)
    monday = dt.datetime(2026, 3, 23, 1, 0, tzinfo=dt.UTC)  # 06:00 Almaty
    assert jobs.publish(monday, week="2026-W12").result == "ok"
    first = publishing.snapshots(db.session)
    assert set(first["week"]) == {"2026-W12"} and len(first) > 0
    run = jobs.publish(monday + dt.timedelta(hours=5), week="2026-W12")
    assert "already published: 2026-W12" in run.message
    again = publishing.snapshots(db.session)
    pd.testing.assert_frame_equal(first, again)


def test_after_three_weeks_of_downtime_each_missed_week_is_published_once(app, loaded_catalog, tmp_path):
    load_visits(app, loaded_catalog, tmp_path)
    monday = dt.datetime(2026, 3, 16, 1, 0, tzinfo=dt.UTC)  # publishes W11 (and the first)
    jobs.publish(monday)
    before = set(publishing.published_weeks(db.session))
    assert "2026-W11" in before and "2026-W12" not in before
    run = jobs.publish(monday + dt.timedelta(weeks=3))  # the scheduler was down for three Mondays
    assert run.message.startswith("published 2026-W12, 2026-W13, 2026-W14")
    weeks = publishing.published_weeks(db.session)
    assert weeks == sorted(set(weeks)) and {"2026-W12", "2026-W13", "2026-W14"} <= set(weeks)
    counts = publishing.snapshots(db.session).groupby(["week", "scope_kind", "scope_value",
                                                       "indicator"]).size()
    assert (counts == 1).all()
    jobs.publish(monday + dt.timedelta(weeks=3, hours=1))
    assert publishing.published_weeks(db.session) == weeks


def test_published_numbers_equal_the_engines(app, loaded_catalog, tmp_path):
    load_visits(app, loaded_catalog, tmp_path)
    jobs.publish(dt.datetime(2026, 3, 30, 1, tzinfo=dt.UTC), week="2026-W13")
    inputs = engine_inputs()
    analysis, _ = analyze_stored(db.session, inputs.frames, inputs.calendar,
                                 pd.Timestamp("2026-04-30", tz="UTC"), inputs.thresholds)
    engine = analysis.indicators(inputs.timezone, "office").set_index(["week", "office"])
    stored = publishing.snapshots(db.session, "office")
    assert len(stored)
    for row in stored.itertuples():
        expected = engine.at[(row.week, row.scope_value), row.indicator]
        if row.indicator in ("complaints", "confirmation_rate", "disputes_per_100_cases"):
            continue  # the engine's stateless run has no complaints and no applicants' answers
        assert (pd.isna(expected) and pd.isna(row.value)) or abs(expected - row.value) < 1e-9, row
    assert week_of_label("2026-W13") == week_of_label(row.week)


def test_the_nightly_sweep_judges_only_what_time_changes_and_stores_what_a_whole_sweep_stores(
        app, loaded_catalog, tmp_path):
    """The nightly job judges the cases open past their due time and those whose OVERDUE_OPEN
    still fires, not the history, and leaves every finding and figure a whole sweep leaves."""
    before, after = dt.datetime(2026, 3, 25, tzinfo=dt.UTC), dt.datetime(2026, 4, 15, tzinfo=dt.UTC)
    log = generate_visits(load_catalog(loaded_catalog), visits=1500, start=dt.date(2026, 3, 2), days=60,
                          offices=["OF1", "OF2"], breach_rate=0.15)
    # Cases accepted in the first days and never closed get their result on 1 April, between
    # the two sweeps: overdue and open at the first, completed (late) at the second.
    in_case = log[log["case_id"] != ""]
    closing = in_case.groupby("case_id")["action"].agg(set).map(lambda done: not done & {"issue", "refuse", "withdraw"})
    early = in_case.groupby("case_id")["called_at"].min() < "2026-03-06"
    late = log[log["case_id"].isin(closing[closing & early].index)].drop_duplicates("case_id").assign(
        visit_id=lambda rows: "LATE-" + rows["case_id"], action="issue", documents_requested="",
        ticket_at="", called_at="2026-04-01T10:00:00", finished_at="2026-04-01T10:10:00")
    pd.concat([log, late]).to_csv(tmp_path / "v.csv", index=False)
    assert app.test_cli_runner().invoke(args=["visits", "import", str(tmp_path / "v.csv")]).exit_code == 0
    inputs = engine_inputs()
    findings_service.sweep(db.session, inputs, before, now=before)
    db.session.commit()
    # Each kind of case the nightly sweep must reach is there: one that falls due between the
    # two sweeps and is still open at the second (open for good, or completed after it), and one
    # whose OVERDUE_OPEN fires at the first and must stop at the second.
    cases = pd.read_sql(select(Case.id, Case.due_at, Case.completed_at, Case.withdrawn_at), db.session.connection())
    firing = set(db.session.scalars(select(Finding.case_pk).where(Finding.rule == "OVERDUE_OPEN",
                                                                  Finding.firing.is_(True))))
    closed = cases["completed_at"].fillna(cases["withdrawn_at"])
    falls_due = cases["due_at"].between(pd.Timestamp(before), pd.Timestamp(after))
    assert (falls_due & closed.isna()).any() and (falls_due & (closed > pd.Timestamp(after))).any()
    assert (cases["id"].isin(firing) & closed.between(pd.Timestamp(before), pd.Timestamp(after))).any()
    earlier = table_rows()

    run = jobs.run_job(app, "sweep", after)
    assert run.result == "ok", run.message
    nightly = findings_and_figures()
    judged = int(run.message.split(" visits")[0])
    assert 0 < judged < db.session.scalar(select(func.count()).select_from(Visit)) / 2

    restore_rows(earlier)
    findings_service.sweep(db.session, inputs, after, now=after)
    db.session.commit()
    whole = findings_and_figures()
    assert nightly == whole
    stopped = [row for row in whole[0] if row[1] == "OVERDUE_OPEN" and not row[4]]
    assert stopped and len(whole[1])


def test_a_failing_job_is_recorded_not_lost(app, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("database went away")
    monkeypatch.setattr(findings_store, "sweep", broken)
    run = jobs.sweep(dt.datetime(2026, 3, 30, tzinfo=dt.UTC))
    assert run.result == "failed" and "database went away" in run.message
    assert db.session.scalar(select(JobRun.result)) == "failed"


def test_jobs_cli(app, loaded_catalog, tmp_path):
    load_visits(app, loaded_catalog, tmp_path, visits=300)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["jobs", "run", "publish", "--week", "2026-W11"])
    assert result.exit_code == 0 and "published 2026-W11" in result.output
    result = runner.invoke(args=["jobs", "run", "sweep"])
    assert result.exit_code == 0 and "sweep: ok" in result.output
    listing = runner.invoke(args=["jobs", "list"]).output
    assert "publish" in listing and "ok at" in listing and "overdue" in listing


def test_publish_since_catches_up_history_imported_before_the_first_publication(app, loaded_catalog, tmp_path):
    """Visits from W10 to W15; W14 was published first, so the ordinary catch-up starts there
    and skips W10-W13 for good. ``--since`` publishes each of them, one progress line a week."""
    load_visits(app, loaded_catalog, tmp_path, visits=400)
    runner = app.test_cli_runner()
    now = "2026-04-13T07:00:00+05:00"  # Monday of W16
    assert runner.invoke(args=["jobs", "run", "publish", "--week", "2026-W14", "--now", now]).exit_code == 0
    assert runner.invoke(args=["jobs", "run", "publish", "--now", now]).exit_code == 0
    assert publishing.published_weeks(db.session) == ["2026-W14", "2026-W15"]  # W10-W13 skipped
    result = runner.invoke(args=["jobs", "run", "publish", "--since", "2026-W01", "--now", now])
    assert result.exit_code == 0, result.output
    assert "published 2026-W10, 2026-W11, 2026-W12, 2026-W13" in result.stdout
    lines = [line for line in result.stderr.splitlines() if line.startswith("publish: ")]
    assert [line.split()[1:3] for line in lines] == [["1/4", "(25%)"], ["2/4", "(50%)"], ["3/4", "(75%)"],
                                                      ["4/4", "(100%)"]]
    assert "2026-W10 published" in lines[0] and "2026-W13 published" in lines[3]
    assert publishing.published_weeks(db.session) == [f"2026-W{n}" for n in range(10, 16)]
    again = runner.invoke(args=["jobs", "run", "publish", "--since", "2026-W01", "--now", now])
    assert again.exit_code == 0 and "published nothing new" in again.stdout
    counts = publishing.snapshots(db.session).groupby(["week", "scope_kind", "scope_value", "indicator"]).size()
    assert (counts == 1).all()


def test_publish_since_refuses_a_week_not_ended_or_with_week(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["jobs", "run", "publish", "--since", "2026-W16", "--now", "2026-04-13T07:00:00+05:00"])
    assert result.exit_code == 2 and "has not ended yet" in result.output
    result = runner.invoke(args=["jobs", "run", "publish", "--since", "2026-W01", "--week", "2026-W02"])
    assert result.exit_code == 2
    assert runner.invoke(args=["jobs", "run", "sweep", "--since", "2026-W01"]).exit_code == 2


def test_a_job_whose_database_went_away_is_tried_again(app, monkeypatch, caplog):
    import logging

    from sqlalchemy.exc import OperationalError

    from monitor import jobs as job_module
    pauses, attempts = [], []
    monkeypatch.setattr(job_module.time, "sleep", pauses.append)

    def work() -> str:
        attempts.append(1)
        if len(attempts) < 3:  # a restart of the database: two attempts fail, the third works
            raise OperationalError("SELECT 1", {}, Exception("server closed the connection unexpectedly"))
        return "done"
    with caplog.at_level(logging.WARNING, logger="monitor.jobs"):
        run = job_module._record("sweep", dt.datetime(2026, 4, 20, tzinfo=dt.UTC), work)
    assert run.result == "ok" and run.message == "done" and pauses == list(job_module.DATABASE_RETRIES[:2])
    assert [r for r in caplog.records if r.exc_info] == []  # one warning per retry, no traceback

    attempts.clear()
    pauses.clear()

    def down() -> str:
        raise OperationalError("SELECT 1", {}, Exception("could not connect to server"))
    run = job_module._record("sweep", dt.datetime(2026, 4, 20, tzinfo=dt.UTC), down)
    assert run.result == "failed" and "could not connect" in run.message
    assert pauses == list(job_module.DATABASE_RETRIES)  # then it gave up, keeping why
