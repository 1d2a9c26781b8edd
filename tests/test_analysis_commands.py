"""`flask analyze` (stateless) and `flask findings sweep|export` (on the database) agree."""
from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pandas as pd
from sqlalchemy import func, select, update

from monitor.compliance import INDICATORS
from monitor.extensions import db
from monitor.models import Finding
from monitor.tools.synthetic import generate_visits
from services_catalog import load_catalog

AS_OF = "2026-06-15T12:00"


def synthetic_log(catalog_dir, path, visits=3000):
    frame = generate_visits(load_catalog(catalog_dir), visits=visits, start=dt.date(2026, 3, 2),
                            days=70, offices=["OF1", "OF2", "OF3"], breach_rate=0.15)
    frame.to_csv(path, index=False)
    return frame


def invoke(app, *args):
    result = app.test_cli_runner().invoke(args=[str(a) for a in args])
    assert result.exit_code == 0, result.output
    return result


def test_analyze_needs_no_database_and_writes_the_spec_columns(app, catalog_dir, tmp_path):
    synthetic_log(catalog_dir, tmp_path / "visits.csv")
    invoke(app, "analyze", "--catalog", catalog_dir, "--visits", tmp_path / "visits.csv",
           "--as-of", AS_OF, "--findings", tmp_path / "f.csv", "--indicators", tmp_path / "i.csv")
    findings = pd.read_csv(tmp_path / "f.csv", dtype=str, keep_default_na=False)
    assert list(findings.columns) == ["case_id", "visit_id", "rule", "clause", "severity", "detail"]
    assert set(findings["rule"]) >= {"EXTRA_DOCUMENT", "STATE_SYSTEM_DOCUMENT", "DEADLINE_MISSED",
                                     "QUEUE_WAIT_EXCEEDED", "SERVICE_TIME_EXCEEDED"}
    assert (findings.loc[findings["rule"] == "DEADLINE_MISSED", "visit_id"] == "").all()
    indicators = pd.read_csv(tmp_path / "i.csv")
    assert list(indicators.columns) == ["week"] + INDICATORS
    weeks = list(indicators["week"])
    assert weeks == sorted(weeks) and len(weeks) == len(set(weeks))
    assert indicators["complaints"].isna().all()  # stateless analysis knows no complaints


# Run as the installed ``flask`` command, then list which parts of the application got imported.
FLASK_THEN_MODULES = """
import json, runpy, sys
sys.argv = ["flask", *sys.argv[1:]]
try:
    runpy.run_module("flask", run_name="__main__")
except SystemExit as done:
    code = done.code or 0
print(json.dumps({"code": code, "loaded": sorted(m for m in sys.modules if m.startswith(
    ("monitor.views", "monitor.stores", "monitor.models", "flask_migrate", "alembic", "flask_sqlalchemy")))}))
"""


def test_flask_analyze_runs_without_creating_the_application(catalog_dir, tmp_path):
    """A stateless analysis does no application start-up work: `flask analyze` is a plugin
    command (setup.cfg), so Flask never creates the app, its database, views or migrations,
    and it writes the same files as the application's own command."""
    import json
    import subprocess  # nosec B404 - our own interpreter, no shell
    import sys

    synthetic_log(catalog_dir, tmp_path / "visits.csv")
    arguments = ["analyze", "--catalog", str(catalog_dir), "--visits", str(tmp_path / "visits.csv"),
                 "--as-of", AS_OF]
    ran = subprocess.run([sys.executable, "-c", FLASK_THEN_MODULES, "--app", "wsgi", *arguments,  # nosec B603
                          "--findings", str(tmp_path / "plugin.csv"), "--indicators", str(tmp_path / "plugin-i.csv")],
                         capture_output=True, text=True, cwd=Path(__file__).resolve().parent.parent,
                         env={**os.environ, "DATABASE_URL": "sqlite:////nonexistent/folder/never.sqlite3"})
    outcome = json.loads(ran.stdout.strip().splitlines()[-1])
    assert outcome == {"code": 0, "loaded": []}, ran.stderr[-2000:]
    from monitor import create_app
    app = create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'unused.sqlite3'}", "SECRET_KEY": "x",
                      "APPLICANT_HASH_KEY": os.environ.get("APPLICANT_HASH_KEY") or "x"})
    invoke(app, *arguments, "--findings", tmp_path / "app.csv", "--indicators", tmp_path / "app-i.csv")
    assert (tmp_path / "plugin.csv").read_bytes() == (tmp_path / "app.csv").read_bytes()
    assert (tmp_path / "plugin-i.csv").read_bytes() == (tmp_path / "app-i.csv").read_bytes()


