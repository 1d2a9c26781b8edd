"""What the row digests of the audit chain cost on the bulk paths (issue 10).

    python bench/evidence.py --visits 100000 [--postgres URL]

In one run, on a fresh migrated database per backend: the import of a synthetic log with
row digests (one audit record carrying the ordered digest of every visit and case) side by
side with the same import with row digests switched off (the baseline: the import before
issue 10); then a full sweep, the same sweep again (idempotent: no change, no record), and
``flask audit verify`` recomputing every row's digest.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"

CHILD = """
import json, sys, time, os
sys.path.insert(0, {root!r})
csv, url, digests = {csv!r}, {url!r}, {digests!r}
from flask_migrate import upgrade
from sqlalchemy import text
import pandas as pd
from monitor import create_app
from monitor.stores import evidence
from monitor.stores import findings as findings_store
from monitor.stores import visits as visit_store
from monitor.stores.catalog import store_catalog
from monitor.compliance import parse_visits, read_visit_file
from monitor.services.context import engine_inputs
from monitor.extensions import db
from services_catalog import BUNDLED_CATALOG, load_catalog
if not digests:  # the baseline: audit records without row digests, as before issue 10
    evidence.entries = lambda session, rows, only_changed=True: pd.DataFrame(columns=["entity", "row_id", "digest"])
app = create_app({{"DATABASE_URL": url, "SECRET_KEY": "bench", "APPLICANT_HASH_KEY": "bench"}})
out = {{}}
with app.app_context():
    if url.startswith("postgresql"):
        with db.engine.begin() as c:
            c.execute(text("DROP SCHEMA public CASCADE")); c.execute(text("CREATE SCHEMA public"))
    upgrade()
    store_catalog(db.session, load_catalog(BUNDLED_CATALOG)); db.session.commit()
    inputs = engine_inputs()
    parsed = parse_visits(read_visit_file(csv), inputs.frames, inputs.timezone)
    started = time.perf_counter()
    visit_store.import_visits(db.session, parsed.visits, hash_key="bench", source="import:bench",
                              frames=inputs.frames, calendar=inputs.calendar)
    db.session.commit()
    out["import"] = time.perf_counter() - started
    out["rows"] = len(parsed.visits)
    as_of = pd.Timestamp("2026-12-31", tz="UTC")
    for name in ("sweep", "sweep_again"):
        started = time.perf_counter()
        result = findings_store.sweep(db.session, inputs.frames, inputs.calendar, as_of, inputs.thresholds)
        db.session.commit()
        out[name] = time.perf_counter() - started
        out[name + "_added"] = result.added
    if digests:
        started = time.perf_counter()
        problems = evidence.verify_rows(db.session)
        out["verify"] = time.perf_counter() - started
        out["verify_problems"] = len(problems)
print(json.dumps(out))
"""


def run(csv: str, url: str, digests: bool) -> dict:
    code = CHILD.format(root=str(ROOT), csv=csv, url=url, digests=digests)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                            env={**os.environ, "PYTHONWARNINGS": "ignore"})
    if result.returncode:
        raise SystemExit(result.stderr[-3000:])
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--visits", type=int, default=100_000)
    parser.add_argument("--postgres", default=os.environ.get("BENCH_DATABASE_URL",
                                                             "postgresql+psycopg://postgres@127.0.0.1:5432/test"))
    arguments = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    csv = OUT / f"evidence-{arguments.visits}.csv"
    if not csv.exists():
        subprocess.run([sys.executable, str(ROOT / "bench" / "generate.py"), "--catalog",
                        "services_catalog/data", "--visits", str(arguments.visits), "--out", str(csv)],
                       check=True, cwd=ROOT)
    backends = {"SQLite": f"sqlite:///{OUT / 'evidence.sqlite3'}", "PostgreSQL": arguments.postgres}
    print("| backend | row digests | visits | import | sweep | same sweep again | audit verify (rows) |")
    print("|---|---|---|---|---|---|---|")
    for name, url in backends.items():
        for digests in (False, True):
            if url.startswith("sqlite"):
                Path(url[len("sqlite:///"):]).unlink(missing_ok=True)
            figures = run(str(csv), url, digests)
            verify = f"{figures['verify']:.2f} s ({figures['verify_problems']} problems)" if digests else "—"
            print(f"| {name} | {'on' if digests else 'off (baseline)'} | {figures['rows']:,} | "
                  f"{figures['import']:.2f} s | {figures['sweep']:.2f} s | {figures['sweep_again']:.2f} s "
                  f"({figures['sweep_again_added']} added) | {verify} |", flush=True)


if __name__ == "__main__":
    main()
