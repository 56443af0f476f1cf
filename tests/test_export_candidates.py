"""`prefstore export-candidates`: the candidates table as Parquet, one file or partitioned by run_id."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from prefstore import PairConfig, PreferenceStore, decisions, queries, sql_for
from prefstore.errors import BadInput, UnknownRun
from prefstore.pairs import pair_params, query_name

from .conftest import cli_env, run_cli

# Run ids chosen to break naive readers: "007" looks like a number to
# partition type inference, "int ids/é" needs percent-escaping in a hive path.
SAMPLE_RUN_IDS = {"run1": "run1", "run2": "007", "int-ids": "int ids/é"}

COLUMNS = [
    ("run_id", "VARCHAR"), ("example_id", "VARCHAR"), ("turn_id", "VARCHAR"), ("turn_index", "BIGINT"),
    ("candidate_index", "BIGINT"), ("step_name", "VARCHAR"), ("prompt", "JSON"), ("response", "VARCHAR"),
    ("score", "DOUBLE"), ("step_uuid", "VARCHAR"), ("metadata", "JSON"), ("item_pos", "BIGINT"),
    ("step_pos", "BIGINT"), ("seq", "BIGINT"), ("base_example_id", "VARCHAR"),
]
NAMES = ", ".join(name for name, _ in COLUMNS)


def build_sample_store(path: Path, sample_file) -> PreferenceStore:
    """A store of the three generated NAT samples (run1, run2, int-ids), in that order."""
    store = PreferenceStore(path)
    for sample, run_id in SAMPLE_RUN_IDS.items():
        store.ingest_nat_eval(sample_file(sample), run_id=run_id)
    return store


@pytest.fixture
def samples(db_path: Path, sample_file):
    with build_sample_store(db_path, sample_file) as store:
        yield store


def store_rows(store: PreferenceStore, runs: list[str] | None = None) -> list[tuple]:
    with store.cursor() as cur:
        return cur.execute(
            f"SELECT {NAMES} FROM candidates WHERE $runs IS NULL OR list_contains($runs, run_id) "
            f"ORDER BY seq", {"runs": runs}).fetchall()


def parquet_rows(path: Path) -> list[tuple]:
    """Rows of a file or folder, run_id taken from the files (not the folder names)."""
    pattern = str(path / "**" / "*.parquet") if path.is_dir() else str(path)
    return duckdb.sql(f"SELECT {NAMES} FROM read_parquet($p, hive_partitioning = false) ORDER BY seq",
                      params={"p": pattern}).fetchall()


def test_single_file_holds_every_candidate_with_its_types(samples, tmp_path):
    out = tmp_path / "candidates.parquet"
    count = samples.export_candidates(out)
    expected = store_rows(samples)
    assert count == len(expected) > 0
    schema = duckdb.sql("DESCRIBE SELECT * FROM read_parquet($p)", params={"p": str(out)}).fetchall()
    assert [(name, kind) for name, kind, *_ in schema] == COLUMNS
    assert duckdb.sql("SELECT seq FROM read_parquet($p)", params={"p": str(out)}).fetchall() == \
        [(row[13],) for row in expected], "file rows are in arrival order"
    assert parquet_rows(out) == expected
    prompts = {row[6][:1] for row in expected}
    assert prompts == {'"', "["}, "samples mix string and message-list prompts, kept as JSON text"


def test_partitioned_folder_has_one_folder_per_run_and_run_ids_in_the_files(samples, tmp_path):
    out = tmp_path / "cands"
    count = samples.export_candidates(out, partition_by="run_id")
    assert count == len(store_rows(samples))
    folders = sorted(p.name for p in out.iterdir())
    assert folders == ["run_id=007", "run_id=int%20ids%2F%C3%A9", "run_id=run1"]
    for folder in out.iterdir():
        files = list(folder.glob("*.parquet"))
        assert files
        runs = duckdb.sql("SELECT DISTINCT run_id FROM read_parquet($p, hive_partitioning = false)",
                          params={"p": [str(f) for f in files]}).fetchall()
        assert len(runs) == 1
    assert parquet_rows(out) == store_rows(samples)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")], "no work folder left behind"


def test_runs_selects_runs_and_unknown_runs_are_refused(samples, tmp_path):
    out = tmp_path / "two"
    samples.export_candidates(out, partition_by="run_id", runs=["int ids/é", "007"])
    assert parquet_rows(out) == store_rows(samples, ["int ids/é", "007"])
    single = tmp_path / "one.parquet"
    samples.export_candidates(single, runs=["run1"])
    assert parquet_rows(single) == store_rows(samples, ["run1"])
    with pytest.raises(UnknownRun, match="'run9'"):
        samples.export_candidates(tmp_path / "x.parquet", runs=["run1", "run9"])
    assert not (tmp_path / "x.parquet").exists()


def test_same_store_gives_byte_identical_files(samples, tmp_path):
    samples.export_candidates(tmp_path / "a.parquet")
    samples.export_candidates(tmp_path / "b.parquet")
    assert (tmp_path / "a.parquet").read_bytes() == (tmp_path / "b.parquet").read_bytes()
    samples.export_candidates(tmp_path / "a", partition_by="run_id")
    samples.export_candidates(tmp_path / "b", partition_by="run_id")
    files_a = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*.parquet"))
    files_b = sorted(p.relative_to(tmp_path / "b") for p in (tmp_path / "b").rglob("*.parquet"))
    assert files_a == files_b
    for rel in files_a:
        assert (tmp_path / "a" / rel).read_bytes() == (tmp_path / "b" / rel).read_bytes()


def test_refuses_to_overwrite_a_folder_or_guess_a_file_name(samples, tmp_path):
    with pytest.raises(BadInput, match=r"\.parquet"):
        samples.export_candidates(tmp_path / "candidates.jsonl")
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "keep.txt").write_text("mine")
    with pytest.raises(BadInput, match="not empty"):
        samples.export_candidates(busy, partition_by="run_id")
    assert [p.name for p in busy.iterdir()] == ["keep.txt"]
    empty = tmp_path / "empty"
    empty.mkdir()
    assert samples.export_candidates(empty, partition_by="run_id") > 0


def test_pair_query_over_the_parquet_equals_the_store(samples, tmp_path):
    """The interchange carries everything the pair logic needs: DuckDB's own pair
    rows from the Parquet folder equal the store's, for both modes."""
    out = tmp_path / "cands"
    samples.export_candidates(out, partition_by="run_id")
    con = duckdb.connect()
    con.execute(f"CREATE VIEW candidates AS SELECT * FROM read_parquet('{out}/**/*.parquet', "
                f"hive_partitioning = false)")
    for config in (PairConfig(), PairConfig(exhaustive_pairs=False, min_score_diff=0.1)):
        with samples.cursor() as cur:
            expected = queries.run(cur, query_name(config), pair_params(config, None)).fetchall()
        assert expected
        assert con.execute(sql_for(config, "duckdb")).fetchall() == expected


