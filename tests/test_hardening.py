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

pytestmark = pytest.mark.both_databases

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


# ------------------------------------------------ 8. hostile catalog and visit files

ALIAS_BOMB = "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(
    f"{letter}: &{letter} [{', '.join([f'*{previous}'] * 9)}]\n"
    for previous, letter in zip("abcdefgh", "bcdefghi"))


def _hostile_catalog(tmp_path, name: str, content: bytes | None = None):
    from .catalogs import service, write_catalog
    folder = write_catalog(tmp_path / name, services=[service("S1")])
    if content is not None:
        (folder / "services" / "evil.yaml").write_bytes(content)
    return folder


def _validate(app, folder):
    result = app.test_cli_runner().invoke(args=["catalog", "validate", str(folder)])
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    return result


@pytest.mark.parametrize("name, content, expected", [
    ("bomb", ALIAS_BOMB.encode(), "line 6: its aliases (*name) expand it past 100000 values"),
    ("deep", b"[" * 50_000 + b"]" * 50_000, "line 1: nested deeper than 32 levels"),
    ("chain", ("a0: &a0 [x]\n" + "".join(f"a{i}: &a{i} [*a{i - 1}]\n" for i in range(1, 2000))).encode(),
     "line 30: nested deeper than 32 levels through its aliases"),
    ("huge", b"code: S9\nnotes: '" + b"x" * (2 * 1024 * 1024) + b"'\n", "larger than 1024 KB"),
    ("latin1", "code: S9\nname: {ru: 'caf\xe9'}\n".encode("latin-1"), "line 2: not UTF-8 text (byte 0xE9)"),
], ids=["alias-bomb", "deep", "alias-chain", "huge", "latin1"])
def test_a_hostile_catalog_file_is_one_clear_problem(app, tmp_path, name, content, expected):
    result = _validate(app, _hostile_catalog(tmp_path, name, content))
    assert result.exit_code == 1 and f"services/evil.yaml: refused: {expected}" in result.output, result.output


def test_a_catalog_file_in_utf16_is_read(tmp_path):
    import yaml

    from services_catalog import load_catalog

    from .catalogs import service
    folder = _hostile_catalog(tmp_path, "utf16", yaml.safe_dump(service("S9"), allow_unicode=True).encode("utf-16"))
    assert sorted(load_catalog(folder).services) == ["S1", "S9"]


@pytest.mark.parametrize("target", ["outside", "/dev/zero", "directory"])
def test_a_catalog_file_linking_out_of_the_folder_is_refused(app, tmp_path, target):
    import os

    import yaml

    from .catalogs import service
    folder = _hostile_catalog(tmp_path, "links")
    link = folder / "services" / "evil.yaml"
    if target == "outside":
        (tmp_path / "secret.yaml").write_text(yaml.safe_dump(service("S7")))
        os.symlink(tmp_path / "secret.yaml", link)
        expected = "a link to a file outside the catalog folder"
    elif target == "directory":
        link.mkdir()
        expected = "not a regular file"
    else:
        os.symlink(target, link)
        expected = "not a regular file"
    result = _validate(app, folder)
    assert result.exit_code == 1 and f"services/evil.yaml: refused: {expected}" in result.output, result.output


def _visit_csv(rows) -> str:
    import csv
    import io

    from .test_import import HEADER
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=HEADER, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return text.getvalue()


def _both_commands(app, folder, path):
    """``visits import`` and ``flask analyze`` on the same file."""
    runner = app.test_cli_runner()
    results = [runner.invoke(args=["visits", "import", str(path)]),
               runner.invoke(args=["analyze", "--catalog", str(folder), "--visits", str(path)])]
    for result in results:
        assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
        assert "Traceback" not in result.output
    return results


