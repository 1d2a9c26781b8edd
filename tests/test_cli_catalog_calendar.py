"""The command line: ``flask catalog validate|load|export`` and ``flask calendar ...``."""
from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from sqlalchemy import select

from monitor.extensions import db
from monitor.models import CalendarOverride as OverrideRow, Case, Visit
from monitor.stores.catalog import catalog_from_db
from services_catalog import BUNDLED_CATALOG, CatalogError, load_catalog

from .catalogs import DOCUMENTS, service, text, version, write_catalog

pytestmark = pytest.mark.both_databases

LOCAL = dt.timezone(dt.timedelta(hours=5))
HEADER = ("visit_id,case_id,office_code,service_code,staff_id,applicant_ref,ticket_at,called_at,"
          "finished_at,action,documents_requested,refusal_ground,forwarded_to")


def end_of(day: str) -> dt.datetime:
    return dt.datetime.combine(dt.date.fromisoformat(day), dt.time(23, 59, 59), LOCAL)


@pytest.fixture
def cli(app):
    runner = app.test_cli_runner()

    def invoke(*args):
        result = runner.invoke(args=[str(a) for a in args])
        # Read what the command committed, not this session's older snapshot.
        db.session.rollback()
        db.session.expire_all()
        return result

    return invoke


def bad_catalog(folder):
    """Four problems in three files."""
    documents = [dict(d) for d in DOCUMENTS] + [
        {"code": "PHOTO", "name": text("Photo again"), "state_system": None}]
    return write_catalog(folder, documents=documents, services=[
        service("S1", versions=[version(required_documents=["APPLICATION", "NO_SUCH_DOC"])]),
        service("S2", versions=[version(deadline={"value": -2, "unit": "working_days"})]),
        service("S3", name={"kk": "x", "ru": "x"}),
    ])


# --------------------------------------------------------------------------- catalog validate

def test_validate_accepts_a_good_folder(cli, catalog_dir):
    result = cli("catalog", "validate", catalog_dir)
    assert result.exit_code == 0, result.output
    assert "valid" in result.output
    assert "3 services" in result.output and "4 versions" in result.output


def test_validate_accepts_the_bundled_catalog(cli):
    result = cli("catalog", "validate", BUNDLED_CATALOG)
    assert result.exit_code == 0, result.output


def test_validate_lists_every_error_each_on_its_own_line(cli, tmp_path):
    folder = bad_catalog(tmp_path / "bad")
    with pytest.raises(CatalogError) as info:
        load_catalog(folder)
    expected = [str(problem) for problem in info.value.problems]
    assert len(expected) == 4

    result = cli("catalog", "validate", folder)
    assert result.exit_code != 0
    lines = result.stderr.splitlines()
    error_lines = [line for line in lines if line.startswith("error:")]
    assert error_lines == [f"error: {problem}" for problem in expected]
    for fragment in ("NO_SUCH_DOC", "PHOTO", "-2", "name.en"):
        assert sum(fragment in line for line in error_lines) == 1, fragment
    assert "4 problem" in result.stderr
    assert "valid (" not in result.stdout


def test_validate_reports_invalid_yaml_on_one_line_naming_the_file(cli, tmp_path):
    folder = write_catalog(tmp_path / "bad", raw_files={
        "services/S9.yaml": "code: S9\nname: {kk: a, ru: b\nversions: []\n"})
    result = cli("catalog", "validate", folder)
    assert result.exit_code != 0
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    # One line per problem, then the summary: no message spills over several lines.
    assert lines[-1].endswith("is not valid.")
    assert all(line.startswith("error:") for line in lines[:-1]), lines
    yaml_lines = [line for line in lines if "S9.yaml" in line]
    assert len(yaml_lines) >= 1 and yaml_lines[0].startswith("error: services/S9.yaml")
    assert "yaml" in yaml_lines[0].lower()


def test_validate_refuses_a_folder_that_does_not_exist(cli, tmp_path):
    result = cli("catalog", "validate", tmp_path / "nowhere")
    assert result.exit_code != 0


# --------------------------------------------------------------------------- catalog load / export

def test_load_then_export_round_trips(cli, catalog_dir, tmp_path):
    result = cli("catalog", "load", catalog_dir)
    assert result.exit_code == 0, result.output
    assert "Loaded 3 services (4 versions)" in result.output
    assert catalog_from_db(db.session) == load_catalog(catalog_dir)

    result = cli("catalog", "export", tmp_path / "out")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "out" / "documents.yaml").is_file()
    assert sorted(p.name for p in (tmp_path / "out" / "services").iterdir()) == \
        ["S1.yaml", "S2.yaml", "S3.yaml"]
    assert load_catalog(tmp_path / "out") == load_catalog(catalog_dir)


