"""Load and soak benchmark: citizens reading and desks saving at once, under gunicorn.

    python bench/load.py --seconds 600 --database postgresql+psycopg://postgres@127.0.0.1:5432/scm_load

Starts gunicorn on 127.0.0.1 (only) against a fresh database, loads the bundled catalog and
desk accounts, then runs reader and desk threads for a bounded time. Prints requests/s,
latency percentiles per kind of request, errors, and whether the stored visits match the
saves that were answered with success. Traffic goes to 127.0.0.1 only and stops by itself.
"""
from __future__ import annotations

import argparse
import datetime as dt
import http.cookiejar
import os
import random
import re
import signal
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import defaultdict
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "load-test-password"


def prepare(database_url: str, desks: int, keep: bool = False) -> None:
    """A fresh database with the catalog, or (``keep``) one already filled, e.g. by
    bench/report_cells.py: then only the desks' office and accounts are added if missing."""
    sys.path.insert(0, str(ROOT))
    from flask_migrate import upgrade
    from sqlalchemy import create_engine, make_url, select, text
    from werkzeug.security import generate_password_hash

    url = make_url(database_url)
    if url.get_backend_name() == "postgresql" and not keep:
        admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
            connection.execute(text(f'CREATE DATABASE "{url.database}"'))
        admin.dispose()
    from monitor import create_app
    from monitor.extensions import db
    from monitor.models import Office, User
    from monitor.stores.catalog import store_catalog
    from services_catalog import BUNDLED_CATALOG, load_catalog
    app = create_app({"DATABASE_URL": database_url, "SECRET_KEY": "load", "APPLICANT_HASH_KEY": "load"})
    with app.app_context():
        upgrade()
        if not keep:
            store_catalog(db.session, load_catalog(BUNDLED_CATALOG))
        if db.session.get(Office, "LOAD") is None:
            db.session.add(Office(code="LOAD", name_kk="L", name_ru="L", name_en="L", region=""))
        hashed = generate_password_hash(PASSWORD)
        known = set(db.session.scalars(select(User.login)))
        db.session.add_all(User(login=f"desk{n}", role="desk", office_code="LOAD", password_hash=hashed)
                           for n in range(desks) if f"desk{n}" not in known)
        db.session.commit()
        db.engine.dispose()


def count_visits(database_url: str) -> int:
    from sqlalchemy import create_engine, text
    engine = create_engine(database_url.replace("postgresql://", "postgresql+psycopg://"))
    with engine.connect() as connection:
        count = connection.execute(text("SELECT count(*) FROM visits")).scalar()
    engine.dispose()
    return count


@contextmanager
def gunicorn(database_url: str, workers: int, port: int, tree: Path = ROOT):
    """gunicorn serving ``tree``'s app with its gunicorn.conf.py on 127.0.0.1 only (its logs
    discarded: one line per request would cost the load tool's cores), stopped when the block ends."""
    env = {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": "load", "APPLICANT_HASH_KEY": "load",
           "RATELIMIT_STORAGE_URI": "memory://"}
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "--workers", str(workers),
                               "--bind", f"127.0.0.1:{port}", "--log-level", "warning", "wsgi:app"], cwd=tree, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(base + "/", timeout=2).read()
                break
            except OSError:
                time.sleep(0.2)
        yield base
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.latency = defaultdict(list)
        self.errors = defaultdict(int)
        self.saved = 0

    def record(self, kind: str, seconds: float, ok: bool) -> None:
        with self.lock:
            self.latency[kind].append(seconds)
            if not ok:
                self.errors[kind] += 1


def reader(base: str, stop: float, stats: Stats, codes: list[str]) -> None:
    while time.monotonic() < stop:
        kind, path = random.choice([("service page", f"/services/{random.choice(codes)}?lang=ru"),
                                    ("catalog.json", "/open-data/catalog.json")])
        started = time.perf_counter()
        try:
            with urllib.request.urlopen(base + path, timeout=30) as response:
                response.read()
                ok = response.status == 200
        except urllib.error.URLError:
            ok = False
        stats.record(kind, time.perf_counter() - started, ok)


