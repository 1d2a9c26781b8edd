"""The audit chain vouches for the data: digests of rows as the application left them.

Every audit record that changes rows carries ``data_digest``: the digest of the one row it
changed, or, for a batch (an import, a sweep, a catalog load), the ordered digest of the
batch's ``(entity, id, row digest)`` entries. Those entries are kept one per row in
``row_digests`` (written in bulk, so an import of 100k visits stays one audit record), and
the record's hash covers ``data_digest``: neither a row nor its recorded digest can change
without ``flask audit verify`` naming it.

A row digest is SHA-256 over the row's columns in a canonical text form (timestamps in UTC
with microseconds, NULL distinct from empty text), plus, for composite rows, their parts:
a user's supervised offices, a catalog version's documents and refusal grounds.

Every table whose rows decide a finding, a deadline or a published number is covered
(``ENTITIES``): visits, cases, findings, complaints, escalations, correction requests,
calendar overrides, published indicator snapshots, offices, users (role, offices) and their
declared relatives, applicants' answers (with the findings they reported), the catalog
(versions, documents, services, МРП rates), job runs, and the catalog stewards' drafts, their
decisions and the reports of wrong pages.
A row is named by its primary key as text (``row_id``): a number, a day, an office code.
The weekly indicator cells (models/cells.py) are not covered: they are derived, rebuilt from
covered rows by ``flask cells refresh --all``, and what is published is the digested snapshot.

ORM writes of these rows that no explicit record covered are stamped at commit by one
record of their own (``install``), so that only writes behind the application's back
(raw SQL, another client) go unrecorded.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import ClassVar, Protocol

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    Integer,
    Numeric,
    String,
    Table,
    event,
    select,
    type_coerce,
)
from sqlalchemy.orm import Session

from ..models import (
    CalendarOverride,
    Case,
    Complaint,
    CorrectionRequest,
    Document,
    Escalation,
    Finding,
    IndicatorSnapshot,
    JobRun,
    MrpRate,
    Office,
    RelativeDeclaration,
    Service,
    ServiceVersion,
    User,
    Visit,
    VisitAnswer,
)
from ..models.audit import RowDigest
from ..models.catalog import RefusalGround, VersionDocument
from ..models.people import supervised_offices
from ..models.stewardship import CatalogDraft, DraftDecision, ErrorReport, stewarded_services
from ..models.types import UTCDateTime
from ..models.witness import ApplicantFinding
from .sets import one_of

DELETED = "-"
NULL = "\x00"
SEPARATOR = "\x1f"


class MappedRow(Protocol):
    """A model class: its table (every model of ``ENTITIES`` is a declarative class)."""

    __table__: ClassVar[Table]
    __tablename__: ClassVar[str]


@dataclass(frozen=True)
class Entity:
    name: str
    model: type[MappedRow]
    label: tuple  # columns naming the row for people (visit_id, case number, login...), joined by spaces
    # (table, foreign key column name, columns to order by[, optional]): see ``current``.
    parts: tuple = field(default=())
    key: str = "id"  # the primary key column: the row_id is its canonical text

    @property
    def key_column(self):
        return self.model.__table__.c[self.key]

    @property
    def numeric(self) -> bool:
        return isinstance(self.key_column.type, Integer)

    def row_id(self, value) -> str:
        """The canonical text of a key value (an int, a day, a code; or that text already)."""
        if self.numeric:
            return str(int(value))
        if isinstance(value, (dt.date, dt.datetime)):
            return value.isoformat()
        return str(value)

    def key_value(self, row_id: str):
        """The key value of a row_id, as the column compares it."""
        if self.numeric:
            return int(row_id)
        if isinstance(self.key_column.type, Date):
            return dt.date.fromisoformat(row_id)
        return row_id


ENTITIES = {e.name: e for e in (
    Entity("visit", Visit, (Visit.visit_id,)),
    Entity("case", Case, (Case.case_number,)),
    Entity("finding", Finding, (Finding.rule,)),
    Entity("complaint", Complaint, (Complaint.reference,)),
    Entity("escalation", Escalation, (Escalation.item_ref,)),
    Entity("user", User, (User.login,), ((supervised_offices, "user_id", ("office_code",)),
                                         (stewarded_services, "user_id", ("service_code",), True))),
    Entity("catalog_version", ServiceVersion, (ServiceVersion.service_code,),
           ((VersionDocument.__table__, "version_id", ("position", "document_code")),
            (RefusalGround.__table__, "version_id", ("position", "code")))),
    # Issue 22: every other table whose rows decide a finding, a deadline or a published number.
    Entity("correction_request", CorrectionRequest, ()),
    Entity("calendar_override", CalendarOverride, (), key="day"),
    Entity("indicator_snapshot", IndicatorSnapshot, (IndicatorSnapshot.week, IndicatorSnapshot.scope_kind,
                                                     IndicatorSnapshot.scope_value, IndicatorSnapshot.indicator)),
    Entity("office", Office, (), key="code"),
    Entity("relative_declaration", RelativeDeclaration, ()),
    Entity("document", Document, (), key="code"),
    Entity("service", Service, (), key="code"),
    Entity("mrp_rate", MrpRate, (), key="year"),
    Entity("job_run", JobRun, (JobRun.job,)),
    # Issue 25: a steward's draft decides the catalog once approved; so do its decisions.
    Entity("catalog_draft", CatalogDraft, (CatalogDraft.service_code,)),
    Entity("draft_decision", DraftDecision, (DraftDecision.decision,)),
    Entity("error_report", ErrorReport, (ErrorReport.service_code,)),
    # Issue 27: an applicant's answer decides findings (and which of them no desk action clears).
    Entity("visit_answer", VisitAnswer, (), ((ApplicantFinding.__table__, "answer_id", ("finding_id",)),)),
)}
ENTITY_OF_MODEL = {e.model: e.name for e in ENTITIES.values()}
TEXT_KEYED = frozenset(e.name for e in ENTITIES.values() if not e.numeric)


def _is_time(column) -> bool:
    return isinstance(column.type, (DateTime, UTCDateTime))


def _text(values: pd.Series, column) -> list:
    """One column as canonical text (a list): ``_texts`` as Python strings."""
    return _texts(values, column).to_pylist()


def _texts(values: pd.Series, column) -> pa.Array:
    """One column as canonical text, NULL as ``NULL``: an Arrow string array, built column by
    column (timestamps, numbers and texts without a Python step per value; the rare other
    kinds, and any value of an unexpected type, value by value as they always were)."""
    moments = isinstance(values.dtype, pd.DatetimeTZDtype)  # already parsed (rows just written)
    kind = column.type
    if _is_time(column):
        stamps = values if moments else pd.to_datetime(values.astype(object), utc=True, format="ISO8601")
        utc = pc.cast(pa.array(stamps.dt.tz_convert("UTC").array), pa.timestamp("us", "UTC"), safe=False)
        text = utc.cast(pa.timestamp("us")).cast(pa.string())  # 2026-04-06 05:10:00.000000
        return pc.fill_null(pc.replace_substring(text, " ", "T", max_replacements=1), NULL)
    if isinstance(kind, Integer) and pd.api.types.is_integer_dtype(values.dtype):  # int64 or Int64
        return pc.fill_null(pa.array(values.array if isinstance(values.dtype, pd.api.extensions.ExtensionDtype)
                                     else values.to_numpy(), type=pa.int64()).cast(pa.string()), NULL)
    # pandas accepts None as na_value; pandas-stubs type na_value as a scalar that excludes None.
    objects = values.to_numpy(dtype=object, na_value=None)  # type: ignore[call-overload]
    missing = pd.isna(objects)
    if isinstance(kind, Integer):
        numbers = _whole_numbers(objects, missing)
        if numbers is not None:
            return pc.fill_null(pa.array(numbers, mask=missing, type=pa.int64()).cast(pa.string()), NULL)
        text = [str(int(v)) if not gone else NULL for v, gone in zip(objects, missing)]
    elif isinstance(kind, (Date, Boolean, Float, Numeric, JSON)):
        text = [_one_text(v, kind) if not gone else NULL for v, gone in zip(objects, missing)]
    else:
        present = objects[~missing]
        if pd.api.types.infer_dtype(present, skipna=False) in ("string", "empty"):
            return pc.fill_null(pa.array(objects, type=pa.string(), from_pandas=True), NULL)
        text = [str(v) if not gone else NULL for v, gone in zip(objects, missing)]
    return pa.array(text, type=pa.string())


def _one_text(value, kind) -> str:
    if isinstance(kind, Date):
        return value.isoformat() if hasattr(value, "isoformat") else str(value)
    if isinstance(kind, Boolean):
        return "1" if value in (True, 1, "1", "t", "true") else "0"
    if isinstance(kind, (Float, Numeric)):
        return repr(float(value))
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def _whole_numbers(objects: np.ndarray, missing: np.ndarray) -> np.ndarray | None:
    """Integers (or integral floats) as int64; None when any value is of another kind (text,
    a fraction, a bool): those are turned to text one by one, ``str(int(v))`` as always."""
    kind = pd.api.types.infer_dtype(objects[~missing], skipna=False)
    try:
        if kind in ("integer", "empty"):
            return np.where(missing, 0, objects).astype("int64")
        if kind in ("floating", "mixed-integer-float"):
            floats = np.where(missing, 0.0, objects).astype("float64")
            if np.isfinite(floats).all() and (floats == np.trunc(floats)).all() \
                    and np.abs(floats).max(initial=0) < 2**53:
                return floats.astype("int64")
    except (OverflowError, TypeError, ValueError):
        pass
    return None


# Columns added after rows were first digested: an empty one adds nothing to the row's line,
# so the digests recorded before it existed still hold; a value is named with its column
# (and a value removed later changes the digest like any other change).
ADDED_COLUMNS = frozenset({("findings", "params"), ("correction_requests", "why_code"),
                           ("correction_requests", "why_params")})


def _joined(frame: pd.DataFrame, columns) -> list:
    return _joined_texts(frame, columns).to_pylist()


def _joined_texts(frame: pd.DataFrame, columns) -> pa.Array:
    """Each row's columns as canonical text joined by ``SEPARATOR``, in one Arrow pass per column."""
    if frame.empty:
        return pa.array([], type=pa.string())
    texts = []
    for column in columns:
        text = _texts(frame[column.name], column)
        if column.table is not None and (column.table.name, column.name) in ADDED_COLUMNS:
            named = pc.binary_join_element_wise(pa.scalar(f"{column.name}="), text, "")
            text = pc.if_else(pc.equal(text, NULL), pa.scalar(None, pa.string()), named)
        texts.append(text)
    return pc.binary_join_element_wise(*texts, SEPARATOR, null_handling="skip")


