"""Hardening of the web side (issue 22): inputs that made a 500, a hang or a leak, one test
(or more) each; every one failed before its fix, on SQLite and PostgreSQL.

docs/security.md ("Hardening (issue 22)") lists them with the test that shows each fixed.
"""
from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import func, select

from monitor.extensions import db
from monitor.models import Case, Complaint, User, Visit

from .test_desk import recent_times, visit_form

TWENTY_DIGITS = "99999999999999999999"


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _complaint(**overrides) -> dict:
    return {"kind": "delay", "text": "I waited for three hours at the desk.", "case_number": "",
            "service_code": "", "office_code": "", "contact": "", "website": "", **overrides}


# ------------------------------------------------ 2. long or unknown codes are form errors, not 500s

@pytest.mark.parametrize("field, value", [
    ("office_code", "O" * 41), ("office_code", "NOPE"), ("service_code", "S" * 41), ("service_code", "NOPE")])
def test_a_complaint_names_only_a_listed_office_or_service(client, people, loaded_catalog, field, value):
    response = client.post("/complaints/new?lang=ru", data=_complaint(**{field: value}))
    assert response.status_code == 422
    assert "Неверный вариант" in response.get_data(as_text=True)
    assert _count(Complaint) == 0
    listed = client.post("/complaints/new?lang=ru", data=_complaint(office_code="OF1", service_code="S1"))
    assert listed.status_code == 200 and _count(Complaint) == 1


def test_a_refusal_ground_over_40_characters_is_a_form_error(client, login, loaded_catalog):
    login("desk1")
    client.post("/desk/visits/new", data=visit_form())
    number = db.session.scalar(select(Case.case_number))
    response = client.post("/desk/visits/new", data=visit_form(
        action="refuse", case_number=number, documents=[], called_at="2026-04-07T10:00",
        finished_at="2026-04-07T10:05", ticket_at="", refusal_ground="R" * 41, override_reason="as told"))
    assert response.status_code == 422
    assert _count(Visit) == 1


@pytest.mark.parametrize("path", [
    f"/supervisor/findings?page={TWENTY_DIGITS}", f"/supervisor/findings?id={TWENTY_DIGITS}",
    f"/supervisor/findings?id=-{TWENTY_DIGITS}", "/supervisor/findings?page=0",
    f"/supervisor/findings?id={2**31}", f"/admin/escalations?page={TWENTY_DIGITS}",
    f"/admin/escalations?page={10**6 + 1}"])
def test_a_page_or_id_out_of_range_is_a_400(client, login, path):
    login("admin")
    assert client.get(path).status_code == 400


def test_the_largest_page_and_id_still_answer(client, login):
    login("admin")
    assert client.get(f"/supervisor/findings?page={10**6}").status_code == 200
    assert client.get(f"/supervisor/findings?id={2**31 - 1}").status_code == 200
    assert client.get(f"/admin/escalations?page={10**6}").status_code == 200


@pytest.mark.parametrize("path", [f"/supervisor/findings/{2**31}/review", f"/supervisor/corrections/{2**40}",
                                  f"/admin/users/{2**62}/password", f"/admin/users/{2**31}/active"])
def test_an_id_in_the_address_beyond_any_row_is_a_404(client, login, path):
    login("admin")
    assert client.post(path, data={"decision": "approve", "note": "n", "password": "x"}).status_code == 404


@pytest.mark.parametrize("office", ["Z" * 41, "NOPE"])
def test_a_user_is_created_only_in_a_listed_office(client, login, office):
    login("admin")
    response = client.post("/admin/users", data={"login": "newdesk", "role": "desk", "office_code": office,
                                                 "password": "a long enough passphrase 42"})
    assert response.status_code == 200
    assert db.session.scalar(select(User).where(User.login == "newdesk")) is None


# ------------------------------------------------ 6. a forward names an office that exists

def test_a_forward_names_an_existing_office(client, login, loaded_catalog):
    login("desk1")
    client.post("/desk/visits/new", data=visit_form())
    number = db.session.scalar(select(Case.case_number))
    forward = visit_form(action="forward", case_number=number, documents=[], called_at="2026-04-07T10:00",
                         finished_at="2026-04-07T10:05", ticket_at="")
    for nowhere in ("somewhere else", "X" * 121, "of2"):
        response = client.post("/desk/visits/new?lang=ru", data={**forward, "forwarded_to": nowhere})
        assert response.status_code == 422
        assert "Нет отделения с таким кодом" in response.get_data(as_text=True)
    assert _count(Visit) == 1
    assert client.post("/desk/visits/new", data={**forward, "forwarded_to": "OF2"}).status_code == 302
    assert db.session.scalar(select(Visit.forwarded_to).where(Visit.action == "forward")) == "OF2"


