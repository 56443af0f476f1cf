"""A candidates file from any source (JSONL or Parquet, one candidate per row) as one run."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import duckdb

from .. import queries
from ..errors import BadInput
from ..models import DEFAULT_STEP_NAME, IngestReport
from .digest import file_sha256
from .files import CANDIDATE_REQUIRED, check_candidates_file
from .nat_eval import MIN_OBJECT_BYTES
from .runs import Transaction, default_run_id, first_line, store_run


def ingest_candidates(
    cur: duckdb.DuckDBPyConnection,
    transaction: Transaction,
    path: str | os.PathLike,
    run_id: str | None = None,
    meta: Mapping[str, Any] | None = None,
    replace: bool = False,
) -> IngestReport:
    """Store a candidates file from any source (JSONL or Parquet, one candidate per row) as one run.

    Each row becomes a synthetic NAT TTC_END step (`sql/ingest/stage_candidates.sql`),
    so validation, rejects, run identity and atomicity are NAT ingest's own.
    """
    file = Path(path)
    kind = check_candidates_file(file)
    sha = file_sha256(file)
    run_id = run_id or default_run_id(sha)
    object_bytes = max(MIN_OBJECT_BYTES, file.stat().st_size + 1)

    def stage(cur: duckdb.DuckDBPyConnection) -> None:
        try:
            if kind == "parquet":
                _check_parquet_columns(cur, file)
            queries.run(cur, f"ingest/stage_candidates_{kind}", {"path": str(file), "max_object_bytes": object_bytes})
        except duckdb.Error as exc:
            raise BadInput(f"{file}: not a readable candidates {kind} file: {first_line(exc)}") from None
        queries.run(cur, "ingest/stage_candidates", {"default_step_name": DEFAULT_STEP_NAME})

    return store_run(cur, transaction, stage, run_id, sha, "candidates", str(file), meta, replace)


def _check_parquet_columns(cur: duckdb.DuckDBPyConnection, file: Path) -> None:
    """A Parquet file lacking a required column is refused whole (every row would be rejected)."""
    result = queries.run(cur, "ingest/candidates_parquet_columns", {"path": str(file)})
    columns = {d[0] for d in result.description}
    result.fetchall()
    missing = [c for c in CANDIDATE_REQUIRED if c not in columns]
    if missing:
        raise BadInput(f"{file}: missing column(s) {', '.join(missing)}; a candidates file needs "
                       f"{', '.join(CANDIDATE_REQUIRED)}")