def test_analyze_scope_adds_a_column_and_a_row_per_week_and_value(app, catalog_dir, tmp_path):
    log = synthetic_log(catalog_dir, tmp_path / "visits.csv")
    invoke(app, "analyze", "--catalog", catalog_dir, "--visits", tmp_path / "visits.csv",
           "--as-of", AS_OF, "--indicators", tmp_path / "i.csv", "--scope", "office")
    network = tmp_path / "n.csv"
    invoke(app, "analyze", "--catalog", catalog_dir, "--visits", tmp_path / "visits.csv",
           "--as-of", AS_OF, "--indicators", network)
    scoped = pd.read_csv(tmp_path / "i.csv")
    assert list(scoped.columns) == ["week", "office"] + INDICATORS
    assert len(scoped) == len(pd.read_csv(network)) * log["office_code"].nunique()
    # Counts add up across offices to the network's.
    by_week = scoped.groupby("week")[["cases_accepted", "cases_completed", "overdue_open"]].sum()
    whole = pd.read_csv(network).set_index("week")[["cases_accepted", "cases_completed", "overdue_open"]]
    pd.testing.assert_frame_equal(by_week, whole)


def test_analyze_lists_bad_rows_and_judges_the_rest(app, catalog_dir, tmp_path):
    log = synthetic_log(catalog_dir, tmp_path / "visits.csv", visits=200)
    log.loc[3, "action"] = "stamp"
    log.to_csv(tmp_path / "visits.csv", index=False)
    result = app.test_cli_runner().invoke(args=[
        "analyze", "--catalog", str(catalog_dir), "--visits", str(tmp_path / "visits.csv"),
        "--as-of", AS_OF, "--findings", str(tmp_path / "f.csv")])
    assert result.exit_code == 0
    assert "line 5, column action: unknown action stamp" in result.output
    assert f"{len(log) - 1} visits" in result.output


def test_sweep_stores_the_same_findings_as_analyze(app, loaded_catalog, tmp_path):
    synthetic_log(loaded_catalog, tmp_path / "visits.csv")
    invoke(app, "visits", "import", tmp_path / "visits.csv")
    invoke(app, "findings", "sweep", "--as-of", AS_OF)
    invoke(app, "findings", "export", tmp_path / "stored.csv")
    invoke(app, "analyze", "--catalog", loaded_catalog, "--visits", tmp_path / "visits.csv",
           "--as-of", AS_OF, "--findings", tmp_path / "stateless.csv")
    key = ["case_id", "visit_id", "rule", "clause", "severity", "detail"]
    stored = pd.read_csv(tmp_path / "stored.csv", dtype=str, keep_default_na=False)[key]
    stateless = pd.read_csv(tmp_path / "stateless.csv", dtype=str, keep_default_na=False)[key]
    assert len(stateless) > 50
    pd.testing.assert_frame_equal(stored.sort_values(key).reset_index(drop=True),
                                  stateless.sort_values(key).reset_index(drop=True))


def test_a_second_sweep_never_duplicates_and_keeps_reviews(app, loaded_catalog, tmp_path):
    synthetic_log(loaded_catalog, tmp_path / "visits.csv", visits=600)
    invoke(app, "visits", "import", tmp_path / "visits.csv")
    invoke(app, "findings", "sweep", "--as-of", AS_OF)
    first = db.session.scalar(select(func.count()).select_from(Finding))
    reviewed = db.session.scalar(select(Finding.id).order_by(Finding.id).limit(1))
    db.session.execute(update(Finding).where(Finding.id == reviewed)
                       .values(review_status="dismissed", review_note="checked"))
    db.session.commit()
    result = invoke(app, "findings", "sweep", "--as-of", AS_OF)
    assert "0 new findings" in result.output and "0 no longer firing" in result.output
    assert db.session.scalar(select(func.count()).select_from(Finding)) == first
    assert db.session.get(Finding, reviewed).review_status == "dismissed"


def test_sweep_as_of_earlier_marks_overdue_findings_that_no_longer_hold(app, loaded_catalog, tmp_path):
    synthetic_log(loaded_catalog, tmp_path / "visits.csv", visits=600)
    invoke(app, "visits", "import", tmp_path / "visits.csv")
    invoke(app, "findings", "sweep", "--as-of", "2026-12-31T00:00")
    overdue = select(func.count()).where(Finding.rule == "OVERDUE_OPEN")
    overdue_late = db.session.scalar(overdue.where(Finding.firing.is_(True)))
    result = invoke(app, "findings", "sweep", "--as-of", "2026-03-03T00:00")
    overdue_early = db.session.scalar(overdue.where(Finding.firing.is_(True)))
    assert overdue_late > overdue_early
    assert f"{overdue_late - overdue_early} no longer firing" in result.output
    # Findings are evidence: none was deleted, each is marked with when and why.
    assert db.session.scalar(overdue) == overdue_late
    cleared = db.session.scalars(select(Finding).where(Finding.firing.is_(False))).all()
    assert len(cleared) == overdue_late - overdue_early
    assert all(f.cleared_cause == "sweep" and "2026-03-02T19:00" in f.cleared_reason for f in cleared)
    # Swept later again, they fire again (kept ids) and the export shows them once more.
    again = invoke(app, "findings", "sweep", "--as-of", "2026-12-31T00:00")
    assert "0 new findings" in again.output
    assert db.session.scalar(overdue.where(Finding.firing.is_(True))) == overdue_late