def digests(texts: pa.Array) -> list[str]:
    """SHA-256 of each text (UTF-8), hex: the one step taken per row, in a tight loop."""
    sha256 = hashlib.sha256
    return [sha256(data).hexdigest() for data in texts.cast(pa.binary()).to_pylist()]


def row_ids(spec: Entity, values) -> list[str]:
    """``spec.row_id`` of many key values (numbers turned to text at once)."""
    if spec.numeric:
        return np.asarray(values, dtype="int64").astype(str).tolist()
    return [spec.row_id(value) for value in values]


def _distinct_ids(spec: Entity, ids: Iterable) -> list[str]:
    """The distinct row_ids of key values (None left out), sorted as text: an array of numbers
    at once, anything else (text ids, a mix) value by value."""
    values = ids if isinstance(ids, (np.ndarray, pd.Series, pd.Index, list, tuple)) else list(ids)
    if spec.numeric:
        array = np.asarray(values)
        if array.dtype.kind in "iu":
            return sorted(np.unique(array).astype(str).tolist())
    return sorted({spec.row_id(i) for i in values if i is not None})


def _read(session: Session, table, where=None) -> pd.DataFrame:
    # Timestamps are read as the driver gives them (text on SQLite), parsed in one pass.
    query = select(*[type_coerce(c, String).label(c.name) if _is_time(c) else c for c in table.columns])
    if where is not None:
        query = query.where(where)
    result = session.execute(query)
    columns = list(result.keys())
    return pd.DataFrame([tuple(row) for row in result.all()], columns=columns, dtype=object)


