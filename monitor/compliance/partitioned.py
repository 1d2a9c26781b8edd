"""Partitioned analysis: the same ``judge()`` on shares of the visits, on a Dask cluster.

The rules link visits of one case, and the integrity rules link an applicant's consults
and cases, so the visits are shuffled into partitions that keep those together: a case
goes where its applicant goes (the ``applicant_ref`` of its first visit by ``called_at``
that has one), a case without an applicant by its ``case_id``, a consult by its own
``applicant_ref`` or, without one, by its ``visit_id``. Each partition is judged alone;
findings are put back in the single-process order and the weekly indicators are combined
from per-partition parts (``indicators.combine_indicator_parts``), so the output is the
single-process output.

Steps, each a task per piece or partition, with the data passing through files in a
scratch folder that every worker can read (a local folder for a ``LocalCluster``):

1. read and validate each piece (a file, or a block of a large CSV) and keep its visits;
   return the hashes of its visit_ids and, per case, its first visit with an applicant;
2. (the client) drop visit_ids already seen in an earlier piece, as the single-process
   reader does, and fix each case's applicant from the pieces' candidates;
3. split each piece's visits by partition;
4. judge each partition; write its findings with their global order, return its parts.

Nothing here imports Flask; the only Dask call is ``Client.submit``/``gather``.
"""
from __future__ import annotations

import math

# pickle: only for files this run wrote itself in its own scratch folder
import pickle  # nosec B403
import shutil
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import cast

import numpy as np
import pandas as pd

from . import judge
from .catalog_frames import CatalogFrames
from .indicators import IndicatorParts, combine_indicator_parts, indicator_parts
from .rules import FINDING_COLUMNS, Thresholds
from .visit_files import BLOCK_BYTES, Piece, pieces, read_piece
from .visit_log import COLUMNS, parse_visits

PARTITION_ROWS = 400_000  # visits per partition: bounds a worker's memory (≈ 1 GiB at judge time)
_POSITION_BITS = 32  # a visit's global order: piece index << 32 | position in the piece


@dataclass(frozen=True)
class PartitionedResult:
    findings: pd.DataFrame  # FINDING_COLUMNS, in the single-process order
    indicators: dict  # scope (None = network) -> the weekly indicator table
    bad_rows: pd.DataFrame  # where ("file: line N" or "line N"), column, reason
    visits: int
    cases: int
    partitions: int
    ignored_repeats: int


