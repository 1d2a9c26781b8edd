"""Evidence the monitored cannot rewrite (issue 10): findings kept, corrections supervised,
typed times checked, reports of inducement routed, and the audit chain vouching for rows."""
from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select, text
from werkzeug.security import generate_password_hash

from monitor.calendar import LOCAL_TIMEZONE
from monitor.extensions import db
from monitor.models import AuditRecord, Case, CorrectionRequest, Finding, Office, User, Visit
from monitor.services import citizens, front_desk

from .conftest import PASSWORD
from .test_desk import visit_form

pytestmark = pytest.mark.both_databases

LOCAL = ZoneInfo(LOCAL_TIMEZONE)
STAMP = "%Y-%m-%dT%H:%M"


def times(hours_ago: float = 2, day: dt.datetime | None = None) -> dict:
    called = (day or dt.datetime.now(LOCAL)) - dt.timedelta(hours=hours_ago)
    return {"ticket_at": (called - dt.timedelta(minutes=10)).strftime(STAMP), "called_at": called.strftime(STAMP),
            "finished_at": (called + dt.timedelta(minutes=12)).strftime(STAMP)}


def correction(visit: Visit, **changes) -> dict:
    """The correction form as the desk posts it: documents picked by code (the picker's
    values), other documents by name, one per line; ``documents_requested="A;B"`` is split so."""
    def local(moment):
        return moment.astimezone(LOCAL).strftime(STAMP) if moment else ""
    documents = changes.pop("documents_requested", visit.documents_requested)
    tokens = [t for t in (documents or "").split(";") if t]
    data = {"action": visit.action, "documents": [t for t in tokens if t.isupper()],
            "other_documents": "\n".join(t for t in tokens if not t.isupper()),
            "ticket_at": local(visit.ticket_at), "called_at": local(visit.called_at),
            "finished_at": local(visit.finished_at), "refusal_ground": visit.refusal_ground or "",
            "forwarded_to": visit.forwarded_to or "", "reason": "typo"}
    data.update(changes)
    return data


def preview_token(html: str) -> str | None:
    found = re.search(r'name="preview" type="hidden" value="([^"]*)"', html)
    return found.group(1) if found else None


def post_correction(client, visit: Visit, **changes):
    """Post a correction; when the form previews its effect on the findings, confirm it."""
    data = correction(visit, **changes)
    response = client.post(f"/desk/visits/{visit.visit_id}/correct", data=data)
    html = response.get_data(as_text=True)
    if response.status_code == 422 and 'id="correction-effect"' in html:
        response = client.post(f"/desk/visits/{visit.visit_id}/correct", data={**data, "preview": preview_token(html)})
    return response


def approve_pending(client, login, note: str = "checked the form") -> CorrectionRequest:
    client.post("/logout")
    login("super1")
    request = db.session.scalar(select(CorrectionRequest).where(CorrectionRequest.status == "pending"))
    response = client.post(f"/supervisor/corrections/{request.id}", data={"decision": "approve", "note": note})
    assert response.status_code == 302
    client.post("/logout")
    return request


def verify(app):
    return app.test_cli_runner().invoke(args=["audit", "verify"])


@pytest.fixture
def colleague(people):
    user = User(login="desk3", role="desk", office_code="OF1", password_hash=generate_password_hash(PASSWORD))
    db.session.add(user)
    db.session.commit()
    people["desk3"] = user
    return user


def extra_document_visit(client, login) -> Visit:
    """desk1 logs a visit asking for an unlawful document, saved with a reason."""
    login("desk1")
    response = client.post("/desk/visits/new", data=visit_form(
        other_documents="Salary certificate", override_reason="the applicant insisted", **times()))
    assert response.status_code == 302, response.get_data(as_text=True)
    return db.session.scalar(select(Visit))


def confirm(client, login, finding: Finding) -> None:
    client.post("/logout")
    login("super1")
    response = client.post(f"/supervisor/findings/{finding.id}/review",
                           data={"decision": "confirmed", "note": "seen on the camera"})
    assert response.status_code == 302
    client.post("/logout")


# --- findings are evidence -------------------------------------------------------------

