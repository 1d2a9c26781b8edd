"""A ``flask`` command that changes a filled database (the nightly sweep job, a calendar override),
tree against tree: wall time, CPU and the process's peak memory, each run on a fresh copy.

    python bench/command_on_copy.py --database sqlite:////tmp/bench/1m.sqlite3 \\
        --tree /work/main --tree /work/base --repeat 2 -- jobs run sweep --now 2026-12-08T02:00
    python bench/command_on_copy.py --database postgresql+psycopg://postgres@127.0.0.1:5432/bench1m \\
        --tree /work/main --tree /work/base -- calendar override 2026-11-27 --off --reason decree

Each run copies the database first (SQLite: the file; PostgreSQL: ``CREATE DATABASE ... TEMPLATE``),
so every tree sweeps the same rows, and the copy is removed afterwards. Runs alternate between
the trees. The command's last line of output is printed with each run (the sweep job's says how
many visits and cases it judged).
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
        folder = Path(tempfile.mkdtemp(prefix="on-copy-"))
        copy = folder / "copy.sqlite3"
        shutil.copyfile(parsed.database, copy)
        try:
            yield f"sqlite:///{copy}"
        finally:
            shutil.rmtree(folder)
        return
    name = f"on_copy_{uuid.uuid4().hex[:8]}"
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{parsed.database}"'))
    try:
        yield parsed.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def run_command(tree: Path, url: str, command: list[str]) -> dict:
    environment = {**os.environ, "DATABASE_URL": url, "PYTHONPATH": str(tree),
                   "SECRET_KEY": os.environ.get("SECRET_KEY", "bench"),
                   "APPLICANT_HASH_KEY": os.environ.get("APPLICANT_HASH_KEY", "bench")}
    done = subprocess.run(["/usr/bin/time", "-f", "TIME %e %U %S %M", sys.executable, "-m", "flask",  # nosec B603
                           "--app", "wsgi", *command],
                          cwd=tree, env=environment, capture_output=True, text=True, check=True)
    wall, user, system, peak = done.stderr.rsplit("TIME ", 1)[1].split()
    lines = done.stdout.strip().splitlines()
    message = lines[-1] if lines else ""
    return {"wall": float(wall), "cpu": float(user) + float(system), "peak_mib": int(peak) / 1024,
            "message": message}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", required=True, help="the filled database (left as it is)")
    parser.add_argument("--tree", type=Path, action="append", help="a source tree (repeatable)")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("command", nargs="+", help="the flask command and its arguments, after --")
    args = parser.parse_args()
    trees = args.tree or [ROOT]
    results: dict[Path, list[dict]] = {tree: [] for tree in trees}
    for _ in range(args.repeat):
        for tree in trees:
            with scratch_copy(args.database) as url:
                results[tree].append(run_command(tree.resolve(), url, args.command))
            run = results[tree][-1]
            print(f"{tree}: {run['wall']:.1f} s wall, {run['cpu']:.1f} s CPU, peak {run['peak_mib']:,.0f} MiB; "
                  f"{run['message']}", flush=True)
    print("\ntree | wall (median) | CPU (median) | peak")
    for tree, runs in results.items():
        print(f"{tree} | {statistics.median(r['wall'] for r in runs):.1f} s | "
              f"{statistics.median(r['cpu'] for r in runs):.1f} s | {max(r['peak_mib'] for r in runs):,.0f} MiB")


if __name__ == "__main__":
    main()