def test_the_bundled_catalog_round_trips_through_the_cli(cli, tmp_path):
    assert cli("catalog", "load", BUNDLED_CATALOG).exit_code == 0
    assert cli("catalog", "export", tmp_path / "out").exit_code == 0
    assert load_catalog(tmp_path / "out") == load_catalog(BUNDLED_CATALOG)


def test_load_of_a_bad_folder_changes_nothing(cli, loaded_catalog, tmp_path):
    before = catalog_from_db(db.session)
    result = cli("catalog", "load", bad_catalog(tmp_path / "bad"))
    assert result.exit_code != 0
    assert result.stderr.count("error:") == 4
    assert catalog_from_db(db.session) == before


# --------------------------------------------------------------------------- calendar explain

def test_explain_shows_the_nauryz_days_skipped_and_the_due_date(cli):
    result = cli("calendar", "explain", "2026-03-20", "5", "working_days")
    assert result.exit_code == 0, result.output
    out = result.output
    skipped = [line for line in out.splitlines() if "skipped" in line]
    assert [line.split()[1] for line in skipped] == [
        "2026-03-21", "2026-03-22", "2026-03-23", "2026-03-24", "2026-03-25", "2026-03-28", "2026-03-29"]
    assert all("Nowruz" in line for line in skipped[:5])
    assert all("weekend" in line for line in skipped[5:])
    assert "Due 2026-04-01 23:59:59" in out


def test_explain_takes_a_time_and_every_unit(cli):
    out = cli("calendar", "explain", "2026-03-20T22:30", "2", "hours").output
    assert "2026-03-21 00:30:00" in out
    out = cli("calendar", "explain", "2026-03-13T10:00", "10", "calendar_days").output
    assert "2026-03-26 23:59:59" in out and "2026-03-23" in out


def test_explain_refuses_a_bad_date_or_unit(cli):
    assert cli("calendar", "explain", "20 March", "5", "working_days").exit_code != 0
    assert cli("calendar", "explain", "2026-03-20", "5", "weeks").exit_code != 0


def test_explain_follows_the_stored_overrides(cli):
    result = cli("calendar", "override", "2026-03-26", "--off", "--reason", "Decree No. 42")
    assert result.exit_code == 0, result.output
    out = cli("calendar", "explain", "2026-03-20", "5", "working_days").output
    assert "Due 2026-04-02 23:59:59" in out
    assert "2026-03-26" in out and "Decree No. 42" in out


# --------------------------------------------------------------------------- overrides re-time open cases

def write_visits(path, *rows: str):
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    return path


def stored_due(case_number: str) -> dt.datetime | None:
    return db.session.scalars(select(Case.due_at).where(Case.case_number == case_number)).one()


def test_an_override_re_times_open_cases_at_once_and_removing_it_puts_them_back(
        cli, loaded_catalog, tmp_path):
    visits = write_visits(
        tmp_path / "visits.csv",
        # C-OPEN: accepted on Friday 20 March 2026 for S1 (5 working days), still open.
        "V1,C-OPEN,OFF1,S1,staff1,,2026-03-20T09:55,2026-03-20T10:00,2026-03-20T10:15,submit,,,",
        # C-DONE: accepted the same day and issued: re-timed too (its receipt and
        # DEADLINE_MISSED use the stored due date).
        "V2,C-DONE,OFF1,S1,staff1,,,2026-03-20T11:00,2026-03-20T11:10,submit,,,",
        "V3,C-DONE,OFF1,S1,staff1,,,2026-03-26T11:00,2026-03-26T11:10,issue,,,",
    )
    result = cli("visits", "import", visits)
    assert result.exit_code == 0, result.output
    assert stored_due("C-OPEN") == end_of("2026-04-01")
    assert stored_due("C-DONE") == end_of("2026-04-01")

    result = cli("calendar", "override", "2026-03-26", "--off", "--reason", "Decree No. 42")
    assert result.exit_code == 0, result.output
    assert "2 cases re-timed" in result.output
    assert stored_due("C-OPEN") == end_of("2026-04-02")
    assert stored_due("C-DONE") == end_of("2026-04-02")
    row = db.session.get(OverrideRow, dt.date(2026, 3, 26))
    assert row is not None and row.is_working_day is False and row.reason == "Decree No. 42"

    result = cli("calendar", "remove-override", "2026-03-26")
    assert result.exit_code == 0, result.output
    assert stored_due("C-OPEN") == end_of("2026-04-01")
    assert db.session.get(OverrideRow, dt.date(2026, 3, 26)) is None


