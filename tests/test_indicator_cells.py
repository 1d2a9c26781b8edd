"""Indicators are stored as weekly cells: combined for any scope they equal the engine's
``weekly_indicators`` on all history, after every kind of change, on both databases (the
``app`` fixture runs each test on SQLite and, with TEST_DATABASE_URL, on PostgreSQL).

The reference is the engine itself on every stored week at once (``stores.weeks.week_frames``
of the whole history, which tests/test_week_store.py proves equal to judging every stored
visit); the report's old computation, from the shown weeks' rows, is kept here only as
``reference_report`` to compare the report read from cells with.
"""
from __future__ import annotations

import datetime as dt
import re

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import delete, event, func, select

from monitor import jobs
from monitor.calendar import week_end
from monitor.compliance import INDICATORS, weekly_indicators
from monitor.compliance.indicators import SCOPES, week_label, week_number, week_of_label
from monitor.extensions import db
from monitor.models import Case, Finding, IndicatorCell, IndicatorWeek, StaleIndicatorWeeks, User, Visit
from monitor.services import indicator_cells as cells, reports
from monitor.services.citizens import file_complaint
from monitor.services.context import engine_inputs
from monitor.stores import findings as findings_store, weeks as week_store

from .catalogs import default_services, service, version, write_catalog
from .conftest import restore_rows, table_rows
from .test_desk import visit_form
from .test_evidence import approve_pending, post_correction
from .test_import import row, run_import, write_csv
from .test_week_store import assert_same, load

pytestmark = pytest.mark.both_databases

AREA = ["OF1", "OF3"]  # a supervisor's area of two offices (OF2 left out)
NOW = dt.datetime(2026, 4, 20, 9, tzinfo=dt.UTC)  # cells are computed up to this week (2026-W17)


def history() -> tuple[int, int]:
    first, last = db.session.execute(select(func.min(Visit.week), func.max(Visit.week))).one()
    return int(first), int(last)


def engine(scope: str | None, first: int, last: int, offices: list[str] | None = None,
           rows: week_store.WeekFrames | None = None) -> pd.DataFrame:
    """The engine on every stored week at once; within ``offices`` when given (the report's
    area: rows of other offices count in no scope value)."""
    inputs = engine_inputs()
    rows = rows or week_store.week_frames(db.session, inputs.frames, inputs.timezone, first, last)
    complaints = week_store.complaints_between(db.session)
    visits = rows.visits
    if offices is not None:
        inside = visits["office_code"].isin(offices).to_numpy()
        column = SCOPES.get(scope, scope) if scope else None
        visits = visits.assign(area=np.where(inside, "area", None),
                               within=np.where(inside, visits[column].to_numpy(), None) if column else None)
        complaint_inside = complaints["office_code"].isin(offices).to_numpy()
        complaints = complaints.assign(
            area=np.where(complaint_inside, "area", None),
            within=np.where(complaint_inside, complaints[column].to_numpy(), None) if column else None)
        name = "within" if scope else "area"
        values = week_store.scope_values(db.session, scope, offices) if scope else ["area"]
        table = weekly_indicators(visits, rows.cases, rows.findings, inputs.timezone, name, complaints,
                                  weeks=(first, last), scope_values=values, answers=rows.answers)
        return table.rename(columns={"within": scope}) if scope else table.drop(columns="area")
    values = week_store.scope_values(db.session, scope) if scope else None
    return weekly_indicators(visits, rows.cases, rows.findings, inputs.timezone, scope, complaints,
                             weeks=(first, last), scope_values=values, answers=rows.answers)


def check_findings_by_rule_equal_the_findings_page(what: str) -> int:
    """Every week of the history and the weeks around it, the network, one office and an area:
    the report's findings by rule (finding cells) are the findings page's week filter counted."""
    first, last = history()
    timezone = engine_inputs().timezone
    counted = 0
    for week in range(first - 1, last + 2):
        bounds = (week, week_end(week - 1, timezone), week_end(week, timezone))
        for offices in (None, ["OF1"], ["OF2"], AREA):
            want = findings_store.count_by_rule(db.session, offices,
                                                findings_store.FindingFilter(firing=True, week=bounds))
            assert cells.findings_by_rule(db.session, week, offices) == want, (what, week_label(week), offices)
            counted += sum(want.values()) if offices is None else 0
    return counted


