"""Command-line interface: ``flask catalog|calendar|visits|analyze|findings|jobs|audit|...``,
one module per command group.

Commands parse their arguments, call services (monitor/services), print, and commit once;
they never reach a store or a model (the ``thin-edges`` contract in setup.cfg).
"""
from __future__ import annotations

from flask import Flask


def register_commands(app: Flask) -> None:
    # Imported here: ``monitor.cli.analyze`` is also a Flask plugin command (setup.cfg) that
    # runs without the application, and must not import the other groups' services and stores.
    from .analyze import analyze
    from .audit import audit_cli
    from .backup import backup_cli
    from .calendar import calendar_cli
    from .catalog import catalog_cli
    from .cells import cells_cli
    from .demo import demo_cli
    from .findings import findings_cli
    from .jobs import jobs_cli
    from .offices import offices_cli
    from .scheduler import scheduler_cli
    from .users import users_cli
    from .visits import visits_cli

    for command in (catalog_cli, calendar_cli, visits_cli, findings_cli, demo_cli, jobs_cli, audit_cli, cells_cli,
                    backup_cli, users_cli, offices_cli,
                    scheduler_cli, analyze):
        app.cli.add_command(command)
