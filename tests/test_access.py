"""Every route of the app, every method it accepts, as every role, on an object of the user's
own office and of another office; then headers, errors and sign-in throttling.

The objects are real: a case, its visit and finding, a complaint, a correction request, a
catalog draft and a report of a wrong page, of office OF1 and of office OF2 (of service S1,
kept by the steward, and of S2, not), made through the services once per database and
restored from their rows before each role's walk. The expectation table below is written by
hand, apart from the access matrix (monitor/views/access.py), and every endpoint of
``app.url_map`` must be in it with exactly the methods it accepts.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
from flask import url_for
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from monitor.extensions import db
from monitor.models import Finding, Visit
from monitor.services import (
    accounts,
    calendar_changes,
    citizens,
    escalations,
    front_desk,
    indicator_cells,
    stewardship,
)
from monitor.services.context import engine_inputs
from monitor.views.access import ACCESS

from .conftest import PASSWORD, restore_rows, table_rows
from .test_desk import RELATIVE_IIN, visit_form
from .test_stewardship import compose, draft_form

ROLES = ("anonymous", "desk", "supervisor", "steward", "admin")
SIGN_IN = {"desk": "desk1", "supervisor": "super1", "steward": "steward1", "admin": "admin"}  # of OF1 / S1
NEW_PASSWORD = "a new staff password 7"

ALLOWED, LOGIN, FORBIDDEN, HIDDEN = "allowed", "login required", "forbidden", "not found"
EVERYONE = frozenset(ROLES)
STAFF = EVERYONE - {"anonymous"}
DESK = frozenset({"desk", "admin"})
SUPERVISOR = frozenset({"supervisor", "admin"})
ADMIN = frozenset({"admin"})
STEWARD = frozenset({"steward"})

# Another office's record is answered exactly like a missing one (404), never with a 403: these
# are the only deliberate 404s of the walk, and why. An administrator sees every office; a
# steward's "office" is the services they keep.
HIDDEN_BECAUSE = {
    "case": "a case number is an applicant's: staff learn nothing of another office's applicants, "
            "not even that a number exists (docs/security.md, access control)",
    "visit": "a visit belongs to an applicant's case, as above",
    "finding": "a finding names a case, a visit and a clerk of its office",
    "correction": "a correction request names a visit and the clerk who asked, of its office",
    "complaint": "a complaint, above all a report of inducement, is read only by the supervisors it "
                 "reaches; its reference alone would say that a citizen complained",
    "service": "a steward keeps their ministry's services; another's drafts and reports are not "
               "theirs to know of, as another office's case for a clerk",
}


@dataclass(frozen=True)
class Route:
    """What one endpoint answers: who may use it, with which methods, on whose objects."""
    roles: frozenset[str]
    methods: tuple[str, ...] = ("GET",)
    args: Callable[[dict, str], dict] | None = None  # (world, "own" | "other") -> URL arguments
    scope: str | None = None  # a key of HIDDEN_BECAUSE: the other office's object is not found
    query: dict = field(default_factory=dict)
    form: Callable[[dict], dict] | None = None  # a POST body the view accepts (world -> data)
    # A list of the office's records: (world) -> (text of the own office's row, of the other's).
    rows: Callable[[dict], tuple[str, str]] | None = None
    # Signs in or out, or ends the user's sessions: walked last, on a copy of the walker's session
    # (a new client for anonymous visitors, whom signing in would change).
    ends_session: bool = False
    remote: str | None = None  # the caller's address, when the route admits only some


def of(key: str):
    """URL arguments from the world: the object ``key`` of the own or the other side."""
    def arguments(world: dict, side: str) -> dict:
        return world[side][key]
    return arguments


def fixed(**values):
    return lambda world, side: values


EXPECTED: dict[str, Route] = {
    "static": Route(EVERYONE, args=fixed(filename="css/app.css")),
    # Citizens' pages and open data.
    "public.index": Route(EVERYONE),
    "public.service": Route(EVERYONE, args=fixed(code="S1")),
    "public.checklist": Route(EVERYONE, args=fixed(code="S1")),
    "public.case_status": Route(EVERYONE, ("GET", "POST"), form=lambda w: w["status_form"]),
    "public.complain": Route(EVERYONE, ("GET", "POST"), form=lambda w: {
        "kind": "delay", "text": "The case is late and nobody answers.", "office_code": "OF1"}),
    "public.complaint_filed": Route(EVERYONE),
    "public.follow_complaint": Route(EVERYONE, ("GET", "POST"), form=lambda w: w["follow_form"]),
    "public.indicators": Route(EVERYONE),
    "public.report_error": Route(EVERYONE, ("GET", "POST"), args=fixed(code="S1"),
                                 form=lambda w: {"text": "The fee on this page is out of date."}),
    "public.witness": Route(EVERYONE, ("GET", "POST"), args=lambda w, side: w["witness"],
                            form=lambda w: w["witness_form"]),
    "api.catalog_json": Route(EVERYONE), "api.catalog_csv": Route(EVERYONE), "api.catalog_zip": Route(EVERYONE),
    "api.catalog_jsonld": Route(EVERYONE), "api.vocabulary": Route(EVERYONE),
    "api.indicators_csv": Route(EVERYONE), "api.indicators_json": Route(EVERYONE),
    "api.services": Route(EVERYONE), "api.service": Route(EVERYONE, args=fixed(code="S1")),
    "api.indicators": Route(EVERYONE), "api.openapi": Route(EVERYONE),
    "health.healthz": Route(EVERYONE), "health.readyz": Route(EVERYONE),
    # Open to the addresses of METRICS_ALLOW (127.0.0.1 by default) whoever signed in; any other
    # address gets a 404, as if there were nothing there (tests/test_metrics.py).
    "health.prometheus_metrics": Route(EVERYONE, remote="127.0.0.1"),
    # Signing in, one's own password (it ends the user's other sessions) and signing out, last.
    "auth.login": Route(EVERYONE, ("GET", "POST"), form=lambda w: {"login": "spare", "password": PASSWORD},
                        ends_session=True),
    "auth.own_password": Route(STAFF, ("GET", "POST"), ends_session=True, form=lambda w: {
        "current": PASSWORD, "password": NEW_PASSWORD, "repeat": NEW_PASSWORD}),
    "auth.logout": Route(EVERYONE, ("POST",), ends_session=True),
    # The front desk: its office's cases and visits.
    "desk.today": Route(DESK, rows=lambda w: (f"/desk/receipts/{w['own']['case']['case_number']}",
                                              f"/desk/receipts/{w['other']['case']['case_number']}")),
    "desk.new_visit": Route(DESK, query={"service": "S1"}),
    "desk.save_visit": Route(DESK, ("POST",), form=lambda w: visit_form(
        other_documents="Salary certificate", override_reason="the applicant insisted")),
    "desk.receipt": Route(DESK, args=of("case"), scope="case"),
    "desk.reissue_check_code": Route(DESK, ("POST",), args=of("second_case"), scope="case"),
    "desk.relatives": Route(DESK, ("GET", "POST"), form=lambda w: {"iin": RELATIVE_IIN}),
    "desk.correct": Route(DESK, ("GET", "POST"), args=of("visit"), scope="visit",
                          form=lambda w: w["correction_form"]),
    # Supervisors (their offices) and administrators (the network).
    # The week of the objects' visits: the report and its export of the area's offices only.
    "supervisor.report": Route(SUPERVISOR, query={"week": "2026-W15"}, rows=lambda w: ("OF1", "OF2")),
    "supervisor.export": Route(SUPERVISOR, args=fixed(fmt="csv"), query={"week": "2026-W15"},
                               rows=lambda w: ("OF1", "OF2")),
    # The staff of the area's offices only (staff ids are the clerks' logins).
    "supervisor.table": Route(SUPERVISOR, args=fixed(table="staff"), query={"week": "2026-W15"},
                              rows=lambda w: ('<th scope="row">desk1</th>', '<th scope="row">desk2</th>')),
    "supervisor.findings": Route(SUPERVISOR, rows=lambda w: (f'id="finding-{w["own"]["finding"]["finding_id"]}"',
                                                             f'id="finding-{w["other"]["finding"]["finding_id"]}"')),
    "supervisor.review": Route(SUPERVISOR, ("POST",), args=of("finding"), scope="finding",
                               form=lambda w: {"decision": "confirmed", "note": "seen on the camera"}),
    "supervisor.case": Route(SUPERVISOR, args=of("case"), scope="case"),
    "supervisor.complaints": Route(SUPERVISOR, rows=lambda w: (
        f"/supervisor/complaints/{w['own']['complaint']['reference']}",
        f"/supervisor/complaints/{w['other']['complaint']['reference']}")),
    "supervisor.complaint": Route(SUPERVISOR, ("GET", "POST"), args=of("complaint"), scope="complaint",
                                  form=lambda w: {"answer": "We looked into it and called the applicant."}),
    "supervisor.corrections": Route(SUPERVISOR, rows=lambda w: (
        f'id="request-{w["own"]["correction"]["request_id"]}"',
        f'id="request-{w["other"]["correction"]["request_id"]}"')),
    "supervisor.decide_correction": Route(SUPERVISOR, ("POST",), args=of("correction"), scope="correction",
                                          form=lambda w: {"decision": "approve", "note": "checked the form"}),
    # The queue of what nobody dealt with: an administrator's, and each supervisor's offices'.
    "admin.escalations_queue": Route(SUPERVISOR, rows=lambda w: (
        f"/supervisor/cases/{w['own']['case']['case_number']}",
        f"/supervisor/cases/{w['other']['case']['case_number']}")),
    # Administration.
    "admin.users": Route(ADMIN, ("GET", "POST"), form=lambda w: {
        "login": "newclerk", "role": "desk", "office_code": "OF1", "password": NEW_PASSWORD}),
    "admin.toggle_active": Route(ADMIN, ("POST",), args=lambda w, side: {"user_id": w["spare_id"]}),
    "admin.reset_password": Route(ADMIN, ("POST",), args=lambda w, side: {"user_id": w["spare_id"]},
                                  form=lambda w: {"password": NEW_PASSWORD, "repeat": NEW_PASSWORD}),
    "admin.offices": Route(ADMIN, ("GET", "POST"), form=lambda w: {
        "code": "OF9", "name_kk": "k", "name_ru": "r", "name_en": "e", "region": "Astana"}),
    "admin.jobs": Route(ADMIN),
    "admin.calendar": Route(ADMIN, ("GET", "POST"), form=lambda w: {
        "day": "2026-04-20", "is_working_day": "off", "reason": "Decree 12"}),
    "admin.remove_override": Route(ADMIN, ("POST",), args=fixed(day="2026-04-08")),
    # Catalog stewards: the services each keeps (steward1 keeps S1, not S2).
    "steward.index": Route(STEWARD, rows=lambda w: (f"/steward/drafts/{w['own']['draft']['draft_id']}",
                                                    f"/steward/drafts/{w['other']['draft']['draft_id']}")),
    "steward.new_draft": Route(STEWARD, ("GET", "POST"), args=of("service"), scope="service",
                               form=lambda w: draft_form()),
    "steward.draft": Route(STEWARD, args=of("draft"), scope="service"),
    "steward.submit_draft": Route(STEWARD, ("POST",), args=of("draft"), scope="service"),
    "steward.decide": Route(STEWARD, ("POST",), args=of("draft"), scope="service",
                            form=lambda w: {"decision": "reject", "reason": "the source is missing"}),
    "steward.reports": Route(STEWARD, rows=lambda w: (f"/steward/reports/{w['own']['report']['report_id']}",
                                                      f"/steward/reports/{w['other']['report']['report_id']}")),
    "steward.report": Route(STEWARD, ("GET", "POST"), args=of("report"), scope="service",
                            form=lambda w: {"answer": "Corrected, thank you."}),
}


def expected(route: Route, role: str, side: str | None) -> str:
    if role not in route.roles:
        return LOGIN if role == "anonymous" else FORBIDDEN
    if side == "other" and role != "admin":
        return HIDDEN
    return ALLOWED


def answered(endpoint: str, response) -> str:
    """What a response says, in the table's words (anything else is named by its status)."""
    status, location = response.status_code, response.headers.get("Location", "")
    if endpoint.startswith("api."):  # the JSON API asks to sign in with a 401, never a redirect
        if status == 401:
            return LOGIN
    elif status == 302 and urlsplit(location).path == "/login":
        return LOGIN
    if status == 403:
        return FORBIDDEN
    if status == 404:
        return HIDDEN
    if 200 <= status < 400:
        return ALLOWED
    return f"status {status}"


