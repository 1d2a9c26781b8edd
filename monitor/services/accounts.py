"""Staff accounts: the password policy, creating users, passwords, deactivation, sessions.

One place for these rules, used by ``flask users ...``, the admin pages and the
"change my password" page. Functions flush; the command or request commits.

Password policy after NIST SP 800-63B, section 5.1.1.2 ("Memorized secret verifiers"): at
least 12 characters (the standard's floor is 8; we ask more for staff who see personal data),
no composition rules, not the login (nor containing it), and not in a list of common or expected passwords
shipped with the app (``monitor/data/common-passwords.txt``).
"""
from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from ..models import Office, RelativeDeclaration, Service, User
from ..models.people import ROLES
from ..models.stewardship import stewarded_services
from ..stores import audit

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 200
LOGIN_PATTERN = r"^[A-Za-z0-9_.-]{1,80}$"
# Unknown logins take as long to refuse as a wrong password (no user enumeration).


@lru_cache(maxsize=1)
def _dummy_password_hash() -> str:
    """Hashed once, when first asked for (at the first sign-in of an unknown login), not when a
    process starts: every CLI command, `flask analyze` included, loads this module."""
    return generate_password_hash("not a real password, only for timing")


class AccountError(ValueError):
    """An account operation that cannot be done, with a message that says why.

    ``message`` is an English template with ``%(name)s`` parameters, so that a page can
    show it in the reader's language (``gettext(error.message, **error.parameters)``);
    ``str(error)`` is the English sentence (the CLI)."""

    def __init__(self, message: str, **parameters):
        super().__init__(message % parameters if parameters else message)
        self.message, self.parameters = message, parameters


def _l(text: str) -> str:
    """Marks a message for translation (pybabel extracts ``_l``); translated where it is shown."""
    return text


PASSWORD_TOO_SHORT = _l("a password needs at least %(n)s characters")
PASSWORD_TOO_LONG = _l("a password has at most %(n)s characters")
PASSWORD_HAS_LOGIN = _l("a password may not be or contain the login")
PASSWORD_IS_COMMON = _l("this password is in the list of common passwords")


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    text = resources.files("monitor").joinpath("data/common-passwords.txt").read_text(encoding="utf-8")
    return frozenset(line.strip().casefold() for line in text.splitlines()
                     if line.strip() and not line.startswith("#"))


def password_problem(password: str, login: str = "") -> AccountError | None:
    """Why the password may not be used, or None (NIST SP 800-63B 5.1.1.2)."""
    normalized = unicodedata.normalize("NFKC", password)
    if len(normalized) < MIN_PASSWORD_LENGTH:
        return AccountError(PASSWORD_TOO_SHORT, n=MIN_PASSWORD_LENGTH)
    if len(normalized) > MAX_PASSWORD_LENGTH:
        return AccountError(PASSWORD_TOO_LONG, n=MAX_PASSWORD_LENGTH)
    folded = normalized.casefold()
    name = login.casefold()
    if name and (name == folded or (len(name) >= 3 and name in folded.replace(" ", ""))):
        return AccountError(PASSWORD_HAS_LOGIN)
    if folded in common_passwords() or folded.replace(" ", "") in common_passwords():
        return AccountError(PASSWORD_IS_COMMON)
    return None


def all_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.login)))


def user_by_id(session: Session, user_id: int) -> User | None:
    return session.get(User, user_id)


def session_user(session: Session, user_id: int, version: int) -> User | None:
    """The user a session cookie names, if active and the cookie's session version is theirs
    (a sign-out, a password change or a deactivation bumps it: older cookies load nobody)."""
    user = session.get(User, user_id)
    if user is None or not user.active or (user.session_version or 0) != version:
        return None
    return user


def declare_relative(session: Session, user: User, applicant_key: str, now: dt.datetime | None = None) -> bool:
    """Declare a close relative (clause 2.4.1) by the keyed hash of their IIN; False when the
    user had declared them already (nothing is written)."""
    exists = session.scalar(select(RelativeDeclaration.id).where(
        RelativeDeclaration.user_id == user.id, RelativeDeclaration.applicant_hash == applicant_key))
    if exists is not None:
        return False
    declaration = RelativeDeclaration(user_id=user.id, applicant_hash=applicant_key,
                                      declared_at=now or dt.datetime.now(dt.UTC))
    session.add(declaration)
    session.flush()
    audit.record(session, user.login, "declare", "relative", user.id, rows={"relative_declaration": [declaration.id]})
    return True


def find_user(session: Session, login: str) -> User | None:
    """The account of a login, whatever its case (logins are unique case-insensitively)."""
    return session.scalar(select(User).where(func.lower(User.login) == login.strip().lower()))


