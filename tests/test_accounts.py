"""Staff accounts: `flask users`, the password policy, unique logins, and sessions that end."""
from __future__ import annotations

import time

import pytest

from monitor.extensions import db
from monitor.models import User
from monitor.services import accounts

from .conftest import PASSWORD

GOOD = "a long enough passphrase"


@pytest.mark.parametrize("password, login, reason", [
    ("short pass", "anna", "at least 12"),
    ("annakarenina", "annakarenina", "contain the login"),
    ("ANNAKARENINA", "annakarenina", "contain the login"),
    ("password1234", "anna", "common passwords"),
    ("qwertyuiop123", "anna", "common passwords"),
    ("111111111111", "anna", "common passwords"),
    ("1q2w3e4r5t6y", "anna", "common passwords"),
])
def test_password_policy_refuses(password, login, reason):
    assert reason in str(accounts.password_problem(password, login))


def test_password_policy_accepts_a_passphrase():
    assert accounts.password_problem(PASSWORD, "desk1") is None
    assert accounts.password_problem("жаңа құпия сөз бар", "desk1") is None  # any script counts


def test_the_common_password_list_ships_with_the_package():
    assert len(accounts.common_passwords()) > 1000


def test_users_create_makes_an_admin_who_signs_in(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["users", "create", "chief", "--role", "admin"], input=f"{GOOD}\n{GOOD}\n")
    assert result.exit_code == 0, result.output
    assert GOOD not in result.output  # never echoed
    response = app.test_client().post("/login", data={"login": "chief", "password": GOOD})
    assert response.status_code == 302 and response.headers["Location"].endswith("/admin/users")


def test_users_create_asks_twice_and_refuses_a_weak_password(app):
    runner = app.test_cli_runner()
    mismatch = runner.invoke(args=["users", "create", "chief", "--role", "admin"],
                             input=f"{GOOD}\nsomething else entirely\n")
    assert mismatch.exit_code != 0 and db.session.scalar(db.select(User)) is None
    weak = runner.invoke(args=["users", "create", "chief", "--role", "admin"], input="password1234\npassword1234\n")
    assert weak.exit_code == 1 and "common passwords" in weak.output
    assert db.session.scalar(db.select(User)) is None


def test_logins_are_unique_ignoring_case(app, people):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["users", "create", "Admin", "--role", "admin"], input=f"{GOOD}\n{GOOD}\n")
    assert result.exit_code == 1 and "taken" in result.output
    with pytest.raises(accounts.AccountError, match="taken"):
        accounts.create_user(db.session, accounts.NewUser("ADMIN", "admin", GOOD), actor="test")


def test_desk_user_needs_an_existing_office(app, people):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["users", "create", "clerk", "--role", "desk"], input=f"{GOOD}\n{GOOD}\n")
    assert result.exit_code == 1 and "needs an office" in result.output
    result = runner.invoke(args=["users", "create", "clerk", "--role", "desk", "--office", "NOPE"],
                           input=f"{GOOD}\n{GOOD}\n")
    assert result.exit_code == 1 and "no such office: NOPE" in result.output
    result = runner.invoke(args=["users", "create", "clerk", "--role", "desk", "--office", "OF2"],
                           input=f"{GOOD}\n{GOOD}\n")
    assert result.exit_code == 0 and accounts.find_user(db.session, "clerk").office_code == "OF2"


def test_set_password_and_deactivate_end_sessions(app, people, client, login):
    login("desk1")
    assert client.get("/desk/").status_code == 200
    runner = app.test_cli_runner()
    result = runner.invoke(args=["users", "set-password", "DESK1"], input=f"{GOOD}\n{GOOD}\n")
    assert result.exit_code == 0, result.output
    assert client.get("/desk/").status_code == 302  # the old session is gone
    fresh = app.test_client()
    assert fresh.post("/login", data={"login": "desk1", "password": GOOD}).status_code == 302
    assert fresh.get("/desk/").status_code == 200
    result = runner.invoke(args=["users", "deactivate", "desk1"])
    assert result.exit_code == 0 and fresh.get("/desk/").status_code == 302
    assert app.test_client().post("/login", data={"login": "desk1", "password": GOOD}).status_code == 401