def check_cells_equal_engine(what: str) -> None:
    """Every scope, every week of the history: from the final values and from the cells."""
    first, last = history()
    inputs = engine_inputs()
    timezone = inputs.timezone
    assert db.session.scalar(select(func.count()).select_from(StaleIndicatorWeeks)) == 0, what
    assert check_findings_by_rule_equal_the_findings_page(what) > 0, what
    rows = week_store.week_frames(db.session, inputs.frames, timezone, first, last)
    for office in ("OF1", "OF2"):
        assert_same(cells.area_table(db.session, timezone, (first, last), [office]),
                    engine(None, first, last, [office], rows))
    for scope in (None, "office", "service", "staff"):
        want = engine(scope, first, last, rows=rows)
        values = cells.scope_values(db.session, scope) if scope else None
        assert_same(cells.values_table(db.session, scope, (first, last), values), want)
        kind = "office" if scope in (None, "office") else scope
        stored = cells.read_cells(db.session, kind, (first, last), None)
        if scope == "office":
            stored = stored[stored["office_code"] != ""]
        assert_same(cells.combine_cells(stored, scope, (first, last), values, timezone), want)
        # Within a supervisor's area of several offices.
        want = engine(scope, first, last, AREA, rows)
        if scope is None:
            got = cells.area_table(db.session, timezone, (first, last), AREA)
        else:
            got = cells.scope_table(db.session, timezone, scope, (first, last), AREA,
                                    cells.scope_values(db.session, scope, AREA))
        assert_same(got, want)


# The history is built once per database and kept as rows; each later test starts from exactly
# those rows (the import, sweep and refresh take seconds, a restore a fraction of one).
_BUILT: dict[str, dict] = {}


@pytest.fixture
def built(app, client, login, loaded_catalog, tmp_path, people, database_url):
    if database_url in _BUILT:
        restore_rows(_BUILT[database_url])
        return tmp_path
    load(app, loaded_catalog, tmp_path)
    weeks = cells.refresh_all(db.session, engine_inputs(), NOW)
    db.session.commit()
    assert week_label(weeks[-1]) == "2026-W17"
    first, last = history()
    table = engine(None, first, last)
    assert table["cases_completed"].sum() > 100 and table["complaints"].sum() == 2
    assert table["lead_time_p90_hours"].notna().any() and table["overdue_open"].max() > 0
    _BUILT[database_url] = table_rows()
    return tmp_path


