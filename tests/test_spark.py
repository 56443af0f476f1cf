"""The transpiled pair SQL on a real local Spark equals DuckDB's rows, in order.

One SparkSession (local[2]) for the module. Skipped with the reason when
pyspark or Java is missing, unless PREFSTORE_REQUIRE_SPARK=1 (set by .ci/run),
which turns the skip into a failure so CI cannot silently lose this test.
"""

from __future__ import annotations

import json
import os
import shutil

import pytest

from prefstore import ExportOptions, PairConfig, queries
from prefstore.errors import BadInput, UnknownRun
from prefstore.pairs import pair_params, query_name

from .conftest import require
from .test_export_candidates import build_sample_store


def _require(reason: str) -> None:
    require("PREFSTORE_REQUIRE_SPARK", reason)


try:
    import pyspark  # noqa: F401
except ImportError:
    _require("pyspark is not installed (pip install 'prefstore[spark]'; `make test` installs it)")
if not (shutil.which("java") or os.environ.get("JAVA_HOME")):
    _require("Java not found: Spark needs Java 17 (apt-get install openjdk-17-jre-headless)")

from prefstore import spark as prefspark  # noqa: E402

NASTY = "it's a \\ 'step' é"
pytestmark = pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas:FutureWarning")


@pytest.fixture(scope="module")
def spark():
    from pyspark.sql import SparkSession
    session = (SparkSession.builder.master("local[2]").appName("prefstore-tests")
               .config("spark.ui.enabled", "false")
               .config("spark.sql.shuffle.partitions", "2")
               .config("spark.sql.adaptive.coalescePartitions.enabled", "false")  # keep 2 part files
               .config("spark.driver.host", "127.0.0.1")
               .config("spark.driver.bindAddress", "127.0.0.1")
               .config("spark.sql.session.timeZone", "UTC")
               .getOrCreate())
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


@pytest.fixture(scope="module")
def samples(tmp_path_factory, sample_file):
    """The generated samples in a store, and their Parquet export partitioned by run_id."""
    folder = tmp_path_factory.mktemp("spark")
    with build_sample_store(folder / "store.duckdb", sample_file) as store:
        store.export_candidates(folder / "candidates", partition_by="run_id")
        yield store, folder


@pytest.fixture(scope="module")
def candidates(spark, samples):
    return prefspark.read_candidates(spark, str(samples[1] / "candidates"))


def duckdb_rows(store, config, runs=None) -> list[tuple]:
    with store.cursor() as cur:
        return queries.run(cur, query_name(config), pair_params(config, runs)).fetchall()


@pytest.mark.parametrize("config,runs", [
    (PairConfig(min_score_diff=0.1, max_pairs_per_turn=2), None),
    (PairConfig(exhaustive_pairs=False, min_score_diff=0.1, max_pairs_per_turn=1), None),
    (PairConfig(reward_from_score_diff=False, require_multiple_candidates=False, pair_scope="prompt"),
     ["run1", "007"]),
], ids=["exhaustive-min0.1-max2", "best_vs_worst-min0.1-max1", "prompt_scope-chosen_reward-runs"])
def test_spark_rows_equal_duckdb_rows_in_order(spark, samples, candidates, config, runs):
    expected = duckdb_rows(samples[0], config, runs)
    assert len(expected) > 20
    got = [tuple(row) for row in prefspark.pairs(spark, candidates, config, runs).collect()]
    assert got == expected  # every column, floats compared exactly, same order


def test_step_name_literal_is_quoted_for_spark(spark, samples, candidates):
    """A step name with quotes and backslashes reaches Spark as the same string."""
    from pyspark.sql import functions as F
    renamed = candidates.withColumn("step_name", F.when(F.col("step_name") == "dpo_candidate_move",
                                                        F.lit(NASTY)).otherwise(F.col("step_name")))
    got = [tuple(r) for r in prefspark.pairs(spark, renamed, PairConfig(ttc_step_name=NASTY)).collect()]
    assert got == duckdb_rows(samples[0], PairConfig())


def test_unknown_run_is_refused(spark, candidates):
    with pytest.raises(UnknownRun, match="'run9'"):
        prefspark.pairs(spark, candidates, PairConfig(), runs=["run1", "run9"])


