"""Evidence with no holes (issue 22): what a security test tried, and that it no longer works.

Each test names the defect it pins: a desk clerk backdating their own visit alone, a
follow-up dated before the previous visit, a withdrawal hiding an overdue case, the
correction form's typed codes, seconds lost by a correction, publishing a running week,
and a re-import that silently differs from the stored visit.
"""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pandas as pd
import pytest
from sqlalchemy import func, select

from monitor.calendar import LOCAL_TIMEZONE
from monitor.extensions import db
from monitor.models import AuditRecord, Case, CorrectionRequest, Escalation, Finding, IndicatorSnapshot, User, Visit
from monitor.services import front_desk
from monitor.services.context import engine_inputs

from .test_desk import visit_form
from .test_evidence import correction, post_correction, preview_token, times
from .visits import COLUMNS, make_visit

pytestmark = pytest.mark.both_databases

LOCAL = ZoneInfo(LOCAL_TIMEZONE)
STAMP = "%Y-%m-%dT%H:%M"


def user(login: str) -> User:
    return db.session.scalar(select(User).where(User.login == login))


def finding(rule: str) -> Finding | None:
    return db.session.scalar(select(Finding).where(Finding.rule == rule))


def overdue_case_issued_today(client, login) -> tuple[Case, Visit]:
    """desk1 accepts a case on Mon 6 April 2026 (S1: due Mon 13 April) and issues it today:
    overdue until now, so DEADLINE_MISSED fires."""
    login("desk1")
    assert client.post("/desk/visits/new", data=visit_form()).status_code == 302
    case = db.session.scalar(select(Case))
    assert finding("OVERDUE_OPEN").firing
    response = client.post("/desk/visits/new", data=visit_form(
        action="issue", case_number=case.case_number, documents=[], **times(hours_ago=1)))
    assert response.status_code == 302, response.get_data(as_text=True)
    issue = db.session.scalar(select(Visit).where(Visit.action == "issue"))
    assert finding("DEADLINE_MISSED").firing
    return case, issue


# --- 1. a desk clerk backdates their own visit alone --------------------------------------

def test_backdating_ones_own_result_into_a_published_week_waits_for_a_supervisor(client, login, loaded_catalog):
    case, issue = overdue_case_issued_today(client, login)
    db.session.add(IndicatorSnapshot(week="2026-W15", scope_kind="network", scope_value="", indicator="complaints",
                                     value=0, published_at=dt.datetime.now(dt.UTC)))
    db.session.commit()
    called = issue.called_at
    backdated = {"called_at": dt.datetime(2026, 4, 10, 10, tzinfo=LOCAL).astimezone(dt.UTC),
                 "finished_at": dt.datetime(2026, 4, 10, 10, 5, tzinfo=LOCAL).astimezone(dt.UTC),
                 "ticket_at": None}
    outcome = front_desk.correct_visit(db.session, issue, backdated, "typed the wrong day", user("desk1"),
                                       engine_inputs())
    # Judged on where the visit moves to: a published week (10 April is in 2026-W15).
    assert outcome.request is not None and outcome.request.why_supervised == "a visit of a published week (2026-W15)"
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Visit, issue.id).called_at == called
    assert finding("DEADLINE_MISSED").firing  # the evidence stands until a supervisor decides


def test_backdating_ones_own_result_out_of_the_window_waits_for_a_supervisor(client, login, loaded_catalog):
    case, issue = overdue_case_issued_today(client, login)
    backdated = {"called_at": dt.datetime(2026, 4, 10, 10, tzinfo=LOCAL).astimezone(dt.UTC),
                 "finished_at": dt.datetime(2026, 4, 10, 10, 5, tzinfo=LOCAL).astimezone(dt.UTC),
                 "ticket_at": None}
    outcome = front_desk.correct_visit(db.session, issue, backdated, "any reason", user("desk1"), engine_inputs())
    # The window of the new day (10 April) closed long ago, whatever the old day's window says.
    assert outcome.request is not None
    assert outcome.request.why_supervised.startswith("the desk's window closed at 2026-04")
    assert finding("DEADLINE_MISSED").firing


