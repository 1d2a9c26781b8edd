"""Time the supervisors' weekly report read from stored weekly cells, at N stored visits.

    python bench/report_cells.py --visits 1000000 --db /tmp/report-cells.sqlite3
    python bench/report_cells.py --visits 5000000 --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench

Generates a synthetic log (monitor.tools.synthetic, as bench/generate.py), imports it with
``flask visits import`` (which judges it and builds the cells of its weeks in the same
transaction), then asks the report (network, one office, a three-office area) and its CSV
through the test client, ``--repeat`` times each, printing each request's milliseconds and
the process's peak memory. Figures are taken by the lead on an idle machine
(docs/benchmarks.md); ``--keep`` reuses a database already filled.

"The same cost whatever the history": run it twice with the same visits per day and ten
times the days (``--visits 500000 --days 280`` then ``--visits 5000000 --days 2800``): a
week holds as many visits in both, the second stores ten times the history.
``--profile FILE`` writes a pyinstrument HTML profile of one network report request (read
relative costs from it, never absolute figures on a shared machine).
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

# ``--tree DIR`` times another checkout (e.g. a git worktree of the baseline revision) with this script.
TREE = Path(sys.argv[sys.argv.index("--tree") + 1]) if "--tree" in sys.argv else Path(__file__).resolve().parent.parent
sys.path.insert(0, str(TREE.resolve()))
os.chdir(TREE)

from sqlalchemy import select  # noqa: E402

from monitor.tools.synthetic import generate_visits  # noqa: E402
from services_catalog import BUNDLED_CATALOG, load_catalog  # noqa: E402

PASSWORD = "a bench password nobody guesses"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--visits", type=int, default=200_000)
    parser.add_argument("--days", type=int, default=280, help="days of history (40 weeks)")
    parser.add_argument("--offices", type=int, default=40)
    parser.add_argument("--db", default=None, help="SQLite file (default: a temporary one)")
    parser.add_argument("--database-url", default=None, help="any SQLAlchemy URL instead of --db")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--keep", action="store_true", help="the database is already filled: only time")
    parser.add_argument("--tree", default=None, help="the checkout to time (default: this one)")
    parser.add_argument("--csv", default=None, help="import this log instead of generating one")
    parser.add_argument("--profile", default=None, help="write a pyinstrument HTML profile of one network report")
    parser.add_argument("--start", default="2026-01-05", help="the log's first day (the week timed is 10 days "
                        "before its last)")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="report-cells-"))
    url = args.database_url or f"sqlite:///{args.db or folder / 'bench.sqlite3'}"
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("MONITOR_INSTANCE_PATH", str(folder))

    from monitor import create_app
    from monitor.extensions import db
    from monitor.models import Office, User
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "WTF_CSRF_ENABLED": False, "LOG_REQUESTS": False})
    runner = app.test_cli_runner()
    start = dt.date.fromisoformat(args.start)
    offices = [f"OF-{n:03d}" for n in range(1, args.offices + 1)]
    if not args.keep:
        for command in (["db", "upgrade"], ["catalog", "load"]):
            result = runner.invoke(args=command)
            assert result.exit_code == 0, result.output
        log = Path(args.csv) if args.csv else folder / "visits.csv"
        if not args.csv:
            started = time.perf_counter()
            frame = generate_visits(load_catalog(BUNDLED_CATALOG), visits=args.visits, start=start,
                                    days=args.days, offices=offices, seed=7)
            frame.to_csv(log, index=False)
            print(f"generated {len(frame):,} visits in {time.perf_counter() - started:.1f} s", flush=True)
        started = time.perf_counter()
        result = runner.invoke(args=["visits", "import", str(log)])
        assert result.exit_code == 0, result.output
        print(f"imported (judged, cells built) in {time.perf_counter() - started:.1f} s", flush=True)
    with app.app_context():
        if db.session.scalar(select(User.id).where(User.login == "bench-admin")) is None:
            from werkzeug.security import generate_password_hash
            hashed = generate_password_hash(PASSWORD)
            db.session.add(User(login="bench-admin", role="admin", password_hash=hashed))
            for code in offices[:3]:
                if db.session.get(Office, code) is None:
                    db.session.add(Office(code=code, name_kk=code, name_ru=code, name_en=code))
            db.session.flush()
            for login, area in (("bench-office", offices[:1]), ("bench-area", offices[:3])):
                db.session.add(User(login=login, role="supervisor", password_hash=hashed,
                                    supervised=[db.session.get(Office, code) for code in area]))
            db.session.commit()
    week = (start + dt.timedelta(days=args.days - 10)).isocalendar()
    label = f"{week[0]}-W{week[1]:02d}"
    for login, who in (("bench-admin", "network"), ("bench-office", "one office"), ("bench-area", "3 offices")):
        client = app.test_client()
        signed_in = client.post("/login", data={"login": login, "password": PASSWORD})
        assert signed_in.status_code in (302, 303), signed_in.status_code
        for name, path in ((who, f"/supervisor/?week={label}"), (f"{who} CSV", f"/supervisor/report.csv?week={label}")):
            times = []
            for _ in range(args.repeat):
                started = time.perf_counter()
                response = client.get(path)
                times.append((time.perf_counter() - started) * 1000)
                assert response.status_code == 200, (path, response.status_code)
            ordered = sorted(times)
            p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
            print(f"{name:>16}: median {statistics.median(times):.0f} ms, p95 {p95:.0f} ms "
                  f"({', '.join(f'{t:.0f}' for t in times)})", flush=True)
        if args.profile and who == "network":
            from pyinstrument import Profiler
            profiler = Profiler()
            profiler.start()
            assert client.get(f"/supervisor/?week={label}").status_code == 200
            profiler.stop()
            Path(args.profile).write_text(profiler.output_html(), encoding="utf-8")
            print(f"profile of one network report: {args.profile}", flush=True)
    print(f"peak memory of this process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