def test_a_working_saturday_brings_an_open_case_forward(cli, loaded_catalog, tmp_path):
    visits = write_visits(tmp_path / "visits.csv",
                          "V1,C1,OFF1,S1,staff1,,,2026-03-20T10:00,2026-03-20T10:15,submit,,,")
    assert cli("visits", "import", visits).exit_code == 0
    assert stored_due("C1") == end_of("2026-04-01")

    result = cli("calendar", "override", "2026-03-28", "--working", "--reason", "working Saturday")
    assert result.exit_code == 0, result.output
    assert stored_due("C1") == end_of("2026-03-31")

    # Replacing the override (same day, now a day off as before) re-times again.
    result = cli("calendar", "override", "2026-03-28", "--off", "--reason", "back to normal")
    assert result.exit_code == 0, result.output
    assert stored_due("C1") == end_of("2026-04-01")
    assert db.session.get(OverrideRow, dt.date(2026, 3, 28)).reason == "back to normal"


def test_removing_an_override_that_does_not_exist_fails(cli):
    result = cli("calendar", "remove-override", "2026-03-26")
    assert result.exit_code != 0
    assert "2026-03-26" in result.output


def test_override_needs_a_reason_and_a_direction(cli):
    assert cli("calendar", "override", "2026-03-26", "--off").exit_code != 0
    assert cli("calendar", "override", "2026-03-26", "--reason", "x").exit_code != 0
    assert db.session.get(OverrideRow, dt.date(2026, 3, 26)) is None


def test_an_override_re_times_only_the_cases_the_day_reaches_and_leaves_what_a_whole_rejudge_leaves(
        app, loaded_catalog, tmp_path):
    """An override re-times and sweeps the cases accepted before the day ends and due on it or
    later (with their applicants' cases), not the history: the cases, findings and figures are
    those re-timing and sweeping everything gives."""
    from monitor.models import AuditRecord
    from monitor.services import calendar_changes, findings as findings_service
    from monitor.services.context import engine_inputs
    from monitor.stores import calendar as calendar_store, cases as case_store, findings as findings_store
    from monitor.tools.synthetic import generate_visits

    from .conftest import findings_and_figures, restore_rows, table_rows

    log = generate_visits(load_catalog(loaded_catalog), visits=1500, start=dt.date(2026, 3, 2), days=60,
                          offices=["OF1", "OF2"], breach_rate=0.15)
    log.to_csv(tmp_path / "v.csv", index=False)
    assert app.test_cli_runner().invoke(args=["visits", "import", str(tmp_path / "v.csv")]).exit_code == 0
    now = dt.datetime(2026, 4, 20, tzinfo=dt.UTC)
    findings_service.sweep(db.session, engine_inputs(), now, now=now)  # every finding as of the same clock
    db.session.commit()
    earlier, day = table_rows(), dt.date(2026, 4, 6)  # a Monday in the log's weeks, made a day off
    reached = case_store.reaching_day(db.session, day, engine_inputs().timezone)
    assert 0 < len(reached) < db.session.query(Case).count() / 2

    def state():
        cases = db.session.execute(select(Case.id, Case.accepted_at, Case.due_at, Case.completed_at)
                                   .order_by(Case.id)).all()
        return [tuple(row) for row in cases], *findings_and_figures()

    retimed = calendar_changes.override_day(db.session, day, False, "decree", "admin", now=now)
    db.session.commit()
    assert db.session.scalars(select(AuditRecord.entity_id).where(AuditRecord.action == "retime")).one() \
        == f"{len(reached)} reached"
    scoped = state()

    restore_rows(earlier)
    why = calendar_store.set_override(db.session, day, False, "decree", "admin")
    findings_store.retime_and_judge(db.session, engine_inputs(), "admin", findings_store.Cause("calendar", why),
                                    now=now, since=day)
    db.session.commit()
    assert retimed == len(reached)
    assert scoped == state()
    assert scoped[1] != earlier_findings(earlier)