# ------------------------------------------------------------------ the objects, once per database

LOCAL = ZoneInfo("Etc/GMT-5")


def _visit(app, clerk, hour: int) -> front_desk.SavedVisit:
    """A submit of S1 at the clerk's office on Monday 6 April 2026 that asked for a document the
    rules do not provide for (saved with a reason: an EXTRA_DOCUMENT finding at once)."""
    called = dt.datetime(2026, 4, 6, hour, 0, tzinfo=LOCAL)
    draft = front_desk.VisitDraft(office_code=clerk.office_code, staff_id=clerk.login, service_code="S1",
                                  action="submit", documents=("APPLICATION", "MARRIAGE_CERT", "Salary certificate"),
                                  called_at=called, finished_at=called + dt.timedelta(minutes=12),
                                  ticket_at=called - dt.timedelta(minutes=10))
    return front_desk.record_visit(db.session, draft, clerk, engine_inputs(), app.config["APPLICANT_HASH_KEY"],
                                   override_reason="the applicant insisted", late_reason="typed from the paper log")


def _correction(visit: Visit, minutes: int) -> dict:
    """The visit as stored, finished ``minutes`` later (the desk's correction form and the service's changes)."""
    def local(moment):
        return moment.astimezone(LOCAL).strftime("%Y-%m-%dT%H:%M") if moment else ""
    finished = visit.finished_at + dt.timedelta(minutes=minutes)
    form = {"action": visit.action, "documents": ["APPLICATION", "MARRIAGE_CERT"],
            "other_documents": "Salary certificate", "ticket_at": local(visit.ticket_at),
            "called_at": local(visit.called_at), "finished_at": local(finished), "refusal_ground": "",
            "forwarded_to": "", "reason": "finished later than typed"}
    changes = {"action": visit.action, "documents_requested": visit.documents_requested,
               "ticket_at": visit.ticket_at, "called_at": visit.called_at, "finished_at": finished,
               "refusal_ground": "", "forwarded_to": ""}
    return {"form": form, "changes": changes}