def analyze_partitioned(client, path: str | Path, frames: CatalogFrames, calendar, as_of: pd.Timestamp,
                        thresholds: Thresholds = Thresholds(), scopes=(None,),
                        scratch: str | Path | None = None, partition_rows: int = PARTITION_ROWS,
                        partitions: int | None = None, block_bytes: int = BLOCK_BYTES,
                        ocel_dir: str | Path | None = None, ocel_key: str = "") -> PartitionedResult:
    """Judge the visit log at ``path`` (a file or a folder) on the cluster of ``client``.

    ``scratch`` must be readable and writable by every worker (default: a temporary folder
    here, right for a local cluster). ``partitions`` defaults to enough partitions of at
    most ``partition_rows`` visits, and at least one per worker. With ``ocel_dir`` each
    partition also writes its share of the OCEL 2.0 log there (see ``ocel.py``; applicants
    hashed under ``ocel_key``), for ``ocel.write_ocel`` to join.
    """
    timezone = calendar.timezone_name
    as_of = pd.Timestamp(as_of)
    as_of = as_of.tz_localize(timezone) if as_of.tzinfo is None else as_of
    if scratch is not None:
        Path(scratch).mkdir(parents=True, exist_ok=True)
    # This run's own folder (inside ``scratch`` if given), removed at the end in any case.
    scratch = Path(tempfile.mkdtemp(prefix="monitor-dask-", dir=scratch))
    try:
        parts_of = pieces(path, block_bytes)
        [frames_f] = client.scatter([frames], broadcast=True)
        read = client.gather([client.submit(_read_piece, i, piece, frames_f, timezone, str(scratch),
                                            pure=False) for i, piece in enumerate(parts_of)])
        bad_rows = [summary["bad_rows"] for summary in read]
        dropped, repeat_rows, ignored = _repeats_across_pieces(read, parts_of)
        bad_rows.append(repeat_rows)
        if dropped:
            redone = client.gather([client.submit(_drop_visits, i, hashes, str(scratch), pure=False)
                                    for i, hashes in dropped.items()])
            for i, candidates in zip(dropped, redone):
                read[i]["candidates"] = candidates
        total = sum(summary["rows"] - len(dropped.get(i, ())) for i, summary in enumerate(read))
        workers = max(1, len(client.scheduler_info().get("workers", {})))
        count = partitions or max(workers, math.ceil(total / partition_rows))
        mapping = _case_applicants(pd.concat([s["candidates"] for s in read], ignore_index=True))
        [mapping_f] = client.scatter([mapping], broadcast=True)
        client.gather([client.submit(_split_piece, i, mapping_f, count, str(scratch), pure=False)
                       for i in range(len(parts_of))])
        [calendar_f] = client.scatter([calendar], broadcast=True)
        judged = client.gather([client.submit(
            _judge_partition, b, frames_f, calendar_f, as_of, thresholds, tuple(scopes), str(scratch),
            str(ocel_dir) if ocel_dir else None, ocel_key, pure=False) for b in range(count)])
        findings = _merge_findings(scratch, count)
        indicators = {scope: combine_indicator_parts(
            [j["parts"][scope] for j in judged if j["parts"][scope] is not None], scope, timezone)
                      for scope in scopes}
        bad = pd.concat(bad_rows, ignore_index=True) if bad_rows else pd.DataFrame()
        return PartitionedResult(
            findings=findings, indicators=indicators, bad_rows=bad.reindex(columns=["where", "column", "reason"]),
            visits=sum(j["visits"] for j in judged), cases=sum(j["cases"] for j in judged),
            partitions=count, ignored_repeats=ignored + sum(s["repeats"] for s in read))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _save(path: Path, value) -> None:
    with path.open("wb") as handle:
        pickle.dump(value, handle, protocol=pickle.HIGHEST_PROTOCOL)


def _load(path: Path):
    with path.open("rb") as handle:
        # Written by this run in its own scratch folder, never by anyone else.
        return pickle.load(handle)  # nosec B301


def _hash(values: pd.Series) -> np.ndarray:
    return pd.util.hash_array(values.to_numpy(dtype=object))


def _piece_file(scratch: str, index: int) -> Path:
    return Path(scratch) / f"piece-{index:06d}.pkl"


def _read_piece(index: int, piece: Piece, frames: CatalogFrames, timezone: str, scratch: str) -> dict:
    """Step 1 on a worker: read and validate one piece, keep its visits in the scratch folder."""
    raw = read_piece(piece)
    parsed = parse_visits(raw, frames, timezone)
    visits = parsed.visits
    order = (np.int64(index) << _POSITION_BITS) + np.arange(len(visits), dtype="int64")
    _save(_piece_file(scratch, index), (visits, order))
    named = raw[raw["visit_id"] != ""].drop_duplicates("visit_id")
    bad = parsed.bad_rows
    return {
        "rows": len(visits),
        "repeats": parsed.ignored_repeats,
        "visit_ids": _hash(named["visit_id"]),
        "contents": pd.util.hash_pandas_object(named[list(COLUMNS)], index=False).to_numpy(),
        "lines": named["line"].to_numpy(),
        "candidates": _applicant_candidates(visits, order),
        "bad_rows": pd.DataFrame({"where": _where(piece, bad["line"]), "column": bad["column"],
                                  "reason": bad["reason"]}),
    }


def _where(piece: Piece, lines: pd.Series) -> pd.Series:
    return f"{piece.label}: line " + lines.astype(str)


def _applicant_candidates(visits: pd.DataFrame, order: np.ndarray) -> pd.DataFrame:
    """Per case of this piece, its first visit (called_at, finished_at, order) with an applicant."""
    has = (visits["case_id"].notna() & (visits["applicant_ref"] != "")).to_numpy()
    part = visits[has]
    frame = pd.DataFrame({
        "case": _hash(part["case_id"]),
        "called": part["called_at"].to_numpy("datetime64[ns]").view("int64"),
        "finished": part["finished_at"].to_numpy("datetime64[ns]").view("int64"),
        "order": order[has],
        "applicant": _hash(part["applicant_ref"]),
    })
    return frame.sort_values(["case", "called", "finished", "order"], kind="stable") \
        .drop_duplicates("case").reset_index(drop=True)


