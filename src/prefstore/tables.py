"""The store's rows as Arrow, and from Arrow as pandas, Polars and Hugging Face datasets.

DuckDB hands a result to Arrow in columnar batches, with no Python object per
value, so every form here starts from Arrow. Nothing has SQL of its own: pairs
and training sets are the export's rows (`export.select_rows`, sql/export/rows.sql,
then sql/export/batch.sql a batch of positions at a time), so every pair option,
run selection and dataset operation (dedup, sampling, order, the split by
example, prompt style) applies exactly as in `prefstore export`; candidates are
sql/export/candidates.sql, as `prefstore export-candidates` writes them.

A training set's columns are the export format's own query
(sql/export/format_<format>.sql); its JSON columns are parsed by DuckDB into
the Arrow types `datasets.load_dataset("json")` gives the exported lines
(strings, lists of {role, content} structs), so a row equals the file's line
(messages carry role and content only, as in the parquet format).

pyarrow, pandas, Polars and datasets are optional: each is imported when first
needed, and a missing one is one MissingExtra error naming the extra to install.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import duckdb

from . import queries
from .errors import BadOption, MissingExtra
from .export import Target, batches, resolve_target, select_all_rows, select_batch, select_rows
from .models import ExportOptions, PairConfig
from .pairs import check_runs

DEFAULT_BATCH_ROWS = 65_536
DATASET_FORMAT = "trl"  # what store.dataset() builds when options.format is None
_MESSAGES = '[{"role": "VARCHAR", "content": "VARCHAR"}]'
_TEXT = '"VARCHAR"'
# The JSON columns of each format's query (by prompt style) and the DuckDB type
# each is parsed into: what the exported JSON lines load as.
JSON_COLUMNS: dict[tuple[str, str], dict[str, str]] = {
    ("nemo", "last-message"): {"prompt": _TEXT},
    ("nemo", "messages"): {"prompt": _MESSAGES},
    ("trl", "conversational"): {"prompt": _MESSAGES, "chosen": _MESSAGES, "rejected": _MESSAGES},
    ("trl", "standard"): {"prompt": _TEXT, "chosen": _TEXT, "rejected": _TEXT},
    ("openai", "messages"): {"input": '{"messages": ' + _MESSAGES + "}",
                             "preferred_output": _MESSAGES, "non_preferred_output": _MESSAGES},
    ("parquet", "conversational"): {},  # already typed: the Parquet file's columns
}
# Dataset split names: the export's file names (train.jsonl/test.jsonl, training/..., ...).
SPLIT_NAMES: dict[str, dict[str, str]] = {
    "nemo": {"train": "training", "validation": "validation"},
    "trl": {"train": "train", "validation": "test"},
    "openai": {"train": "training", "validation": "validation"},
    "parquet": {"train": "train", "validation": "test"},
}
_EXTRAS = {"pyarrow": "arrow", "pandas": "pandas", "polars": "polars", "datasets": "datasets"}

Stream = Callable[[Callable[[duckdb.DuckDBPyConnection], Iterator[Any]]], Iterator[Any]]


def require(module: str, caller: str, extra: str | None = None) -> Any:
    """Import an optional dependency, or raise MissingExtra naming the extra that installs it
    (`extra`, default the module's own: arrow, pandas, polars or datasets)."""
    try:
        return importlib.import_module(module)
    except ImportError:
        raise MissingExtra(
            f"{caller} needs {module}, which is not installed: pip install 'prefstore[{extra or _EXTRAS[module]}]' "
            f"(or 'prefstore[data]' for Arrow, pandas, Polars and datasets)") from None


# -- readers (streamed) ---------------------------------------------------------------------
def pairs_reader(stream: Stream, config: PairConfig, runs: Sequence[str] | None, batch_size: int) -> Any:
    """The pair rows (sql/export/format_pairs.sql) in output order, as a RecordBatchReader."""
    require("pyarrow", "store.pairs_arrow()")
    _check_batch_size(batch_size)

    def start(cur: duckdb.DuckDBPyConnection) -> Iterator[Any]:
        select_all_rows(cur, config, runs)
        return _export_batches(cur, "export/format_pairs", {}, {}, batch_size)
    return _reader(stream(start))


def candidates_reader(stream: Stream, runs: Sequence[str] | None, batch_size: int) -> Any:
    """Every candidate of `runs` (sql/export/candidates.sql) in arrival order, as a RecordBatchReader."""
    require("pyarrow", "store.candidates_arrow()")
    _check_batch_size(batch_size)

    def start(cur: duckdb.DuckDBPyConnection) -> Iterator[Any]:
        relation = cur.sql(queries.text("export/candidates"), params={"runs": check_runs(cur, runs)})
        return _batches_of(relation, batch_size)
    return _reader(stream(start))


def _check_batch_size(batch_size: int) -> None:
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise BadOption(f"batch_size must be a positive number of rows, not {batch_size!r}")


def _reader(items: Iterator[Any]) -> Any:
    """A RecordBatchReader over `items`: a schema, then record batches."""
    pa = require("pyarrow", "prefstore")
    schema = next(items)
    return pa.RecordBatchReader.from_batches(schema, items)


def _batches_of(relation: duckdb.DuckDBPyRelation, batch_size: int) -> Iterator[Any]:
    reader = relation.to_arrow_reader(batch_size)
    yield reader.schema
    yield from reader


def _export_batches(cur: duckdb.DuckDBPyConnection, query: str, params: dict[str, Any],
                    json_columns: dict[str, str], batch_size: int) -> Iterator[Any]:
    """`sql/<query>.sql` over all of `export_rows`, a batch of positions at a time (as the export
    writes it, so no sort holds more than one batch of texts): the schema, then record batches."""
    first = True
    for lo, hi in batches(cur):
        select_batch(cur, lo, hi)
        reader = _typed(cur.sql(queries.text(query), params=params), json_columns).to_arrow_reader(batch_size)
        if first:
            yield reader.schema
            first = False
        yield from reader


def _typed(relation: duckdb.DuckDBPyRelation, json_columns: dict[str, str]) -> duckdb.DuckDBPyRelation:
    """`relation` with each JSON column parsed (DuckDB's from_json) into its type."""
    if not json_columns:
        return relation
    return relation.select(*(
        duckdb.FunctionExpression("from_json", duckdb.ColumnExpression(name),
                                  duckdb.ConstantExpression(json_columns[name])).alias(name)
        if name in json_columns else duckdb.ColumnExpression(name)
        for name in relation.columns))


# -- training sets (whole splits) -----------------------------------------------------------
def dataset_target(options: ExportOptions) -> Target:
    """What a directory export with these options writes: format (default trl), prompt style,
    validation fraction (default 0.2). A dataset has no file, so trajectories is refused."""
    if options.format == "trajectories":
        raise BadOption("format trajectories is NAT's TrajectoryCollection, not a table: "
                        "use store.trajectories() or store.iter_trajectories()")
    if options.format is None:
        options = options.model_copy(update={"format": DATASET_FORMAT})
    return resolve_target(Path("dataset"), options)  # no suffix: resolved as a directory export


def split_tables(cur: duckdb.DuckDBPyConnection, config: PairConfig, options: ExportOptions,
                 runs: Sequence[str] | None) -> dict[str, Any]:
    """Split name (as the export's files: trl `train`/`test`, ...) -> pyarrow Table of that
    split's rows, columns and order as `export --format F` writes them."""
    pa = require("pyarrow", "store.dataset_arrow()")
    target = dataset_target(options)
    select_rows(cur, target, config, options, check_runs(cur, runs))
    query = f"export/format_{target.format}"
    json_columns = JSON_COLUMNS[(target.format, target.prompt_style)]
    tables = {}
    for split in target.files():
        params = queries.bind(query, {"split": split, "prompt_style": target.prompt_style})
        parts = _export_batches(cur, query, params, json_columns, DEFAULT_BATCH_ROWS)
        schema = next(parts)
        tables[SPLIT_NAMES[target.format][split]] = pa.Table.from_batches(list(parts), schema=schema)
    return tables


# -- other libraries ------------------------------------------------------------------------
def to_pandas(arrow: Callable[[], Any], caller: str) -> Any:
    """The pyarrow Table or RecordBatchReader `arrow()` returns, as a pandas DataFrame (both
    libraries checked first, so a missing one fails before any query runs)."""
    require("pyarrow", caller, "pandas")
    require("pandas", caller)
    table = arrow()
    return table.read_pandas() if hasattr(table, "read_pandas") else table.to_pandas()


def to_polars(arrow: Callable[[], Any], caller: str) -> Any:
    """The pyarrow Table or RecordBatchReader `arrow()` returns, as a Polars DataFrame."""
    require("pyarrow", caller, "polars")
    pl = require("polars", caller)
    table = arrow()
    return pl.from_arrow(table.read_all() if hasattr(table, "read_all") else table)


def to_dataset_dict(tables: Callable[[], dict[str, Any]]) -> Any:
    """The split name -> pyarrow Table of `tables()` as a `datasets.DatasetDict`, the tables kept
    in memory as they are (no copy, no cache file).

    Each split gets a random fingerprint, as `datasets` gives data it cannot
    hash: without one, `datasets` serializes the whole table to hash it (1.2 s
    of the 1.2M-pair M set). The rows are deterministic; the fingerprint only
    names the object for `datasets`' caches.
    """
    require("pyarrow", "store.dataset()", "datasets")
    datasets = require("datasets", "store.dataset()")
    from datasets.fingerprint import generate_random_fingerprint
    from datasets.table import InMemoryTable
    return datasets.DatasetDict({
        name: datasets.Dataset(InMemoryTable(table), split=datasets.NamedSplit(name),
                               fingerprint=generate_random_fingerprint())
        for name, table in tables().items()})
