"""``flask users create|set-password|deactivate``: staff accounts."""
from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

from ..extensions import db
from ..services import accounts
from .terminal import fail

users_cli = AppGroup("users", help="Staff accounts: create, set a password, deactivate.")


def _new_password(login: str, from_stdin: bool = False) -> str:
    """Asked twice, never echoed, never an argument (it would stay in the shell history);
    or, for scripts, the first line of standard input (``--password-stdin``)."""
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        problem = accounts.password_problem(password, login)
        if problem is not None:
            fail(f"password not accepted: {problem}")
        return password
    while True:
        password = click.prompt("Password", hide_input=True, confirmation_prompt="Repeat the password")
        problem = accounts.password_problem(password, login)
        if problem is None:
            return password
        click.echo(f"error: {problem}; try another.", err=True)
        if not sys.stdin.isatty():
            fail("password not accepted")


def _user(login: str):
    user = accounts.find_user(db.session, login)
    if user is None:
        fail(f"no user {login!r}")
    return user


@users_cli.command("create")
@click.argument("login")
@click.option("--role", type=click.Choice(["admin", "supervisor", "desk", "steward"]), required=True)
@click.option("--office", "office_code", help="The office of a front-desk user.")
@click.option("--supervises", multiple=True, help="An office a supervisor oversees (repeatable).")
@click.option("--keeps", "stewarded", multiple=True,
              help="A service code a steward keeps (repeatable; none: the whole catalog).")
@click.option("--name", "full_name", default="", help="Full name, shown in the audit trail.")
@click.option("--email", help="Where the overdue digest and escalations are sent.")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of standard input.")
def users_create(login, role, office_code, supervises, stewarded, full_name, email, password_stdin):
    """Create a staff account; the password is asked twice (or read with --password-stdin)."""
    if accounts.find_user(db.session, login) is not None:
        fail(f"the login {login!r} is taken (logins are compared ignoring case)")
    password = _new_password(login, password_stdin)
    try:
        accounts.create_user(db.session, accounts.NewUser(
            login=login, role=role, password=password, office_code=office_code, full_name=full_name,
            supervised=tuple(supervises), email=email, stewarded=tuple(stewarded)), actor="cli")
    except accounts.AccountError as error:
        db.session.rollback()
        fail(str(error))
    db.session.commit()
    click.echo(f"Created {role} {login}" + (f" at office {office_code}" if office_code else "") + ".")


@users_cli.command("set-password")
@click.argument("login")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of standard input.")
def users_set_password(login, password_stdin):
    """Set a new password (asked twice, or read with --password-stdin); the user's sessions end."""
    user = _user(login)
    accounts.set_password(db.session, user, _new_password(user.login, password_stdin), actor="cli")
    db.session.commit()
    click.echo(f"Password of {user.login} changed; their sessions are signed out.")


@users_cli.command("deactivate")
@click.argument("login")
def users_deactivate(login):
    """Deactivate an account: it can no longer sign in and its sessions end."""
    user = _user(login)
    accounts.set_active(db.session, user, False, actor="cli")
    db.session.commit()
    click.echo(f"{user.login} deactivated.")