def test_a_correction_cannot_erase_a_confirmed_finding(client, login, loaded_catalog, app):
    visit = extra_document_visit(client, login)
    finding = db.session.scalar(select(Finding).where(Finding.rule == "EXTRA_DOCUMENT"))
    confirm(client, login, finding)
    login("desk1")
    # Clearing a finding is never the desk's alone (issue 22): it waits for a supervisor.
    response = post_correction(client, visit, documents_requested="APPLICATION;MARRIAGE_CERT",
                               reason="typo, nothing else was asked")
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Finding, finding.id).firing is True
    approve_pending(client, login)
    db.session.expire_all()
    kept = db.session.get(Finding, finding.id)
    assert kept is not None and kept.review_status == "confirmed"  # only a review closes it
    assert kept.firing is False and kept.cleared_cause == "correction"
    assert "typo, nothing else was asked" in kept.cleared_reason and visit.visit_id in kept.cleared_reason
    assert kept.cleared_at is not None
    sweep = db.session.scalar(select(AuditRecord).where(AuditRecord.action == "sweep")
                              .order_by(AuditRecord.sequence.desc()))
    assert sweep.new_values["no_longer_firing"] == 1 and sweep.data_digest is not None
    assert verify(app).exit_code == 0, verify(app).output

    # The supervisor sees it among the findings no longer firing, and on the report.
    login("super1")
    page = client.get("/supervisor/findings?firing=no&lang=en").get_data(as_text=True)
    assert f'id="finding-{finding.id}"' in page and "No longer firing" in page and "typo, nothing" in page
    assert f'id="finding-{finding.id}"' not in client.get("/supervisor/findings?firing=yes").get_data(as_text=True)
    week = dt.datetime.now(LOCAL).strftime("%G-W%V")
    report = client.get(f"/supervisor/?week={week}&lang=en").get_data(as_text=True)
    assert "Findings cleared by corrections this week: 1" in report

    # Corrected back (by the supervisor, under their own name), it fires again (same id), audited.
    from monitor.services.context import engine_inputs
    db.session.refresh(visit)
    supervisor = db.session.scalar(select(User).where(User.login == "super1"))
    outcome = front_desk.correct_visit(db.session, visit, {
        "documents_requested": "APPLICATION;MARRIAGE_CERT;Salary certificate"}, "it was asked after all",
        supervisor, engine_inputs())
    assert outcome.applied
    db.session.commit()
    db.session.expire_all()
    again = db.session.get(Finding, finding.id)
    assert again.firing is True and again.cleared_reason is None
    assert db.session.scalar(select(func.count()).select_from(Finding).where(Finding.rule == "EXTRA_DOCUMENT")) == 1
    last = db.session.scalar(select(AuditRecord).where(AuditRecord.action == "sweep")
                             .order_by(AuditRecord.sequence.desc()))
    assert last.new_values["firing_again"] == 1


def test_closing_needs_a_finding_that_no_longer_fires_and_a_review(client, login, loaded_catalog):
    extra_document_visit(client, login)
    finding = db.session.scalar(select(Finding).where(Finding.rule == "EXTRA_DOCUMENT"))
    client.post("/logout")
    login("super1")
    client.post(f"/supervisor/findings/{finding.id}/review", data={"decision": "closed", "note": "done"})
    db.session.refresh(finding)
    assert finding.review_status == "open"  # a finding that fires cannot be closed


def test_the_same_data_swept_twice_changes_nothing(app, client, login, loaded_catalog):
    extra_document_visit(client, login)
    runner = app.test_cli_runner()
    first = runner.invoke(args=["findings", "sweep", "--as-of", "2026-12-31T00:00"])
    assert first.exit_code == 0
    records = db.session.scalar(select(func.count()).select_from(AuditRecord))
    rows = db.session.execute(select(Finding.id, Finding.firing, Finding.detail, Finding.as_of)).all()
    second = runner.invoke(args=["findings", "sweep", "--as-of", "2026-12-31T00:00"])
    assert "0 new findings" in second.output and "0 no longer firing" in second.output
    assert db.session.scalar(select(func.count()).select_from(AuditRecord)) == records
    assert db.session.execute(select(Finding.id, Finding.firing, Finding.detail, Finding.as_of)).all() == rows


