"""A non-editable install carries what a deployment needs: message catalogs, templates,
static files and migrations (issue 14). Built offline: the fresh virtual environment sees
this environment's site-packages for the dependencies, but not its editable checkout."""
from __future__ import annotations

import os
import shutil
import site
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "a long enough passphrase"
pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """A fresh venv with the project installed by `pip install . --no-deps` from a clean copy."""
    base = tmp_path_factory.mktemp("install")
    source = base / "src"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(
        ".venv", ".git", "instance", "build", "dist", "*.egg-info", "__pycache__", "*.mo", "site_files",
        ".pytest_cache", ".hypothesis", "bench"))
    venv = base / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    packages = Path(subprocess.run([python, "-c", "import site; print(site.getsitepackages()[0])"],
                                   check=True, capture_output=True, text=True).stdout.strip())
    # A plain path line: the dependencies (and pip, setuptools, Babel) become importable,
    # while this environment's .pth files (the editable install of the checkout) are not run.
    (packages / "zz-dependencies.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    subprocess.run([python, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
                    "--no-index", str(source)], check=True, cwd=base)
    return python, base


def _get(url: str) -> tuple[int, str]:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.status, response.read().decode("utf-8")


def _run(installed, *args, input_text=None):
    python, base = installed
    env = {**os.environ, "MONITOR_INSTANCE_PATH": str(base / "instance"),
           "DATABASE_URL": f"sqlite:///{base / 'monitor.sqlite3'}", "SECRET_KEY": "s" * 32,
           "APPLICANT_HASH_KEY": "k" * 32}
    env.pop("PYTHONPATH", None)
    return subprocess.run([python, *args], input=input_text, capture_output=True, text=True, cwd=base,
                          env=env, timeout=240)


def test_the_installed_package_is_not_the_checkout(installed):
    result = _run(installed, "-c", "import monitor; print(monitor.__file__)")
    assert result.returncode == 0, result.stderr
    assert str(ROOT) not in result.stdout and "site-packages" in result.stdout


def test_a_fresh_install_serves_kazakh_and_an_admin_signs_in(installed):
    """README's deployment steps, on the installed package: schema, catalog, an admin, gunicorn."""
    for step in (["-m", "flask", "--app", "monitor", "db", "upgrade"],
                 ["-m", "flask", "--app", "monitor", "catalog", "load"]):
        result = _run(installed, *step)
        assert result.returncode == 0, result.stderr
    created = _run(installed, "-m", "flask", "--app", "monitor", "users", "create", "chief", "--role", "admin",
                   input_text=f"{PASSWORD}\n{PASSWORD}\n")
    assert created.returncode == 0, created.stderr + created.stdout
    python, base = installed
    port = _free_port()
    env = {**os.environ, "MONITOR_INSTANCE_PATH": str(base / "instance"),
           "DATABASE_URL": f"sqlite:///{base / 'monitor.sqlite3'}", "SECRET_KEY": "s" * 32,
           "APPLICANT_HASH_KEY": "k" * 32}
    server = subprocess.Popen([python, "-m", "gunicorn", "--workers", "1", "--bind", f"127.0.0.1:{port}",
                               "monitor:create_app()"], cwd=base, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        url = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                _get(url + "/healthz")
                break
            except OSError:
                time.sleep(0.2)
        page = _get(url + "/?lang=kk")[1]
        assert "Қызметкерлердің кіруі" in page  # "Staff sign-in" from the compiled kk catalog
        russian = _get(url + "/?lang=ru")[1]
        assert "lang=\"ru\"" in russian and "Қызметкерлердің кіруі" not in russian
        assert "/static/css/app.css" in page
        assert _get(url + "/static/css/app.css")[0] == 200
    finally:
        server.terminate()
        server.wait(timeout=20)
    signed_in = _run(installed, "-c", """
from monitor import create_app
app = create_app({"WTF_CSRF_ENABLED": False})
response = app.test_client().post("/login", data={"login": "Chief", "password": {PASSWORD!r}})
print(response.status_code, response.headers.get("Location"))
""".replace("{PASSWORD!r}", repr(PASSWORD)))
    assert signed_in.stdout.split() == ["302", "/admin/users"], signed_in.stderr


@pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL"),
                    reason="needs PostgreSQL (TEST_DATABASE_URL; .ci/run sets it)")
