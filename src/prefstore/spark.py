"""Spark: prefstore's pair query on Apache Spark (optional extra `prefstore[spark]`).

Teams that pool candidates from thousands of runs run the same pair logic on
a cluster: `prefstore export-candidates DIR --partition-by run_id` writes the
candidates as Parquet, `pairs()` runs `sql_for(config, "spark")` (the DuckDB
pair query transpiled by sqlglot) over them, and `export()` writes NeMo DPO
JSONL part files plus a manifest. There is no second implementation of the
pair logic here, only I/O. Decisions travel with the candidates
(`export-candidates` writes them, see interchange.py) and are applied with
`sql/decisions/apply.sql`, transpiled like the pair query.

Needs a classic (JVM) SparkSession, pyspark >= 3.5 and Java 17.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from . import queries
from ._version import __version__
from .errors import BadInput, BadOption, UnknownRun
from .interchange import decisions_location
from .models import PairConfig
from .pairs import query_name
from .portable import decisions_sql, rename_table, sql_for

if TYPE_CHECKING:  # pyspark is optional; nothing here imports it at module load
    from pyspark.sql import DataFrame, SparkSession

FORMATS = ("nemo",)
MANIFEST = "_manifest.json"  # leading "_": Spark and Hadoop readers skip it, like _SUCCESS
_NEMO_QUERY = "spark/export_nemo"


def read_candidates(spark: SparkSession, path: str) -> DataFrame:
    """The candidates written by `prefstore export-candidates` (a file or a partitioned folder).

    Reads every Parquet file below `path` without partition discovery, so
    run_id comes from the files: Spark would decode the folder names' percent
    escapes byte by byte (non-ASCII run ids garbled) and guess types (run
    `007` read as the number 7). A `runs` filter still skips other runs' files
    through Parquet statistics.
    """
    return (spark.read.option("recursiveFileLookup", "true")
            .option("pathGlobFilter", "*.parquet").parquet(path))


@dataclass(frozen=True)
class Decisions:
    """The decisions in force, as `prefstore export-candidates` wrote them beside the candidates."""

    targets: DataFrame              # the columns of the view active_targets
    rules: list[tuple[int, str, str]]  # (decision_id, action, rule in DuckDB's dialect)
    log: dict[str, Any]             # entries, active, sha256 of the store's decision log


def read_decisions(spark: SparkSession, candidates_path: str) -> Decisions | None:
    """The decisions written with the candidates at `candidates_path` (`_decisions/` inside a
    folder, `<file>.decisions/` beside a file), or None when the store had none."""
    fs, path = _filesystem(spark, candidates_path)
    folder = decisions_location(candidates_path, fs.getFileStatus(path).isDirectory())
    fs, found = _filesystem(spark, f"{folder}/rules.json")
    if not fs.exists(found):
        return None
    meta = json.loads("\n".join(row.value for row in spark.read.text(f"{folder}/rules.json").collect()))
    rules = [(r["decision_id"], r["action"], r["rule"]) for r in meta["rules"]]
    return Decisions(targets=spark.read.parquet(f"{folder}/targets.parquet"), rules=rules, log=meta["log"])


def pairs(spark: SparkSession, candidates_df: DataFrame, config: PairConfig | None = None,
          runs: Sequence[str] | None = None, decisions: Decisions | None = None) -> DataFrame:
    """The pair rows for `config` over `candidates_df`, in output order (the same rows,
    columns and order as the DuckDB pair query). With `decisions` (see read_decisions) and
    `config.apply_decisions`, excluded pairs are dropped and flipped ones swapped, as in the
    store; the columns stay the pair query's."""
    config = config or PairConfig()
    runs = _check_runs(candidates_df, runs)
    view = f"prefstore_candidates_{uuid.uuid4().hex}"
    candidates_df.createOrReplaceTempView(view)
    try:
        # classic pyspark analyzes eagerly: the result no longer needs the view
        raw = spark.sql(sql_for(config, "spark", runs=runs, table=view))
        if decisions is None or not config.apply_decisions:
            return raw
        return _apply_decisions(spark, raw, view, decisions, config)
    finally:
        spark.catalog.dropTempView(view)


