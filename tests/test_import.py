"""`flask visits import`: validation, all-or-nothing, rejects file, idempotence, privacy, kill."""
from __future__ import annotations

import csv
import datetime as dt
import os
import signal
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import func, select, text

from monitor.extensions import db
from monitor.models import Case, Visit
from monitor.tools.synthetic import generate_visits
from services_catalog import load_catalog

from .conftest import TEST_CONFIG

pytestmark = pytest.mark.both_databases

HEADER = ["visit_id", "case_id", "office_code", "service_code", "staff_id", "applicant_ref",
          "ticket_at", "called_at", "finished_at", "action", "documents_requested",
          "refusal_ground", "forwarded_to"]
VALID_IIN = "900101300017"  # control digit checked in the spec's way by test_valid_iin_fixture


def row(visit_id, case_id="C1", action="submit", called="2026-04-06T10:00", finished="2026-04-06T10:10",
        ticket="2026-04-06T09:55", documents="APPLICATION;MARRIAGE_CERT", **extra):
    data = dict(visit_id=visit_id, case_id=case_id, office_code="OF1", service_code="S1",
                staff_id="st1", applicant_ref="", ticket_at=ticket, called_at=called,
                finished_at=finished, action=action, documents_requested=documents,
                refusal_ground="", forwarded_to="")
    data.update(extra)
    return data