def test_a_correction_that_changes_a_finding_is_never_the_desks_alone(client, login, loaded_catalog):
    login("desk1")
    assert client.post("/desk/visits/new", data=visit_form(**times())).status_code == 302
    visit = db.session.scalar(select(Visit))
    # Within the window, own visit, same week: but asking for a document the office obtains itself.
    outcome = front_desk.correct_visit(db.session, visit, {"documents_requested": "APPLICATION;ADDRESS_CERT"},
                                       "forgot it", user("desk1"), engine_inputs())
    assert outcome.request is not None
    assert outcome.request.why_supervised == "a change of findings (opens STATE_SYSTEM_DOCUMENT)"
    assert finding("STATE_SYSTEM_DOCUMENT") is None
    db.session.rollback()
    # A correction that changes no finding stays the desk's own.
    assert front_desk.correct_visit(db.session, visit, {"documents_requested": "APPLICATION"}, "typo",
                                    user("desk1"), engine_inputs()).applied
    db.session.rollback()


# --- 2. a correction dating a follow-up before the previous visit -------------------------

def test_a_correction_cannot_date_a_result_before_the_acceptance(client, login, loaded_catalog):
    case, issue = overdue_case_issued_today(client, login)
    before_submit = {"called_at": dt.datetime(2026, 4, 5, 10, tzinfo=LOCAL).astimezone(dt.UTC),
                     "finished_at": dt.datetime(2026, 4, 5, 10, 5, tzinfo=LOCAL).astimezone(dt.UTC),
                     "ticket_at": None}
    for who in ("desk1", "super1"):  # refused for everyone, not only sent to a supervisor
        outcome = front_desk.correct_visit(db.session, issue, before_submit, "wrong day", user(who), engine_inputs())
        assert [error.field for error in outcome.errors] == ["called_at"] and outcome.request is None
        assert outcome.errors[0].code == "before_previous_visit"
    # Finishing before the previous visit finished is refused too, naming finished_at.
    submit = db.session.scalar(select(Visit).where(Visit.action == "submit"))
    outcome = front_desk.correct_visit(db.session, issue, {
        "called_at": submit.called_at + dt.timedelta(minutes=1),
        "finished_at": submit.called_at + dt.timedelta(minutes=2), "ticket_at": None},
        "wrong time", user("super1"), engine_inputs())
    assert [(error.field, error.code) for error in outcome.errors] == [("finished_at", "finishes_before_previous")]
    # At the desk, in the reader's language, at the field.
    response = client.post(f"/desk/visits/{issue.visit_id}/correct", data=correction(
        issue, called_at="2026-04-05T10:00", finished_at="2026-04-05T10:05", ticket_at=""))
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "не может быть раньше предыдущего визита" in page
    db.session.expire_all()
    assert db.session.get(Visit, issue.id).called_at > submit.called_at
    assert db.session.scalar(select(func.count()).select_from(CorrectionRequest)) == 0


def test_a_supervisors_approval_cannot_date_a_result_before_the_acceptance(client, login, loaded_catalog, app):
    case, issue = overdue_case_issued_today(client, login)
    request = CorrectionRequest(visit_pk=issue.id, office_code="OF1", requested_by="desk1",
                                requested_at=dt.datetime.now(dt.UTC), reason="wrong day",
                                changes={"called_at": "2026-04-05T05:00:00+00:00",
                                         "finished_at": "2026-04-05T05:05:00+00:00", "ticket_at": None},
                                why_supervised="a change of action", status="pending")
    db.session.add(request)
    db.session.commit()
    errors = front_desk.decide_correction(db.session, request, True, "ok", user("super1"), engine_inputs())
    assert errors and errors[0].field == "called_at"
    db.session.rollback()


# --- 3. withdraw hides an overdue case -----------------------------------------------------

