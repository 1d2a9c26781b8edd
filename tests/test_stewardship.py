"""Catalog stewards (issue 25): a draft validated by the catalog's own validator, its diff and
the cases it would re-time, four eyes, approval through the catalog load's use case, rejection,
who may see what, and reports of wrong pages from citizens and clerks."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from monitor.extensions import db
from monitor.models import AuditRecord, Case, CatalogDraft, ErrorReport, User
from monitor.services import accounts, stewardship
from monitor.services.context import current_catalog, engine_inputs
from monitor.services.stewardship import NEW, DraftFields, StewardshipError
from services_catalog.model import SOURCED_FACTS

from .conftest import PASSWORD
from .test_desk import visit_form

pytestmark = pytest.mark.both_databases


@pytest.fixture
def stewards(app, people, loaded_catalog):
    """steward1 and steward2 keep the whole catalog; steward3 only S2."""
    made = {}
    for login, keeps in (("steward1", ()), ("steward2", ()), ("steward3", ("S2",))):
        made[login] = accounts.create_user(db.session, accounts.NewUser(
            login=login, role="steward", password=PASSWORD, stewarded=keeps), actor="test")
    db.session.commit()
    people.update(made)
    return made


@pytest.fixture
def open_case(client, login, loaded_catalog):
    """An S1 case accepted on Monday 6 April 2026 (5 working days: due Monday 13 April)."""
    login("desk1")
    response = client.post("/desk/visits/new", data=visit_form())
    assert response.status_code == 302, response.get_data(as_text=True)
    client.post("/logout")
    return db.session.scalar(select(Case).where(Case.service_code == "S1"))


def fields(**overrides) -> DraftFields:
    """The test catalog's S1 as it stands, from 1 April 2026, with ``overrides``."""
    data = dict(effective_from=dt.date(2026, 4, 1), legal_basis={"kk": "Бұйрық 2", "ru": "Приказ 2", "en": "Order 2"},
                deadline_value=5, deadline_unit="working_days", max_wait_minutes=15, max_service_minutes=20,
                fee_mrp=None, fee_amount=0, required=("APPLICATION", "MARRIAGE_CERT", "JOINT_APPLICATION",
                                                      "POWER_OF_ATTORNEY"),
                obtained=("BIRTH_MEDICAL_CERT", "ADDRESS_CERT"), grounds_kept=("R1", "R2"))
    data.update(overrides)
    return DraftFields(**data)


def compose(code="S1", **overrides) -> dict:
    catalog = current_catalog()
    data = fields(**overrides)
    return stewardship.compose_version(stewardship.base_version(catalog, code, data.effective_from), data)


def test_a_draft_is_checked_by_the_catalogs_validator_naming_the_field(app, stewards):
    catalog = current_catalog()
    check = stewardship.check_draft(catalog, "S1", compose(max_wait_minutes=0, obtained=("APPLICATION",)))
    assert not check.valid
    named = {problem.field for problem in check.problems}
    assert "max_wait_minutes" in named
    assert any("both required and obtained" in p.reason for p in check.problems if p.field == "obtained_by_office")
    assert stewardship.check_draft(catalog, "S1", compose()).valid


def test_a_source_is_needed_for_every_fact_once_a_draft_names_one(app, stewards):
    catalog = current_catalog()
    source = {"title": "Order No. 2 of the Minister", "url": "https://adilet.zan.kz/rus/docs/V2600000002"}
    partial = compose(new_source=source, fact_sources={"deadline": NEW})
    problems = stewardship.check_draft(catalog, "S1", partial).problems
    assert {p.field for p in problems} >= {f"provenance.{fact}" for fact in SOURCED_FACTS if fact != "deadline"}
    complete = compose(new_source=source, fact_sources={fact: NEW for fact in SOURCED_FACTS})
    assert stewardship.check_draft(catalog, "S1", complete).valid
    # A press page alone does not carry a fact.
    press = compose(new_source={**source, "secondary": True}, fact_sources={fact: NEW for fact in SOURCED_FACTS})
    assert any("only secondary sources" in p.reason for p in stewardship.check_draft(catalog, "S1", press).problems)


def test_the_draft_is_placed_among_the_versions_in_force(app, stewards):
    check = stewardship.check_draft(current_catalog(), "S1", compose(deadline_value=10))
    periods = [(v.effective_from, v.effective_to) for v in check.service.versions]
    assert periods == [(dt.date(2024, 1, 1), dt.date(2026, 3, 31)), (dt.date(2026, 4, 1), None)]
    assert check.version.deadline.value == 10


