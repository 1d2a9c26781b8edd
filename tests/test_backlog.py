"""The report's "Needs your attention" backlogs are stored counters (stores.backlog), kept exact
by every writer of findings: after every kind of change they equal the old count over every
finding nobody has closed or dismissed, for the network, one office and an area, on both
databases (the ``app`` fixture runs each test on SQLite and, with TEST_DATABASE_URL, on
PostgreSQL).

The history is built by the writers only (imports and a sweep): nothing here rebuilds the
counters before they are compared, except the step that checks ``flask cells refresh --all``.
"""
from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import case, func, or_, select

from monitor import jobs
from monitor.extensions import db
from monitor.models import Case, Finding, FindingBacklog, Visit
from monitor.services import reports
from monitor.stores import backlog

from .catalogs import default_services, service, version, write_catalog
from .conftest import restore_rows, table_rows
from .test_desk import RELATIVE_IIN, visit_form
from .test_evidence import approve_pending, post_correction, times
from .test_import import row, run_import, write_csv
from .test_week_store import load

pytestmark = pytest.mark.both_databases

AREAS = (None, ["OF1"], ["OF2"], ["OF3"], ["OF1", "OF3"])
WEEK = "2026-W15"


def old_backlogs(offices: list[str] | None) -> dict[str, int]:
    """The report's query before the counters (the oracle, kept only here): every finding
    nobody has closed or dismissed, joined to its visit and case, counted per backlog."""
    def counted(condition):
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)
    waiting = Finding.firing.is_(True) & (Finding.review_status == "open")
    query = select(counted(Finding.firing.is_(False)), counted(waiting),
                   counted(waiting & (Finding.severity == "high")),
                   counted(waiting & Finding.cleared_at.is_not(None))).select_from(Finding)
    if offices is not None:
        query = (query.outerjoin(Visit, Finding.visit_pk == Visit.id).outerjoin(Case, Finding.case_pk == Case.id)
                 .where(or_(Visit.office_code.in_(offices), Case.office_code.in_(offices))))
    values = db.session.execute(query.where(Finding.review_status.in_(("open", "confirmed")))).one()
    return dict(zip(("no_longer_firing_unreviewed", "awaiting_review", "awaiting_review_high", "held"),
                    (int(v) for v in values)))


def check(what: str) -> dict[str, int]:
    """The report's counts equal the oracle's for the network, each office and an area;
    returns the network's."""
    db.session.commit()
    db.session.expire_all()
    for offices in AREAS:
        counts = reports.evidence_counts(db.session, offices, WEEK, "Etc/GMT-5")
        got = {name: getattr(counts, name) for name in backlog.BACKLOGS}
        assert got == old_backlogs(offices), (what, offices)
    return old_backlogs(None)


_BUILT: dict[str, dict] = {}


@pytest.fixture
def built(app, client, login, loaded_catalog, tmp_path, people, database_url):
    """The history of tests/test_week_store.py (two offices and a third seen once), imported
    and swept: the counters written by those writers alone."""
    if database_url in _BUILT:
        restore_rows(_BUILT[database_url])
        return tmp_path
    load(app, loaded_catalog, tmp_path)
    _BUILT[database_url] = table_rows()
    return tmp_path


