"""``flask calendar explain|override|remove-override``: the working-day calendar."""
from __future__ import annotations

import datetime as dt

import click
from flask.cli import AppGroup

from services_catalog import Deadline

from ..calendar import due_at
from ..extensions import db
from ..services import calendar_changes, indicator_cells
from ..services.context import engine_inputs, working_calendar
from .terminal import fail

calendar_cli = AppGroup("calendar", help="The official working-day calendar and its overrides.")


@calendar_cli.command("explain")
@click.argument("accepted", metavar="ACCEPTED_AT")
@click.argument("value", type=int)
@click.argument("unit", type=click.Choice(["working_days", "calendar_days", "hours", "minutes"]))
def calendar_explain(accepted, value, unit):
    """Show the due time of a deadline from ACCEPTED_AT (a date or an ISO time) and the days skipped."""
    try:
        moment = dt.datetime.fromisoformat(accepted)
    except ValueError:
        fail(f"{accepted!r} is not an ISO date or time (e.g. 2026-03-20 or 2026-03-20T10:00)")
    click.echo(due_at(moment, Deadline(value, unit), working_calendar()).explain())


@calendar_cli.command("override")
@click.argument("day", type=click.DateTime(formats=["%Y-%m-%d"]))
@click.option("--working/--off", "is_working", required=True, help="Make the day working or a day off.")
@click.option("--reason", required=True, help="The decree or reason, shown to citizens.")
def calendar_override(day, is_working, reason):
    """Add or replace an override of the official calendar; open cases' due dates follow."""
    refreshed = calendar_changes.override_day(db.session, day.date(), is_working, reason, actor="cli")
    indicator_cells.refresh_stale(db.session, engine_inputs())
    db.session.commit()
    click.echo(f"{day:%Y-%m-%d} is now {'a working day' if is_working else 'a day off'}; "
               f"{refreshed} cases re-timed.")


@calendar_cli.command("remove-override")
@click.argument("day", type=click.DateTime(formats=["%Y-%m-%d"]))
def calendar_remove_override(day):
    """Remove an override; the official calendar applies again to that day."""
    refreshed = calendar_changes.remove_override(db.session, day.date(), actor="cli")
    if refreshed is None:
        fail(f"there is no override on {day:%Y-%m-%d}")
    indicator_cells.refresh_stale(db.session, engine_inputs())
    db.session.commit()
    click.echo(f"Override on {day:%Y-%m-%d} removed; {refreshed} cases re-timed.")