def build_world(app, people) -> dict:
    session = db.session
    for login, keeps in (("steward1", ("S1",)), ("steward2", ("S1", "S2"))):
        people[login] = accounts.create_user(session, accounts.NewUser(
            login=login, role="steward", password=PASSWORD, stewarded=keeps), actor="test")
    spare = accounts.create_user(session, accounts.NewUser(login="spare", role="desk", password=PASSWORD,
                                                           office_code="OF1"), actor="test")
    calendar_changes.override_day(session, dt.date(2026, 4, 8), False, "Decree 7", "admin")
    session.commit()
    world: dict = {"spare_id": spare.id}
    sides = (("own", "OF1", people["desk1"], "S1"), ("other", "OF2", people["desk2"], "S2"))
    for side, office, clerk, service in sides:
        first, second = _visit(app, clerk, 10), _visit(app, clerk, 11)
        visit = session.scalar(select(Visit).where(Visit.visit_id == first.visit_id))
        finding = session.scalar(select(Finding).where(Finding.visit_pk == visit.id, Finding.rule == "EXTRA_DOCUMENT"))
        # A correction of a visit of a week long over waits for a supervisor: a pending request.
        later = session.scalar(select(Visit).where(Visit.visit_id == second.visit_id))
        outcome = front_desk.correct_visit(session, later, _correction(later, 1)["changes"], "finished later",
                                           clerk, engine_inputs())
        assert outcome.request is not None, outcome
        complaint = citizens.file_complaint(session, kind="delay", text="Nobody answers about my case.",
                                            case_number=first.case_number, office_code=office, language="en")
        draft = stewardship.save_draft(session, people["steward2"], service, compose(service))
        report = stewardship.file_report(session, service, "The fee on this page is out of date.", "", "en",
                                         engine_inputs().calendar)
        session.commit()
        world[side] = {
            "case": {"case_number": first.case_number}, "second_case": {"case_number": second.case_number},
            "visit": {"visit_id": first.visit_id}, "finding": {"finding_id": finding.id},
            "correction": {"request_id": outcome.request.id}, "complaint": {"reference": complaint.reference},
            "service": {"code": service}, "draft": {"draft_id": draft.id}, "report": {"report_id": report.id}}
        if side == "own":
            world["witness"] = {"case_number": first.case_number, "code": first.check_code}
            world["witness_form"] = {"form": "v0-", "v0-visit_id": first.visit_id, "v0-verdict": "confirmed"}
            world["status_form"] = {"case_number": first.case_number, "check_code": first.check_code}
            world["follow_form"] = {"reference": complaint.reference, "code": complaint.follow_up_code}
            world["correction_form"] = _correction(visit, 2)["form"]
    # What nobody dealt with in time (the overdue cases above) reaches the escalations queue, and
    # the weekly report reads the week's indicator cells (the cells job's work).
    escalations.escalate(session, dt.datetime.now(dt.UTC), 3, engine_inputs().calendar)
    indicator_cells.refresh_stale(session, engine_inputs())
    session.commit()
    return world


