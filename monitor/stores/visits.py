"""Visits and cases in the database: bulk insert, reading back as engine frames, case refresh.

Writes happen in the caller's transaction and never commit: an import that is killed
half-way leaves the database exactly as it was.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
from sqlalchemy import Connection, String, bindparam, false, func, or_, select, text, type_coerce, update
from sqlalchemy.orm import Session

from ..calendar import WorkingCalendar, local_day_numbers, local_midnight_of, week_number
from ..compliance import CatalogFrames, case_timeline
from ..compliance.applicants import applicant_hashes
from ..models import AuditRecord, Case, CorrectionRequest, Visit
from ..models.types import as_stored
from . import audit, backlog as backlog_store, cells as cells_store, evidence
from .reading import read_frame
from .sets import one_of, plain

CHUNK = 5000
VISIT_COLUMNS = ["visit_id", "case_pk", "office_code", "service_code", "staff_id", "applicant_hash",
                 "ticket_at", "called_at", "finished_at", "action", "documents_requested",
                 "refusal_ground", "forwarded_to", "source", "override_reason", "recorded_at",
                 "late_reason", "local_day", "week"]
TIMESTAMPS = ("ticket_at", "called_at", "finished_at")

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class ImportResult:
    inserted: int
    already_present: int
    cases_touched: int
    case_pks: tuple[int, ...] = ()  # the cases this import created or re-timed
    consult_pks: tuple[int, ...] = ()  # the new visits outside any case
    # Every visit of those cases and the new consults as ``visits_frame`` reads them, held in
    # memory so that the re-check after the import need not read back what it just wrote.
    visits: pd.DataFrame | None = field(default=None, compare=False, repr=False)


def chunks(values: list, size: int = CHUNK) -> Iterable[list]:
    for start in range(0, len(values), size):
        yield values[start:start + size]


def _existing(session: Session, column, values: Iterable) -> dict:
    """Map each of ``values`` found in ``column`` to its row id (one statement, one parameter)."""
    values = plain(values)
    if not values:
        return {}
    key = Case.id if column.class_ is Case else Visit.id
    return dict(session.execute(select(column, key).where(one_of(session, column, values))).all())


def _driver(connection: Connection) -> Any:
    """The driver's own connection: psycopg's (COPY, cursors as context managers) or sqlite3's
    (executemany over any iterable), more than the DB-API types SQLAlchemy gives it describe."""
    return connection.connection.dbapi_connection


INSERT_SLICE = 100_000  # rows per COPY or executemany (memory stays that of one slice)


def bulk_insert(session: Session, table: str, columns: list[str], frame: pd.DataFrame,
                progress: Progress | None = None) -> None:
    """Insert many rows fast, in the open transaction: PostgreSQL ``COPY`` of CSV text that
    Arrow writes (no Python step per row), SQLite one prepared INSERT run over columns made
    Python values column by column.

    Timestamp columns may be tz-aware datetimes or text the database reads. Another column
    is written by adding it to ``columns`` (and to ``frame``): nothing here names one.
    """
    connection = session.connection()
    dialect = connection.dialect.name
    raw = _driver(connection)
    kinds = _column_kinds(raw, table, columns) if dialect == "postgresql" else {}
    total = len(frame)
    for start in range(0, total, INSERT_SLICE):
        part = frame.iloc[start:start + INSERT_SLICE]
        if dialect == "postgresql":
            with raw.cursor() as cursor:
                # Table and column names are this module's constants, never user input.
                with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN (FORMAT csv)") as copy:
                    copy.write(_copy_csv(part, columns, kinds))
        else:
            placeholders = ", ".join("?" for _ in columns)
            statement = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({placeholders})"  # nosec B608
            cursor = raw.cursor()
            cursor.executemany(statement, zip(*(_sqlite_values(part[c]) for c in columns)))
            cursor.close()
        if progress:
            progress(min(start + INSERT_SLICE, total), total)


def _copy_csv(part: pd.DataFrame, columns: list[str], kinds: dict) -> bytes:
    """PostgreSQL: rows as the CSV text COPY reads, written by Arrow: every text quoted (so
    that "" is empty text), NULL unquoted and empty; timestamps in UTC with microseconds."""
    arrays = []
    for column in columns:
        values, kind = part[column], kinds[column][1]
        if kind == "timestamp":
            if not isinstance(values.dtype, pd.DatetimeTZDtype):
                values = pd.to_datetime(values.astype(object), utc=True, format="ISO8601")
            arrays.append(_utc_text(values, "+00:00"))
        elif kind == "int":
            arrays.append(pa.array(values.astype("Int64").array, type=pa.int64()))
        elif kind == "bool":
            arrays.append(pa.array(values.astype("boolean").array, type=pa.bool_()))
        else:
            arrays.append(_text_array(values))
    table = pa.Table.from_arrays(arrays, names=[f"c{n}" for n in range(len(columns))])
    sink = pa.BufferOutputStream()
    pa_csv.write_csv(table, sink, pa_csv.WriteOptions(include_header=False, quoting_style="needed"))
    return sink.getvalue().to_pybytes()


def _text_array(values: pd.Series) -> pa.Array:
    """A text column as an Arrow string array (None, NaN and NA as null)."""
    if isinstance(values.dtype, pd.StringDtype) or str(values.dtype) in ("str", "string"):
        return pa.array(values.array, type=pa.string(), from_pandas=True)
    # pandas accepts None as na_value; pandas-stubs type na_value as a scalar that excludes None.
    objects = values.to_numpy(dtype=object, na_value=None)  # type: ignore[call-overload]
    try:
        return pa.array(objects, type=pa.string(), from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError):  # numbers or other values in a text column
        return pa.array([None if value is None or value != value else str(value) for value in objects],
                        type=pa.string())


def _column_kinds(raw, table: str, columns: list[str]) -> dict[str, tuple[int, str]]:
    """PostgreSQL: each column's type oid and kind (timestamp, int, bool, text)."""
    with raw.cursor() as cursor:
        cursor.execute("SELECT a.attname, a.atttypid, t.typname FROM pg_attribute a "
                       "JOIN pg_type t ON t.oid = a.atttypid WHERE a.attrelid = %s::regclass AND a.attnum > 0",
                       (table,))
        found = {name: (int(oid), typname) for name, oid, typname in cursor.fetchall()}
    kind = {"timestamptz": "timestamp", "timestamp": "timestamp", "int2": "int", "int4": "int",
            "int8": "int", "bool": "bool"}
    return {c: (found[c][0], kind.get(found[c][1], "text")) for c in columns}


