"""Benchmark of the partitioned engine (issue 15, "Speed"): time per visit at 2 M and 20 M.

    python bench/generate.py --visits 2000000 --parts 2 --days 360 --out bench/out/2m
    python bench/dask_scale.py --base bench/out/2m --copies 10 --sizes 2m 20m

``--copies N`` builds bench/out/<N*base>m from the base folder: N copies of its files whose
visit, case and applicant ids carry the copy's number (so every copy adds new applicants and
cases; generating 20 M from scratch takes about an hour on the shared 2-core machine). Each
size then runs in a fresh process with a fresh LocalCluster like `flask analyze --engine dask`
starts (2 worker processes, 1 thread and 2 GiB each): read the CSV blocks, validate, shuffle,
judge, write the findings and network indicators CSVs. Printed per size: wall time, time per
visit, each worker's peak RSS, the client's peak RSS, partitions; and, in the same run, the
single-process engine and pandas' default `read_csv` on the base's first file.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def make_copies(base: Path, copies: int, out: Path) -> None:
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pacsv

    out.mkdir(parents=True, exist_ok=True)
    files = sorted(base.glob("*.csv"))
    strings = pacsv.ConvertOptions(column_types={}, strings_can_be_null=False)
    for copy in range(copies):
        for file in files:
            target = out / f"copy{copy:02d}-{file.name}"
            if target.exists():
                continue
            table = pacsv.read_csv(file, convert_options=strings)
            table = table.cast(pa.schema([(name, pa.string()) for name in table.column_names]))
            prefix = f"R{copy:02d}-"
            for name in ("visit_id", "case_id", "applicant_ref"):
                column = table[name]
                joined = pc.binary_join_element_wise(prefix, column, "")
                value = pc.if_else(pc.equal(column, ""), column, joined)
                table = table.set_column(table.column_names.index(name), name, value)
            pacsv.write_csv(table, target, pacsv.WriteOptions(quoting_style="needed"))
            print(f"  wrote {target}", flush=True)


CHILD = r"""
import json, resource, sys, time, tempfile
sys.path.insert(0, ROOT)
import pandas as pd
from monitor.calendar import WorkingCalendar
from monitor.compliance import CatalogFrames
from monitor.compliance.partitioned import analyze_partitioned, dask_client
from services_catalog import BUNDLED_CATALOG, load_catalog

def peak():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

frames = CatalogFrames.from_catalog(load_catalog(BUNDLED_CATALOG))
with dask_client(workers=2, memory_limit="2GiB") as client, tempfile.TemporaryDirectory() as out:
    client.run(lambda: None)
    started = time.perf_counter()
    result = analyze_partitioned(client, FOLDER, frames, WorkingCalendar(), pd.Timestamp("2027-01-31", tz="UTC"))
    result.findings.to_csv(out + "/f.csv", index=False)
    result.indicators[None].to_csv(out + "/i.csv", index=False)
    seconds = time.perf_counter() - started
    workers = sorted(client.run(peak).values())
print(json.dumps({"visits": result.visits, "seconds": seconds, "workers_mib": workers,
                  "client_mib": peak(), "partitions": result.partitions, "findings": len(result.findings)}))
"""

BASELINE = r"""
import json, resource, sys, time
sys.path.insert(0, ROOT)
step = STEP
started = time.perf_counter()
if step == "read_csv":
    import pandas as pd
    rows = len(pd.read_csv(FILE))
else:
    import pandas as pd
    from monitor.calendar import WorkingCalendar
    from monitor.compliance import CatalogFrames, judge, parse_visits
    from monitor.compliance.visit_files import read_visit_input
    from services_catalog import BUNDLED_CATALOG, load_catalog
    frames = CatalogFrames.from_catalog(load_catalog(BUNDLED_CATALOG))
    parsed = parse_visits(read_visit_input(FILE).rows, frames, "Etc/GMT-5")
    analysis = judge(parsed.visits, frames, WorkingCalendar(), pd.Timestamp("2027-01-31", tz="UTC"))
    analysis.finding_table().to_csv("/dev/null", index=False)
    analysis.indicators("Etc/GMT-5").to_csv("/dev/null", index=False)
    rows = len(analysis.visits)
print(json.dumps({"rows": rows, "seconds": time.perf_counter() - started,
                  "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def run(code: str, **values) -> dict:
    for name, value in values.items():
        code = code.replace(name, repr(str(value)))
    code = code.replace("sys.path.insert(0, ROOT)", f"sys.path.insert(0, {str(ROOT)!r})")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                            env={**os.environ, "PYTHONWARNINGS": "ignore"})
    if result.returncode:
        raise SystemExit(result.stderr[-4000:])
    return json.loads(result.stdout.strip().splitlines()[-1])


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.1f} / {five:.1f} / {fifteen:.1f} on {os.cpu_count()} cores"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", default="bench/out/2m")
    parser.add_argument("--copies", type=int, default=10)
    parser.add_argument("--sizes", nargs="+", default=["base", "copies"], help="base and/or copies")
    args = parser.parse_args()
    base = ROOT / args.base
    copies = base.parent / f"{base.name}x{args.copies}"
    if "copies" in args.sizes:
        make_copies(base, args.copies, copies)
    first = sorted(base.glob("*.csv"))[0]
    print(f"[{time.strftime('%H:%M:%S')}] {load()}", flush=True)
    for step in ("read_csv", "single"):
        figures = run(BASELINE, STEP=step, FILE=first)
        print(f"{step:>9} {first.name}: {figures['rows']:,} rows {figures['seconds']:.2f} s "
              f"peak {figures['peak_mib']:.0f} MiB   [{load()}]", flush=True)
    per_visit = {}
    for name, folder in (("base", base), ("copies", copies)):
        if name not in args.sizes:
            continue
        figures = run(CHILD, FOLDER=folder)
        per_visit[name] = figures["seconds"] / figures["visits"]
        print(f"dask {folder.name}: {figures['visits']:,} visits in {figures['seconds']:.1f} s = "
              f"{per_visit[name] * 1e6:.1f} µs/visit, {figures['partitions']} partitions, "
              f"workers' peak {', '.join(f'{m:.0f}' for m in figures['workers_mib'])} MiB, "
              f"client peak {figures['client_mib']:.0f} MiB, {figures['findings']:,} findings   "
              f"[{load()}]", flush=True)
    if len(per_visit) == 2:
        print(f"time per visit, copies / base: {per_visit['copies'] / per_visit['base']:.2f}x")


if __name__ == "__main__":
    main()