_BUILT: dict[str, tuple[dict, dict]] = {}


@pytest.fixture
def world(app, database_url, request):
    # Each role's walk signs in a few times and files a complaint, a status check and an error
    # report from one address; the limits are not what this test is about.
    for limit in ("LOGIN_RATE_LIMIT", "CASE_STATUS_RATE_LIMIT", "COMPLAINT_RATE_LIMIT", "ERROR_REPORT_RATE_LIMIT"):
        app.config[limit] = "1000 per minute"
    if database_url in _BUILT:
        rows, built = _BUILT[database_url]
        restore_rows(rows)
        return built
    request.getfixturevalue("loaded_catalog")
    built = build_world(app, request.getfixturevalue("people"))
    _BUILT[database_url] = (table_rows(), built)
    return built


# ------------------------------------------------------------------ the walk

def rules_by_endpoint(app) -> dict[str, list]:
    found: dict[str, list] = {}
    for rule in app.url_map.iter_rules():
        found.setdefault(rule.endpoint, []).append(rule)
    return found


def test_every_route_is_in_the_expectation_table_with_its_methods(app):
    routes = rules_by_endpoint(app)
    assert sorted(set(routes) - set(EXPECTED)) == [], "routes without an entry in EXPECTED"
    assert sorted(set(EXPECTED) - set(routes)) == [], "entries of EXPECTED without a route"
    for endpoint, rules in routes.items():
        methods = sorted({m for rule in rules for m in rule.methods} - {"HEAD", "OPTIONS"})
        assert methods == sorted(EXPECTED[endpoint].methods), endpoint
        route = EXPECTED[endpoint]
        assert (route.args is None) == all(not rule.arguments for rule in rules), endpoint
        assert route.scope is None or route.scope in HIDDEN_BECAUSE, endpoint
    # The matrix refuses a route it does not name to everyone (fail closed): every route is in it.
    assert sorted(set(routes) - set(ACCESS)) == []


