"""Write a realistic synthetic visit log for any catalog folder.

    python bench/generate.py --catalog services_catalog/data --visits 1000000 --out bench/out/1m.csv
    python bench/generate.py --visits 20000000 --parts 20 --out bench/out/20m   # a folder of 20 CSVs

With ``--parts N`` the log is written as N files of about visits/N rows each, generated one
after the other (memory stays that of one part); each part covers its own share of the days,
and its visit, case and applicant ids carry the part number so that they stay unique.
"""
from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from monitor.tools.synthetic import generate_visits  # noqa: E402
from services_catalog import load_catalog  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--catalog", default="services_catalog/data")
    parser.add_argument("--visits", type=int, default=100_000)
    parser.add_argument("--start", default="2026-01-05", help="first day (ISO date)")
    parser.add_argument("--days", type=int, default=180)
    parser.add_argument("--offices", type=int, default=40)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", required=True)
    parser.add_argument("--parts", type=int, default=0, help="write a folder of this many CSV files")
    parser.add_argument("--format", choices=("csv", "parquet"), default="csv", help="with --parts")
    args = parser.parse_args()
    started = time.perf_counter()
    if args.parts:
        write_parts(args)
        print(f"wrote {args.visits:,} visits in {args.parts} files to {args.out} "
              f"in {time.perf_counter() - started:.1f} s")
        return
    frame = generate_visits(load_catalog(args.catalog), visits=args.visits,
                            start=dt.date.fromisoformat(args.start), days=args.days,
                            offices=[f"OF-{n:03d}" for n in range(1, args.offices + 1)], seed=args.seed)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(args.out, index=False)
    print(f"wrote {len(frame):,} visits to {args.out} in {time.perf_counter() - started:.1f} s")


def write_parts(args) -> None:
    catalog = load_catalog(args.catalog)
    folder = Path(args.out)
    folder.mkdir(parents=True, exist_ok=True)
    days = max(1, args.days // args.parts)
    for part in range(args.parts):
        frame = generate_visits(catalog, visits=args.visits // args.parts,
                                start=dt.date.fromisoformat(args.start) + dt.timedelta(days=part * days),
                                days=days, offices=[f"OF-{n:03d}" for n in range(1, args.offices + 1)],
                                seed=args.seed + part)
        prefix = f"P{part:03d}-"
        for column in ("visit_id", "applicant_ref"):
            frame[column] = prefix + frame[column]
        frame["case_id"] = frame["case_id"].where(frame["case_id"] == "", prefix + frame["case_id"])
        name = folder / f"visits-{part:03d}.{args.format}"
        if args.format == "parquet":
            frame.to_parquet(name, index=False)
        else:
            frame.to_csv(name, index=False)
        print(f"  {name}: {len(frame):,} visits", flush=True)


if __name__ == "__main__":
    main()
