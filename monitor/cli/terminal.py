"""What every command shares: failing with a message, progress lines on stderr, the time
and the catalog folder given on the command line, and how a visit file was read."""
from __future__ import annotations

import sys
from typing import NoReturn

import click
import pandas as pd

from services_catalog import Catalog, CatalogError, load_catalog

from ..progress import Lines


def progress_lines(label: str, every_percent: int = 10) -> Lines:
    """Progress lines on stderr for a command run at a terminal (never for the web)."""
    return Lines(label, every_percent, echo=lambda text: click.echo(text, err=True))


def fail(message: str) -> NoReturn:
    click.secho(message, fg="red", err=True)
    sys.exit(1)


def load_or_report(folder: str) -> Catalog:
    """The catalog in ``folder``, or every problem on stderr and exit status 1."""
    try:
        return load_catalog(folder)
    except CatalogError as error:
        for problem in error.problems:
            click.echo(f"error: {problem}", err=True)
        fail(f"{len(error.problems)} problem(s): the catalog in {folder} is not valid.")


def as_of(value: str | None, timezone: str) -> pd.Timestamp:
    """``--as-of``/``--now``: an ISO 8601 time, local when it has no offset; default now."""
    if not value:
        return pd.Timestamp.now(tz="UTC")
    try:
        moment = pd.Timestamp(value)
    except ValueError:
        fail(f"--as-of {value!r} is not an ISO 8601 timestamp")
    return moment.tz_localize(timezone) if moment.tzinfo is None else moment


def say_how_read(path: str, raw: pd.DataFrame) -> None:
    """Name the encoding and delimiter found, when they are not the default UTF-8 and commas."""
    read_as = raw.attrs.get("read_as", "")
    if read_as.startswith("CSV") and read_as != "CSV, UTF-8, separated by commas":
        click.echo(f"{path}: read as {read_as}", err=True)
