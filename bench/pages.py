"""Citizens' pages under load, today's code side by side with a git revision in the same run:
wrk against gunicorn on 127.0.0.1, each tree on a fresh SQLite database with the bundled
catalog and the demo data (so /indicators has published weeks).

    python bench/pages.py --baseline fd81a2c --seconds 20

For each page, the baseline and today's server are measured one after the other (never at
once), with the same wrk settings (2 threads, closed loop). Needs Debian's `wrk`
(apt-get install wrk). Traffic goes to 127.0.0.1 only and stops by itself.
"""
from __future__ import annotations

import argparse
import os
import re
import subprocess  # nosec B404 - git, gunicorn, flask and wrk of our own, no shell
import sys
import tempfile
import urllib.error
import urllib.request
from contextlib import ExitStack
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
from load import gunicorn  # noqa: E402

PAGES = (
    ("service page", "/services/701001", {}),
    ("service 304", "/services/701001", {"conditional": True}),
    ("home + search", f"/?q={quote('прописка')}", {}),
    ("home", "/", {}),
    ("indicators", "/indicators", {}),
)
# wrk prints p50/75/90/99 only: the p95 comes from its Lua summary hook.
P95_SCRIPT = """
done = function(summary, latency, requests)
  io.write(string.format("p95_us %d\\n", latency:percentile(95)))
end
"""


def export(revision: str, into: Path) -> Path:
    """The tree of ``revision`` (or the working tree for "."), with compiled translations."""
    if revision == ".":
        tree = ROOT
    else:
        tree = into / revision.replace("/", "_")
        tree.mkdir(parents=True)
        archive = subprocess.run(["git", "archive", revision], cwd=ROOT, check=True,  # nosec B603 B607
                                 capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", str(tree)], input=archive, check=True)  # nosec B603 B607
    subprocess.run([str(Path(sys.executable).parent / "pybabel"), "compile", "-d",  # nosec B603
                    "monitor/translations"], cwd=tree, check=True, capture_output=True)
    return tree


def environment(database: Path) -> dict:
    return {**os.environ, "DATABASE_URL": f"sqlite:///{database}", "SECRET_KEY": "bench",
            "APPLICANT_HASH_KEY": "bench", "RATELIMIT_STORAGE_URI": "memory://"}


def prepare(tree: Path, database: Path) -> None:
    """Schema, bundled catalog and demo data (with its published weeks), by the tree's own CLI."""
    for command in (["db", "upgrade"], ["demo", "load"]):
        subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", *command], cwd=tree,  # nosec B603
                       env=environment(database), check=True, capture_output=True)


def wrk(url: str, seconds: int, connections: int, headers: dict, script: Path) -> dict:
    command = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", str(script)]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    out = subprocess.run(command + [url], capture_output=True, text=True, check=True).stdout  # nosec B603
    responses = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"rate": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
            "p50": re.search(r"^\s+50%\s+([\d.]+\w+)", out, re.M).group(1),
            "p95": int(re.search(r"p95_us (\d+)", out).group(1)) / 1000,
            "p99": re.search(r"^\s+99%\s+([\d.]+\w+)", out, re.M).group(1),
            "errors": int(responses.group(1)) if responses else 0}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", required=True, help="git revision to compare with (e.g. HEAD~1)")
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--port", type=int, default=8766)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as temporary, ExitStack() as servers:
        work = Path(temporary)
        script = work / "p95.lua"
        script.write_text(P95_SCRIPT)
        bases = {}
        for number, (name, revision) in enumerate((("baseline " + args.baseline, args.baseline),
                                                   ("today", "."))):
            tree = export(revision, work)
            database = work / f"{number}.sqlite3"
            prepare(tree, database)
            bases[name] = servers.enter_context(gunicorn(f"sqlite:///{database}", args.workers, args.port + number,
                                                         tree=tree))
        print(f"gunicorn -w {args.workers}, SQLite, wrk -t2 -c{args.connections} -d{args.seconds}s")
        # The same catalog on both sides: the catalog pages must be the same bytes (the demo
        # visits are random, so /indicators is compared by the test suite, not here).
        for page, path, options in PAGES:
            if options or path.startswith("/indicators"):
                continue
            bodies = [urllib.request.urlopen(base + path).read() for base in bases.values()]  # nosec B310
            print(f"same HTML as the baseline: {page:<14} {'yes' if bodies[0] == bodies[1] else 'NO'}")
        print(f"{'page':<14} {'code':<22} {'requests/s':>10} {'p50':>9} {'p95':>9} {'p99':>9} {'non-2xx/3xx':>11}")
        for page, path, options in PAGES:
            for name, base in bases.items():
                headers = {}
                if options.get("conditional"):
                    with urllib.request.urlopen(base + path) as first:  # nosec B310 - our own server
                        tag = first.headers.get("ETag")
                    if tag is None:
                        print(f"{page:<14} {name:<22} {'no ETag':>10}")
                        continue
                    headers["If-None-Match"] = tag
                for _ in range(3):  # warm every worker's caches once
                    urllib.request.urlopen(base + path).read()  # nosec B310 - our own server
                result = wrk(base + path, args.seconds, args.connections, headers, script)
                print(f"{page:<14} {name:<22} {result['rate']:>10,.0f} {result['p50']:>9} "
                      f"{result['p95']:>7.1f}ms {result['p99']:>9} {result['errors']:>11}", flush=True)


if __name__ == "__main__":
    main()