def test_cells_equal_the_engine_after_every_kind_of_change(app, client, login, built, loaded_catalog):
    runner = app.test_cli_runner()
    check_cells_equal_engine("built")

    # A desk save: marked stale at once, recomputed by the minute job, never by a request.
    login("desk1")
    saved = client.post("/desk/visits/new", data=visit_form(other_documents="Salary certificate",
                                                            override_reason="the applicant insisted"))
    assert saved.status_code == 302, saved.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(StaleIndicatorWeeks)) > 0
    assert jobs.run_job(app, "cells", NOW).result == "ok"
    check_cells_equal_engine("desk save")

    # A correction approved by a supervisor: the visit moves to another week.
    client.post("/logout")
    visit = db.session.scalar(select(Visit).where(Visit.source == "desk"))
    login("desk1")  # long after the visit's day: a supervisor decides
    assert post_correction(client, visit, called_at="2026-03-30T10:00", ticket_at="2026-03-30T09:30",
                           finished_at="2026-03-30T10:20", reason="the paper log says Monday before"
                           ).status_code == 302
    approve_pending(client, login)
    db.session.expire_all()
    assert week_label(db.session.get(Visit, visit.id).week) == "2026-W14"
    assert jobs.run_job(app, "cells", NOW).result == "ok"
    check_cells_equal_engine("correction")

    # An import: refreshed in the import's own transaction.
    late = [row("imp1", case_id="IMP1", office_code="OF2", staff_id="st7", called="2026-03-03T10:00",
                finished="2026-03-03T10:10", ticket="2026-03-03T09:00", documents="APPLICATION;PHOTO;ID_CARD"),
            row("imp2", case_id="IMP1", action="issue", office_code="OF1", staff_id="st8",
                called="2026-03-24T10:00", finished="2026-03-24T10:10", ticket="2026-03-24T09:55", documents="")]
    assert run_import(app, write_csv(built / "late.csv", late)).exit_code == 0
    check_cells_equal_engine("import")

    # An import that completes a case left open weeks before: its case findings move from the
    # week it was accepted to the week it is completed.
    opened = db.session.execute(
        select(Case.case_number, Case.office_code, Case.service_code, Case.accepted_at)
        .join(Finding, (Finding.case_pk == Case.id) & Finding.visit_pk.is_(None))
        .where(Case.completed_at.is_(None), Case.accepted_at.is_not(None), Finding.firing.is_(True))
        .order_by(Case.accepted_at)).first()
    assert opened is not None
    assert opened.accepted_at < dt.datetime(2026, 4, 6, tzinfo=dt.UTC)  # weeks before the completion
    completing = [row("imp3", case_id=opened.case_number, action="issue", office_code=opened.office_code,
                      service_code=opened.service_code, staff_id="st9", called="2026-04-15T10:00",
                      finished="2026-04-15T10:10", ticket="2026-04-15T09:55", documents="")]
    assert run_import(app, write_csv(built / "completing.csv", completing)).exit_code == 0
    assert db.session.scalar(select(Case.completed_at).where(Case.case_number == opened.case_number)) is not None
    check_cells_equal_engine("an open case completed by an import")

    # An import that returns the package of a case accepted and overdue for weeks: with a return
    # after it, the submit no longer accepts the case, so it was never open and overdue; the
    # weeks it was counted in, before the return's week, change too.
    overdue = db.session.execute(
        select(Case.case_number, Case.office_code, Case.service_code)
        .where(Case.completed_at.is_(None), Case.withdrawn_at.is_(None), Case.accepted_at.is_not(None),
               Case.due_at < dt.datetime(2026, 3, 9, tzinfo=dt.UTC))
        .order_by(Case.due_at)).first()
    assert overdue is not None
    returning = [row("imp4", case_id=overdue.case_number, action="return", office_code=overdue.office_code,
                     service_code=overdue.service_code, staff_id="st9", called="2026-04-16T10:00",
                     finished="2026-04-16T10:10", ticket="2026-04-16T09:55", documents="APPLICATION")]
    assert run_import(app, write_csv(built / "returning.csv", returning)).exit_code == 0
    assert db.session.scalar(select(Case.accepted_at).where(Case.case_number == overdue.case_number)) is None
    check_cells_equal_engine("an overdue case's acceptance taken back by an import")

    # A complaint, then a sweep run by the job (both refreshed by jobs).
    file_complaint(db.session, kind="delay", text="slow", office_code="OF1", service_code="S2",
                   now=dt.datetime(2026, 3, 11, 5, tzinfo=dt.UTC))
    file_complaint(db.session, kind="other", text="no office", now=dt.datetime(2026, 3, 12, 5, tzinfo=dt.UTC))
    db.session.commit()
    assert jobs.run_job(app, "sweep", dt.datetime(2026, 4, 20, tzinfo=dt.UTC)).result == "ok"
    check_cells_equal_engine("complaints and sweep")

    # A supervisor closes a held finding (a desk action would have cleared it): it stops firing,
    # and its week's finding cells follow once the job has run.
    held = db.session.scalar(select(Finding).join(Visit, Finding.visit_pk == Visit.id).where(
        Finding.firing.is_(True), Visit.week.is_not(None)).order_by(Finding.id))
    held.cleared_at, held.cleared_cause, held.cleared_reason = NOW, "desk", "the desk's correction"
    db.session.commit()
    admin = db.session.scalar(select(User).where(User.role == "admin"))
    inputs = engine_inputs()
    assert findings_store.review(db.session, held, "closed", "the desk was right", admin,
                                 timezone=inputs.timezone) is None
    db.session.commit()
    assert not held.firing
    assert db.session.scalar(select(func.count()).select_from(StaleIndicatorWeeks)) > 0
    assert jobs.run_job(app, "cells", NOW).result == "ok"
    check_cells_equal_engine("a held finding closed")

    # A calendar override: due dates from that day on move.
    result = runner.invoke(args=["calendar", "override", "2026-03-10", "--off", "--reason", "Decree 1"])
    assert result.exit_code == 0, result.output
    check_cells_equal_engine("calendar override")

    # A catalog change: S1's deadline becomes one working day.
    services = [service("S1", versions=[version(deadline={"value": 1, "unit": "working_days"})])] \
        + default_services()[1:]
    changed = write_catalog(built / "changed-catalog", services)
    result = runner.invoke(args=["catalog", "load", str(changed)])
    assert result.exit_code == 0, result.output
    check_cells_equal_engine("catalog change")

    # A catalog change from a day within the history (S1's next version from 2 March: another
    # deadline and queue limit): only the weeks from that day's on are recomputed.
    services = [service("S1", versions=[
        version(deadline={"value": 1, "unit": "working_days"}, effective_to="2026-03-01"),
        version(effective_from="2026-03-02", deadline={"value": 2, "unit": "calendar_days"}, max_wait_minutes=5)])] \
        + default_services()[1:]
    refreshed = dict(db.session.execute(select(IndicatorWeek.week, IndicatorWeek.refreshed_at)).all())
    result = runner.invoke(args=["catalog", "load", str(write_catalog(built / "from-march", services))])
    assert result.exit_code == 0, result.output
    assert int(re.search(r"(\d+) cases re-timed", result.output).group(1)) > 0
    db.session.expire_all()
    recomputed = {week for week, at in db.session.execute(select(IndicatorWeek.week, IndicatorWeek.refreshed_at))
                  if at != refreshed[week]}
    assert recomputed == {week for week in refreshed if week >= week_of_label("2026-W10")}
    check_cells_equal_engine("catalog change from a day")


