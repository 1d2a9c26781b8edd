"""Evidence with no holes (issue 22): every table whose rows decide a finding, a deadline or a
published number is vouched for by the audit chain, and ``flask audit verify`` checks rows,
chain and every stored head in one run.

Each test builds its data through the application (desk save, declaration, office and user
creation, calendar overrides by the admin page and the CLI, a correction request and its
decision, a sweep and a publication by the jobs), checks that it verifies clean, then edits,
deletes or inserts rows with raw SQL and expects ``verify`` to name each table and row. The
``app`` fixture runs every test on SQLite and, with TEST_DATABASE_URL, on PostgreSQL.
"""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select, text

from monitor.extensions import db
from monitor.models import (
    AuditRecord,
    CorrectionRequest,
    IndicatorSnapshot,
    JobRun,
    RelativeDeclaration,
    RowDigest,
    User,
    Visit,
)
from monitor.stores import audit

from .conftest import PASSWORD, restore_rows, table_rows
from .test_desk import RELATIVE_IIN, visit_form
from .test_evidence import post_correction

pytestmark = pytest.mark.both_databases

WEEK = "2026-W15"  # the week of visit_form's 6 April 2026: long over, publishable
MOMENT = "2026-04-09 08:00:00"  # a timestamp literal both databases read


def verify(app, *args):
    return app.test_cli_runner().invoke(args=["audit", "verify", *args])


# The world is built through the application once per database and kept as rows; each later
# test starts from exactly those rows (the flows take seconds, a restore milliseconds).
_BUILT: dict[str, tuple[dict, dict]] = {}


@pytest.fixture
def world(app, client, login, loaded_catalog, people, database_url):
    """Rows of every covered table, written by the application's own flows."""
    if database_url in _BUILT:
        rows, ids = _BUILT[database_url]
        restore_rows(rows)
        return ids
    ids = build_world(app, client, login, people)
    _BUILT[database_url] = (table_rows(), ids)
    return ids


