"""Copy a filled SQLite database of this project into PostgreSQL, table by table.

    python bench/copy_database.py --from sqlite:////tmp/bench/5m.sqlite3 \\
        --to postgresql+psycopg://postgres@127.0.0.1:5432/bench5m

Importing millions of visits into PostgreSQL runs at a few thousand visits a second; a
SQLite database filled once (``flask db upgrade``, ``flask catalog load``, ``flask visits
import``) is copied instead, so that the supervisors' report can be timed on PostgreSQL at
the same history (``bench/report_cells.py --database-url ... --keep``).

The target database is created when missing (through the ``postgres`` database) and migrated
with ``flask db upgrade`` to the source's revision. A target that already holds rows is
refused unless ``--replace`` (every table is then truncated first). Each table of the
models' metadata (``alembic_version`` excepted) is copied in foreign-key order, streamed
``--chunk`` rows at a time with ``COPY ... FROM STDIN``: memory is that of one chunk.

Values go over as SQLite stores them, converted only where PostgreSQL reads them otherwise:
booleans (0/1) become booleans; moments (UTC wall time as text, monitor/models/types.py)
are read by a session whose time zone is UTC; JSON stays the very text SQLite holds (the
columns are ``json``, kept verbatim); ``LargeBinary`` bytes become ``bytea``. Afterwards
every serial/identity sequence is set past the largest id, the tables are vacuumed and
analyzed (the planner needs statistics before anything is timed), and the row counts of both
sides are compared: a mismatch exits non-zero. ``flask audit verify`` on the copy proves the
content (row digests are computed from it).
"""
from __future__ import annotations

import argparse
import os
import resource
import sqlite3
import subprocess  # nosec B404
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402
from psycopg import sql  # noqa: E402
from sqlalchemy import Boolean, make_url  # noqa: E402
from sqlalchemy.types import TypeDecorator  # noqa: E402