def test_a_cookie_copied_before_logout_is_dead(app, people, client, login):
    """Logout ends the session on the server, not only in this browser."""
    login("desk1")
    copied = client.get_cookie("session").value
    client.post("/logout")
    thief = app.test_client()
    thief.set_cookie("session", copied)
    assert thief.get("/desk/").status_code == 302


def test_reactivation_does_not_revive_old_cookies(app, people, client, login):
    """A deactivated user's old cookie stays dead after reactivation."""
    login("desk1")
    copied = client.get_cookie("session").value
    admin = app.test_client()
    admin.post("/login", data={"login": "admin", "password": PASSWORD})
    desk1 = people["desk1"].id
    assert admin.post(f"/admin/users/{desk1}/active").status_code == 302  # deactivate
    assert admin.post(f"/admin/users/{desk1}/active").status_code == 302  # and back
    assert db.session.get(User, desk1).active
    thief = app.test_client()
    thief.set_cookie("session", copied)
    assert thief.get("/desk/").status_code == 302


def test_sessions_have_an_idle_timeout_and_an_absolute_lifetime(app, people, client, login, monkeypatch):
    login("desk1")
    start = time.time()
    monkeypatch.setattr(time, "time", lambda: start + app.config["SESSION_IDLE_TIMEOUT"] - 60)
    assert client.get("/desk/").status_code == 200  # active within the idle timeout
    monkeypatch.setattr(time, "time", lambda: start + 2 * app.config["SESSION_IDLE_TIMEOUT"] + 60)
    assert client.get("/desk/").status_code == 302  # idle too long
    clock = signed_in = time.time()
    monkeypatch.setattr(time, "time", lambda: clock)
    login("desk1")
    while clock < signed_in + app.config["SESSION_ABSOLUTE_LIFETIME"] + 60:  # busy all day long
        clock += app.config["SESSION_IDLE_TIMEOUT"] / 2
        monkeypatch.setattr(time, "time", lambda: clock)  # noqa: B023 - read while this iteration runs
        status = client.get("/desk/").status_code
    assert status == 302  # past the absolute lifetime


def test_admin_resets_a_password_in_the_web_ui(app, people, client, login):
    login("admin")
    desk2 = people["desk2"].id
    weak = client.post(f"/admin/users/{desk2}/password", data={"password": "desk2", "repeat": "desk2"},
                       follow_redirects=True)
    page = weak.get_data(as_text=True)  # in the default language (ru): "Пароль desk2 не изменён: ..."
    assert 'class="flash error"' in page and "desk2" in page
    assert app.test_client().post("/login", data={"login": "desk2", "password": PASSWORD}).status_code == 302
    response = client.post(f"/admin/users/{desk2}/password", data={"password": GOOD, "repeat": GOOD})
    assert response.status_code == 302
    assert app.test_client().post("/login", data={"login": "desk2", "password": GOOD}).status_code == 302
    assert app.test_client().post("/login", data={"login": "desk2", "password": PASSWORD}).status_code == 401


def test_a_desk_user_may_not_reset_passwords(app, people, client, login):
    login("desk1")
    response = client.post(f"/admin/users/{people['desk2'].id}/password", data={"password": GOOD, "repeat": GOOD})
    assert response.status_code == 403


def test_users_change_their_own_password(app, people, client, login):
    login("super1")
    wrong = client.post("/account/password", data={"current": "not it at all", "password": GOOD, "repeat": GOOD})
    assert wrong.status_code == 422
    weak = client.post("/account/password", data={"current": PASSWORD, "password": "super1super1",
                                                   "repeat": "super1super1"})
    assert weak.status_code == 422
    other = app.test_client()
    other.post("/login", data={"login": "super1", "password": PASSWORD})
    done = client.post("/account/password", data={"current": PASSWORD, "password": GOOD, "repeat": GOOD})
    assert done.status_code == 302
    assert client.get("/supervisor/findings").status_code == 200  # this session goes on
    assert other.get("/supervisor/findings").status_code == 302   # the other one ended
    assert app.test_client().post("/login", data={"login": "super1", "password": GOOD}).status_code == 302