def test_a_desk_save_refreshes_only_the_offices_of_its_case(app, client, login, built):
    """A case accepted at OF1 and forwarded to OF2, its result issued at OF2's desk: the save
    marks the weeks of the case's offices only (the issue counts at OF2, the overdue count it
    ends at OF1), the job recomputes those offices' cells and combines the network, services
    and staff again, and every other office's cells stay the rows they were."""
    forwarded = [row("fwd1", case_id="FWD1", office_code="OF1", staff_id="st1", called="2026-03-03T10:00",
                     finished="2026-03-03T10:10", ticket="2026-03-03T09:50"),
                 row("fwd2", case_id="FWD1", action="forward", office_code="OF1", staff_id="st1",
                     called="2026-03-04T10:00", finished="2026-03-04T10:05", ticket="", documents="",
                     forwarded_to="OF2")]
    # And in the weeks the save makes stale, a case of OF1 completed at OF3: read with OF1's
    # cases, it must not write a partial OF3 cell.
    forwarded += [row("fwd3", case_id="FWD2", office_code="OF1", staff_id="st1", called="2026-04-13T10:00",
                      finished="2026-04-13T10:10", ticket="2026-04-13T09:50"),
                  row("fwd4", case_id="FWD2", action="forward", office_code="OF1", staff_id="st1",
                      called="2026-04-13T11:00", finished="2026-04-13T11:05", ticket="", documents="",
                      forwarded_to="OF3"),
                  row("fwd5", case_id="FWD2", action="issue", office_code="OF3", staff_id="st3",
                      called="2026-04-15T10:00", finished="2026-04-15T10:05", ticket="2026-04-15T09:58",
                      documents="")]
    of2 = dict(db.session.execute(select(IndicatorCell.id, IndicatorCell.week).where(
        IndicatorCell.office_code == "OF2")).all())
    assert run_import(app, write_csv(built / "forwarded.csv", forwarded)).exit_code == 0
    check_cells_equal_engine("a forwarded case imported")
    # The file's visits are at OF1 and OF3 (FWD1 is forwarded to OF2, no visit there yet): the
    # import recomputed their offices' cells and left OF2's rows as they were.
    assert of2 and dict(db.session.execute(select(IndicatorCell.id, IndicatorCell.week).where(
        IndicatorCell.office_code == "OF2")).all()) == of2
    others = dict(db.session.execute(select(IndicatorCell.id, IndicatorCell.office_code).where(
        IndicatorCell.office_code.not_in(["OF1", "OF2"]))).all())
    assert "OF3" in set(others.values())

    login("desk2")  # OF2's desk
    saved = client.post("/desk/visits/new", data=visit_form(
        action="issue", case_number="FWD1", documents=[], called_at="2026-04-14T10:00",
        finished_at="2026-04-14T10:10", ticket_at="2026-04-14T09:55"))
    assert saved.status_code == 302, saved.get_data(as_text=True)
    marks = db.session.execute(select(StaleIndicatorWeeks.first_week, StaleIndicatorWeeks.last_week,
                                      StaleIndicatorWeeks.office_code)).all()
    assert marks and {office for _, _, office in marks} == {"OF1", "OF2"}
    assert min(first for first, _, _ in marks) <= week_of_label("2026-W16")
    assert jobs.run_job(app, "cells", NOW).result == "ok"
    db.session.expire_all()
    assert db.session.scalar(select(Case.completed_at).where(Case.case_number == "FWD1")) is not None
    kept = dict(db.session.execute(select(IndicatorCell.id, IndicatorCell.office_code).where(
        IndicatorCell.office_code.not_in(["OF1", "OF2"]))).all())
    assert kept == others  # not one row of another office was rewritten
    check_cells_equal_engine("the forwarded case's result issued at the other office")

    # A new case at OF2 in the same week: OF2 alone is stale, and its cells still count the
    # completion of FWD1 (accepted at OF1) found by its completing visit.
    saved = client.post("/desk/visits/new", data=visit_form(
        called_at="2026-04-15T11:00", finished_at="2026-04-15T11:10", ticket_at="2026-04-15T10:55",
        override_reason="the applicant insisted"))
    assert saved.status_code == 302, saved.get_data(as_text=True)
    assert set(db.session.scalars(select(StaleIndicatorWeeks.office_code))) == {"OF2"}
    assert jobs.run_job(app, "cells", NOW).result == "ok"
    check_cells_equal_engine("a new case at the office that completed another's")

    # An import of OF2's visits alone that completes a case accepted at OF1 (overdue there since
    # March): OF1's overdue counts change too, so its cells are recomputed with OF2's.
    accepted = [row("fwd6", case_id="FWD3", office_code="OF1", staff_id="st1", called="2026-03-05T10:00",
                    finished="2026-03-05T10:10", ticket="2026-03-05T09:50"),
                row("fwd7", case_id="FWD3", action="forward", office_code="OF1", staff_id="st1",
                    called="2026-03-06T10:00", finished="2026-03-06T10:05", ticket="", documents="",
                    forwarded_to="OF2")]
    assert run_import(app, write_csv(built / "fwd3.csv", accepted)).exit_code == 0
    issued = [row("fwd8", case_id="FWD3", action="issue", office_code="OF2", staff_id="st2",
                  called="2026-04-16T10:00", finished="2026-04-16T10:05", ticket="2026-04-16T09:58", documents="")]
    assert run_import(app, write_csv(built / "fwd3-issued.csv", issued)).exit_code == 0
    check_cells_equal_engine("an import at one office completing another office's case")


