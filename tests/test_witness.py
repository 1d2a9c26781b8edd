"""The applicant as witness (issue 27, docs/witness.md): every receipt asks "is this what
happened?", and a dispute is evidence that no desk action clears."""
from __future__ import annotations

import datetime as dt
import re

import pandas as pd
import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError

from monitor.extensions import db
from monitor.models import ApplicantFinding, Case, Complaint, Finding, OutgoingMail, Visit, VisitAnswer
from monitor.services import witness
from monitor.services.context import engine_inputs

from .test_desk import visit_form
from .test_evidence import correction, post_correction

pytestmark = pytest.mark.both_databases

ACCOUNT = "The clerk wanted a salary certificate before accepting anything."


def _case_with_code(client, login, **overrides):
    login("desk1")
    saved = client.post("/desk/visits/new", data=visit_form(**overrides))
    assert saved.status_code == 302, saved.get_data(as_text=True)
    receipt = client.get(saved.headers["Location"]).get_data(as_text=True)
    number = re.search(r'id="case-number">([^<]+)<', receipt).group(1)
    code = re.search(r'id="check-code">([A-Z0-9]{6})<', receipt).group(1)
    client.post("/logout")
    return number, code, receipt


def _dispute(**fields) -> dict:
    data = {"form": "v0-", "v0-visit_id": db.session.scalar(select(Visit.visit_id)), "v0-verdict": "disputed"}
    data.update({f"v0-{name}": value for name, value in fields.items()})
    return data


def _applicant_findings() -> dict[str, Finding]:
    db.session.expire_all()
    return {f.rule: f for f in db.session.scalars(
        select(Finding).join(ApplicantFinding, ApplicantFinding.finding_id == Finding.id))}


def test_the_receipt_carries_a_short_link_and_a_qr_code_to_the_logged_visit(client, login, loaded_catalog):
    number, code, receipt = _case_with_code(client, login)
    link = re.search(r'id="witness-link" href="([^"]+)"', receipt).group(1)
    assert link.endswith(f"/w/{number}/{code}")
    assert '<svg' in receipt and 'class="qr"' in receipt
    page = client.get(link.split("localhost", 1)[1] + "?lang=en")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Is this what happened?" in html
    logged = html.split('class="documents"')[1].split("</dd>")[0]
    assert "Application" in logged and "Marriage certificate" in logged
    assert page.headers["Cache-Control"] == "no-store" and page.headers["Referrer-Policy"] == "no-referrer"
    assert client.get(f"/w/{number}/ZZZZZZ").status_code == 404


def test_a_dispute_is_evidence_with_the_applicants_account(client, login, loaded_catalog):
    number, code, _ = _case_with_code(client, login)
    response = client.post(f"/w/{number}/{code}?lang=en", data=_dispute(
        documents="ADDRESS_CERT", typed_documents="Salary certificate", account=ACCOUNT))
    assert response.status_code == 303, response.get_data(as_text=True)
    found = _applicant_findings()
    assert set(found) == {"CITIZEN_DISPUTE", "EXTRA_DOCUMENT", "STATE_SYSTEM_DOCUMENT"}
    dispute = found["CITIZEN_DISPUTE"]
    assert (dispute.clause, dispute.severity, dispute.review_status, dispute.firing) == ("2.2.3", "high", "open", True)
    parameters = witness.parse_dispute(dispute.detail)
    assert parameters["account"] == ACCOUNT and parameters["documents"] == ["ADDRESS_CERT"]
    assert found["EXTRA_DOCUMENT"].detail == "reported by the applicant: not required by the service: " \
                                             "Salary certificate"
    assert found["STATE_SYSTEM_DOCUMENT"].detail.endswith("obtained by the office from state systems: ADDRESS_CERT")
    assert db.session.scalar(select(func.count(Complaint.id))) == 0  # no money asked: no inducement report
    answer = db.session.scalar(select(VisitAnswer))
    assert answer.verdict == "disputed" and answer.typed_documents == "Salary certificate"
    # Nothing identifying beyond the visit link.
    assert not {"iin", "applicant_hash", "applicant_ref", "contact"} & set(VisitAnswer.__table__.c.keys())