def _client(app, role: str):
    client = app.test_client()
    if role != "anonymous":
        response = client.post("/login", data={"login": SIGN_IN[role], "password": PASSWORD})
        assert response.status_code == 302, (role, response.status_code)
    return client


@pytest.mark.parametrize("role", ROLES)
def test_every_route_answers_every_role_on_its_own_and_another_offices_objects(app, world, role):
    remote = f"10.1.{ROLES.index(role)}.1"
    walker = _client(app, role)
    copy = app.test_client()
    if role != "anonymous":
        copy.set_cookie("session", walker.get_cookie("session").value)
    wrong, asked = [], 0
    # Session-ending routes last: a new password ends the walker's session too.
    for endpoint in sorted(EXPECTED, key=lambda endpoint: EXPECTED[endpoint].ends_session):
        route = EXPECTED[endpoint]
        for method in sorted(route.methods):  # GET before POST
            for side in (("own", "other") if route.scope else (None,)):
                arguments = route.args(world, side or "own") if route.args else {}
                with app.test_request_context():
                    url = url_for(endpoint, **arguments, **route.query)
                body = route.form(world) if method == "POST" and route.form else {}
                client = walker
                if route.ends_session:
                    client = copy if role != "anonymous" else app.test_client()
                response = client.open(url, method=method, data=body,
                                       environ_overrides={"REMOTE_ADDR": route.remote or remote})
                page = response.get_data(as_text=True) if route.rows else ""
                response.close()  # static files are streamed from an open file
                asked += 1
                want, got = expected(route, role, side), answered(endpoint, response)
                if got != want:
                    wrong.append(f"{method} {url} ({side or 'no object'}): {got}, expected {want}")
                elif want == ALLOWED and route.rows:
                    own, other = route.rows(world)
                    if own not in page:
                        wrong.append(f"{method} {url}: the own office's {own!r} is not listed")
                    if (other in page) != (role == "admin"):
                        wrong.append(f"{method} {url}: another office's {other!r} is "
                                     f"{'listed' if other in page else 'not listed for the administrator'}")
    assert asked >= len(EXPECTED)
    assert wrong == [], "\n".join(wrong)


def test_security_headers(client):
    response = client.get("/")
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    cookie = client.get("/?lang=en").headers.get("Set-Cookie", "")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_no_inline_script_anywhere(app, client, loaded_catalog):
    for path in ("/", "/services/S1", "/status", "/complaints/new", "/indicators", "/login"):
        assert "<script" not in client.get(path).get_data(as_text=True), path


