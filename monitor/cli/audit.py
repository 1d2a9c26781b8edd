"""``flask audit verify|adopt``: the hash-chained audit trail and the rows it vouches for."""
from __future__ import annotations

import click
from flask.cli import AppGroup

from ..extensions import db
from ..services import audit_trail
from .terminal import fail

audit_cli = AppGroup("audit", help="Verify the hash-chained audit trail and the rows it vouches for.")


@audit_cli.command("verify")
@click.option("--head", help="A published head hash: also prove the records up to it are unchanged.")
def audit_verify(head):
    """In one run: walk the audit chain (name the first record altered, removed or
    inserted), check every head the application stored with a publication (and --head, if
    given) is still in the intact chain, and recompute the digest of every recorded row:
    name each row edited, deleted or inserted behind the application's back."""
    check = audit_trail.verify(db.session, head)
    result, problems = check.chain, check.rows
    if not result.chain_ok:
        click.secho(f"audit trail BROKEN after {result.checked} good records: {result.problem}", fg="red", err=True)
    for head_check in result.heads:
        if head_check.ok:
            click.echo(f"head: {head_check}")
        else:
            click.secho(f"head: {head_check}", fg="red", err=True)
    for problem in problems[:200]:
        click.secho(f"data: {problem}", fg="red", err=True)
    if len(problems) > 200:
        click.secho(f"... and {len(problems) - 200} more rows", fg="red", err=True)
    if not check.ok:
        fail(f"audit verify FAILED: chain {'intact' if result.chain_ok else 'broken'}, "
             f"{len(result.broken_heads)} of {len(result.heads)} head(s) not proven, "
             f"{len(problems)} row problem(s)")
    click.echo(f"audit trail intact: {result.checked} records; {len(result.heads)} head(s) in the chain"
               + (f" (with {head})" if head else "") + "; every recorded row matches its digest")


@audit_cli.command("adopt")
@click.option("--reason", required=True, help="Why rows stored without a digest are vouched for now.")
def audit_adopt(reason):
    """Record the digests of rows stored before row digests existed (after an upgrade), in
    one audit record. Rows already recorded are left as they are."""
    count = audit_trail.adopt_unrecorded(db.session, reason, actor="cli")
    db.session.commit()
    click.echo(f"Adopted {count} rows that had no digest.")