def _labels(frame: pd.DataFrame, spec: Entity) -> pd.Series:
    if not spec.label:
        return pd.Series("", index=frame.index, dtype=object)
    parts = [frame[c.key].astype(object).where(frame[c.key].notna(), "").astype(str) for c in spec.label]
    if len(parts) == 1:
        return parts[0]
    return pd.Series([" ".join(p for p in values if p) for values in zip(*parts)], index=frame.index, dtype=object)


def current(session: Session, entity: str, ids: Iterable | None = None) -> pd.DataFrame:
    """``row_id`` (text), ``label`` and ``digest`` of the entity's rows (all, or those of ``ids``)."""
    spec = ENTITIES[entity]
    table = spec.model.__table__
    key = spec.key_column
    columns = sorted(table.columns, key=lambda c: c.name)
    if ids is None:
        wheres = [None]
    else:
        ids = _distinct_ids(spec, ids)
        values = np.asarray(ids, dtype="int64").tolist() if spec.numeric else [spec.key_value(i) for i in ids]
        if isinstance(key.type, (Integer, String)):  # one bind parameter, however many ids
            wheres = [one_of(session, key, values)] if values else []
        else:  # days: in slices
            wheres = [key.in_(values[start:start + 5000]) for start in range(0, len(values), 5000)]
    if not wheres:
        return pd.DataFrame(columns=["row_id", "label", "digest"])
    frame = pd.concat([_read(session, table, where) for where in wheres], ignore_index=True)
    if frame.empty:
        return pd.DataFrame(columns=["row_id", "label", "digest"])
    line = _joined_texts(frame, columns)
    for part, foreign, order, *optional in spec.parts:
        part_columns = sorted((c for c in part.columns if c.name not in ("id", foreign)), key=lambda c: c.name)
        foreign_column = part.c[foreign]
        rows = pd.concat([_read(session, part, foreign_column.in_(chunk)) for chunk in
                          _chunks(frame[key.name].astype(int).tolist())], ignore_index=True)
        if rows.empty:
            grouped = pd.Series(dtype=object)
        else:
            rows = rows.sort_values(list(order), kind="stable")
            rows["line"] = _joined(rows, part_columns)
            grouped = rows.groupby(rows[foreign].astype(int))["line"].agg("\x1e".join)
        parts = grouped.to_dict()
        # An optional part (added after rows were digested) adds nothing to a row without one,
        # so that the digests recorded before it still verify.
        line = pa.array([text if optional and int(pk) not in parts else text + "\x1d" + parts.get(int(pk), "")
                         for text, pk in zip(line.to_pylist(), frame[key.name])], type=pa.string())
    return pd.DataFrame({"row_id": row_ids(spec, frame[key.name]), "label": _labels(frame, spec),
                         "digest": digests(line)})


