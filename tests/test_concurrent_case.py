"""Two desks saving a follow-up visit of the same case at the same moment (issue 22).

The check of a follow-up (a visit is never dated before the case's previous visit) and the
save are one step per case: the case row is locked first, so the second desk is judged on the
case as the first desk left it. Each round has one winner; the other desk is told why (422, at
the field) or saved after it when its visit is dated later. Never a 500, never a case whose
stored timeline disagrees with its visits.
"""
from __future__ import annotations

import datetime as dt
import threading
from zoneinfo import ZoneInfo

import pandas as pd
import pytest
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from monitor.calendar import LOCAL_TIMEZONE
from monitor.extensions import db
from monitor.models import AuditRecord, Case, Finding, User, Visit
from monitor.services.context import engine_inputs
from monitor.stores import audit, backlog, visits as visit_store
from monitor.stores.findings import sweep

from .conftest import PASSWORD
from .test_backlog import old_backlogs
from .test_desk import visit_form

pytestmark = pytest.mark.both_databases

ROUNDS = 4


def signed_in(app, login: str):
    client = app.test_client()
    response = client.post("/login", data={"login": login, "password": PASSWORD})
    assert response.status_code == 302
    return client


def case_rows(number: str) -> pd.DataFrame:
    return pd.read_sql(select(Case.__table__).where(Case.case_number == number), db.session.connection())