def test_every_rule_code_is_kept_when_it_stops_firing(app, loaded_catalog, tmp_path):
    """Generic over compliance.RULES: whatever rule fired, a sweep that no longer fires it
    marks it and keeps it."""
    from monitor.compliance import RULES
    from monitor.services.context import engine_inputs
    from monitor.stores import findings as findings_store
    from monitor.tools.synthetic import generate_visits
    from services_catalog import load_catalog
    frame = generate_visits(load_catalog(loaded_catalog), visits=800, start=dt.date(2026, 2, 2), days=40,
                            offices=["OF1", "OF2"], breach_rate=0.3)
    frame.to_csv(tmp_path / "v.csv", index=False)
    assert app.test_cli_runner().invoke(args=["visits", "import", str(tmp_path / "v.csv")]).exit_code == 0
    inputs = engine_inputs()
    as_of = dt.datetime(2026, 12, 31, tzinfo=dt.UTC)
    findings_store.sweep(db.session, inputs.frames, inputs.calendar, as_of, inputs.thresholds)
    fired = dict(db.session.execute(select(Finding.rule, func.count()).group_by(Finding.rule)).all())
    assert set(fired) <= set(RULES) and len(fired) >= 5
    # Every visit disappears from the judged data: a catalog without versions in force.
    from monitor.models import ServiceVersion
    for number, version in enumerate(db.session.scalars(select(ServiceVersion)).all()):
        version.effective_from, version.effective_to = dt.date(2030, 1, 1) + dt.timedelta(days=number), None
    db.session.flush()
    from monitor.compliance import CatalogFrames
    from monitor.stores.catalog import catalog_from_db
    frames = CatalogFrames.from_catalog(catalog_from_db(db.session))
    result = findings_store.sweep(db.session, frames, engine_inputs().calendar, as_of, engine_inputs().thresholds,
                                  cause=findings_store.Cause("catalog", "test catalog with nothing in force"))
    assert result.removed == sum(fired.values())
    after = dict(db.session.execute(select(Finding.rule, func.count()).where(Finding.firing.is_(False))
                                    .group_by(Finding.rule)).all())
    assert after == fired
    assert set(db.session.scalars(select(Finding.cleared_reason).distinct())) == {"test catalog with nothing in force"}
    db.session.rollback()


def test_a_calendar_override_that_clears_a_finding_says_so(client, login, loaded_catalog):
    """Accepted Mon 6 April (S1: 5 working days, due Mon 13 April), issued Tue 14 April: late.
    Making Wed 8 April a day off moves the deadline to the 14th: the finding no longer fires."""
    login("desk1")
    client.post("/desk/visits/new", data=visit_form())
    number = db.session.scalar(select(Case.case_number))
    client.post("/desk/visits/new", data=visit_form(
        action="issue", case_number=number, documents=[], called_at="2026-04-14T10:00",
        finished_at="2026-04-14T10:05", ticket_at=""))
    missed = db.session.scalar(select(Finding).where(Finding.rule == "DEADLINE_MISSED"))
    assert missed is not None and missed.firing
    client.post("/logout")
    login("admin")
    client.post("/admin/calendar", data={"day": "2026-04-08", "is_working_day": "off", "reason": "Decree 7"})
    db.session.expire_all()
    missed = db.session.get(Finding, missed.id)
    assert missed.firing is False and missed.cleared_cause == "calendar"
    assert "2026-04-08" in missed.cleared_reason and "Decree 7" in missed.cleared_reason


# --- corrections supervised ------------------------------------------------------------

