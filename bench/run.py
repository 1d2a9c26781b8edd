"""Benchmark of the engine and the import (issue: "Speed").

    python bench/run.py [--sizes 100000 1000000] [--postgres URL]

Prints, per size: the time pandas' default read_csv takes for the CSV (the issue's baseline)
and pandas reading it as text with pyarrow (the floor), `flask analyze`'s
work (read, validate, judge, indicators, write) in-process, the import rate into SQLite and
PostgreSQL, and the peak memory (RSS) of each step, each measured in a fresh process.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"


def child(step: str, csv: str, extra: str = "") -> dict:
    """Run one measured step in a fresh interpreter, so peak memory is the step's own."""
    code = f"""
import json, resource, sys, time
sys.path.insert(0, {str(ROOT)!r})
step, csv, extra = {step!r}, {csv!r}, {extra!r}
started = time.perf_counter()
if step == "read":
    import pandas as pd
    frame = pd.read_csv(csv, dtype=str, keep_default_na=False, engine="pyarrow")
    rows = len(frame)
elif step == "read_default":  # the issue's baseline: pandas' default read_csv of the same file
    import pandas as pd
    rows = len(pd.read_csv(csv))
elif step == "analyze":
    import pandas as pd
    from monitor.calendar import WorkingCalendar
    from monitor.compliance import CatalogFrames, judge, parse_visits
    from monitor.compliance.visit_files import read_visit_input
    from services_catalog import BUNDLED_CATALOG, load_catalog
    started = time.perf_counter()
    frames = CatalogFrames.from_catalog(load_catalog(BUNDLED_CATALOG))
    parsed = parse_visits(read_visit_input(csv).rows, frames, "Asia/Almaty")
    analysis = judge(parsed.visits, frames, WorkingCalendar(), pd.Timestamp("2026-12-31", tz="UTC"))
    analysis.finding_table().to_csv(extra + ".findings.csv", index=False)
    analysis.indicators("Asia/Almaty").to_csv(extra + ".indicators.csv", index=False)
    rows = len(parsed.visits)
elif step == "import":
    import os
    os.environ["DATABASE_URL"] = extra
    from flask_migrate import upgrade
    from monitor import create_app
    from monitor.stores.catalog import store_catalog
    from monitor.services.context import engine_inputs
    from monitor.compliance import parse_visits, read_visit_file
    from monitor.extensions import db
    from monitor.stores import visits as visit_store
    from services_catalog import BUNDLED_CATALOG, load_catalog
    from sqlalchemy import text
    app = create_app({{"DATABASE_URL": extra, "SECRET_KEY": "bench", "APPLICANT_HASH_KEY": "bench"}})
    with app.app_context():
        if extra.startswith("postgresql"):
            with db.engine.begin() as c:
                c.execute(text("DROP SCHEMA public CASCADE")); c.execute(text("CREATE SCHEMA public"))
        upgrade()
        store_catalog(db.session, load_catalog(BUNDLED_CATALOG)); db.session.commit()
        inputs = engine_inputs()
        parsed = parse_visits(read_visit_file(csv), inputs.frames, inputs.timezone)
        started = time.perf_counter()
        visit_store.import_visits(db.session, parsed.visits, hash_key="bench", source="bench",
                                  frames=inputs.frames, calendar=inputs.calendar)
        db.session.commit()
        rows = len(parsed.visits)
seconds = time.perf_counter() - started
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({{"rows": rows, "seconds": seconds, "peak_mib": peak}}))
"""
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                            env={**os.environ, "PYTHONWARNINGS": "ignore"})
    if result.returncode:
        raise SystemExit(f"{step} failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", type=int, default=[100_000, 1_200_000])
    parser.add_argument("--postgres", default=os.environ.get("BENCH_DATABASE_URL",
                                                             "postgresql+psycopg://postgres@127.0.0.1:5432/test"))
    parser.add_argument("--import-size", type=int, default=200_000,
                        help="rows imported into each database (the import rate is per row)")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    for size in args.sizes:
        csv = OUT / f"visits-{size}.csv"
        if not csv.exists():
            subprocess.run([sys.executable, str(ROOT / "bench" / "generate.py"), "--visits", str(size),
                            "--out", str(csv)], check=True)
        default = child("read_default", str(csv))
        read = child("read", str(csv))
        analyze = child("analyze", str(csv), str(OUT / f"result-{size}"))
        print(f"{read['rows']:>9,} visits  pandas read_csv {default['seconds']:.2f} s (pyarrow, text: "
              f"{read['seconds']:.2f} s)  analyze {analyze['seconds']:.2f} s "
              f"({analyze['seconds'] / default['seconds']:.1f}x the default read)  "
              f"peak {analyze['peak_mib']:.0f} MiB  [load {os.getloadavg()[0]:.1f}]")
    csv = OUT / f"visits-{args.import_size}.csv"
    if not csv.exists():
        subprocess.run([sys.executable, str(ROOT / "bench" / "generate.py"), "--visits",
                        str(args.import_size), "--out", str(csv)], check=True)
    with tempfile.TemporaryDirectory() as folder:
        for name, url in (("SQLite", f"sqlite:///{folder}/bench.sqlite3"), ("PostgreSQL", args.postgres)):
            try:
                result = child("import", str(csv), url)
            except SystemExit as error:
                print(f"import into {name}: skipped ({str(error).splitlines()[-1]})")
                continue
            print(f"import into {name:<10} {result['rows']:,} visits in {result['seconds']:.2f} s = "
                  f"{result['rows'] / result['seconds']:,.0f} visits/s  peak {result['peak_mib']:.0f} MiB")


if __name__ == "__main__":
    main()
