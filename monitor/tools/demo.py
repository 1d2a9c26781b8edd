"""Demo offices, users and weeks of visits, so that every page has something to show."""
from __future__ import annotations

import datetime as dt
import secrets

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from services_catalog import BUNDLED_CATALOG, load_catalog

from ..compliance import CatalogFrames, frame_from_text, parse_visits
from ..config import rule_thresholds
from ..models import Case, Office, User, Visit
from ..services import indicator_cells, witness
from ..services.context import EngineInputs
from ..services.front_desk import check_code_hash, new_check_code
from ..stores import catalog as catalog_store, findings as findings_store, visits as visit_store
from ..stores.calendar import calendar_from_db
from .synthetic import generate_visits

OFFICES = (
    ("AST-01", "Астана қ. №1 ХҚКО", "ЦОН №1 г. Астаны", "Astana PSC No. 1", "Astana"),
    ("ALA-03", "Алматы қ. Бостандық ауданының ХҚКО", "ЦОН Бостандыкского района г. Алматы",
     "Almaty Bostandyk district PSC", "Almaty"),
    ("KRG-02", "Қарағанды қ. №2 ХҚКО", "ЦОН №2 г. Караганды", "Karaganda PSC No. 2", "Karaganda"),
)


def load_demo(session: Session, config, weeks: int = 6, today: dt.date | None = None) -> str:
    """Create demo data once; a second call changes nothing. Returns what to tell the user."""
    if session.scalar(select(Office).limit(1)) is not None:
        return "Demo data already present: nothing changed."
    lines = []
    if not catalog_store.catalog_from_db(session).services:
        counts = catalog_store.store_catalog(session, load_catalog(BUNDLED_CATALOG), actor="demo")
        lines.append(f"Loaded the bundled catalog: {counts['services']} services.")
    for code, kk, ru, en, region in OFFICES:
        session.add(Office(code=code, name_kk=kk, name_ru=ru, name_en=en, region=region))
    session.flush()

    accounts = [("admin", "admin", None, "Администратор"),
                ("supervisor", "supervisor", None, "Supervisor")]
    accounts += [(f"{code}-S1", "desk", code, f"Desk {code}") for code, *_ in OFFICES]
    lines.append("Demo accounts (shown once; change them before real use):")
    for login, role, office, name in accounts:
        password = secrets.token_urlsafe(9)
        user = User(login=login, full_name=name, role=role, office_code=office,
                    password_hash=generate_password_hash(password))
        if role == "supervisor":
            user.supervised = list(session.scalars(select(Office)))
        session.add(user)
        lines.append(f"  {role:<10} {login:<12} {password}")
    session.flush()

    today = today or dt.date.today()
    catalog = catalog_store.catalog_from_db(session)
    frames = CatalogFrames.from_catalog(catalog)
    timezone = config["MONITOR_TIMEZONE"]
    calendar = calendar_from_db(session, timezone)
    raw = generate_visits(catalog, visits=180 * weeks, start=today - dt.timedelta(weeks=weeks),
                          days=weeks * 7 - 3, offices=[code for code, *_ in OFFICES])
    parsed = parse_visits(frame_from_text(raw, "demo"), frames, timezone)
    now = pd.Timestamp.now(tz="UTC")
    visits = parsed.visits[parsed.visits["finished_at"] < now]
    result = visit_store.import_visits(session, visits, hash_key=config["APPLICANT_HASH_KEY"],
                                       source="demo", frames=frames, calendar=calendar)
    swept = findings_store.sweep(session, frames, calendar, now.to_pydatetime(),
                                 rule_thresholds(config))
    # The weekly indicator cells the reports read, from the demo's rows.
    indicator_cells.refresh_all(session, EngineInputs(frames, calendar, rule_thresholds(config), timezone),
                                now.to_pydatetime())
    lines.append(f"Generated {result.inserted} visits in {result.cases_touched} cases over {weeks} "
                 f"weeks; {swept.added} findings.")
    # Every demo case gets a check code, as a receipt would have given it; one is shown, so
    # that a new user can try the citizens' status page at once.
    example = None
    for case in session.scalars(select(Case).order_by(Case.accepted_at)):
        code = new_check_code()
        case.check_code_hash = check_code_hash(case.case_number, code)
        if case.outcome == "open":
            example = (case.case_number, code)
    if example:
        lines.append(f"Try the citizens' case status (/status): case {example[0]}, check code {example[1]}")
    confirmed, disputed = answer_some_visits(session, EngineInputs(frames, calendar, rule_thresholds(config),
                                                                   timezone))
    lines.append(f"Applicants answered about {confirmed + disputed} visits: {confirmed} confirmed, "
                 f"{disputed} disputed.")
    return "\n".join(lines)


# Applicants' answers (issue 27): about one visit in four; most confirm; at KRG-02 disputes run
# far above the network's, so that the report's funnel flags it although its log is clean.
DISPUTE_EVERY = {"KRG-02": 3}
DISPUTE_EVERY_ELSEWHERE = 14
DISPUTES = (
    witness.GivenAnswer("disputed", typed_documents="Справка с места работы",
                        account="Без справки с работы документы не приняли."),
    witness.GivenAnswer("disputed", told_to_return=True, account="Сказали прийти завтра, возврат не оформили."),
    witness.GivenAnswer("disputed", waited_minutes=75),
    witness.GivenAnswer("disputed", sent_elsewhere=True, account="Отправили в другой ЦОН."),
)


def answer_some_visits(session: Session, inputs: EngineInputs) -> tuple[int, int]:
    """Confirm or dispute about a quarter of the demo cases' visits, as applicants would."""
    confirmed = disputed = 0
    visits = session.execute(select(Visit, Case).join(Case, Visit.case_pk == Case.id)
                             .order_by(Visit.id)).all()
    for number, (visit, case) in enumerate(visits):
        if number % 4:
            continue
        every = DISPUTE_EVERY.get(visit.office_code, DISPUTE_EVERY_ELSEWHERE)
        given = DISPUTES[(number // 4) % len(DISPUTES)] if (number // 4) % every == 0 \
            else witness.GivenAnswer("confirmed")
        witness.record_answer(session, inputs, case, visit.visit_id, given,
                              visit.finished_at + dt.timedelta(hours=2))
        confirmed += given.verdict == "confirmed"
        disputed += given.verdict == "disputed"
    return confirmed, disputed