def _sqlite_values(values: pd.Series) -> list:
    """SQLite: one column as the driver's Python values, None where missing; moments as the
    UTC text UTCDateTime reads back, formatted by Arrow in one pass."""
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        return _utc_text(values).to_pylist()
    # pandas accepts None as na_value; pandas-stubs type na_value as a scalar that excludes None.
    return values.to_numpy(dtype=object, na_value=None).tolist()  # type: ignore[call-overload]


def _utc_text(values: pd.Series, suffix: str = "") -> pa.Array:
    """tz-aware moments as UTC text ``YYYY-MM-DD HH:MM:SS.ffffff`` (then ``suffix``), null where
    missing: Arrow's cast to text, several times faster than any strftime."""
    moments = pc.cast(pa.array(values.dt.tz_convert("UTC").array), pa.timestamp("us", "UTC"), safe=False)
    text = moments.cast(pa.timestamp("us")).cast(pa.string())
    return pc.binary_join_element_wise(text, pa.scalar(suffix), "") if suffix else text


def lock_case(session: Session, case_number: str | None = None, *, case_pk: int | None = None) -> None:
    """Hold the case's row until the transaction ends, before anything of it is read: two
    desks saving a visit of one case (or a desk and a supervisor's approved correction) are
    checked and saved one after the other, the second on the case as the first left it
    (``tests/test_concurrent_case.py``)."""
    table = Case.__table__
    _lock(session, table, table.c.id == case_pk if case_pk is not None else table.c.case_number == case_number)


def lock_correction_request(session: Session, request_id: int) -> None:
    """Hold a correction request until the transaction ends: one supervisor decides it."""
    table = CorrectionRequest.__table__
    _lock(session, table, table.c.id == request_id)


def _lock(session: Session, table, condition) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(table.c.id).where(condition).with_for_update())
    else:  # SQLite has one writer at a time: take the write lock now, not after the reads
        session.execute(update(table).where(condition).values(id=table.c.id))


CASE_TIMELINE = ["first_visit_at", "accepted_at", "due_at", "completed_at", "withdrawn_at"]
CASE_COLUMNS = ["case_number", "service_code", "office_code", *CASE_TIMELINE, "outcome"]


def import_visits(session: Session, visits: pd.DataFrame, *, hash_key: str, source: str,
                  frames: CatalogFrames, calendar: WorkingCalendar,
                  progress: Progress | None = None, actor: str = "import",
                  now: dt.datetime | None = None) -> ImportResult:
    """Store parsed visits (compliance.parse_visits) that are not stored yet, with their cases.

    Idempotent on visit_id: a visit already stored is neither updated nor duplicated. New
    cases are inserted with their timeline already computed; cases that had stored visits
    are re-timed from all their visits, old and new. Every row keeps the server time it
    was written (``recorded_at``). An import is one audit record carrying the ordered
    digest of every visit and case it wrote (monitor.stores.evidence).
    """
    now = now or dt.datetime.now(dt.UTC)
    present = _existing(session, Visit.visit_id, visits["visit_id"].unique())
    new = visits[~visits["visit_id"].isin(present)]
    if new.empty:
        return ImportResult(0, len(visits), 0)

    case_numbers = new["case_id"].dropna().unique().tolist()
    case_pks = _existing(session, Case.case_number, case_numbers)
    stored = visits_frame(session, frames, calendar.timezone_name, list(case_pks.values())) \
        if case_pks else None
    in_case = new["case_id"].notna().to_numpy()
    in_cases = new[in_case]
    combined = (in_cases if stored is None else pd.concat([stored, in_cases], ignore_index=True)) \
        .reset_index(drop=True)
    timelines = case_timeline(combined, frames, calendar).rename(columns={"case_id": "case_number"})
    # The new rows' ids are taken before they are written (the write lock held on SQLite), so
    # that cases are written once with their defining visits, and nothing is looked up again.
    lock_for_writing(session, "cases")
    _cache_for_bulk_writes(session, len(new))
    visit_pks = new_ids(session, "visits", len(new))
    combined_pks = visit_pks[in_case] if stored is None else \
        np.concatenate([stored["visit_pk"].to_numpy(dtype="int64"), visit_pks[in_case]])
    defining = _defining_visit_pks(timelines, combined_pks)
    is_fresh = ~timelines["case_number"].isin(case_pks).to_numpy()
    fresh = timelines[is_fresh].assign(**{c: defining.loc[is_fresh, c].array for c in DEFINING})
    fresh_pks = new_ids(session, "cases", len(fresh))
    # Every column of the new cases is written (a check code comes only from a desk's receipt),
    # so that their row digests are computed from what was written, not read back.
    fresh_rows = fresh[[*CASE_COLUMNS, *DEFINING]].assign(id=fresh_pks, check_code_hash=None)
    if len(fresh):
        bulk_insert(session, "cases", ["id", *CASE_COLUMNS, *DEFINING], fresh_rows[["id", *CASE_COLUMNS, *DEFINING]])
        case_pks.update(zip(fresh["case_number"].tolist(), fresh_pks.tolist()))
    _update_cases(session, timelines[~is_fresh], case_pks, calendar.timezone_name)

    rows = pd.DataFrame({
        "id": visit_pks,
        "visit_id": new["visit_id"].to_numpy(),
        "case_pk": new["case_id"].map(case_pks).astype("Int64").array,
        "office_code": new["office_code"].to_numpy(), "service_code": new["service_code"].to_numpy(),
        "staff_id": new["staff_id"].to_numpy(),
        "applicant_hash": applicant_hashes(new["applicant_ref"].fillna(""), hash_key).to_numpy(),
        "action": new["action"].to_numpy(), "documents_requested": new["documents_requested"].fillna("").to_numpy(),
        "refusal_ground": new["refusal_ground"].replace("", None).to_numpy(),
        "forwarded_to": new["forwarded_to"].replace("", None).to_numpy(),
        "source": source,
        "override_reason": new["override_reason"].to_numpy() if "override_reason" in new else None,
        "recorded_at": pd.Series(pd.Timestamp(now).tz_convert("UTC"), index=range(len(new))),
        "late_reason": new["late_reason"].to_numpy() if "late_reason" in new else None,
    })
    for column in TIMESTAMPS:  # tz-aware moments keep their dtype (to_numpy() gives objects)
        rows[column] = new[column].reset_index(drop=True)
    days = local_day_numbers(new["called_at"], calendar.timezone_name) if len(new) else np.array([], "int64")
    rows["local_day"] = days
    rows["week"] = week_number(days)
    with _indexes_built_after(session, "visits", len(rows)):
        bulk_insert(session, "visits", ["id", *VISIT_COLUMNS], rows[["id", *VISIT_COLUMNS]], progress)
    _store_defining_pks(session, defining[~is_fresh], case_pks)  # the stored cases re-timed
    if source != "desk":  # a desk visit gets its own, more detailed record
        audit.record(session, actor, "import", "visits", source,
                     new={"inserted": len(new), "already_present": len(visits) - len(new),
                          "cases": len(case_numbers)},
                     rows={"visit": visit_pks.tolist(), "case": list(case_pks.values())},
                     written={"visit": visit_pks.tolist(), "case": fresh_pks.tolist()},
                     known=pd.concat([evidence.of_written("visit", rows),
                                      evidence.of_written("case", fresh_rows.reset_index(drop=True))],
                                     ignore_index=True))
    consult_pks = tuple(sorted(visit_pks[new["case_id"].isna().to_numpy()].tolist()))
    written = _as_read(rows, new)
    held = written if stored is None else pd.concat([stored, written], ignore_index=True)
    return ImportResult(len(new), len(visits) - len(new), len(case_numbers),
                        tuple(sorted(int(pk) for pk in case_pks.values())), consult_pks,
                        held.sort_values("visit_pk", kind="stable").reset_index(drop=True))