def decisions_log(folder: Path) -> dict | None:
    """The log digest in a decisions folder's rules.json, None when there is no folder."""
    rules = folder / "rules.json"
    return json.loads(rules.read_text(encoding="utf-8"))["log"] if rules.exists() else None


def test_re_export_to_the_same_file_leaves_the_decisions_of_this_store_only(samples, tmp_path, sample_file):
    """Decisions beside OUT.parquet always match the exporting store's log: replaced whole when
    it changed, gone when it is empty (a stale copy would be applied to the new candidates)."""
    out = tmp_path / "c.parquet"
    beside = tmp_path / "c.parquet.decisions"
    samples.exclude("score_diff < 0.1")
    samples.export_candidates(out)
    with samples.cursor() as cur:
        first = decisions.digest(cur)
    assert decisions_log(beside) == first
    samples.undo(samples.decisions()[0]["decision_id"])
    samples.export_candidates(out)
    with samples.cursor() as cur:
        undone = decisions.digest(cur)
    assert decisions_log(beside) == undone != first
    assert json.loads((beside / "rules.json").read_text(encoding="utf-8"))["rules"] == []
    with PreferenceStore(tmp_path / "fresh.duckdb") as fresh:
        fresh.ingest_nat_eval(sample_file("run1"), run_id="run1")
        fresh.export_candidates(out)
    assert not beside.exists()
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


def test_a_run_exported_and_ingested_back_gives_the_same_pairs(samples, tmp_path):
    """The file is also a `ingest --format candidates` input: prompts stay JSON, not quoted text."""
    samples.export_candidates(tmp_path / "run1.parquet", runs=["run1"])
    with PreferenceStore(tmp_path / "copy.duckdb") as copy:
        copy.ingest_candidates(tmp_path / "run1.parquet", run_id="run1")
        for config in (PairConfig(), PairConfig(exhaustive_pairs=False)):
            assert copy.pairs(config) == samples.pairs(config, runs=["run1"])


def test_cli_writes_partitioned_folder_and_reports_errors(db_path, tmp_path, sample_file):
    for sample, run_id in list(SAMPLE_RUN_IDS.items())[:2]:
        run_cli("--db", db_path, "ingest", sample_file(sample), "--run-id", run_id, check=True)
    out = tmp_path / "cands"
    result = run_cli("--db", db_path, "export-candidates", out, "--partition-by", "run_id",
                     "--runs", "007", check=True, env=cli_env())
    assert "candidates to" in result.stdout
    assert [p.name for p in out.iterdir()] == ["run_id=007"]
    again = run_cli("--db", db_path, "export-candidates", out, "--partition-by", "run_id")
    assert again.returncode == 1
    assert again.stderr.startswith("Error: ") and "not empty" in again.stderr
    assert len(again.stderr.strip().splitlines()) == 1