def test_withdrawing_an_overdue_case_keeps_its_finding_and_escalation_until_a_supervisor_decides(
        client, login, loaded_catalog, app):
    from monitor.services import escalations
    login("desk1")
    client.post("/desk/visits/new", data=visit_form())  # accepted 6 April, overdue since 14 April
    case = db.session.scalar(select(Case))
    overdue = finding("OVERDUE_OPEN")
    inputs = engine_inputs()
    escalations.escalate(db.session, dt.datetime.now(dt.UTC), 3, inputs.calendar)
    db.session.commit()
    escalation = db.session.scalar(select(Escalation).where(Escalation.item_kind == "overdue_case"))
    assert escalation is not None

    withdraw = visit_form(action="withdraw", case_number=case.case_number, documents=[], **times())
    response = client.post("/desk/visits/new", data=withdraw)
    assert response.status_code == 422 and 'data-rule="OVERDUE_OPEN"' in response.get_data(as_text=True)
    response = client.post("/desk/visits/new", data={**withdraw, "override_reason": "the applicant asked, in writing"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Case, case.id).withdrawn_at is not None  # the applicant's withdrawal is recorded
    held = db.session.get(Finding, overdue.id)
    assert held.firing is True and held.cleared_at is not None and held.cleared_cause == "desk"
    assert "withdraw" in held.cleared_reason

    # Neither the nightly sweep nor the accountability clock lets it go.
    assert app.test_cli_runner().invoke(args=["jobs", "run", "sweep"]).exit_code == 0
    escalations.escalate(db.session, dt.datetime.now(dt.UTC), 3, inputs.calendar)
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Finding, overdue.id).firing is True
    assert db.session.get(Escalation, escalation.id).resolved_at is None

    # The supervisor sees it held, and decides: closing accepts the withdrawal.
    client.post("/logout")
    login("super1")
    page = client.get("/supervisor/findings?firing=held&lang=en").get_data(as_text=True)
    assert f'id="held-{overdue.id}"' in page and "Held: still firing" in page
    report = client.get("/supervisor/?lang=en").get_data(as_text=True)
    assert "held for your decision: 1" in report
    client.post(f"/supervisor/findings/{overdue.id}/review",
                data={"decision": "closed", "note": "called the applicant: their own choice"})
    db.session.expire_all()
    closed = db.session.get(Finding, overdue.id)
    assert closed.firing is False and closed.review_status == "closed"
    escalations.escalate(db.session, dt.datetime.now(dt.UTC), 3, inputs.calendar)
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Escalation, escalation.id).resolution == "withdrawn"


def test_a_result_typed_late_and_dated_before_the_due_time_does_not_clear_an_overdue_finding(
        client, login, loaded_catalog):
    login("desk1")
    client.post("/desk/visits/new", data=visit_form())  # due 13 April; overdue now
    case = db.session.scalar(select(Case))
    overdue = finding("OVERDUE_OPEN")
    response = client.post("/desk/visits/new", data=visit_form(
        action="issue", case_number=case.case_number, documents=[], called_at="2026-04-10T10:00",
        finished_at="2026-04-10T10:05", ticket_at="", late_reason="from the paper log"))
    assert response.status_code == 302
    db.session.expire_all()
    assert finding("DEADLINE_MISSED") is None  # on time, as typed
    kept = db.session.get(Finding, overdue.id)
    assert kept.firing is True and kept.cleared_at is not None  # held for a supervisor


def test_a_late_result_hands_the_evidence_on_to_deadline_missed(client, login, loaded_catalog):
    overdue_case_issued_today(client, login)
    db.session.expire_all()
    overdue = finding("OVERDUE_OPEN")
    assert overdue.firing is False and overdue.cleared_cause == "desk"  # DEADLINE_MISSED carries it on


# --- 4. the correction form: documents by name, unknown entries refused, a preview ---------