def test_money_asked_is_clause_2_2_4_and_a_report_routed_to_supervisors_only(client, login, loaded_catalog,
                                                                              people):
    people["desk1"].email, people["super1"].email = "desk1@office.kz", "super1@monitor.kz"
    db.session.commit()
    number, code, _ = _case_with_code(client, login)
    response = client.post(f"/w/{number}/{code}?lang=en", data=_dispute(asked_to_pay="y",
                                                                         account="10 000 tenge for speed"))
    assert response.status_code == 303
    dispute = _applicant_findings()["CITIZEN_DISPUTE"]
    assert dispute.clause == "2.2.4"
    report = db.session.scalar(select(Complaint))
    assert (report.kind, report.office_code, report.case_number) == ("inducement", "OF1", number)
    assert witness.parse_dispute(dispute.detail)["report"] == report.reference
    recipients = ",".join(db.session.scalars(select(OutgoingMail.recipients)))
    assert "super1@monitor.kz" in recipients and "desk1@office.kz" not in recipients
    # Changing the answer again does not file a second report.
    again = client.post(f"/w/{number}/{code}?lang=en", data=_dispute(asked_to_pay="y", account="10 000 tenge, cash"))
    assert again.status_code == 303
    assert db.session.scalar(select(func.count(Complaint.id))) == 1
    assert witness.parse_dispute(_applicant_findings()["CITIZEN_DISPUTE"].detail)["report"] == report.reference


def _visit_and_case():
    visit = db.session.scalar(select(Visit))
    return visit, db.session.get(Case, visit.case_pk)


def test_one_answer_per_visit_changeable_for_seven_days(client, login, loaded_catalog):
    _case_with_code(client, login)
    visit, case = _visit_and_case()
    inputs = engine_inputs()
    first = dt.datetime(2026, 4, 6, 12, 0, tzinfo=dt.UTC)
    witness.record_answer(db.session, inputs, case, visit.visit_id, witness.GivenAnswer("confirmed"), first)
    changed = witness.record_answer(db.session, inputs, case, visit.visit_id, witness.GivenAnswer(
        "disputed", told_to_return=True), first + dt.timedelta(days=6, hours=23))
    assert changed.answer.changed_at is not None and changed.answer.answered_at == first
    assert db.session.scalar(select(func.count(VisitAnswer.id))) == 1
    with pytest.raises(witness.AnswerRefused) as refused:
        witness.record_answer(db.session, inputs, case, visit.visit_id, witness.GivenAnswer("confirmed"),
                              first + dt.timedelta(days=7, minutes=1))
    assert refused.value.code == "closed"
    db.session.commit()
    # The schema itself keeps one answer per visit.
    db.session.add(VisitAnswer(visit_pk=visit.id, verdict="confirmed", documents=[], answered_at=first))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


@pytest.mark.parametrize("given, code", [
    (witness.GivenAnswer("disputed"), "dispute_needs_what"),
    (witness.GivenAnswer("confirmed", told_to_return=True), "confirmation_differs"),
    (witness.GivenAnswer("disputed", documents=("NOT_A_DOCUMENT",)), "unknown_document"),
    (witness.GivenAnswer("disputed", waited_minutes=5000), "bad_wait"),
    (witness.GivenAnswer("maybe"), "unknown_verdict"),
])
def test_answers_that_contradict_themselves_are_refused(client, login, loaded_catalog, given, code):
    _case_with_code(client, login)
    visit, case = _visit_and_case()
    with pytest.raises(witness.AnswerRefused) as refused:
        witness.record_answer(db.session, engine_inputs(), case, visit.visit_id, given,
                              dt.datetime.now(dt.UTC))
    assert refused.value.code == code
    with pytest.raises(witness.AnswerRefused):
        witness.record_answer(db.session, engine_inputs(), case, "another-visit", witness.GivenAnswer("confirmed"),
                              dt.datetime.now(dt.UTC))


def test_no_desk_action_clears_what_the_applicant_reported(app, client, login, loaded_catalog):
    number, code, _ = _case_with_code(client, login)
    assert client.post(f"/w/{number}/{code}", data=_dispute(typed_documents="Photo (kk)",
                                                             account=ACCOUNT)).status_code == 303
    before = {rule: (f.id, f.detail) for rule, f in _applicant_findings().items()}
    assert set(before) == {"CITIZEN_DISPUTE", "EXTRA_DOCUMENT"}  # "Photo (kk)" is PHOTO by its Kazakh name
    assert before["EXTRA_DOCUMENT"][1].endswith(": PHOTO")
    # The desk corrects the visit so that the engine fires EXTRA_DOCUMENT itself, then clears it again.
    visit = db.session.scalar(select(Visit))
    login("desk1")
    for documents in ("APPLICATION;MARRIAGE_CERT;PHOTO", "APPLICATION;MARRIAGE_CERT"):
        response = post_correction(client, visit, documents_requested=documents, reason="typo in the log")
        assert response.status_code == 302, response.get_data(as_text=True)
        pending = db.session.scalar(select(func.count()).select_from(text("correction_requests"))
                                    .where(text("status = 'pending'")))
        if pending:
            client.post("/logout")
            login("super1")
            request_id = db.session.scalar(text("SELECT id FROM correction_requests WHERE status = 'pending'"))
            assert client.post(f"/supervisor/corrections/{request_id}",
                               data={"decision": "approve", "note": "ok"}).status_code == 302
            client.post("/logout")
            login("desk1")
    for job in (["sweep", "--now", "2026-04-20T09:00"],):
        result = app.test_cli_runner().invoke(args=["jobs", "run", *job])
        assert result.exit_code == 0, result.output
    from monitor.stores.findings import Cause, retime_and_judge
    retime_and_judge(db.session, engine_inputs(), "admin", Cause("catalog", "catalog reloaded"))
    db.session.commit()
    after = _applicant_findings()
    assert {rule: (f.id, f.detail) for rule, f in after.items()} == before
    assert all(f.firing and f.cleared_at is None for f in after.values())
    assert db.session.scalar(select(func.count(Finding.id)).where(Finding.rule == "EXTRA_DOCUMENT")) == 1


