"""`flask visits import` into a database that already holds visits, today's code side by side
with a git revision in the same run (issue 21: "Import at disk speed").

    python bench/import_speed.py --baseline HEAD~1 --stored 1000000 --visits 500000 \
        [--backend sqlite postgresql] [--postgres URL]

Generates two synthetic logs (bench/generate's generator, 40 offices): ``--stored`` visits
imported once into a seed database (SQLite file; PostgreSQL database ``<name>_seed``), and
``--visits`` new visits with ids of their own whose applicants partly have stored cases (so the
re-check after the import reads stored cases too). Each tree then imports the new file with its
own `flask visits import`, in a fresh process, into its own copy of the seed (one after the
other, never at once). Printed per tree: wall seconds, visits/s (wall and CPU, the steadier
figure on a shared machine), peak RSS, and the findings the import's re-check left.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess  # nosec B404 - git, flask of our own trees, no shell
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT))
from pages import export  # noqa: E402

OUT = ROOT / "bench" / "out"
# Runs the tree's own CLI in this process, then says what it cost (a child's own peak memory).
MEASURED = """
import json, os, resource, runpy, sys, time
if os.environ.get("BENCH_APP_COMMANDS_ONLY"):  # a tree older than the plugin: its own app command, not
    import flask.cli                            # the plugin this venv's editable install registers
    flask.cli.FlaskGroup._load_plugin_commands = lambda self: None
sys.argv = ["flask", "--app", "wsgi", *sys.argv[1:]]
started, cpu = time.perf_counter(), time.process_time()
code = 0
try:
    runpy.run_module("flask", run_name="__main__")
except SystemExit as done:
    code = done.code or 0
usage = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({"code": code, "seconds": time.perf_counter() - started,
                  "cpu": usage.ru_utime + usage.ru_stime, "peak_mib": usage.ru_maxrss / 1024}), file=sys.stderr)
"""


def synthetic(path: Path, visits: int, prefix: str, seed: int) -> Path:
    """A log of the bundled catalog, ids prefixed; applicants as the generator names them."""
    if path.exists():
        return path
    import datetime as dt

    from monitor.tools.synthetic import generate_visits
    from services_catalog import BUNDLED_CATALOG, load_catalog

    frame = generate_visits(load_catalog(BUNDLED_CATALOG), visits=visits, start=dt.date(2026, 1, 5), days=180,
                            offices=[f"OF-{n:03d}" for n in range(1, 41)], seed=seed)
    frame["visit_id"] = prefix + frame["visit_id"]
    frame["case_id"] = frame["case_id"].where(frame["case_id"] == "", prefix + frame["case_id"])
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, index=False)
    return path


def environment(url: str) -> dict:
    return {**os.environ, "DATABASE_URL": url, "SECRET_KEY": "bench", "APPLICANT_HASH_KEY": "bench",
            "LOG_FORMAT": "off", "PYTHONWARNINGS": "ignore"}


def flask(tree: Path, url: str, *arguments: str) -> dict:
    """The tree's `flask` command, measured; fails loudly with the command's last words."""
    result = subprocess.run([sys.executable, "-c", MEASURED, *arguments], cwd=tree,  # nosec B603
                            env=environment(url), capture_output=True, text=True)
    lines = result.stderr.strip().splitlines()
    measured = json.loads(lines[-1]) if lines and lines[-1].startswith("{") else {"code": result.returncode}
    if result.returncode or measured.get("code"):
        raise SystemExit(f"flask {' '.join(arguments)} in {tree} failed:\n{result.stdout[-1500:]}\n"
                         f"{result.stderr[-3000:]}")
    measured["output"] = result.stdout.strip().splitlines()[-1:]
    return measured


def postgres_admin(url: str, *statements: str) -> None:
    import psycopg

    plain = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain, autocommit=True) as connection:
        for statement in statements:
            connection.execute(statement)


def with_database(url: str, name: str) -> str:
    head, _, _ = url.rpartition("/")
    return f"{head}/{name}"


def seed(backend: str, work: Path, stored_csv: Path, postgres: str) -> str:
    """A database holding the stored visits, judged, made by today's tree (once per run)."""
    if backend == "sqlite":
        url = f"sqlite:///{work / 'seed.sqlite3'}"
    else:
        postgres_admin(postgres, "DROP DATABASE IF EXISTS bench_import_seed", "CREATE DATABASE bench_import_seed")
        url = with_database(postgres, "bench_import_seed")
    for arguments in (["db", "upgrade"], ["catalog", "load"], ["visits", "import", str(stored_csv)]):
        flask(ROOT, url, *arguments)
    if backend != "sqlite":
        # A database at rest has been analyzed by autovacuum; whether it had run by the time of
        # the copy once decided the import's time on PostgreSQL (44 s or 21 s, same tree).
        postgres_admin(url, "VACUUM ANALYZE")
    return url