def test_the_correction_form_edits_documents_by_name_and_refuses_unknown_entries(client, login, loaded_catalog):
    login("desk1")
    assert client.post("/desk/visits/new", data=visit_form(**times())).status_code == 302
    visit = db.session.scalar(select(Visit))
    page = client.get(f"/desk/visits/{visit.visit_id}/correct?lang=en").get_data(as_text=True)
    assert 'name="documents" value="APPLICATION" checked' in page and "Marriage certificate" in page
    assert 'name="documents_requested"' not in page  # no more typed codes

    # A mistyped code is refused, in the reader's language, and nothing is saved.
    response = client.post(f"/desk/visits/{visit.visit_id}/correct?lang=ru", data=correction(
        visit, documents=["APPLICATION"], other_documents="MARIAGE_CERT"))
    assert response.status_code == 422
    assert "MARIAGE_CERT" in response.get_data(as_text=True) and "выберите документы из списка" in \
        response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Visit, visit.id).documents_requested == "APPLICATION;MARRIAGE_CERT"

    # A document typed by its name (any language) is its code: no finding, the desk's own correction.
    response = client.post(f"/desk/visits/{visit.visit_id}/correct", data=correction(
        visit, documents=["APPLICATION"], other_documents="joint application of parents (ru)", reason="other form"))
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Visit, visit.id).documents_requested == "APPLICATION;JOINT_APPLICATION"
    assert db.session.scalar(select(func.count()).select_from(Finding).where(Finding.visit_pk == visit.id)) == 0