def test_the_applicants_own_change_clears_their_findings(client, login, loaded_catalog):
    number, code, _ = _case_with_code(client, login)
    client.post(f"/w/{number}/{code}", data=_dispute(typed_documents="Salary certificate"))
    confirmed = {"form": "v0-", "v0-visit_id": db.session.scalar(select(Visit.visit_id)), "v0-verdict": "confirmed"}
    assert client.post(f"/w/{number}/{code}", data=confirmed).status_code == 303
    found = _applicant_findings()
    assert set(found) == {"CITIZEN_DISPUTE", "EXTRA_DOCUMENT"}
    assert all(not f.firing and f.cleared_cause == "applicant" for f in found.values())
    client.post(f"/w/{number}/{code}", data=_dispute(typed_documents="Salary certificate"))
    assert all(f.firing and f.cleared_at is None for f in _applicant_findings().values())


def test_answers_are_covered_by_the_row_digests(app, client, login, loaded_catalog):
    number, code, _ = _case_with_code(client, login)
    client.post(f"/w/{number}/{code}", data=_dispute(typed_documents="Salary certificate", account=ACCOUNT))
    runner = app.test_cli_runner()
    assert runner.invoke(args=["audit", "verify"]).exit_code == 0
    answer = db.session.scalar(select(VisitAnswer.id))
    db.session.execute(text("DELETE FROM applicant_findings WHERE finding_id = (SELECT MIN(finding_id) "
                            "FROM applicant_findings)"))
    db.session.commit()
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1 and f"visit answer row {answer}" in result.output, result.output
    assert "(table visit_answers, " in result.output


def test_clerk_pages_show_nothing_of_the_answer_and_supervisors_see_the_account(client, login, loaded_catalog,
                                                                                people):
    number, code, _ = _case_with_code(client, login)
    client.post(f"/w/{number}/{code}", data=_dispute(typed_documents="Salary certificate", account=ACCOUNT))
    visit = db.session.scalar(select(Visit))
    login("desk1")
    pages = [client.get(url).get_data(as_text=True) for url in (
        "/desk/?lang=en", f"/desk/receipts/{number}?lang=en", f"/desk/visits/{visit.visit_id}/correct?lang=en")]
    preview = client.post(f"/desk/visits/{visit.visit_id}/correct?lang=en", data={
        **correction(visit, documents_requested="APPLICATION"), "reason": "typo"}).get_data(as_text=True)
    for page in pages + [preview]:
        for secret in (ACCOUNT, "Salary certificate", "disputes the log", "CITIZEN_DISPUTE", "disputed",
                       "confirmed as logged"):
            assert secret not in page, secret
    client.post("/logout")
    login("super1")
    page = client.get("/supervisor/findings?lang=en").get_data(as_text=True)
    assert "The applicant disputes the log" in page and ACCOUNT in page and "Salary certificate" in page
    assert visit.applicant_hash is None or visit.applicant_hash not in page


def _three_cases_answered(client, login):
    """Three cases in week 2026-W15 at OF1 (and one at OF2): one visit confirmed, one disputed."""
    numbers = []
    login("desk1")
    for minute in ("10", "20", "30"):
        saved = client.post("/desk/visits/new", data=visit_form(called_at=f"2026-04-07T10:{minute}",
                                                                finished_at=f"2026-04-07T10:{minute[0]}5",
                                                                ticket_at=f"2026-04-07T10:0{minute[0]}"))
        assert saved.status_code == 302, saved.get_data(as_text=True)
        numbers.append(saved.headers["Location"].rsplit("/", 1)[1])
    client.post("/logout")
    login("desk2")
    assert client.post("/desk/visits/new", data=visit_form()).status_code == 302
    client.post("/logout")
    inputs = engine_inputs()
    now = dt.datetime(2026, 4, 8, 12, 0, tzinfo=dt.UTC)
    for number, given in zip(numbers, (witness.GivenAnswer("confirmed"),
                                       witness.GivenAnswer("disputed", sent_elsewhere=True))):
        case = db.session.scalar(select(Case).where(Case.case_number == number))
        witness.record_answer(db.session, inputs, case, case.visits[0].visit_id, given, now)
    db.session.commit()


