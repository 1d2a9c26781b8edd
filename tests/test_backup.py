"""`flask backup create|restore` on SQLite: a restore brings back exactly what was saved."""
from __future__ import annotations

from sqlalchemy import func, select, text

from monitor.extensions import db
from monitor.models import Visit

from .test_import import row, run_import, write_csv


def count_visits() -> int:
    return db.session.scalar(select(func.count()).select_from(Visit))


def test_backup_and_restore(app, loaded_catalog, tmp_path):
    runner = app.test_cli_runner()
    if db.engine.dialect.name != "sqlite":
        result = runner.invoke(args=["backup", "create", str(tmp_path / "b.sqlite3")])
        assert result.exit_code == 1 and "pg_dump" in result.output
        return
    assert run_import(app, write_csv(tmp_path / "v.csv", [row("v1"), row("v2", case_id="C2")])).exit_code == 0
    backup = tmp_path / "backups" / "monitor.sqlite3"
    result = runner.invoke(args=["backup", "create", str(backup)])
    assert result.exit_code == 0 and backup.exists()
    assert run_import(app, write_csv(tmp_path / "w.csv", [row("v3", case_id="C3")])).exit_code == 0
    db.session.execute(text("UPDATE visits SET staff_id = 'tampered'"))
    db.session.commit()
    assert count_visits() == 3
    result = runner.invoke(args=["backup", "restore", str(backup), "--yes"])
    assert result.exit_code == 0, result.output
    assert count_visits() == 2
    assert set(db.session.scalars(select(Visit.staff_id))) == {"st1"}


def test_a_damaged_backup_restores_nothing(app, loaded_catalog, tmp_path):
    if db.engine.dialect.name != "sqlite":
        return  # PostgreSQL uses pg_restore
    damaged = tmp_path / "damaged.sqlite3"
    damaged.write_bytes(b"not a database at all" * 100)
    result = app.test_cli_runner().invoke(args=["backup", "restore", str(damaged), "--yes"])
    assert result.exit_code == 1 and "nothing restored" in result.output
    assert db.session.scalar(text("SELECT count(*) FROM services")) == 3
