"""Time the supervisors' weekly report read from stored weekly cells, at N stored visits.

    python bench/report_cells.py --visits 1000000 --db /tmp/report-cells.sqlite3
    python bench/report_cells.py --visits 5000000 --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench

Generates a synthetic log (monitor.tools.synthetic, as bench/generate.py), imports it with
``flask visits import`` (which judges it and builds the cells of its weeks in the same
transaction), then asks the report (network, one office, a three-office area) and its CSV
through the test client, ``--repeat`` times each, printing each request's milliseconds and
the process's peak memory. Figures are taken by the lead on an idle machine
(docs/benchmarks.md); ``--keep`` reuses a database already filled.

Also printed, for issue 21's targets: the week's XLSX export (network, one office), timed as
the CSV; the memory one request adds (each report and export path asked once more under
tracemalloc, whose peak is the Python and numpy allocations of that request, and the rise of
the process's resident high-water mark over its timed requests); and, with ``--publish``,
publishing a week (services.publishing.publish_week and the commit, as the publish job does)
on ``--repeat`` different unpublished weeks before the week timed, each once: a published week
is frozen and publishing it again adds nothing. ``--publish`` writes snapshots into the
database (with ``--keep``, the user's): the report's trend then reads those weeks' snapshots.
A measure a ``--tree`` lacks (no XLSX route, another publish_week) is skipped with a line.
Before timing, the start-up objects are frozen out of the garbage collector's reach, as a
gunicorn worker does (gunicorn.conf.py; ``--no-freeze`` leaves them, a tree without it does).

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
import runpy
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

# ``--tree DIR`` times another checkout (e.g. a git worktree of the baseline revision) with this script.
TREE = Path(sys.argv[sys.argv.index("--tree") + 1]) if "--tree" in sys.argv else Path(__file__).resolve().parent.parent
sys.path.insert(0, str(TREE.resolve()))
os.chdir(TREE)

from sqlalchemy import select  # noqa: E402

from monitor.tools.synthetic import generate_visits  # noqa: E402
from services_catalog import BUNDLED_CATALOG, load_catalog  # noqa: E402

PASSWORD = "a bench password nobody guesses"
TARGET = "target < 300 MB a request"
MIB = 2**20


class Missing(Exception):
    """The tree timed lacks what a new measure needs (``--tree`` of an older checkout)."""


def _resident(field: str) -> int | None:
    """VmRSS or VmHWM (the resident high-water mark) of this process in bytes, None off Linux."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def _reset_high_water_mark() -> bool:
    """Start VmHWM again from the current resident size (Linux >= 4.0), False if refused."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def _timed(name: str, call: Callable[[], object], repeat: int) -> int | None:
    """Call ``repeat`` times, print the milliseconds (the line format other tools read) and
    return the largest rise of the resident high-water mark over one call (None: unknown)."""
    times, rises = [], []
    for _ in range(repeat):
        before = _resident("VmRSS") if _reset_high_water_mark() else None
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
        peak = _resident("VmHWM")
        if before is not None and peak is not None:
            rises.append(peak - before)
    ordered = sorted(times)
    p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
    print(f"{name:>16}: median {statistics.median(times):.0f} ms, p95 {p95:.0f} ms "
          f"({', '.join(f'{t:.0f}' for t in times)})", flush=True)
    return max(rises) if rises else None


def _traced_peak(call: Callable[[], object]) -> int:
    """Peak bytes allocated by Python (and numpy) during one call, from tracemalloc."""
    tracemalloc.start()
    try:
        call()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


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
    parser.add_argument("--publish", action="store_true",
                        help="also time publishing --repeat unpublished weeks (writes their snapshots "
                        "into the database)")
    parser.add_argument("--no-freeze", action="store_true",
                        help="leave the start-up objects to the garbage collector (a gunicorn worker freezes them)")
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
    if not args.no_freeze:
        # As a gunicorn worker does once started (gunicorn.conf.py, post_worker_init).
        freeze = runpy.run_path(str(TREE / "gunicorn.conf.py")).get("freeze_startup_objects")
        if freeze is None:
            print("this tree's gunicorn.conf.py does not freeze its start-up objects", flush=True)
        else:
            freeze()
            print("start-up objects frozen, as a gunicorn worker does (--no-freeze: not)", flush=True)
    week = (start + dt.timedelta(days=args.days - 10)).isocalendar()
    label = f"{week[0]}-W{week[1]:02d}"
    memory: list[tuple[str, Callable[[], object], int | None]] = []
    for login, who in (("bench-admin", "network"), ("bench-office", "one office"), ("bench-area", "3 offices")):
        client = app.test_client()
        signed_in = client.post("/login", data={"login": login, "password": PASSWORD})
        assert signed_in.status_code in (302, 303), signed_in.status_code
        paths = [(who, f"/supervisor/?week={label}"), (f"{who} CSV", f"/supervisor/report.csv?week={label}")]
        if who != "3 offices":
            paths.append((f"{who} XLSX", f"/supervisor/report.xlsx?week={label}"))
        for name, path in paths:
            def ask(client=client, path=path) -> None:
                response = client.get(path)
                if response.status_code == 404 and "report.xlsx" in path:
                    raise Missing(f"this tree has no XLSX export: {path} answers 404")
                assert response.status_code == 200, (path, response.status_code)
            try:
                memory.append((name, ask, _timed(name, ask, args.repeat)))
            except Missing as missing:
                print(f"{name:>16}: skipped ({missing})", flush=True)
        if args.profile and who == "network":
            from pyinstrument import Profiler
            profiler = Profiler()
            profiler.start()
            assert client.get(f"/supervisor/?week={label}").status_code == 200
            profiler.stop()
            Path(args.profile).write_text(profiler.output_html(), encoding="utf-8")
            print(f"profile of one network report: {args.profile}", flush=True)
    print(f"memory one request adds ({TARGET}; tracemalloc: Python and numpy allocations, "
          "on one more request; RSS: rise of the resident high-water mark, largest of the timed requests, "
          "the process's first request warming it up):",
          flush=True)
    for name, ask, rise in memory:
        traced = _traced_peak(ask)
        rss = f"{rise / MIB:.1f} MiB" if rise is not None else "unknown (no /proc/self/clear_refs)"
        print(f"{name:>16} memory: tracemalloc peak {traced / MIB:.1f} MiB, RSS rise {rss}", flush=True)
    if args.publish:
        _publish(app, label, args.repeat, start)
    print(f"peak memory of this process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


def _publish(app, timed_week: str, repeat: int, start: dt.date) -> None:
    """Time publishing one week (every scope), as the publish job does: publish_week, then commit.

    A published week is a frozen snapshot (publishing it again changes nothing), so each time is
    a different week: the unpublished weeks before the week timed, latest first, from ``start`` on."""
    from monitor.extensions import db
    from monitor.models import IndicatorSnapshot
    try:
        from monitor.services.context import engine_inputs
        from monitor.services.publishing import PublishError, publish_week
    except ImportError as error:
        print(f"  publish a week: skipped (this tree lacks what it needs: {error})", flush=True)
        return
    now = dt.datetime.now(dt.UTC)
    with app.app_context():
        published = set(db.session.scalars(select(IndicatorSnapshot.week).distinct()))
    monday = dt.date.fromisocalendar(int(timed_week[:4]), int(timed_week[6:]), 1)
    weeks: list[str] = []
    while len(weeks) < repeat:
        monday -= dt.timedelta(days=7)
        if monday < start - dt.timedelta(days=start.weekday()):
            break
        year, number, _ = monday.isocalendar()
        if f"{year}-W{number:02d}" not in published:
            weeks.append(f"{year}-W{number:02d}")
    if not weeks:
        print(f"  publish a week: skipped (no unpublished week from {start} to {timed_week})", flush=True)
        return
    print(f"publishing WRITES indicator snapshots into the database: {', '.join(weeks)}, each once "
          "(a published week is frozen: publishing it again adds nothing, so each time is another week)"
          + (f"; only {len(weeks)} unpublished weeks before {timed_week}" if len(weeks) < repeat else ""),
          flush=True)
    queue, rows = list(weeks), []

    def publish_one() -> None:
        with app.app_context():
            publication = publish_week(db.session, engine_inputs(), queue.pop(0), now)
            db.session.commit()
            assert not publication.already_published, publication
            rows.append(publication.rows)
    try:
        _timed("publish a week", publish_one, len(weeks))
    except (TypeError, PublishError) as error:
        print(f"  publish a week: stopped ({type(error).__name__}: {error}); published: "
              f"{', '.join(weeks[:len(rows)]) or 'none'}", flush=True)
        return
    print(f"  publish a week stored: {', '.join(str(n) for n in rows)} values per week", flush=True)

if __name__ == "__main__":
    main()