def of_written(entity: str, frame: pd.DataFrame) -> pd.DataFrame | None:
    """Entries (entity, row_id, digest) of rows just written from ``frame``, computed from the
    values written, the same way ``current`` computes them from the values read back (so that
    a batch need not read its rows again). None when the frame does not hold every column of
    the table (a column left to its default) or the entity has parts: then read them back."""
    spec = ENTITIES[entity]
    columns = sorted(spec.model.__table__.columns, key=lambda c: c.name)
    if spec.parts or any(c.name not in frame.columns for c in columns):
        return None
    return pd.DataFrame({"entity": entity, "row_id": row_ids(spec, frame[spec.key]),
                         "digest": digests(_joined_texts(frame, columns))})


def _chunks(values: list, size: int = 5000):
    for start in range(0, len(values), size):
        yield values[start:start + size]


def latest(session: Session, entity: str | None = None, ids: Iterable | None = None) -> pd.DataFrame:
    """The last recorded digest of each row: entity, row_id, digest, sequence."""
    query = select(RowDigest.entity, RowDigest.row_id, RowDigest.digest, RowDigest.sequence)
    parts = []
    if entity is not None:
        query = query.where(RowDigest.entity == entity)
    if ids is None:
        parts.append(pd.read_sql(query, session.connection()))
    else:
        ids = sorted({str(i) for i in ids})
        if ids:  # one bind parameter, however many ids
            parts.append(pd.read_sql(query.where(one_of(session, RowDigest.row_id, ids)), session.connection()))
    if not parts:
        return pd.DataFrame(columns=["entity", "row_id", "digest", "sequence"])
    frame = pd.concat(parts, ignore_index=True).sort_values("sequence", kind="stable")
    return frame.drop_duplicates(["entity", "row_id"], keep="last")


