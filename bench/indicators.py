"""Time ``weekly_indicators`` per scope, against indicators.py at another git revision.

    python bench/generate.py --visits 1000000 --out bench/out/1m.csv
    python bench/indicators.py bench/out/1m.csv --baseline 244264b

Judges the log once, then computes the indicator table of each scope with the working
tree's module and with ``monitor/compliance/indicators.py`` as it was at ``--baseline``
(loaded from git, same process, same frames), each twice, keeping the shorter CPU time;
the two tables must be identical (a refactor that changes a number fails here).
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import pandas as pd  # noqa: E402
from baseline import module_at  # noqa: E402  (bench/, the script's own folder)

from monitor.calendar import WorkingCalendar  # noqa: E402
from monitor.compliance import CatalogFrames, indicators, judge, parse_visits  # noqa: E402
from monitor.compliance.visit_files import read_visit_input  # noqa: E402
from services_catalog import BUNDLED_CATALOG, load_catalog  # noqa: E402

TIMEZONE = "Asia/Almaty"


def cpu_seconds(function, *arguments):
    started = time.process_time()
    result = function(*arguments)
    return time.process_time() - started, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("csv")
    parser.add_argument("--baseline", default="HEAD", help="git revision of the baseline (default HEAD)")
    options = parser.parse_args()
    baseline = module_at(options.baseline, "monitor/compliance/indicators.py", "monitor.compliance")
    frames = CatalogFrames.from_catalog(load_catalog(BUNDLED_CATALOG))
    parsed = parse_visits(read_visit_input(options.csv).rows, frames, TIMEZONE)
    analysis = judge(parsed.visits, frames, WorkingCalendar(), pd.Timestamp("2026-12-31", tz="UTC"))
    print(f"{len(analysis.visits):,} visits, {len(analysis.cases):,} cases, {len(analysis.findings):,} findings")
    print(f"{'scope':8} {'rows':>6} {'baseline ' + options.baseline:>18} {'working tree':>14}")
    for scope in (None, *indicators.SCOPES):
        inputs = (analysis.visits, analysis.cases, analysis.findings, TIMEZONE, scope)
        times = {"baseline": [], "current": []}
        tables = {}
        for _ in range(2):
            for label, module in (("baseline", baseline), ("current", indicators)):
                seconds, tables[label] = cpu_seconds(module.weekly_indicators, *inputs)
                times[label].append(seconds)
        pd.testing.assert_frame_equal(tables["current"], tables["baseline"])
        print(f"{scope or 'network':8} {len(tables['current']):>6} {min(times['baseline']):>16.3f} s "
              f"{min(times['current']):>12.3f} s")


if __name__ == "__main__":
    main()
