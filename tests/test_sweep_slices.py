"""A whole sweep (``flask findings sweep``) judges the history one slice of applicants at a
time: it must store exactly what judging everything at once stores, however small the slices."""
from __future__ import annotations

import datetime as dt
import itertools

import pandas as pd
import pytest
from sqlalchemy import func, select

from monitor.extensions import db
from monitor.models import AuditRecord, Case, RowDigest, Visit
from monitor.services import findings as findings_service
from monitor.services.context import engine_inputs
from monitor.stores import visits as visit_store
from monitor.tools.synthetic import generate_visits
from services_catalog import load_catalog

from .conftest import findings_and_figures, restore_rows, table_rows
from .visits import COLUMNS, make_visit

pytestmark = pytest.mark.both_databases

MOTHER, FATHER = "900101300017", "880101300010"


def _imported_history(app, catalog_dir, tmp_path) -> None:
    """A generated log (applicants with several cases and consults), and a case whose later
    visit carries another applicant's ref: slices must keep it with its own applicant's consults."""
    log = generate_visits(load_catalog(catalog_dir), visits=600, start=dt.date(2026, 3, 2), days=50,
                          offices=["OF1", "OF2"], breach_rate=0.2)
    father_first = pd.DataFrame([make_visit(visit_id="X5", action="submit", case_id="XG",
                                            called_at="2026-04-23T10:00", applicant_ref=FATHER)])[COLUMNS]
    mother_last = pd.DataFrame([
        make_visit(visit_id="X1", action="consult", called_at="2026-04-10T10:00", applicant_ref=MOTHER),
        make_visit(visit_id="X2", action="consult", called_at="2026-04-20T10:00", applicant_ref=MOTHER),
        make_visit(visit_id="X3", action="submit", case_id="XF", called_at="2026-04-22T10:00", applicant_ref=MOTHER),
        make_visit(visit_id="X4", action="issue", case_id="XF", called_at="2026-04-24T10:00",
                   applicant_ref=FATHER)])[COLUMNS]
    # The father's case comes first and the mother's last: a slice reaches the mother's consults
    # only through the case the father's later visit links.
    pd.concat([father_first, log, mother_last]).to_csv(tmp_path / "v.csv", index=False)
    result = app.test_cli_runner().invoke(args=["visits", "import", str(tmp_path / "v.csv")])
    assert result.exit_code == 0, result.output


def test_applicant_slices_cover_every_case_and_consult_once_each_closed_under_its_applicants(
        app, loaded_catalog, tmp_path, monkeypatch):
    _imported_history(app, loaded_catalog, tmp_path)
    monkeypatch.setattr(visit_store, "SLICE_CASES", 7)
    slices = list(visit_store.applicant_slices(db.session))
    assert len(slices) > 10
    cases = [pk for case_slice, _ in slices for pk in case_slice]
    consults = [pk for _, consult_slice in slices for pk in consult_slice]
    assert sorted(cases) == list(db.session.scalars(select(Case.id).order_by(Case.id)))
    assert sorted(consults) == list(db.session.scalars(
        select(Visit.id).where(Visit.case_pk.is_(None)).order_by(Visit.id)))
    for case_slice, consult_slice in slices:  # closed: each case's and consult's applicant's group is in
        consult_refs = set(db.session.scalars(select(Visit.applicant_hash).where(
            Visit.id.in_(consult_slice), Visit.applicant_hash != "")))
        applicants = set(visit_store.case_applicants(db.session, case_slice)) | consult_refs
        cases, consults = visit_store.applicant_groups(db.session, applicants)
        assert set(cases) <= set(case_slice) and set(consults) <= set(consult_slice)
    numbers = {number: pk for number, pk in db.session.execute(select(Case.case_number, Case.id))}
    mothers = next(consult_slice for case_slice, consult_slice in slices if numbers["XF"] in case_slice)
    assert set(db.session.scalars(select(Visit.id).where(Visit.visit_id.in_(["X1", "X2"])))) <= set(mothers)


def test_a_whole_sweep_in_slices_stores_what_judging_everything_at_once_stores(
        app, loaded_catalog, tmp_path, monkeypatch):
    _imported_history(app, loaded_catalog, tmp_path)
    inputs = engine_inputs()
    as_of = dt.datetime(2026, 4, 20, tzinfo=dt.UTC)  # earlier than the import's clock: findings move
    earlier = table_rows()

    def sweep_in_slices_of(size: int):
        restore_rows(earlier)
        monkeypatch.setattr(visit_store, "SLICE_CASES", size)
        result, _weeks = findings_service.sweep(db.session, inputs, as_of, now=as_of)
        db.session.commit()
        record = db.session.scalars(select(AuditRecord).where(AuditRecord.action == "sweep")
                                    .order_by(AuditRecord.sequence.desc())).first()
        digests = db.session.execute(select(RowDigest.entity, RowDigest.row_id, RowDigest.digest).where(
            RowDigest.sequence == record.sequence).order_by(RowDigest.entity, RowDigest.row_id)).all()
        return result, findings_and_figures(), (record.new_values, record.data_digest, digests)

    at_once = sweep_in_slices_of(10**9)
    sliced = sweep_in_slices_of(5)
    assert sliced == at_once
    result = at_once[0]
    assert result.removed and result.added  # the sweep moved findings both ways
    assert result.visits + result.data_errors == db.session.scalar(select(func.count()).select_from(Visit))
    assert result.cases == db.session.scalar(select(func.count()).select_from(Case))
    assert db.session.scalar(select(func.count()).select_from(AuditRecord).where(
        AuditRecord.action == "sweep", AuditRecord.entity_id == pd.Timestamp(as_of).isoformat())) == 1
    assert len(list(itertools.islice(visit_store.applicant_slices(db.session, 5), 3))) == 3  # several slices


def test_backfilling_parameters_in_slices_gives_every_finding_its_own(app, loaded_catalog, tmp_path, monkeypatch):
    """``flask findings backfill-params`` judges the history in the same slices as the sweep:
    with slices of 5 cases, every finding stored without parameters gets back its own."""
    from sqlalchemy import update

    from monitor.compliance import RULES
    from monitor.models import Finding
    from monitor.stores.findings import backfill_params

    _imported_history(app, loaded_catalog, tmp_path)
    engine_rules = Finding.rule.in_(list(RULES))
    kept = dict(db.session.execute(select(Finding.id, Finding.params).where(engine_rules)).all())
    overdue = db.session.scalar(select(func.count()).select_from(Finding).where(Finding.rule == "OVERDUE_OPEN"))
    assert len(kept) > 100 and overdue
    db.session.execute(update(Finding).where(engine_rules).values(params=None))
    db.session.commit()
    monkeypatch.setattr(visit_store, "SLICE_CASES", 5)
    inputs = engine_inputs()
    result = backfill_params(db.session, inputs.frames, inputs.calendar, inputs.thresholds)
    db.session.commit()
    assert (result.filled, result.left) == (len(kept), 0)
    assert dict(db.session.execute(select(Finding.id, Finding.params).where(engine_rules)).all()) == kept