SKIPPED = {"alembic_version"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--from", dest="source", required=True, help="sqlite:////path/to/file.sqlite3")
    parser.add_argument("--to", dest="target", required=True,
                        help="postgresql+psycopg://user@host:port/database (created when missing)")
    parser.add_argument("--replace", action="store_true", help="truncate every table of a target that holds rows")
    parser.add_argument("--chunk", type=int, default=100_000, help="rows per COPY (memory is one chunk)")
    parser.add_argument("--no-fk-checks", action="store_true",
                        help="skip the foreign-key triggers while copying (session_replication_role = replica; "
                             "needs a superuser): the source's keys were checked by SQLite")
    parser.add_argument("--no-vacuum", action="store_true", help="skip VACUUM (ANALYZE) of the copied tables")
    args = parser.parse_args()

    source_url, target_url = make_url(args.source), make_url(args.target)
    if source_url.get_backend_name() != "sqlite" or not source_url.database:
        sys.exit(f"--from must be a SQLite file URL, not {args.source}")
    if target_url.get_backend_name() != "postgresql" or not target_url.database:
        sys.exit(f"--to must be a PostgreSQL URL with a database name, not {args.target}")
    if not Path(source_url.database).is_file():
        sys.exit(f"no SQLite database at {source_url.database}")
    # Read-only, and one read transaction for the whole run: every table and every count is
    # read from the same snapshot.
    source = sqlite3.connect(f"file:{source_url.database}?mode=ro", uri=True)
    source.execute("BEGIN")
    revision = source.execute("SELECT version_num FROM alembic_version").fetchone()[0]

    started = time.perf_counter()
    create_database(target_url)
    migrate(args.target, revision)
    tables = model_tables()
    check_source_tables(source, tables)
    with connect(target_url) as target:
        target_revision = target.execute("SELECT version_num FROM alembic_version").fetchone()[0]
        if target_revision != revision:
            sys.exit(f"the target is at revision {target_revision}, the source at {revision}: "
                     "use a new database or one at the source's revision")
        holding = [table.name for table in tables if target.execute(
            sql.SQL("SELECT EXISTS (SELECT 1 FROM {})").format(sql.Identifier(table.name))).fetchone()[0]]
        if holding and not args.replace:
            sys.exit(f"the target already holds rows in {', '.join(holding)}: pass --replace to truncate them")
        if holding:
            target.execute(sql.SQL("TRUNCATE {} RESTART IDENTITY CASCADE").format(
                sql.SQL(", ").join(sql.Identifier(table.name) for table in tables)))
            target.commit()
            print(f"truncated {len(tables)} tables", flush=True)
        target.execute("SET maintenance_work_mem = '256MB'")  # the indexes rebuilt after each table
        if args.no_fk_checks:
            target.execute("SET session_replication_role = replica")
        total, copying = 0, time.perf_counter()
        for table in tables:
            total += copy_table(source, target, table, args.chunk)
        reset_sequences(target, tables)
        copied = time.perf_counter() - copying
    print(f"copied {total:,} rows in {copied:.1f} s ({total / max(copied, 1e-9):,.0f} rows/s; "
          f"this process's CPU {cpu_seconds():.1f} s), revision {revision}", flush=True)
    if not args.no_vacuum:
        vacuum(target_url, tables)
    mismatches = compare_counts(source, target_url, tables)
    if mismatches:
        for name, expected, found in mismatches:
            print(f"MISMATCH {name}: {expected:,} rows in SQLite, {found:,} in PostgreSQL", file=sys.stderr)
        sys.exit(1)
    print(f"row counts match in all {len(tables)} tables; total {time.perf_counter() - started:.1f} s")


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def connect(url, database: str | None = None, autocommit: bool = False) -> psycopg.Connection:
    """A psycopg connection for a SQLAlchemy URL, its session in UTC: moments copied as
    SQLite's UTC wall-time text are read as UTC."""
    return psycopg.connect(host=url.host or None, port=url.port, user=url.username, password=url.password,
                           dbname=database or url.database, options="-c TimeZone=UTC", autocommit=autocommit)


def create_database(url) -> None:
    with connect(url, database="postgres", autocommit=True) as admin:
        if admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (url.database,)).fetchone():
            return
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(url.database)))
        print(f"created database {url.database}", flush=True)


def migrate(target: str, revision: str) -> None:
    """``flask db upgrade REVISION`` of this checkout, in its own process, on the target."""
    with tempfile.TemporaryDirectory(prefix="copy-database-") as instance:
        env = {**os.environ, "DATABASE_URL": target, "MONITOR_INSTANCE_PATH": instance, "LOG_FORMAT": "off",
               "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
        command = [sys.executable, "-m", "flask", "--app", "wsgi", "db", "upgrade", revision]
        result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)  # nosec B603
    if result.returncode != 0:
        sys.exit(f"flask db upgrade {revision} failed:\n{result.stdout}{result.stderr}")
    print(f"target migrated to {revision}", flush=True)


def model_tables() -> list:
    """The models' tables, parents before children."""
    import monitor.models  # noqa: F401 - registers every table on the metadata
    from monitor.extensions import db

    return [table for table in db.metadata.sorted_tables if table.name not in SKIPPED]


