"""The partitioned engine on a Dask cluster gives exactly the single-process output.

The cluster is a LocalCluster of two worker processes; every comparison is row for row:
the findings CSV rows in order, and the indicator tables of every scope.
"""
from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from monitor.calendar import WorkingCalendar
from monitor.compliance import CatalogFrames, judge, parse_visits
from monitor.compliance.partitioned import (
    _applicant_candidates,
    _case_applicants,
    analyze_partitioned,
    dask_client,
    partition_of,
)
from monitor.compliance.visit_files import pieces, read_visit_input
from monitor.tools.synthetic import generate_visits
from services_catalog import load_catalog

from .catalogs import write_catalog

TIMEZONE = "Asia/Almaty"
AS_OF = pd.Timestamp("2026-05-20T12:00", tz=TIMEZONE)
SCOPES = (None, "office", "service", "staff")

pytestmark = [
    pytest.mark.slow,
    # Dask's own sockets and event loops are closed by its threads after the cluster stops.
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
]


@pytest.fixture(scope="module")
def client():
    with dask_client(workers=2, memory_limit="1GiB") as client:
        yield client


@pytest.fixture(scope="module")
def catalog(tmp_path_factory):
    return write_catalog(tmp_path_factory.mktemp("catalog") / "catalog")


@pytest.fixture(scope="module")
def frames(catalog):
    return CatalogFrames.from_catalog(load_catalog(catalog))


