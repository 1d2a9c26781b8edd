"""Citizens' pages under load: wrk against the service page and the catalog JSON, gunicorn
on 127.0.0.1 with PostgreSQL.

    python bench/pages.py --seconds 30 --connections 16

Needs Debian's `wrk` (apt-get install wrk). Traffic goes to 127.0.0.1 only and stops by itself.
"""
from __future__ import annotations

import argparse
import re
import subprocess
import sys
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from load import gunicorn, prepare  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--database", default="postgresql+psycopg://postgres@127.0.0.1:5432/scm_load")
    parser.add_argument("--port", type=int, default=8766)
    args = parser.parse_args()
    prepare(args.database, desks=1)
    with gunicorn(args.database, args.workers, args.port) as base:
        for name, path in (("service page", "/services/703002?lang=ru"), ("catalog.json", "/open-data/catalog.json")):
            urllib.request.urlopen(base + path).read()  # warm every cache once
            out = subprocess.run(["wrk", "-t2", f"-c{args.connections}", f"-d{args.seconds}s", "--latency",
                                  base + path], capture_output=True, text=True, check=True).stdout
            rate = re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)
            latency = dict(re.findall(r"^\s+(50|75|90|99)%\s+([\d.]+\w+)", out, re.M))
            errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
            print(f"{name:<13} {float(rate):8,.0f} requests/s  p50 {latency.get('50')}  p90 {latency.get('90')}  "
                  f"p99 {latency.get('99')}  non-2xx {errors.group(1) if errors else 0}")


if __name__ == "__main__":
    main()