def earlier_findings(rows: dict[str, list[dict]]) -> list[tuple]:
    """The findings of a ``table_rows`` copy in ``findings_and_figures``' shape."""
    columns = ("id", "rule", "visit_pk", "case_pk", "firing", "detail", "params", "as_of", "cleared_at",
               "cleared_cause")
    return [tuple(row[c] for c in columns) for row in sorted(rows["findings"], key=lambda r: r["id"])]


def test_a_catalog_load_re_judges_only_the_services_it_changes_and_leaves_what_a_whole_re_judge_leaves(
        app, loaded_catalog, tmp_path):
    """A load that changes S2's version of 1 April (a shorter deadline, a document more, as a
    steward's draft would) re-times and judges S2's cases and consults of that day on, not the
    history: the cases, findings and figures are those re-timing and judging everything gives.
    Loading the same catalog again reaches nothing."""
    from monitor.services import catalog as catalog_service, findings as findings_service
    from monitor.services.context import engine_inputs
    from monitor.stores import catalog as catalog_store, findings as findings_store
    from monitor.tools.synthetic import generate_visits

    from .catalogs import default_services
    from .conftest import findings_and_figures, restore_rows, table_rows

    log = generate_visits(load_catalog(loaded_catalog), visits=1500, start=dt.date(2026, 3, 2), days=60,
                          offices=["OF1", "OF2"], breach_rate=0.15)
    # A consult of S2 by an applicant with no case, asked for PHOTO (the office's to obtain until
    # the change, lawful after it): only the load itself reaches it.
    consult = log.iloc[[0]].assign(visit_id="K-PHOTO", case_id="", service_code="S2", action="consult",
                                   applicant_ref="A-CONSULT-ONLY", documents_requested="PHOTO",
                                   called_at="2026-04-10T10:00:00", finished_at="2026-04-10T10:05:00", ticket_at="")
    pd.concat([log, consult]).to_csv(tmp_path / "v.csv", index=False)
    assert app.test_cli_runner().invoke(args=["visits", "import", str(tmp_path / "v.csv")]).exit_code == 0
    now = dt.datetime(2026, 4, 20, tzinfo=dt.UTC)
    findings_service.sweep(db.session, engine_inputs(), now, now=now)  # every finding as of the same clock
    db.session.commit()
    earlier = table_rows()
    assert catalog_service.put_in_force(db.session, load_catalog(loaded_catalog), "admin").retimed == 0

    services = default_services()
    services[1]["versions"][1].update(deadline={"value": 1, "unit": "working_days"},
                                      required_documents=["APPLICATION", "PHOTO"], obtained_by_office=["ID_CARD"])
    changed = load_catalog(write_catalog(tmp_path / "changed", services=services))
    s2_cases = db.session.query(Case).filter(Case.service_code == "S2").count()
    assert 0 < s2_cases < db.session.query(Case).count() / 2
    # The changed version takes effect on 1 April: S2's cases whose visits all ended before it
    # are judged as before, and are not reached.
    from_april = len(set(db.session.scalars(select(Visit.case_pk).where(
        Visit.service_code == "S2", Visit.case_pk.is_not(None),
        Visit.finished_at >= dt.datetime(2026, 4, 1, tzinfo=LOCAL)))))
    assert 0 < from_april < s2_cases

    def state():
        cases = db.session.execute(select(Case.id, Case.accepted_at, Case.due_at, Case.completed_at)
                                   .order_by(Case.id)).all()
        return [tuple(row) for row in cases], *findings_and_figures()

    restore_rows(earlier)
    assert catalog_service.put_in_force(db.session, changed, "admin", now=now).retimed == from_april
    db.session.commit()
    scoped = state()

    restore_rows(earlier)
    catalog_store.store_catalog(db.session, changed, actor="admin")
    findings_store.retime_and_judge(db.session, engine_inputs(), "admin",
                                    findings_store.Cause("catalog", catalog_store.last_load(db.session)), now=now)
    db.session.commit()
    assert scoped == state()
    assert [(row[0], row[4], row[5]) for row in scoped[1]] != \
        [(row[0], row[4], row[5]) for row in earlier_findings(earlier)]