def test_a_correction_forwards_only_to_an_existing_office(client, login, loaded_catalog):
    login("desk1")
    times = recent_times()
    client.post("/desk/visits/new", data=visit_form(**times))
    visit = db.session.scalar(select(Visit))
    response = client.post(f"/desk/visits/{visit.visit_id}/correct?lang=ru", data={
        "action": "forward", "documents_requested": "", **times, "refusal_ground": "",
        "forwarded_to": "the moon", "reason": "it was forwarded, not submitted"})
    assert "Нет отделения с таким кодом" in response.get_data(as_text=True)
    db.session.refresh(visit)
    assert visit.action == "submit" and visit.forwarded_to is None


# ------------------------------------------------ 3. a chunked body obeys the anonymous limit

def _chunked(client, path, body: bytes):
    """A POST without Content-Length, as a WSGI server passes on a chunked request (gunicorn
    sets wsgi.input_terminated and cuts nothing itself)."""
    import io
    return client.post(path, input_stream=io.BytesIO(body), content_type="application/x-www-form-urlencoded",
                       headers={"Transfer-Encoding": "chunked"}, environ_overrides={"wsgi.input_terminated": True})


@pytest.mark.parametrize("path", ["/complaints/new", "/status", "/login", "/complaints/follow"])
def test_a_chunked_anonymous_body_over_the_limit_is_a_413(client, people, loaded_catalog, path, app):
    body = b"kind=delay&case_number=x&check_code=y&login=z&password=p&text=" + b"x" * (
        app.config["PUBLIC_MAX_CONTENT_LENGTH"] + 1024)
    assert _chunked(client, path, body).status_code == 413
    assert _count(Complaint) == 0


def test_a_small_chunked_complaint_is_read(client, people, loaded_catalog):
    body = b"kind=delay&text=I+waited+for+three+hours+at+the+desk."
    assert _chunked(client, "/complaints/new", body).status_code == 200
    assert _count(Complaint) == 1


def test_a_chunked_staff_body_has_the_staff_limit(client, login, loaded_catalog, app):
    login("desk1")
    body = b"service_code=S1&other_documents=" + b"x" * (app.config["MAX_CONTENT_LENGTH"] + 10)
    assert _chunked(client, "/desk/visits/new", body).status_code == 413
    small = b"service_code=S1&other_documents=" + b"x" * (app.config["PUBLIC_MAX_CONTENT_LENGTH"] + 10)
    assert _chunked(client, "/desk/visits/new", small).status_code == 422  # read: staff may send more


# ------------------------------------------------ 4. no check code in the session cookie

CODE_ON_RECEIPT = re.compile(r'id="check-code">([A-Z0-9]{6})<')


def _cookies_hold(app, responses, code: str) -> list[str]:
    """The Set-Cookie headers of ``responses`` that hold ``code``, raw or in the signed session."""
    serializer = app.session_interface.get_signing_serializer(app)
    found = []
    for response in responses:
        for header in response.headers.getlist("Set-Cookie"):
            value = header.split(";", 1)[0].split("=", 1)[1]
            readable = json.dumps(serializer.loads(value)) if value else ""
            if code in header or code in readable:
                found.append(header)
    return found


def test_no_cookie_carries_a_new_check_code(app, client, login, loaded_catalog):
    login("desk1")
    saved = client.post("/desk/visits/new", data=visit_form())
    receipt = client.get(saved.headers["Location"])
    code = CODE_ON_RECEIPT.search(receipt.get_data(as_text=True)).group(1)
    assert _cookies_hold(app, [saved, receipt], code) == []
    assert not CODE_ON_RECEIPT.search(client.get(saved.headers["Location"]).get_data(as_text=True))  # once
    number = db.session.scalar(select(Case.case_number))
    reissued = client.post(f"/desk/receipts/{number}/check-code")
    receipt = client.get(reissued.headers["Location"])
    new_code = CODE_ON_RECEIPT.search(receipt.get_data(as_text=True)).group(1)
    assert new_code != code and _cookies_hold(app, [reissued, receipt], new_code) == []