def test_the_diff_names_what_changes(app, stewards):
    changes = stewardship.changes(current_catalog(), "S1", compose(
        deadline_value=10, obtained=("BIRTH_MEDICAL_CERT",), grounds_kept=("R1",)))
    by_fact = {change.fact: change for change in changes}
    assert by_fact["deadline"].before == {"value": 5, "unit": "working_days"}
    assert by_fact["deadline"].after == {"value": 10, "unit": "working_days"}
    assert by_fact["obtained_by_office"].after == ["BIRTH_MEDICAL_CERT"]
    assert [g["code"] for g in by_fact["refusal_grounds"].after] == ["R1"]
    assert "fee" not in by_fact and "max_wait_minutes" not in by_fact


def test_affected_cases_are_the_open_ones_of_the_drafts_period(app, stewards, open_case):
    catalog, calendar = current_catalog(), engine_inputs().calendar
    longer = stewardship.check_draft(catalog, "S1", compose(deadline_value=10))
    affected = stewardship.affected_cases(db.session, longer, "S1", calendar)
    assert [c.case_number for c in affected.retimed] == [open_case.case_number]
    # Ten working days from Monday 6 April: Monday 20 April, end of day, local time.
    assert affected.cases[0].due_after.astimezone(calendar.timezone).date() == dt.date(2026, 4, 20)
    same = stewardship.check_draft(catalog, "S1", compose(max_wait_minutes=10))
    assert [c.case_number for c in stewardship.affected_cases(db.session, same, "S1", calendar).cases] \
        == [open_case.case_number]
    assert stewardship.affected_cases(db.session, same, "S1", calendar).retimed == ()
    later = stewardship.check_draft(catalog, "S1", compose(deadline_value=10, effective_from=dt.date(2026, 5, 1)))
    assert stewardship.affected_cases(db.session, later, "S1", calendar).cases == ()


def _submitted(author: User, **overrides) -> CatalogDraft:
    draft = stewardship.save_draft(db.session, author, "S1", compose(**overrides))
    stewardship.submit(db.session, draft, author, current_catalog(), engine_inputs().calendar)
    db.session.commit()
    return draft


def test_four_eyes_the_author_cannot_approve(app, stewards, open_case):
    draft = _submitted(stewards["steward1"], deadline_value=10)
    with pytest.raises(StewardshipError) as refused:
        stewardship.approve(db.session, draft, stewards["steward1"], "looks right", current_catalog())
    assert refused.value.message == stewardship.FOUR_EYES
    with pytest.raises(StewardshipError):
        stewardship.reject(db.session, draft, stewards["steward1"], "changed my mind")
    assert draft.status == "submitted"
    # A steward who does not keep S1 cannot decide either.
    with pytest.raises(StewardshipError) as refused:
        stewardship.approve(db.session, draft, stewards["steward3"], "ok", current_catalog())
    assert refused.value.message == stewardship.NOT_YOURS


def test_approval_puts_the_version_in_force_from_its_date_and_retimes_the_case(app, stewards, open_case):
    before = open_case.due_at
    draft = _submitted(stewards["steward1"], deadline_value=10)
    assert draft.affected_cases == {"rejudged": [open_case.case_number], "retimed": [open_case.case_number]}
    loaded = stewardship.approve(db.session, draft, stewards["steward2"], "Order 2 checked on adilet",
                                 current_catalog())
    db.session.commit()
    assert loaded.retimed >= 1 and draft.status == "approved"
    db.session.expire_all()
    case = db.session.get(Case, open_case.id)
    assert case.due_at > before
    catalog = current_catalog()
    assert catalog.version_in_force("S1", dt.date(2026, 3, 31)).deadline.value == 5
    assert catalog.version_in_force("S1", dt.date(2026, 4, 1)).deadline.value == 10
    actions = [(r.actor, r.action, r.entity) for r in db.session.scalars(
        select(AuditRecord).order_by(AuditRecord.sequence))]
    assert ("steward1", "draft", "catalog_draft") in actions and ("steward1", "submit", "catalog_draft") in actions
    assert ("steward2", "approve", "catalog_draft") in actions and ("steward2", "load", "catalog") in actions
    result = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 0, result.output


def test_a_case_accepted_before_the_new_version_keeps_its_time(app, stewards, open_case):
    before = open_case.due_at
    draft = _submitted(stewards["steward1"], deadline_value=10, effective_from=dt.date(2026, 4, 7))
    assert draft.affected_cases == {"rejudged": [], "retimed": []}
    stewardship.approve(db.session, draft, stewards["steward2"], "from the 7th", current_catalog())
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Case, open_case.id).due_at == before