def national_log(catalog, visits=6000, seed=11) -> pd.DataFrame:
    """Synthetic visits whose applicants have several cases and consultations.

    Each case gets an applicant from a pool smaller than the cases; some visits of a case
    name no applicant or another one (the case's applicant is that of its first visit with
    one); some cases name none at all; most consults name an applicant of the pool.
    """
    frame = generate_visits(load_catalog(catalog), visits=visits, start=dt.date(2026, 1, 12), days=110,
                            offices=["OF1", "OF2", "OF3", "OF4"], breach_rate=0.15, seed=seed)
    rng = np.random.default_rng(seed)
    pool = np.array([f"AP{n:05d}" for n in range(max(1, len(frame) // 9))], dtype=object)
    case_number = pd.to_numeric(frame["case_id"].str[1:], errors="coerce").fillna(-1).astype(int).to_numpy()
    refs = pool[(case_number * 7919) % len(pool)]
    consult = (frame["action"] == "consult").to_numpy()
    refs[consult] = pool[rng.integers(0, len(pool), consult.sum())]
    refs[consult & (rng.random(len(frame)) < 0.3)] = ""
    refs[~consult & (rng.random(len(frame)) < 0.12)] = ""  # this visit names nobody
    other = ~consult & (rng.random(len(frame)) < 0.04)
    refs[other] = pool[rng.integers(0, len(pool), other.sum())]  # or somebody else
    refs[~consult & (case_number % 20 == 0)] = ""  # cases with no applicant at all
    frame["applicant_ref"] = refs
    return frame


def single_process(path, frames):
    given = read_visit_input(path)
    parsed = parse_visits(given.rows, frames, TIMEZONE)
    analysis = judge(parsed.visits, frames, WorkingCalendar(timezone=TIMEZONE), AS_OF)
    return analysis, parsed


def assert_same_output(result, analysis):
    expected = analysis.finding_table().reset_index(drop=True)
    assert len(expected) > 200
    pd.testing.assert_frame_equal(result.findings, expected)
    for scope in SCOPES:
        pd.testing.assert_frame_equal(result.indicators[scope], analysis.indicators(TIMEZONE, scope),
                                      check_exact=True, obj=f"indicators by {scope or 'network'}")
    assert result.visits == len(analysis.visits) and result.cases == len(analysis.cases)


def test_a_csv_in_blocks_on_two_workers_gives_the_single_process_output(client, catalog, frames, tmp_path):
    log = national_log(catalog)
    path = tmp_path / "visits.csv"
    log.to_csv(path, index=False)
    assert len(pieces(path, block_bytes=150_000)) >= 4  # the file is really read in blocks
    analysis, _ = single_process(path, frames)
    scratch = tmp_path / "shared"
    result = analyze_partitioned(client, path, frames, WorkingCalendar(timezone=TIMEZONE), AS_OF,
                                 scopes=SCOPES, partitions=5, block_bytes=150_000, scratch=scratch)
    assert result.partitions == 5
    assert_same_output(result, analysis)
    assert list(scratch.iterdir()) == []  # the run's pieces and partitions are gone


def test_a_folder_of_monthly_parquet_files_gives_the_single_process_output(client, catalog, frames, tmp_path):
    log = national_log(catalog, seed=5)
    folder = tmp_path / "archive"
    folder.mkdir()
    # Cases run across months: a case's visits are in several files.
    for month, part in log.groupby(log["called_at"].str[:7]):
        part.to_parquet(folder / f"visits-{month}.parquet", index=False)
    assert len(list(folder.iterdir())) >= 4
    analysis, _ = single_process(folder, frames)
    result = analyze_partitioned(client, folder, frames, WorkingCalendar(timezone=TIMEZONE), AS_OF,
                                 scopes=SCOPES, partitions=3)
    assert_same_output(result, analysis)


def test_an_applicants_cases_and_consults_land_in_one_partition(catalog, frames, tmp_path):
    log = national_log(catalog, seed=3)
    log.to_csv(tmp_path / "visits.csv", index=False)
    visits = parse_visits(read_visit_input(tmp_path / "visits.csv").rows, frames, TIMEZONE).visits
    order = np.arange(len(visits), dtype="int64")
    applicants = _case_applicants(_applicant_candidates(visits, order))
    partition = partition_of(visits, applicants, 7)
    assert len(set(partition)) == 7
    # The case's applicant, from its first visit by called_at naming one.
    in_case = visits[visits["case_id"].notna()].assign(partition=partition[visits["case_id"].notna().to_numpy()])
    assert (in_case.groupby("case_id")["partition"].nunique() == 1).all()
    named = in_case[in_case["applicant_ref"] != ""].sort_values(["called_at", "finished_at"], kind="stable")
    case_applicant = named.drop_duplicates("case_id").set_index("case_id")["applicant_ref"]
    consults = visits[visits["case_id"].isna()].assign(partition=partition[visits["case_id"].isna().to_numpy()])
    who = pd.concat([
        pd.DataFrame({"applicant": in_case["case_id"].map(case_applicant), "partition": in_case["partition"]}),
        pd.DataFrame({"applicant": consults["applicant_ref"].replace("", None),
                      "partition": consults["partition"]})]).dropna()
    spread = who.groupby("applicant")["partition"].nunique()
    assert len(spread) > 300 and (spread == 1).all()
    several = who.groupby("applicant").size()
    assert (several > 3).sum() > 100  # applicants with several cases and consults were tested


def test_repeated_visit_ids_across_files_are_handled_as_in_one_file(client, catalog, frames, tmp_path):
    log = national_log(catalog, visits=3000, seed=9)
    folder = tmp_path / "logs"
    folder.mkdir()
    first, second = log.iloc[:1800].copy(), log.iloc[1500:].copy()  # 300 rows repeated as they are
    changed = second.index[second.index < 1800][:5]
    second.loc[changed, "staff_id"] = "SOMEONE-ELSE"  # 5 repeated visit_ids with other content
    first.to_csv(folder / "a.csv", index=False)
    second.to_csv(folder / "b.csv", index=False)
    analysis, parsed = single_process(folder, frames)
    result = analyze_partitioned(client, folder, frames, WorkingCalendar(timezone=TIMEZONE), AS_OF,
                                 scopes=SCOPES, partitions=4)
    assert_same_output(result, analysis)
    assert result.ignored_repeats == parsed.ignored_repeats == 295
    clashes = result.bad_rows[result.bad_rows["column"] == "visit_id"]
    assert len(clashes) == 5 and clashes["where"].str.contains("b.csv: line").all()


def test_flask_analyze_on_an_existing_cluster_writes_the_same_files(app, client, catalog, tmp_path):
    national_log(catalog, visits=3000, seed=2).to_csv(tmp_path / "visits.csv", index=False)
    address = client.scheduler.address
    for scope in ("", "service"):
        outputs = {}
        for engine in ("single", "dask"):
            args = ["analyze", "--catalog", str(catalog), "--visits", str(tmp_path / "visits.csv"),
                    "--as-of", "2026-05-20T12:00", "--findings", str(tmp_path / f"{engine}-f.csv"),
                    "--indicators", str(tmp_path / f"{engine}-i.csv"), "--engine", engine]
            args += ["--scope", scope] if scope else []
            args += ["--scheduler", address] if engine == "dask" else []
            result = app.test_cli_runner().invoke(args=args)
            assert result.exit_code == 0, result.output
            outputs[engine] = [(tmp_path / f"{engine}-{kind}.csv").read_bytes() for kind in "fi"]
        assert outputs["dask"] == outputs["single"]
        assert outputs["single"][0].count(b"\n") > 100


def test_flask_analyze_starts_a_local_cluster_without_a_scheduler(app, catalog, tmp_path):
    national_log(catalog, visits=1500, seed=4).to_csv(tmp_path / "visits.csv", index=False)
    for engine in ("single", "dask"):
        result = app.test_cli_runner().invoke(args=[
            "analyze", "--catalog", str(catalog), "--visits", str(tmp_path / "visits.csv"),
            "--as-of", "2026-05-20T12:00", "--findings", str(tmp_path / f"{engine}.csv"),
            "--engine", engine, "--workers", "2", "--worker-memory", "1GiB"])
        assert result.exit_code == 0, result.output
    assert "Judged in 2 partitions." in result.output
    assert (tmp_path / "dask.csv").read_bytes() == (tmp_path / "single.csv").read_bytes()
