"""Export: training files written by DuckDB (COPY), never built pair by pair in Python.

Every file is written under a temporary name in the destination folder and
renamed into place only when complete, so an interrupted export never leaves
a truncated file under the final name.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path

import duckdb

from . import queries
from .errors import BadInput
from .models import PairConfig
from .pairs import check_runs, pair_params, query_name


@contextlib.contextmanager
def atomic_path(final: Path) -> Iterator[Path]:
    """A temporary path beside `final`, renamed onto it when the block succeeds."""
    final = Path(final)
    if final.is_dir():
        raise BadInput(f"{final}: is a directory, expected a file path")
    if not final.parent.exists():
        raise BadInput(f"{final}: folder {final.parent} does not exist")
    fd, tmp = tempfile.mkstemp(prefix=f".{final.name}.", suffix=".partial", dir=final.parent)
    os.close(fd)
    os.unlink(tmp)
    try:
        yield Path(tmp)
        os.replace(tmp, final)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def create_pair_view(cur: duckdb.DuckDBPyConnection, config: PairConfig,
                     runs: Sequence[str] | None) -> None:
    """Expose the pair query's rows, for these options, as the relation `pair_rows` on `cur`."""
    name = query_name(config)
    params = queries.bind(name, pair_params(config, check_runs(cur, runs)))
    # register (not create_view): works on read-only stores and lives with this cursor
    cur.register("pair_rows", cur.sql(queries.text(name), params=params))


def copy_json_lines(cur: duckdb.DuckDBPyConnection, query: str, out: Path) -> int:
    """Stream `sql/<query>.sql` (over `pair_rows`) to `out` as JSON lines; returns the line count."""
    with atomic_path(out) as tmp:
        (count,) = cur.execute(f"COPY ({queries.text(query)}) TO $path (FORMAT json)",
                               {"path": str(tmp)}).fetchone()
        if not tmp.exists():
            tmp.write_bytes(b"")
    return count


def export_jsonl(cur: duckdb.DuckDBPyConnection, out: str | os.PathLike, config: PairConfig,
                 runs: Sequence[str] | None) -> int:
    """NeMo Customizer DPO JSONL (`prompt`, `chosen_response`, `rejected_response`)."""
    create_pair_view(cur, config, runs)
    return copy_json_lines(cur, "export_nemo", Path(out))
