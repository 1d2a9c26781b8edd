"""Backups of the SQLite database with SQLite's online backup API (safe while in use).

PostgreSQL is backed up with its own tools (``pg_dump``/``pg_restore``, see README).
"""
from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlalchemy.engine import Engine


class BackupError(Exception):
    pass


def _sqlite_path(engine: Engine) -> str:
    if engine.dialect.name != "sqlite" or not engine.url.database or engine.url.database == ":memory:":
        raise BackupError("flask backup works on a SQLite file; for PostgreSQL use pg_dump/pg_restore "
                          "(see README, 'Deploying on PostgreSQL')")
    return engine.url.database


def create_backup(engine: Engine, target: Path) -> int:
    """Copy the live database to ``target``; returns its size in bytes."""
    source = sqlite3.connect(_sqlite_path(engine))
    target.parent.mkdir(parents=True, exist_ok=True)
    destination = sqlite3.connect(target)
    try:
        source.backup(destination)
    finally:
        destination.close()
        source.close()
    return target.stat().st_size


def restore_backup(engine: Engine, backup: Path) -> None:
    """Replace the database's content with the backup's, in one step."""
    if not backup.exists():
        raise BackupError(f"{backup}: no such backup")
    check = sqlite3.connect(f"file:{backup}?mode=ro", uri=True)
    try:
        try:
            healthy = check.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        except sqlite3.DatabaseError:
            healthy = False
        if not healthy:
            raise BackupError(f"{backup} is not a sound SQLite database: nothing restored")
        engine.dispose()  # no pooled connection may hold the database open
        destination = sqlite3.connect(_sqlite_path(engine))
        try:
            check.backup(destination)
        finally:
            destination.close()
    finally:
        check.close()
