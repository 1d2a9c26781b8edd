"""Offices: the front desks whose visits are judged. Created by an administrator in the browser
or by ``flask offices create`` (so that a deployment can be scripted), always audited."""
from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import Office, User
from ..stores import audit
from .accounts import AccountError, _l


@dataclass(frozen=True)
class NewOffice:
    code: str
    name_kk: str
    name_ru: str
    name_en: str
    region: str = ""


OFFICE_CODE_LENGTH = 40  # offices.code is VARCHAR(40): a longer one is no office (and PostgreSQL would refuse it)
CODE_PATTERN = rf"[A-Z0-9_-]{{1,{OFFICE_CODE_LENGTH}}}"


def office_exists(session: Session, code: str) -> bool:
    return len(code) <= OFFICE_CODE_LENGTH and session.get(Office, code) is not None


def all_offices(session: Session) -> list[Office]:
    return list(session.scalars(select(Office).order_by(Office.code)))


def offices_seen_by(user: User) -> list[str] | None:
    """The offices whose records (cases, visits, findings, complaints, correction requests)
    the user may see: None for every office (an administrator), the supervised offices of a
    supervisor, a clerk's own office; none for anyone else (a steward keeps services, not offices)."""
    if user.role == "admin":
        return None
    if user.role == "supervisor":
        return sorted(office.code for office in user.supervised)
    if user.role == "desk" and user.office_code:
        return [user.office_code]
    return []


def create_office(session: Session, new: NewOffice, actor: str) -> Office:
    """Add an office; raises AccountError (with words for the page) when it cannot be."""
    if not re.fullmatch(CODE_PATTERN, new.code):
        raise AccountError(_l("an office code has 1 to 40 capital Latin letters, digits, '_' or '-'"))
    if not (new.name_kk.strip() and new.name_ru.strip() and new.name_en.strip()):
        raise AccountError(_l("an office needs its name in Kazakh, Russian and English"))
    if len(new.region) > 120:
        raise AccountError(_l("a region has at most 120 characters"))
    if session.get(Office, new.code) is not None:
        raise AccountError(_l("This code is taken."))
    office = Office(code=new.code, name_kk=new.name_kk.strip(), name_ru=new.name_ru.strip(),
                    name_en=new.name_en.strip(), region=new.region.strip())
    session.add(office)
    audit.record(session, actor, "create", "office", office.code,
                 new={"name_en": office.name_en, "region": office.region}, rows={"office": [office.code]})
    return office