def test_a_colleagues_correction_waits_for_a_supervisor(client, login, loaded_catalog, colleague, app):
    visit = extra_document_visit(client, login)
    finding = db.session.scalar(select(Finding).where(Finding.rule == "EXTRA_DOCUMENT"))
    client.post("/logout")
    login("desk3")
    response = post_correction(client, visit, documents_requested="APPLICATION;MARRIAGE_CERT",
                               reason="my colleague mistyped")
    assert response.status_code == 302
    db.session.expire_all()
    request = db.session.scalar(select(CorrectionRequest))
    assert request.status == "pending" and "another staff member" in request.why_supervised
    assert db.session.get(Visit, visit.id).documents_requested.endswith("Salary certificate")  # stands
    assert db.session.get(Finding, finding.id).firing is True

    client.post("/logout")
    login("super1")
    assert f'id="request-{request.id}"' in client.get("/supervisor/corrections").get_data(as_text=True)
    client.post(f"/supervisor/corrections/{request.id}", data={"decision": "approve", "note": "checked the form"})
    db.session.expire_all()
    assert db.session.get(CorrectionRequest, request.id).status == "approved"
    assert db.session.get(Visit, visit.id).documents_requested == "APPLICATION;MARRIAGE_CERT"
    cleared = db.session.get(Finding, finding.id)
    assert cleared.firing is False and "approved by super1" in cleared.cleared_reason
    page = client.get(f"/supervisor/cases/{visit.case.case_number}?lang=en").get_data(as_text=True)
    assert "Salary certificate" in page and "my colleague mistyped" in page  # the old values, on the timeline
    assert verify(app).exit_code == 0, verify(app).output


def test_a_rejected_request_changes_nothing(client, login, loaded_catalog, colleague):
    visit = extra_document_visit(client, login)
    client.post("/logout")
    login("desk3")
    post_correction(client, visit, documents_requested="APPLICATION")
    client.post("/logout")
    login("super1")
    request = db.session.scalar(select(CorrectionRequest))
    client.post(f"/supervisor/corrections/{request.id}", data={"decision": "reject", "note": "no evidence"})
    db.session.expire_all()
    assert db.session.get(CorrectionRequest, request.id).status == "rejected"
    assert db.session.get(Visit, visit.id).documents_requested.endswith("Salary certificate")


def test_a_change_of_action_an_old_visit_and_an_imported_visit_need_approval(client, login, loaded_catalog, app):
    from monitor.services.context import engine_inputs
    login("desk1")
    client.post("/desk/visits/new", data=visit_form(**times()))
    mine = db.session.scalar(select(Visit))
    user = db.session.scalar(select(User).where(User.login == "desk1"))
    inputs = engine_inputs()
    outcome = front_desk.correct_visit(db.session, mine, {"action": "withdraw"}, "wrong button", user, inputs)
    assert outcome.request is not None and outcome.request.why_supervised == "a change of action"
    # Three working days later the desk's window is closed.
    later = mine.finished_at + dt.timedelta(days=6)
    outcome = front_desk.correct_visit(db.session, mine, {"documents_requested": "APPLICATION"}, "typo", user,
                                       inputs, now=later)
    assert outcome.request is not None and "window closed" in outcome.request.why_supervised
    # Before the end of the next working day it is the desk's own correction.
    soon = mine.finished_at + dt.timedelta(minutes=30)
    assert front_desk.correct_visit(db.session, mine, {"documents_requested": "APPLICATION"}, "typo", user,
                                    inputs, now=soon).applied
    db.session.rollback()

    imported = Visit(visit_id="IMP-1", office_code="OF1", service_code="S1", staff_id="desk1",
                     called_at=mine.called_at, finished_at=mine.finished_at, action="consult",
                     documents_requested="", source="import:abc")
    db.session.add(imported)
    db.session.flush()
    outcome = front_desk.correct_visit(db.session, imported, {"documents_requested": "APPLICATION"}, "typo",
                                       user, inputs, now=soon)
    assert outcome.request is not None and outcome.request.why_supervised == "an imported visit"
    db.session.rollback()


def test_the_correction_window_ends_with_the_next_working_day():
    from monitor.calendar import WorkingCalendar
    calendar = WorkingCalendar(timezone=LOCAL_TIMEZONE)
    friday = Visit(finished_at=dt.datetime(2026, 4, 10, 12, tzinfo=LOCAL))
    # Friday 10 April 2026: the next working day is Monday 13 April; its end is 14 April 00:00.
    assert front_desk.correction_deadline(friday, calendar) == dt.datetime(2026, 4, 14, tzinfo=LOCAL)