def _apply_decisions(spark: SparkSession, raw: DataFrame, candidates_view: str, decisions: Decisions,
                     config: PairConfig) -> DataFrame:
    """sql/decisions/apply.sql over `raw`, transpiled for Spark; excluded pairs dropped, output order kept."""
    suffix = uuid.uuid4().hex
    raw_view, ruled_view, targets_view = (f"prefstore_{name}_{suffix}" for name in ("pairs", "ruled", "targets"))
    raw.createOrReplaceTempView(raw_view)
    decisions.targets.createOrReplaceTempView(targets_view)
    ruled, applied = decisions_sql(config, "spark", decisions.rules, raw_view, ruled_view, candidates_view,
                                   targets_view)
    try:
        spark.sql(ruled).createOrReplaceTempView(ruled_view)
        result = spark.sql(applied)
        return (result.where("NOT excluded").orderBy("example_seq", "turn_seq", "pair_rank")
                .select(*raw.columns))
    finally:
        for name in (raw_view, ruled_view, targets_view):
            spark.catalog.dropTempView(name)


def export(spark: SparkSession, candidates_path: str, out_dir: str, config: PairConfig | None = None,
           format: str = "nemo", runs: Sequence[str] | None = None) -> dict[str, Any]:
    """Write the training file for `config` as JSON-lines part files in `out_dir`; returns the manifest.

    `format` "nemo": NeMo Customizer DPO lines `{"prompt", "chosen_response",
    "rejected_response"}`, the prompt rule of the DuckDB export (a message
    list gives its last message's content). Part files hold consecutive
    stretches of the output order; `_manifest.json` lists them in that order
    with their line counts and sha256. `out_dir` must not exist yet.
    """
    config = config or PairConfig()
    if format not in FORMATS:
        raise BadOption(f"format: expected one of {', '.join(FORMATS)}; got {format!r}")
    fs, out = _filesystem(spark, out_dir)
    if fs.exists(out):
        raise BadInput(f"{out_dir}: already exists; remove it or choose another folder")
    decisions = read_decisions(spark, candidates_path) if config.apply_decisions else None
    pair_df = pairs(spark, read_candidates(spark, candidates_path), config, runs, decisions)
    view = f"prefstore_pair_rows_{uuid.uuid4().hex}"
    pair_df.createOrReplaceTempView(view)
    try:
        lines = spark.sql(rename_table(queries.text(_NEMO_QUERY), "pair_rows", view, dialect="spark"))
    finally:
        spark.catalog.dropTempView(view)
    lines.write.option("ignoreNullFields", "false").json(out_dir)
    files = _part_files(spark, out_dir)
    manifest = {
        "format": format,
        "engine": f"spark {spark.version}",
        "prefstore_version": __version__,
        "query": f"sql/{query_name(config)}.sql",
        "options": config.model_dump(),
        "runs": list(dict.fromkeys(runs)) if runs is not None else None,
        "candidates": candidates_path,
        "decisions": {"applied": decisions is not None, **(decisions.log if decisions else {})},
        "rows": sum(f["rows"] for f in files),
        "files": files,
    }
    _write_text(fs, spark, f"{out_dir.rstrip('/')}/{MANIFEST}", json.dumps(manifest, indent=2) + "\n")
    return manifest


def _check_runs(candidates_df: DataFrame, runs: Sequence[str] | None) -> list[str] | None:
    """Refuse runs the candidates do not hold (a typo must not mean 0 pairs), like the store."""
    if runs is None:
        return None
    runs = list(dict.fromkeys(runs))
    found = {row[0] for row in candidates_df.where(candidates_df["run_id"].isin(runs))
             .select("run_id").distinct().collect()}
    unknown = [r for r in runs if r not in found]
    if unknown:
        raise UnknownRun(f"no run {', '.join(map(repr, unknown))} in the candidates")
    return runs


def _part_files(spark: SparkSession, out_dir: str) -> list[dict[str, Any]]:
    """The written part files in output order (Spark numbers them by sorted range),
    each with its line count and sha256."""
    from pyspark.sql import functions as F
    counts = dict(spark.read.text(out_dir).groupBy(F.col("_metadata.file_name"))
                  .count().collect())
    digests = {row[0].rsplit("/", 1)[-1]: row[1] for row in
               spark.read.format("binaryFile").option("pathGlobFilter", "part-*")
               .load(out_dir).select("path", F.sha2("content", 256)).collect()}
    return [{"path": name, "rows": counts.get(name, 0), "sha256": digests[name]}
            for name in sorted(digests)]


def _filesystem(spark: SparkSession, path: str):
    """Hadoop's FileSystem for `path` (local, HDFS, S3, ...) and the path as a Hadoop Path."""
    jvm = spark.sparkContext._jvm
    hadoop_path = jvm.org.apache.hadoop.fs.Path(path)
    return hadoop_path.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration()), hadoop_path


def _write_text(fs, spark: SparkSession, path: str, text: str) -> None:
    stream = fs.create(spark.sparkContext._jvm.org.apache.hadoop.fs.Path(path), True)
    try:
        stream.write(bytearray(text.encode("utf-8")))
    finally:
        stream.close()