def test_unknown_logins_cost_a_password_hash(app, people, monkeypatch):
    """The time to refuse must not tell whether the login exists."""
    from werkzeug.security import generate_password_hash

    import monitor.services.accounts as module
    people["desk1"].password_hash = generate_password_hash("a password as accounts.py stores it")
    db.session.commit()
    checked = []
    real = module.check_password_hash
    monkeypatch.setattr(module, "check_password_hash", lambda h, p: checked.append(h) or real(h, p))
    client = app.test_client()
    client.post("/login", data={"login": "nobody-here", "password": "whatever it is"})
    client.post("/login", data={"login": "desk1", "password": "whatever it is"})
    assert len(checked) == 2
    assert checked[0].split("$")[0] == checked[1].split("$")[0]  # the same method and cost


def test_password_reasons_are_shown_in_the_readers_language(client, login, people):
    from .conftest import PASSWORD
    login("desk1")
    for language, expected in (("ru", "не менее 12 символов"), ("kk", "кемінде 12 таңба")):
        page = client.post(f"/account/password?lang={language}",
                           data={"current": PASSWORD, "password": "short", "repeat": "short"})
        assert expected in page.get_data(as_text=True), language
    page = client.post("/account/password?lang=ru",
                       data={"current": PASSWORD, "password": "password1234", "repeat": "password1234"})
    assert "в списке распространённых паролей" in page.get_data(as_text=True)


def test_a_deployment_is_scripted_offices_and_users_with_passwords_from_stdin(app, client):
    from sqlalchemy import select

    from monitor.models import AuditRecord, Office
    runner = app.test_cli_runner()
    created = runner.invoke(args=["offices", "create", "AST-01", "--name-kk", "Астана ХҚКО", "--name-ru",
                                  "ЦОН Астаны", "--name-en", "Astana PSC", "--region", "Astana"])
    assert created.exit_code == 0, created.output
    office = db.session.get(Office, "AST-01")
    assert (office.name_ru, office.region) == ("ЦОН Астаны", "Astana")
    assert db.session.scalar(select(AuditRecord).where(AuditRecord.entity == "office")).actor == "cli"
    taken = runner.invoke(args=["offices", "create", "AST-01", "--name-kk", "a", "--name-ru", "b", "--name-en", "c"])
    assert taken.exit_code == 1 and "taken" in taken.output
    bad = runner.invoke(args=["offices", "create", "ast 01", "--name-kk", "a", "--name-ru", "b", "--name-en", "c"])
    assert bad.exit_code == 1 and "capital Latin letters" in bad.output and db.session.get(Office, "ast 01") is None
    listed = runner.invoke(args=["offices", "list"])
    assert listed.exit_code == 0
    assert listed.output.splitlines() == ["AST-01\tAstana\tАстана ХҚКО\tЦОН Астаны\tAstana PSC"]

    # One line on standard input, no prompt: a script (or a secrets manager) can set it.
    made = runner.invoke(args=["users", "create", "clerk", "--role", "desk", "--office", "AST-01",
                               "--password-stdin"], input=f"{GOOD}\n")
    assert made.exit_code == 0, made.output
    assert "Repeat" not in made.output
    weak = runner.invoke(args=["users", "set-password", "clerk", "--password-stdin"], input="password1234\n")
    assert weak.exit_code == 1 and "common passwords" in weak.output
    assert client.post("/login", data={"login": "clerk", "password": GOOD}).status_code == 302
    changed = runner.invoke(args=["users", "set-password", "clerk", "--password-stdin"],
                            input="another long passphrase\n")
    assert changed.exit_code == 0, changed.output
    assert client.post("/login", data={"login": "clerk", "password": "another long passphrase"}).status_code == 302


def test_an_office_made_in_the_browser_goes_through_the_same_checks(client, login):
    from monitor.models import Office
    login("admin")
    taken = client.post("/admin/offices?lang=en", data={"code": "OF1", "name_kk": "a", "name_ru": "b",
                                                        "name_en": "c", "region": ""})
    assert taken.status_code == 200 and "This code is taken." in taken.get_data(as_text=True)
    made = client.post("/admin/offices", data={"code": "OF9", "name_kk": "a", "name_ru": "b", "name_en": "c",
                                               "region": "North"})
    assert made.status_code == 302 and db.session.get(Office, "OF9").region == "North"
