"""Properties of the engine that must hold for any visit log.

1. A case is judged on its own visits: judging every case alone (and every consult alone)
   gives the same findings as judging the whole file at once, in any row order.
2. due_at follows the spec's wording, computed here day by day from the working calendar.
3. accepted_at and CLOCK_RESET follow the spec's wording, walked here visit by visit.
4. Only the rules of TIME_BOUND_RULES depend on the as-of time: judged at two moments, a log
   gives the same findings of every other rule (the nightly sweep judges only those).
"""
from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from hypothesis import HealthCheck, example, given, settings, strategies as st

from monitor.calendar import WorkingCalendar
from monitor.compliance import TIME_BOUND_RULES

from .catalogs import service, version
from .reference_calendar import reference_due
from .visits import TIMEZONE, analyze, case_row, catalog_with, make_visit

SETTINGS = settings(max_examples=min(40, settings.default.max_examples), deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

DEADLINES = [(0, "working_days"), (1, "working_days"), (5, "working_days"), (15, "working_days"),
             (0, "calendar_days"), (1, "calendar_days"), (10, "calendar_days"),
             (2, "hours"), (30, "hours"), (90, "minutes")]


def deadline_code(value: int, unit: str) -> str:
    return f"D{value}{unit[0].upper()}"


@pytest.fixture(scope="module")
def catalog(tmp_path_factory):
    """The default catalog plus one service per deadline of DEADLINES."""
    extra = [service(deadline_code(value, unit),
                     versions=[version(deadline={"value": value, "unit": unit})])
             for value, unit in DEADLINES]
    return catalog_with(tmp_path_factory.mktemp("catalog"), *extra)


TOKENS = ["APPLICATION", "PHOTO", "ID_CARD", "ADDRESS_CERT", "MARRIAGE_CERT",
          "POWER_OF_ATTORNEY", "a letter from work"]
ACTIONS = ["submit", "return", "resubmit", "forward", "issue", "refuse", "withdraw"]
START = pd.Timestamp("2026-03-16T08:00")  # covers Nauryz and S2's version change on 1 April


@st.composite
def visit_texts(draw, at: pd.Timestamp, **fixed) -> tuple[dict, pd.Timestamp]:
    """One visit called at ``at``; returns the row and the moment it finished."""
    desk = pd.Timedelta(seconds=draw(st.integers(0, 30 * 60)))
    finished = at + desk
    wait = draw(st.one_of(st.none(), st.integers(0, 30 * 60)))
    # Mix timestamp forms: local without offset, UTC (Z) and +06:00.
    form = draw(st.sampled_from(["local", "utc", "plus6"]))

    def text(moment: pd.Timestamp) -> str:
        if form == "local":
            return moment.isoformat()
        aware = moment.tz_localize(TIMEZONE)
        if form == "utc":
            return aware.tz_convert("UTC").strftime("%Y-%m-%dT%H:%M:%SZ")
        return aware.tz_convert("Etc/GMT-6").strftime("%Y-%m-%dT%H:%M:%S+06:00")

    documents = draw(st.lists(st.sampled_from(TOKENS), max_size=3))
    row = make_visit(
        called_at=text(at), finished_at=text(finished),
        ticket_at="" if wait is None else text(at - pd.Timedelta(seconds=wait)),
        documents_requested=draw(st.sampled_from([";", " ; "])).join(documents),
        office_code=draw(st.sampled_from(["OF1", "OF2"])),
        staff_id=draw(st.sampled_from(["SA", "SB", "SC"])),
        **fixed)
    if row["action"] == "refuse":
        row["refusal_ground"] = draw(st.sampled_from(["", "R1", "R2", "R9"]))
    if row["action"] == "forward":
        row["forwarded_to"] = "BACK_OFFICE"
    return row, finished


@st.composite
def visit_logs(draw) -> list[list[dict]]:
    """Groups of rows: each group one case, or one consult."""
    groups = []
    serial = 0
    for number in range(draw(st.integers(1, 4))):
        service_code = draw(st.sampled_from(["S1", "S2", "S3", "D0W", "D10C"]))
        at = START + pd.Timedelta(minutes=draw(st.integers(0, 40 * 24 * 60)))
        if draw(st.booleans()) and number:
            serial += 1
            row, _ = draw(visit_texts(at, visit_id=f"K{serial}", action="consult",
                                      service_code=service_code))
            groups.append([row])
            continue
        actions = ["submit"] + draw(st.lists(st.sampled_from(ACTIONS), max_size=5))
        rows = []
        for action in actions:
            serial += 1
            row, finished = draw(visit_texts(at, visit_id=f"V{serial}", case_id=f"C{number}",
                                             action=action, service_code=service_code))
            rows.append(row)
            # the next visit is called strictly later: minutes to days
            at = finished + pd.Timedelta(minutes=draw(st.integers(1, 6 * 24 * 60)))
        groups.append(rows)
    return groups


def finding_set(table: pd.DataFrame) -> set[tuple]:
    return set(zip(table["rule"], table["case_id"], table["visit_id"], table["detail"]))


@SETTINGS
@given(groups=visit_logs(), data=st.data())
def test_each_case_is_judged_on_its_own_visits(catalog, groups, data):
    as_of = "2026-05-15T12:00"
    rows = [row for group in groups for row in group]
    shuffled = data.draw(st.permutations(rows))
    together = analyze(shuffled, catalog, as_of=as_of)
    table = together.finding_table()
    # one finding per visit per rule, one per case per rule
    assert not table.duplicated(["rule", "case_id", "visit_id"]).any()
    alone = set()
    for group in groups:
        single = analyze(group, catalog, as_of=as_of)
        alone |= finding_set(single.finding_table())
        case_id = group[0]["case_id"]
        if case_id:
            mine, theirs = case_row(single, case_id), case_row(together, case_id)
            for column in ("accepted_at", "due_at", "completed_at", "withdrawn_at"):
                assert (pd.isna(mine[column]) and pd.isna(theirs[column])) \
                    or mine[column] == theirs[column], column
    assert finding_set(table) == alone


@SETTINGS
@given(groups=visit_logs(), first=st.integers(0, 90 * 24), later=st.integers(1, 90 * 24))
def test_only_the_time_bound_rules_depend_on_the_as_of_time(catalog, groups, first, later):
    rows = [row for group in groups for row in group]
    early = START + pd.Timedelta(hours=first)  # from before the log's first visit to after its last
    late = early + pd.Timedelta(hours=later)
    at_early = analyze(rows, catalog, as_of=early.isoformat()).finding_table()
    at_late = analyze(rows, catalog, as_of=late.isoformat()).finding_table()

    def timeless(table: pd.DataFrame) -> set[tuple]:
        return finding_set(table[~table["rule"].isin(TIME_BOUND_RULES)])
    assert timeless(at_early) == timeless(at_late)


@SETTINGS
@given(deadline=st.sampled_from(DEADLINES),
       accepted=st.datetimes(min_value=dt.datetime(2025, 1, 1), max_value=dt.datetime(2026, 12, 20)),
       completed_after=st.integers(0, 40 * 24 * 3600))
def test_due_at_follows_the_spec_and_decides_deadline_missed(catalog, deadline, accepted,
                                                             completed_after):
    accepted = pd.Timestamp(accepted).floor("s")
    completed = accepted + pd.Timedelta(seconds=completed_after)
    code = deadline_code(*deadline)
    rows = [make_visit(service_code=code, action="submit",
                       called_at=accepted.isoformat(), finished_at=accepted.isoformat()),
            make_visit(service_code=code, action="issue",
                       called_at=completed.isoformat(), finished_at=completed.isoformat())]
    analysis = analyze(rows, catalog)
    expected = reference_due(accepted.tz_localize(TIMEZONE), *deadline, WorkingCalendar())
    assert case_row(analysis, "C1")["due_at"] == expected
    missed = "DEADLINE_MISSED" in set(analysis.finding_table()["rule"])
    assert missed is (completed.tz_localize(TIMEZONE) > expected)


def reference_acceptance(actions: list[str]) -> tuple[int | None, bool]:
    """Walk a case's actions in called_at order: the position of the first submit/resubmit
    after the last return (or the first one if there is no return), and whether a
    submit/resubmit came after an acceptance with no return between them."""
    accepted, reset, open_acceptance = None, False, False
    for position, action in enumerate(actions):
        if action == "return":
            accepted, open_acceptance = None, False
        elif action in ("submit", "resubmit"):
            if open_acceptance:
                reset = True
            else:
                accepted, open_acceptance = position, True
    return accepted, reset


@SETTINGS
@given(actions=st.lists(st.sampled_from(ACTIONS), min_size=1, max_size=8), reverse_file=st.booleans())
@example(actions=["submit", "resubmit"], reverse_file=True)
@example(actions=["submit", "return", "resubmit", "resubmit"], reverse_file=True)
@example(actions=["submit", "resubmit", "return", "resubmit"], reverse_file=False)
@example(actions=["return", "submit"], reverse_file=False)
@example(actions=["submit", "return"], reverse_file=True)
def test_accepted_at_and_clock_reset_follow_the_spec(catalog, actions, reverse_file):
    rows, finishes = [], []
    at = START
    for action in actions:
        finished = at + pd.Timedelta(minutes=5)
        rows.append(make_visit(action=action, called_at=at.isoformat(), finished_at=finished.isoformat(),
                               forwarded_to="OF2" if action == "forward" else ""))
        finishes.append(finished)
        at = finished + pd.Timedelta(hours=20)
    if reverse_file:  # the file order must not matter: visits are ordered by called_at
        rows = rows[::-1]
    analysis = analyze(rows, catalog, as_of="2026-06-01T00:00")
    accepted, reset = reference_acceptance(actions)
    case = case_row(analysis, "C1")
    if accepted is None:
        assert pd.isna(case["accepted_at"])
    else:
        assert case["accepted_at"] == finishes[accepted].tz_localize(TIMEZONE)
    assert ("CLOCK_RESET" in set(analysis.finding_table()["rule"])) == reset