def copy_of(backend: str, seed_url: str, work: Path, name: str, postgres: str) -> str:
    if backend == "sqlite":
        target = work / f"{name}.sqlite3"
        shutil.copy(seed_url.removeprefix("sqlite:///"), target)
        return f"sqlite:///{target}"
    database = f"bench_import_{name}"
    postgres_admin(postgres, f"DROP DATABASE IF EXISTS {database}",
                   f"CREATE DATABASE {database} TEMPLATE bench_import_seed")
    return with_database(postgres, database)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", help="git revision to compare with (e.g. HEAD~1); none: today only")
    parser.add_argument("--stored", type=int, default=1_000_000, help="visits in the database before the import")
    parser.add_argument("--visits", type=int, default=500_000, help="visits imported")
    parser.add_argument("--backend", nargs="+", choices=("sqlite", "postgresql"), default=["sqlite", "postgresql"])
    parser.add_argument("--postgres", default=os.environ.get("BENCH_DATABASE_URL",
                                                             "postgresql+psycopg://postgres@127.0.0.1:5432/test"))
    args = parser.parse_args()
    stored_csv = synthetic(OUT / f"import-stored-{args.stored}.csv", args.stored, "S-", seed=7)
    new_csv = synthetic(OUT / f"import-new-{args.visits}.csv", args.visits, "N-", seed=11)
    with new_csv.open("rb") as stream:
        rows = sum(1 for _ in stream) - 1  # the generator writes about as many visits as asked
    with tempfile.TemporaryDirectory(prefix="bench-import-") as temporary:
        work = Path(temporary)
        trees = [("today", ROOT)]
        if args.baseline:
            trees.insert(0, (f"baseline {args.baseline}", export(args.baseline, work)))
        for backend in args.backend:
            started = time.perf_counter()
            seed_url = seed(backend, work, stored_csv, args.postgres)
            print(f"{backend}: {args.stored:,} visits stored in the seed ({time.perf_counter() - started:.0f} s); "
                  f"importing {rows:,} new visits [load {os.getloadavg()[0]:.1f}]", flush=True)
            for number, (name, tree) in enumerate(trees):
                url = copy_of(backend, seed_url, work, f"run{number}", args.postgres)
                result = flask(tree, url, "visits", "import", str(new_csv))
                print(f"  {name:<22} {result['seconds']:8.1f} s  {rows / result['seconds']:>9,.0f} visits/s "
                      f"(CPU {result['cpu']:.1f} s: {rows / result['cpu']:>9,.0f} visits/s)  "
                      f"peak {result['peak_mib']:,.0f} MiB  {' '.join(result['output'])[:90]}", flush=True)
                if backend == "postgresql":
                    postgres_admin(args.postgres, f"DROP DATABASE IF EXISTS bench_import_run{number}")
            if backend == "postgresql":
                postgres_admin(args.postgres, "DROP DATABASE IF EXISTS bench_import_seed")


if __name__ == "__main__":
    main()
