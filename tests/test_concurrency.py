"""Several desks saving at once, from separate processes, lose nothing (SQLite WAL and PostgreSQL)."""
from __future__ import annotations

import datetime as dt
import multiprocessing

import pytest
from sqlalchemy import func, select

from monitor.extensions import db
from monitor.models import Case, Visit
from monitor.stores import audit, backlog

from .conftest import TEST_CONFIG
from .test_backlog import old_backlogs

pytestmark = pytest.mark.both_databases

PROCESSES, VISITS_EACH = 4, 8


def desk_worker(database_url: str, login: str, results) -> None:
    """One desk in its own process: saves VISITS_EACH first submits as fast as it can."""
    from monitor import create_app
    from monitor.models import User
    from monitor.services import front_desk
    from monitor.services.context import engine_inputs

    app = create_app({**TEST_CONFIG, "DATABASE_URL": database_url})
    saved = 0
    with app.app_context():
        user = db.session.scalar(select(User).where(User.login == login))
        for number in range(VISITS_EACH):
            called = dt.datetime(2026, 4, 6, 9, tzinfo=dt.UTC) + dt.timedelta(minutes=number)
            draft = front_desk.VisitDraft(
                office_code=user.office_code, staff_id=login, service_code="S1", action="submit",
                documents=("APPLICATION", "MARRIAGE_CERT"), called_at=called,
                finished_at=called + dt.timedelta(minutes=5))
            front_desk.record_visit(db.session, draft, user, engine_inputs(), TEST_CONFIG["APPLICANT_HASH_KEY"],
                                    late_reason="typed in from the paper log")
            db.session.commit()
            saved += 1
        db.session.remove()
        db.engine.dispose()
    results.put(saved)


def test_concurrent_desks_lose_nothing(app, people, loaded_catalog, database_url):
    from werkzeug.security import generate_password_hash

    from monitor.models import User
    for number in range(PROCESSES):
        db.session.add(User(login=f"clerk{number}", role="desk", office_code="OF1",
                            password_hash=generate_password_hash("x")))
    db.session.commit()
    db.session.remove()
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    workers = [context.Process(target=desk_worker, args=(database_url, f"clerk{n}", results))
               for n in range(PROCESSES)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    assert all(worker.exitcode == 0 for worker in workers), [w.exitcode for w in workers]
    saved = sum(results.get(timeout=5) for _ in workers)
    assert saved == PROCESSES * VISITS_EACH
    assert db.session.scalar(select(func.count()).select_from(Visit)) == saved
    assert db.session.scalar(select(func.count()).select_from(Case)) == saved
    assert len(set(db.session.scalars(select(Case.case_number)))) == saved
    result = audit.verify(db.session)
    assert result.ok, result.problem
    # The report's backlog counters, appended to by every desk at once, lost nothing either.
    for offices in (None, ["OF1"]):
        assert backlog.counts(db.session, offices) == old_backlogs(offices)
    assert old_backlogs(None)["awaiting_review"] >= saved  # every case overdue since April
