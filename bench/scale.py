"""Scale benchmark of the reads: report, exports and publishing per request, before and after.

    python bench/scale.py --visits 500000 --days 364 [--backend sqlite postgresql] [--repeat 5]

Generates stored visits (bench/generate's synthetic log, 40 offices), imports and sweeps them
into a fresh SQLite file and/or PostgreSQL database, publishes every complete week but the
last two, then times per request, in the same process and the same run:

- **before**: the code of commit cb5740c (monitor/reports.py, monitor/publishing.py read from
  git), which judges every stored visit per request;
- **after**: this tree's reports/publishing (week_store: the shown weeks' rows only).

Requests: the supervisor's weekly report (network; one office), its CSV and XLSX export,
computing one week's publication (publish_week, rolled back), and a citizens' service page
(200 and a conditional 304, Flask test client, in-process). Wall and CPU time of the process
are both given: the machine is shared, so CPU time is the steadier figure. Peak memory per
request is the tracemalloc peak (Python and numpy allocations; Arrow buffers are not counted).
"""
from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import os
import statistics
import sys
import time
import tracemalloc
import types
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from baseline import module_at  # noqa: E402  (bench/, the script's own folder)

OUT = ROOT / "bench" / "out"
BEFORE = "cb5740c"


def old_module(name: str) -> types.ModuleType:
    """monitor/<name>.py as of BEFORE, importable next to today's modules."""
    # Its imports name the modules where they were then (before the move into stores/, services/).
    return module_at(BEFORE, f"monitor/{name}.py", "monitor", (
        ("from .context import", "from .services.context import"),
        ("from .findings_store import", "from .stores.findings import")))


def measure(function, repeat: int) -> dict:
    times, cpu, peaks = [], [], []
    for _ in range(repeat):
        tracemalloc.start()
        started, started_cpu = time.perf_counter(), time.process_time()
        function()
        times.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
        peaks.append(tracemalloc.get_traced_memory()[1] / 2**20)
        tracemalloc.stop()
    times.sort()
    cpu.sort()

    def p95(values):
        return values[min(len(values) - 1, int(round(0.95 * (len(values) - 1))))]
    return {"runs": repeat, "median_s": statistics.median(times), "p95_s": p95(times),
            "cpu_median_s": statistics.median(cpu), "cpu_p95_s": p95(cpu), "peak_mib": max(peaks)}


def setup(url: str, csv: Path) -> dict:
    from flask_migrate import upgrade
    from sqlalchemy import func, select, text

    from monitor import create_app
    from monitor.compliance import parse_visits, read_visit_file
    from monitor.compliance.indicators import week_label, week_of_label
    from monitor.extensions import db
    from monitor.models import Visit
    from monitor.services import publishing
    from monitor.services.context import engine_inputs
    from monitor.stores import findings as findings_store, visits as visit_store
    from monitor.stores.catalog import store_catalog
    from services_catalog import BUNDLED_CATALOG, load_catalog

    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "APPLICANT_HASH_KEY": "bench"})
    facts = {}
    with app.app_context():
        if url.startswith("postgresql"):
            with db.engine.begin() as connection:
                connection.execute(text("DROP SCHEMA public CASCADE"))
                connection.execute(text("CREATE SCHEMA public"))
        upgrade()
        store_catalog(db.session, load_catalog(BUNDLED_CATALOG))
        db.session.commit()
        inputs = engine_inputs()
        parsed = parse_visits(read_visit_file(str(csv)), inputs.frames, inputs.timezone)
        started = time.perf_counter()
        visit_store.import_visits(db.session, parsed.visits, hash_key="bench", source="bench",
                                  frames=inputs.frames, calendar=inputs.calendar)
        db.session.commit()
        facts["import_s"] = time.perf_counter() - started
        started = time.perf_counter()
        findings_store.sweep(db.session, inputs.frames, inputs.calendar,
                             dt.datetime(2030, 1, 1, tzinfo=dt.UTC), inputs.thresholds)
        db.session.commit()
        facts["sweep_s"] = time.perf_counter() - started
        first, last = db.session.execute(select(func.min(Visit.week), func.max(Visit.week))).one()
        started = time.perf_counter()
        # The report's trend window is published but for its last two weeks, which stay open.
        for week in range(max(first, last - 13), last - 1):
            publishing.publish_week(db.session, inputs, week_label(week), dt.datetime.now(dt.UTC))
        db.session.commit()
        facts["publish_all_s"] = time.perf_counter() - started
        facts["weeks"] = int(last - first + 1)
        facts["visits"] = db.session.scalar(select(func.count()).select_from(Visit))
        facts["week"] = week_label(last - 1)  # an open week, the one a supervisor asks for on Monday
        assert week_of_label(facts["week"]) == last - 1
    return facts