def _case_applicants(candidates: pd.DataFrame) -> pd.Series:
    """case hash -> applicant hash of its first visit with an applicant, over all pieces."""
    first = candidates.sort_values(["case", "called", "finished", "order"], kind="stable") \
        .drop_duplicates("case")
    return pd.Series(first["applicant"].to_numpy(), index=first["case"].to_numpy()).sort_index()


def _repeats_across_pieces(read: list[dict], parts_of: list[Piece]):
    """visit_ids seen in an earlier piece: identical repeats are ignored, others are bad rows.

    Returns {piece index: hashes to drop}, the bad rows and the count of ignored repeats.
    """
    ids = np.concatenate([s["visit_ids"] for s in read]) if read else np.array([], dtype="uint64")
    piece = np.concatenate([np.full(len(s["visit_ids"]), i) for i, s in enumerate(read)]) if read \
        else np.array([], dtype=int)
    frame = pd.DataFrame({"id": ids, "piece": piece})
    repeated = frame["id"].duplicated(keep=False).to_numpy()
    if not repeated.any():
        return {}, pd.DataFrame(columns=["where", "column", "reason"]), 0
    contents = np.concatenate([s["contents"] for s in read])
    lines = np.concatenate([s["lines"] for s in read])
    part = frame[repeated].assign(content=contents[repeated], line=lines[repeated])
    first = part.drop_duplicates("id")  # pieces are in input order
    later = part[part["id"].duplicated(keep="first")]
    origin = first.set_index("id")
    same = later["content"].to_numpy() == origin["content"].reindex(later["id"]).to_numpy()
    # The stubs type a group's key as any scalar; "piece" holds piece numbers.
    dropped = {int(cast(int, i)): set(group["id"]) for i, group in later.groupby("piece")}
    clash = later[~same]
    where = [f"{parts_of[p].label}: line {line}" for p, line in zip(clash["piece"], clash["line"])]
    first_at = [f"{parts_of[p].label} line {line}" for p, line in
                zip(origin["piece"].reindex(clash["id"]), origin["line"].reindex(clash["id"]))]
    bad = pd.DataFrame({"where": where, "column": "visit_id",
                        "reason": [f"its visit_id already appears in {at} with different content"
                                   for at in first_at]})
    return dropped, bad, int(same.sum())


def _drop_visits(index: int, hashes: set, scratch: str) -> pd.DataFrame:
    """Step 2 on a worker: leave out visits whose visit_id an earlier piece holds."""
    visits, order = _load(_piece_file(scratch, index))
    keep = ~np.isin(_hash(visits["visit_id"]), np.fromiter(hashes, dtype="uint64"))
    visits, order = visits[keep].reset_index(drop=True), order[keep]
    _save(_piece_file(scratch, index), (visits, order))
    return _applicant_candidates(visits, order)


def partition_of(visits: pd.DataFrame, applicants: pd.Series, count: int) -> np.ndarray:
    """The partition of each visit: its case's applicant, its case, or the consult itself."""
    in_case = visits["case_id"].notna().to_numpy()
    key = np.empty(len(visits), dtype="uint64")
    if in_case.any():
        case = _hash(visits["case_id"][in_case])
        found = applicants.index.get_indexer(pd.Index(case))
        key[in_case] = np.where(found >= 0, applicants.to_numpy()[np.maximum(found, 0)], case)
    consult = ~in_case
    if consult.any():
        ref = visits["applicant_ref"][consult]
        key[consult] = np.where((ref != "").to_numpy(), _hash(ref), _hash(visits["visit_id"][consult]))
    return (key % np.uint64(count)).astype("int64")