def test_rejection_keeps_the_catalog_and_records_the_reason(app, stewards, open_case):
    draft = _submitted(stewards["steward1"], deadline_value=10)
    stewardship.reject(db.session, draft, stewards["steward2"], "the order is not yet registered")
    db.session.commit()
    assert draft.status == "rejected" and draft.decisions[0].reason == "the order is not yet registered"
    client = app.test_client()
    sign_in(client, "steward1")  # the author reads why on their page
    assert "the order is not yet registered" in client.get("/steward/?lang=en").get_data(as_text=True)
    assert current_catalog().version_in_force("S1", dt.date(2026, 4, 1)).deadline.value == 5
    with pytest.raises(StewardshipError):
        stewardship.approve(db.session, draft, stewards["steward2"], "after all", current_catalog())


def test_a_raw_edit_of_a_draft_is_named_by_audit_verify(app, stewards):
    from sqlalchemy import text
    draft = _submitted(stewards["steward1"], deadline_value=10)
    db.session.execute(text("UPDATE catalog_drafts SET author = 'steward2' WHERE id = :id"), {"id": draft.id})
    # A steward given a service behind the application's back: their user row no longer matches.
    db.session.execute(text("INSERT INTO stewarded_services (user_id, service_code) VALUES (:id, 'S1')"),
                       {"id": stewards["steward2"].id})
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code != 0 and "catalog_draft" in result.output
    assert "user steward2 (row" in result.output and "catalog draft S1 (row" in result.output


# --- the pages ----------------------------------------------------------------------------

def sign_in(client, login: str) -> None:
    response = client.post("/login", data={"login": login, "password": PASSWORD})
    assert response.status_code == 302, response.get_data(as_text=True)


def draft_form(**overrides) -> dict:
    data = {"effective_from": "2026-04-01", "legal_basis_kk": "Бұйрық 2", "legal_basis_ru": "Приказ 2",
            "legal_basis_en": "Order 2", "deadline_value": "10", "deadline_unit": "working_days",
            "max_wait_minutes": "15", "max_service_minutes": "20", "fee_mrp": "", "fee_amount": "0",
            "required": ["APPLICATION", "MARRIAGE_CERT", "JOINT_APPLICATION", "POWER_OF_ATTORNEY"],
            "obtained": ["BIRTH_MEDICAL_CERT", "ADDRESS_CERT"], "grounds_kept": ["R1", "R2"],
            "new_source_title": "Order No. 2", "new_source_url": "https://adilet.zan.kz/rus/docs/V2600000002",
            **{f"source_{fact}": NEW for fact in SOURCED_FACTS}, "step": "check"}
    data.update(overrides)
    return data


def test_a_steward_drafts_checks_and_submits_in_the_browser_form(app, client, stewards, open_case):
    sign_in(client, "steward1")
    page = client.get("/steward/services/S1/draft?lang=en").get_data(as_text=True)
    assert 'value="5"' in page and "Marriage certificate" in page  # starts as the version in force
    checked = client.post("/steward/services/S1/draft?lang=en", data=draft_form())
    text = checked.get_data(as_text=True)
    assert checked.status_code == 200, text
    assert open_case.case_number in text and "re-timed" in text
    invalid = client.post("/steward/services/S1/draft?lang=en", data=draft_form(max_service_minutes="0",
                                                                               obtained=["APPLICATION"]))
    assert invalid.status_code == 422
    # The catalog's validator speaks, each problem on the field it names.
    text = invalid.get_data(as_text=True)
    obtained_field = text[text.index('id="obtained"'):text.index('id="source_obtained_by_office"')]
    assert "both required and obtained" in obtained_field
    limit_field = text[text.index('id="max_service_minutes"'):text.index('id="source_max_service_minutes"')]
    assert "must be a whole number &gt; 0" in limit_field
    in_kazakh = client.post("/steward/services/S1/draft?lang=kk", data=draft_form(obtained=["APPLICATION"]))
    assert "Каталогты тексеру (ағылшынша)" in in_kazakh.get_data(as_text=True)
    submitted = client.post("/steward/services/S1/draft?lang=en", data=draft_form(step="submit"))
    assert submitted.status_code == 302
    draft = db.session.scalar(select(CatalogDraft))
    assert draft.status == "submitted" and draft.author == "steward1"
    page = client.get(f"/steward/drafts/{draft.id}?lang=en").get_data(as_text=True)
    assert "the author cannot approve" in page and 'value="approve"' not in page
    # Posting the decision anyway is refused by the use case.
    client.post(f"/steward/drafts/{draft.id}/decide", data={"decision": "approve", "reason": "mine"})
    db.session.expire_all()
    assert db.session.get(CatalogDraft, draft.id).status == "submitted"
    client.post("/logout")
    sign_in(client, "steward2")
    answer = client.post(f"/steward/drafts/{draft.id}/decide?lang=en", data={"decision": "approve",
                                                                           "reason": "checked on adilet"})
    assert answer.status_code == 302
    db.session.expire_all()
    assert db.session.get(CatalogDraft, draft.id).status == "approved"
    assert current_catalog().version_in_force("S1", dt.date(2026, 4, 1)).deadline.value == 10


