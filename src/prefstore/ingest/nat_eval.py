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
from ..errors import BadInput
from ..models import IngestReport
from . import chunks
from .digest import Digest, background_digest
from .files import check_nat_file
from .runs import Transaction, first_line, store_run

MIN_OBJECT_BYTES = 16 << 20


def ingest_nat_eval(
    cur: duckdb.DuckDBPyConnection,
    transaction: Transaction,
    path: str | os.PathLike,
    run_id: str | None = None,
    meta: Mapping[str, Any] | None = None,
    replace: bool = False,
) -> IngestReport:
    """Store every TTC_END step of one NAT `workflow_output.json` as one run."""
    file = Path(path)
    check_nat_file(file)

    with background_digest(file) as digest:
        def stage(cur: duckdb.DuckDBPyConnection) -> bool:
            """The typed one-pass read when it can stand (True: `checked` is ready), else the robust read."""
            if stage_typed(cur, file, digest):
                return True
            try:
                read_json(cur, "ingest/stage_nat_eval", [file])
            except duckdb.Error as exc:
                raise BadInput(f"{file}: not a readable NAT evaluation file: {first_line(exc)}") from None
            return False

        return store_run(cur, transaction, stage, run_id, digest, "nat_eval", str(file), meta, replace)


def stage_typed(cur: duckdb.DuckDBPyConnection, file: Path, digest: Digest) -> bool:
    """Stage and check `file` with the steps typed as structs; False if the robust path must redo it.

    Parsing each step once into typed columns is several times cheaper than
    keeping every step as JSON text and extracting from it again. The typed
    read fails on shapes a struct cannot hold (a step that is not an object,
    duplicate keys), and it cannot keep a rejected step's raw JSON: both cases
    go to the robust path, so rejects and their reasons never depend on it.
    """
    try:
        read_typed(cur, file, digest)
    except duckdb.Error:
        return False
    queries.run(cur, "ingest/validate")
    return not queries.run(cur, "ingest/typed_fallback").fetchone()[0]


def read_typed(cur: duckdb.DuckDBPyConnection, file: Path, digest: Digest) -> None:
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
                        read_json(cur, "ingest/stage_nat_eval_typed", pieces)
                    return
                except duckdb.Error:
                    pass
    read_json(cur, "ingest/stage_nat_eval_typed", [file])


def read_json(cur: duckdb.DuckDBPyConnection, query: str, files: list[Path]) -> None:
    """Run a read_json staging query with DuckDB's 16 MB object buffer, growing it only if an item needs it.

    DuckDB allocates that buffer per reader thread: sized to the whole file (as
    would always fit), peak memory grows with the file (1.8 GB RSS for 1.4 GB).
    The query gets `$path` (the first file) and `$paths` (all) and binds those it names.
    """
    params = {"path": str(files[0]), "paths": [str(f) for f in files], "max_object_bytes": MIN_OBJECT_BYTES}
    try:
        queries.run(cur, query, params)
    except duckdb.InvalidInputException as exc:
        largest = max(f.stat().st_size for f in files)
        if "maximum_object_size" not in str(exc) or largest < MIN_OBJECT_BYTES:
            raise
        params["max_object_bytes"] = largest + 1
        queries.run(cur, query, params)