def test_the_correction_form_shows_the_findings_it_would_open_before_saving(client, login, loaded_catalog):
    login("desk1")
    assert client.post("/desk/visits/new", data=visit_form(**times())).status_code == 302
    visit = db.session.scalar(select(Visit))
    data = correction(visit, documents=["APPLICATION", "MARRIAGE_CERT", "ADDRESS_CERT"], reason="forgot it")
    response = client.post(f"/desk/visits/{visit.visit_id}/correct?lang=en", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and 'data-effect="opens" data-rule="STATE_SYSTEM_DOCUMENT"' in page
    assert db.session.scalar(select(func.count()).select_from(CorrectionRequest)) == 0  # nothing yet
    # Changed after the preview: previewed again, still nothing saved.
    other = {**data, "preview": preview_token(page), "documents": ["APPLICATION", "ADDRESS_CERT"]}
    assert client.post(f"/desk/visits/{visit.visit_id}/correct", data=other).status_code == 422
    # Confirmed as previewed: a request waiting for the supervisor, the visit as it was.
    response = client.post(f"/desk/visits/{visit.visit_id}/correct", data={**data, "preview": preview_token(page)})
    assert response.status_code == 302
    request = db.session.scalar(select(CorrectionRequest))
    assert request.status == "pending" and "STATE_SYSTEM_DOCUMENT" in request.why_supervised
    db.session.expire_all()
    assert db.session.get(Visit, visit.id).documents_requested == "APPLICATION;MARRIAGE_CERT"


# --- 5. a correction keeps the stored precision of untouched times ------------------------

def test_correcting_an_imported_visit_keeps_the_seconds_of_its_times(app, client, login, loaded_catalog, tmp_path):
    row = make_visit(visit_id="IMP-7", case_id="C7", staff_id="desk1", ticket_at="2026-04-06T09:50:12",
                     called_at="2026-04-06T10:00:37", finished_at="2026-04-06T10:12:59",
                     documents_requested="APPLICATION;MARRIAGE_CERT")
    pd.DataFrame([row])[COLUMNS].to_csv(tmp_path / "v.csv", index=False)
    assert app.test_cli_runner().invoke(args=["visits", "import", str(tmp_path / "v.csv")]).exit_code == 0
    visit = db.session.scalar(select(Visit).where(Visit.visit_id == "IMP-7"))
    stamps = (visit.ticket_at, visit.called_at, visit.finished_at)
    assert visit.called_at.second == 37
    login("desk1")
    form = client.get(f"/desk/visits/{visit.visit_id}/correct").get_data(as_text=True)
    assert 'value="2026-04-06T10:00"' in form  # the form shows minutes
    response = post_correction(client, visit, documents_requested="APPLICATION;JOINT_APPLICATION",
                               reason="the other document of the group")
    assert response.status_code == 302
    request = db.session.scalar(select(CorrectionRequest))
    assert request.why_supervised == "an imported visit"
    assert set(request.changes) == {"documents_requested"}  # no time changes nobody made
    client.post("/logout")
    login("super1")
    client.post(f"/supervisor/corrections/{request.id}", data={"decision": "approve", "note": "checked"})
    db.session.expire_all()
    visit = db.session.get(Visit, visit.id)
    assert visit.documents_requested == "APPLICATION;JOINT_APPLICATION"
    assert (visit.ticket_at, visit.called_at, visit.finished_at) == stamps  # seconds kept
    record = db.session.scalar(select(AuditRecord).where(AuditRecord.action == "correct"))
    assert set(record.old_values) == {"documents_requested"}


# --- 6. publishing takes only closed weeks ------------------------------------------------

@pytest.mark.parametrize("week, says", [
    ("2030-W10", "has not ended yet"),
    ("2026-W99", "not an ISO week"),
    ("banana", "not an ISO week"),
])
def test_publishing_refuses_running_future_and_malformed_weeks(app, people, week, says):
    result = app.test_cli_runner().invoke(args=["jobs", "run", "publish", "--week", week])
    assert result.exit_code == 2, result.output
    assert says in result.output and "Traceback" not in result.output
    assert db.session.scalar(select(func.count()).select_from(IndicatorSnapshot)) == 0


def test_publishing_the_running_week_is_refused_by_the_service_too(app, people):
    from monitor.services import publishing
    now = dt.datetime.now(dt.UTC)
    running = publishing.week_of(now, "Etc/GMT-5")
    with pytest.raises(publishing.PublishError, match="has not ended yet"):
        publishing.publish_week(db.session, engine_inputs(), running, now)
    last = publishing.last_complete_week(now, "Etc/GMT-5")
    published = publishing.publish_week(db.session, engine_inputs(), last, now)
    assert published.week == last and not published.already_published
    db.session.rollback()


# --- 7. a re-import that differs from the stored visit ------------------------------------

def test_reimporting_a_stored_visit_id_with_other_content_is_refused_per_visit(app, loaded_catalog, tmp_path):
    rows = [make_visit(visit_id="V1", case_id="C1"), make_visit(visit_id="V2", case_id="C2")]
    pd.DataFrame(rows)[COLUMNS].to_csv(tmp_path / "v.csv", index=False)
    runner = app.test_cli_runner()
    assert runner.invoke(args=["visits", "import", str(tmp_path / "v.csv")]).exit_code == 0
    again = runner.invoke(args=["visits", "import", str(tmp_path / "v.csv")])
    assert again.exit_code == 0 and "2 already present" in again.output  # identical: idempotent

    rows[1] = make_visit(visit_id="V2", case_id="C2", called_at="2026-04-06T11:00", action="withdraw")
    rows.append(make_visit(visit_id="V3", case_id="C3"))
    pd.DataFrame(rows)[COLUMNS].to_csv(tmp_path / "changed.csv", index=False)
    result = runner.invoke(args=["visits", "import", str(tmp_path / "changed.csv")])
    assert result.exit_code == 1
    assert "line 3, column visit_id: visit_id V2 is already stored with a different called_at, finished_at, " \
           "action" in result.output and "correction" in result.output
    assert db.session.scalar(select(Visit.action).where(Visit.visit_id == "V2")) == "submit"
    assert db.session.scalar(select(Visit.id).where(Visit.visit_id == "V3")) is None  # nothing imported

    rejects = tmp_path / "rejects.csv"
    result = runner.invoke(args=["visits", "import", str(tmp_path / "changed.csv"), "--skip-invalid",
                                 "--rejects", str(rejects)])
    assert result.exit_code == 0 and "Imported 1 visits" in result.output and "use a correction" in result.output
    assert list(pd.read_csv(rejects)["visit_id"]) == ["V2"]
    assert db.session.scalar(select(Visit.action).where(Visit.visit_id == "V2")) == "submit"