def _as_read(rows: pd.DataFrame, parsed: pd.DataFrame) -> pd.DataFrame:
    """Visits just written (``rows``, from the ``parsed`` file rows) as ``visits_frame`` would
    read them back: applicants as their keyed hashes, times to the microsecond stored."""
    frame = pd.DataFrame({
        "visit_pk": rows["id"].to_numpy(dtype="int64"), "visit_id": rows["visit_id"].to_numpy(),
        "case_pk": rows["case_pk"].to_numpy(dtype="float64", na_value=np.nan),
        "case_id": parsed["case_id"].to_numpy(dtype=object),
        "office_code": rows["office_code"].to_numpy(), "service_code": rows["service_code"].to_numpy(),
        "staff_id": rows["staff_id"].to_numpy(), "applicant_ref": rows["applicant_hash"].to_numpy(),
    })
    for column in TIMESTAMPS:
        frame[column] = rows[column].dt.tz_convert("UTC").dt.floor("us").array
    frame["action"] = rows["action"].to_numpy()
    for column, source in (("documents_requested", rows), ("refusal_ground", rows), ("forwarded_to", rows),
                           ("applicant_ref", frame)):
        frame[column] = pd.Series(source[column].to_numpy(dtype=object), dtype=object).fillna("").to_numpy()
    frame["case_id"] = frame["case_id"].astype(object).where(frame["case_id"].notna(), None)
    frame["stored_day"] = rows["local_day"].to_numpy(dtype="int64")
    frame["day"] = parsed["day"].to_numpy(dtype="int64")
    frame["version"] = parsed["version"].to_numpy(dtype="int64")
    return frame


COMPARED = ["case_id", "office_code", "service_code", "staff_id", "applicant_ref", "ticket_at", "called_at",
            "finished_at", "action", "documents_requested", "refusal_ground", "forwarded_to"]


def stored_differences(session: Session, visits: pd.DataFrame, hash_key: str) -> pd.DataFrame:
    """Rows of a file whose visit_id is stored with other content: ``line``, ``visit_id`` and
    ``fields`` (the columns that differ, comma-separated).

    A stored visit is evidence: a re-import never changes it (import_visits keeps it as it
    is) and must not pass silently as "already present" either; it is changed only by a
    correction. A value a recorded correction replaced (the file still holding what the
    visit said before it was corrected) is not a difference.
    """
    ids = visits["visit_id"].astype(str).unique()
    if not len(ids):
        return pd.DataFrame(columns=["line", "visit_id", "fields"])
    # One statement, the file's visit_ids one bind parameter; moments as stored, parsed a
    # column at a time below.
    query = select(Visit.visit_id, Case.case_number.label("case_id"), Visit.office_code, Visit.service_code,
                   Visit.staff_id, Visit.applicant_hash.label("applicant_ref"), as_stored(Visit.ticket_at),
                   as_stored(Visit.called_at), as_stored(Visit.finished_at), Visit.action,
                   Visit.documents_requested, Visit.refusal_ground, Visit.forwarded_to) \
        .outerjoin(Case, Visit.case_pk == Case.id).where(one_of(session, Visit.visit_id, ids))
    stored = read_frame(session.connection(), query)
    if stored.empty:
        return pd.DataFrame(columns=["line", "visit_id", "fields"])
    file = visits[visits["visit_id"].isin(stored["visit_id"])].copy()
    file["applicant_ref"] = applicant_hashes(file["applicant_ref"].fillna(""), hash_key)
    both = file.merge(stored, on="visit_id", suffixes=("", "_stored"))
    corrected = _corrected_values(session, both["visit_id"].tolist())

    def same(column: str) -> pd.Series:
        mine, theirs = both[column], both[column + "_stored"]
        if column in TIMESTAMPS:
            mine = pd.to_datetime(mine, utc=True, format="ISO8601")
            theirs = pd.to_datetime(theirs, utc=True, format="ISO8601")
            return (mine == theirs) | (mine.isna() & theirs.isna())
        if column == "documents_requested":
            mine, theirs = mine.map(_document_tokens), theirs.map(_document_tokens)
        else:
            mine = mine.astype(object).where(mine.notna(), "").astype(str).str.strip()
            theirs = theirs.astype(object).where(theirs.notna(), "").astype(str).str.strip()
        return pd.Series(mine.to_numpy() == theirs.to_numpy(), index=both.index)

    differing = pd.DataFrame({column: ~same(column) for column in COMPARED}, index=both.index)
    at = {column: index for index, column in enumerate(differing.columns)}
    for position, visit_id in enumerate(both["visit_id"]):
        for column, olds in corrected.get(visit_id, {}).items():
            if column in at and differing.iat[position, at[column]] \
                    and _normal(column, both[column].iat[position]) in olds:
                differing.iat[position, at[column]] = False
    # The differing columns' names, comma-separated, column by column (a re-imported export
    # holds every row of the day before: no per-row Python).
    named = np.full(len(differing), "", dtype=object)
    for column in COMPARED:
        named = named + np.where(differing[column].to_numpy(dtype=bool), column + ", ", "")
    found = pd.DataFrame({"line": both["line"].to_numpy(), "visit_id": both["visit_id"].to_numpy(),
                          "fields": [text[:-2] for text in named]})
    return found[found["fields"] != ""].sort_values("line").reset_index(drop=True)


