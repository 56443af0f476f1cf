"""A NAT `workflow_output.json` file as one run.

`sql/ingest/stage_nat_eval_typed.sql` reads the file with the steps typed as
structs (the fast path; a big file is read as several pieces in parallel, see
`read_typed`); when that read fails or finds anything to reject,
`sql/ingest/stage_nat_eval.sql` reads it again keeping each step as JSON and
`sql/ingest/stage_fields.sql` pulls the fields.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import duckdb

from .. import queries
from ..errors import BadInput, BadOption
from ..models import IngestReport
from . import chunks
from .digest import Digest, background_digest
from .files import check_nat_file
from .runs import Transaction, first_line, run_digest, store_run

MIN_OBJECT_BYTES = 16 << 20
# NAT's defaults for a dataset's `id_key` and `structure.trajectory_key`.
DEFAULT_ID_KEY = "id"
DEFAULT_STEPS_KEY = "intermediate_steps"
# Reject reasons (sql/ingest/validate.sql) that mean the file names its keys otherwise, and the
# option that reads them.
_KEY_REASONS = (("item has no intermediate_steps list", "--steps-key (the dataset's structure.trajectory_key)"),
                ("item has no usable id (string or number)", "--id-key (the dataset's id_key)"))
# How the typed read holds a step: only the payload fields a candidate needs.
TYPED_STEP = 'STRUCT(payload STRUCT(event_type VARCHAR, name JSON, "UUID" JSON, metadata JSON, data JSON))'


def ingest_nat_eval(
    cur: duckdb.DuckDBPyConnection,
    transaction: Transaction,
    path: str | os.PathLike,
    run_id: str | None = None,
    meta: Mapping[str, Any] | None = None,
    replace: bool = False,
    id_key: str = DEFAULT_ID_KEY,
    steps_key: str = DEFAULT_STEPS_KEY,
) -> IngestReport:
    """Store every TTC_END step of one NAT `workflow_output.json` as one run.

    `id_key` and `steps_key` name the item's id and steps as the evaluation's
    dataset config does (`id_key`, `structure.trajectory_key`).
    """
    file = Path(path)
    check_nat_file(file)
    keys = item_keys(id_key, steps_key)

    with background_digest(file, lambda sha: nat_eval_digest(sha, keys)) as digest:
        def stage(cur: duckdb.DuckDBPyConnection) -> bool:
            """The typed one-pass read when it can stand (True: `checked` is ready), else the robust read."""
            if stage_typed(cur, file, digest, keys):
                return True
            try:
                read_json(cur, "ingest/stage_nat_eval", [file], item_columns(keys, typed=False))
            except duckdb.Error as exc:
                raise BadInput(f"{file}: not a readable NAT evaluation file: {first_line(exc)}") from None
            return False

        report = store_run(cur, transaction, stage, run_id, digest, "nat_eval", str(file), meta, replace)
    return with_key_hints(report)


def with_key_hints(report: IngestReport) -> IngestReport:
    """`report`, warned first when every item lacks its id or its steps: the evaluation's dataset
    config likely renames that key. Only the formats that take --id-key/--steps-key say so."""
    hints = [f"every item was rejected: {reason}; if the evaluation's dataset config renames that key, "
             f"pass {option}"
             for reason, option in _KEY_REASONS
             if report.items and report.rejects_by_reason.get(reason) == report.items]
    report.warnings[:0] = hints
    return report


def nat_eval_digest(file_sha: str, keys: tuple[str, str]) -> str:
    """The run's identity: the file's digest, mixed with the item keys when they are not NAT's
    defaults (other keys read other ids and steps; the defaults keep the file's digest, as before)."""
    if keys == (DEFAULT_ID_KEY, DEFAULT_STEPS_KEY):
        return file_sha
    id_key, steps_key = keys
    return run_digest("nat-eval", (file_sha, f"id_key={id_key}", f"steps_key={steps_key}"))


def item_keys(id_key: str, steps_key: str) -> tuple[str, str]:
    """The item's id and steps keys, checked: two different, non-empty names."""
    for option, key in (("--id-key", id_key), ("--steps-key", steps_key)):
        if not isinstance(key, str) or not key:
            raise BadOption(f"{option}: expected a key name, got {key!r}")
    if id_key == steps_key:
        raise BadOption(f"--id-key and --steps-key name the same key {id_key!r}; they must differ")
    return id_key, steps_key


def item_columns(keys: tuple[str, str], typed: bool) -> dict[str, str]:
    """read_json's `columns` for an item: the id as JSON, then the steps (typed, or each as JSON)."""
    id_key, steps_key = keys
    return {id_key: "JSON", steps_key: f"{TYPED_STEP}[]" if typed else "JSON[]"}


def stage_typed(cur: duckdb.DuckDBPyConnection, file: Path, digest: Digest, keys: tuple[str, str]) -> bool:
    """Stage and check `file` with the steps typed as structs; False if the robust path must redo it.

    Parsing each step once into typed columns is several times cheaper than
    keeping every step as JSON text and extracting from it again. The typed
    read fails on shapes a struct cannot hold (a step that is not an object,
    duplicate keys), and it cannot keep a rejected step's raw JSON: both cases
    go to the robust path, so rejects and their reasons never depend on it.
    """
    try:
        read_typed(cur, file, digest, item_columns(keys, typed=True))
    except duckdb.Error:
        return False
    queries.run(cur, "ingest/validate")
    return not queries.run(cur, "ingest/typed_fallback").fetchone()[0]


def read_typed(cur: duckdb.DuckDBPyConnection, file: Path, digest: Digest, columns: dict[str, str]) -> None:
    """Run stage_nat_eval_typed.sql on the file's pieces in parallel when it pays, else on the whole file.

    DuckDB reads one JSON array on one thread, but several files in parallel.
    If any piece fails to read, the whole file is read instead, so errors
    (and, through the robust path, rejects) are exactly the whole-file read's.
    The digest pauses while DuckDB parses the pieces on every core.
    """
    count = chunks.chunk_count(cur, file)
    if count > 1:
        with chunks.chunks(file, count) as pieces:
            if len(pieces) > 1:
                try:
                    with digest.paused():
                        read_json(cur, "ingest/stage_nat_eval_typed", pieces, columns)
                    return
                except duckdb.Error:
                    pass
    read_json(cur, "ingest/stage_nat_eval_typed", [file], columns)


def read_json(cur: duckdb.DuckDBPyConnection, query: str, files: list[Path],
              columns: dict[str, str] | None = None) -> None:
    """Run a read_json staging query with DuckDB's 16 MB object buffer, growing it only if an item needs it.

    DuckDB allocates that buffer per reader thread: sized to the whole file (as
    would always fit), peak memory grows with the file (1.8 GB RSS for 1.4 GB).
    The query gets `$path` (the first file), `$paths` (all) and `$columns` (item_columns) and
    binds those it names.
    """
    params = {"path": str(files[0]), "paths": [str(f) for f in files], "max_object_bytes": MIN_OBJECT_BYTES,
              "columns": columns}
    try:
        queries.run(cur, query, params)
    except duckdb.InvalidInputException as exc:
        largest = max(f.stat().st_size for f in files)
        if "maximum_object_size" not in str(exc) or largest < MIN_OBJECT_BYTES:
            raise
        params["max_object_bytes"] = largest + 1
        queries.run(cur, query, params)
