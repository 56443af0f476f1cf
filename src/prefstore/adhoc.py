"""Ad-hoc read-only SQL: sqlglot accepts the text before DuckDB ever sees it.

The guard is one layer; the CLI also runs queries on a read-only connection
with DuckDB's external access off, so a query that slipped past the parser
still could not write the store or touch files.
"""

from __future__ import annotations

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
    "query_table", "query", "csv_scan", "json_scan", "http_get",
}
_WRITE_NODES = (
    exp.Insert, exp.Update, exp.Delete, exp.Create, exp.Drop, exp.Alter, exp.Merge,
    exp.Copy, exp.Command, exp.Set, exp.Pragma, exp.Use, exp.Attach, exp.Detach,
    exp.TruncateTable, exp.Transaction, exp.Commit, exp.Rollback, exp.Install, exp.Export,
)


def check_read_only(sql: str, allow_files: bool = False) -> str:
    """Return `sql` if it is exactly one read-only query; raise QueryRefused otherwise."""
    try:
        statements = [s for s in sqlglot.parse(sql, dialect="duckdb") if s is not None]
    except ParseError as exc:
        raise QueryRefused(f"query does not parse: {str(exc).splitlines()[0]}") from None
    if not statements:
        raise QueryRefused("query is empty")
    if len(statements) > 1:
        raise QueryRefused(f"one statement only, found {len(statements)}")
    tree = statements[0]
    if not isinstance(tree, exp.Query):
        raise QueryRefused(f"only SELECT queries are allowed, not {_kind(tree)}")
    for node in tree.walk():
        if isinstance(node, _WRITE_NODES):
            raise QueryRefused(f"only read-only queries are allowed; found {_kind(node)}")
        if not allow_files:
            _refuse_file_access(node)
    return sql


def _refuse_file_access(node: exp.Expression) -> None:
    if isinstance(node, exp.Func):
        name = (node.sql_name() if not isinstance(node, exp.Anonymous) else node.name).lower()
        if name in _FILE_FUNCTIONS or name.startswith(("read_", "parquet_")):
            raise QueryRefused(f"{name}() reads files; pass --allow-files to permit it")
    if isinstance(node, exp.Table) and isinstance(node.this, exp.Literal):
        raise QueryRefused(f"reading the file {node.this.name!r} needs --allow-files")


def _kind(node: exp.Expression) -> str:
    if isinstance(node, exp.Command):
        return str(node.this).upper()
    return node.key.upper()
