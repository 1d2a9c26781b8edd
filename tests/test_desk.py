"""The front desk: the warning before an unlawful demand, receipts, conflicts, permissions."""
from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import func, select

from monitor.extensions import db
from monitor.models import AuditRecord, Case, Finding, RelativeDeclaration, Visit
from monitor.services.front_desk import check_code_hash
from monitor.stores import evidence

pytestmark = pytest.mark.both_databases

RELATIVE_IIN = "900101300017"


def visit_form(**overrides) -> dict:
    data = {"service_code": "S1", "action": "submit", "documents": ["APPLICATION", "MARRIAGE_CERT"],
            "called_at": "2026-04-06T10:00", "finished_at": "2026-04-06T10:12",
            "ticket_at": "2026-04-06T09:50", "other_documents": "", "case_number": "",
            "applicant_ref": "", "refusal_ground": "", "forwarded_to": "", "override_reason": "",
            "late_reason": "typed in from the paper log"}
    data.update(overrides)
    return data


def test_anonymous_users_are_sent_to_sign_in(client, people):
    response = client.get("/desk/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_wrong_password_is_refused(client, people):
    response = client.post("/login", data={"login": "desk1", "password": "nope"})
    assert response.status_code == 401
    assert client.get("/desk/").status_code == 302


def test_service_is_found_by_name_in_any_language(client, login, loaded_catalog):
    login("desk1")
    response = client.get("/desk/visits/new?q=service s2 (kk)")
    assert response.status_code == 302 and "service=S2" in response.headers["Location"]
    page = client.get("/desk/visits/new?service=S1").get_data(as_text=True)
    assert "Application" in page and "Power of attorney" in page  # the version's checklist
    assert "Medical birth certificate" in page  # listed under "never ask for"


def test_each_save_is_one_audit_record_whose_digests_are_the_rows_as_committed(client, login, loaded_catalog):
    """A first submit (the case and its check code), a consultation and a follow-up: one desk
    record each, naming the rows as they were committed (the check code included), so that
    nothing is left for the commit to stamp and every row verifies."""
    login("desk1")
    first = db.session.scalar(select(func.max(AuditRecord.sequence))) or 0
    assert client.post("/desk/visits/new", data=visit_form()).status_code == 302
    case = db.session.scalar(select(Case))
    assert case.check_code_hash is not None and evidence.verify_rows(db.session) == []
    assert client.post("/desk/visits/new", data=visit_form(
        action="consult", documents=["APPLICATION"], called_at="2026-04-06T11:00",
        finished_at="2026-04-06T11:05", ticket_at="")).status_code == 302
    assert client.post("/desk/visits/new", data=visit_form(
        action="issue", case_number=case.case_number, documents=[], called_at="2026-04-08T10:00",
        finished_at="2026-04-08T10:05", ticket_at="")).status_code == 302
    records = db.session.scalars(select(AuditRecord).where(AuditRecord.sequence > first)
                                 .order_by(AuditRecord.sequence)).all()
    # Besides the findings' sweeps, the desk's records, and no stamp of rows at a commit.
    assert [(r.action, r.entity, r.new_values["action"]) for r in records if r.action != "sweep"] == [
        ("create", "visit", "submit"), ("create", "visit", "consult"), ("create", "visit", "issue")]
    db.session.refresh(case)
    assert case.check_code_hash is not None and case.completed_at is not None
    assert evidence.verify_rows(db.session) == []


def test_lawful_submit_issues_a_case_and_a_receipt_with_the_due_date(client, login, loaded_catalog):
    login("desk1")
    response = client.post("/desk/visits/new", data=visit_form())
    assert response.status_code == 302
    case = db.session.scalar(select(Case))
    assert case.office_code == "OF1" and case.accepted_at is not None
    receipt = client.get(response.headers["Location"]).get_data(as_text=True)
    assert case.case_number in receipt
    code = re.search(r'id="check-code">([A-Z0-9]{6})<', receipt).group(1)
    assert case.check_code_hash == check_code_hash(case.case_number, code)
    # 5 working days after Monday 6 April 2026 end on Monday 13 April.
    assert 'id="due-at" datetime="2026-04-13T23:59:59+05:00">13 апреля 2026, 23:59<' in receipt
    rules = set(db.session.scalars(select(Finding.rule)))
    assert rules == {"OVERDUE_OPEN"}  # a lawful visit; only the April case is overdue by now


@pytest.mark.parametrize("field, value, rule", [
    ("other_documents", "Payslip from employer", "EXTRA_DOCUMENT"),
    ("other_documents", "BIRTH_MEDICAL_CERT", "STATE_SYSTEM_DOCUMENT"),
    ("documents", ["APPLICATION", "ADDRESS_CERT"], "STATE_SYSTEM_DOCUMENT"),  # a script posting it
])
def test_unlawful_demand_is_warned_and_saved_only_with_a_reason(client, login, loaded_catalog,
                                                                field, value, rule):
    login("desk1")
    response = client.post("/desk/visits/new", data=visit_form(**{field: value}))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert f'data-rule="{rule}"' in page and "2.2.3" in page
    assert db.session.scalar(select(Visit)) is None  # nothing saved without a reason

    response = client.post("/desk/visits/new", data=visit_form(
        **{field: value, "override_reason": "applicant insisted on leaving it"}))
    assert response.status_code == 302
    visit = db.session.scalar(select(Visit))
    assert visit.override_reason == "applicant insisted on leaving it"
    finding = db.session.scalar(select(Finding).where(Finding.visit_pk == visit.id))
    assert finding is not None and finding.rule == rule and finding.clause == "2.2.3"


def test_a_return_without_documents_is_warned(client, login, loaded_catalog):
    login("desk1")
    client.post("/desk/visits/new", data=visit_form())
    number = db.session.scalar(select(Case.case_number))
    response = client.post("/desk/visits/new", data=visit_form(
        action="return", case_number=number, documents=[], called_at="2026-04-07T10:00",
        finished_at="2026-04-07T10:05", ticket_at=""))
    assert response.status_code == 422
    assert 'data-rule="UNFOUNDED_RETURN"' in response.get_data(as_text=True)


def test_follow_up_needs_an_existing_case(client, login, loaded_catalog):
    login("desk1")
    response = client.post("/desk/visits/new", data=visit_form(action="issue", case_number="NOPE-1",
                                                               documents=[]))
    assert response.status_code == 422
    assert "в вашем отделении нет дела NOPE-1" in response.get_data(as_text=True)


def test_conflict_of_interest_is_warned_and_recorded(client, login, loaded_catalog, app):
    user = login("desk1")
    assert client.post("/desk/relatives", data={"iin": RELATIVE_IIN}).status_code == 302
    stored = db.session.scalar(select(RelativeDeclaration.applicant_hash))
    assert stored and RELATIVE_IIN not in stored
    response = client.post("/desk/visits/new", data=visit_form(applicant_ref=RELATIVE_IIN))
    assert response.status_code == 422
    assert 'data-rule="CONFLICT_OF_INTEREST"' in response.get_data(as_text=True)
    client.post("/desk/visits/new", data=visit_form(applicant_ref=RELATIVE_IIN,
                                                    override_reason="no colleague on shift"))
    finding = db.session.scalar(select(Finding).where(Finding.rule == "CONFLICT_OF_INTEREST"))
    assert finding is not None and finding.clause == "2.4.1"
    # A nightly sweep judges the engine's rules and leaves the desk's finding alone.
    assert app.test_cli_runner().invoke(args=["findings", "sweep"]).exit_code == 0
    assert db.session.scalar(select(Finding).where(Finding.rule == "CONFLICT_OF_INTEREST")) is not None
    assert user.login == "desk1"


def test_a_bad_relative_iin_is_refused(client, login):
    login("desk1")
    response = client.post("/desk/relatives?lang=en", data={"iin": "900101300016"})
    assert response.status_code == 200
    assert "control digit" in response.get_data(as_text=True)
    assert db.session.scalar(select(RelativeDeclaration)) is None


def test_desk_cannot_see_another_offices_case(client, login, loaded_catalog):
    login("desk1")
    location = client.post("/desk/visits/new", data=visit_form()).headers["Location"]
    client.post("/logout")
    login("desk2")
    assert client.get(location).status_code == 404
    assert db.session.scalar(select(Case.case_number)) not in client.get("/desk/").get_data(as_text=True)


@pytest.mark.parametrize("name, path, status", [
    ("desk1", "/admin/users", 403),
    ("super1", "/admin/users", 403),
    ("super1", "/admin/offices", 403),
    ("super1", "/desk/visits/new", 403),
    ("admin", "/admin/users", 200),
])
def test_roles(client, login, name, path, status):
    login(name)
    assert client.get(path).status_code == status


def test_admin_creates_a_desk_user_who_can_sign_in(client, login, people):
    login("admin")
    response = client.post("/admin/users", data={"login": "newdesk", "role": "desk", "office_code": "OF2",
                                                 "password": "a long enough password"})
    assert response.status_code == 302
    client.post("/logout")
    assert client.post("/login", data={"login": "newdesk",
                                       "password": "a long enough password"}).status_code == 302


def test_csrf_is_enforced(app, people, loaded_catalog):
    app.config["WTF_CSRF_ENABLED"] = True
    client = app.test_client()
    assert client.post("/login", data={"login": "desk1", "password": "x"}).status_code == 400


def test_the_language_switch_is_remembered(client, loaded_catalog):
    client.get("/?lang=kk")
    assert '<html lang="kk">' in client.get("/").get_data(as_text=True)
    assert dt.date.today()  # the page rendered with today's catalog


def recent_times(hours_ago: float = 2) -> dict:
    """Times of a visit that finished a little while ago (local, as the form has them)."""
    from zoneinfo import ZoneInfo

    from monitor.calendar import LOCAL_TIMEZONE
    called = dt.datetime.now(ZoneInfo(LOCAL_TIMEZONE)) - dt.timedelta(hours=hours_ago)
    stamp = "%Y-%m-%dT%H:%M"
    return {"ticket_at": (called - dt.timedelta(minutes=10)).strftime(stamp), "called_at": called.strftime(stamp),
            "finished_at": (called + dt.timedelta(minutes=12)).strftime(stamp)}


def test_a_correction_keeps_the_old_values_in_the_audit_log(client, login, loaded_catalog):
    from monitor.models import AuditRecord
    login("desk1")
    times = recent_times()
    client.post("/desk/visits/new", data=visit_form(**times))
    visit = db.session.scalar(select(Visit))
    page = client.get(f"/desk/visits/{visit.visit_id}/correct?lang=en")
    assert page.status_code == 200
    # A correction that changes no finding is the desk's own: the ticket was taken 5 minutes earlier.
    ticket = (dt.datetime.strptime(times["ticket_at"], "%Y-%m-%dT%H:%M") - dt.timedelta(minutes=5))
    response = client.post(f"/desk/visits/{visit.visit_id}/correct", data={
        "action": "submit", "documents": ["APPLICATION", "MARRIAGE_CERT"], **times,
        "ticket_at": ticket.strftime("%Y-%m-%dT%H:%M"),
        "refusal_ground": "", "forwarded_to": "", "reason": "the ticket machine's time was read wrong"})
    assert response.status_code == 302
    db.session.refresh(visit)
    record = db.session.scalar(select(AuditRecord).where(AuditRecord.action == "correct"))
    assert record.actor == "desk1" and record.reason.startswith("the ticket machine")
    assert set(record.old_values) == {"ticket_at"}  # only what was changed
    assert visit.documents_requested == "APPLICATION;MARRIAGE_CERT"


def test_a_correction_needs_a_reason_and_valid_times(client, login, loaded_catalog):
    login("desk1")
    client.post("/desk/visits/new", data=visit_form())
    visit = db.session.scalar(select(Visit))
    response = client.post(f"/desk/visits/{visit.visit_id}/correct", data={
        "action": "submit", "documents": ["APPLICATION"], "called_at": "2026-04-06T10:00",
        "finished_at": "2026-04-06T09:00", "reason": "typo"})
    assert response.status_code == 422
    assert "визит не может закончиться раньше вызова" in response.get_data(as_text=True)
    db.session.refresh(visit)
    assert visit.documents_requested == "APPLICATION;MARRIAGE_CERT"


def test_admin_calendar_override_re_times_open_cases(client, login, loaded_catalog):
    login("desk1")
    client.post("/desk/visits/new", data=visit_form())  # accepted Mon 6 April 2026, due Mon 13 April
    client.post("/logout")
    login("admin")
    response = client.post("/admin/calendar", data={"day": "2026-04-08", "is_working_day": "off",
                                                    "reason": "Decree No. 1 (test)"})
    assert response.status_code == 302
    case = db.session.scalar(select(Case))
    db.session.refresh(case)
    assert case.due_at == dt.datetime(2026, 4, 14, 18, 59, 59, tzinfo=dt.UTC)
    client.post("/admin/calendar/2026-04-08/remove")
    db.session.refresh(case)
    assert case.due_at == dt.datetime(2026, 4, 13, 18, 59, 59, tzinfo=dt.UTC)
    page = client.get("/admin/jobs?lang=en").get_data(as_text=True)
    assert "publish" in page and "never" in page


def test_the_check_code_is_shown_on_the_first_receipt_only(client, login, loaded_catalog):
    login("desk1")
    location = client.post("/desk/visits/new", data=visit_form()).headers["Location"]
    first = client.get(location).get_data(as_text=True)
    assert re.search(r'id="check-code">[A-Z0-9]{6}<', first)
    again = client.get(location).get_data(as_text=True)
    assert not re.search(r'id="check-code">[A-Z0-9]{6}<', again)


def test_another_office_cannot_add_to_a_case(client, login, loaded_catalog):
    login("desk1")
    client.post("/desk/visits/new", data=visit_form())
    number = db.session.scalar(select(Case.case_number))
    client.post("/logout")
    login("desk2")
    response = client.post("/desk/visits/new", data=visit_form(
        action="issue", case_number=number, documents=[], called_at="2026-04-07T10:00",
        finished_at="2026-04-07T10:05"))
    assert response.status_code == 422
    # Answered exactly like a case that does not exist, service not named.
    page = response.get_data(as_text=True)
    assert f"в вашем отделении нет дела {number}" in page and "is for service" not in page
    other = client.post("/desk/visits/new", data=visit_form(
        service_code="S2", action="issue", case_number=number, documents=[], called_at="2026-04-07T10:00",
        finished_at="2026-04-07T10:05"))
    assert "is for service" not in other.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Visit)) == 1