def test_the_backlogs_equal_a_count_of_every_open_finding_after_every_kind_of_change(
        app, client, login, built, loaded_catalog):
    runner = app.test_cli_runner()
    network = check("built")
    assert network["awaiting_review"] > 0 and network["awaiting_review_high"] > 0

    # A desk save with a document the rules do not provide for, saved anyway.
    login("desk1")
    saved = client.post("/desk/visits/new", data=visit_form(other_documents="Salary certificate",
                                                            override_reason="the applicant insisted"))
    assert saved.status_code == 302, saved.get_data(as_text=True)
    receipt = client.get(saved.headers["Location"]).get_data(as_text=True)
    number = re.search(r'id="case-number">([^<]+)<', receipt).group(1)
    code = re.search(r'id="check-code">([A-Z0-9]{6})<', receipt).group(1)
    check("desk save")

    # A visit of a declared relative, saved anyway: the desk's conflict-of-interest finding.
    assert client.post("/desk/relatives", data={"iin": RELATIVE_IIN}).status_code == 302
    saved = client.post("/desk/visits/new", data=visit_form(applicant_ref=RELATIVE_IIN,
                                                            override_reason="no colleague on shift"))
    assert saved.status_code == 302, saved.get_data(as_text=True)
    assert db.session.scalar(select(Finding.id).where(Finding.rule == "CONFLICT_OF_INTEREST")) is not None
    check("a conflict of interest")

    # A withdrawal of the overdue case, saved past the warning: its OVERDUE_OPEN is held.
    withdraw = visit_form(action="withdraw", case_number=number, documents=[], **times())
    response = client.post("/desk/visits/new", data={**withdraw, "override_reason": "the applicant asked, in writing"})
    assert response.status_code == 302, response.get_data(as_text=True)
    assert check("a finding held by a desk action")["held"] == 1

    # The applicant disputes the visit, then changes their answer, then disputes again.
    client.post("/logout")
    visit_id = db.session.scalar(select(Visit.visit_id).join(Case, Visit.case_pk == Case.id).where(
        Case.case_number == number, Visit.action == "submit"))
    dispute = {"form": "v0-", "v0-visit_id": visit_id, "v0-verdict": "disputed", "v0-typed_documents": "Photo (kk)"}
    assert client.post(f"/w/{number}/{code}", data=dispute).status_code == 303
    check("a dispute")
    confirmed = {"form": "v0-", "v0-visit_id": visit_id, "v0-verdict": "confirmed"}
    assert client.post(f"/w/{number}/{code}", data=confirmed).status_code == 303
    check("a dispute withdrawn")
    assert client.post(f"/w/{number}/{code}", data=dispute).status_code == 303
    check("a dispute again")

    # Reviews: confirm, dismiss, reopen the dismissed one, close the held one.
    login("super1")

    def review(finding_id: int, decision: str) -> None:
        response = client.post(f"/supervisor/findings/{finding_id}/review",
                               data={"decision": decision, "note": f"{decision} after reading the log"})
        assert response.status_code in (302, 303), response.get_data(as_text=True)
        db.session.expire_all()
        assert db.session.get(Finding, finding_id).review_status == decision
    of_office = select(Finding.id).join(Visit, Finding.visit_pk == Visit.id).where(
        Visit.office_code == "OF1", Finding.firing.is_(True), Finding.review_status == "open",
        Finding.cleared_at.is_(None)).order_by(Finding.id)
    first, second = db.session.scalars(of_office.limit(2)).all()
    review(first, "confirmed")
    check("a finding confirmed")
    review(second, "dismissed")
    check("a finding dismissed")
    review(second, "reopened")
    check("a dismissed finding reopened")
    held = db.session.scalar(select(Finding.id).where(Finding.firing.is_(True), Finding.cleared_at.is_not(None)))
    review(held, "closed")
    assert check("a held finding closed")["held"] == 0

    # A correction approved by a supervisor.
    client.post("/logout")
    visit = db.session.scalar(select(Visit).where(Visit.visit_id == visit_id))
    login("desk1")
    assert post_correction(client, visit, called_at="2026-03-30T10:00", ticket_at="2026-03-30T09:30",
                           finished_at="2026-03-30T10:20", reason="the paper log says Monday before"
                           ).status_code == 302
    approve_pending(client, login)
    check("a correction")

    # An import: a case begun in one office and completed in another, and an earlier first
    # visit that moves a stored case (and its findings) to another office.
    moved = db.session.scalar(select(Case).where(Case.case_number == "X1"))
    assert moved.office_code == "OF3"
    assert db.session.scalar(select(func.count(Finding.id)).where(Finding.case_pk == moved.id)) > 0
    late = [row("imp1", case_id="IMP1", office_code="OF2", staff_id="st7", called="2026-03-03T10:00",
                finished="2026-03-03T10:10", ticket="2026-03-03T09:00", documents="APPLICATION;PHOTO;ID_CARD"),
            row("imp2", case_id="IMP1", action="issue", office_code="OF1", staff_id="st8",
                called="2026-03-24T10:00", finished="2026-03-24T10:10", ticket="2026-03-24T09:55", documents=""),
            row("x0", case_id="X1", office_code="OF2", staff_id="st9", called="2026-02-02T10:00",
                finished="2026-02-02T10:10", ticket="2026-02-02T09:50", documents="APPLICATION;PHOTO;ID_CARD")]
    assert run_import(app, write_csv(built / "late.csv", late)).exit_code == 0
    db.session.expire_all()
    assert db.session.get(Case, moved.id).office_code == "OF2"
    check("an import")

    # The nightly sweep, and the accountability clock (it changes no finding).
    assert jobs.run_job(app, "sweep", dt.datetime(2026, 4, 20, tzinfo=dt.UTC)).result == "ok"
    check("a sweep")
    assert jobs.run_job(app, "escalate", dt.datetime.now(dt.UTC)).result == "ok"
    check("escalation")

    # A calendar override and a catalog change re-judge everything.
    result = runner.invoke(args=["calendar", "override", "2026-03-10", "--off", "--reason", "Decree 1"])
    assert result.exit_code == 0, result.output
    check("a calendar override")
    services = [service("S1", versions=[version(deadline={"value": 1, "unit": "working_days"})])] \
        + default_services()[1:]
    result = runner.invoke(args=["catalog", "load", str(write_catalog(built / "changed-catalog", services))])
    assert result.exit_code == 0, result.output
    network = check("a catalog change")
    assert network["no_longer_firing_unreviewed"] > 0

    # The job folds the rows appended by the writers, one per key, and the counts stay.
    keys = (FindingBacklog.visit_office, FindingBacklog.case_office)
    assert db.session.scalar(select(func.count()).select_from(FindingBacklog)) > \
        db.session.scalar(select(func.count()).select_from(select(*keys).distinct().subquery()))
    assert jobs.run_job(app, "cells", dt.datetime(2026, 4, 20, 9, tzinfo=dt.UTC)).result == "ok"
    assert db.session.scalar(select(func.count()).select_from(FindingBacklog)) == \
        db.session.scalar(select(func.count()).select_from(select(*keys).distinct().subquery()))
    assert check("compacted") == network

    # An existing database's counters are built by `flask cells refresh --all` (and by migration 0014).
    db.session.execute(FindingBacklog.__table__.delete())
    db.session.commit()
    assert backlog.counts(db.session, None)["awaiting_review"] == 0
    result = runner.invoke(args=["cells", "refresh", "--all"])
    assert result.exit_code == 0, result.output
    assert check("rebuilt") == network


