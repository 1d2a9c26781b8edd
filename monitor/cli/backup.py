"""``flask backup create|restore``: the SQLite database copied and put back."""
from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

from ..extensions import db
from ..tools import backup
from .terminal import fail

backup_cli = AppGroup("backup", help="Back up and restore the SQLite database.")


@backup_cli.command("create")
@click.argument("path", type=click.Path(dir_okay=False))
def backup_create(path):
    """Copy the live SQLite database to PATH (safe while the app runs)."""
    try:
        size = backup.create_backup(db.engine, Path(path))
    except backup.BackupError as error:
        fail(str(error))
    click.echo(f"Backed up to {path} ({size:,} bytes).")


@backup_cli.command("restore")
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def backup_restore(path, yes):
    """Replace the SQLite database with the backup at PATH (stop the app first)."""
    if not yes:
        click.confirm(f"Replace the database with {path}?", abort=True)
    db.session.remove()
    try:
        backup.restore_backup(db.engine, Path(path))
    except backup.BackupError as error:
        fail(str(error))
    click.echo(f"Restored from {path}.")