def _document_tokens(value) -> tuple:
    return tuple(t.strip() for t in (value if isinstance(value, str) else "").split(";") if t.strip())


def _normal(column: str, value):
    """A value as the comparison of a file with a visit's corrections sees it."""
    if column in TIMESTAMPS:
        return None if value is None or pd.isna(value) else pd.Timestamp(value).tz_convert("UTC")
    if column == "documents_requested":
        return _document_tokens(value)
    return "" if value is None or (isinstance(value, float) and np.isnan(value)) else str(value).strip()


def _corrected_values(session: Session, visit_ids: list[str]) -> dict[str, dict[str, set]]:
    """Per visit, the values its applied corrections replaced (from their audit records)."""
    found: dict[str, dict[str, set]] = {}
    wanted = sorted(set(visit_ids))
    if not wanted:
        return found
    records = session.execute(select(AuditRecord.entity_id, AuditRecord.old_values).where(
        AuditRecord.entity == "visit", AuditRecord.action == "correct",
        one_of(session, AuditRecord.entity_id, wanted)))  # one statement, the ids one bind parameter
    for visit_id, old in records:
        for column, value in (old or {}).items():
            if column in TIMESTAMPS and value:
                value = pd.Timestamp(value)
            found.setdefault(visit_id, {}).setdefault(column, set()).add(_normal(column, value))
    return found


def lock_for_writing(session: Session, table: str) -> None:
    """SQLite: take the database's write lock now (a write that changes no row), so that the
    ids read next stay free until the commit. PostgreSQL's sequences need no lock."""
    connection = session.connection()
    if connection.dialect.name == "sqlite":
        connection.execute(text(f"UPDATE {table} SET id = id WHERE id < 0"))  # nosec B608


BULK_CACHE_FROM = 50_000  # rows: a larger import keeps more of the indexes it updates in memory
BULK_CACHE_KIB = 256 * 1024


def _cache_for_bulk_writes(session: Session, rows: int) -> None:
    """SQLite: a large import into a large database updates its indexes at random places; a
    page cache of 256 MiB for this connection keeps them in memory instead of re-reading pages."""
    connection = session.connection()
    if rows >= BULK_CACHE_FROM and connection.dialect.name == "sqlite":
        connection.exec_driver_sql(f"PRAGMA cache_size=-{BULK_CACHE_KIB}")


def new_ids(session: Session, table: str, count: int) -> np.ndarray:
    """Ids for ``count`` rows about to be written: taken from the table's sequence on PostgreSQL,
    after the largest id on SQLite (whose write lock this transaction holds)."""
    if not count:
        return np.array([], dtype="int64")
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        ids = connection.execute(text("SELECT nextval(pg_get_serial_sequence(:t, 'id')) FROM generate_series(1, :n)"),
                                 {"t": table, "n": count}).scalars().all()
        return np.asarray(ids, dtype="int64")
    largest = connection.execute(text(f"SELECT COALESCE(MAX(id), 0) FROM {table}")).scalar_one()  # nosec B608
    return np.arange(largest + 1, largest + 1 + count, dtype="int64")


DEFINING = ["accepting_visit_pk", "completing_visit_pk", "visit_count"]


def _defining_visit_pks(timelines: pd.DataFrame, visit_pks: np.ndarray) -> pd.DataFrame:
    """Per case, the pk of its accepting and completing visit (<NA> if none) and its visit count,
    from the rows of the visits the timelines were computed from and those rows' pks."""
    def pick(rows: pd.Series) -> pd.arrays.IntegerArray:
        positions = rows.to_numpy(dtype="int64")
        found = np.zeros(len(positions), dtype="int64")
        found[positions >= 0] = visit_pks[positions[positions >= 0]]
        return pd.arrays.IntegerArray(found, positions < 0)
    return pd.DataFrame({"case_number": timelines["case_number"].to_numpy(),
                         "accepting_visit_pk": pick(timelines["accepting_row"]),
                         "completing_visit_pk": pick(timelines["completing_row"]),
                         "visit_count": timelines["visit_count"].to_numpy(dtype="int64")},
                        index=timelines.index)


def _store_defining_pks(session: Session, defining: pd.DataFrame, case_pks: dict) -> None:
    """Write each case's accepting/completing visit pk and visit count (after its visits exist):
    one set-based statement on PostgreSQL, one prepared UPDATE over plain tuples on SQLite."""
    if defining.empty:
        return
    case = [int(case_pks[number]) for number in defining["case_number"].tolist()]
    accepting, completing = (defining[c].astype(object).where(defining[c].notna(), None).tolist()
                             for c in DEFINING[:2])
    count = defining["visit_count"].astype(int).tolist()
    connection = session.connection()
    raw = _driver(connection)
    if connection.dialect.name == "postgresql":
        with raw.cursor() as cursor:
            cursor.execute(
                "UPDATE cases SET accepting_visit_pk = u.a, completing_visit_pk = u.c, visit_count = u.n "
                "FROM unnest(%s::bigint[], %s::bigint[], %s::bigint[], %s::bigint[]) AS u(pk, a, c, n) "
                "WHERE cases.id = u.pk", (case, accepting, completing, count))
        return
    cursor = raw.cursor()
    cursor.executemany("UPDATE cases SET accepting_visit_pk = ?, completing_visit_pk = ?, visit_count = ? "
                       "WHERE id = ?", list(zip(accepting, completing, count, case)))
    cursor.close()