def test_a_visit_of_a_published_week_needs_approval(client, login, loaded_catalog):
    from monitor.models import IndicatorSnapshot
    from monitor.services.context import engine_inputs
    login("desk1")
    client.post("/desk/visits/new", data=visit_form(**times()))
    visit = db.session.scalar(select(Visit))
    week = dt.datetime.now(LOCAL).strftime("%G-W%V")
    if visit.called_at.astimezone(LOCAL).strftime("%G-W%V") != week:
        week = visit.called_at.astimezone(LOCAL).strftime("%G-W%V")
    db.session.add(IndicatorSnapshot(week=week, scope_kind="network", scope_value="", indicator="complaints",
                                     value=0, published_at=dt.datetime.now(dt.UTC)))
    db.session.flush()
    user = db.session.scalar(select(User).where(User.login == "desk1"))
    outcome = front_desk.correct_visit(db.session, visit, {"documents_requested": "APPLICATION"}, "typo", user,
                                       engine_inputs(), now=visit.finished_at + dt.timedelta(minutes=5))
    assert outcome.request is not None and f"published week ({week})" in outcome.request.why_supervised
    db.session.rollback()


# --- typed times -----------------------------------------------------------------------

def test_a_typed_future_time_is_refused(client, login, loaded_catalog):
    login("desk1")
    future = times(hours_ago=-1)
    response = client.post("/desk/visits/new", data=visit_form(**future))
    assert response.status_code == 422 and "это время ещё не наступило" in response.get_data(as_text=True)
    assert db.session.scalar(select(Visit)) is None
    # Within the allowed skew (5 minutes) a desk clock that runs ahead is accepted.
    now = dt.datetime.now(LOCAL)
    ahead = {"called_at": (now - dt.timedelta(minutes=10)).strftime(STAMP),
             "finished_at": (now + dt.timedelta(minutes=2)).strftime(STAMP), "ticket_at": ""}
    assert client.post("/desk/visits/new", data=visit_form(**ahead)).status_code == 302


def test_a_late_entry_needs_a_reason_and_keeps_the_server_time(client, login, loaded_catalog):
    login("desk1")
    old = visit_form(late_reason="")  # 6 April 2026, long before today's working day
    response = client.post("/desk/visits/new", data=old)
    assert response.status_code == 422 and 'id="late-entry"' in response.get_data(as_text=True)
    assert db.session.scalar(select(Visit)) is None
    before = dt.datetime.now(dt.UTC).replace(microsecond=0)
    assert client.post("/desk/visits/new", data=visit_form(late_reason="power cut on the day")).status_code == 302
    visit = db.session.scalar(select(Visit))
    assert visit.late_reason == "power cut on the day"
    assert visit.recorded_at >= before and visit.recorded_at - visit.finished_at > dt.timedelta(days=30)
    client.post("/logout")
    login("super1")
    page = client.get(f"/supervisor/cases/{visit.case.case_number}?lang=en").get_data(as_text=True)
    # Local times, as people write them (a case's visits: called, finished, recorded).
    local = visit.recorded_at.astimezone(LOCAL)
    recorded = f"{local.day} {local.strftime('%B %Y, %H:%M')}"
    assert "6 April 2026, 10:00" in page and recorded in page and "power cut on the day" in page


def test_a_visit_of_today_needs_no_late_reason(client, login, loaded_catalog):
    login("desk1")
    now = dt.datetime.now(LOCAL).replace(second=0, microsecond=0)
    # Called at local midnight, finished now: the earliest and latest moments of today so far.
    today = {"called_at": now.replace(hour=0, minute=0).strftime(STAMP),
             "finished_at": now.strftime(STAMP), "ticket_at": ""}
    assert client.post("/desk/visits/new", data=visit_form(late_reason="", **today)).status_code == 302
    assert db.session.scalar(select(Visit.late_reason)) is None


def test_imported_visits_are_recorded_at_server_time(app, loaded_catalog, tmp_path):
    import pandas as pd

    from .visits import COLUMNS, make_visit
    pd.DataFrame([make_visit(visit_id="V1")])[COLUMNS].to_csv(tmp_path / "v.csv", index=False)
    before = dt.datetime.now(dt.UTC).replace(microsecond=0)
    result = app.test_cli_runner().invoke(args=["visits", "import", str(tmp_path / "v.csv")])
    assert result.exit_code == 0 and "Imported 1 visits" in result.output, result.output
    assert db.session.scalar(select(Visit.recorded_at)) >= before