def test_two_desks_saving_the_same_case_at_once(app, people, loaded_catalog):
    db.session.add(User(login="desk1b", role="desk", office_code="OF1",
                        password_hash=generate_password_hash(PASSWORD)))
    db.session.commit()
    first, second = signed_in(app, "desk1"), signed_in(app, "desk1b")
    for number in range(ROUNDS):
        day = f"2026-04-{6 + number:02d}"
        assert first.post("/desk/visits/new", data=visit_form(
            called_at=f"{day}T10:00", finished_at=f"{day}T10:10", ticket_at=f"{day}T09:55")).status_code == 302
        case_number = db.session.scalars(select(Case.case_number).order_by(Case.id.desc())).first()
        db.session.commit()
        # The issue is dated after the return: whichever is saved first, the return is
        # refused when the issue was saved before it (dated before the previous visit).
        forms = [visit_form(action="issue", case_number=case_number, documents=[], ticket_at="",
                            called_at=f"{day}T11:30", finished_at=f"{day}T11:35"),
                 visit_form(action="return", case_number=case_number, documents=["APPLICATION"], ticket_at="",
                            called_at=f"{day}T11:00", finished_at=f"{day}T11:05",
                            override_reason="the applicant asked for it back")]
        start = threading.Barrier(2)
        answers = [None, None]

        def post(index, client):
            with app.app_context():
                start.wait()  # noqa: B023 - the threads are joined within this iteration
                answers[index] = client.post("/desk/visits/new?lang=en", data=forms[index])  # noqa: B023

        threads = [threading.Thread(target=post, args=(i, c)) for i, c in enumerate((first, second))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        statuses = [answer.status_code for answer in answers]
        assert 500 not in statuses and 503 not in statuses, statuses
        assert statuses[0] == 302, (statuses, answers[0].get_data(as_text=True)[-3000:])
        if statuses[1] != 302:  # saved after the issue: refused, and told why at the field
            assert statuses[1] == 422
            assert "a follow-up cannot be dated before the case&#39;s previous visit" in \
                answers[1].get_data(as_text=True) or \
                "a follow-up cannot be dated before the case's previous visit" in answers[1].get_data(as_text=True)
        db.session.rollback()
        case = db.session.scalar(select(Case).where(Case.case_number == case_number))
        visits = db.session.execute(select(Visit.action, Visit.called_at).where(Visit.case_pk == case.id)
                                    .order_by(Visit.id)).all()
        # Stored in the order they were dated: no visit recorded after one dated later.
        times = [called for _, called in visits]
        assert times == sorted(times), visits
        assert [action for action, _ in visits][-1] == "issue" and case.outcome == "issued"
        # The stored timeline is the one its visits give, and the findings are the engine's.
        stored = case_rows(case_number)
        inputs = engine_inputs()
        visit_store.refresh_cases(db.session, [case.id], inputs.frames, inputs.calendar)
        db.session.flush()
        pd.testing.assert_frame_equal(stored, case_rows(case_number))
        findings = db.session.scalars(select(Finding.rule).where(Finding.firing)).all()
        result = sweep(db.session, inputs.frames, inputs.calendar, case.completed_at, inputs.thresholds,
                       case_pks=[case.id], visit_pks=[])
        assert (result.added, result.removed, result.fired_again) == (0, 0, 0), findings
        db.session.rollback()
    result = audit.verify(db.session)
    assert result.ok, result.problem
    check = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert check.exit_code == 0, check.output
    # Both changed the case's findings at once: the report's backlog counters are exact.
    for offices in (None, ["OF1"]):
        assert backlog.counts(db.session, offices) == old_backlogs(offices)


def at_once(app, posts):
    """Run each (client, url, data) in its own thread, released together; their answers."""
    start = threading.Barrier(len(posts))
    answers = [None] * len(posts)

    def post(index, client, url, data):
        with app.app_context():
            start.wait()
            answers[index] = client.post(url, data=data)

    threads = [threading.Thread(target=post, args=(i, *call)) for i, call in enumerate(posts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return answers


def test_a_supervisors_approval_and_a_desks_follow_up_at_once(app, people, loaded_catalog):
    """A request moves the case's `return` from 11:00 to 12:00 while a desk saves an `issue` at
    11:30, and two supervisors approve the request at the same moment: whichever comes first,
    the other is judged on what it left. One approval at most, the case's visits in order."""
    from monitor.models import CorrectionRequest, Office

    hashed = generate_password_hash(PASSWORD)
    db.session.add(User(login="desk1b", role="desk", office_code="OF1", password_hash=hashed))
    db.session.add(User(login="super1b", role="supervisor", password_hash=hashed,
                        supervised=[db.session.get(Office, "OF1")]))
    db.session.commit()
    desk, other_desk = signed_in(app, "desk1"), signed_in(app, "desk1b")
    supervisors = [signed_in(app, "super1"), signed_in(app, "super1b")]
    for number in range(ROUNDS):
        day = f"2026-04-{6 + number:02d}"
        assert desk.post("/desk/visits/new", data=visit_form(
            called_at=f"{day}T10:00", finished_at=f"{day}T10:10", ticket_at=f"{day}T09:55")).status_code == 302
        case = db.session.scalars(select(Case).order_by(Case.id.desc())).first()
        assert desk.post("/desk/visits/new", data=visit_form(
            action="return", case_number=case.case_number, documents=["APPLICATION"], ticket_at="",
            called_at=f"{day}T11:00", finished_at=f"{day}T11:05",
            override_reason="the applicant asked for it back")).status_code == 302
        returned = db.session.scalar(select(Visit).where(Visit.case_pk == case.id, Visit.action == "return"))
        local = ZoneInfo(LOCAL_TIMEZONE)
        moved = dt.datetime.fromisoformat(f"{day}T12:00").replace(tzinfo=local).astimezone(dt.UTC)
        request = CorrectionRequest(visit_pk=returned.id, office_code="OF1", requested_by="desk1",
                                    requested_at=dt.datetime.now(dt.UTC), reason="typed an hour early",
                                    changes={"called_at": moved.isoformat(),
                                             "finished_at": (moved + dt.timedelta(minutes=5)).isoformat()},
                                    why_supervised="out of the correction window", status="pending")
        db.session.add(request)
        db.session.commit()
        request_id, case_number = request.id, case.case_number
        approve = {"decision": "approve", "note": "checked against the paper log"}
        answers = at_once(app, [
            (supervisors[0], f"/supervisor/corrections/{request_id}", approve),
            (supervisors[1], f"/supervisor/corrections/{request_id}", approve),
            (other_desk, "/desk/visits/new?lang=en", visit_form(
                action="issue", case_number=case_number, documents=[], ticket_at="",
                called_at=f"{day}T11:30", finished_at=f"{day}T11:35"))])
        statuses = [answer.status_code for answer in answers]
        assert all(status in (302, 422) for status in statuses), statuses
        db.session.rollback()
        request = db.session.get(CorrectionRequest, request_id)
        approvals = db.session.scalars(select(AuditRecord.sequence).where(
            AuditRecord.action == "approve_correction", AuditRecord.entity_id == returned.visit_id)).all()
        issued = db.session.scalar(select(Visit.id).where(Visit.case_pk == case.id, Visit.action == "issue"))
        # Exactly one of the two changes is made: the approval (once) or the issue.
        assert (request.status == "approved") != (issued is not None), (request.status, issued, statuses)
        assert len(approvals) == (1 if request.status == "approved" else 0)
        assert statuses[2] == (302 if issued else 422)
        visits = db.session.execute(select(Visit.called_at).where(Visit.case_pk == case.id)
                                    .order_by(Visit.called_at, Visit.id)).scalars().all()
        by_id = db.session.execute(select(Visit.called_at).where(Visit.case_pk == case.id)
                                   .order_by(Visit.id)).scalars().all()
        assert len(visits) == (3 if issued else 2)
        if issued:
            assert by_id == visits  # recorded in the order they are dated
        db.session.rollback()
    check = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert check.exit_code == 0, check.output
    # Both changed the case's findings at once: the report's backlog counters are exact.
    for offices in (None, ["OF1"]):
        assert backlog.counts(db.session, offices) == old_backlogs(offices)