REBUILD_INDEXES_FROM = 100_000  # rows: a larger import into a smaller table rebuilds indexes


@contextmanager
def _indexes_built_after(session: Session, table: str, rows: int):
    """An import of many rows into a smaller table: drop the table's secondary (non-unique)
    indexes, insert, then build each index again in one sort instead of one B-tree descent
    per row. All in the import's transaction: killed at any moment, nothing changes. On
    PostgreSQL the dropped indexes lock the table for other sessions until the commit.
    """
    if rows < REBUILD_INDEXES_FROM:  # a desk's visit, a small file: nothing to rebuild
        yield
        return
    connection = session.connection()
    postgres = connection.dialect.name == "postgresql"
    present = connection.execute(
        text("SELECT reltuples FROM pg_class WHERE relname = :t") if postgres
        else text(f"SELECT count(*) FROM {table}"), {"t": table}).scalar() or 0  # nosec B608
    if rows < present:
        yield
        return
    query = ("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = :t "
             "AND indexdef NOT LIKE 'CREATE UNIQUE%'") if postgres else \
        ("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = :t "
         "AND sql IS NOT NULL AND sql NOT LIKE 'CREATE UNIQUE%'")
    indexes = connection.execute(text(query), {"t": table}).all()
    for name, _ in indexes:
        connection.execute(text(f'DROP INDEX "{name}"'))
    yield
    for _, definition in indexes:
        connection.execute(text(definition))


def _update_cases(session: Session, timelines: pd.DataFrame, case_pks: dict, timezone: str) -> int:
    """Write recomputed timelines of stored cases (few per import; many after a calendar change):
    one statement over arrays on PostgreSQL, one prepared UPDATE over plain tuples on SQLite.
    The weeks a case's acceptance or completion left and entered, and those whose open and
    overdue count it moved, are marked stale (cells.mark_case_moves)."""
    if timelines.empty:
        return 0
    columns = ["outcome", "service_code", "office_code", *CASE_TIMELINE]
    pks = [int(case_pks[number]) for number in timelines["case_number"].tolist()]
    connection = session.connection()
    moments = ["accepted_at", "due_at", "completed_at", "withdrawn_at"]
    before = pd.DataFrame(connection.execute(select(Case.id, *[getattr(Case, c) for c in moments], Case.office_code)
                                             .where(one_of(session, Case.id, pks))).all(),
                          columns=["id", *moments, "office_code"]).set_index("id")
    before = before.reindex(pks)
    cells_store.mark_case_moves(session, pks, before, timelines[[*moments, "office_code"]], timezone)
    # A case now first visited in another office takes its findings to that office's backlogs.
    moved = before.index[before["office_code"].to_numpy() != timelines["office_code"].to_numpy()]
    with backlog_store.tracking(session, backlog_store.findings_of_cases(session, moved)):
        _write_cases(connection, timelines, columns, pks)
    return len(pks)


def _write_cases(connection: Connection, timelines: pd.DataFrame, columns: list[str], pks: list[int]) -> None:
    """The timelines' ``columns`` written to the cases ``pks`` (aligned by row)."""
    raw = _driver(connection)
    if connection.dialect.name == "postgresql":
        values = [timelines[c].astype(object).where(timelines[c].notna(), None).tolist() for c in columns[:3]]
        values += [_utc_text(timelines[c], "+00:00").to_pylist() for c in CASE_TIMELINE]
        casts = ", ".join(f"%s::{'timestamptz' if c in CASE_TIMELINE else 'text'}[]" for c in columns)
        with raw.cursor() as cursor:
            cursor.execute(f"UPDATE cases SET {', '.join(f'{c} = u.{c}' for c in columns)} "  # nosec B608
                           f"FROM unnest(%s::bigint[], {casts}) AS u(pk, {', '.join(columns)}) "
                           "WHERE cases.id = u.pk", (pks, *values))
        return
    values = [_sqlite_values(timelines[c]) for c in columns]
    cursor = raw.cursor()
    cursor.executemany(f"UPDATE cases SET {', '.join(f'{c} = ?' for c in columns)} WHERE id = ?",  # nosec B608
                       zip(*values, pks))
    cursor.close()