def test_database_down_gives_a_503_and_no_stack_trace(app, client, monkeypatch):
    def down(*args, **kwargs):
        raise OperationalError("SELECT 1", {}, Exception("could not connect to server"))
    monkeypatch.setattr("monitor.services.public_pages._read_changes", down)
    response = client.get("/?lang=en")
    assert response.status_code == 503 and response.headers["Retry-After"] == "30"
    text = response.get_data(as_text=True)
    assert "Traceback" not in text and "could not connect" not in text and "retry" in text


def test_an_unexpected_error_shows_no_stack_trace(app, client, monkeypatch):
    monkeypatch.setattr("monitor.services.public_pages.catalog", lambda: 1 / 0)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    response = client.get("/?lang=en")
    assert response.status_code == 500
    assert "ZeroDivisionError" not in response.get_data(as_text=True)


def test_unknown_page_is_a_friendly_404(client):
    response = client.get("/no/such/page?lang=en")
    assert response.status_code == 404 and "Back to the services" in response.get_data(as_text=True)
    api = client.get("/api/no-such-thing")
    assert api.status_code == 404 and api.is_json


def test_failed_sign_ins_are_throttled_per_account_and_address(app, people):
    """Guesses from one address throttle that address for that account only; the
    owner signing in from elsewhere is never locked out."""
    from .conftest import PASSWORD
    app.config["LOGIN_FAILURE_LIMIT"] = "3 per minute"
    attacker = app.test_client()
    codes = [attacker.post("/login", data={"login": "desk1", "password": "guess"},
                           environ_base={"REMOTE_ADDR": "10.6.6.6"}).status_code for _ in range(12)]
    assert codes[:3] == [401, 401, 401] and set(codes[3:]) == {429}
    owner = app.test_client()
    response = owner.post("/login", data={"login": "DESK1", "password": PASSWORD},
                          environ_base={"REMOTE_ADDR": "10.9.9.9"})
    assert response.status_code == 302
    # The attacker's address stays throttled for that account, even with the right password.
    assert attacker.post("/login", data={"login": "desk1", "password": PASSWORD},
                         environ_base={"REMOTE_ADDR": "10.6.6.6"}).status_code == 429


def test_sign_in_is_throttled_per_address(app, people):
    app.config["LOGIN_RATE_LIMIT"] = "3 per minute"
    client = app.test_client()
    codes = [client.post("/login", data={"login": name, "password": "guess"}).status_code
             for name in ("desk1", "desk2", "super1", "admin")]
    assert codes == [401, 401, 401, 429]


def test_sign_in_rotates_the_session(app, people):
    from .conftest import PASSWORD
    client = app.test_client()
    client.get("/?lang=kk")
    before = client.get_cookie("session").value
    client.post("/login", data={"login": "desk1", "password": PASSWORD})
    after = client.get_cookie("session").value
    assert before != after
    with client.session_transaction() as session:
        assert session.get("lang") == "kk" and "_user_id" in session


@pytest.mark.parametrize("target", ["//evil.example/x", "/\\evil.example", "https://evil.example/", "javascript:x"])
def test_sign_in_never_redirects_off_site(app, people, target):
    from .conftest import PASSWORD
    client = app.test_client()
    response = client.post("/login", query_string={"next": target},
                           data={"login": "desk1", "password": PASSWORD})
    assert response.status_code == 302 and response.headers["Location"] == "/desk/"


def test_staff_figures_are_never_public(app, client):
    import datetime as dt

    from monitor.extensions import db
    from monitor.models import IndicatorSnapshot
    now = dt.datetime(2026, 4, 13, tzinfo=dt.UTC)
    db.session.add_all([
        IndicatorSnapshot(week="2026-W15", scope_kind="staff", scope_value="desk-login-7", indicator="complaints",
                          value=1.0, published_at=now),
        IndicatorSnapshot(week="2026-W15", scope_kind="office", scope_value="OF1", indicator="complaints",
                          value=1.0, published_at=now)])
    db.session.commit()
    for path in ("/open-data/indicators.csv", "/open-data/indicators.json", "/api/indicators",
                 "/api/indicators?scope_kind=staff", "/indicators"):
        body = client.get(path).get_data(as_text=True)
        assert "desk-login-7" not in body, path
    assert "OF1" in client.get("/open-data/indicators.csv").get_data(as_text=True)
