"""Judge once, read many: the indicators of stored week rows equal the engine on every stored visit."""
from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import select

from monitor.compliance import INDICATORS, weekly_indicators
from monitor.compliance.indicators import week_label, week_of_label
from monitor.compliance.rules import is_overdue_open
from monitor.extensions import db
from monitor.models import Case, Visit
from monitor.services.citizens import file_complaint
from monitor.services.context import engine_inputs
from monitor.stores import weeks as week_store
from monitor.stores.findings import analyze_stored
from monitor.tools.synthetic import generate_visits
from services_catalog import load_catalog

from .test_import import row, run_import, write_csv

pytestmark = pytest.mark.both_databases

AS_OF = "2026-04-30T00:00"


def load(app, catalog_dir, tmp_path):
    frame = generate_visits(load_catalog(catalog_dir), visits=1500, start=dt.date(2026, 2, 2), days=50,
                            offices=["OF1", "OF2"], breach_rate=0.25)
    frame.to_csv(tmp_path / "v.csv", index=False)
    assert run_import(app, tmp_path / "v.csv").exit_code == 0
    # An office seen in one early week only: later weeks still have its (empty) row; a case
    # accepted there and never completed is overdue in every later week.
    extra = [row("x1", case_id="X1", office_code="OF3", staff_id="st9", called="2026-02-03T10:00",
                 finished="2026-02-03T10:10", ticket="2026-02-03T08:00"),
             row("x2", case_id="", action="consult", office_code="OF3", staff_id="st9",
                 called="2026-02-04T10:00", finished="2026-02-04T10:10", ticket="", documents="")]
    assert run_import(app, write_csv(tmp_path / "x.csv", extra)).exit_code == 0
    assert app.test_cli_runner().invoke(args=["findings", "sweep", "--as-of", AS_OF]).exit_code == 0
    for day, office in ((dt.datetime(2026, 2, 10, 6, tzinfo=dt.UTC), "OF1"),
                        (dt.datetime(2026, 3, 1, 18, 30, tzinfo=dt.UTC), "OF2")):
        file_complaint(db.session, kind="delay", text="slow", office_code=office, service_code="S1", now=day)
    db.session.commit()


def engine_table(scope, first, last):
    inputs = engine_inputs()
    analysis, _ = analyze_stored(db.session, inputs.frames, inputs.calendar,
                                 pd.Timestamp(AS_OF, tz="Asia/Almaty"), inputs.thresholds)
    return weekly_indicators(analysis.visits, analysis.cases, analysis.findings, inputs.timezone, scope,
                             week_store.complaints_between(db.session), weeks=(first, last),
                             answers=week_store.answers_frame(db.session, analysis.visits))


def assert_same(stored: pd.DataFrame, engine: pd.DataFrame):
    stored, engine = stored.reset_index(drop=True), engine.reset_index(drop=True)
    assert list(stored.columns) == list(engine.columns)
    assert stored.iloc[:, :2].astype(str).equals(engine.iloc[:, :2].astype(str))
    for name in INDICATORS:
        got, want = stored[name].to_numpy(dtype="float64"), engine[name].to_numpy(dtype="float64")
        assert np.array_equal(got, want, equal_nan=True), (name, got, want)


def test_stored_week_rows_give_the_engine_indicators(app, loaded_catalog, tmp_path):
    load(app, loaded_catalog, tmp_path)
    for scope in (None, "office", "service", "staff"):
        check_scope(scope)


def check_scope(scope):
    inputs = engine_inputs()
    first, last = week_of_label("2026-W06"), week_of_label("2026-W16")  # two weeks past the last visit
    engine = engine_table(scope, first, last)
    assert engine["cases_completed"].sum() > 100 and engine["lead_time_p90_hours"].notna().any()
    assert engine["on_time_rate"].isna().any() or scope is None  # empty rates are compared too
    complaints = week_store.complaints_between(db.session)
    for week in range(first, last + 1):  # each week alone, as the report and publishing ask
        stored = week_store.stored_indicators(db.session, inputs.frames, inputs.timezone, week, week, scope,
                                              complaints)
        assert_same(stored, engine[engine["week"] == week_label(week)])
    # A range of weeks read at once gives the same rows as the engine's range.
    stored = week_store.stored_indicators(db.session, inputs.frames, inputs.timezone, first, last, scope,
                                          complaints)
    assert_same(stored, engine)
    if scope == "office":
        late = stored[stored["week"] == "2026-W14"].set_index("office")
        assert "OF3" in late.index and late.at["OF3", "cases_accepted"] == 0
        assert late.at["OF3", "overdue_open"] == 1


def test_week_frames_read_only_the_weeks_rows(app, loaded_catalog, tmp_path):
    load(app, loaded_catalog, tmp_path)
    inputs = engine_inputs()
    week = week_of_label("2026-W09")
    rows = week_store.week_frames(db.session, inputs.frames, inputs.timezone, week, week)
    stored = db.session.scalar(select(db.func.count()).select_from(Visit))
    in_week = db.session.scalar(select(db.func.count()).select_from(Visit).where(Visit.week == week))
    assert 0 < in_week <= len(rows.visits) < stored / 3