def test_a_second_submit_on_an_accepted_case_is_warned_as_a_clock_reset(client, login, loaded_catalog):
    login("desk1")
    client.post("/desk/visits/new", data=visit_form())
    case = db.session.scalar(select(Case))
    accepted, due = case.accepted_at, case.due_at
    again = visit_form(case_number=case.case_number, called_at="2026-04-20T10:00",
                       finished_at="2026-04-20T10:05", ticket_at="")
    response = client.post("/desk/visits/new", data=again)
    assert response.status_code == 422
    assert 'data-rule="CLOCK_RESET"' in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Visit.id))) == 1

    response = client.post("/desk/visits/new", data={**again, "override_reason": "applicant brought a new form"})
    assert response.status_code == 302
    db.session.expire_all()
    case = db.session.get(Case, case.id)
    assert (case.accepted_at, case.due_at) == (accepted, due)  # the deadline did not move
    rules = set(db.session.scalars(select(Finding.rule).where(Finding.case_pk == case.id)))
    assert "CLOCK_RESET" in rules


def test_consults_logged_at_the_desk_make_an_informal_return_on_the_later_case(client, login, loaded_catalog):
    login("desk1")
    iin = "900101300017"
    for day in ("2026-04-01", "2026-04-03"):
        response = client.post("/desk/visits/new", data=visit_form(
            action="consult", documents=[], applicant_ref=iin, called_at=f"{day}T10:00",
            finished_at=f"{day}T10:05", ticket_at=""))
        assert response.status_code == 302, response.get_data(as_text=True)
    client.post("/desk/visits/new", data=visit_form(applicant_ref=iin))
    case = db.session.scalar(select(Case))
    found = db.session.scalar(select(Finding).where(Finding.rule == "INFORMAL_RETURN"))
    assert found is not None and found.case_pk == case.id and found.detail.startswith("2 consults")