def authenticate(session: Session, login: str, password: str) -> User | None:
    """The active user with this login and password, else None.

    An unknown login costs the same hash as a known one, so timing does not tell them apart.
    """
    user = find_user(session, login)
    hashed = user.password_hash if user is not None else _dummy_password_hash()
    matches = check_password_hash(hashed, password)
    if user is None or not user.active or not matches:
        return None
    return user


@dataclass(frozen=True)
class NewUser:
    login: str
    role: str
    password: str
    office_code: str | None = None
    full_name: str = ""
    supervised: tuple[str, ...] = ()
    email: str | None = None
    # A steward's services (codes); none: the whole catalog (services.stewardship).
    stewarded: tuple[str, ...] = ()


def create_user(session: Session, new: NewUser, actor: str) -> User:
    if not re.fullmatch(LOGIN_PATTERN, new.login):
        raise AccountError(_l("a login has 1 to 80 letters, digits, '.', '_' or '-'"))
    if new.role not in ROLES:
        raise AccountError(_l("the role must be one of %(roles)s"), roles=", ".join(ROLES))
    if find_user(session, new.login) is not None:
        raise AccountError(_l("the login “%(login)s” is taken (logins are compared ignoring case)"), login=new.login)
    if new.role == "desk" and not new.office_code:
        raise AccountError(_l("a front-desk user needs an office"))
    codes = ([new.office_code] if new.office_code else []) + list(new.supervised)
    offices = {o.code: o for o in session.scalars(select(Office).where(Office.code.in_(codes)))}
    unknown = [code for code in codes if code not in offices]
    if unknown:
        raise AccountError(_l("no such office: %(codes)s"), codes=", ".join(unknown))
    if new.stewarded and new.role != "steward":
        raise AccountError(_l("only a steward keeps services"))
    known_services = set(session.scalars(select(Service.code).where(Service.code.in_(new.stewarded))))
    unknown_services = sorted(set(new.stewarded) - known_services)
    if unknown_services:
        raise AccountError(_l("no such service: %(codes)s"), codes=", ".join(unknown_services))
    if new.email and not re.fullmatch(r"[^@\s,;<>]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+", new.email):
        raise AccountError(_l("“%(email)s” is not an e-mail address"), email=new.email)
    problem = password_problem(new.password, new.login)
    if problem:
        raise problem
    user = User(login=new.login, full_name=new.full_name, role=new.role, office_code=new.office_code,
                email=new.email or None,
                password_hash=generate_password_hash(new.password),
                supervised=[offices[code] for code in new.supervised])
    session.add(user)
    session.flush()
    if new.stewarded:
        session.execute(stewarded_services.insert(),
                        [{"user_id": user.id, "service_code": code} for code in sorted(set(new.stewarded))])
    audit.record(session, actor, "create", "user", user.login,
                 new={"role": user.role, "office": user.office_code, "supervised": list(new.supervised),
                      **({"services": sorted(set(new.stewarded))} if user.role == "steward" else {})},
                 rows={"user": [user.id]})
    return user


def set_password(session: Session, user: User, password: str, actor: str) -> None:
    """Replace the password; every session of the user ends (they sign in again)."""
    problem = password_problem(password, user.login)
    if problem:
        raise problem
    user.password_hash = generate_password_hash(password)
    end_sessions(user)
    audit.record(session, actor, "set-password", "user", user.login,  # never the password itself
                 rows={"user": [user.id]})


def set_active(session: Session, user: User, active: bool, actor: str) -> None:
    """Deactivate (or reactivate) an account; its sessions end either way."""
    old = user.active
    user.active = active
    end_sessions(user)
    audit.record(session, actor, "update", "user", user.login, old={"active": old}, new={"active": active},
                 rows={"user": [user.id]})


def end_sessions(user: User) -> None:
    """Revoke every session cookie issued to the user so far (ASVS 3.3.1, 3.3.3)."""
    user.session_version = (user.session_version or 0) + 1


def office_recipients(session: Session, office_code: str, copy_to: tuple[str, ...] = ()) -> tuple[str, ...]:
    """E-mail addresses of the office's active desk staff and supervisors, then the copies."""
    staff = session.scalars(select(User).where(User.active.is_(True), User.email.is_not(None)).where(
        or_(User.office_code == office_code, User.supervised.any(Office.code == office_code))))
    # The query asks for users with an address; the filter says so to the type checker.
    return tuple(dict.fromkeys([user.email for user in staff if user.email is not None] + list(copy_to)))