def test_the_indicators_equal_a_plain_recount(client, login, loaded_catalog):
    from monitor.compliance.indicators import week_of_label
    from monitor.stores.weeks import stored_indicators

    _three_cases_answered(client, login)
    inputs = engine_inputs()
    week = week_of_label("2026-W15")
    by_office = stored_indicators(db.session, inputs.frames, inputs.timezone, week, week, "office") \
        .set_index("office")
    network = stored_indicators(db.session, inputs.frames, inputs.timezone, week, week).iloc[0]
    recount = pd.read_sql(text(
        "SELECT v.office_code, COUNT(a.id) AS answered, "
        "SUM(CASE WHEN a.verdict = 'confirmed' THEN 1 ELSE 0 END) AS confirmed, "
        "SUM(CASE WHEN a.verdict = 'disputed' THEN 1 ELSE 0 END) AS disputed "
        "FROM visits v LEFT JOIN visit_answers a ON a.visit_pk = v.id WHERE v.week = :week GROUP BY v.office_code"),
        db.session.connection(), params={"week": week}).set_index("office_code")
    accepted = pd.read_sql(text("SELECT office_code, COUNT(*) AS n FROM cases WHERE accepted_at IS NOT NULL "
                                "GROUP BY office_code"), db.session.connection()).set_index("office_code")["n"]
    for office in ("OF1", "OF2"):
        row = recount.loc[office]
        expected_rate = row["confirmed"] / row["answered"] if row["answered"] else None
        if expected_rate is None:
            assert pd.isna(by_office.at[office, "confirmation_rate"])
        else:
            assert by_office.at[office, "confirmation_rate"] == pytest.approx(expected_rate)
        assert by_office.at[office, "disputes_per_100_cases"] == pytest.approx(
            100 * (row["disputed"] or 0) / accepted[office])
    assert by_office.at["OF1", "confirmation_rate"] == pytest.approx(0.5)
    assert network["confirmation_rate"] == pytest.approx(recount["confirmed"].sum() / recount["answered"].sum())
    assert network["disputes_per_100_cases"] == pytest.approx(100 * recount["disputed"].sum() / accepted.sum())


def test_an_analysis_without_answers_leaves_the_two_indicators_empty(client, login, loaded_catalog):
    from monitor.compliance import judge
    from monitor.stores.visits import visits_frame

    _three_cases_answered(client, login)
    inputs = engine_inputs()
    visits = visits_frame(db.session, inputs.frames, inputs.timezone)
    analysis = judge(visits, inputs.frames, inputs.calendar, pd.Timestamp("2026-04-20", tz="UTC"), inputs.thresholds)
    table = analysis.indicators(inputs.timezone)
    assert table["confirmation_rate"].isna().all() and table["disputes_per_100_cases"].isna().all()
    # Given the stored answers, the engine on every visit equals the stored weeks' figures.
    answers = pd.read_sql(select(VisitAnswer.visit_pk, VisitAnswer.verdict), db.session.connection())
    position = pd.Series(range(len(analysis.visits)), index=analysis.visits["visit_pk"].to_numpy())
    answers = pd.DataFrame({"row": answers["visit_pk"].map(position).to_numpy(), "verdict": answers["verdict"]})
    table = analysis.indicators(inputs.timezone, answers=answers).set_index("week")
    assert table.at["2026-W15", "confirmation_rate"] == pytest.approx(0.5)
    assert table.at["2026-W15", "disputes_per_100_cases"] == pytest.approx(25.0)


def test_a_dispute_is_on_the_accountability_clock(app, client, login, loaded_catalog):
    from monitor.models import Escalation
    from monitor.services import escalations

    number, code, _ = _case_with_code(client, login)
    client.post(f"/w/{number}/{code}", data=_dispute(told_to_return="y"))
    dispute = _applicant_findings()["CITIZEN_DISPUTE"]
    escalations.escalate(db.session, dispute.as_of + dt.timedelta(days=30), app.config["ESCALATE_AFTER_WORKING_DAYS"],
                         engine_inputs().calendar)
    db.session.commit()
    escalated = db.session.scalar(select(Escalation).where(Escalation.item_kind == "unreviewed_finding",
                                                           Escalation.item_id == dispute.id))
    assert escalated is not None and escalated.office_code == "OF1"


