"""Multiply a filled PostgreSQL database of this project by its offices: N times the network.

    python bench/replicate_offices.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench50m --times 10

Issue 21 asks for the supervisors' report at 50 M stored visits on PostgreSQL. Importing
them would take hours at today's import speed; a national network is many offices, so the
database filled with 5 M visits (``bench/copy_database.py`` of the SQLite fill) is copied
``--times - 1`` more times inside PostgreSQL under new office codes: copy ``k`` of office
``OF-001`` is ``OF-001-Xk``, of its staff member ``OF-001-S4`` is ``OF-001-S4-Xk``; ids
are shifted past the originals; each copy's cases, visits and findings keep their links, and
its applicants are people of its own (their keyed hash hashed again with the copy's suffix), as
in a larger network: the integrity rules link no two copies.
The stored weekly cells (the report's only source) are copied the same way, and the
network's final figures of every week are then combined again from all the cells by the
product's own combination (``indicator_cells._refresh_values``), so that the report reads
what the product would have stored for such a network.

What is not copied, because no report or export reads it: the row digests and audit log
(``flask audit verify`` is therefore not meaningful on the result), answers, correction
requests, complaints, escalations and snapshots. The statistics the report's queries are
planned with are gathered at the end (VACUUM ANALYZE).

One transaction per table and copy; indexes that back no constraint are dropped before the
copies of a table and built once after them (one sort per index, not a random insert per
row). Progress is printed per table and copy.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from copy_database import connect  # noqa: E402  (bench/ is this script's folder)
from psycopg import sql  # noqa: E402
from sqlalchemy import make_url  # noqa: E402

SUFFIX = "-X"
# Per table: how a copy's column is computed from the original's (``{k}``: the copy's number,
# ``{shift[table]}``: the id shift of that table); columns not named are copied as they are.
OFFICE = "CASE WHEN {c} = '' THEN {c} ELSE {c} || '" + SUFFIX + "{k}' END"
MAPPED = {
    "cases": {"id": "id + {shift[cases]}", "case_number": "case_number || '" + SUFFIX + "{k}'",
              "office_code": "office_code || '" + SUFFIX + "{k}'",
              "accepting_visit_pk": "accepting_visit_pk + {shift[visits]}",
              "completing_visit_pk": "completing_visit_pk + {shift[visits]}"},
    "visits": {"id": "id + {shift[visits]}", "visit_id": "visit_id || '" + SUFFIX + "{k}'",
               "case_pk": "case_pk + {shift[cases]}", "office_code": "office_code || '" + SUFFIX + "{k}'",
               "staff_id": "staff_id || '" + SUFFIX + "{k}'",
               # A network k times the size serves k times the people: each copy's applicants are
               # its own (a keyed hash of their own), so applicant groups keep their size.
               "applicant_hash": "CASE WHEN applicant_hash IS NULL OR applicant_hash = '' THEN applicant_hash "
                                 "ELSE encode(sha256(convert_to(applicant_hash || '" + SUFFIX + "{k}', 'UTF8')), "
                                 "'hex') END"},
    "findings": {"id": "id + {shift[findings]}", "visit_pk": "visit_pk + {shift[visits]}",
                 "case_pk": "case_pk + {shift[cases]}"},
    "indicator_cells": {"id": "id + {shift[indicator_cells]}", "office_code": OFFICE.format(c="office_code", k="{k}"),
                        "scope_value": "CASE WHEN scope_kind = 'staff' THEN scope_value || '" + SUFFIX
                                       + "{k}' ELSE scope_value END"},
    "indicator_finding_cells": {"id": "id + {shift[indicator_finding_cells]}",
                                "visit_office": OFFICE.format(c="visit_office", k="{k}"),
                                "case_office": OFFICE.format(c="case_office", k="{k}")},
    "finding_backlog": {"id": "id + {shift[finding_backlog]}",
                        "visit_office": OFFICE.format(c="visit_office", k="{k}"),
                        "case_office": OFFICE.format(c="case_office", k="{k}")},
    "indicator_scope_values": {"office_code": OFFICE.format(c="office_code", k="{k}"),
                               "scope_value": "CASE WHEN scope_kind IN ('office', 'staff') THEN scope_value || '"
                                              + SUFFIX + "{k}' ELSE scope_value END"},
}
# Rows that belong to no office are the network's own and are not copied.
ONLY_OFFICES = {
    "indicator_cells": "office_code <> ''",
    "indicator_finding_cells": "NOT (visit_office = '' AND case_office = '')",
    "finding_backlog": "NOT (visit_office = '' AND case_office = '')",
    "indicator_scope_values": "office_code <> ''",
}
SHIFTED = [table for table in MAPPED if "id" in MAPPED[table]]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True, help="postgresql+psycopg://... (a bench copy: it is changed)")
    parser.add_argument("--times", type=int, default=10, help="the network's size afterwards, in copies (10: 10x)")
    parser.add_argument("--combine-only", action="store_true",
                        help="only combine the network's figures and analyze (the copies were made before)")
    args = parser.parse_args()
    url = make_url(args.database_url)
    if url.get_backend_name() != "postgresql":
        sys.exit("--database-url must be PostgreSQL (the copies are made by INSERT ... SELECT inside it)")
    started = time.perf_counter()
    if not args.combine_only:
        copy_offices(url, args.times)
    print(f"copied in {time.perf_counter() - started:.0f} s", flush=True)
    combine_network(args.database_url)
    with connect(url, autocommit=True) as target:
        vacuuming = time.perf_counter()
        for table in [*MAPPED, "indicator_values"]:
            target.execute(sql.SQL("VACUUM (ANALYZE) {}").format(sql.Identifier(table)))
        print(f"vacuumed and analyzed in {time.perf_counter() - vacuuming:.0f} s", flush=True)
        visits = target.execute("SELECT count(*) FROM visits").fetchone()[0]
    print(f"done: {visits:,} visits in {time.perf_counter() - started:.0f} s", flush=True)


def copy_offices(url, times: int) -> None:
    """Copies 1..times-1 of every office's rows, table by table."""
    with connect(url) as target:
        copied = target.execute("SELECT count(*) FROM visits WHERE office_code LIKE %s",
                                (f"%{SUFFIX}%",)).fetchone()[0]
        if copied:
            sys.exit(f"{copied:,} visits already carry a copy's office code: this database was replicated")
        shift = {table: target.execute(sql.SQL("SELECT COALESCE(max(id), 0) FROM {}").format(
            sql.Identifier(table))).fetchone()[0] for table in SHIFTED}
        target.execute("SET session_replication_role = replica")  # the copies' keys are the originals', shifted
        target.execute("SET maintenance_work_mem = '512MB'")
        for table, mapped in MAPPED.items():
            replicate(target, table, mapped, shift, times)
        for table in SHIFTED:
            target.execute(sql.SQL("SELECT setval(pg_get_serial_sequence(%s, 'id'), "
                                   "(SELECT max(id) FROM {}) + 1, false)").format(sql.Identifier(table)), (table,))
        target.commit()


