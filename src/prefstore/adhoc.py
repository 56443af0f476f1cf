"""Ad-hoc read-only SQL: sqlglot accepts the text before DuckDB ever sees it.

The guard is one layer; the CLI also runs queries on a read-only connection
with DuckDB's external access off, so a query that slipped past the parser
still could not write the store or touch files.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Collection, Iterator

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError

from .errors import QueryRefused

# Table functions that read or list files, or reach outside the store.
_FILE_FUNCTIONS = {
    "read_csv", "read_csv_auto", "read_json", "read_json_auto", "read_json_objects",
    "read_json_objects_auto", "read_ndjson", "read_ndjson_auto", "read_ndjson_objects",
    "read_parquet", "parquet_scan", "parquet_metadata", "parquet_schema", "parquet_file_metadata",
    "parquet_kv_metadata", "read_text", "read_blob", "glob", "sniff_csv", "read_xlsx",
    "iceberg_scan", "delta_scan", "sqlite_scan", "postgres_scan", "mysql_scan", "read_ipc",
    "csv_scan", "json_scan", "http_get", "read_duckdb",
}
# Functions refused even with --allow-files: they run SQL text the guard never
# saw (query, query_table, json_execute_serialized_sql) or change the database
# or the process (checkpoints, logging, profiling, extensions, resources).
_REFUSED_FUNCTIONS = {
    "query", "query_table", "json_execute_serialized_sql", "checkpoint", "force_checkpoint",
    "enable_logging", "disable_logging", "truncate_duckdb_logs", "enable_profiling",
    "disable_profiling", "add_grammar_extension", "remove_grammar_extension",
    "create_external_resource", "destroy_external_resource", "register_external_resource",
    "register_external_resource_type", "deregister_external_resource", "python_map_function",
}
# First words of statements sqlglot cannot parse but DuckDB runs (EXPORT DATABASE, ...).
_READ_STARTS = {"SELECT", "WITH", "FROM", "VALUES", "(", "TABLE"}
# A table named like a file or URL ('data.csv', "s3://b/k"): DuckDB would read the file.
_FILE_NAME_CHARS = set("./\\:*?")
_WRITE_NODES = (
    exp.Insert, exp.Update, exp.Delete, exp.Create, exp.Drop, exp.Alter, exp.Merge,
    exp.Copy, exp.Command, exp.Set, exp.Pragma, exp.Use, exp.Attach, exp.Detach,
    exp.TruncateTable, exp.Transaction, exp.Commit, exp.Rollback, exp.Install, exp.Export,
)


def check_read_only(sql: str, allow_files: bool = False) -> str:
    """Return `sql` if it is exactly one read-only query; raise QueryRefused otherwise."""
    try:
        with _quiet_sqlglot():
            statements = [s for s in sqlglot.parse(sql, dialect="duckdb") if s is not None]
    except ParseError as exc:
        first = _first_word(sql)
        if first and first not in _READ_STARTS:
            raise QueryRefused(f"only SELECT queries are allowed, not {first}") from None
        raise QueryRefused(f"query does not parse: {str(exc).splitlines()[0]}") from None
    if not statements:
        raise QueryRefused("query is empty")
    if len(statements) > 1:
        raise QueryRefused(f"one statement only, found {len(statements)}")
    tree = statements[0]
    if not isinstance(tree, exp.Query):
        raise QueryRefused(f"only SELECT queries are allowed, not {_first_word(sql) or _kind(tree)}")
    for node in tree.walk():
        if isinstance(node, _WRITE_NODES):
            raise QueryRefused(f"only read-only queries are allowed; found {_kind(node)}")
        if isinstance(node, exp.Func) and _func_name(node) in _REFUSED_FUNCTIONS:
            raise QueryRefused(f"{_func_name(node)}() is not allowed in a read-only query")
        if not allow_files:
            _refuse_file_access(node)
    return sql


def table_names(sql: str) -> set[str]:
    """The unqualified table names an (already checked) query reads, CTE names excluded."""
    with _quiet_sqlglot():
        tree = sqlglot.parse_one(sql, dialect="duckdb")
    ctes = {cte.alias_or_name for cte in tree.find_all(exp.CTE)}
    return {t.name for t in tree.find_all(exp.Table) if not t.db and t.name not in ctes}


def check_predicate(text: str, columns: Collection[str]) -> exp.Expression:
    """Parse a rule (`prefstore exclude --where ...`): one boolean expression over `columns`.

    Refused with QueryRefused: anything but one expression (a statement, a
    second statement), a subquery, an aggregate or window function (a rule
    judges one pair at a time), file access, the functions `query` refuses,
    and columns outside `columns` (the message lists them). Returns the tree,
    which callers compose with sqlglot, never as text pasted into SQL.
    """
    try:
        with _quiet_sqlglot():
            trees = [s for s in sqlglot.parse(text, dialect="duckdb") if s is not None]
    except ParseError as exc:
        raise QueryRefused(f"--where {text!r} does not parse: {str(exc).splitlines()[0]}") from None
    if len(trees) != 1:
        raise QueryRefused(f"--where takes one boolean expression, found {len(trees) or 'none'}")
    tree = trees[0]
    if isinstance(tree, (exp.Query, *_WRITE_NODES)) or isinstance(tree, (exp.Alias, exp.Star)):
        raise QueryRefused(f"--where takes a boolean expression over the pair columns, not {_kind(tree)}")
    for node in tree.walk():
        if isinstance(node, (exp.Query, exp.Subquery, exp.Table, *_WRITE_NODES)):
            raise QueryRefused(f"--where refuses {_kind(node)}: a rule reads only the pair's own columns")
        if isinstance(node, (exp.AggFunc, exp.Window)):
            raise QueryRefused(f"--where refuses {node.sql(dialect='duckdb')}: a rule judges one pair at a "
                               f"time (no aggregate or window functions)")
        if isinstance(node, exp.Func) and _func_name(node) in _REFUSED_FUNCTIONS:
            raise QueryRefused(f"{_func_name(node)}() is not allowed in a rule")
        try:
            _refuse_file_access(node)
        except QueryRefused:
            raise QueryRefused(f"--where refuses {node.sql(dialect='duckdb')}: a rule cannot read files") from None
        if isinstance(node, exp.Column):
            if node.table or node.name not in columns:
                raise QueryRefused(f"--where: unknown column {node.sql(dialect='duckdb')}; a rule may use "
                                   f"{', '.join(columns)}")
    return tree


def _func_name(node: exp.Func) -> str:
    return (node.sql_name() if not isinstance(node, exp.Anonymous) else node.name).lower()


def _refuse_file_access(node: exp.Expression) -> None:
    if isinstance(node, exp.Func):
        name = _func_name(node)
        if name in _FILE_FUNCTIONS or name.startswith(("read_", "parquet_")):
            raise QueryRefused(f"{name}() reads files; pass --allow-files to permit it")
    if isinstance(node, exp.Table) and isinstance(node.this, (exp.Literal, exp.Identifier)) \
            and (isinstance(node.this, exp.Literal) or _FILE_NAME_CHARS & set(node.name)):
        raise QueryRefused(f"reading the file {node.name!r} needs --allow-files")


def _first_word(sql: str) -> str | None:
    """The statement's first keyword (comments skipped), for messages; None if it does not tokenize."""
    try:
        with _quiet_sqlglot():
            tokens = sqlglot.tokenize(sql, dialect="duckdb")
    except Exception:  # noqa: BLE001 - a message helper: any failure just means "unknown"
        return None
    return tokens[0].text.upper() if tokens else None


class _QuietFilter(logging.Filter):
    """Drops sqlglot's log records while this thread is inside `_quiet_sqlglot`."""

    def __init__(self) -> None:
        super().__init__()
        self.local = threading.local()

    def filter(self, record: logging.LogRecord) -> bool:
        return not getattr(self.local, "quiet", False)


_QUIET = _QuietFilter()
logging.getLogger("sqlglot").addFilter(_QUIET)


@contextlib.contextmanager
def _quiet_sqlglot() -> Iterator[None]:
    """sqlglot logs a warning when it falls back to a raw Command (LOAD, CALL, ...);
    the refusal says it better, and library code must not print."""
    _QUIET.local.quiet = True
    try:
        yield
    finally:
        _QUIET.local.quiet = False


def _kind(node: exp.Expression) -> str:
    if isinstance(node, exp.Command):
        return str(node.this).upper()
    return node.key.upper()
