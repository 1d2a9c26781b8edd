"""What the ``cells`` job does after a desk save: the week's cells recomputed for every office,
against only the offices of the saved visit's case (issue 21: "mark the (week, scope) cells they
touch as stale, and one step recomputes only those cells").

    python bench/cells_refresh.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench10m
    python bench/cells_refresh.py --database-url sqlite:////tmp/b1m/b1m.sqlite3 --week 2026-W40 --repeat 5
    python bench/cells_refresh.py --database-url ... --baseline /work/base   # + another tree's whole week

In one process, on a filled database (``bench/generate.py``, ``flask visits import``,
``bench/copy_database.py``, ``bench/replicate_offices.py``), for one computed week (default:
the busiest of the last twelve weeks with stored visits): a mark of the whole week, as every change made before this
change, and a mark of one office, and of two (a case forwarded between offices), each followed
by ``refresh_stale`` (the job's step) and rolled back. The kinds alternate, ``--repeat`` times
each; printed are wall and CPU milliseconds (median and the fastest). Before timing, the
figures one office's refresh leaves are compared with those of the whole week's refresh: the
cells, finding cells and every final value of the week must be equal (otherwise it stops).
``--baseline TREE`` (a ``git worktree`` of an earlier commit) also times that tree's refresh of
the whole week, in a process of its own (warmed by one refresh first), on the same database.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess  # nosec B404 - python of our own trees, no shell
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# Another tree's whole-week refresh (every mark before marks named offices), rolled back.
BASELINE = """
import json, sys, time
from monitor import create_app
from monitor.extensions import db
from monitor.services import indicator_cells
from monitor.services.context import engine_inputs
from monitor.stores import cells as cells_store
week, repeat = int(sys.argv[1]), int(sys.argv[2])
with create_app().app_context():
    inputs, runs = engine_inputs(), []
    for attempt in range(repeat + 1):
        started, cpu = time.perf_counter(), time.process_time()
        cells_store.mark_weeks(db.session, [week])
        assert indicator_cells.refresh_stale(db.session, inputs) == [week]
        if attempt:  # the first warms the process, as the equality check does here
            runs.append((time.perf_counter() - started, time.process_time() - cpu))
        db.session.rollback()
print(json.dumps(runs))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--week", help="ISO week label, e.g. 2026-W40 (default: the busiest of the last twelve)")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--baseline", type=Path, help="another tree (git worktree): its whole-week refresh too")
    arguments = parser.parse_args()
    os.environ.update({"DATABASE_URL": arguments.database_url, "SECRET_KEY": "bench", "APPLICANT_HASH_KEY": "bench",
                       "LOG_FORMAT": "off"})

    import pandas as pd
    from sqlalchemy import func, select

    from monitor import create_app
    from monitor.compliance.indicators import week_label, week_of_label
    from monitor.extensions import db
    from monitor.models import IndicatorCell, IndicatorFindingCell, IndicatorValue, Visit
    from monitor.services import indicator_cells
    from monitor.services.context import engine_inputs
    from monitor.stores import cells as cells_store

    app = create_app()
    with app.app_context():
        session = db.session
        inputs = engine_inputs()
        if arguments.week:
            week = week_of_label(arguments.week)
        else:  # the busiest of the last twelve weeks with visits (the generator's last weeks thin out)
            last = session.scalar(select(func.max(Visit.week)))
            week = session.scalar(select(Visit.week).where(Visit.week > last - 12).group_by(Visit.week)
                                  .order_by(func.count().desc()).limit(1))
        busiest = session.execute(select(Visit.office_code, func.count()).where(Visit.week == week)
                                  .group_by(Visit.office_code).order_by(func.count().desc()).limit(2)).all()
        offices = [code for code, _ in busiest]
        visits = session.scalar(select(func.count()).where(Visit.week == week))
        office_count = session.scalar(select(func.count(func.distinct(Visit.office_code))).where(Visit.week == week))
        print(f"week {week_label(week)}: {visits:,} visits in {office_count} offices; "
              f"one office: {offices[0]} ({busiest[0][1]:,} visits)", flush=True)

        def refreshed(marked: list[str] | None) -> None:
            cells_store.mark_weeks(session, [week], marked)
            assert indicator_cells.refresh_stale(session, inputs) == [week]

        def week_rows() -> dict[str, pd.DataFrame]:
            read = {"cells": IndicatorCell, "finding cells": IndicatorFindingCell, "values": IndicatorValue}
            frames = {}
            for name, model in read.items():
                columns = [c for c in model.__table__.columns if c.key != "id"]
                frame = pd.DataFrame(session.execute(select(*columns).where(model.week == week)).all(),
                                     columns=[c.key for c in columns])
                frames[name] = frame.sort_values([c.key for c in columns if c.key not in (
                    "lead_hours", "wait_minutes")]).reset_index(drop=True)
            return frames

        refreshed(None)
        whole = week_rows()
        session.rollback()
        refreshed(offices[:1])
        one = week_rows()
        session.rollback()
        for name, frame in whole.items():
            pd.testing.assert_frame_equal(one[name], frame, obj=name)
        print(f"one office's refresh leaves the week's {', '.join(whole)} equal to the whole week's "
              f"({len(whole['cells']):,} cells, {len(whole['values']):,} values)", flush=True)

        kinds = {"whole week": None, "one office": offices[:1], "two offices": offices[:2]}
        timings: dict[str, list[tuple[float, float]]] = {kind: [] for kind in kinds}
        for _ in range(arguments.repeat):
            for kind, marked in kinds.items():
                started, cpu = time.perf_counter(), time.process_time()
                refreshed(marked)
                timings[kind].append((time.perf_counter() - started, time.process_time() - cpu))
                session.rollback()
        if arguments.baseline:
            tree = arguments.baseline.resolve()
            result = subprocess.run([sys.executable, "-c", BASELINE, str(week), str(arguments.repeat)],  # nosec B603
                                    cwd=tree, env={**os.environ, "PYTHONPATH": str(tree)},
                                    capture_output=True, text=True, check=True)
            timings[f"whole ({tree.name})"] = [tuple(run) for run in json.loads(result.stdout.strip().splitlines()[-1])]
        print(f"{'mark':<20} {'wall ms (median / fastest)':>28} {'CPU ms (median / fastest)':>28}")
        for kind, runs in timings.items():
            wall, cpu = [w * 1000 for w, _ in runs], [c * 1000 for _, c in runs]
            print(f"{kind:<20} {statistics.median(wall):>17,.0f} / {min(wall):>7,.0f}"
                  f" {statistics.median(cpu):>17,.0f} / {min(cpu):>7,.0f}", flush=True)


if __name__ == "__main__":
    main()