def test_a_follow_up_cannot_be_dated_before_the_previous_visit(client, login, loaded_catalog):
    login("desk1")
    client.post("/desk/visits/new", data=visit_form())  # 6 April 10:00
    number = db.session.scalar(select(Case.case_number))
    response = client.post("/desk/visits/new", data=visit_form(
        action="issue", case_number=number, documents=[], called_at="2026-04-05T10:00",
        finished_at="2026-04-05T10:05", ticket_at=""))
    assert response.status_code == 422 and "не может быть раньше предыдущего визита" in response.get_data(as_text=True)


def test_a_check_code_can_be_reissued_and_the_old_one_stops_working(client, login, loaded_catalog):
    login("desk1")
    location = client.post("/desk/visits/new", data=visit_form()).headers["Location"]
    first = client.get(location).get_data(as_text=True)
    old_code = first.split('id="check-code">')[1][:6]
    case = db.session.scalar(select(Case))
    now = dt.datetime.now(dt.UTC)
    assert citizens.case_status(db.session, case.case_number, old_code, now) is not None
    response = client.post(f"/desk/receipts/{case.case_number}/check-code")
    assert response.status_code == 302
    new_code = client.get(location).get_data(as_text=True).split('id="check-code">')[1][:6]
    assert new_code != old_code
    db.session.expire_all()
    assert citizens.case_status(db.session, case.case_number, old_code, now) is None
    assert citizens.case_status(db.session, case.case_number, new_code, now) is not None
    record = db.session.scalar(select(AuditRecord).where(AuditRecord.action == "reissue_check_code"))
    assert record.actor == "desk1" and record.entity_id == case.case_number and record.data_digest


# --- inducement reports reach someone --------------------------------------------------

def test_a_report_naming_only_a_service_reaches_every_office_providing_it(client, login, loaded_catalog, people):
    login("desk1")
    client.post("/desk/visits/new", data=visit_form())  # OF1 provides S1
    filed = citizens.file_complaint(db.session, kind="inducement", text="asked for money", service_code="S1",
                                    contact="+7 700 000 00 00")
    other = citizens.file_complaint(db.session, kind="inducement", text="asked for a gift", service_code="S3")
    db.session.commit()
    client.post("/logout")
    login("super1")
    page = client.get("/supervisor/complaints?lang=en").get_data(as_text=True)
    assert filed.reference in page and other.reference not in page  # OF1 never provided S3
    detail = client.get(f"/supervisor/complaints/{filed.reference}?lang=en").get_data(as_text=True)
    assert "+7 700 000 00 00" in detail
    assert client.get(f"/supervisor/complaints/{other.reference}").status_code == 404
    report = client.get("/supervisor/?lang=en").get_data(as_text=True)
    assert "Unanswered reports of inducement: 1" in report
    client.post(f"/supervisor/complaints/{filed.reference}", data={"answer": "we are checking", "close": ""})
    assert "Unanswered reports of inducement: 0" in client.get("/supervisor/?lang=en").get_data(as_text=True)


# --- the chain vouches for the data ----------------------------------------------------

def test_verify_names_rows_edited_deleted_or_inserted_behind_the_applications_back(client, login,
                                                                                   loaded_catalog, app):
    visit = extra_document_visit(client, login)
    finding = db.session.scalar(select(Finding).where(Finding.rule == "EXTRA_DOCUMENT"))
    confirm(client, login, finding)
    citizens.file_complaint(db.session, kind="delay", text="slow", office_code="OF1")
    db.session.commit()
    result = verify(app)
    assert result.exit_code == 0, result.output
    assert "every recorded row matches" in result.output

    visit_pk, visit_id, finding_pk = visit.id, visit.visit_id, finding.id
    db.session.execute(text("UPDATE visits SET documents_requested = 'APPLICATION' WHERE id = :id"),
                       {"id": visit_pk})
    db.session.execute(text("DELETE FROM findings WHERE id = :id"), {"id": finding_pk})
    db.session.execute(text("UPDATE complaints SET text = 'all fine'"))
    db.session.execute(text("UPDATE users SET role = 'admin' WHERE login = 'desk1'"))
    db.session.execute(text("INSERT INTO cases (case_number, office_code, outcome) VALUES ('FORGED-1', 'OF1', "
                            "'open')"))
    db.session.commit()
    result = verify(app)
    assert result.exit_code != 0
    assert f"visit {visit_id} (row {visit_pk}) was edited behind the application's back" in result.output
    assert f"finding row {finding_pk} was deleted behind the application's back" in result.output
    assert "case FORGED-1" in result.output and "inserted behind the application's back" in result.output
    assert "complaint CMP-" in result.output and "user desk1" in result.output