def test_stale_marks_name_offices_until_a_week_is_whole_or_new(app):
    """Marks of offices gather per week; a mark of every office, a week never computed, or
    more offices than WHOLE_WEEK_OFFICES make the week whole; runs split where the offices
    differ."""
    from monitor.stores import cells as cells_store

    many = {f"X{n}" for n in range(cells_store.WHOLE_WEEK_OFFICES + 1)}
    marks = [(10, 12, "OF1"), (11, 11, "OF2"), (12, 12, None), (13, 13, "OF1"), (14, 14, "OF1")]
    marks += [(15, 15, code) for code in many]
    stale = cells._stale_offices(marks, computed={10, 11, 12, 13, 15})
    assert stale == {10: {"OF1"}, 11: {"OF1", "OF2"}, 12: None, 13: {"OF1"}, 14: None, 15: None}
    assert cells._spans(sorted(stale), {}, stale) == [(10, 10), (11, 11), (12, 12), (13, 13), (14, 15)]

    # A mark that names no office (a writer that found none) is a mark of every office.
    cells_store.mark_weeks(db.session, [20, 21], [])
    cells_store.mark_weeks(db.session, [22], ["OF1", "OF1"])
    assert sorted(db.session.execute(select(StaleIndicatorWeeks.first_week, StaleIndicatorWeeks.last_week,
                                            StaleIndicatorWeeks.office_code)).all(),
                  key=lambda mark: mark[0]) == [(20, 21, None), (22, 22, "OF1")]
    db.session.rollback()