def build_world(app, client, login, people) -> dict:
    runner = app.test_cli_runner()
    login("desk1")
    saved = client.post("/desk/visits/new", data=visit_form(other_documents="Salary certificate",
                                                            override_reason="the applicant insisted"))
    assert saved.status_code == 302, saved.get_data(as_text=True)
    assert client.post("/desk/relatives", data={"iin": RELATIVE_IIN}).status_code == 302
    client.post("/logout")

    login("admin")
    created = client.post("/admin/offices", data={"code": "OF9", "name_kk": "k", "name_ru": "r", "name_en": "e",
                                                  "region": "Astana"})
    assert created.status_code == 302, created.get_data(as_text=True)
    created = client.post("/admin/users", data={"login": "desk3", "role": "desk", "office_code": "OF1",
                                                "password": PASSWORD})
    assert created.status_code == 302, created.get_data(as_text=True)
    assert client.post("/admin/calendar", data={"day": "2026-04-08", "is_working_day": "off",
                                                "reason": "Decree 7"}).status_code == 302
    client.post("/logout")
    result = runner.invoke(args=["calendar", "override", "2026-04-13", "--off", "--reason", "Decree 8"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["calendar", "override", "2026-04-14", "--off", "--reason", "Decree 9"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["calendar", "remove-override", "2026-04-14"])
    assert result.exit_code == 0, result.output

    visit = db.session.scalar(select(Visit))
    people["desk3"] = db.session.scalar(select(User).where(User.login == "desk3"))
    login("desk3")  # a colleague's correction waits for the supervisor
    assert post_correction(client, visit, documents_requested="APPLICATION;MARRIAGE_CERT",
                           reason="my colleague mistyped").status_code == 302
    client.post("/logout")
    request = db.session.scalar(select(CorrectionRequest))
    assert request is not None
    login("super1")
    assert client.post(f"/supervisor/corrections/{request.id}",
                       data={"decision": "approve", "note": "checked"}).status_code == 302
    client.post("/logout")

    for job in (["sweep", "--now", "2026-04-20T09:00"], ["publish", "--week", WEEK]):
        result = runner.invoke(args=["jobs", "run", *job])
        assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(IndicatorSnapshot)) > 0
    result = verify(app)
    assert result.exit_code == 0, result.output
    assert "every recorded row matches" in result.output
    return {
        "snapshot": db.session.scalar(select(IndicatorSnapshot.id).where(
            IndicatorSnapshot.week == WEEK, IndicatorSnapshot.scope_kind == "network",
            IndicatorSnapshot.indicator == "on_time_rate")),
        "declaration": db.session.scalar(select(RelativeDeclaration.id)),
        "request": request.id,
        "job": db.session.scalar(select(JobRun.id).where(JobRun.job == "publish")),
        "desk3": db.session.scalar(select(User.id).where(User.login == "desk3")),
        "super1": people["super1"].id,
        "visit": visit.id,
    }


def test_application_flows_on_every_covered_table_verify_clean(app, world):
    covered = set(db.session.scalars(select(RowDigest.entity).distinct()))
    assert {"calendar_override", "indicator_snapshot", "relative_declaration", "correction_request", "office",
            "user", "catalog_version", "document", "service", "job_run"} <= covered
    # The head stored with the publication is checked without being asked for.
    assert "head stored with the publication of week 2026-W15" in verify(app).output


def test_raw_edits_of_every_covered_table_are_named(app, world):
    statements = [
        ("UPDATE indicator_snapshots SET value = 0.999 WHERE id = :snapshot", {"snapshot": world["snapshot"]}),
        ("UPDATE calendar_overrides SET is_working_day = NOT is_working_day WHERE day = '2026-04-08'", {}),
        ("UPDATE relative_declarations SET applicant_hash = :h WHERE id = :id",
         {"h": "f" * 64, "id": world["declaration"]}),
        ("UPDATE correction_requests SET status = 'rejected' WHERE id = :id", {"id": world["request"]}),
        ("UPDATE offices SET name_en = 'Renamed' WHERE code = 'OF1'", {}),
        ("UPDATE job_runs SET result = 'failed', message = 'forged' WHERE id = :id", {"id": world["job"]}),
        ("UPDATE users SET role = 'admin' WHERE login = 'desk3'", {}),
        ("INSERT INTO supervised_offices (user_id, office_code) VALUES (:id, 'OF2')", {"id": world["super1"]}),
        ("UPDATE service_versions SET deadline_value = 99 WHERE service_code = 'S1'", {}),
        ("UPDATE documents SET state_system = 'forged' WHERE code = 'APPLICATION'", {}),
    ]
    for statement, parameters in statements:
        db.session.execute(text(statement), parameters)
    db.session.commit()
    result = verify(app)
    assert result.exit_code == 1
    edited = "was edited behind the application's back"
    for expected in (f"indicator snapshot {WEEK} network on_time_rate (row {world['snapshot']}) {edited}",
                     f"calendar override row 2026-04-08 {edited}",
                     f"relative declaration row {world['declaration']} {edited}",
                     f"correction request row {world['request']} {edited}",
                     f"office row OF1 {edited}",
                     f"job run publish (row {world['job']}) {edited}",
                     f"user desk3 (row {world['desk3']}) {edited}",
                     f"user super1 (row {world['super1']}) {edited}",
                     "catalog version S1 (row", f"document row APPLICATION {edited}"):
        assert expected in result.output, (expected, result.output)
    for table in ("indicator_snapshots", "calendar_overrides", "relative_declarations", "correction_requests",
                  "offices", "job_runs", "users", "service_versions", "documents"):
        assert f"(table {table}, " in result.output, table
    assert "(table calendar_overrides, day 2026-04-08)" in result.output
    assert "(table offices, code OF1)" in result.output


def test_raw_deletes_of_every_covered_table_are_named(app, world):
    statements = [
        ("DELETE FROM indicator_snapshots WHERE id = :id", {"id": world["snapshot"]}),
        ("DELETE FROM calendar_overrides WHERE day = '2026-04-08'", {}),
        ("DELETE FROM relative_declarations WHERE id = :id", {"id": world["declaration"]}),
        ("DELETE FROM correction_requests WHERE id = :id", {"id": world["request"]}),
        ("DELETE FROM offices WHERE code = 'OF9'", {}),
        ("DELETE FROM job_runs WHERE id = :id", {"id": world["job"]}),
    ]
    for statement, parameters in statements:
        db.session.execute(text(statement), parameters)
    db.session.commit()
    result = verify(app)
    assert result.exit_code == 1
    deleted = "was deleted behind the application's back"
    for expected in (f"indicator snapshot row {world['snapshot']} {deleted}",
                     f"calendar override row 2026-04-08 {deleted}",
                     f"relative declaration row {world['declaration']} {deleted}",
                     f"correction request row {world['request']} {deleted}",
                     f"office row OF9 {deleted}", f"job run row {world['job']} {deleted}"):
        assert expected in result.output, (expected, result.output)


def test_raw_inserts_into_every_covered_table_are_named(app, world):
    statements = [
        # A day off that would stop a missed deadline from firing on the next sweep.
        "INSERT INTO calendar_overrides (day, is_working_day, reason, created_by, created_at)"
        " VALUES ('2026-04-09', FALSE, 'forged', 'admin', :at)",
        "INSERT INTO relative_declarations (user_id, applicant_hash, declared_at) VALUES (:desk3, :hash, :at)",
        "INSERT INTO correction_requests (visit_pk, office_code, requested_by, requested_at, changes, reason,"
        " why_supervised, status) VALUES (:visit, 'OF1', 'desk3', :at, '{}', 'forged', 'forged', 'approved')",
        "INSERT INTO offices (code, name_kk, name_ru, name_en, region) VALUES ('OF8', 'k', 'r', 'e', '')",
        "INSERT INTO indicator_snapshots (week, scope_kind, scope_value, indicator, value, published_at)"
        " VALUES ('2026-W16', 'network', '', 'on_time_rate', 0.999, :at)",
        "INSERT INTO job_runs (job, started_at, finished_at, result, message) VALUES ('sweep', :at, :at, 'ok', '')",
    ]
    parameters = {"at": MOMENT, "desk3": world["desk3"], "hash": "e" * 64, "visit": world["visit"]}
    for statement in statements:
        db.session.execute(text(statement), parameters)
    db.session.commit()
    ids = {table: db.session.scalar(text(f"SELECT MAX(id) FROM {table}")) for table in (  # nosec B608
        "relative_declarations", "correction_requests", "indicator_snapshots", "job_runs")}
    result = verify(app)
    assert result.exit_code == 1
    inserted = "was inserted behind the application's back"
    for expected in ("calendar override row 2026-04-09 " + inserted,
                     f"relative declaration row {ids['relative_declarations']} {inserted}",
                     f"correction request row {ids['correction_requests']} {inserted}",
                     "office row OF8 " + inserted,
                     f"indicator snapshot 2026-W16 network on_time_rate (row {ids['indicator_snapshots']}) {inserted}",
                     f"job run sweep (row {ids['job_runs']}) {inserted}"):
        assert expected in result.output, (expected, result.output)


# --- the heads the application stored -----------------------------------------------------

@pytest.fixture
def published_chain(app):
    """Six records, a week published (its head stored with it), then three more records."""
    for number in range(1, 7):
        audit.record(db.session, "tester", "update", "visit", f"V{number}", new={"n": number}, reason="test")
    db.session.commit()
    head = db.session.scalar(select(AuditRecord.hash).where(AuditRecord.sequence == 6))
    db.session.add(IndicatorSnapshot(week="2026-W10", scope_kind="network", scope_value="", indicator="complaints",
                                     value=0, published_at=dt.datetime.now(dt.UTC), audit_head_hash=head))
    db.session.commit()  # stamped by record 7
    for number in range(7, 10):
        audit.record(db.session, "tester", "update", "visit", f"V{number}", new={"n": number}, reason="test")
    db.session.commit()
    assert verify(app).exit_code == 0
    return head


def test_a_rewritten_and_rehashed_tail_is_caught_by_the_stored_head(app, published_chain):
    intact = verify(app)
    assert intact.exit_code == 0 and "head stored with the publication of week 2026-W10" in intact.output
    assert "is record 6: the records up to it are unchanged" in intact.output
    records = db.session.scalars(select(AuditRecord).where(AuditRecord.sequence >= 4)
                                 .order_by(AuditRecord.sequence)).all()
    previous = db.session.scalar(select(AuditRecord.hash).where(AuditRecord.sequence == 3))
    for entry in records:  # record 4 rewritten, every later one re-hashed: a chain whole by itself
        if entry.sequence == 4:
            entry.reason = "nothing happened"
        entry.previous_hash = previous
        entry.hash = audit._digest(entry)
        previous = entry.hash
    db.session.commit()
    result = verify(app)  # no --head: the stored one is checked
    assert result.exit_code == 1
    assert "audit trail BROKEN" not in result.output  # the chain alone looks whole...
    assert "head stored with the publication of week 2026-W10" in result.output  # ...not against its head
    assert "this head is not in the chain" in result.output


def test_a_truncated_tail_with_its_rows_is_caught_by_the_stored_head(app, published_chain):
    db.session.execute(text("DELETE FROM row_digests WHERE sequence >= 6"))
    db.session.execute(text("DELETE FROM audit_records WHERE sequence >= 6"))
    db.session.commit()
    result = verify(app)
    assert result.exit_code == 1 and "audit trail BROKEN" not in result.output
    assert "head stored with the publication of week 2026-W10" in result.output
    assert "this head is not in the chain" in result.output


def test_a_given_head_adds_a_check_and_the_rows_are_still_checked(app, world):
    head = db.session.scalar(select(AuditRecord.hash).order_by(AuditRecord.sequence.desc()).limit(1))
    assert verify(app, "--head", head).exit_code == 0
    db.session.execute(text("UPDATE offices SET region = 'elsewhere' WHERE code = 'OF2'"))
    db.session.execute(text("UPDATE visits SET staff_id = 'someone else'"))
    db.session.commit()
    result = verify(app, "--head", head)
    assert result.exit_code == 1
    assert "the head given" in result.output and "the records up to it are unchanged" in result.output
    assert "office row OF2 was edited" in result.output and "was edited behind" in result.output
    assert "visit " in result.output


def test_forged_row_digest_entries_are_named_not_a_crash(app, world):
    sequence = db.session.scalar(select(func.max(RowDigest.sequence)).where(RowDigest.entity == "visit"))
    db.session.execute(text("INSERT INTO row_digests (sequence, entity, row_id, digest) VALUES (:s, 'visit', "
                            "'not a number', :d)"), {"s": sequence, "d": "0" * 64})
    db.session.commit()
    result = verify(app)
    assert result.exit_code == 1 and f"audit record {sequence}: its row digests were altered" in result.output
