"""A visit log judged against a catalog folder with no database (``flask analyze``, for
auditors): in this process, or in partitions on a Dask cluster. Nothing is stored."""
from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ..calendar import WorkingCalendar
from ..compliance import CatalogFrames, Thresholds, judge, parse_visits
from ..compliance.ocel import ocel_share, write_ocel
from ..compliance.partitioned import PARTITION_ROWS, analyze_partitioned, dask_client
from ..compliance.visit_files import read_visit_input


def _quiet(text: str) -> None:
    """The default phase reporter: says nothing."""


@dataclass(frozen=True)
class LogAnalysis:
    findings: pd.DataFrame  # FINDING_COLUMNS
    indicators: pd.DataFrame  # the weekly indicators of the scope asked for
    visits: int
    cases: int
    bad_rows: pd.DataFrame  # where ("file: line N" or "line N"), column, reason: left out
    partitions: int = 1


@dataclass(frozen=True)
class Cluster:
    """Where ``analyze_on_dask`` runs: a scheduler's address, or a local cluster of ``workers``."""
    scheduler: str | None = None
    workers: int = 2
    worker_memory: str = "2GiB"
    scratch: str | None = None  # a folder every worker can read and write (default: a temporary one)
    partition_rows: int = PARTITION_ROWS  # visits per partition at most (bounds each worker's memory)


def analyze_here(path: str, frames: CatalogFrames, calendar: WorkingCalendar, as_of: pd.Timestamp,
                 thresholds: Thresholds, scope: str | None, ocel_path: str | None, hash_key: str, *,
                 phase: Callable[[str], None] = _quiet,
                 on_read: Callable[[pd.DataFrame], None] = lambda rows: None) -> LogAnalysis:
    """The single-process engine: the whole log in this process's memory. Raises
    VisitLogError when the log cannot be read; ``on_read`` hears the rows as read."""
    phase(f"reading {path}")
    given = read_visit_input(path)
    on_read(given.rows)
    phase(f"checking {len(given.rows):,} rows")
    parsed = parse_visits(given.rows, frames, calendar.timezone_name)
    bad = parsed.bad_rows
    bad_rows = pd.DataFrame({"where": given.where(bad["line"]), "column": bad["column"], "reason": bad["reason"]})
    visits = parsed.visits
    del given, parsed  # the text as read: not held while the visits are judged (peak memory)
    phase(f"judging {len(visits):,} visits")
    analysis = judge(visits, frames, calendar, as_of, thresholds)
    del visits
    if ocel_path:
        write_ocel(ocel_path, [ocel_share(analysis.visits, hash_key, analysis.finding_table())])
    return LogAnalysis(analysis.finding_table(), analysis.indicators(calendar.timezone_name, scope),
                       len(analysis.visits), len(analysis.cases), bad_rows)


def analyze_on_dask(path: str, frames: CatalogFrames, calendar: WorkingCalendar, as_of: pd.Timestamp,
                    thresholds: Thresholds, scope: str | None, ocel_path: str | None, hash_key: str,
                    cluster: Cluster) -> LogAnalysis:
    """The partitioned engine (compliance.partitioned) on a local or an existing cluster.
    Raises VisitLogError when the log cannot be read."""
    if cluster.scratch:
        Path(cluster.scratch).mkdir(parents=True, exist_ok=True)
    with dask_client(cluster.scheduler, cluster.workers, cluster.worker_memory) as client, \
            tempfile.TemporaryDirectory(prefix="monitor-ocel-", dir=cluster.scratch) as ocel_dir:
        result = analyze_partitioned(client, path, frames, calendar, as_of, thresholds, scopes=(scope,),
                                     scratch=cluster.scratch, partition_rows=cluster.partition_rows,
                                     ocel_dir=ocel_dir if ocel_path else None, ocel_key=hash_key)
        if ocel_path:
            write_ocel(ocel_path, sorted(Path(ocel_dir).glob("part-*.json")))
    return LogAnalysis(result.findings, result.indicators[scope], result.visits, result.cases, result.bad_rows,
                       result.partitions)
