"""Sessions that end (issue 22): idle past SESSION_IDLE_TIMEOUT, past SESSION_ABSOLUTE_LIFETIME,
or after a password change elsewhere. The next request is anonymous: a redirect to sign-in,
nothing of the staff page, nothing saved; and turning the clock back does not revive it."""
from __future__ import annotations

import time

import pytest
from sqlalchemy import func, select

from monitor.extensions import db
from monitor.models import User, Visit

from .conftest import PASSWORD
from .test_desk import visit_form

GOOD = "a long and unusual passphrase"
PAGES = [("desk1", "/desk/", "desk1"), ("super1", "/supervisor/findings", "super1"),
         ("admin", "/admin/users", "desk2")]


class Clock:
    def __init__(self, monkeypatch):
        self.now = time.time()
        monkeypatch.setattr(time, "time", lambda: self.now)


def signed_out(response, page: str, staff_text: str) -> None:
    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=" + page, \
        response.headers["Location"]
    body = response.get_data(as_text=True)
    assert staff_text not in body and "logout" not in body


@pytest.mark.parametrize("name, page, staff_text", PAGES)
def test_an_idle_session_is_signed_out_on_the_next_request(app, people, client, login, monkeypatch,
                                                           name, page, staff_text):
    clock = Clock(monkeypatch)
    login(name)
    idle = app.config["SESSION_IDLE_TIMEOUT"]
    assert client.get(page).status_code == 200
    clock.now += idle  # idle exactly the timeout: still signed in (and the idle clock restarts)
    shown = client.get(page)
    assert shown.status_code == 200 and staff_text in shown.get_data(as_text=True)
    clock.now += idle + 1
    signed_out(client.get(page), page, staff_text)
    sign_in = client.get(client.get(page).headers["Location"])
    assert sign_in.status_code == 200 and 'name="password"' in sign_in.get_data(as_text=True)
    clock.now -= 2 * idle  # the clock turned back: the session was cleared, not only refused
    signed_out(client.get(page), page, staff_text)


@pytest.mark.parametrize("name, page, staff_text", PAGES)
def test_a_session_past_its_absolute_lifetime_is_signed_out_however_busy(app, people, client, login, monkeypatch,
                                                                         name, page, staff_text):
    clock = Clock(monkeypatch)
    login(name)
    signed_in = clock.now
    step = app.config["SESSION_IDLE_TIMEOUT"] // 2
    while clock.now + step <= signed_in + app.config["SESSION_ABSOLUTE_LIFETIME"]:
        clock.now += step
        assert client.get(page).status_code == 200
    clock.now = signed_in + app.config["SESSION_ABSOLUTE_LIFETIME"] + 1  # active a minute ago, but too old
    signed_out(client.get(page), page, staff_text)
    clock.now = signed_in + 60
    signed_out(client.get(page), page, staff_text)


def test_a_visit_posted_after_the_idle_timeout_is_not_saved(app, people, client, login, loaded_catalog,
                                                            monkeypatch):
    clock = Clock(monkeypatch)
    login("desk1")
    assert client.get("/desk/visits/new?service=S1").status_code == 200
    clock.now += app.config["SESSION_IDLE_TIMEOUT"] + 1  # the form was left open over lunch
    response = client.post("/desk/visits/new", data=visit_form())
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    assert db.session.scalar(select(func.count()).select_from(Visit)) == 0


@pytest.mark.parametrize("how", ["own", "admin", "cli"])
def test_a_password_change_ends_the_other_sessions(app, people, login, how):
    """Every way a password changes: the user's sessions elsewhere end at their next request."""
    elsewhere = app.test_client()
    assert elsewhere.post("/login", data={"login": "desk1", "password": PASSWORD}).status_code == 302
    assert elsewhere.get("/desk/").status_code == 200
    here = app.test_client()
    if how == "own":
        assert here.post("/login", data={"login": "desk1", "password": PASSWORD}).status_code == 302
        changed = here.post("/account/password", data={"current": PASSWORD, "password": GOOD, "repeat": GOOD})
        assert changed.status_code == 302
        assert here.get("/desk/").status_code == 200  # the session that changed it goes on
    elif how == "admin":
        assert here.post("/login", data={"login": "admin", "password": PASSWORD}).status_code == 302
        changed = here.post(f"/admin/users/{people['desk1'].id}/password", data={"password": GOOD, "repeat": GOOD})
        assert changed.status_code == 302
    else:
        result = app.test_cli_runner().invoke(args=["users", "set-password", "desk1"], input=f"{GOOD}\n{GOOD}\n")
        assert result.exit_code == 0, result.output
    signed_out(elsewhere.get("/desk/"), "/desk/", "desk1")
    assert db.session.scalar(select(User.session_version).where(User.login == "desk1")) >= 1
    fresh = app.test_client()
    assert fresh.post("/login", data={"login": "desk1", "password": GOOD}).status_code == 302
    assert fresh.get("/desk/").status_code == 200
