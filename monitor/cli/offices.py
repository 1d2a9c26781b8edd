"""``flask offices create|list``: offices, so that a deployment can be scripted."""
from __future__ import annotations

import click
from flask.cli import AppGroup

from ..extensions import db
from ..services import accounts, offices
from .terminal import fail

offices_cli = AppGroup("offices", help="Offices: create and list (so that a deployment can be scripted).")


@offices_cli.command("create")
@click.argument("code")
@click.option("--name-kk", required=True, help="The office's name in Kazakh.")
@click.option("--name-ru", required=True, help="The office's name in Russian.")
@click.option("--name-en", required=True, help="The office's name in English.")
@click.option("--region", default="", help="The region (shown in reports).")
def offices_create(code, name_kk, name_ru, name_en, region):
    """Create an office (audited, as in the browser)."""
    try:
        offices.create_office(db.session, offices.NewOffice(code, name_kk, name_ru, name_en, region), actor="cli")
    except accounts.AccountError as error:
        db.session.rollback()
        fail(f"office {code!r} not created: {error}")
    db.session.commit()
    click.echo(f"Created office {code}.")


@offices_cli.command("list")
def offices_list():
    """Every office: code, region and names."""
    for office in offices.all_offices(db.session):
        click.echo(f"{office.code}\t{office.region}\t{office.name_kk}\t{office.name_ru}\t{office.name_en}")