def test_a_desk_save_counts_only_the_findings_it_touches(app, client, login, built, monkeypatch):
    """The counters follow a desk save by counting just the findings it changed, never the
    office's whole backlog (the cost of a save does not grow with the history)."""
    counted = []
    tally = backlog._tally

    def remember(session, condition=None):
        frame = tally(session, condition)
        counted.append(condition)
        return frame
    monkeypatch.setattr(backlog, "_tally", remember)
    login("desk1")
    saved = client.post("/desk/visits/new", data=visit_form(other_documents="Salary certificate",
                                                            override_reason="the applicant insisted"))
    assert saved.status_code == 302, saved.get_data(as_text=True)
    assert counted and all(condition is not None for condition in counted)
    check("desk save")


def test_two_reviews_of_one_finding_at_once_count_it_once(app, client, login, loaded_catalog, database_url):
    """A second writer of the same finding waits until the first has committed and counts from
    its result: two supervisors deciding one finding at once move it out of the backlog once.
    (The second writer is released while the first still holds its transaction; on SQLite a
    second writer cannot begin its write at all until the first commits.)"""
    import threading

    from sqlalchemy.orm import Session

    from monitor.models import User
    from monitor.stores import findings as findings_store
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite has one writer at a time: no second writer can count meanwhile")
    login("desk1")
    assert client.post("/desk/visits/new", data=visit_form()).status_code == 302  # overdue since April
    overdue = db.session.scalar(select(Finding.id).where(Finding.rule == "OVERDUE_OPEN"))
    db.session.commit()
    first = db.session.get(Finding, overdue)
    admin = db.session.scalar(select(User).where(User.login == "admin"))
    assert findings_store.review(db.session, first, "confirmed", "seen in the log", admin) is None
    waited = threading.Event()

    def second_supervisor():
        with app.app_context(), Session(db.engine) as other:
            finding = other.get(Finding, overdue)
            reviewer = other.scalar(select(User).where(User.login == "super1"))
            waited.set()
            assert findings_store.review(other, finding, "dismissed", "a duplicate of another", reviewer) is None
            other.commit()
    thread = threading.Thread(target=second_supervisor)
    thread.start()
    waited.wait(timeout=30)
    thread.join(timeout=0.5)  # the second review is left to reach the first one's lock
    db.session.commit()
    thread.join(timeout=60)
    assert not thread.is_alive()
    db.session.expire_all()
    assert db.session.get(Finding, overdue).review_status == "dismissed"
    check("two reviews at once")
