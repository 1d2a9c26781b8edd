"""Every route of the app against the access matrix, for every role; headers and errors."""
from __future__ import annotations

import pytest
from sqlalchemy.exc import OperationalError

from monitor.views.access import ACCESS, ANYONE

SAMPLE_ARGUMENTS = {"code": "S1", "case_number": "NO-CASE", "reference": "NO-REF", "user_id": 1,
                    "finding_id": 1, "fmt": "csv", "visit_id": "NO-VISIT", "day": "2026-03-20",
                    "filename": "css/app.css", "request_id": 1, "draft_id": 1, "report_id": 1}
ROLES = ("anonymous", "desk1", "super1", "admin", "steward1")
ROLE_OF = {"anonymous": "anonymous", "desk1": "desk", "super1": "supervisor", "admin": "admin",
           "steward1": "steward"}


def routes(app):
    for rule in app.url_map.iter_rules():
        methods = sorted(rule.methods - {"HEAD", "OPTIONS"})
        url = rule.build({k: SAMPLE_ARGUMENTS[k] for k in rule.arguments}, append_unknown=False)[1]
        yield rule.endpoint, url, methods[0]


def test_every_route_has_an_entry_in_the_matrix(app):
    missing = sorted({endpoint for endpoint, _, _ in routes(app)} - set(ACCESS))
    assert missing == [], f"routes without an access entry: {missing}"


@pytest.mark.parametrize("who", ROLES)
def test_every_route_answers_as_the_matrix_says(app, people, loaded_catalog, who):
    client = app.test_client()
    if who == "steward1":  # a catalog steward (issue 25), keeping the whole catalog
        from monitor.extensions import db
        from monitor.services import accounts

        from .conftest import PASSWORD
        accounts.create_user(db.session, accounts.NewUser(login="steward1", role="steward", password=PASSWORD),
                             actor="test")
        db.session.commit()
    if who != "anonymous":
        from .conftest import PASSWORD
        assert client.post("/login", data={"login": who, "password": PASSWORD}).status_code == 302
    for endpoint, url, method in routes(app):
        if endpoint == "auth.logout":
            continue  # would end the session the loop relies on
        response = client.open(url, method=method)
        response.close()  # static files are streamed from an open file
        allowed = ROLE_OF[who] in ACCESS[endpoint]
        if allowed:
            assert response.status_code not in (401, 403), (who, endpoint, response.status_code)
            assert response.status_code < 500, (who, endpoint, response.status_code)
        elif who == "anonymous":
            assert response.status_code == 302 and "/login" in response.headers["Location"], (endpoint,)
        else:
            assert response.status_code == 403, (who, endpoint, response.status_code)


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


def test_anyone_roles_are_consistent():
    assert "anonymous" in ANYONE and all(isinstance(roles, frozenset) for roles in ACCESS.values())


def test_failed_sign_ins_are_throttled_per_account_and_address(app, people):
    """Defect 3: guesses from one address throttle that address for that account only; the
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
    now = dt.datetime(2026, 4, 13, tzinfo=dt.timezone.utc)
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
