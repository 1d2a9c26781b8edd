"""Visits and cases in the database: bulk insert, reading back as engine frames, case refresh.

Writes happen in the caller's transaction and never commit: an import that is killed
half-way leaves the database exactly as it was.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable

import numpy as np
import pandas as pd
from sqlalchemy import String, any_, bindparam, false, select, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from . import audit
from .calendar import WorkingCalendar
from .compliance import CatalogFrames, case_timeline
from .compliance.visit_log import local_day_numbers
from .models import Case, Visit
from .privacy import applicant_hashes

CHUNK = 5000
VISIT_COLUMNS = ["visit_id", "case_pk", "office_code", "service_code", "staff_id", "applicant_hash",
                 "ticket_at", "called_at", "finished_at", "action", "documents_requested",
                 "refusal_ground", "forwarded_to", "source", "override_reason"]
TIMESTAMPS = ("ticket_at", "called_at", "finished_at")

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class ImportResult:
    inserted: int
    already_present: int
    cases_touched: int


def chunks(values: list, size: int = CHUNK) -> Iterable[list]:
    for start in range(0, len(values), size):
        yield values[start:start + size]


def _existing(session: Session, column, values: Iterable) -> dict:
    """Map each of ``values`` found in ``column`` to its row id."""
    values = list(values)
    model = column.class_
    key = Case.id if model is Case else Visit.id
    if session.get_bind().dialect.name == "postgresql":
        # One array parameter instead of thousands of IN parameters.
        query = select(column, key).where(column == any_(bindparam("values", type_=ARRAY(String))))
        return dict(session.execute(query, {"values": values}).all()) if values else {}
    # SQLite: IN lists in chunks. (A temporary table would be faster, but writing to it
    # opens the transaction early, and a concurrent desk's commit would then fail ours.)
    found = {}
    for chunk in chunks(values):
        found.update((value, pk) for value, pk in session.execute(select(column, key).where(column.in_(chunk))))
    return found


def _sql_timestamps(values: pd.Series, dialect: str) -> pd.Series:
    """UTC timestamps as text the database reads back through UTCDateTime.

    Formatted by numpy in one pass: pandas' per-value str() of tz-aware times is slow.
    """
    utc = values.to_numpy(dtype="datetime64[us]", na_value=np.datetime64("NaT"))
    text = np.char.replace(np.datetime_as_string(utc, unit="us"), "T", " ")
    if dialect != "sqlite":
        text = np.char.add(text, "+00:00")
    return pd.Series(text, index=values.index, dtype=object).where(values.notna().to_numpy(), None)


def bulk_insert(session: Session, table: str, columns: list[str], frame: pd.DataFrame,
                 progress: Progress | None = None) -> None:
    """Insert many rows fast: PostgreSQL COPY, SQLite executemany, in the open transaction."""
    connection = session.connection()
    dialect = connection.dialect.name
    raw = connection.connection.dbapi_connection
    total = len(frame)
    step = 50_000
    for start in range(0, total, step):
        part = frame.iloc[start:start + step]
        if dialect == "postgresql":
            buffer = io.StringIO()
            part.to_csv(buffer, header=False, index=False, na_rep="\\N", quoting=csv.QUOTE_MINIMAL)
            buffer.seek(0)
            with raw.cursor() as cursor:
                with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN "
                                 "WITH (FORMAT csv, NULL '\\N')") as copy:
                    copy.write(buffer.getvalue())
        else:
            cursor = raw.cursor()
            placeholders = ", ".join("?" for _ in columns)
            values = part.astype(object).where(part.notna(), None).itertuples(index=False, name=None)
            # Table and column names are this module's constants, never user input.
            statement = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({placeholders})"  # nosec B608
            cursor.executemany(statement, values)
            cursor.close()
        if progress:
            progress(min(start + step, total), total)


CASE_TIMELINE = ["first_visit_at", "accepted_at", "due_at", "completed_at", "withdrawn_at"]
CASE_COLUMNS = ["case_number", "service_code", "office_code", *CASE_TIMELINE, "outcome"]


def import_visits(session: Session, visits: pd.DataFrame, *, hash_key: str, source: str,
                  frames: CatalogFrames, calendar: WorkingCalendar,
                  progress: Progress | None = None, actor: str = "import") -> ImportResult:
    """Store parsed visits (compliance.parse_visits) that are not stored yet, with their cases.

    Idempotent on visit_id: a visit already stored is neither updated nor duplicated. New
    cases are inserted with their timeline already computed; cases that had stored visits
    are re-timed from all their visits, old and new.
    """
    present = _existing(session, Visit.visit_id, visits["visit_id"].unique())
    new = visits[~visits["visit_id"].isin(present)]
    if new.empty:
        return ImportResult(0, len(visits), 0)
    dialect = session.connection().dialect.name

    case_numbers = new["case_id"].dropna().unique().tolist()
    case_pks = _existing(session, Case.case_number, case_numbers)
    stored = visits_frame(session, frames, calendar.timezone_name, list(case_pks.values())) \
        if case_pks else None
    in_cases = new[new["case_id"].notna()]
    combined = in_cases if stored is None else pd.concat([stored, in_cases], ignore_index=True)
    timelines = case_timeline(combined.reset_index(drop=True), frames, calendar) \
        .rename(columns={"case_id": "case_number"})
    fresh = timelines[~timelines["case_number"].isin(case_pks)]
    if len(fresh):
        rows = fresh[CASE_COLUMNS].assign(**{c: _sql_timestamps(fresh[c], dialect) for c in CASE_TIMELINE})
        bulk_insert(session, "cases", CASE_COLUMNS, rows)
        case_pks.update(_existing(session, Case.case_number, fresh["case_number"].tolist()))
    _update_cases(session, timelines[timelines["case_number"].isin(set(case_pks) - set(fresh["case_number"]))],
                  case_pks)

    rows = pd.DataFrame({
        "visit_id": new["visit_id"],
        "case_pk": new["case_id"].map(case_pks).astype("Int64"),
        "office_code": new["office_code"], "service_code": new["service_code"],
        "staff_id": new["staff_id"],
        "applicant_hash": applicant_hashes(new["applicant_ref"].fillna(""), hash_key),
        **{column: _sql_timestamps(new[column], dialect) for column in TIMESTAMPS},
        "action": new["action"], "documents_requested": new["documents_requested"].fillna(""),
        "refusal_ground": new["refusal_ground"].replace("", None),
        "forwarded_to": new["forwarded_to"].replace("", None),
        "source": source,
        "override_reason": new["override_reason"] if "override_reason" in new else None,
    })
    bulk_insert(session, "visits", VISIT_COLUMNS, rows[VISIT_COLUMNS], progress)
    if source != "desk":  # a desk visit gets its own, more detailed record
        audit.record(session, actor, "import", "visits", source,
                     new={"inserted": len(new), "already_present": len(visits) - len(new),
                          "cases": len(case_numbers)})
    return ImportResult(len(new), len(visits) - len(new), len(case_numbers))


def _update_cases(session: Session, timelines: pd.DataFrame, case_pks: dict) -> int:
    """Write recomputed timelines of stored cases (few per import; many after a calendar change)."""
    if timelines.empty:
        return 0
    def moment(value):
        return None if pd.isna(value) else value.to_pydatetime()
    updates = [{"pk": int(case_pks[row.case_number]), "outcome": row.outcome,
                "service_code": row.service_code, "office_code": row.office_code,
                **{name: moment(getattr(row, name)) for name in CASE_TIMELINE}}
               for row in timelines.itertuples(index=False)]
    table = Case.__table__
    statement = update(table).where(table.c.id == bindparam("pk")).values(
        {name: bindparam(name) for name in updates[0] if name != "pk"})
    session.connection().execute(statement, updates)
    return len(updates)


def visits_frame(session: Session, frames: CatalogFrames, timezone: str,
                 case_pks: Iterable[int] | None = None,
                 visit_pks: Iterable[int] | None = None) -> pd.DataFrame:
    """Stored visits as the engine's frame (case_id is the public case number).

    All visits by default; with ``case_pks``/``visit_pks``, the visits of those cases and
    those visits only.
    """
    query = select(
        Visit.id.label("visit_pk"), Visit.visit_id, Visit.case_pk, Case.case_number.label("case_id"),
        Visit.office_code, Visit.service_code, Visit.staff_id, Visit.ticket_at, Visit.called_at,
        Visit.finished_at, Visit.action, Visit.documents_requested, Visit.refusal_ground,
        Visit.forwarded_to,
    ).outerjoin(Case, Visit.case_pk == Case.id).order_by(Visit.id)
    connection = session.connection()
    if case_pks is None and visit_pks is None:
        parts = [pd.read_sql(query, connection)]
    else:
        parts = [pd.read_sql(query.where(false()), connection)]
        parts += [pd.read_sql(query.where(Visit.case_pk.in_(chunk)), connection)
                  for chunk in chunks(sorted(set(case_pks or ())))]
        parts += [pd.read_sql(query.where(Visit.id.in_(chunk)), connection)
                  for chunk in chunks(sorted(set(visit_pks or ())))]
    frame = pd.concat(parts, ignore_index=True).drop_duplicates("visit_pk") \
        .sort_values("visit_pk").reset_index(drop=True)
    for column in TIMESTAMPS:
        frame[column] = pd.to_datetime(frame[column], utc=True, format="ISO8601")
    for column in ("documents_requested", "refusal_ground", "forwarded_to"):
        frame[column] = frame[column].fillna("").astype(object)
    frame["case_id"] = frame["case_id"].astype(object).where(frame["case_id"].notna(), None)
    if frame.empty:
        frame["day"] = np.array([], dtype="int64")
        frame["version"] = np.array([], dtype="int64")
        return frame
    frame["day"] = local_day_numbers(frame["called_at"], timezone)
    frame["version"] = frames.version_in_force(frame["service_code"], frame["day"].to_numpy())
    return frame


def refresh_cases(session: Session, case_pks: list[int], frames: CatalogFrames,
                  calendar: WorkingCalendar) -> int:
    """Recompute the stored timeline of the given cases from their visits."""
    if not case_pks:
        return 0
    visits = visits_frame(session, frames, calendar.timezone_name, case_pks)
    timelines = case_timeline(visits, frames, calendar).rename(columns={"case_id": "case_number"})
    pk_of = visits.dropna(subset=["case_id"]).drop_duplicates("case_id").set_index("case_id")["case_pk"]
    return _update_cases(session, timelines, pk_of.to_dict())


def refresh_all_cases(session: Session, frames: CatalogFrames, calendar: WorkingCalendar) -> int:
    """Re-time every case after the calendar or the catalog changed: open cases' due dates
    follow at once, and so do completed cases' (receipts and DEADLINE_MISSED use them)."""
    return refresh_cases(session, list(session.scalars(select(Case.id))), frames, calendar)


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

    from .compliance.visit_log import COLUMNS

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
