"""`flask analyze` of a large log against pandas' `read_csv` of the same file, today's code side by
side with a git revision in the same run (issue 21: "Analyze close to the read").

    python bench/analyze_speed.py --baseline HEAD~1 --visits 1200000

Each step runs in a fresh process, one after the other: the two yardsticks, pandas' default
`read_csv(path)` (C engine, types inferred: the issue's own words) and `read_csv(path,
engine="pyarrow", dtype=str)` (Arrow's multi-threaded reader, every cell as text: what analyze
itself reads with), then each tree's `flask analyze --catalog services_catalog/data --visits FILE
--findings OUT` (start-up included, as a user runs it). Printed: seconds, the ratio to each
`read_csv` (target: at most 10), CPU seconds and peak RSS (target: under 1.5 GiB), and whether
both trees wrote the same findings.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess  # nosec B404 - git, flask of our own trees, no shell
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
from import_speed import MEASURED, environment  # noqa: E402
from pages import export  # noqa: E402

OUT = ROOT / "bench" / "out"
READ_CSV = """
import json, resource, sys, time
import pandas as pd
options = {"pyarrow": {"engine": "pyarrow", "dtype": str}, "default": {}}[sys.argv[2]]
started, cpu = time.perf_counter(), time.process_time()
rows = len(pd.read_csv(sys.argv[1], **options))
usage = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({"rows": rows, "seconds": time.perf_counter() - started, "cpu": time.process_time() - cpu,
                  "peak_mib": usage.ru_maxrss / 1024}))
"""

# The yardsticks, as the printed lines name them.
YARDSTICKS = {"default": "path", "pyarrow": 'path, engine="pyarrow", dtype=str'}


def log_file(visits: int) -> Path:
    path = OUT / f"visits-{visits}.csv"
    if not path.exists():
        subprocess.run([sys.executable, str(ROOT / "bench" / "generate.py"), "--visits", str(visits),  # nosec B603
                        "--out", str(path)], check=True)
    return path


def read_csv(csv: Path, yardstick: str) -> dict:
    """pandas' ``read_csv`` of the file in a fresh process: rows, seconds, CPU seconds, peak MiB."""
    result = subprocess.run([sys.executable, "-c", READ_CSV, str(csv), yardstick],  # nosec B603
                            capture_output=True, text=True, check=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def analyze(tree: Path, csv: Path, findings: Path, as_of: str) -> dict:
    """The tree's `flask analyze` in a fresh process (no database is created or read)."""
    with tempfile.TemporaryDirectory(prefix="bench-analyze-") as instance:
        env = {**environment(f"sqlite:///{instance}/unused.sqlite3"), "MONITOR_INSTANCE_PATH": instance}
        if "flask.commands" not in (tree / "setup.cfg").read_text():
            env["BENCH_APP_COMMANDS_ONLY"] = "1"
        result = subprocess.run([sys.executable, "-c", MEASURED, "analyze", "--catalog",  # nosec B603
                                 str(ROOT / "services_catalog" / "data"), "--visits", str(csv), "--as-of", as_of,
                                 "--findings", str(findings)], cwd=tree, env=env, capture_output=True, text=True)
    lines = result.stderr.strip().splitlines()
    if result.returncode or not lines or not lines[-1].startswith("{"):
        raise SystemExit(f"analyze in {tree} failed:\n{result.stderr[-3000:]}")
    return json.loads(lines[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", help="git revision to compare with (e.g. HEAD~1); none: today only")
    parser.add_argument("--visits", type=int, default=1_200_000)
    parser.add_argument("--as-of", default="2026-12-31T00:00:00+05:00", help="the same moment for every tree")
    args = parser.parse_args()
    csv = log_file(args.visits)
    reads = {}
    for yardstick, words in YARDSTICKS.items():
        reads[yardstick] = read = read_csv(csv, yardstick)
        print(f"{read['rows']:,} visits; pandas read_csv({words}) {read['seconds']:.2f} s "
              f"(CPU {read['cpu']:.2f} s), peak {read['peak_mib']:,.0f} MiB [load {os.getloadavg()[0]:.1f}]",
              flush=True)
    with tempfile.TemporaryDirectory(prefix="bench-analyze-trees-") as temporary:
        work = Path(temporary)
        trees = [("today", ROOT)]
        if args.baseline:
            trees.insert(0, (f"baseline {args.baseline}", export(args.baseline, work)))
        written = {}
        for name, tree in trees:
            findings = work / f"findings-{len(written)}.csv"
            result = analyze(tree, csv, findings, args.as_of)
            written[name] = hashlib.sha256(findings.read_bytes()).hexdigest()
            ratios = "  ".join(f"{result['seconds'] / read['seconds']:5.1f}x {yardstick} "
                               f"(CPU {result['cpu'] / read['cpu']:.1f}x)" for yardstick, read in reads.items())
            print(f"  {name:<22} {result['seconds']:7.1f} s (CPU {result['cpu']:.1f} s) = {ratios}  "
                  f"peak {result['peak_mib']:,.0f} MiB", flush=True)
        if len(written) > 1:
            print(f"same findings file: {'yes' if len(set(written.values())) == 1 else 'NO'}")


if __name__ == "__main__":
    main()