def write_csv(path: Path, rows: list[dict]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as stream:
        writer = csv.DictWriter(stream, fieldnames=HEADER)
        writer.writeheader()
        writer.writerows(rows)
    return path


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def run_import(app, *args):
    return app.test_cli_runner().invoke(args=["visits", "import", *map(str, args)])


def test_valid_iin_fixture():
    digits = [int(c) for c in VALID_IIN]
    assert sum(w * d for w, d in zip(range(1, 12), digits)) % 11 == digits[11]


def test_good_file_is_imported_with_case_timeline(app, loaded_catalog, tmp_path):
    path = write_csv(tmp_path / "v.csv", [
        row("v1"),
        row("v2", action="issue", called="2026-04-08T11:00", finished="2026-04-08T11:05", documents=""),
    ])
    result = run_import(app, path)
    assert result.exit_code == 0, result.output
    assert "Imported 2 visits" in result.output
    case = db.session.scalar(select(Case).where(Case.case_number == "C1"))
    assert case.outcome == "issued"
    assert case.accepted_at == dt.datetime(2026, 4, 6, 5, 10, tzinfo=dt.UTC)
    # 5 working days after Monday 6 April 2026: Monday 13 April, end of day local.
    assert case.due_at == dt.datetime(2026, 4, 13, 18, 59, 59, tzinfo=dt.UTC)
    assert case.completed_at == dt.datetime(2026, 4, 8, 6, 5, tzinfo=dt.UTC)


def test_any_bad_row_imports_nothing_and_every_problem_is_named(app, loaded_catalog, tmp_path):
    path = write_csv(tmp_path / "v.csv", [
        row("v1"),
        row("v2", service_code="NOPE"),
        row("v3", action="stamp"),
        row("v4", called="2026-04-06T10:00", finished="2026-04-06T09:00"),
        row("v5", applicant_ref="900101300016"),
    ])
    result = run_import(app, path)
    assert result.exit_code == 1
    assert "line 3, column service_code: unknown service NOPE" in result.output
    assert "line 4, column action: unknown action stamp" in result.output
    assert "line 5, column finished_at: finished_at is before called_at" in result.output
    assert "line 6, column applicant_ref" in result.output and "control digit" in result.output
    assert "nothing imported" in result.output
    assert count(Visit) == 0 and count(Case) == 0


def test_skip_invalid_imports_good_rows_and_writes_rejects_to_fix(app, loaded_catalog, tmp_path):
    path = write_csv(tmp_path / "v.csv", [row("v1"), row("v2", case_id="C2", action="stamp")])
    rejects = tmp_path / "rejects.csv"
    result = run_import(app, path, "--skip-invalid", "--rejects", rejects)
    assert result.exit_code == 0, result.output
    assert count(Visit) == 1
    rejected = pd.read_csv(rejects, dtype=str, keep_default_na=False)
    assert list(rejected["visit_id"]) == ["v2"]
    assert "unknown action stamp" in rejected.loc[0, "reason"]
    # The rejects file can be fixed and imported as it is (the reason column is ignored).
    rejected.loc[0, "action"] = "submit"
    rejected.to_csv(rejects, index=False)
    assert run_import(app, rejects).exit_code == 0
    assert count(Visit) == 2


def test_reimporting_the_same_file_changes_nothing(app, loaded_catalog, tmp_path):
    path = write_csv(tmp_path / "v.csv", [row("v1"), row("v2", case_id="C2"), row("v3", case_id="")
                                          | {"action": "consult"}])
    assert run_import(app, path).exit_code == 0
    before = pd.read_sql(select(Visit.__table__), db.session.connection())
    result = run_import(app, path)
    assert result.exit_code == 0
    assert "Imported 0 visits (3 already present" in result.output
    after = pd.read_sql(select(Visit.__table__), db.session.connection())
    pd.testing.assert_frame_equal(before, after)
    assert count(Case) == 2


def test_duplicate_rows_inside_a_file(app, loaded_catalog, tmp_path):
    path = write_csv(tmp_path / "v.csv", [row("v1"), row("v1"), row("v1", staff_id="other")])
    result = run_import(app, path)
    assert result.exit_code == 1
    assert "line 4, column visit_id: visit_id v1 already appears on line 2" in result.output
    path = write_csv(tmp_path / "v2.csv", [row("v1"), row("v1")])
    result = run_import(app, path)
    assert result.exit_code == 0 and count(Visit) == 1
    assert "1 identical repeats ignored" in result.output


def test_missing_column_is_a_file_error(app, loaded_catalog, tmp_path):
    path = tmp_path / "v.csv"
    path.write_text("visit_id,case_id\nv1,C1\n")
    result = run_import(app, path)
    assert result.exit_code == 1
    assert "missing required column(s) office_code, service_code" in result.output


def test_iin_is_stored_only_as_a_keyed_hash(app, loaded_catalog, tmp_path):
    path = write_csv(tmp_path / "v.csv", [row("v1", applicant_ref=VALID_IIN)])
    result = run_import(app, path)
    assert result.exit_code == 0
    assert VALID_IIN not in result.output
    stored = db.session.scalar(select(Visit.applicant_hash))
    assert stored and len(stored) == 64 and VALID_IIN not in stored
    # Nowhere in the database, whatever the table.
    for table in db.metadata.sorted_tables:
        for values in db.session.execute(select(table)).all():
            assert VALID_IIN not in " ".join(map(str, values))


def test_xlsx_files_are_imported_like_csv(app, loaded_catalog, tmp_path):
    path = tmp_path / "v.xlsx"
    pd.DataFrame([row("v1"), row("v2", case_id="C2")], columns=HEADER).to_excel(path, index=False)
    result = run_import(app, path)
    assert result.exit_code == 0, result.output
    assert count(Visit) == 2


def test_killed_import_leaves_the_database_as_it_was(app, loaded_catalog, database_url, tmp_path):
    """A real kill -9 of the import process, after it has started writing rows."""
    write_csv(tmp_path / "first.csv", [row("kept-1")])
    assert run_import(app, tmp_path / "first.csv").exit_code == 0
    db.session.commit()
    catalog = load_catalog(loaded_catalog)
    big = generate_visits(catalog, visits=160_000, start=dt.date(2026, 4, 6), days=40,
                          offices=["OF1", "OF2"])
    big_path = tmp_path / "big.csv"
    big.to_csv(big_path, index=False)
    env = {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": TEST_CONFIG["SECRET_KEY"],
           "APPLICANT_HASH_KEY": TEST_CONFIG["APPLICANT_HASH_KEY"]}
    command = [sys.executable, "-m", "flask", "--app", "wsgi", "visits", "import", str(big_path)]
    with subprocess.Popen(command, cwd=Path(__file__).resolve().parent.parent, env=env,
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True) as process:
        started_writing = False
        for line in process.stderr:  # the first progress line: rows are being written
            if "stored" in line:
                started_writing = True
                process.send_signal(signal.SIGKILL)
                break
        process.wait(timeout=60)
    assert started_writing, "the import ended before it wrote any row"
    assert process.returncode == -signal.SIGKILL
    db.session.rollback()
    db.session.execute(text("SELECT 1"))
    assert count(Visit) == 1
    assert count(Case) == 1


def test_a_stored_withdrawal_is_linked_to_a_new_case_saved_later(app, loaded_catalog):
    """The sweep of one new case also judges the applicant's earlier cases (same keyed hash)."""
    from monitor.compliance import frame_from_text, parse_visits
    from monitor.models import Case, Finding
    from monitor.services.context import engine_inputs
    from monitor.stores import visits as visit_store
    from monitor.stores.findings import sweep

    from .visits import make_visit, raw_frame

    inputs = engine_inputs()
    key = app.config["APPLICANT_HASH_KEY"]

    def store(rows, visit_ids):
        raw = raw_frame([{**row, "visit_id": vid} for row, vid in zip(rows, visit_ids)])
        parsed = parse_visits(frame_from_text(raw), inputs.frames, inputs.timezone)
        assert parsed.bad_rows.empty
        visit_store.import_visits(db.session, parsed.visits, hash_key=key, source="import:test",
                                  frames=inputs.frames, calendar=inputs.calendar)

    ref = "900101300017"
    store([make_visit(action="submit", called_at="2026-04-06T10:00", applicant_ref=ref),
           make_visit(action="withdraw", called_at="2026-04-07T10:00", applicant_ref=ref)], ["W1", "W2"])
    now = dt.datetime(2026, 4, 10, tzinfo=dt.UTC)
    sweep(db.session, inputs.frames, inputs.calendar, now, inputs.thresholds)
    assert db.session.scalar(select(Finding).where(Finding.rule == "REOPENED_AFTER_WITHDRAWAL")) is None
    store([make_visit(action="submit", case_id="C2", called_at="2026-04-09T10:00", applicant_ref=ref)], ["N1"])
    new_case = db.session.scalar(select(Case).where(Case.case_number == "C2"))
    sweep(db.session, inputs.frames, inputs.calendar, now, inputs.thresholds, case_pks=[new_case.id], visit_pks=[])
    found = db.session.scalar(select(Finding).where(Finding.rule == "REOPENED_AFTER_WITHDRAWAL"))
    withdrawn = db.session.scalar(select(Case).where(Case.case_number == "C1"))
    assert found is not None and found.case_pk == withdrawn.id and "C2" in found.detail


def test_judging_one_case_leaves_alone_a_case_of_another_applicant_that_a_later_visit_links(app, loaded_catalog):
    """A case's applicant is the ref of its first visit that has one. The father's case is judged
    with the father's cases, not with the mother's case whose later visit carries his ref: judged
    without the mother's consults, its INFORMAL_RETURN would stop for nothing."""
    from monitor.compliance import frame_from_text, parse_visits
    from monitor.models import Case, Finding
    from monitor.services.context import engine_inputs
    from monitor.stores import visits as visit_store
    from monitor.stores.findings import sweep

    from .visits import make_visit, raw_frame

    inputs = engine_inputs()
    mother, father = "900101300017", "880101300010"
    rows = [make_visit(action="consult", called_at="2026-04-10T10:00", applicant_ref=mother),
            make_visit(action="consult", called_at="2026-04-20T10:00", applicant_ref=mother),
            make_visit(action="submit", case_id="F", called_at="2026-04-22T10:00", applicant_ref=mother),
            make_visit(action="issue", case_id="F", called_at="2026-04-24T10:00", applicant_ref=father),
            make_visit(action="submit", case_id="G", called_at="2026-04-23T10:00", applicant_ref=father)]
    parsed = parse_visits(frame_from_text(raw_frame(rows)), inputs.frames, inputs.timezone)
    assert parsed.bad_rows.empty
    visit_store.import_visits(db.session, parsed.visits, hash_key=app.config["APPLICANT_HASH_KEY"],
                              source="import:test", frames=inputs.frames, calendar=inputs.calendar)
    now = dt.datetime(2026, 5, 10, tzinfo=dt.UTC)
    sweep(db.session, inputs.frames, inputs.calendar, now, inputs.thresholds)
    informal = select(Finding.case_pk).where(Finding.rule == "INFORMAL_RETURN", Finding.firing.is_(True))
    case_f = db.session.scalar(select(Case.id).where(Case.case_number == "F"))
    assert db.session.scalars(informal).all() == [case_f]
    case_g = db.session.scalar(select(Case.id).where(Case.case_number == "G"))
    result = sweep(db.session, inputs.frames, inputs.calendar, now, inputs.thresholds, case_pks=[case_g], visit_pks=[])
    assert (result.added, result.removed) == (0, 0)
    assert db.session.scalars(informal).all() == [case_f]


def test_the_sample_visit_log_in_the_repository_imports_cleanly(app, tmp_path):
    """docs/sample-visits.csv, the example the README points to, is a valid log of the bundled catalog."""
    from monitor.models import Visit
    runner = app.test_cli_runner()
    assert runner.invoke(args=["catalog", "load"]).exit_code == 0
    assert runner.invoke(args=["offices", "create", "AST-01", "--name-kk", "Астана", "--name-ru", "Астана",
                               "--name-en", "Astana"]).exit_code == 0
    sample = Path(__file__).resolve().parent.parent / "docs" / "sample-visits.csv"
    result = runner.invoke(args=["visits", "import", str(sample)])
    assert result.exit_code == 0, result.output
    rows = len(sample.read_text(encoding="utf-8").splitlines()) - 1
    assert db.session.scalar(select(func.count()).select_from(Visit)) == rows > 200


def _synthetic(catalog_dir, visits: int, prefix: str, days: int = 30) -> pd.DataFrame:
    """The project's generator, with ids of its own (``prefix``) but the generator's applicants,
    so that a second file's applicants already have cases stored."""
    frame = generate_visits(load_catalog(catalog_dir), visits=visits, start=dt.date(2026, 4, 6), days=days,
                            offices=["OF1", "OF2"], breach_rate=0.2)
    frame["visit_id"] = prefix + frame["visit_id"]
    frame["case_id"] = frame["case_id"].where(frame["case_id"] == "", prefix + frame["case_id"])
    return frame


def test_a_large_import_into_a_database_holding_visits_is_judged_in_bounded_statements(
        app, loaded_catalog, tmp_path):
    """Issue 21: 70,000 visits into a database that already holds visits. The re-check after the
    import touches only the file's applicants and cases, with statements whose size does not
    grow with the file (PostgreSQL refused more than 65,535 parameters in one statement)."""
    _synthetic(loaded_catalog, 3_000, "old-").to_csv(tmp_path / "old.csv", index=False)
    assert run_import(app, tmp_path / "old.csv").exit_code == 0
    db.session.commit()
    before = count(Visit)
    _synthetic(loaded_catalog, 72_000, "new-").to_csv(tmp_path / "new.csv", index=False)
    statements: list[int] = []

    def parameters(conn, cursor, statement, params, context, executemany):
        if not executemany:
            statements.append(len(params) if isinstance(params, (list, tuple, dict)) else 0)
    from sqlalchemy import event
    event.listen(db.engine, "before_cursor_execute", parameters)
    try:
        result = run_import(app, tmp_path / "new.csv")
    finally:
        event.remove(db.engine, "before_cursor_execute", parameters)
    assert result.exit_code == 0, result.output[-2000:]
    assert "SELECT" not in result.output and "INSERT" not in result.output
    assert count(Visit) > before + 70_000
    assert max(statements) <= 10_000  # no statement binds one parameter per imported row (chunks at most)
    assert app.test_cli_runner().invoke(args=["audit", "verify"]).exit_code == 0


def test_a_database_failure_is_said_in_words_without_sql_and_imports_nothing(app, loaded_catalog, tmp_path,
                                                                              monkeypatch):
    from sqlalchemy.exc import OperationalError

    from monitor.stores import findings

    statement = "SELECT findings.id FROM findings WHERE findings.visit_pk IN (" + ", ".join(["%s"] * 70_000) + ")"

    def refused(*args, **kwargs):
        db.session.execute(text("SELECT 1"))
        raise OperationalError(statement, {"visit_pk_1": 1},
                               Exception("number of parameters must be between 0 and 65535"))
    monkeypatch.setattr(findings, "sweep", refused)
    write_csv(tmp_path / "first.csv", [row("kept-1")])
    assert run_import(app, tmp_path / "first.csv").exit_code != 0
    assert count(Visit) == 0
    write_csv(tmp_path / "v.csv", [row("v1"), row("v2", action="issue", called="2026-04-08T11:00",
                                                   finished="2026-04-08T11:05", documents="")])
    result = run_import(app, tmp_path / "v.csv")
    assert result.exit_code == 1
    assert "the import failed while checking the imported cases against the rules: number of parameters " \
           "must be between 0 and 65535. Nothing was imported." in result.output
    assert "SELECT" not in result.output and "%s" not in result.output and "visit_pk_1" not in result.output
    db.session.rollback()
    assert count(Visit) == 0 and count(Case) == 0


def test_bulk_insert_keeps_every_text_as_written(app):
    """The import's bulk writes (PostgreSQL: COPY of CSV text) keep empty text apart from NULL,
    and commas, quotes, line breaks, backslashes and the CSV's own NULL marker as they are."""
    from monitor.stores.visits import bulk_insert

    texts = ["", None, "x,y", 'q"uote', "new\nline", "cr\rhere", "crlf\r\n", "back\\slash", " sp ", "\\N ", "Ёж"]
    db.session.execute(text("CREATE TEMPORARY TABLE copy_check (id INTEGER PRIMARY KEY, words TEXT, n INTEGER)"))
    for batch in (texts, texts + ["\\N"]):  # the marker itself: written value by value instead
        db.session.execute(text("DELETE FROM copy_check"))
        numbers = pd.array([None if i % 3 == 0 else i for i in range(len(batch))], dtype="Int64")
        frame = pd.DataFrame({"id": range(len(batch)), "words": batch, "n": numbers})
        bulk_insert(db.session, "copy_check", ["id", "words", "n"], frame)
        stored = db.session.execute(text("SELECT words, n FROM copy_check ORDER BY id")).all()
        assert [row.words for row in stored] == batch
        assert [row.n for row in stored] == [None if pd.isna(v) else v for v in numbers]
    db.session.execute(text("DROP TABLE copy_check"))
    db.session.commit()


def test_the_visits_an_import_holds_for_its_recheck_are_those_stored(app, loaded_catalog, tmp_path):
    """The re-check after an import judges the visits the import holds in memory instead of
    reading them back: they must be exactly what the database now returns, stored cases'
    earlier visits included."""
    from monitor.compliance import frame_from_text, parse_visits
    from monitor.services.context import engine_inputs
    from monitor.stores import visits as visit_store

    _synthetic(loaded_catalog, 600, "old-").to_csv(tmp_path / "old.csv", index=False)
    assert run_import(app, tmp_path / "old.csv").exit_code == 0
    db.session.commit()
    new = _synthetic(loaded_catalog, 900, "new-")
    # Some new visits continue stored cases, with a fraction of a second and a consult's empty fields.
    stored_case = new["case_id"].ne("") & (new.index % 7 == 0)
    new.loc[stored_case, "case_id"] = new.loc[stored_case, "case_id"].str.replace("new-", "old-", regex=False)
    new.loc[new.index % 11 == 0, "finished_at"] = new.loc[new.index % 11 == 0, "finished_at"] + ".123456789"
    inputs = engine_inputs()
    parsed = parse_visits(frame_from_text(new.astype(str)), inputs.frames, inputs.timezone)
    result = visit_store.import_visits(db.session, parsed.visits, hash_key=app.config["APPLICANT_HASH_KEY"],
                                       source="import:test", frames=inputs.frames, calendar=inputs.calendar)
    assert result.inserted == len(parsed.visits) and result.visits is not None
    read = visit_store.visits_frame(db.session, inputs.frames, inputs.timezone, result.case_pks, result.consult_pks)
    held = result.visits
    assert len(read) > result.inserted  # the stored cases' earlier visits are held too
    columns = list(read.columns)
    held, read = (frame[columns].sort_values("visit_pk").reset_index(drop=True) for frame in (held, read))
    for frame in (held, read):
        frame["case_pk"] = frame["case_pk"].astype("float64")
        frame["stored_day"] = frame["stored_day"].astype("int64")
        for column in visit_store.TIMESTAMPS:  # the same moments, whatever their resolution
            frame[column] = frame[column].astype("datetime64[us, UTC]")
    pd.testing.assert_frame_equal(held, read, check_dtype=False)
    db.session.rollback()


def test_a_large_import_brings_the_planners_statistics_up_to_date_in_its_transaction(
        app, loaded_catalog, database_url, tmp_path, monkeypatch):
    """PostgreSQL plans the re-check after an import by the tables' statistics: planned for the
    tables as they were (empty, or far smaller), a look-up of the import's tens of thousands of
    cases filtered every row against the whole array. A write of STATISTICS_AFTER_ROWS rows or
    more analyzes them in its own transaction (here the threshold is 1): the statistics count
    the rows the import wrote. SQLite keeps none; the import runs the same."""
    from sqlalchemy import text

    from monitor.stores import visits as visit_store

    monkeypatch.setattr(visit_store, "STATISTICS_AFTER_ROWS", 1)
    rows = [row(f"s{n}", case_id=f"S{n}", called=f"2026-04-06T{8 + n // 60:02d}:{n % 60:02d}",
                finished=f"2026-04-06T{8 + n // 60:02d}:{n % 60:02d}", ticket="") for n in range(30)]
    assert run_import(app, write_csv(tmp_path / "v.csv", rows)).exit_code == 0
    if database_url.startswith("postgresql"):
        counted = {name: db.session.scalar(text(f"SELECT reltuples FROM pg_class WHERE relname = '{name}'"))
                   for name in ("visits", "cases")}
        assert counted == {"visits": 30, "cases": 30}
    assert db.session.query(Visit).count() == 30