# The report as it was computed before the cells, from the rows of the shown weeks: kept
# here only as the reference the report read from cells must equal.
def reference_report(session, inputs, week, offices):
    last = week_of_label(week)
    first = last - reports.TREND_WEEKS + 1
    weeks = [week_label(w) for w in range(first, last + 1)]
    frozen = reports._frozen_trend(session, weeks, offices)
    live = [w for w in range(first, last + 1) if week_label(w) not in frozen.index]
    live_first = min(live + [last - 1])
    rows = week_store.week_frames(session, inputs.frames, inputs.timezone, live_first, last)
    visits = rows.visits
    in_area = visits["office_code"].isin(offices).to_numpy() if offices is not None \
        else np.ones(len(visits), dtype=bool)
    visits = visits.assign(
        area=np.where(in_area, "area", None),
        **{f"{scope}_in_area": np.where(in_area, visits[SCOPES[scope]].to_numpy(), None)
           for scope in ("office", "service", "staff")})
    complaints = week_store.complaints_of_weeks(session, live_first, last, inputs.timezone)
    complaint_in_area = complaints["office_code"].isin(offices).to_numpy() if offices is not None \
        else np.ones(len(complaints), dtype=bool)
    complaints = complaints.assign(
        area=np.where(complaint_in_area, "area", None),
        office_in_area=np.where(complaint_in_area, complaints["office_code"].to_numpy(), None),
        service_in_area=np.where(complaint_in_area, complaints["service_code"].to_numpy(), None),
        staff_in_area=None)
    args = (visits, rows.cases, rows.findings, inputs.timezone)
    trend = weekly_indicators(*args, "area", complaints, weeks=(live_first, last), scope_values=["area"],
                              answers=rows.answers)
    trend = pd.concat([frozen.reset_index(), trend.drop(columns="area")], ignore_index=True)
    trend = trend.drop_duplicates("week", keep="first").set_index("week").reindex(weeks).reset_index()
    by_scope = {}
    for scope in ("office", "service", "staff"):
        values = week_store.scope_values(session, scope, offices)
        table = weekly_indicators(*args, f"{scope}_in_area", complaints, weeks=(last - 1, last),
                                  scope_values=values, answers=rows.answers).rename(columns={f"{scope}_in_area": scope})
        current = table[table["week"] == week].set_index(scope)
        previous = table[table["week"] == week_label(last - 1)].set_index(scope)
        for name in INDICATORS:
            current[f"{name}_change"] = current[name] - previous[name].reindex(current.index)
        by_scope[scope] = current.reset_index()
    if offices is None:
        network = trend.set_index("week").loc[week]
    else:
        published = reports._frozen_trend(session, [week], None)
        # (Before the cells this left the network's complaints empty; now they are counted.)
        network = published.loc[week] if week in published.index else weekly_indicators(
            rows.visits, rows.cases, rows.findings, inputs.timezone, None, complaints, weeks=(last, last),
            answers=rows.answers).iloc[0]
    in_week = visits[in_area & (week_number(visits["day"].to_numpy()) == last)]
    workload = in_week.groupby("staff_id").size().rename("visits").reset_index()
    return trend, by_scope, {name: float(network[name]) for name in INDICATORS}, workload


def same_numbers(got: pd.DataFrame, want: pd.DataFrame) -> None:
    got, want = got.reset_index(drop=True), want.reset_index(drop=True)
    assert list(got.columns) == list(want.columns)
    for column in got.columns:
        if pd.api.types.is_numeric_dtype(want[column]) or column in INDICATORS:
            assert np.array_equal(got[column].to_numpy(dtype="float64"), want[column].to_numpy(dtype="float64"),
                                  equal_nan=True), column
        else:
            assert got[column].astype(str).tolist() == want[column].astype(str).tolist(), column


@pytest.mark.parametrize("offices", [None, ["OF1"], AREA])
def test_the_report_read_from_cells_equals_the_report_computed_from_rows(app, built, offices):
    inputs = engine_inputs()
    jobs.publish(dt.datetime(2026, 3, 9, 1, tzinfo=dt.UTC), week="2026-W09")
    for week in ("2026-W10", "2026-W12", "2026-W16"):
        report = reports.weekly_report(db.session, inputs, week, offices)
        trend, by_scope, network, workload = reference_report(db.session, inputs, week, offices)
        same_numbers(report.trend, trend)
        for scope in ("office", "service", "staff"):
            same_numbers(report.by_scope[scope], by_scope[scope])
        assert np.array_equal(np.array([report.network[n] for n in INDICATORS]),
                              np.array([network[n] for n in INDICATORS]), equal_nan=True)
        same_numbers(report.workload.sort_values("staff_id"), workload.sort_values("staff_id"))
    # A week published with its snapshot: the network's and one office's trend show it.
    assert "2026-W09" in report.weeks