def replicate(target, table: str, mapped: dict[str, str], shift: dict[str, int], times: int) -> None:
    """Add copies 1..times-1 of the table's original rows, then build its dropped indexes."""
    columns = [name for (name,) in target.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() "
        "AND table_name = %s ORDER BY ordinal_position", (table,))]
    indexes = target.execute(
        "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() AND tablename = %s"
        " AND indexname NOT IN (SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass)",
        (table, table)).fetchall()
    for name, _definition in indexes:
        target.execute(sql.SQL("DROP INDEX {}").format(sql.Identifier(name)))
    originals = f"id <= {shift[table]}" if table in shift else f"office_code NOT LIKE '%{SUFFIX}%'"
    where = " AND ".join(filter(None, [originals, ONLY_OFFICES.get(table)]))
    for k in range(1, times):
        copying = time.perf_counter()
        shifts = {name: k * value for name, value in shift.items()}
        values = [mapped[name].format(k=k, shift=shifts) if name in mapped else f'"{name}"' for name in columns]
        listed = ", ".join(f'"{name}"' for name in columns)
        statement = f'INSERT INTO "{table}" ({listed}) SELECT {", ".join(values)} FROM "{table}" WHERE {where}'
        rows = target.execute(statement.encode()).rowcount  # nosec B608 - the names are the table's own
        target.commit()
        print(f"  {table} copy {k}: {rows:,} rows in {time.perf_counter() - copying:.0f} s", flush=True)
    building = time.perf_counter()
    for _name, definition in indexes:
        target.execute(definition.encode())
    target.commit()
    if indexes:
        print(f"  {table}: {len(indexes)} indexes built in {time.perf_counter() - building:.0f} s", flush=True)


def combine_network(database_url: str) -> None:
    """Every week's final figures (network, offices, services, staff) combined again from all
    the cells, by the product's own combination, a quarter of weeks at a time."""
    import pandas as pd
    from sqlalchemy import delete, func, select

    from monitor import create_app
    from monitor.extensions import db
    from monitor.models import IndicatorCell, IndicatorValue
    from monitor.services import indicator_cells
    from monitor.services.context import engine_inputs

    os.environ["DATABASE_URL"] = database_url  # the configuration reads it; the mapping alone is not enough
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "LOG_REQUESTS": False})
    started = time.perf_counter()
    with app.app_context():
        inputs = engine_inputs()
        first, last = db.session.execute(select(func.min(IndicatorCell.week), func.max(IndicatorCell.week))).one()
        for start in range(first, last + 1, 13):
            weeks = (start, min(start + 12, last))
            cells = pd.read_sql(select(IndicatorCell.__table__).where(IndicatorCell.week.between(*weeks)),
                                db.session.connection())
            db.session.execute(delete(IndicatorValue).where(IndicatorValue.week.between(*weeks)))
            indicator_cells._refresh_values(db.session, inputs, weeks, cells)
            db.session.commit()
            print(f"  values of weeks {weeks[0]}..{weeks[1]} combined from {len(cells):,} cells", flush=True)
    print(f"network figures combined in {time.perf_counter() - started:.0f} s", flush=True)


if __name__ == "__main__":
    main()
