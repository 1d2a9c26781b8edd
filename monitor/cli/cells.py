"""``flask cells refresh``: the weekly indicator cells the reports read."""
from __future__ import annotations

import datetime as dt

import click
from flask.cli import AppGroup

from ..extensions import db
from ..services import indicator_cells
from ..services.context import engine_inputs

cells_cli = AppGroup("cells", help="The weekly indicator cells the reports read.")


@cells_cli.command("refresh")
@click.option("--all", "everything", is_flag=True,
              help="Rebuild every week, and the report's backlog counters, from the stored rows.")
def cells_refresh(everything):
    """Recompute the weeks marked stale (and begin the current week); --all: rebuild every week
    and the backlog counters of "Needs your attention"."""
    inputs = engine_inputs()
    now = dt.datetime.now(dt.UTC)
    if everything:
        weeks = indicator_cells.refresh_all(db.session, inputs, now)
    else:
        weeks = indicator_cells.refresh_due(db.session, inputs, now)
    db.session.commit()
    click.echo(f"{len(weeks)} weeks of indicator cells computed.")