def run(url: str, facts: dict, repeat: int, before_repeat: int, before_names=None) -> dict:
    import pandas as pd
    from sqlalchemy import select

    from monitor import create_app
    from monitor.extensions import db
    from monitor.models import Service
    from monitor.services import publishing, reports
    from monitor.services.context import engine_inputs

    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "APPLICANT_HASH_KEY": "bench"})
    results = {}
    with app.app_context():
        old_reports, old_publishing = old_module("reports"), old_module("publishing")
        inputs = engine_inputs()
        week = facts["week"]
        office = "OF-001"

        def csv_of(report):
            tables = reports.report_tables(report)
            pd.concat([t.assign(sheet=n) for n, t in tables.items()], ignore_index=True).to_csv(index=False)

        def xlsx_of(report):
            with pd.ExcelWriter(io.BytesIO(), engine="openpyxl") as writer:
                for name, table in reports.report_tables(report).items():
                    table.to_excel(writer, sheet_name=name, index=False)

        def publish(module):
            def work():
                module.week_indicators(db.session, inputs, week)
                db.session.rollback()
            return work

        after = {
            "report, network": lambda: reports.weekly_report(db.session, inputs, week, None),
            "report, one office": lambda: reports.weekly_report(db.session, inputs, week, [office]),
            "CSV export": lambda: csv_of(reports.weekly_report(db.session, inputs, week, None)),
            "XLSX export": lambda: xlsx_of(reports.weekly_report(db.session, inputs, week, None)),
            "publish one week": publish(publishing),
        }
        old_complaints = old_publishing.complaints_frame
        before = {
            "report, network": lambda: old_reports.weekly_report(db.session, inputs, week, None, 20,
                                                                 old_complaints(db.session)),
            "report, one office": lambda: old_reports.weekly_report(db.session, inputs, week, [office], 20,
                                                                    old_complaints(db.session)),
            "CSV export": lambda: csv_of(old_reports.weekly_report(db.session, inputs, week, None, 20,
                                                                   old_complaints(db.session))),
            "XLSX export": lambda: xlsx_of(old_reports.weekly_report(db.session, inputs, week, None, 20,
                                                                     old_complaints(db.session))),
            "publish one week": publish(old_publishing),
        }
        for name, function in after.items():
            function()  # warm: catalog frames cached, as in a running worker
            results[name] = {"after": measure(function, repeat)}
            if before_repeat and (before_names is None or name in before_names):
                results[name]["before"] = measure(before[name], before_repeat)
            print(name, json.dumps(results[name]), file=sys.stderr, flush=True)

        # Equality on this data: the new report's office table = the old one's.
        new = reports.weekly_report(db.session, inputs, week, None).by_scope["office"].set_index("office")
        if before_repeat:
            old = old_reports.weekly_report(db.session, inputs, week, None, 20, old_complaints(db.session)) \
                .by_scope["office"].set_index("office")
            numeric = [c for c in new.columns if c not in ("week",)]
            results["same numbers as before"] = bool(
                ((new[numeric] - old[numeric].reindex(new.index)).abs().fillna(0) < 1e-9).all().all()
                and (new[numeric].isna() == old[numeric].reindex(new.index).isna()).all().all())

        code = db.session.scalar(select(Service.code).limit(1))
        client = app.test_client()
        page = client.get(f"/services/{code}")
        tag = page.headers["ETag"]
        results["service page 200"] = {"after": measure(lambda: client.get(f"/services/{code}"), 200)}
        results["service page 304"] = {"after": measure(
            lambda: client.get(f"/services/{code}", headers={"If-None-Match": tag}), 200)}
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--visits", type=int, default=500_000)
    parser.add_argument("--days", type=int, default=364)
    parser.add_argument("--backend", nargs="+", default=["sqlite", "postgresql"])
    parser.add_argument("--postgres", default=os.environ.get(
        "BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/bench_scale"))
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--before-repeat", type=int, default=2, help="0: skip the old code")
    parser.add_argument("--before", nargs="*", default=None,
                        help="requests to time with the old code too (default: all)")
    parser.add_argument("--reuse", action="store_true",
                        help="keep a database set up by an earlier run (its facts file next to it)")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    csv = OUT / f"scale-{args.visits}-{args.days}.csv"
    if not csv.exists():
        from monitor.tools.synthetic import generate_visits
        from services_catalog import BUNDLED_CATALOG, load_catalog
        frame = generate_visits(load_catalog(BUNDLED_CATALOG), visits=args.visits, start=dt.date(2025, 1, 6),
                                days=args.days, offices=[f"OF-{n:03d}" for n in range(1, 41)], seed=11)
        frame.to_csv(csv, index=False)
    report = {}
    for backend in args.backend:
        facts_file = OUT / f"scale-{args.visits}-{backend}.facts.json"
        if backend == "sqlite":
            path = OUT / f"scale-{args.visits}.sqlite3"
            url = f"sqlite:///{path}"
            if not args.reuse:
                for suffix in ("", "-wal", "-shm"):
                    Path(f"{path}{suffix}").unlink(missing_ok=True)
        else:
            url = args.postgres
            if not args.reuse:
                _create_postgres_database(url)
        if args.reuse and facts_file.exists():
            facts = json.loads(facts_file.read_text())
        else:
            facts = setup(url, csv)
            facts_file.write_text(json.dumps(facts))
        print(backend, json.dumps(facts), file=sys.stderr, flush=True)
        report[backend] = {"facts": facts, "requests": run(url, facts, args.repeat, args.before_repeat,
                                                           args.before)}
    print(json.dumps(report, indent=2))


def _create_postgres_database(url: str) -> None:
    from sqlalchemy import create_engine, make_url, text
    target = make_url(url)
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        if not connection.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"),
                                  {"n": target.database}).scalar():
            connection.execute(text(f'CREATE DATABASE "{target.database}"'))
    admin.dispose()


if __name__ == "__main__":
    main()