@pytest.mark.parametrize("who", ["desk1", "super1", "admin"])
def test_steward_pages_are_forbidden_to_other_staff(app, client, stewards, who):
    sign_in(client, who)
    for path in ("/steward/", "/steward/services/S1/draft", "/steward/reports", "/steward/drafts/1"):
        assert client.get(path).status_code == 403, (who, path)


def test_anonymous_visitors_are_sent_to_sign_in(app, client, stewards):
    response = client.get("/steward/services/S1/draft")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_a_steward_sees_only_the_services_they_keep(app, client, stewards):
    draft = _submitted(stewards["steward1"], deadline_value=10)
    sign_in(client, "steward3")  # keeps S2 only
    assert client.get("/steward/services/S2/draft").status_code == 200
    assert client.get("/steward/services/S1/draft").status_code == 404
    assert client.get(f"/steward/drafts/{draft.id}").status_code == 404
    assert client.get("/steward/services/NOPE/draft").status_code == 404
    listing = client.get("/steward/?lang=en").get_data(as_text=True)
    assert "Service S2" in listing and "Service S1" not in listing


def test_an_admin_creates_a_steward_for_some_services(app, client, stewards):
    sign_in(client, "admin")
    created = client.post("/admin/users", data={"login": "steward9", "role": "steward", "office_code": "",
                                                "stewarded": ["S3"], "password": PASSWORD})
    assert created.status_code == 302, created.get_data(as_text=True)
    user = accounts.find_user(db.session, "steward9")
    assert user.role == "steward" and stewardship.stewarded_codes(db.session, user) == {"S3"}
    listing = client.get("/admin/users?lang=en").get_data(as_text=True)
    assert "<td>S3</td>" in listing and "whole catalog" in listing  # steward9; steward1 keeps all


