"""The parts of a multi-worker deployment: Redis-backed rate limits shared by gunicorn
workers, the health and readiness probes, and ProxyFix behind a proxy."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import create_engine, make_url, text

from monitor import create_app
from monitor.extensions import db

from .conftest import TEST_CONFIG, private_postgres_database

pytestmark = pytest.mark.both_databases

ROOT = Path(__file__).resolve().parent.parent


def _redis_url() -> str:
    """TEST_REDIS_URL (set by .ci/run): never a Redis that merely happens to answer on 6379
    (it may be someone's data); without it, the tests that need Redis say they are skipped."""
    url = os.environ.get("TEST_REDIS_URL")
    if not url:
        pytest.skip(reason="needs TEST_REDIS_URL (a Redis database the tests may use); .ci/run sets it")
    try:
        import redis
        redis.Redis.from_url(url, socket_timeout=1).ping()
    except Exception as error:  # the reason is reported by the skip
        pytest.skip(reason=f"no Redis at {url} ({error}); .ci/run starts one and sets TEST_REDIS_URL")
    return url


@pytest.fixture
def redis_url():
    return _redis_url()


@pytest.fixture
def make_app(database_url):
    """Apps with their own settings; their connection pools are closed afterwards."""
    made = []

    def make(**settings):
        made.append(create_app({**TEST_CONFIG, "DATABASE_URL": database_url, **settings}))
        return made[-1]
    yield make
    for app in made:
        with app.app_context():
            db.engine.dispose()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# A test-only wrapper that names the worker answering, to show both workers took part.
WORKER_WRAPPER = '''
import os
from monitor import create_app
from monitor.extensions import db
# No CSRF token from urllib; the limit is the one under test.
_app = create_app({"WTF_CSRF_ENABLED": False, "CASE_STATUS_RATE_LIMIT": "10 per minute"})

def app(environ, start_response):
    def start(status, headers, exc_info=None):
        return start_response(status, headers + [("X-Worker", str(os.getpid()))], exc_info)
    return _app(environ, start)
'''


@pytest.mark.slow
def test_a_limit_of_10_holds_across_two_gunicorn_workers(database_url, redis_url, tmp_path):
    (tmp_path / "two_workers.py").write_text(WORKER_WRAPPER)
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": "s" * 32, "APPLICANT_HASH_KEY": "k" * 32,
           "RATELIMIT_STORAGE_URI": redis_url, "RATELIMIT_KEY_PREFIX": f"scm-test-{uuid.uuid4().hex}"}
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "gunicorn.conf.py"), "--workers", "2",
         "--bind", f"127.0.0.1:{port}", "--pythonpath", str(tmp_path), "--keep-alive", "0",
         "--access-logfile", "/dev/null", "two_workers:app"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"

    def post_status(_):
        request = urllib.request.Request(url + "/status", data=b"case_number=X&check_code=Y", method="POST")
        try:
            with urllib.request.urlopen(request, timeout=20) as response:
                return response.status, response.headers["X-Worker"]
        except urllib.error.HTTPError as error:
            with error:
                return error.code, error.headers["X-Worker"]

    try:
        for _ in range(150):
            try:
                with urllib.request.urlopen(url + "/healthz", timeout=2):
                    pass
                break
            except OSError:
                time.sleep(0.2)
        # Both workers must be up before counting (each answers /healthz once it has booted).
        time.sleep(2)
        with ThreadPoolExecutor(max_workers=6) as pool:
            answers = list(pool.map(post_status, range(40)))
    finally:
        server.terminate()
        server.wait(timeout=30)
    statuses = [status for status, _ in answers]
    workers = {worker for _, worker in answers}
    assert len(workers) == 2, "both workers should have answered"
    # "10 per minute": ten in all, not ten per worker.
    assert statuses.count(200) == 10 and statuses.count(429) == 30


def test_readyz_answers_when_database_and_redis_answer(make_app, redis_url):
    app = make_app(RATELIMIT_STORAGE_URI=redis_url, RATELIMIT_KEY_PREFIX=f"scm-test-{uuid.uuid4().hex}")
    response = app.test_client().get("/readyz")
    assert response.status_code == 200
    assert response.json == {"status": "ready", "checks": {"database": "ok", "rate_limit_storage": "ok"}}
    assert response.headers["Cache-Control"] == "no-store"