def test_verify_names_altered_row_digests_and_audit_records(client, login, loaded_catalog, app):
    extra_document_visit(client, login)
    db.session.execute(text("UPDATE row_digests SET digest = :d WHERE id = (SELECT MIN(id) FROM row_digests)"),
                       {"d": "0" * 64})
    db.session.commit()
    result = verify(app)
    assert result.exit_code != 0 and "its row digests were altered" in result.output
    db.session.execute(text("UPDATE audit_records SET reason = 'nothing' WHERE sequence = 1"))
    db.session.commit()
    assert "record 1 was altered" in verify(app).output


def test_an_import_is_one_record_vouching_for_every_row(app, loaded_catalog, tmp_path):
    from monitor.tools.synthetic import generate_visits
    from services_catalog import load_catalog
    frame = generate_visits(load_catalog(loaded_catalog), visits=400, start=dt.date(2026, 2, 2), days=20,
                            offices=["OF1"], breach_rate=0.2)
    frame.to_csv(tmp_path / "v.csv", index=False)
    before = db.session.scalar(select(func.count()).select_from(AuditRecord))
    assert app.test_cli_runner().invoke(args=["visits", "import", str(tmp_path / "v.csv")]).exit_code == 0
    # One record for the 400 visits (and one for the sweep of what they brought), not one per row.
    assert db.session.scalar(select(func.count()).select_from(AuditRecord)
                             .where(AuditRecord.action == "import")) == 1
    assert db.session.scalar(select(func.count()).select_from(AuditRecord)) <= before + 2
    assert verify(app).exit_code == 0, verify(app).output
    victim = db.session.execute(select(Visit.id, Visit.visit_id).order_by(Visit.id.desc()).limit(1)).one()
    db.session.execute(text("UPDATE visits SET staff_id = 'someone else' WHERE id = :id"), {"id": victim.id})
    # A visit no case or finding points at (the database's own keys would refuse the others).
    loose = db.session.scalar(text(
        "SELECT MIN(id) FROM visits v WHERE id <> :victim"
        " AND NOT EXISTS (SELECT 1 FROM findings f WHERE f.visit_pk = v.id)"
        " AND NOT EXISTS (SELECT 1 FROM cases c WHERE c.accepting_visit_pk = v.id OR c.completing_visit_pk = v.id)"
        " AND NOT EXISTS (SELECT 1 FROM correction_requests r WHERE r.visit_pk = v.id)"), {"victim": victim.id})
    db.session.execute(text("DELETE FROM visits WHERE id = :id"), {"id": loose})
    db.session.commit()
    result = verify(app)
    assert result.exit_code != 0
    assert f"visit {victim.visit_id} (row {victim.id}) was edited" in result.output
    assert f"visit row {loose} was deleted" in result.output


def test_rows_stored_before_digests_are_adopted_once(app, people):
    db.session.add(Office(code="OF9", name_kk="x", name_ru="x", name_en="x"))
    db.session.commit()
    db.session.execute(text("DELETE FROM row_digests"))  # as after an upgrade: no digests yet
    db.session.execute(text("UPDATE audit_records SET data_digest = NULL"))
    db.session.commit()
    runner = app.test_cli_runner()
    assert "inserted behind" in verify(app).output
    result = runner.invoke(args=["audit", "adopt", "--reason", "upgrade to row digests"])
    offices = db.session.scalar(select(func.count()).select_from(Office))
    assert result.exit_code == 0 and f"Adopted {len(people) + offices} rows" in result.output
    # The chain still breaks where its records' digests were wiped; rows themselves match.
    assert "inserted behind" not in verify(app).output
