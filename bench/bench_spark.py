"""Spark local vs DuckDB on the same candidates: the pair query and the NeMo export.

Generates a NAT run at `--scale` (M: ~500k candidates, 1.4 GB) with
`prefstore.sample_data`, ingests it, exports the candidates as Parquet
partitioned by run_id, then times, on the same Parquet and the same options:

- duckdb pairs : count(*) over `sql_for(config, "duckdb")` reading the Parquet
- spark  pairs : `prefstore.spark.pairs(...).count()` (same SQL, transpiled)
- duckdb export: `store.export_jsonl` (pairs + NeMo JSONL, from the store)
- spark  export: `prefstore.spark.export(...)` (NeMo JSONL part files + manifest)

and the JVM/session start once. Each timing is the median of `--repeat`
runs. Needs pyspark and Java 17 (`pip install -e '.[spark]'`).
On one 2-core machine expect DuckDB to win: Spark pays for the JVM, task
scheduling and shuffles that only pay off across many machines.

Usage: python bench/bench_spark.py [--scale M] [--repeat 3] [--workdir DIR]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import platform
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import duckdb

from prefstore import PairConfig, PreferenceStore, sql_for
from prefstore.sample_data import SCALES, write_nat_eval


def timed(fn, repeat: int) -> tuple[float, object]:
    """Median seconds of `repeat` calls, and the last call's result."""
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def prepare(workdir: Path, scale: str, items: int | None) -> tuple[PreferenceStore, Path, dict]:
    """Sample file -> store -> Parquet folder, reused when already there."""
    spec = SCALES[scale] if items is None else dataclasses.replace(SCALES[scale], n_items=items)
    source, db, parquet = workdir / "workflow_output.json", workdir / "store.duckdb", workdir / "candidates"
    info = {}
    if not db.exists():
        start = time.perf_counter()
        info["generated"] = write_nat_eval(source, spec)
        info["generate_s"] = time.perf_counter() - start
        with PreferenceStore(db) as store:
            start = time.perf_counter()
            store.ingest_nat_eval(source, run_id=f"bench-{scale}")
            info["ingest_s"] = time.perf_counter() - start
        source.unlink()
    store = PreferenceStore(db, read_only=True)
    if not parquet.exists():
        start = time.perf_counter()
        info["candidates"] = store.export_candidates(parquet, partition_by="run_id")
        info["export_candidates_s"] = time.perf_counter() - start
    return store, parquet, info


def start_spark():
    from pyspark.sql import SparkSession
    spark = (SparkSession.builder.master("local[2]").appName("prefstore-bench")
             .config("spark.ui.enabled", "false")
             .config("spark.ui.showConsoleProgress", "false")
             .config("spark.driver.memory", "6g")
             .config("spark.sql.shuffle.partitions", "8")
             .config("spark.driver.host", "127.0.0.1")
             .config("spark.driver.bindAddress", "127.0.0.1")
             .getOrCreate())
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", choices=sorted(SCALES), default="M")
    parser.add_argument("--items", type=int, default=None, help="override the scale's item count")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--workdir", type=Path, default=None, help="keep and reuse data here")
    parser.add_argument("--max-pairs-per-turn", type=int, default=None)
    args = parser.parse_args()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="prefstore-bench-spark-"))
    workdir.mkdir(parents=True, exist_ok=True)
    store, parquet, info = prepare(workdir, args.scale, args.items)
    config = PairConfig(max_pairs_per_turn=args.max_pairs_per_turn)

    con = duckdb.connect()
    con.execute(f"CREATE VIEW candidates AS SELECT * FROM read_parquet('{parquet}/**/*.parquet', "
                f"hive_partitioning = false)")
    n_candidates = con.execute("SELECT count(*) FROM candidates").fetchone()[0]
    pair_sql = sql_for(config, "duckdb")
    rows = {}

    t, n = timed(lambda: con.execute(f"SELECT count(*) FROM ({pair_sql})").fetchone()[0], args.repeat)
    rows["pairs (count)"] = {"duckdb": t}
    pairs_n = n

    def duck_export():
        out = workdir / "duckdb.jsonl"
        return store.export_jsonl(out, config)
    t, lines = timed(duck_export, args.repeat)
    rows["pairs + NeMo JSONL"] = {"duckdb": t}

    from prefstore import spark as prefspark
    start = time.perf_counter()
    spark = start_spark()
    jvm_start = time.perf_counter() - start
    df = prefspark.read_candidates(spark, str(parquet))
    t, spark_n = timed(lambda: prefspark.pairs(spark, df, config).count(), args.repeat)
    rows["pairs (count)"]["spark"] = t

    def spark_export():
        out = workdir / "spark-nemo"
        shutil.rmtree(out, ignore_errors=True)
        return prefspark.export(spark, str(parquet), str(out), config)
    t, manifest = timed(spark_export, args.repeat)
    rows["pairs + NeMo JSONL"]["spark"] = t
    spark.stop()

    assert spark_n == pairs_n == lines == manifest["rows"], (spark_n, pairs_n, lines, manifest["rows"])
    spark_bytes = b"".join((workdir / "spark-nemo" / f["path"]).read_bytes() for f in manifest["files"])
    same = spark_bytes == (workdir / "duckdb.jsonl").read_bytes()

    print(f"machine: {platform.machine()}, {platform.processor() or platform.system()}, "
          f"python {platform.python_version()}, duckdb {duckdb.__version__}, spark {spark.version}")
    print(f"data: scale {args.scale}{f' ({args.items} items)' if args.items else ''}, "
          f"{n_candidates:,} candidates, {pairs_n:,} pairs, options {json.dumps(config.model_dump())}")
    if info:
        print("setup: " + ", ".join(f"{k} {v:.1f}s" if isinstance(v, float) else f"{k} {v}"
                                    for k, v in info.items()))
    print(f"spark session start (JVM, once): {jvm_start:.1f}s; NeMo files byte-identical: {same}")
    print(f"\n| step (median of {args.repeat}) | DuckDB | Spark local[2] | Spark / DuckDB |")
    print("|---|---:|---:|---:|")
    for step, t in rows.items():
        print(f"| {step} | {t['duckdb']:.2f}s | {t['spark']:.2f}s | {t['spark'] / t['duckdb']:.1f}x |")
    store.close()


if __name__ == "__main__":
    main()
