"""Where one request of a citizens' page spends its time: cProfile over many requests made with
Flask's test client (no server, no network), on a fresh SQLite database with the bundled
catalog and the demo data.

    python bench/profile_pages.py                      # today's tree
    python bench/profile_pages.py --tree /tmp/old      # another tree (e.g. git archive REV)

Prints the mean time per request without the profiler, then the functions with the most
cumulative time under it.
"""
from __future__ import annotations

import argparse
import cProfile
import io
import logging
import os
import pstats
import subprocess  # nosec B404 - the tree's own flask CLI, no shell
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
PAGES = ("/services/701001", f"/?q={quote('прописка')}", "/", "/indicators")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tree", type=Path, default=ROOT, help="the source tree to profile")
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--top", type=int, default=15)
    args = parser.parse_args()
    tree = args.tree.resolve()
    with tempfile.TemporaryDirectory() as temporary:
        environment = {**os.environ, "DATABASE_URL": f"sqlite:///{temporary}/profile.sqlite3",
                       "SECRET_KEY": "profile", "APPLICANT_HASH_KEY": "profile"}
        for command in (["db", "upgrade"], ["demo", "load"]):
            subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", *command], cwd=tree,  # nosec B603
                           env=environment, check=True, capture_output=True)
        os.environ.update(environment)
        sys.path.insert(0, str(tree))
        from monitor import create_app  # the tree's own
        logging.disable(logging.WARNING)
        client = create_app().test_client()
        for page in PAGES:
            for _ in range(5):  # warm: first reads, compiled templates
                client.get(page)
            started = time.perf_counter()
            for _ in range(args.requests):
                response = client.get(page)
            mean = (time.perf_counter() - started) / args.requests * 1000
            profile = cProfile.Profile()
            profile.enable()
            for _ in range(args.requests):
                client.get(page)
            profile.disable()
            print(f"== {page}: {response.status_code}, {mean:.2f} ms per request ({args.requests} requests)")
            for title, order, restriction in (("the project's code, by cumulative time", "cumulative",
                                               r"/(monitor|services_catalog|templates)/"),
                                              ("every function, by its own time", "tottime", "")):
                out = io.StringIO()
                pstats.Stats(profile, stream=out).sort_stats(order).print_stats(restriction, args.top)
                lines = out.getvalue().splitlines()
                start = next(n for n, line in enumerate(lines) if line.lstrip().startswith("ncalls"))
                print(f"-- {title}")
                print("\n".join(line.replace(str(tree) + "/", "").replace(sys.prefix + "/", "")
                                for line in lines[start:] if line.strip()))
            print()


if __name__ == "__main__":
    main()