def visits_frame(session: Session, frames: CatalogFrames, timezone: str,
                 case_pks: Iterable[int] | None = None,
                 visit_pks: Iterable[int] | None = None, *, known: pd.DataFrame | None = None) -> pd.DataFrame:
    """Stored visits as the engine's frame (case_id is the public case number).

    All visits by default; with ``case_pks``/``visit_pks``, the visits of those cases and
    those visits only. ``known``: stored visits the caller holds in this frame's shape (an
    import's, ``ImportResult.visits``: every visit of its cases): taken as they are, and
    only the others read.
    """
    query = select(
        Visit.id.label("visit_pk"), Visit.visit_id, Visit.case_pk, Case.case_number.label("case_id"),
        Visit.office_code, Visit.service_code, Visit.staff_id,
        # The integrity rules link an applicant's visits by the keyed hash: the clear ref is
        # never stored, and one ref always gives the same hash.
        Visit.applicant_hash.label("applicant_ref"),
        # Moments as the driver's text, parsed below in one pass (not one datetime per value).
        *(type_coerce(getattr(Visit, column), String).label(column) for column in TIMESTAMPS),
        Visit.action, Visit.documents_requested, Visit.refusal_ground,
        Visit.forwarded_to, Visit.local_day.label("stored_day"),
    ).outerjoin(Case, Visit.case_pk == Case.id).order_by(Visit.id)
    connection = session.connection()
    held_pks = known["visit_pk"].to_numpy(dtype="int64") if known is not None else np.array([], "int64")
    if known is not None:
        held_cases = set(known["case_pk"].dropna().astype("int64").tolist())
        case_pks = None if case_pks is None and visit_pks is None else \
            set(case_pks or ()) - held_cases
        visit_pks = None if case_pks is None else set(visit_pks or ()) - set(held_pks.tolist())
        if len(held_pks) and case_pks is None \
                and session.scalar(select(func.count()).select_from(Visit)) == len(held_pks):
            case_pks, visit_pks = set(), set()  # every stored visit is held: nothing to read
    if case_pks is None and visit_pks is None:
        parts = [read_frame(connection, query)]
    else:
        parts = [read_frame(connection, query.where(false()))]
        parts += [read_frame(connection, query.where(one_of(session, column, pks)))
                  for column, pks in ((Visit.case_pk, set(case_pks or ())), (Visit.id, set(visit_pks or ())))
                  if pks]
    if known is not None and len(known):
        # The visits held are left out here, not in SQL (see with_applicants).
        read = pd.concat(parts, ignore_index=True)
        read = read[~np.isin(read["visit_pk"].to_numpy(dtype="int64"), held_pks)]
        for column in TIMESTAMPS:
            read[column] = pd.to_datetime(read[column], utc=True, format="ISO8601")
        parts = [known.drop(columns=["day", "version"], errors="ignore"), read] if len(read) else \
            [known.drop(columns=["day", "version"], errors="ignore")]
    # The empty parts left out: an empty part's object columns would make the moments that
    # PostgreSQL's driver gave as datetime64 objects again, parsed one by one below.
    parts = [part for part in parts if len(part)] or parts[:1]
    frame = pd.concat(parts, ignore_index=True).drop_duplicates("visit_pk") \
        .sort_values("visit_pk").reset_index(drop=True)
    for column in TIMESTAMPS:  # one dtype whatever the driver gave: an import concatenates it with its own rows
        if isinstance(frame[column].dtype, pd.DatetimeTZDtype):
            frame[column] = frame[column].dt.tz_convert("UTC").dt.as_unit("ns")
        else:
            frame[column] = pd.to_datetime(frame[column], utc=True, format="ISO8601")
    for column in ("documents_requested", "refusal_ground", "forwarded_to", "applicant_ref"):
        frame[column] = frame[column].fillna("").astype(object)
    frame["case_id"] = frame["case_id"].astype(object).where(frame["case_id"].notna(), None)
    if frame.empty:
        frame["day"] = np.array([], dtype="int64")
        frame["version"] = np.array([], dtype="int64")
        return frame
    frame["day"] = local_day_numbers(frame["called_at"], timezone)
    frame["version"] = frames.version_in_force(frame["service_code"], frame["day"].to_numpy())
    return frame


def with_applicants(session: Session, case_pks: Iterable[int] | None,
                    visit_pks: Iterable[int] | None, *, known: pd.DataFrame | None = None
                    ) -> tuple[list[int], list[int]]:
    """The given cases and visits plus every case and consult of their applicants: what
    judging them needs, and what a change of them can judge differently.

    The integrity rules link an applicant's consults and cases (INFORMAL_RETURN,
    REOPENED_AFTER_WITHDRAWAL), and a case's applicant is the ref of its first visit that has
    one. So the set holds, for every applicant of a given visit, that applicant's cases and
    consults (``applicant_groups``): each case in it is judged with its own applicant's cases
    and consults, as judging everything would judge it.
    ``known`` (``visits_frame``'s shape) holds every visit of the given cases and the given
    visits: their applicants are taken from it, and only the other stored visits looked up.
    """
    case_pks, visit_pks = sorted(set(case_pks or ())), sorted(set(visit_pks or ()))
    if known is not None:
        applicants = set(known["applicant_ref"].dropna().unique().tolist())
    else:
        applicants = _applicants_of(session, Visit.case_pk, case_pks) | _applicants_of(session, Visit.id, visit_pks)
    applicants.discard("")
    cases, consults = applicant_groups(session, applicants, known=known)
    return sorted(set(case_pks) | set(cases)), sorted(set(visit_pks) | set(consults))


def applicant_groups(session: Session, applicants: Iterable[str], *, known: pd.DataFrame | None = None
                     ) -> tuple[list[int], list[int]]:
    """The cases whose applicant is one of ``applicants`` (keyed hashes), and their consults.

    No other case's findings read theirs, and theirs read no other's: an applicant's group is
    judged alone. A case reached through a later visit of another applicant is not that
    applicant's: judged with that group alone, without its own applicant's consults, its
    findings would stop for nothing. ``known``: visits held already (``with_applicants``), left
    out of the read; their cases are the caller's own.
    """
    applicants = set(applicants)
    cases, consults = _cases_and_consults(_visits_of(session, applicants, known))
    return _own_cases(session, cases, applicants), consults


def _applicants_of(session: Session, column, pks: list[int]) -> set[str]:
    """The refs (keyed hashes) on the visits whose ``column`` is one of ``pks``: one statement,
    the set one bind parameter, whatever its size."""
    if not pks:
        return set()
    return set(session.scalars(select(Visit.applicant_hash).distinct().where(
        one_of(session, column, pks), Visit.applicant_hash.is_not(None), Visit.applicant_hash != "")))


def _visits_of(session: Session, applicants: set[str], known: pd.DataFrame | None = None) -> pd.DataFrame:
    """(``id``, ``case_pk``) of the stored visits of these applicants, but those ``known`` holds."""
    if not applicants:
        return pd.DataFrame({"id": pd.Series([], dtype="int64"), "case_pk": pd.Series([], dtype="float64")})
    found = read_frame(session.connection(), select(Visit.id, Visit.case_pk).where(
        one_of(session, Visit.applicant_hash, applicants)))
    if known is not None and len(known):
        # The visits held are left out here, not in SQL: PostgreSQL tests "id <> ALL(array)" row by
        # row against the whole array, which grew with the square of the file (19 s for 100k visits).
        found = found[~np.isin(found["id"].to_numpy(dtype="int64"), known["visit_pk"].to_numpy(dtype="int64"))]
    return found


def _own_cases(session: Session, cases: list[int], applicants: set[str], read: pd.Series | None = None) -> list[int]:
    """Those of ``cases`` whose applicant is one of ``applicants`` (``read``: the applicants of
    some of them, already read)."""
    unread = cases if read is None else np.asarray(cases, dtype="int64")[
        ~np.isin(np.asarray(cases, dtype="int64"), read.index.to_numpy())].tolist()
    own = case_applicants(session, unread)
    if read is not None:
        own = pd.concat([read, own])
    return sorted(own.index[own.isin(list(applicants))].tolist())