def test_the_readme_deployment_runs_on_postgresql_and_a_digest_arrives_once(installed):
    """The README's deployment on PostgreSQL with the installed package (its dependencies at the
    versions of constraints.txt, as make installs them): schema, catalog, an office and users made
    by a script, the sample log imported, sweep, publication of every ended week, audit verify;
    the overdue digest waits while the mail server is down and arrives once when it is back."""
    from aiosmtpd.controller import Controller

    from .conftest import private_postgres_database
    from .test_mail import Inbox

    python, base = installed
    port = _free_port()
    with private_postgres_database(os.environ["TEST_DATABASE_URL"]) as url:
        env = {**os.environ, "MONITOR_INSTANCE_PATH": str(base / "instance-pg"), "DATABASE_URL": url,
               "SECRET_KEY": "s" * 32, "APPLICANT_HASH_KEY": "k" * 32, "MAIL_SERVER": "127.0.0.1",
               "MAIL_PORT": str(port), "MAIL_FROM": "monitor@example.kz", "LOG_FORMAT": "json"}
        env.pop("PYTHONPATH", None)

        def flask(*args, input_text=None):
            result = subprocess.run([python, "-m", "flask", "--app", "monitor", *args], input=input_text,
                                    capture_output=True, text=True, cwd=base, env=env, timeout=300)
            return result

        sample = base / "src" / "docs" / "sample-visits.csv"
        steps = [(["db", "upgrade"], None), (["catalog", "load"], None),
                 (["offices", "create", "AST-01", "--name-kk", "Астана №1 ХҚКО", "--name-ru", "ЦОН №1 Астаны",
                   "--name-en", "Astana PSC 1", "--region", "Astana"], None),
                 (["users", "create", "chief", "--role", "admin", "--password-stdin"], PASSWORD + "\n"),
                 (["users", "create", "clerk", "--role", "desk", "--office", "AST-01", "--email",
                   "clerk@example.kz", "--password-stdin"], PASSWORD + "\n"),
                 (["visits", "import", str(sample)], None),
                 (["findings", "sweep"], None),
                 (["jobs", "run", "publish", "--since", "2026-W45"], None),
                 (["audit", "verify"], None)]
        for args, input_text in steps:
            result = flask(*args, input_text=input_text)
            assert result.returncode == 0, (args, result.stdout, result.stderr)
        assert "published" in flask("jobs", "list").stdout

        digest = flask("jobs", "run", "overdue")  # queued in the same transaction
        assert digest.returncode == 0 and "1 digests queued" in digest.stdout, digest.stdout + digest.stderr
        down = flask("jobs", "run", "mail")  # nothing listens on the port yet
        assert "failed" in (down.stdout + down.stderr).lower() or down.returncode != 0
        inbox = Inbox()
        server = Controller(inbox, hostname="127.0.0.1", port=port)
        server.start()
        try:
            assert flask("jobs", "run", "mail", "--now", _later(minutes=5)).returncode == 0
            again = flask("jobs", "run", "mail", "--now", _later(minutes=70))
            assert again.returncode == 0, again.stderr
            messages = inbox.wait(1)
            time.sleep(0.5)
        finally:
            server.stop()
        assert len(messages) == 1 and "clerk@example.kz" in messages[0]["X-Envelope-To"], \
            (down.stdout, down.stderr, flask("jobs", "list").stdout)
        assert flask("audit", "verify").returncode == 0


def _later(minutes: int) -> str:
    import datetime as dt
    return (dt.datetime.now(dt.UTC) + dt.timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M+00:00")
