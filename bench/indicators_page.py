"""Time the citizens' /indicators page with 1 and with 500 published weeks (issue 21: "the same
at 1 or 500 published weeks").

    python bench/indicators_page.py --weeks 1 12 500 --repeat 20 [--database-url URL]

For each count a fresh database (a temporary SQLite file by default) gets the bundled catalog
and that many published weeks of snapshots (network, 40 offices and every service of the
catalog, every indicator; values drawn at random), then the page is asked ``--repeat`` times
as an anonymous reader with the pages' cache emptied before each request (read and rendered
every time: what the first reader after a publication waits for) and as the readers after
them (the rendered page kept per publication and language). Prints milliseconds,
median and p95. Figures are taken on an idle machine (docs/benchmarks.md).
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def fill(app, weeks: int) -> None:
    import numpy as np
    from flask_migrate import upgrade
    from sqlalchemy import insert

    from monitor.calendar import week_label, week_of_label
    from monitor.compliance import INDICATORS
    from monitor.extensions import db
    from monitor.models import IndicatorSnapshot
    from monitor.stores.catalog import store_catalog
    from services_catalog import BUNDLED_CATALOG, load_catalog

    catalog = load_catalog(BUNDLED_CATALOG)
    with app.app_context():
        upgrade()
        store_catalog(db.session, catalog)
        scopes = [("network", "")] + [("office", f"OF-{n:03d}") for n in range(1, 41)] \
            + [("service", code) for code in catalog.services]
        random = np.random.default_rng(7)
        published = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
        last = week_of_label("2026-W48")
        for week in range(last - weeks + 1, last + 1):
            label = week_label(week)
            db.session.execute(insert(IndicatorSnapshot), [
                {"week": label, "scope_kind": kind, "scope_value": value, "indicator": name,
                 "value": float(random.integers(0, 100)), "published_at": published, "audit_head_hash": "0" * 64}
                for kind, value in scopes for name in INDICATORS])
        db.session.commit()


def percentile(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100)[q - 1] if len(values) > 1 else values[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weeks", type=int, nargs="+", default=[1, 12, 500])
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--database-url", default=None, help="a PostgreSQL URL (emptied) instead of SQLite")
    args = parser.parse_args()
    from monitor import create_app
    from monitor.extensions import db
    from monitor.services import public_pages

    for weeks in args.weeks:
        with tempfile.TemporaryDirectory() as folder:
            url = args.database_url or f"sqlite:///{Path(folder) / 'indicators.sqlite3'}"
            if args.database_url:
                from sqlalchemy import create_engine, text
                engine = create_engine(url)
                with engine.begin() as connection:
                    connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
                engine.dispose()
            os.environ.setdefault("LOG_FORMAT", "off")
            app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "APPLICANT_HASH_KEY": "bench",
                              "RATELIMIT_ENABLED": False})
            fill(app, weeks)
            client = app.test_client()
            assert client.get("/indicators").status_code == 200  # warm code, templates, Babel
            cold = []
            for _ in range(args.repeat):
                app.extensions.pop(public_pages.EXTENSION, None)  # the cached snapshots and pages
                started = time.perf_counter()
                response = client.get("/indicators")
                cold.append((time.perf_counter() - started) * 1000)
                assert response.status_code == 200
            cached = []
            for _ in range(args.repeat):
                started = time.perf_counter()
                response = client.get("/indicators")
                cached.append((time.perf_counter() - started) * 1000)
                assert response.status_code == 200
            print(f"{weeks:>4} published weeks: anonymous, cache emptied: median {statistics.median(cold):6.1f} ms"
                  f" p95 {percentile(cold, 95):6.1f} ms | cached: median {statistics.median(cached):6.1f} ms"
                  f" p95 {percentile(cached, 95):6.1f} ms", flush=True)
            with app.app_context():
                db.engine.dispose()


if __name__ == "__main__":
    main()
