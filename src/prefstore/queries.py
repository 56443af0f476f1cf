"""Load the SQL kept in the top-level `sql/` and `migrations/` folders.

The wheel ships both folders inside the package (`prefstore/sql`,
`prefstore/migrations`); a source checkout reads them from the repository root.
"""

from __future__ import annotations

import functools
from pathlib import Path

import duckdb

_PACKAGE_DIR = Path(__file__).resolve().parent
_REPO_ROOT = _PACKAGE_DIR.parent.parent


def _folder(name: str) -> Path:
    for candidate in (_PACKAGE_DIR / name, _REPO_ROOT / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"prefstore is installed without its {name}/ folder")


def sql_dir() -> Path:
    return _folder("sql")


def migrations_dir() -> Path:
    return _folder("migrations")


@functools.cache
def load(name: str) -> str:
    """The text of `sql/<name>.sql`; `name` names a stage folder and a query, e.g. `pairs/exhaustive`."""
    return (sql_dir() / f"{name}.sql").read_text(encoding="utf-8")




@functools.cache
def _parsed(name: str) -> tuple[duckdb.Statement, ...]:
    return tuple(duckdb.extract_statements(load(name)))


def bind(name: str, params: dict) -> dict:
    """The subset of `params` that the (single-statement) query `name` names."""
    (statement,) = _parsed(name)
    return {k: params[k] for k in statement.named_parameters}


def text(name: str) -> str:
    """A single-statement query's text without its trailing semicolon, for embedding."""
    return load(name).rstrip().rstrip(";")


def run(con: duckdb.DuckDBPyConnection, name: str, params: dict | None = None) -> duckdb.DuckDBPyConnection:
    """Execute every statement of `sql/<name>.sql`, binding only the parameters each names.

    Returns the connection, positioned on the last statement's result.
    """
    params = params or {}
    for statement in _parsed(name):
        wanted = statement.named_parameters
        missing = wanted - params.keys()
        if missing:
            raise KeyError(f"sql/{name}.sql needs parameters {sorted(missing)}")
        con.execute(statement, {k: params[k] for k in wanted} if wanted else None)
    return con