def case_applicants(session: Session, case_pks: list[int]) -> pd.Series:
    """Each case's applicant (by case key; cases without one left out): the keyed hash of its
    first visit that has one, first by called_at, then finished_at, then key -- the order the
    engine meets a stored case's visits in (compliance.timeline.case_timeline over
    ``visits_frame``, read by key; tests/test_sweep_slices.py holds the two to the same
    findings)."""
    if not case_pks:
        return pd.Series([], dtype=object)
    rows = read_frame(session.connection(), select(
        Visit.case_pk, as_stored(Visit.called_at), as_stored(Visit.finished_at), Visit.id, Visit.applicant_hash).where(
        one_of(session, Visit.case_pk, case_pks), Visit.applicant_hash.is_not(None), Visit.applicant_hash != ""))
    for column in ("called_at", "finished_at"):
        rows[column] = pd.to_datetime(rows[column], utc=True, format="ISO8601")
    first = rows.sort_values(["case_pk", "called_at", "finished_at", "id"], kind="stable").drop_duplicates("case_pk")
    return pd.Series(first["applicant_hash"].to_numpy(dtype=object), index=first["case_pk"].to_numpy(dtype="int64"))


SLICE_CASES = 50_000  # cases a slice of a whole sweep starts from (with their applicants' groups)


def applicant_slices(session: Session, size: int | None = None) -> Iterator[tuple[list[int], list[int]]]:
    """Every stored case and consult once, as slices of (cases, consults) that judging one at a
    time judges as judging all at once would: a slice is the applicant groups
    (``applicant_groups``) of about ``size`` cases not yet given, with those of them that have
    no applicant; then the consults no case's applicant reached, grouped alike. Groups share no
    case and no consult, so neither do slices. What a whole sweep holds at a time follows the
    slice, not the history."""
    size = size or SLICE_CASES
    given = {table: np.zeros((session.scalar(select(func.max(table.id))) or 0) + 1, dtype=bool)
             for table in (Case, Visit)}

    def not_given(table, pks) -> np.ndarray:
        pks = np.asarray(pks, dtype="int64")
        inside = pks < len(given[table])  # a visit saved meanwhile is past the end
        return pks[~inside | ~given[table][np.where(inside, pks, 0)]]

    def give(table, pks: list[int]) -> None:
        pks_array = np.asarray(pks, dtype="int64")
        given[table][pks_array[pks_array < len(given[table])]] = True

    for table, starts in ((Case, select(Case.id)), (Visit, select(Visit.id).where(Visit.case_pk.is_(None)))):
        after = 0
        while pks := list(session.scalars(starts.where(table.id > after, table.id < len(given[table]))
                                          .order_by(table.id).limit(size))):
            after = pks[-1]
            if not len(fresh := not_given(table, pks)):
                continue
            # A case or consult without an applicant is a group of its own.
            first_refs: pd.Series | None = None  # the starting cases' applicants, read once
            if table is Case:
                first_refs = case_applicants(session, fresh.tolist())
                applicants = set(first_refs)
                alone_cases, alone_consults = fresh[~np.isin(fresh, first_refs.index.to_numpy())].tolist(), []
            else:
                applicants = _applicants_of(session, Visit.id, fresh.tolist())
                alone_cases, alone_consults = [], fresh.tolist()
            found_cases, consults = _cases_and_consults(_visits_of(session, applicants))
            # A case given already is another applicant's (its group was whole): it is not read again.
            cases = sorted(set(_own_cases(session, not_given(Case, found_cases).tolist(), applicants, first_refs))
                           | set(alone_cases))
            consults = sorted(set(consults) | set(alone_consults))
            give(Case, cases)
            give(Visit, consults)
            yield cases, consults


def _cases_and_consults(found: pd.DataFrame) -> tuple[list[int], list[int]]:
    """Of visits read as (``id``, ``case_pk``): their distinct cases, and the consults (no case)."""
    consult = found["case_pk"].isna().to_numpy()
    return (sorted(set(found["case_pk"].to_numpy(dtype="float64")[~consult].astype("int64").tolist())),
            sorted(found["id"].to_numpy(dtype="int64")[consult].tolist()))


def of_services(session: Session, first_days: Mapping[str, dt.date], timezone: str) -> tuple[list[int], list[int]]:
    """What a change of these services in the catalog can judge differently, each from its
    first day (``compliance.services_judged_differently``): the cases with a visit of one of
    them called or finished on that local day or later (a visit is judged by its day, a case's
    deadline by its acceptance day, the day its accepting visit finished), and such consults.
    One statement; the codes of each first day are one bind parameter."""
    by_day: dict[dt.date, list[str]] = {}
    for code, day in first_days.items():
        by_day.setdefault(day, []).append(code)
    if not by_day:
        return [], []
    reached = []
    for day, codes in sorted(by_day.items()):
        start = local_midnight_of(day, timezone)
        reached.append(one_of(session, Visit.service_code, sorted(codes))
                       & ((Visit.called_at >= start) | (Visit.finished_at >= start)))
    return _cases_and_consults(read_frame(session.connection(), select(Visit.id, Visit.case_pk).where(
        or_(*reached))))


# Rows a write adds before the planner's statistics of its tables are brought up to date in
# the same transaction (PostgreSQL: ``refresh_statistics``).
STATISTICS_AFTER_ROWS = 20_000


def refresh_statistics(session: Session, tables: Iterable[str], written: int) -> None:
    """PostgreSQL: ``ANALYZE`` these tables after a write of ``written`` rows, in the open
    transaction (it samples the rows the transaction wrote too), so that the statements that
    follow are planned for the tables as they now are. Planned for an empty or far smaller
    table, a look-up of tens of thousands of ids by ``= ANY`` was filtered row by row against
    the whole array: seconds per statement, quadratic in the import. SQLite plans without
    statistics; small writes change nothing worth the sampling."""
    if written < STATISTICS_AFTER_ROWS or session.get_bind().dialect.name != "postgresql":
        return
    names = sorted(set(tables))
    if not set(names) <= set(Visit.metadata.tables):  # the application's own tables only
        raise ValueError(f"not a table of the application: {names}")
    session.execute(text(f"ANALYZE {', '.join(names)}"))