def test_the_code_opens_only_for_its_case_and_user_once(app, client, login, loaded_catalog):
    from monitor.models import ReceiptCode
    login("desk1")
    saved = client.post("/desk/visits/new", data=visit_form())
    client.post("/desk/visits/new", data=visit_form(called_at="2026-04-06T11:00", finished_at="2026-04-06T11:10",
                                                    ticket_at=""))
    first, second = db.session.scalars(select(Case.case_number).order_by(Case.id)).all()
    assert _count(ReceiptCode) == 2
    # The first case's receipt opened after the second save: its code was for that save only.
    assert not CODE_ON_RECEIPT.search(client.get(f"/desk/receipts/{first}").get_data(as_text=True))
    assert CODE_ON_RECEIPT.search(client.get(f"/desk/receipts/{second}").get_data(as_text=True))
    assert saved.status_code == 302
    # The stored row alone does not give the code: it is sealed with the session's key.
    stored = db.session.scalar(select(ReceiptCode))
    assert stored.case_number == first and len(stored.sealed_code) == 12


# ------------------------------------------------ 5. private answers are never stored

@pytest.mark.parametrize("method, path, data", [
    ("GET", "/status", None), ("POST", "/status", {"case_number": "OF1-1", "check_code": "ABCDEF"}),
    ("GET", "/complaints/follow", None), ("POST", "/complaints/follow", {"reference": "CMP-1", "code": "ABCDEF"}),
    ("GET", "/complaints/new", None), ("POST", "/complaints/new", {"kind": "delay", "text": "short"}),
    ("GET", "/complaints/filed", None), ("GET", "/login", None), ("POST", "/login", {"login": "x", "password": "y"}),
    ("GET", "/desk/", None), ("GET", "/supervisor/findings", None)])
def test_private_answers_to_anyone_are_no_store(client, people, loaded_catalog, method, path, data):
    response = client.open(path, method=method, data=data)
    assert response.headers.get("Cache-Control") == "no-store", (path, response.headers.get("Cache-Control"))


def test_the_status_of_a_real_case_is_no_store(client, login, loaded_catalog):
    login("desk1")
    saved = client.post("/desk/visits/new", data=visit_form())
    receipt = client.get(saved.headers["Location"])
    assert receipt.headers["Cache-Control"] == "no-store"
    code = CODE_ON_RECEIPT.search(receipt.get_data(as_text=True)).group(1)
    client.post("/logout")
    number = db.session.scalar(select(Case.case_number))
    answer = client.post("/status", data={"case_number": number, "check_code": code})
    assert number in answer.get_data(as_text=True) and answer.headers["Cache-Control"] == "no-store"
    assert client.get("/").headers.get("Cache-Control") != "no-store"  # the catalog stays cacheable


# ------------------------------------------------ 7. a database outage is a 503 for staff too

@pytest.fixture
def database_down(app):
    """From now on every new connection is refused, as by a PostgreSQL that is down."""
    from sqlalchemy import event

    def refuse(dialect, connection_record, cargs, cparams):
        raise dialect.loaded_dbapi.OperationalError("connection refused (the test's outage)")

    def outage():
        db.session.remove()
        db.engine.dispose()
        event.listen(db.engine, "do_connect", refuse)
    yield outage
    if event.contains(db.engine, "do_connect", refuse):
        event.remove(db.engine, "do_connect", refuse)
    db.session.remove()
    db.engine.dispose()


@pytest.mark.parametrize("name, paths", [
    ("desk1", ["/desk/", "/desk/visits/new?service=S1", "/", "/status", "/api/services"]),
    ("super1", ["/supervisor/findings", "/supervisor/complaints"]),
    ("admin", ["/admin/users", "/admin/escalations"])])
def test_staff_get_the_503_page_while_the_database_is_down(client, login, loaded_catalog, database_down,
                                                           name, paths):
    login(name)
    database_down()
    for path in paths:
        response = client.get(path)
        assert response.status_code == 503, (path, response.status_code)
        assert response.headers["Retry-After"] == "30"
    posted = client.post("/desk/visits/new", data=visit_form())
    assert posted.status_code == 503


def test_citizens_get_the_503_page_while_the_database_is_down(client, loaded_catalog, database_down):
    database_down()
    for path in ("/", "/status", "/complaints/new"):
        assert client.get(path).status_code == 503, path


def test_an_outage_in_the_middle_of_a_staff_request_is_a_503(client, login, loaded_catalog, database_down,
                                                             monkeypatch):
    """The user was loaded, then the database went away: the page is not drawn with them."""
    from sqlalchemy.exc import OperationalError

    import monitor.views.desk.routes as desk_routes

    def fails(*args, **kwargs):
        database_down()
        raise OperationalError("SELECT 1", {}, Exception("server closed the connection unexpectedly"))
    login("desk1")
    monkeypatch.setattr(desk_routes, "engine_inputs", fails)
    response = client.get("/desk/")
    assert response.status_code == 503 and response.headers["Cache-Control"] == "no-store"
