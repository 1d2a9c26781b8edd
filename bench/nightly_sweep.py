"""The nightly sweep job (``flask jobs run sweep``) on a filled database, tree against tree:
wall time, CPU and the process's peak memory, each run on a fresh copy of the database.

    python bench/nightly_sweep.py --database sqlite:////tmp/bench/1m.sqlite3 --now 2026-12-20T02:00 \\
        --tree /work/main --tree /work/base --repeat 2
    python bench/nightly_sweep.py --database postgresql+psycopg://postgres@127.0.0.1:5432/bench1m ...

Each run copies the database first (SQLite: the file; PostgreSQL: ``CREATE DATABASE ... TEMPLATE``),
so every tree sweeps the same rows, and the copy is removed afterwards. Runs alternate between
the trees. The job's own message says how many visits and cases it judged.
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess  # nosec B404 - our own interpreter and /usr/bin/time, no shell
import sys
import tempfile
import uuid
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, make_url, text

ROOT = Path(__file__).resolve().parent.parent


@contextmanager
def scratch_copy(url: str):
    """A throwaway copy of the database at ``url``; its URL."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        folder = Path(tempfile.mkdtemp(prefix="nightly-"))
        copy = folder / "copy.sqlite3"
        shutil.copyfile(parsed.database, copy)
        try:
            yield f"sqlite:///{copy}"
        finally:
            shutil.rmtree(folder)
        return
    name = f"nightly_{uuid.uuid4().hex[:8]}"
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{parsed.database}"'))
    try:
        yield parsed.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def run_job(tree: Path, url: str, now: str) -> dict:
    environment = {**os.environ, "DATABASE_URL": url, "PYTHONPATH": str(tree),
                   "SECRET_KEY": os.environ.get("SECRET_KEY", "bench"),
                   "APPLICANT_HASH_KEY": os.environ.get("APPLICANT_HASH_KEY", "bench")}
    done = subprocess.run(["/usr/bin/time", "-f", "TIME %e %U %S %M", sys.executable, "-m", "flask",  # nosec B603
                           "--app", "wsgi", "jobs", "run", "sweep", "--now", now],
                          cwd=tree, env=environment, capture_output=True, text=True, check=True)
    wall, user, system, peak = done.stderr.rsplit("TIME ", 1)[1].split()
    message = next(line for line in done.stdout.splitlines() if line.startswith("sweep:"))
    return {"wall": float(wall), "cpu": float(user) + float(system), "peak_mib": int(peak) / 1024,
            "message": message}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", required=True, help="the filled database (left as it is)")
    parser.add_argument("--now", required=True, help="the job's clock (ISO 8601)")
    parser.add_argument("--tree", type=Path, action="append", help="a source tree (repeatable)")
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    trees = args.tree or [ROOT]
    results: dict[Path, list[dict]] = {tree: [] for tree in trees}
    for _ in range(args.repeat):
        for tree in trees:
            with scratch_copy(args.database) as url:
                results[tree].append(run_job(tree.resolve(), url, args.now))
            run = results[tree][-1]
            print(f"{tree}: {run['wall']:.1f} s wall, {run['cpu']:.1f} s CPU, peak {run['peak_mib']:,.0f} MiB; "
                  f"{run['message']}", flush=True)
    print("\ntree | wall (median) | CPU (median) | peak")
    for tree, runs in results.items():
        print(f"{tree} | {statistics.median(r['wall'] for r in runs):.1f} s | "
              f"{statistics.median(r['cpu'] for r in runs):.1f} s | {max(r['peak_mib'] for r in runs):,.0f} MiB")


if __name__ == "__main__":
    main()