def count(session: Session) -> int:
    """How many visits are stored (consults included)."""
    return session.scalar(select(func.count()).select_from(Visit)) or 0


def case_ids(session: Session) -> list[int]:
    """The key of every stored case, in order."""
    return list(session.scalars(select(Case.id).order_by(Case.id)))


def refresh_cases(session: Session, case_pks: list[int], frames: CatalogFrames,
                  calendar: WorkingCalendar) -> int:
    """Recompute the stored timeline of the given cases from their visits."""
    if not case_pks:
        return 0
    visits = visits_frame(session, frames, calendar.timezone_name, case_pks)
    timelines = case_timeline(visits, frames, calendar).rename(columns={"case_id": "case_number"})
    pk_of = visits.dropna(subset=["case_id"]).drop_duplicates("case_id").set_index("case_id")["case_pk"]
    refreshed = _update_cases(session, timelines, pk_of.to_dict(), calendar.timezone_name)
    _store_defining_pks(session, _defining_visit_pks(timelines, visits["visit_pk"].to_numpy(dtype="int64")),
                        pk_of.to_dict())
    _store_visit_days(session, visits)
    return refreshed


def _store_visit_days(session: Session, visits: pd.DataFrame) -> None:
    """Bring the stored local day and week of these visits in line with their called_at
    (a correction may have moved it; rows stored before migration 0005 have none)."""
    stale = visits[visits["stored_day"].to_numpy(dtype="float64", na_value=np.nan) != visits["day"].to_numpy()] \
        if len(visits) else visits
    if stale.empty:
        return
    weeks = week_number(stale["day"].to_numpy())
    table = Visit.__table__
    session.connection().execute(
        update(table).where(table.c.id == bindparam("pk")).values(
            local_day=bindparam("local_day"), week=bindparam("week")),
        [{"pk": int(pk), "local_day": int(day), "week": int(week)}
         for pk, day, week in zip(stale["visit_pk"], stale["day"], weeks)])


def refresh_all_cases(session: Session, frames: CatalogFrames, calendar: WorkingCalendar,
                      actor: str | None = None, reason: str = "", case_pks: list[int] | None = None) -> int:
    """Re-time every case after the calendar or the catalog changed (or ``case_pks``, the cases
    the change can reach): open cases' due dates follow at once, and so do completed cases'
    (receipts and DEADLINE_MISSED use them).

    With ``actor``, the cases whose timeline changed are stamped in one audit record.
    """
    pks = list(session.scalars(select(Case.id))) if case_pks is None else sorted(set(case_pks))
    count = refresh_cases(session, pks, frames, calendar)
    if case_pks is None:
        fill_visit_weeks(session, calendar.timezone_name)
    if actor is not None and pks:
        audit.record(session, actor, "retime", "cases", "all" if case_pks is None else f"{len(pks)} reached",
                     reason=reason or None, rows={"case": pks}, only_if_changed=True)
    return count


def fill_visit_weeks(session: Session, timezone: str) -> int:
    """Give visits stored before migration 0005 (consults included) their local day and week."""
    table = Visit.__table__
    filled = 0
    while True:
        rows = session.execute(select(Visit.id, Visit.called_at).where(Visit.week.is_(None))
                               .order_by(Visit.id).limit(CHUNK)).all()
        if not rows:
            return filled
        called = pd.to_datetime(pd.Series([r.called_at for r in rows]), utc=True)
        days = local_day_numbers(called, timezone)
        session.connection().execute(
            update(table).where(table.c.id == bindparam("pk")).values(
                local_day=bindparam("local_day"), week=bindparam("week")),
            [{"pk": r.id, "local_day": int(d), "week": int(w)}
             for r, d, w in zip(rows, days, week_number(days))])
        filled += len(rows)


PARQUET_CHUNK = 200_000


def export_parquet(session: Session, folder, timezone: str) -> dict[str, int]:
    """Stored visits as Parquet files of the import columns (text), one per local month.

    Read in chunks and appended to each month's file, so memory does not grow with the
    database. Timestamps are written in UTC with a ``Z``; ``applicant_ref`` is the stored
    keyed hash (an opaque id: the same applicant stays the same, no IIN is written).
    Returns the rows written per file name.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    from ..compliance.visit_log import COLUMNS

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    query = select(
        Visit.visit_id, Case.case_number.label("case_id"), Visit.office_code, Visit.service_code,
        Visit.staff_id, Visit.applicant_hash.label("applicant_ref"), Visit.ticket_at, Visit.called_at,
        Visit.finished_at, Visit.action, Visit.documents_requested, Visit.refusal_ground, Visit.forwarded_to,
    ).outerjoin(Case, Visit.case_pk == Case.id).order_by(Visit.id)
    schema = pa.schema([(column, pa.string()) for column in COLUMNS])
    writers: dict[str, pq.ParquetWriter] = {}
    counts: dict[str, int] = {}
    try:
        for chunk in pd.read_sql(query, session.connection(), chunksize=PARQUET_CHUNK):
            for column in TIMESTAMPS:
                moments = pd.to_datetime(chunk[column], utc=True, format="ISO8601")
                if column == "called_at":
                    month = moments.dt.tz_convert(timezone).dt.strftime("%Y-%m")
                text = np.char.add(np.datetime_as_string(
                    moments.to_numpy(dtype="datetime64[us]", na_value=np.datetime64("NaT")), unit="us"), "Z")
                chunk[column] = pd.Series(text, index=chunk.index, dtype=object).where(moments.notna(), "")
            chunk = chunk.fillna("")
            for name, part in chunk.groupby(month.to_numpy(), sort=True):
                file_name = f"visits-{name}.parquet"
                if file_name not in writers:
                    writers[file_name] = pq.ParquetWriter(folder / file_name, schema, compression="zstd")
                    counts[file_name] = 0
                table = pa.Table.from_pandas(part[list(COLUMNS)].astype(str), schema=schema,
                                             preserve_index=False)
                writers[file_name].write_table(table)
                counts[file_name] += len(part)
    finally:
        for writer in writers.values():
            writer.close()
    return dict(sorted(counts.items()))
