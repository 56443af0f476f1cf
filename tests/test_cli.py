"""Every CLI command through the real executable in a subprocess, checked via the Python API."""

from __future__ import annotations

import csv
import io
import json
from collections import Counter

import pytest

from prefstore import PairConfig, PreferenceStore

from .conftest import cli_env, run_cli, strict_pair_count, ttc_end_steps, turn_scores


def ingest(db, *files, **kw):
    return run_cli("--db", db, "ingest", *files, check=True, **kw)


def test_ingest_reports_and_stores(db_path, sample_file):
    result = ingest(db_path, sample_file("run1"), sample_file("run2"))
    assert result.stdout.count("ingested as run") == 2
    for run in ("run1", "run2"):
        by_name = Counter(payload["name"] for _, payload in ttc_end_steps(sample_file(run)))
        assert len(by_name) == 2, "the samples hold a second TTC step name"
        assert f"candidates stored: {sum(by_name.values())}" in result.stdout
        assert f"dpo_candidate_move: {by_name['dpo_candidate_move']}, other_ttc_step: {by_name['other_ttc_step']}" \
            in result.stdout
    with PreferenceStore(db_path, read_only=True) as store:
        assert len(store.runs()) == 2
    again = ingest(db_path, sample_file("run1"))
    assert "already ingested" in again.stdout


def test_ingest_options_run_id_meta_replace(db_path, sample_file):
    run_cli("ingest", sample_file("int-ids"), "--db", db_path, "--run-id", "r1",
            "--meta", "model=llama", "--meta", "note=a=b", check=True)
    refused = run_cli("--db", db_path, "ingest", sample_file("run1"), "--run-id", "r1")
    assert refused.returncode == 1
    assert refused.stderr.startswith("Error: run 'r1' already holds a different source")
    assert "Traceback" not in refused.stderr
    run_cli("--db", db_path, "ingest", sample_file("run1"), "--run-id", "r1", "--replace", check=True)
    with PreferenceStore(db_path, read_only=True) as store:
        (run,) = store.runs()
    assert run["meta"] == {} and run["n_items"] == len(json.loads(sample_file("run1").read_text()))
    with PreferenceStore(db_path) as store:
        pass
    run_cli("--db", db_path, "ingest", sample_file("int-ids"), "--run-id", "r2", "--meta", "model=llama",
            "--meta", "note=a=b", check=True)
    with PreferenceStore(db_path, read_only=True) as store:
        assert store.runs()[1]["meta"] == {"model": "llama", "note": "a=b"}