def test_a_refusal_needs_a_lawful_ground_and_the_receipt_names_it(client, login, loaded_catalog):
    login("desk1")
    client.post("/desk/visits/new", data=visit_form())
    number = db.session.scalar(select(Case.case_number))
    refuse = visit_form(action="refuse", case_number=number, documents=[], called_at="2026-04-07T10:00",
                        finished_at="2026-04-07T10:05", ticket_at="", forwarded_to="OF2")
    response = client.post("/desk/visits/new", data=refuse)
    assert response.status_code == 422
    assert "выберите законное основание отказа" in response.get_data(as_text=True)
    response = client.post("/desk/visits/new", data={**refuse, "refusal_ground": "R2"})
    assert response.status_code == 302
    visit = db.session.scalar(select(Visit).where(Visit.action == "refuse"))
    assert visit.refusal_ground == "R2" and not visit.forwarded_to  # another action's field is not saved
    receipt = client.get(response.headers["Location"]).get_data(as_text=True)
    assert '<dd id="refusal-ground">not entitled (ru)</dd>' in receipt
    assert "Сохранено: отказ, дело " + number in receipt  # the confirmation after saving


def test_finished_is_the_moment_of_saving_unless_typed(client, login, loaded_catalog):
    login("desk1")
    form = client.get("/desk/visits/new?service=S1").get_data(as_text=True)
    assert re.search(r'name="called_at"[^>]*value="\d{4}-\d\d-\d\dT\d\d:\d\d"', form)
    assert re.search(r'name="finished_at"[^>]*value=""', form) or 'name="finished_at" type="datetime-local">' in form
    now = dt.datetime.now(dt.timezone(dt.timedelta(hours=5))).replace(second=0, microsecond=0, tzinfo=None)
    started = (now - dt.timedelta(minutes=12)).strftime("%Y-%m-%dT%H:%M")
    response = client.post("/desk/visits/new", data=visit_form(called_at=started, finished_at="", ticket_at=""))
    assert response.status_code == 302
    visit = db.session.scalar(select(Visit))
    minutes = (visit.finished_at - visit.called_at).total_seconds() / 60
    assert 12 <= minutes <= 13


