"""Write a realistic synthetic visit log for any catalog folder.

    python bench/generate.py --catalog services_catalog/data --visits 1000000 --out bench/out/1m.csv
"""
from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from monitor.synthetic import generate_visits  # noqa: E402
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
    args = parser.parse_args()
    started = time.perf_counter()
    frame = generate_visits(load_catalog(args.catalog), visits=args.visits,
                            start=dt.date.fromisoformat(args.start), days=args.days,
                            offices=[f"OF-{n:03d}" for n in range(1, args.offices + 1)], seed=args.seed)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(args.out, index=False)
    print(f"wrote {len(frame):,} visits to {args.out} in {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