def entries(session: Session, rows: dict[str, Iterable], only_changed: bool = True,
            written: dict[str, Iterable] | None = None, known: pd.DataFrame | None = None) -> pd.DataFrame:
    """Digests of the given rows as they stand now (``DELETED`` for rows gone).

    With ``only_changed``, rows whose digest equals their last recorded one are left out,
    so that re-stamping unchanged rows writes nothing. Rows named in ``written`` (inserted by
    this transaction, e.g. an import's) are kept without looking up earlier digests; those in
    ``known`` (``of_written``: the digests of what was just written) are not read back.
    """
    frames = []
    for entity, ids in rows.items():
        spec = ENTITIES[entity]
        ids = _distinct_ids(spec, ids)
        if known is not None and len(known):
            given = known[known["entity"] == entity]
            frames.append(given[["entity", "row_id", "digest"]])
            ids = pd.Index(ids).difference(pd.Index(given["row_id"].astype(str))).tolist()
        if not ids:
            continue
        now = current(session, entity, ids).set_index("row_id")["digest"]
        wanted = pd.Series(DELETED, index=ids, dtype=object)
        wanted.update(now)
        frame = pd.DataFrame({"entity": entity, "row_id": wanted.index, "digest": wanted.to_numpy()})
        fresh = _distinct_ids(spec, (written or {}).get(entity, ()))
        kept = frame[frame["row_id"].isin(fresh)] if only_changed and fresh else frame.iloc[:0]
        frame = frame.drop(kept.index)
        if only_changed and len(frame):
            before = latest(session, entity, frame["row_id"]).set_index("row_id")["digest"]
            previous = frame["row_id"].map(before)
            frame = frame[(previous != frame["digest"]) & ~(previous.isna() & (frame["digest"] == DELETED))]
        frames.append(pd.concat([kept, frame], ignore_index=True) if len(kept) else frame)
    frames = [frame for frame in frames if len(frame)]
    if not frames:
        return pd.DataFrame(columns=["entity", "row_id", "digest"])
    return pd.concat(frames, ignore_index=True)


def _ordered(frame: pd.DataFrame, first: tuple = ()) -> pd.DataFrame:
    """Entries in a batch's order: by entity, then by key (numbers as numbers, texts as texts)."""
    textual = frame["entity"].isin(TEXT_KEYED)
    # A row_id that is no number where one is due (forged entries) sorts first; its batch then fails.
    number = pd.to_numeric(frame["row_id"].where(~textual, "0"), errors="coerce").fillna(-1).astype("int64")
    return frame.assign(number=number).sort_values([*first, "entity", "number", "row_id"], kind="stable")


def _lines(ordered: pd.DataFrame) -> pd.Series:
    return ordered["entity"] + ":" + ordered["row_id"] + ":" + ordered["digest"]


def batch_digest(frame: pd.DataFrame) -> str | None:
    """The digest of one row, or the ordered digest of a batch's (entity, id, digest) entries."""
    if frame.empty:
        return None
    if len(frame) == 1:
        return str(frame["digest"].iloc[0])
    return hashlib.sha256("\n".join(_lines(_ordered(frame))).encode("utf-8")).hexdigest()


def batch_digests(frame: pd.DataFrame) -> dict[int, str]:
    """``batch_digest`` of every record's entries at once (one sort, one pass): {sequence: digest}."""
    if frame.empty:
        return {}
    ordered = _ordered(frame, first=("sequence",))
    joined = _lines(ordered).groupby(ordered["sequence"].astype(int), sort=False).agg("\n".join)
    return {int(sequence): hashlib.sha256(text.encode("utf-8")).hexdigest()
            for sequence, text in zip(joined.index, joined)}


def store(session: Session, sequence: int, frame: pd.DataFrame) -> None:
    """Keep a record's row digests (COPY on PostgreSQL), in the caller's transaction."""
    if frame.empty:
        return
    from .visits import bulk_insert
    bulk_insert(session, "row_digests", ["sequence", "entity", "row_id", "digest"],
                frame.assign(sequence=sequence)[["sequence", "entity", "row_id", "digest"]])


# --- the safety net: ORM writes no explicit record covered ------------------------------

def _touched(session: Session) -> dict:
    return session.info.setdefault("evidence_touched", {})


def _after_flush(session: Session, _context) -> None:
    touched = _touched(session)
    for instance in list(session.new) + list(session.dirty) + list(session.deleted):
        entity = ENTITY_OF_MODEL.get(type(instance))
        if entity is None:
            continue
        key = getattr(instance, ENTITIES[entity].key, None)
        if key is not None:
            touched.setdefault(entity, set()).add(ENTITIES[entity].row_id(key))
    for instance in list(session.new) + list(session.dirty):
        if isinstance(instance, User):  # supervised offices live in their own table
            touched.setdefault("user", set()).add(instance.id)


def _before_commit(session: Session) -> None:
    if session.info.get("evidence_busy"):
        return
    session.flush()
    touched = session.info.pop("evidence_touched", None)
    if not touched:
        return
    from . import audit
    session.info["evidence_busy"] = True
    try:
        audit.record(session, "system", "stamp", "rows", ",".join(sorted(touched)), rows=touched,
                     only_if_changed=True)
        session.flush()
        session.info.pop("evidence_touched", None)
    finally:
        session.info.pop("evidence_busy", None)