def desk(base: str, login: str, stop: float, stats: Stats, code: str) -> None:
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))

    def token(path: str) -> str:
        with opener.open(base + path, timeout=30) as response:
            return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', response.read().decode()).group(1)

    data = urllib.parse.urlencode({"login": login, "password": PASSWORD, "csrf_token": token("/login")})
    opener.open(base + "/login", data.encode(), timeout=30).read()
    form_token = token(f"/desk/visits/new?service={code}")
    # Visits of today (local), a minute apart from midnight on: never in the future, never late.
    from zoneinfo import ZoneInfo
    today = dt.datetime.now(ZoneInfo(os.environ.get("MONITOR_TIMEZONE", "Asia/Almaty"))).replace(tzinfo=None)
    midnight = today.replace(hour=0, minute=0, second=0, microsecond=0)
    minute = 0
    while time.monotonic() < stop:
        minute = minute % max(1, int((today - midnight).total_seconds() // 60) - 1) + 1
        called_at = midnight + dt.timedelta(minutes=minute - 1)
        called, finished = (called_at.strftime("%Y-%m-%dT%H:%M"),
                            (called_at + dt.timedelta(seconds=50)).strftime("%Y-%m-%dT%H:%M"))
        body = urllib.parse.urlencode({"csrf_token": form_token, "service_code": code, "action": "consult",
                                       "called_at": called, "finished_at": finished}).encode()
        started = time.perf_counter()
        try:
            with opener.open(base + "/desk/visits/new", body, timeout=30) as response:
                response.read()
                ok = response.status == 200 and "/desk/" in response.url
        except urllib.error.URLError:
            ok = False
        stats.record("desk save", time.perf_counter() - started, ok)
        if ok:
            with stats.lock:
                stats.saved += 1


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[q - 1] * 1000 if len(values) > 1 else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--database", default="postgresql+psycopg://postgres@127.0.0.1:5432/scm_load")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--readers", type=int, default=8)
    parser.add_argument("--desks", type=int, default=4)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--keep", action="store_true",
                        help="use the database as it is (filled by bench/report_cells.py); add the desks only")
    args = parser.parse_args()
    prepare(args.database, args.desks, args.keep)
    before = count_visits(args.database)
    with gunicorn(args.database, args.workers, args.port) as base:
        sys.path.insert(0, str(ROOT))
        from services_catalog import BUNDLED_CATALOG, load_catalog
        codes = list(load_catalog(BUNDLED_CATALOG).services)
        stats, stop = Stats(), time.monotonic() + args.seconds
        threads = [threading.Thread(target=reader, args=(base, stop, stats, codes)) for _ in range(args.readers)]
        threads += [threading.Thread(target=desk, args=(base, f"desk{n}", stop, stats, codes[n % len(codes)]))
                    for n in range(args.desks)]
        started = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - started
    total = sum(len(v) for v in stats.latency.values())
    print(f"{args.seconds} s, gunicorn {args.workers} workers, {args.readers} readers, {args.desks} desks, "
          f"database {args.database.split('@')[-1]}")
    print(f"total {total:,} requests, {total / elapsed:,.0f} requests/s, errors {sum(stats.errors.values())}")
    for kind, values in sorted(stats.latency.items()):
        print(f"  {kind:<13} {len(values):>7,} requests {len(values) / elapsed:>7,.1f}/s  "
              f"p50 {percentile(values, 50):6.1f} ms  p95 {percentile(values, 95):6.1f} ms  "
              f"p99 {percentile(values, 99):6.1f} ms  errors {stats.errors[kind]}")
    stored = count_visits(args.database) - before
    print(f"desk saves answered OK: {stats.saved:,}; visits stored: {stored:,} -> "
          f"{'match' if stored == stats.saved else 'MISMATCH'}")


if __name__ == "__main__":
    main()
