"""``flask demo load``: demo offices, users and visits for trying the app."""
from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from .. import jobs
from ..extensions import db
from ..tools import demo

demo_cli = AppGroup("demo", help="Demo offices, users and visits for trying the app.")


@demo_cli.command("load")
@click.option("--weeks", default=6, show_default=True, help="Weeks of visits to generate.")
def demo_load(weeks):
    """Load the bundled catalog, demo offices and users, and weeks of realistic visits (once)."""
    report = demo.load_demo(db.session, current_app.config, weeks=weeks)
    db.session.commit()
    click.echo(report)
    if not report.startswith("Demo data already present"):
        run = jobs.run_job(current_app._get_current_object(), "publish")
        click.echo(f"Weekly indicators: {run.message}")
        run = jobs.run_job(current_app._get_current_object(), "escalate")
        click.echo(f"Accountability clock: {run.message}")