@pytest.mark.parametrize(("args", "message"), [
    (["ingest", "missing.json"], "missing.json: no such file"),
    (["ingest", "."], "is a directory"),
    (["ingest", "x.json", "y.json", "--run-id", "r"], "--run-id names one run"),
    (["ingest", "x.json", "--meta", "novalue"], "expected KEY=VALUE"),
    (["pairs", "--min-score-diff", "-1"], "--min-score-diff"),
    (["pairs", "--max-pairs-per-turn", "0"], "--max-pairs-per-turn"),
    (["pairs", "--runs", "nope"], "no run 'nope'"),
    (["query", "DELETE FROM runs"], "only SELECT queries are allowed"),
])
def test_expected_errors_are_one_line(tmp_path, db_path, sample_file, args, message):
    ingest(db_path, sample_file("int-ids"))
    (tmp_path / "x.json").write_text("[]")
    (tmp_path / "y.json").write_text("[]")
    result = run_cli("--db", db_path, *args, cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    assert message in result.stderr
    assert result.stderr.startswith("Error: ") and len(result.stderr.strip().splitlines()) == 1


def test_bad_json_file_is_one_line_and_store_unchanged(tmp_path, db_path, sample_file):
    ingest(db_path, sample_file("int-ids"))
    bad = tmp_path / "bad.json"
    bad.write_text('[{"id": 1, "intermediate_steps": [')
    result = run_cli("--db", db_path, "ingest", bad)
    assert result.returncode == 1
    assert result.stderr.startswith(f"Error: {bad}: not a readable NAT evaluation file")
    with PreferenceStore(db_path, read_only=True) as store:
        assert len(store.runs()) == 1


def test_usage_errors_exit_2():
    result = run_cli("pairs", "--no-such-option")
    assert result.returncode == 2 and "No such option" in result.stderr


def test_read_commands_on_missing_store(tmp_path):
    result = run_cli("--db", tmp_path / "none.duckdb", "stats")
    assert result.returncode == 1 and "no store at" in result.stderr
    assert not (tmp_path / "none.duckdb").exists()


def test_db_option_placement_and_env(tmp_path, db_path, sample_file):
    run_cli("ingest", sample_file("int-ids"), "--db", db_path, check=True)
    via_env = run_cli("runs", "--format", "json", env=cli_env(PREFSTORE_DB=str(db_path)), check=True)
    n_candidates = json.loads(via_env.stdout)[0]["n_candidates"]
    assert n_candidates == len(ttc_end_steps(sample_file("int-ids")))
    default = run_cli("ingest", sample_file("int-ids"), cwd=tmp_path, check=True)
    assert "ingested as run" in default.stdout
    assert (tmp_path / "prefstore.duckdb").exists()


def test_pairs_table_and_json(db_path, sample_file):
    ingest(db_path, sample_file("run1"))
    table = run_cli("--db", db_path, "pairs", "--limit", "5", check=True)
    assert f"{strict_pair_count(sample_file('run1'))} pairs (exhaustive), first 5" in table.stdout
    rows = run_cli("--db", db_path, "pairs", "--best-vs-worst", "--min-score-diff", "0.1",
                   "--format", "json", "--limit", "0", check=True)
    lines = json.loads(rows.stdout)  # one JSON array, like duckdb -json
    with PreferenceStore(db_path, read_only=True) as store:
        expected = [p.model_dump(mode="json") for p in
                    store.pairs(PairConfig(exhaustive_pairs=False, min_score_diff=0.1))]
    assert lines == expected
    assert len(lines) == strict_pair_count(sample_file("run1"), exhaustive=False, min_score_diff=0.1) > 0


def test_pair_options_mirror_pair_config(db_path, sample_file):
    ingest(db_path, sample_file("run1"))
    result = run_cli("--db", db_path, "pairs", "--format", "jsonl", "--limit", "0",
                     "--max-pairs-per-turn", "1", "--reward-from-chosen-score",
                     "--ttc-step-name", "dpo_candidate_move", "--no-require-multiple-candidates", check=True)
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    config = PairConfig(max_pairs_per_turn=1, reward_from_score_diff=False, require_multiple_candidates=False)
    with PreferenceStore(db_path, read_only=True) as store:
        assert lines == [p.model_dump(mode="json") for p in store.pairs(config)]
    assert all(line["reward"] == line["chosen_score"] for line in lines)


def test_stats(db_path, sample_file):
    ingest(db_path, sample_file("run1"), sample_file("run2"))
    result = run_cli("--db", db_path, "stats", check=True)
    expected = strict_pair_count(sample_file("run1")) + strict_pair_count(sample_file("run2"))
    assert f"pairs (exhaustive, min_score_diff 0): {expected}" in result.stdout
    assert "total" in result.stdout
    with PreferenceStore(db_path, read_only=True) as store:
        assert store.stats()["pairs"] == expected


def test_export_writes_nemo_jsonl(tmp_path, db_path, sample_file):
    ingest(db_path, sample_file("run1"))
    out = tmp_path / "train.jsonl"
    result = run_cli("--db", db_path, "export", out, "--best-vs-worst", check=True)
    expected = strict_pair_count(sample_file("run1"), exhaustive=False)
    assert f"wrote {expected} pairs" in result.stdout
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    with PreferenceStore(db_path, read_only=True) as store:
        pairs = store.pairs(PairConfig(exhaustive_pairs=False))
    assert [line["chosen_response"] for line in lines] == [p.chosen_response for p in pairs]
    assert not list(tmp_path.glob(".train.jsonl.*"))


def test_query_formats(db_path, sample_file):
    ingest(db_path, sample_file("int-ids"))
    per_example = Counter(item_id for item_id, _ in ttc_end_steps(sample_file("int-ids")))
    n = per_example["0"]
    sql = "SELECT example_id, count(*) AS n FROM candidates GROUP BY 1 ORDER BY 1"
    table = run_cli("--db", db_path, "query", sql, check=True)
    assert f"{len(per_example)} rows" in table.stdout
    as_csv = run_cli("--db", db_path, "query", sql, "--format", "csv", check=True)
    assert list(csv.reader(io.StringIO(as_csv.stdout)))[:2] == [["example_id", "n"], ["0", str(n)]]
    as_json = run_cli("--db", db_path, "query", sql, "--format", "json", check=True)
    assert json.loads(as_json.stdout)[0] == {"example_id": "0", "n": n}
    assert len(json.loads(as_json.stdout)) == 5
    as_jsonl = run_cli("--db", db_path, "query", sql, "--format", "jsonl", check=True)
    assert [json.loads(line) for line in as_jsonl.stdout.splitlines()] == json.loads(as_json.stdout)
    view = run_cli("--db", db_path, "query", "SELECT count(*) AS turns FROM turns WHERE step_name = 'dpo_candidate_move'",
                   "--format", "csv", check=True)
    assert view.stdout.splitlines()[1] == str(len(turn_scores(sample_file("int-ids"))))


def test_query_cannot_read_files_without_allow_files(tmp_path, db_path, sample_file):
    ingest(db_path, sample_file("int-ids"))
    secret = tmp_path / "secret.csv"
    secret.write_text("a\n1\n")
    refused = run_cli("--db", db_path, "query", f"SELECT * FROM read_csv('{secret}')")
    assert refused.returncode == 1 and "--allow-files" in refused.stderr
    allowed = run_cli("--db", db_path, "query", f"SELECT * FROM read_csv('{secret}')", "--allow-files",
                      "--format", "csv", check=True)
    assert allowed.stdout.splitlines() == ["a", "1"]


def test_runs_and_migrate(tmp_path, sample_file):
    db = tmp_path / "new.duckdb"
    migrated = run_cli("--db", db, "migrate", check=True)
    assert "schema version" in migrated.stdout
    with PreferenceStore(db, read_only=True) as store:
        assert store.schema_version() >= 1
    ingest(db, sample_file("int-ids"))
    listed = run_cli("--db", db, "runs", "--format", "csv", check=True)
    assert listed.stdout.splitlines()[0].startswith("run_id,run_seq,source_format")
    assert len(listed.stdout.splitlines()) == 2


def test_demo(tmp_path):
    result = run_cli("demo", "--dir", tmp_path / "d", check=True)
    assert "Training file:" in result.stdout
    train = tmp_path / "d" / "train.jsonl"
    lines = train.read_text().splitlines()
    with PreferenceStore(tmp_path / "d" / "prefstore.duckdb", read_only=True) as store:
        assert [r["run_id"] for r in store.runs()] == ["demo-run1", "demo-run2"]
        assert len(lines) == store.count_pairs() > 0


def test_version_and_help():
    assert run_cli("--version", check=True).stdout.startswith("prefstore, version ")
    assert "ingest" in run_cli("--help", check=True).stdout


@pytest.mark.parametrize("sql", ["SELECT 1 AS a WHERE false", "SELECT 1 AS a", "SELECT * FROM range(3) t(a)"])
def test_json_is_one_array_whatever_the_row_count(db_path, sql, sample_file):
    """`--format json` parses with one json.loads for 0, 1 or many rows; jsonl is one object per line."""
    ingest(db_path, sample_file("int-ids"))
    with PreferenceStore(db_path, read_only=True) as store:
        columns, rows = store.query(sql)
    as_json = run_cli("--db", db_path, "query", sql, "--format", "json", check=True)
    assert json.loads(as_json.stdout) == [dict(zip(columns, row)) for row in rows]
    as_jsonl = run_cli("--db", db_path, "query", sql, "--format", "jsonl", check=True)
    assert [json.loads(line) for line in as_jsonl.stdout.splitlines()] == [dict(zip(columns, r)) for r in rows]
    pairs = run_cli("--db", db_path, "pairs", "--runs", "nope", "--format", "json")
    assert pairs.returncode == 1