def test_overdue_sql_is_the_engine_definition(app, loaded_catalog, tmp_path):
    load(app, loaded_catalog, tmp_path)
    cases = pd.read_sql(select(Case.id, Case.accepted_at, Case.due_at, Case.completed_at, Case.withdrawn_at),
                        db.session.connection())
    for column in ("accepted_at", "due_at", "completed_at", "withdrawn_at"):
        cases[column] = pd.to_datetime(cases[column], utc=True, format="ISO8601")
    moments = list(cases["due_at"].dropna().sample(5, random_state=1)) + list(
        cases["completed_at"].dropna().sample(5, random_state=2)) + [pd.Timestamp("2026-03-09", tz="UTC")]
    checked = 0
    for at in moments:
        engine = set(cases.loc[is_overdue_open(cases, at), "id"])
        sql = set(db.session.scalars(select(Case.id).where(week_store.overdue_open_sql(at.to_pydatetime()))))
        assert sql == engine, at
        checked += len(engine)
    assert checked > 0


def test_one_indicator_table_serves_engine_report_and_translations(app):
    from flask_babel import force_locale

    from monitor.compliance.indicator_table import BY_NAME, DENOMINATORS, FINDINGS_BEHIND, INDICATOR_TABLE
    from monitor.services import reports
    from monitor.views import RATE_INDICATORS
    from monitor.views.labels import label
    assert [i.name for i in INDICATOR_TABLE] == INDICATORS
    # The report compares offices on rates the table gives a denominator for, and links
    # numbers to findings only for indicators of the table.
    assert set(reports.FUNNEL_INDICATORS) <= set(DENOMINATORS) <= set(INDICATORS)
    assert all(BY_NAME[n].unit in ("rate", "per_100_cases") for n in DENOMINATORS)
    assert set(FINDINGS_BEHIND) <= set(INDICATORS)
    assert BY_NAME["on_time_rate"].better == "higher" and BY_NAME["overdue_open"].better == "lower"
    assert RATE_INDICATORS == {n for n in INDICATORS if BY_NAME[n].unit == "rate"}
    with app.test_request_context():
        for language in ("kk", "ru"):
            with force_locale(language):
                for indicator in INDICATOR_TABLE:
                    assert label(indicator.name) != indicator.label, (language, indicator.name)


def test_the_report_reads_published_weeks_from_their_snapshots(app, loaded_catalog, tmp_path):
    from monitor import jobs
    from monitor.services import reports
    load(app, loaded_catalog, tmp_path)
    jobs.publish(dt.datetime(2026, 3, 9, 1, tzinfo=dt.UTC), week="2026-W09")
    inputs = engine_inputs()
    before = reports.weekly_report(db.session, inputs, "2026-W10", None).trend.set_index("week")
    # A late visit of the published week: an unlawful demand, judged on import.
    late = [row("late1", case_id="", action="consult", called="2026-02-25T10:00", finished="2026-02-25T10:20",
                ticket="2026-02-25T09:58", documents="SOMETHING_UNLAWFUL")]
    assert run_import(app, write_csv(tmp_path / "late.csv", late)).exit_code == 0
    engine = engine_table(None, week_of_label("2026-W09"), week_of_label("2026-W10")).set_index("week")
    after = reports.weekly_report(db.session, inputs, "2026-W10", None).trend.set_index("week")
    # The published week stays as published (the engine now says otherwise) ...
    assert after.at["2026-W09", "extra_document_rate"] == before.at["2026-W09", "extra_document_rate"]
    assert engine.at["2026-W09", "extra_document_rate"] != before.at["2026-W09", "extra_document_rate"]
    # ... and the open week is computed live, equal to the engine.
    for name in INDICATORS:
        got, want = after.at["2026-W10", name], engine.at["2026-W10", name]
        assert (pd.isna(got) and pd.isna(want)) or got == want, name
    # A two-office area has no snapshot of its own: computed live, equal to the network here.
    both = reports.weekly_report(db.session, inputs, "2026-W10", ["OF1", "OF2", "OF3"]).trend.set_index("week")
    assert both.at["2026-W09", "extra_document_rate"] == engine.at["2026-W09", "extra_document_rate"]


def test_visits_refresh_fills_rows_stored_before_the_migration(app, loaded_catalog, tmp_path):
    assert run_import(app, write_csv(tmp_path / "v.csv", [
        row("v1", case_id="R1", called="2026-03-15T23:30+05:00", finished="2026-03-15T23:40+05:00",
            ticket="2026-03-15T23:20+05:00"),
        row("v2", case_id="", action="consult", called="2026-03-16T00:10+05:00",
            finished="2026-03-16T00:20+05:00", ticket="", documents="")])).exit_code == 0
    stored = dict(db.session.execute(select(Visit.visit_id, Visit.week)).all())
    assert stored == {"v1": week_of_label("2026-W11"), "v2": week_of_label("2026-W12")}  # local Sunday/Monday
    case = db.session.scalar(select(Case))
    assert case.accepting_visit_pk == db.session.scalar(select(Visit.id).where(Visit.visit_id == "v1"))
    assert case.visit_count == 1 and case.completing_visit_pk is None
    db.session.execute(Visit.__table__.update().values(week=None, local_day=None))
    db.session.execute(Case.__table__.update().values(accepting_visit_pk=None, visit_count=0))
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["visits", "refresh"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert dict(db.session.execute(select(Visit.visit_id, Visit.week)).all()) == stored
    assert db.session.scalar(select(Case.accepting_visit_pk)) is not None
    assert db.session.scalar(select(Case.visit_count)) == 1