def test_a_utf16_visit_log_is_read(app, loaded_catalog, tmp_path):
    from .test_import import row
    path = tmp_path / "unicode.csv"
    path.write_bytes(_visit_csv([row("v1", staff_id="Айгуль"), row("v2", case_id="C2")]).encode("utf-16"))
    imported, analyzed = _both_commands(app, loaded_catalog, path)
    assert imported.exit_code == 0 and "read as CSV, UTF-16, separated by commas" in imported.output
    assert sorted(db.session.scalars(select(Visit.staff_id))) == ["st1", "Айгуль"]
    assert analyzed.exit_code == 0 and "2 visits, 2 cases" in analyzed.output


@pytest.mark.parametrize("name, expected", [
    ("bom-latin1.csv", "line 2: the file says it is UTF-8 (it starts with a UTF-8 byte-order mark) but byte 0xE9"),
    ("utf16-no-mark.csv", "line 1 holds NUL bytes: UTF-16 or UTF-32 text without its byte-order mark?"),
])
def test_a_visit_log_in_an_odd_encoding_is_one_clear_line(app, loaded_catalog, tmp_path, name, expected):
    from .test_import import row
    text = _visit_csv([row("v1", staff_id="Café")])
    content = b"\xef\xbb\xbf" + text.encode("latin-1") if name.startswith("bom") else text.encode("utf-16-le")
    path = tmp_path / name
    path.write_bytes(content)
    for result in _both_commands(app, loaded_catalog, path):
        assert result.exit_code == 1 and expected in result.output, result.output
    assert _count(Visit) == 0


def test_a_control_character_in_a_visit_log_is_a_bad_row(app, loaded_catalog, tmp_path):
    from .test_import import row
    path = tmp_path / "nul.csv"
    path.write_text(_visit_csv([row("v1"), row("v2", case_id="C2", staff_id="s\x00t")]))
    imported, analyzed = _both_commands(app, loaded_catalog, path)
    message = "line 3, column staff_id: staff_id holds a control character (such as NUL)"
    assert imported.exit_code == 1 and message in imported.output
    assert analyzed.exit_code == 0 and message in analyzed.output and "1 visits" in analyzed.output
    assert _count(Visit) == 0


def _workbook(path, members: dict[str, str]):
    import zipfile
    with zipfile.ZipFile(path, "w") as archive:
        for name, text in members.items():
            archive.writestr(name, text)
    return path


ENTITY_BOMB = ('<?xml version="1.0"?><!DOCTYPE t [<!ENTITY l0 "lol">' + "".join(
    f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10)) + ']><Types>&l9;</Types>')


@pytest.mark.parametrize("members", [
    {"[Content_Types].xml": "garbage", "xl/workbook.xml": "<workbook/>"},
    {"[Content_Types].xml": ENTITY_BOMB, "xl/workbook.xml": "<workbook/>"},
], ids=["malformed-xml", "entity-bomb"])
def test_a_hostile_workbook_is_one_clear_line(app, loaded_catalog, tmp_path, members):
    path = _workbook(tmp_path / "hostile.xlsx", members)
    for result in _both_commands(app, loaded_catalog, path):
        assert result.exit_code == 1 and "cannot read it as an XLSX workbook" in result.output, result.output


@pytest.mark.parametrize("column, width", [
    ("visit_id", 120), ("case_id", 80), ("office_code", 40), ("service_code", 40), ("staff_id", 80),
    ("refusal_ground", 40), ("forwarded_to", 120)])
def test_a_value_longer_than_its_column_is_a_bad_row(app, loaded_catalog, tmp_path, column, width):
    """On PostgreSQL the COPY of such a value failed with a traceback."""
    from .test_import import row
    action = {"refusal_ground": "refuse", "forwarded_to": "forward"}.get(column, "submit")
    path = tmp_path / "long.csv"
    values = {**row("v1", action=action), column: "X" * (width + 1)}
    path.write_text(_visit_csv([values]))
    result = app.test_cli_runner().invoke(args=["visits", "import", str(path)])
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.exit_code == 1, result.output
    assert f"line 2, column {column}: {column} is longer than {width} characters" in result.output
    assert _count(Visit) == 0