def test_readyz_names_what_is_down_and_only_the_database_takes_the_server_out(make_app):
    dead = f"redis://127.0.0.1:{_free_port()}/0"
    app = make_app(RATELIMIT_STORAGE_URI=dead)
    response = app.test_client().get("/readyz")
    # Without Redis the workers count limits in memory and still serve: degraded, not down.
    assert response.status_code == 200 and response.json["status"] == "degraded"
    assert response.json["checks"] == {"database": "ok", "rate_limit_storage": "down"}
    assert app.test_client().get("/?lang=en").status_code == 200
    nowhere = make_app(DATABASE_URL="postgresql+psycopg://nobody@127.0.0.1:1/none")
    response = nowhere.test_client().get("/readyz")
    assert response.status_code == 503 and response.json["checks"]["database"] == "down"
    assert nowhere.test_client().get("/healthz").json == {"status": "ok"}  # the process is up


def test_a_rate_limited_page_still_answers_when_redis_is_down(make_app):
    """Limits fall back to each worker's memory meanwhile; citizens never get a 500."""
    app = make_app(RATELIMIT_STORAGE_URI=f"redis://127.0.0.1:{_free_port()}/0", CASE_STATUS_RATE_LIMIT="2 per minute")
    client = app.test_client()
    statuses = [client.post("/status", data={"case_number": "X-1", "code": "ABCDEF"}).status_code
                for _ in range(3)]
    assert 500 not in statuses and statuses[-1] == 429


def test_behind_a_proxy_each_citizen_has_their_own_bucket(make_app):
    """Defect noted in issue 14: without ProxyFix every citizen shares the proxy's address."""
    app = make_app(PROXY_FIX_X_FOR=1, CASE_STATUS_RATE_LIMIT="2 per minute")
    client = app.test_client()

    def post(citizen):
        return client.post("/status", data={"case_number": "X", "check_code": "Y"},
                           headers={"X-Forwarded-For": citizen}, environ_base={"REMOTE_ADDR": "10.0.0.1"}).status_code
    assert [post("203.0.113.7") for _ in range(3)] == [200, 200, 429]
    assert post("198.51.100.9") == 200  # another citizen behind the same proxy
    # Without the setting, the forwarded header is not trusted (it could be forged).
    plain = make_app(CASE_STATUS_RATE_LIMIT="2 per minute")
    codes = [plain.test_client().post("/status", data={"case_number": "X", "check_code": "Y"},
                                      headers={"X-Forwarded-For": f"203.0.113.{n}"},
                                      environ_base={"REMOTE_ADDR": "10.0.0.2"}).status_code for n in range(3)]
    assert codes == [200, 200, 429]


@pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL"),
                    reason="needs PostgreSQL (TEST_DATABASE_URL; .ci/run sets it)")
def test_connections_dropped_by_a_database_restart_are_replaced_before_use():
    """After PostgreSQL restarts, the pooled connections are dead: the next request must not fail."""
    with private_postgres_database(os.environ["TEST_DATABASE_URL"]) as url:
        app = create_app({**TEST_CONFIG, "DATABASE_URL": url})
        client = app.test_client()
        assert client.get("/readyz").json["checks"]["database"] == "ok"  # a connection now waits in the pool
        killer = create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")
        with killer.connect() as connection:  # what a restart does to every open connection
            ended = connection.execute(text("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                                            "WHERE datname = :name AND pid <> pg_backend_pid()"),
                                       {"name": make_url(url).database}).scalar()
        killer.dispose()
        assert ended >= 1
        response = client.get("/readyz")
        with app.app_context():
            db.engine.dispose()
        assert response.status_code == 200 and response.json["checks"]["database"] == "ok"


FREEZE_CHECK = '''
import gc, runpy, sys, types
from monitor import create_app
app = create_app({"WTF_CSRF_ENABLED": False})
before = len(gc.get_objects())
hooks = runpy.run_path(sys.argv[1])
worker = types.SimpleNamespace(wsgi=app, log=types.SimpleNamespace(exception=print))
hooks["post_worker_init"](worker)
print(before, gc.get_freeze_count(), len(gc.get_objects()), gc.isenabled())
'''


def test_a_gunicorn_worker_moves_its_start_up_objects_out_of_the_collectors_reach(database_url, tmp_path):
    """gunicorn.conf.py's post_worker_init warms the worker, then freezes what it holds: a full
    garbage collection walks what requests make, not the application's ~200,000 start-up
    objects (150 ms every other report request at 400 offices; freeze_startup_objects)."""
    env = {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": "s" * 32, "APPLICANT_HASH_KEY": "k" * 32,
           "PYTHONPATH": str(ROOT)}
    run = subprocess.run([sys.executable, "-c", FREEZE_CHECK, str(ROOT / "gunicorn.conf.py")], cwd=tmp_path, env=env,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    before, frozen, tracked, enabled = run.stdout.split()[-4:]
    assert enabled == "True"  # objects made later are still collected
    assert int(before) > 50_000 and int(frozen) >= int(before)
    assert int(tracked) < int(before) / 10