def test_a_version_that_takes_effect_after_the_history_reaches_nothing_and_moves_no_figure(
        cli, app, loaded_catalog, tmp_path):
    """A steward's next version of S1, from a day after every stored visit: ``flask catalog load``
    re-times no case, clears or starts no finding and recomputes no week's cells. The same load
    with the version from a day within the history reaches S1's cases from it, and recomputes
    the weeks from that day's on only."""
    from monitor.models import Finding, IndicatorWeek
    from monitor.services import findings as findings_service
    from monitor.services.context import engine_inputs
    from monitor.tools.synthetic import generate_visits

    from .catalogs import default_services

    log = generate_visits(load_catalog(loaded_catalog), visits=600, start=dt.date(2026, 3, 2), days=40,
                          offices=["OF1", "OF2"], breach_rate=0.15)
    log.to_csv(tmp_path / "v.csv", index=False)
    assert cli("visits", "import", tmp_path / "v.csv").exit_code == 0
    findings_service.sweep(db.session, engine_inputs(), dt.datetime(2026, 4, 20, tzinfo=dt.UTC),
                           now=dt.datetime(2026, 4, 20, tzinfo=dt.UTC))
    db.session.commit()
    assert cli("cells", "refresh").exit_code == 0

    def weeks_and_findings():
        """When each week's cells were last computed, and every finding's state."""
        return (dict(db.session.execute(select(IndicatorWeek.week, IndicatorWeek.refreshed_at)).all()),
                [tuple(row) for row in db.session.execute(select(Finding.id, Finding.firing, Finding.cleared_at)
                                                          .order_by(Finding.id))])

    def next_version_from(day: str):
        services = default_services()
        services[0]["versions"][0]["effective_to"] = str(dt.date.fromisoformat(day) - dt.timedelta(days=1))
        services[0]["versions"].append(version(effective_from=day, deadline={"value": 1, "unit": "working_days"},
                                               max_wait_minutes=5))
        return write_catalog(tmp_path / day, services=services)

    before = weeks_and_findings()
    assert len(before[0]) >= 6 and before[1]
    result = cli("catalog", "load", next_version_from("2026-06-01"))
    assert result.exit_code == 0, result.output
    assert "0 cases re-timed (judged differently: S1 from 2026-06-01)." in result.output
    assert weeks_and_findings() == before  # not one week recomputed, not one finding moved

    result = cli("catalog", "load", next_version_from("2026-03-30"))
    assert result.exit_code == 0, result.output
    s1_from_then = len(set(db.session.scalars(select(Visit.case_pk).where(
        Visit.service_code == "S1", Visit.case_pk.is_not(None),
        Visit.finished_at >= dt.datetime(2026, 3, 30, tzinfo=LOCAL)))))
    assert f" {s1_from_then} cases re-timed (judged differently: S1 from 2026-03-30)." in result.output
    assert s1_from_then > 0
    weeks, findings = weeks_and_findings()
    assert findings != before[1]
    # Recomputed: the weeks from 2026-03-30's (2026-W14) on; the weeks before it kept as they were.
    recomputed = {week for week, at in weeks.items() if at != before[0][week]}
    assert recomputed == {week for week in weeks if week >= min(weeks) + 4}


def test_a_change_from_a_day_reaches_a_case_accepted_by_a_visit_that_finished_on_it(cli, loaded_catalog, tmp_path):
    """A case's deadline follows the version in force on its acceptance day, the day its accepting
    visit finished: a submit called at 23:50 the day before S2's change and finished at 00:10 on
    it is reached; one finished at 23:59 the day before is not."""
    from monitor.services.context import engine_inputs
    from monitor.stores import visits as visit_store

    rows = [
        "v1,ACROSS,OF1,S2,st1,,2026-03-31T23:40:00,2026-03-31T23:50:00,2026-04-01T00:10:00,submit,APPLICATION,,",
        "v2,BEFORE,OF1,S2,st1,,2026-03-31T23:30:00,2026-03-31T23:40:00,2026-03-31T23:59:00,submit,APPLICATION,,",
        "v3,,OF1,S2,st1,,,2026-04-01T00:00:00,2026-04-01T00:05:00,consult,,,",
    ]
    (tmp_path / "v.csv").write_text(HEADER + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    assert cli("visits", "import", tmp_path / "v.csv").exit_code == 0
    cases, consults = visit_store.of_services(db.session, {"S2": dt.date(2026, 4, 1)}, engine_inputs().timezone)
    assert [db.session.get(Case, pk).case_number for pk in cases] == ["ACROSS"]
    assert [db.session.get(Visit, pk).visit_id for pk in consults] == ["v3"]
    assert visit_store.of_services(db.session, {"S2": dt.date(2026, 4, 2)}, engine_inputs().timezone) == ([], [])
