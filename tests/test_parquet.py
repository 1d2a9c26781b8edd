"""Parquet in and out: `flask visits export-parquet` by month, analyze reading the folder."""
from __future__ import annotations

import pandas as pd
import pyarrow.parquet as pq

from .test_analysis_commands import AS_OF, invoke, synthetic_log

KEY = ["case_id", "visit_id", "rule", "clause", "severity", "detail"]


def test_export_by_month_then_analyze_the_folder_finds_what_the_file_gives(app, loaded_catalog, tmp_path):
    log = synthetic_log(loaded_catalog, tmp_path / "visits.csv", visits=2500)
    invoke(app, "visits", "import", tmp_path / "visits.csv")
    result = invoke(app, "visits", "export-parquet", tmp_path / "archive")
    months = sorted(p.name for p in (tmp_path / "archive").iterdir())
    local_months = pd.to_datetime(log["called_at"]).dt.strftime("%Y-%m").unique()
    assert months == sorted(f"visits-{m}.parquet" for m in local_months) and len(months) >= 3
    assert f"Wrote {len(log):,} visits in {len(months)} monthly file(s)" in result.output
    exported = pd.concat([pq.read_table(tmp_path / "archive" / m).to_pandas() for m in months])
    assert len(exported) == len(log) and set(exported["visit_id"]) == set(log["visit_id"])
    assert not exported["applicant_ref"].isin(log["applicant_ref"]).any()  # stored hashes, not refs

    invoke(app, "analyze", "--catalog", loaded_catalog, "--visits", tmp_path / "visits.csv",
           "--as-of", AS_OF, "--findings", tmp_path / "from-csv.csv", "--indicators", tmp_path / "i-csv.csv")
    invoke(app, "analyze", "--catalog", loaded_catalog, "--visits", tmp_path / "archive",
           "--as-of", AS_OF, "--findings", tmp_path / "from-parquet.csv",
           "--indicators", tmp_path / "i-parquet.csv")
    from_csv = pd.read_csv(tmp_path / "from-csv.csv", dtype=str, keep_default_na=False)
    from_parquet = pd.read_csv(tmp_path / "from-parquet.csv", dtype=str, keep_default_na=False)
    assert len(from_csv) > 100
    pd.testing.assert_frame_equal(from_parquet.sort_values(KEY).reset_index(drop=True),
                                  from_csv.sort_values(KEY).reset_index(drop=True))
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "i-parquet.csv"), pd.read_csv(tmp_path / "i-csv.csv"))


def test_a_parquet_file_that_is_not_a_visit_log_is_a_clear_error(app, catalog_dir, tmp_path):
    pd.DataFrame({"visit_id": ["V1"], "called_at": [1]}).to_parquet(tmp_path / "bad.parquet")
    result = app.test_cli_runner().invoke(args=[
        "analyze", "--catalog", str(catalog_dir), "--visits", str(tmp_path / "bad.parquet")])
    assert result.exit_code == 1
    assert "column called_at is not text" in result.output