def _split_piece(index: int, applicants: pd.Series, count: int, scratch: str) -> list[int]:
    """Step 3 on a worker: this piece's visits, one file per partition they go to."""
    source = _piece_file(scratch, index)
    visits, order = _load(source)
    target = partition_of(visits, applicants, count)
    sizes = np.bincount(target, minlength=count)
    for b in np.flatnonzero(sizes):
        folder = Path(scratch) / f"partition-{b:06d}"
        folder.mkdir(exist_ok=True)
        mine = target == b
        _save(folder / f"piece-{index:06d}.pkl", (visits[mine], order[mine]))
    source.unlink()
    return sizes.tolist()


def _judge_partition(b: int, frames: CatalogFrames, calendar, as_of, thresholds, scopes, scratch: str,
                     ocel_dir: str | None, ocel_key: str) -> dict:
    """Step 4 on a worker: judge one partition, as the single-process engine judges everything."""
    folder = Path(scratch) / f"partition-{b:06d}"
    loaded = [_load(p) for p in sorted(folder.glob("piece-*.pkl"))] if folder.exists() else []
    if not loaded:  # no applicant hashed here: nothing to judge
        folder.mkdir(exist_ok=True)
        _save(folder / "findings.pkl", pd.DataFrame(columns=FINDING_COLUMNS + ["kind", "key"]))
        return {"visits": 0, "cases": 0, "parts": {scope: None for scope in scopes}}
    visits = pd.concat([v for v, _ in loaded], ignore_index=True)
    order = np.concatenate([o for _, o in loaded])
    del loaded
    analysis = judge(visits, frames, calendar, as_of, thresholds)
    table = found = analysis.finding_table()
    case_order = _case_order(analysis.visits, order, analysis.cases)
    row = analysis.findings["row"].to_numpy()
    case_row = analysis.findings["case_row"].to_numpy()
    table = table[FINDING_COLUMNS].assign(
        kind=(row < 0).astype("int8"),
        key=np.where(row >= 0, order[np.maximum(row, 0)],
                     case_order[np.maximum(case_row, 0)] if len(case_order) else 0))
    folder.mkdir(exist_ok=True)
    _save(folder / "findings.pkl", table)
    if ocel_dir:
        from .ocel import write_ocel_part
        write_ocel_part(Path(ocel_dir) / f"part-{b:06d}.json", analysis.visits, ocel_key, found)
    timezone = calendar.timezone_name
    parts: dict[str | None, IndicatorParts] = {
        scope: indicator_parts(analysis.visits, analysis.cases, analysis.findings, timezone, scope)
        for scope in scopes}
    return {"visits": len(analysis.visits), "cases": len(analysis.cases), "parts": parts}


def _case_order(visits: pd.DataFrame, order: np.ndarray, cases: pd.DataFrame) -> np.ndarray:
    """Each case's global order: that of its first visit in input order (as case_timeline
    numbers cases by the first appearance of their case_id)."""
    if cases.empty:
        return np.array([], dtype="int64")
    in_case = visits["case_id"].notna().to_numpy()
    first = pd.Series(order[in_case]).groupby(visits["case_id"][in_case].to_numpy(), sort=False).min()
    return first.reindex(cases["case_id"].to_numpy()).to_numpy().astype("int64")


def _merge_findings(scratch: Path, count: int) -> pd.DataFrame:
    """Every partition's findings in the single-process order: visit findings by the visit's
    input order, then case findings by the case's; each partition keeps the rule order."""
    tables = [t for t in (_load(scratch / f"partition-{b:06d}" / "findings.pkl") for b in range(count))
              if len(t)]
    if not tables:
        return pd.DataFrame(columns=FINDING_COLUMNS)
    table = pd.concat(tables, ignore_index=True)
    table = table.sort_values(["kind", "key"], kind="stable")
    return table[FINDING_COLUMNS].reset_index(drop=True)


@contextmanager
def dask_client(scheduler: str | None = None, workers: int = 2, memory_limit: str = "2GiB"):
    """A Dask client on the cluster at ``scheduler``, or on a new local cluster (closed after)."""
    from dask.distributed import Client, LocalCluster
    if scheduler:
        with Client(scheduler) as client:
            yield client
        return
    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, memory_limit=memory_limit,
                      dashboard_address=":0") as cluster, Client(cluster) as client:  # :0 - 8787 may be taken
        # Worker processes register a moment after the cluster starts; the partition count
        # reads how many there are, so wait until all of them have.
        client.wait_for_workers(workers)
        yield client