def _after_rollback(session: Session) -> None:
    session.info.pop("evidence_touched", None)


def install(session_factory) -> None:
    """Stamp ORM writes of recorded rows at commit (idempotent)."""
    if getattr(session_factory, "_evidence_installed", False):
        return
    event.listen(session_factory, "after_flush", _after_flush)
    event.listen(session_factory, "before_commit", _before_commit)
    event.listen(session_factory, "after_soft_rollback", lambda session, _previous: _after_rollback(session))
    session_factory._evidence_installed = True


# --- verification ------------------------------------------------------------------------

@dataclass(frozen=True)
class RowProblem:
    entity: str
    row_id: str
    label: str
    kind: str  # edited | deleted | inserted | digests altered
    sequence: int | None

    def __str__(self) -> str:
        entity = self.entity.replace('_', ' ')
        name = f"{entity} {self.label} (row {self.row_id})" if self.label else f"{entity} row {self.row_id}"
        since = f", last recorded by audit record {self.sequence}" if self.sequence else ""
        spec = ENTITIES.get(self.entity)
        table = f" (table {spec.model.__tablename__}, {spec.key} {self.row_id})" if spec else ""
        return {
            "edited": f"{name} was edited behind the application's back{table}{since}",
            "deleted": f"{name} was deleted behind the application's back{table}{since}",
            "inserted": f"{name} was inserted behind the application's back{table} (no audit record)",
        }.get(self.kind, f"audit record {self.sequence}: {self.kind}")


def verify_rows(session: Session) -> list[RowProblem]:
    """Recompute every recorded row's digest and the digests of every batch; name each
    row edited, deleted or inserted, and each record whose row digests were altered."""
    from ..models import AuditRecord
    problems: list[RowProblem] = []
    recorded = pd.read_sql(select(RowDigest.sequence, RowDigest.entity, RowDigest.row_id, RowDigest.digest),
                           session.connection())
    records = pd.read_sql(select(AuditRecord.sequence, AuditRecord.data_digest)
                          .where(AuditRecord.data_digest.is_not(None)), session.connection())
    expected = records.set_index("sequence")["data_digest"]
    found: dict[int, str] = {}
    if len(recorded):
        sizes = recorded.groupby("sequence")["row_id"].transform("size")
        singles = recorded[sizes == 1]  # most records change one row: compared without a loop
        found.update(zip(singles["sequence"].astype(int), singles["digest"].astype(str)))
        found.update(batch_digests(recorded[sizes > 1]))
    for sequence in sorted(set(found) | set(expected.index)):
        want, got = expected.get(sequence), found.get(sequence)
        if want == got:
            continue
        if want is None:
            problems.append(RowProblem("", "", "", "row digests were added for a record that carries "
                                       "none (inserted behind the application's back)", sequence))
        elif got is None:
            problems.append(RowProblem("", "", "", "its row digests were removed", sequence))
        elif want != got:
            problems.append(RowProblem("", "", "", "its row digests were altered", sequence))
    last = recorded.sort_values(["sequence"], kind="stable").drop_duplicates(["entity", "row_id"], keep="last")
    for entity in ENTITIES:
        now = current(session, entity)
        before = last[last["entity"] == entity]
        merged = now.merge(before, on="row_id", how="outer", suffixes=("", "_recorded"), indicator="side")
        merged["sequence"] = merged["sequence"].astype("Int64")
        fine = (merged["side"] == "both") & (merged["digest"] == merged["digest_recorded"]) \
            | (merged["side"] == "right_only") & (merged["digest_recorded"] == DELETED)
        for row in merged[~fine].to_dict("records"):  # only the rows that do not match
            sequence = None if pd.isna(row["sequence"]) else int(row["sequence"])
            if row["side"] == "left_only" or (row["side"] == "both" and row["digest_recorded"] == DELETED):
                problems.append(RowProblem(entity, row["row_id"], row["label"], "inserted", None))
            elif row["side"] == "right_only":
                if row["digest_recorded"] != DELETED:
                    problems.append(RowProblem(entity, row["row_id"], "", "deleted", sequence))
            elif row["digest"] != row["digest_recorded"]:
                problems.append(RowProblem(entity, row["row_id"], row["label"], "edited", sequence))
    return problems