def test_a_report_request_reads_cells_not_visits(app, client, login, built, monkeypatch):
    def no_rows(*args, **kwargs):
        raise AssertionError("a report request must not read the stored rows")
    monkeypatch.setattr(week_store, "week_frames", no_rows)
    statements = []

    def remember(conn, cursor, statement, parameters, context, executemany):
        statements.append(" ".join(statement.split()))
    event.listen(db.engine, "before_cursor_execute", remember)
    try:
        login("admin")
        for path in ("/supervisor/?week=2026-W12", "/supervisor/report.csv?week=2026-W12"):
            statements.clear()
            assert client.get(path).status_code == 200
            # Not even for the findings by rule (finding cells) or the network's evidence counts.
            reading_visits = [s for s in statements if "FROM visits" in s and "LIMIT" not in s]
            assert reading_visits == [], reading_visits
            assert not [s for s in statements if "cases.due_at" in s or "visits.ticket_at" in s]
            assert any("FROM indicator_values" in s for s in statements)
            if path.startswith("/supervisor/?"):
                assert any("FROM indicator_finding_cells" in s for s in statements)
            # No cell write in a request.
            assert not [s for s in statements if s.startswith(("INSERT INTO indicator", "DELETE FROM indicator"))]
    finally:
        event.remove(db.engine, "before_cursor_execute", remember)


def test_a_stale_week_waits_for_the_job_and_the_job_refreshes_only_it(app, built):
    inputs = engine_inputs()
    before = {week: refreshed for week, refreshed in db.session.execute(
        select(IndicatorCell.week, func.count()).group_by(IndicatorCell.week))}
    cells.mark_stale(db.session, [week_of_label("2026-W10")])
    db.session.commit()
    assert cells.refresh_stale(db.session, inputs) == [week_of_label("2026-W10")]
    assert cells.refresh_stale(db.session, inputs) == []
    db.session.commit()
    after = {week: refreshed for week, refreshed in db.session.execute(
        select(IndicatorCell.week, func.count()).group_by(IndicatorCell.week))}
    assert after == before


def test_a_week_refresh_carries_the_overdue_count_without_reading_the_cases_still_open(app, built, monkeypatch):
    """The open-and-overdue count of a refreshed week is the week before's plus the changes in
    it: cases open and overdue since earlier weeks are counted, not read again (issue 21)."""
    inputs = engine_inputs()
    week = week_of_label("2026-W16")
    start = week_end(week - 1, inputs.timezone)
    open_before = set(db.session.scalars(select(Case.id).where(
        Case.accepted_at.is_not(None), Case.due_at < start, Case.completed_at.is_(None), Case.withdrawn_at.is_(None))))
    assert open_before  # the built history has cases overdue and never closed before the week
    read = []
    week_frames = week_store.week_frames

    def spy(*args, **kwargs):
        rows = week_frames(*args, **kwargs)
        read.append(set(rows.cases["case_pk"].tolist()))
        return rows
    monkeypatch.setattr(week_store, "week_frames", spy)
    stored = dict(db.session.execute(select(IndicatorCell.office_code, IndicatorCell.overdue_open).where(
        IndicatorCell.week == week, IndicatorCell.scope_kind == "office")).all())
    cells.mark_stale(db.session, [week])
    assert cells.refresh_stale(db.session, inputs) == [week]
    assert len(read) == 1 and not read[0] & open_before
    assert dict(db.session.execute(select(IndicatorCell.office_code, IndicatorCell.overdue_open).where(
        IndicatorCell.week == week, IndicatorCell.scope_kind == "office")).all()) == stored
    assert sum(stored.values()) >= len(open_before)
    # The week before never computed (a gap): the open cases are read and counted from the start.
    db.session.execute(delete(IndicatorWeek).where(IndicatorWeek.week == week - 1))
    cells.mark_stale(db.session, [week])
    cells.refresh_stale(db.session, inputs)
    assert read[1] >= open_before
    assert dict(db.session.execute(select(IndicatorCell.office_code, IndicatorCell.overdue_open).where(
        IndicatorCell.week == week, IndicatorCell.scope_kind == "office")).all()) == stored
    db.session.rollback()


def test_a_case_that_changes_office_marks_the_week_its_case_findings_count_in(app):
    """A case re-timed to another office with no moment changing week still takes its case
    findings to the other office's finding cells: that week is stale (stores.cells)."""
    from monitor.stores import cells as cells_store

    accepted = pd.Timestamp("2026-03-03 09:00", tz="UTC")
    completed = pd.Timestamp("2026-03-17 09:00", tz="UTC")
    due = pd.Timestamp("2026-03-20 18:59", tz="UTC")  # after the completion: never overdue
    moments = {"accepted_at": [accepted, accepted], "due_at": [due, due], "completed_at": [completed, pd.NaT],
               "withdrawn_at": [pd.NaT, pd.NaT]}
    before = pd.DataFrame({**moments, "office_code": ["OF1", "OF2"]}, index=[7, 8])
    after = pd.DataFrame({**moments, "office_code": ["OF2", "OF2"]})

    def stale() -> set[tuple[int, str | None]]:
        return {(week, office) for first, last, office in db.session.execute(
            select(StaleIndicatorWeeks.first_week, StaleIndicatorWeeks.last_week, StaleIndicatorWeeks.office_code))
            for week in range(first, last + 1)}
    cells_store.mark_case_moves(db.session, [7, 8], before, after.drop(columns="office_code"), "Asia/Almaty")
    assert stale() == set()  # no week moved, no office given
    cells_store.mark_case_moves(db.session, [7, 8], before, after, "Asia/Almaty")
    # The completed case's week, in the office it left and the one it went to; the other did not move.
    assert stale() == {(week_of_label("2026-W12"), "OF1"), (week_of_label("2026-W12"), "OF2")}