def test_the_cli_creates_a_steward(app, stewards):
    result = app.test_cli_runner().invoke(args=["users", "create", "steward8", "--role", "steward",
                                                "--keeps", "S1", "--keeps", "S2", "--password-stdin"],
                                          input=PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    user = accounts.find_user(db.session, "steward8")
    assert stewardship.stewarded_codes(db.session, user) == {"S1", "S2"}
    result = app.test_cli_runner().invoke(args=["users", "create", "steward7", "--role", "steward",
                                                "--keeps", "NOPE", "--password-stdin"], input=PASSWORD + "\n")
    assert result.exit_code != 0 and "no such service" in result.output


# --- reports of wrong pages ---------------------------------------------------------------

def test_a_citizen_reports_a_wrong_page_and_a_steward_answers(app, client, stewards):
    app.config["WTF_CSRF_ENABLED"] = True
    page = client.get("/services/S1?lang=en")
    assert "/services/S1/report" in page.get_data(as_text=True)
    assert "public" in page.headers["Cache-Control"]
    assert "csrf_token" not in page.get_data(as_text=True)  # the cached page holds no token
    form = client.get("/services/S1/report?lang=en")
    assert form.headers["Cache-Control"] == "no-store" and "csrf_token" in form.get_data(as_text=True)
    app.config["WTF_CSRF_ENABLED"] = False
    sent = client.post("/services/S1/report?lang=en", data={"text": "The fee is 0.5 MRP since January",
                                                             "contact": "", "website": ""})
    assert sent.status_code == 200 and "no-store" == sent.headers["Cache-Control"]
    report = db.session.scalar(select(ErrorReport))
    assert report.origin == "public" and report.reporter is None and report.status == "open"
    received_local = report.received_at.astimezone(engine_inputs().calendar.timezone).date()
    assert (report.answer_by - report.received_at) >= dt.timedelta(days=12)  # 10 working days, weekends between
    assert received_local < report.answer_by.date()
    assert [user.login for user in stewardship.stewards_of(db.session, "S1")] == ["steward1", "steward2"]
    sign_in(client, "steward3")  # keeps S2 only: not theirs
    assert client.get(f"/steward/reports/{report.id}").status_code == 404
    client.post("/logout")
    sign_in(client, "steward1")
    assert "The fee is 0.5 MRP" in client.get("/steward/reports?lang=en").get_data(as_text=True)
    answered = client.post(f"/steward/reports/{report.id}", data={"answer": "Corrected in draft 1"})
    assert answered.status_code == 302
    db.session.expire_all()
    report = db.session.get(ErrorReport, report.id)
    assert report.status == "answered" and report.answered_by == "steward1"


def test_a_clerk_reports_a_missing_document_from_the_visit_form(app, client, login, stewards):
    login("desk1")
    form = client.get("/desk/visits/new?service=S1&lang=en").get_data(as_text=True)
    assert "/services/S1/report?missing=1" in form
    client.post("/services/S1/report", data={"text": "The rules require a photo; it is not listed"})
    report = db.session.scalar(select(ErrorReport))
    assert report.origin == "desk" and report.reporter == "desk1"


def test_reports_are_csrf_protected_and_rate_limited(app, stewards):
    app.config["WTF_CSRF_ENABLED"] = True
    client = app.test_client()
    refused = client.post("/services/S1/report", data={"text": "Something is wrong here"})
    assert refused.status_code in (400, 422) and db.session.scalar(select(ErrorReport)) is None
    app.config["WTF_CSRF_ENABLED"] = False
    app.config["ERROR_REPORT_RATE_LIMIT"] = "2 per hour"
    codes = [client.post("/services/S1/report", data={"text": f"Report number {n} of a wrong fee"},
                         environ_base={"REMOTE_ADDR": "10.4.4.4"}).status_code for n in range(4)]
    assert codes[:2] == [200, 200] and codes[2:] == [429, 429]


def test_a_robot_filling_the_hidden_field_stores_nothing(app, client, stewards):
    sent = client.post("/services/S1/report", data={"text": "Buy cheap watches here now", "website": "x"})
    assert sent.status_code == 200 and db.session.scalar(select(ErrorReport)) is None


def test_an_unknown_service_has_no_report_page(app, client, stewards):
    assert client.get("/services/NOPE/report").status_code == 404


# --- the domain: placing a draft, what it changes --------------------------------------------

def test_a_draft_between_two_versions_ends_before_the_later_one():
    from services_catalog.drafts import place_version
    service = {"code": "S2", "versions": [
        {"effective_from": "2024-01-01", "effective_to": "2026-03-31", "x": 1},
        {"effective_from": "2026-04-01", "effective_to": None, "x": 2}]}
    placed = place_version(service, {"effective_from": "2025-06-01", "x": 3})["versions"]
    assert [(str(v["effective_from"]), str(v["effective_to"]), v["x"]) for v in placed] == [
        ("2024-01-01", "2025-05-31", 1), ("2025-06-01", "2026-03-31", 3), ("2026-04-01", "None", 2)]
    replaced = place_version(service, {"effective_from": "2026-04-01", "x": 4})["versions"]
    assert [v["x"] for v in replaced] == [1, 4] and replaced[1]["effective_to"] is None


def test_unchosen_documents_leave_their_groups_and_new_ones_are_plain():
    from monitor.services.stewardship import _required_entries
    base = ["APPLICATION", {"any_of": ["MARRIAGE_CERT", "JOINT_APPLICATION", "PHOTO"]},
            {"code": "POWER_OF_ATTORNEY", "when": {"kk": "k", "ru": "r", "en": "e"}}]
    entries = _required_entries(base, ("APPLICATION", "MARRIAGE_CERT", "PHOTO", "ID_CARD"))
    assert entries == ["APPLICATION", {"any_of": ["MARRIAGE_CERT", "PHOTO"]}, "ID_CARD"]
    assert _required_entries(base, ("JOINT_APPLICATION", "POWER_OF_ATTORNEY")) == [
        "JOINT_APPLICATION", {"code": "POWER_OF_ATTORNEY", "when": {"kk": "k", "ru": "r", "en": "e"}}]


def test_a_draft_that_changes_nothing_has_no_changes():
    from services_catalog.drafts import version_changes
    version = {"deadline": {"value": 5, "unit": "working_days"}, "fee": {"amount": 0.0, "currency": "KZT"},
               "effective_from": "2026-04-01"}
    assert version_changes(version, {**version, "fee": {"amount": 0, "currency": "KZT"},
                                     "effective_from": "2026-05-01"}) == []
    assert [c.fact for c in version_changes(version, {**version, "fee": {"mrp": 0.5}})] == ["fee"]