def test_the_day_view_says_the_service_action_and_next_step_in_words(client, login, loaded_catalog):
    login("desk1")
    client.post("/desk/visits/new", data=visit_form())
    number = db.session.scalar(select(Case.case_number))
    client.post("/desk/visits/new", data=visit_form(action="forward", case_number=number, documents=[],
                                                    called_at="2026-04-07T10:00", finished_at="2026-04-07T10:05",
                                                    ticket_at="", forwarded_to="OF2"))
    page = client.get("/desk/").get_data(as_text=True)
    row = page.split(number + "</a>")[1].split("</tr>")[0]
    assert "Service S1 (ru)" in row and "Передано в OF2: ждать ответа." in row
    assert "<td>S1</td>" not in page


def test_the_day_view_leads_with_todays_visits_and_their_case_numbers(client, login, loaded_catalog):
    """Today's visits come first, each with its case number; the open cases follow, the
    overdue first (issue 24)."""
    local = dt.timezone(dt.timedelta(hours=5))
    now = dt.datetime.now(local)
    stamp = "%Y-%m-%dT%H:%M"
    login("desk1")
    client.post("/desk/visits/new", data=visit_form())  # 6 April 2026: long overdue by now
    saved = client.post("/desk/visits/new", data=visit_form(
        ticket_at=(now - dt.timedelta(minutes=4)).strftime(stamp),
        called_at=(now - dt.timedelta(minutes=3)).strftime(stamp),
        finished_at=(now - dt.timedelta(minutes=1)).strftime(stamp)))
    assert saved.status_code == 302, saved.get_data(as_text=True)
    old, new = db.session.scalars(select(Case.case_number).order_by(Case.accepted_at)).all()
    page = client.get("/desk/?lang=ru").get_data(as_text=True)
    visits, open_cases = page.split("Незавершённые дела отделения")[0], page.split("Незавершённые дела отделения")[1]
    assert "Обращения за сегодня" in visits and f">{new}</a>" in visits and f">{old}</a>" not in visits
    assert open_cases.index(f">{old}</a>") < open_cases.index(f">{new}</a>")  # the overdue first
