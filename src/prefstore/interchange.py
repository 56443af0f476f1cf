"""Interchange: the candidates table as Parquet, for engines other than DuckDB.

`prefstore export-candidates` writes `sql/export/candidates.sql` (every column
the pair queries read, plus the positions that define output order) either
to one file or to a hive-partitioned folder (`run_id=<id>/data_0.parquet`),
the layout Spark, Trino and BigQuery external tables read, on local disk or
object storage alike. Each file keeps its `run_id` column too: hive paths
percent-encode the id, and Spark decodes `%C3%A9` byte by byte (`Ã©`), so
readers should take run_id from the files (`prefstore.spark.read_candidates`).

The folder is written one run at a time, each run one ordered single-file
COPY, rather than by DuckDB's PARTITION_BY: a partitioned COPY interleaves
its threads' rows, so two exports of the same store would differ in bytes.

Both forms appear atomically: DuckDB writes into a hidden temporary name
beside OUT, renamed into place only when complete.

When the store holds decisions, they travel with the candidates: the exclude
and flip targets in force (`targets.parquet`) and the rules (`rules.json`,
with the log's digest) in `OUT/_decisions/` for a folder (a leading `_`:
Spark and Hadoop readers skip it) or in `OUT.decisions/` beside a single
file. `prefstore.spark` applies them as the store would.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import urllib.parse
from collections.abc import Sequence
from pathlib import Path

import duckdb

from . import decisions, queries
from .errors import BadInput, BadOption
from .export import atomic_path
from .fileops import new_folder, remove_folder, swap_in
from .pairs import check_runs

PARTITION_COLUMNS = ("run_id",)


def export_candidates(cur: duckdb.DuckDBPyConnection, out: str | os.PathLike,
                      partition_by: str | None = None, runs: Sequence[str] | None = None) -> int:
    """Write the candidates of `runs` (None = every run) as Parquet; returns the row count.

    Without `partition_by`, OUT is one file and must end in `.parquet`; with
    `partition_by="run_id"`, OUT is a folder that must not exist yet or be empty.
    """
    out = Path(out)
    params = {"runs": check_runs(cur, runs)}
    query = queries.text("export/candidates")
    if partition_by is None:
        if out.suffix != ".parquet":
            raise BadInput(f"{out}: expected a file name ending in .parquet "
                           f"(or pass --partition-by run_id to write a folder)")
        with atomic_path(out) as tmp:
            (count,) = cur.execute(f"COPY ({query}) TO $path (FORMAT parquet)",
                                   {**params, "path": str(tmp)}).fetchone()
        _write_decisions(cur, decisions_folder(out))
        return count
    if partition_by not in PARTITION_COLUMNS:
        raise BadOption(f"--partition-by: expected one of {', '.join(PARTITION_COLUMNS)}; got {partition_by!r}")
    _check_folder(out)
    work = out.with_name(f".{out.name}.{secrets.token_hex(6)}.partial")
    work.mkdir()
    try:
        count = 0
        for run_id in _runs_with_candidates(cur, params["runs"]):
            folder = work / f"{partition_by}={urllib.parse.quote(run_id, safe='')}"
            folder.mkdir()
            (n,) = cur.execute(f"COPY ({query}) TO $path (FORMAT parquet)",
                               {"runs": [run_id], "path": str(folder / "data_0.parquet")}).fetchone()
            count += n
        _write_decisions(cur, work / DECISIONS_IN_FOLDER)
        if out.exists():
            out.rmdir()  # empty, checked above
        os.rename(work, out)
    finally:
        if work.exists():
            shutil.rmtree(work)
    return count


DECISIONS_IN_FOLDER = "_decisions"
DECISIONS_BESIDE_FILE = ".decisions"


def decisions_location(candidates: str, is_folder: bool) -> str:
    """Where the decisions of a candidates export live, as a path string (local or object
    storage): `_decisions/` inside a folder, `<file>.decisions/` beside a file."""
    if is_folder:
        return f"{candidates.rstrip('/')}/{DECISIONS_IN_FOLDER}"
    return f"{candidates}{DECISIONS_BESIDE_FILE}"


def decisions_folder(candidates: Path) -> Path:
    """Where the decisions of a local candidates export live: inside a folder, beside a file."""
    return Path(decisions_location(str(candidates), candidates.is_dir()))


def _write_decisions(cur: duckdb.DuckDBPyConnection, folder: Path) -> None:
    """The decisions in force (targets.parquet, rules.json) into `folder`, replacing an older copy.

    With an empty log the folder is removed instead: a copy left by an earlier
    export to the same path would otherwise be applied to these candidates.
    The new copy is swapped in whole, so readers never find the folder missing
    or half written.
    """
    log = decisions.digest(cur)
    if not log["entries"]:
        remove_folder(folder)
        return
    work = new_folder(folder, ".partial")
    try:
        cur.execute(f"COPY ({queries.text('decisions/export_targets')}) TO $path (FORMAT parquet)",
                    {"path": str(work / "targets.parquet")}).fetchall()
        rules = [{"decision_id": d, "action": a, "rule": r}
                 for d, a, r in queries.run(cur, "decisions/rules").fetchall()]
        (work / "rules.json").write_text(json.dumps({"rules": rules, "log": log}, indent=2) + "\n",
                                         encoding="utf-8")
        swap_in(work, folder)
    finally:
        if work.exists():
            shutil.rmtree(work)


def _runs_with_candidates(cur: duckdb.DuckDBPyConnection, runs: list[str] | None) -> list[str]:
    """The selected runs holding candidates, in ingest order."""
    result = queries.run(cur, "runs/list")
    names = [d[0] for d in result.description]
    rows = result.fetchall()
    run_id, n_candidates = names.index("run_id"), names.index("n_candidates")
    return [row[run_id] for row in rows
            if row[n_candidates] and (runs is None or row[run_id] in runs)]


def _check_folder(out: Path) -> None:
    """OUT must be a new or empty folder in an existing parent: never overwrite data."""
    if out.exists() and not out.is_dir():
        raise BadInput(f"{out}: is a file; --partition-by writes a folder")
    if out.is_dir() and any(out.iterdir()):
        raise BadInput(f"{out}: folder exists and is not empty; remove it or choose another path")
    if not out.parent.exists():
        raise BadInput(f"{out}: folder {out.parent} does not exist")