def test_a_case_whose_open_and_overdue_weeks_change_marks_every_week_from_the_first_that_differs(app):
    """A case counts in overdue_open at the end of the weeks from its due time's to its closing's,
    each week's count carried from the week before's: when that span changes (an acceptance taken
    back by a later return, a due time moved, a completion moved later), the weeks from the
    first that differs on are stale (up to the last computed week), in the case's offices."""
    from monitor.models import IndicatorWeek
    from monitor.stores import cells as cells_store

    at = {label: pd.Timestamp(day, tz="Asia/Almaty").tz_convert("UTC") for label, day in (
        ("W10", "2026-03-03 10:00"), ("W11", "2026-03-10 23:59:59"), ("W12", "2026-03-17 10:00"),
        ("W13", "2026-03-24 23:59:59"), ("W14", "2026-03-31 10:00"))}
    last = week_of_label("2026-W20")
    db.session.add(IndicatorWeek(week=last, refreshed_at=NOW))
    db.session.flush()

    def case(accepted=None, due=None, completed=None, withdrawn=None):
        return {"accepted_at": accepted, "due_at": due, "completed_at": completed, "withdrawn_at": withdrawn,
                "office_code": "OF1"}

    def marked(before: dict, after: dict) -> set[tuple[int, int, str | None]]:
        db.session.execute(delete(StaleIndicatorWeeks))
        frame = {name: pd.DataFrame([row]).astype({c: "datetime64[ns, UTC]" for c in row if c != "office_code"})
                 for name, row in (("before", before), ("after", after))}
        cells_store.mark_case_moves(db.session, [1], frame["before"].set_index(pd.Index([1])), frame["after"],
                                    "Asia/Almaty")
        return {tuple(row) for row in db.session.execute(select(
            StaleIndicatorWeeks.first_week, StaleIndicatorWeeks.last_week, StaleIndicatorWeeks.office_code))}

    week = {label: week_of_label(f"2026-{label}") for label in at}
    overdue = case(at["W10"], at["W11"])
    # Taken back: its acceptance week (W10) moved, and it was overdue from W11 on.
    assert marked(overdue, case()) == {(week["W10"], week["W10"], "OF1"), (week["W11"], last, "OF1")}
    # Due two weeks later (same acceptance): from W11 on.
    assert marked(overdue, case(at["W10"], at["W13"])) == {(week["W11"], last, "OF1")}
    # Completed in W14 instead of W12: its completion weeks, and from W12 on (it is now overdue there).
    assert (week["W12"], last, "OF1") in marked(case(at["W10"], at["W11"], at["W12"]),
                                                 case(at["W10"], at["W11"], at["W14"]))
    # Closed before falling due, before and after: no open and overdue week moved, only its weeks.
    assert marked(case(at["W10"], at["W13"], at["W11"]), case(at["W10"], at["W13"], at["W12"])) \
        == {(week["W11"], week["W12"], "OF1")}  # consecutive weeks: one mark


def test_stale_weeks_are_computed_in_runs_bounded_by_weeks_and_visits():
    """Consecutive weeks share one read of their rows, never more than SPAN_WEEKS weeks nor
    SPAN_VISITS visits at once (a week alone may hold more)."""
    spans = cells._spans
    assert spans([3, 4, 5, 9, 10], {}) == [(3, 5), (9, 10)]
    assert spans(list(range(1, 41)), {}) == [(1, 16), (17, 32), (33, 40)]
    many = {week: cells.SPAN_VISITS // 3 for week in range(1, 8)}
    assert spans(list(range(1, 8)), many) == [(1, 3), (4, 6), (7, 7)]
    assert spans([1, 2], {1: cells.SPAN_VISITS * 2, 2: 1}) == [(1, 1), (2, 2)]