def test_export_writes_nemo_lines_and_manifest(spark, samples, tmp_path):
    store, folder = samples
    out = tmp_path / "nemo"
    config = PairConfig()
    manifest = prefspark.export(spark, str(folder / "candidates"), str(out), config)
    assert manifest == json.loads((out / "_manifest.json").read_text())
    assert len(manifest["files"]) == 2, "two shuffle partitions: two part files, in output order"
    lines = []
    for entry in manifest["files"]:
        text = (out / entry["path"]).read_text(encoding="utf-8")
        assert text.count("\n") == entry["rows"]
        lines += text.splitlines()
    expected = []
    for pair in store.pairs(config):
        prompt = pair.prompt if isinstance(pair.prompt, str) else pair.prompt[-1].content
        expected.append({"prompt": prompt, "chosen_response": pair.chosen_response,
                         "rejected_response": pair.rejected_response})
    assert manifest["rows"] == len(lines) == len(expected)
    assert [json.loads(line) for line in lines] == expected
    assert all(list(json.loads(line)) == ["prompt", "chosen_response", "rejected_response"] for line in lines)
    with pytest.raises(BadInput, match="already exists"):
        prefspark.export(spark, str(folder / "candidates"), str(out), config)


def test_decisions_travel_with_the_candidates_and_spark_applies_them(spark, tmp_path):
    """Rules, pair flips and candidate exclusions made in the store give the same pairs and the
    same NeMo lines on Spark, from the decisions `export-candidates` wrote beside the candidates."""
    from prefstore import PreferenceStore
    from prefstore.sample_data import write_demo_runs

    with PreferenceStore(tmp_path / "s.duckdb") as store:
        for n, path in enumerate(write_demo_runs(tmp_path / "runs"), start=1):
            store.ingest_nat_eval(path, run_id=f"run{n}")
        total = len(store.pairs())
        store.exclude("score_diff < 0.1 OR chosen_response LIKE '%e3 %'")
        pairs = store.pairs()
        store.flip(pairs=[pairs[0], pairs[5]])
        other = next(p for p in pairs if p.example_id not in (pairs[0].example_id, pairs[5].example_id))
        store.exclude(candidates=[other.rejected_seq])
        store.note("kept", pairs=[pairs[2]])
        config = PairConfig()
        expected = store.pairs(config)
        assert sum(p.flipped for p in expected) == 2 and len(expected) < len(pairs) - 1
        stored = store.export_candidates(tmp_path / "cands", partition_by="run_id")
        nemo = tmp_path / "duck.jsonl"
        store.export(nemo, config, ExportOptions(dedup=False))
    assert (tmp_path / "cands" / "_decisions" / "targets.parquet").exists()
    candidates = prefspark.read_candidates(spark, str(tmp_path / "cands"))
    assert candidates.count() == stored, "the _decisions folder is not read as candidates"
    decisions = prefspark.read_decisions(spark, str(tmp_path / "cands"))
    assert decisions is not None and len(decisions.rules) == 1
    got = prefspark.pairs(spark, candidates, config, decisions=decisions).collect()
    assert [(r.chosen_response, r.rejected_response, r.score_diff, r.reward) for r in got] == \
        [(p.chosen_response, p.rejected_response, p.score_diff, p.reward) for p in expected]
    manifest = prefspark.export(spark, str(tmp_path / "cands"), str(tmp_path / "spark"), config)
    assert manifest["decisions"]["applied"] and manifest["decisions"]["active"] == 3
    lines = [line for entry in manifest["files"]
             for line in (tmp_path / "spark" / entry["path"]).read_text(encoding="utf-8").splitlines()]
    assert [json.loads(line) for line in lines] == [json.loads(line) for line in nemo.read_text().splitlines()]
    ignored = prefspark.pairs(spark, candidates, PairConfig(apply_decisions=False), decisions=decisions)
    assert ignored.count() == total


def test_decisions_beside_a_file_are_read_and_a_later_export_without_decisions_drops_them(spark, tmp_path):
    """`<file>.decisions/` is found beside a single-file export; re-exporting to that file from a
    store with no decisions leaves none for Spark to apply."""
    from prefstore import PreferenceStore
    from prefstore.sample_data import write_demo_runs

    runs = write_demo_runs(tmp_path / "runs")
    out = tmp_path / "cands.parquet"
    with PreferenceStore(tmp_path / "a.duckdb") as store:
        store.ingest_nat_eval(runs[0], run_id="run1")
        store.exclude("score_diff < 0.1")
        store.export_candidates(out)
    decisions = prefspark.read_decisions(spark, str(out))
    assert decisions is not None and len(decisions.rules) == 1
    with PreferenceStore(tmp_path / "b.duckdb") as store:
        store.ingest_nat_eval(runs[0], run_id="run1")
        expected = store.pairs()
        store.export_candidates(out)
    assert prefspark.read_decisions(spark, str(out)) is None
    candidates = prefspark.read_candidates(spark, str(out))
    assert prefspark.pairs(spark, candidates).count() == len(expected)
