"""Long commands say how far they are, on stderr, when run from the CLI; the same work run by
the scheduler or the web prints nothing."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from monitor import jobs
from monitor.extensions import db
from monitor.models import Visit
from monitor.progress import Lines
from tests.test_analysis_commands import synthetic_log
from tests.test_jobs import load_visits

AS_OF = "2026-04-30T12:00:00+05:00"


def lines_of(result, label: str) -> list[str]:
    assert result.exit_code == 0, result.output
    return [line for line in result.stderr.splitlines() if line.startswith(f"{label}: ")]


def test_lines_every_tenth_and_at_the_end():
    shown = []
    progress = Lines("work", 10, echo=shown.append)
    for done in range(1, 1001):
        progress(done, 1000)
    # The first step, then one line at each tenth.
    assert [line.split()[1] for line in shown] == ["1/1,000"] + [f"{n * 100:,}/1,000" for n in range(1, 11)]
    progress(3, 3, "a note is always shown")
    assert "a note is always shown" in shown[-1]


def test_long_commands_print_progress_lines(app, loaded_catalog, catalog_dir, tmp_path):
    runner = app.test_cli_runner()
    synthetic_log(catalog_dir, tmp_path / "v.csv", visits=600)
    imported = runner.invoke(args=["visits", "import", str(tmp_path / "v.csv")])
    stored = lines_of(imported, "import: stored visits")
    assert "(100%)" in stored[-2] and "judging the cases" in stored[-1]
    stored_visits = db.session.scalar(select(func.count()).select_from(Visit))
    sweep = lines_of(runner.invoke(args=["findings", "sweep", "--as-of", AS_OF]), "sweep")
    assert f"0/{stored_visits} (0%) stored visits to judge" in sweep[0]
    assert f"{stored_visits:,}/{stored_visits:,} (100%)" in sweep[-1]  # after the last slice of applicants
    refreshed = lines_of(runner.invoke(args=["visits", "refresh"]), "refresh: cases re-timed")
    assert "(100%)" in refreshed[-3] and "local day and week" in refreshed[-2]
    assert "weekly indicator cells" in refreshed[-1]
    assert lines_of(runner.invoke(args=["jobs", "run", "sweep", "--now", AS_OF]), "sweep")
    escalate = lines_of(runner.invoke(args=["jobs", "run", "escalate", "--now", AS_OF]), "escalate")
    assert any("items escalated" in line for line in escalate)
    analyzed = lines_of(runner.invoke(args=["analyze", "--catalog", catalog_dir, "--visits", str(tmp_path / "v.csv"),
                                            "--as-of", AS_OF]), "analyze")
    assert [" ".join(line.split()[:2]) for line in analyzed] == [
        "analyze: reading", "analyze: checking", "analyze: judging", f"analyze: {stored_visits}"]
    assert analyzed[-1].split(",")[0] == f"analyze: {stored_visits} visits judged; writing the results"


def test_jobs_run_by_the_scheduler_print_nothing(app, loaded_catalog, tmp_path, capfd):
    load_visits(app, loaded_catalog, tmp_path, visits=300)
    capfd.readouterr()
    now = dt.datetime(2026, 4, 13, 2, tzinfo=dt.UTC)
    for name in ("publish", "sweep", "escalate"):
        assert jobs.run_job(app, name, now).result == "ok"
    assert "publish: " not in capfd.readouterr().err