@pytest.mark.parametrize("language", ["kk", "ru"])
def test_the_answer_pages_speak_the_readers_language(client, login, loaded_catalog, language):
    from .test_language_leaks import english_runs

    login("desk1")
    saved = client.post("/desk/visits/new", data=visit_form())
    receipt = client.get(saved.headers["Location"] + f"?lang={language}").get_data(as_text=True)
    link = re.search(r'id="witness-link" href="[^"]*(/w/[^"]+)"', receipt).group(1)
    client.post("/logout")
    client.post(link, data=_dispute(documents="ADDRESS_CERT", typed_documents="Salary certificate",
                                    told_to_return="y", waited_minutes="70", account=ACCOUNT))
    refused = client.post(link + f"?lang={language}", data=_dispute())  # a dispute that says nothing
    assert refused.status_code == 422
    login("super1")
    pages = [receipt, client.get(link + f"?lang={language}").get_data(as_text=True), refused.get_data(as_text=True),
             client.get(f"/supervisor/findings?lang={language}").get_data(as_text=True)]
    for page in pages:
        # The test catalog's names are its own ("Address certificate (kk)"), not the pages' words.
        leaks = [run for run in english_runs(page)[0] if not re.search(r"\((kk|ru)\)?$", run)]
        assert leaks == [], leaks


def test_an_office_whose_applicants_dispute_far_more_is_an_outlier_of_the_report(client, login, loaded_catalog):
    """Its own log is clean; only its applicants' answers single it out (funnel plot)."""
    from monitor.services import reports

    inputs = engine_inputs()
    for user in ("desk1", "desk2"):
        login(user)
        for index in range(16):
            hour, minute = 9 + index // 4, (index % 4) * 15
            saved = client.post("/desk/visits/new", data=visit_form(
                called_at=f"2026-04-07T{hour:02d}:{minute:02d}", finished_at=f"2026-04-07T{hour:02d}:{minute + 10:02d}",
                ticket_at=f"2026-04-07T{hour:02d}:{minute:02d}"))
            assert saved.status_code == 302, saved.get_data(as_text=True)
        client.post("/logout")
    now = dt.datetime(2026, 4, 8, 12, 0, tzinfo=dt.UTC)
    for number, case in enumerate(db.session.scalars(select(Case).order_by(Case.id))):
        disputes = case.office_code == "OF1" and number % 16 < 12
        given = witness.GivenAnswer("disputed", told_to_return=True) if disputes else witness.GivenAnswer("confirmed")
        witness.record_answer(db.session, inputs, case, case.visits[0].visit_id, given, now)
    db.session.commit()
    # The report reads the stored weekly cells, which the cells job refreshes after answers.
    from monitor.services import indicator_cells
    indicator_cells.refresh_stale(db.session, engine_inputs())
    db.session.commit()
    report = reports.weekly_report(db.session, inputs, "2026-W15", None)
    assert report.network["disputes_per_100_cases"] == pytest.approx(100 * 12 / 32)
    flagged = {(item.indicator, item.office) for item in report.summary if item.kind == "outlier"}
    assert ("disputes_per_100_cases", "OF1") in flagged and ("confirmation_rate", "OF1") in flagged


def test_the_link_is_rate_limited_like_the_status_page(app, client, login, loaded_catalog):
    number, code, _ = _case_with_code(client, login)
    app.config["CASE_STATUS_RATE_LIMIT"] = "3 per minute"
    # Guessing codes through the link is limited, GET and POST alike.
    codes = [client.get(f"/w/{number}/AAAAA{i}").status_code for i in range(3)]
    codes += [client.post(f"/w/{number}/{code}", data=_dispute(told_to_return="y")).status_code,
              client.get(f"/w/{number}/{code}").status_code]
    assert codes == [404, 404, 404, 429, 429]
    assert db.session.scalar(select(func.count(VisitAnswer.id))) == 0


def test_an_answer_without_the_forms_csrf_token_is_refused(app, client, login, loaded_catalog):
    number, code, _ = _case_with_code(client, login)
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        response = client.post(f"/w/{number}/{code}", data=_dispute(told_to_return="y"))
        assert response.status_code == 400
        assert db.session.scalar(select(func.count(VisitAnswer.id))) == 0
        page = client.get(f"/w/{number}/{code}").get_data(as_text=True)
        assert 'name="v0-csrf_token"' in page  # each visit's form carries its token
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