def check_source_tables(source: sqlite3.Connection, tables: list) -> None:
    """Every table and column the models have must be in the source, and nothing more: a copy
    that silently drops a table or a column is not a copy."""
    stored = {name for (name,) in source.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")} - SKIPPED
    problems = [f"table {name} is in the SQLite file but not in the models" for name in sorted(stored - {
        table.name for table in tables})]
    for table in tables:
        if table.name not in stored:
            problems.append(f"table {table.name} is missing from the SQLite file")
            continue
        columns = {row[1] for row in source.execute(f'PRAGMA table_info("{table.name}")')}
        wanted = {column.name for column in table.columns}
        problems += [f"{table.name}.{name}: in the models, not in the SQLite file" for name in sorted(wanted - columns)]
        problems += [f"{table.name}.{name}: in the SQLite file, not in the models" for name in sorted(columns - wanted)]
    if problems:
        sys.exit("the SQLite file does not match the models:\n  " + "\n  ".join(problems))


def _is_boolean(column) -> bool:
    kind = column.type
    if isinstance(kind, TypeDecorator):
        kind = kind.impl_instance
    return isinstance(kind, Boolean)


def copy_table(source: sqlite3.Connection, target: psycopg.Connection, table, chunk: int) -> int:
    """Stream one table in chunks of ``chunk`` rows, one COPY each, committed at the end."""
    started = time.perf_counter()
    names = [column.name for column in table.columns]
    booleans = [index for index, column in enumerate(table.columns) if _is_boolean(column)]
    listed = ", ".join(f'"{name}"' for name in names)
    cursor = source.execute(f'SELECT {listed} FROM "{table.name}"')  # nosec B608
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(table.name), sql.SQL(", ").join(sql.Identifier(name) for name in names))
    # Indexes that back no constraint are dropped for the copy and built again afterwards, in
    # the table's transaction: one sort per index instead of a random insert per row (the
    # visits' applicant hashes, at millions of rows). Primary keys and unique constraints stay.
    indexes = target.execute(
        "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() AND tablename = %s"
        " AND indexname NOT IN (SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass)",
        (table.name, sql.Identifier(table.name).as_string(target))).fetchall()
    for name, _definition in indexes:
        target.execute(sql.SQL("DROP INDEX {}").format(sql.Identifier(name)))
    copied = 0
    with target.cursor() as writer:
        while rows := cursor.fetchmany(chunk):
            with writer.copy(statement) as copy:
                for row in rows:
                    if booleans:
                        row = list(row)
                        for index in booleans:
                            if row[index] is not None:
                                row[index] = bool(row[index])
                    copy.write_row(row)
            copied += len(rows)
            if len(rows) == chunk:
                print(f"  {table.name}: {copied:,} rows, {time.perf_counter() - started:.1f} s", flush=True)
    building = time.perf_counter()
    for _name, definition in indexes:
        target.execute(definition)
    built = time.perf_counter() - building
    target.commit()
    seconds = time.perf_counter() - started
    print(f"{table.name}: {copied:,} rows in {seconds:.1f} s" +
          (f" ({copied / seconds:,.0f} rows/s)" if copied and seconds > 0.05 else "") +
          (f", {len(indexes)} indexes rebuilt in {built:.1f} s" if indexes and copied else ""), flush=True)
    return copied


def reset_sequences(target: psycopg.Connection, tables: list) -> None:
    """Set each serial or identity sequence so that the next id is max(id) + 1."""
    reset = 0
    for table in tables:
        for column in table.columns:
            sequence = target.execute("SELECT pg_get_serial_sequence(%s, %s)",
                                      (sql.Identifier(table.name).as_string(target), column.name)).fetchone()[0]
            if sequence is None:
                continue
            target.execute(sql.SQL("SELECT setval(%s, COALESCE((SELECT max({}) FROM {}), 0) + 1, false)").format(
                sql.Identifier(column.name), sql.Identifier(table.name)), (sequence,))
            reset += 1
    target.commit()
    print(f"reset {reset} sequences to max(id) + 1", flush=True)


def vacuum(url, tables: list) -> None:
    started = time.perf_counter()
    with connect(url, autocommit=True) as target:
        for table in tables:
            target.execute(sql.SQL("VACUUM (ANALYZE) {}").format(sql.Identifier(table.name)))
    print(f"vacuumed and analyzed in {time.perf_counter() - started:.1f} s", flush=True)


def compare_counts(source: sqlite3.Connection, url, tables: list) -> list[tuple[str, int, int]]:
    mismatches = []
    with connect(url) as target:
        for table in tables:
            expected = source.execute(f'SELECT count(*) FROM "{table.name}"').fetchone()[0]  # nosec B608
            found = target.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table.name))).fetchone()[0]
            if expected != found:
                mismatches.append((table.name, expected, found))
    return mismatches


if __name__ == "__main__":
    main()
