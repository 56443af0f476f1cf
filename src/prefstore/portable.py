"""The pair query for other engines: the SQL DuckDB runs, transpiled by sqlglot.

There is one implementation of the pair logic, `sql/pairs_*.sql`. For Spark,
Trino or BigQuery this module parses that same text (DuckDB dialect), binds
every `$name` placeholder to a literal built from the validated `PairConfig`
(`pairs.pair_params`), folds the predicates the literals decide (`$x IS NULL`,
`NOT TRUE OR ...`) and lets sqlglot write the target dialect. Placeholders are
bound generically, so a parameter added to the SQL and to `pair_params` flows
through without a change here.

Literals are sqlglot nodes, never formatted text: strings are quoted and
escaped by sqlglot for the target dialect, numbers stay numbers (floats as
`CAST(x AS DOUBLE)`, the type DuckDB binds), lists become arrays.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from typing import Any

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError
from sqlglot.optimizer.simplify import simplify

from . import queries
from ._version import __version__
from .adhoc import check_predicate
from .decisions import RULE_COLUMNS, ruled_sql
from .errors import BadOption
from .models import PairConfig
from .pairs import pair_params, query_name

DIALECTS = ("spark", "trino", "bigquery", "duckdb")
SOURCE_DIALECT = "duckdb"  # the dialect the files in sql/ are written in
TABLE = "candidates"       # the table the pair queries read


def sql_for(config: PairConfig | None = None, dialect: str = "spark",
            runs: Sequence[str] | None = None, table: str = TABLE) -> str:
    """The pair query for `config` in `dialect`, options bound as literals.

    Reads `table` (default `candidates`; give e.g. `catalog.db.candidates` in
    the target dialect's syntax) with the columns of `prefstore
    export-candidates`. `runs` (None = every run) is bound as given: the target
    engine cannot be asked here whether those runs exist.
    """
    config = config or PairConfig()
    if dialect not in DIALECTS:
        raise BadOption(f"--dialect: expected one of {', '.join(DIALECTS)}; got {dialect!r}")
    runs = _check_runs(runs)
    name = query_name(config)
    tree = bind(parse(name), pair_params(config, runs), name)
    tree = _uncommented(_swap_table(tree, TABLE, _table(table, dialect)))
    body = tree.sql(dialect=dialect, pretty=True)
    return _header(name, dialect, config, runs, table) + body


def decisions_sql(config: PairConfig, dialect: str, rules: Sequence[tuple[int, str, str]], pairs_table: str,
                  ruled_table: str, candidates_table: str, targets_table: str) -> tuple[str, str]:
    """sql/decisions/apply.sql for another engine, over a pair query's rows in `pairs_table`.

    Returns (ruled, applied): `ruled` selects `pairs_table` plus the rule columns
    (the rules, written in DuckDB's dialect, composed and transpiled by
    sqlglot), for the caller to keep as `ruled_table`; `applied` reads
    `ruled_table` and applies the targets in `targets_table` (the columns of the
    view active_targets).
    """
    trees = [(decision_id, action, check_predicate(rule, RULE_COLUMNS)) for decision_id, action, rule in rules]
    ruled = sqlglot.parse_one(ruled_sql(trees, source="raw_pair_rows"), read=SOURCE_DIALECT)
    ruled = _swap_table(ruled, "raw_pair_rows", _table(pairs_table, dialect))
    applied = bind(parse("decisions/apply"), {"ttc_step_name": config.ttc_step_name}, "decisions/apply")
    for old, new in ((TABLE, candidates_table), ("active_targets", targets_table), ("ruled_pair_rows", ruled_table)):
        applied = _swap_table(applied, old, _table(new, dialect))
    return _uncommented(ruled).sql(dialect=dialect), _uncommented(applied).sql(dialect=dialect)


def parse(name: str) -> exp.Expr:
    """`sql/<name>.sql` as a sqlglot tree (a fresh copy each call)."""
    return sqlglot.parse_one(queries.load(name), read=SOURCE_DIALECT)


def placeholders(tree: exp.Expr) -> set[str]:
    """The `$name` parameters a parsed query uses."""
    return {node.name for node in tree.find_all(exp.Placeholder)}


def bind(tree: exp.Expr, params: dict[str, Any], name: str = "query") -> exp.Expr:
    """Replace every `$name` in `tree` by the literal for `params[name]`, then fold.

    Raises KeyError (a programming error, not user input) if the query names a
    parameter `params` does not give.
    """
    missing = placeholders(tree) - params.keys()
    if missing:
        raise KeyError(f"sql/{name}.sql needs parameters {sorted(missing)}")
    tree = tree.transform(
        lambda node: literal(params[node.name]) if isinstance(node, exp.Placeholder) else node)
    tree = tree.transform(_fold_literal_arrays)
    return simplify(tree, dialect=SOURCE_DIALECT)


def literal(value: Any) -> exp.Expr:
    """A sqlglot literal for a bound parameter value (None, bool, int, float, str, list)."""
    if value is None:
        return exp.Null()
    if isinstance(value, bool):
        return exp.Boolean(this=value)
    if isinstance(value, int):
        return exp.Literal.number(str(value))
    if isinstance(value, float):
        if not math.isfinite(value):
            raise BadOption(f"cannot bind {value!r}: only finite numbers have a literal in every dialect")
        # repr() round-trips exactly; the cast gives the DOUBLE that DuckDB binds,
        # not the DECIMAL that Spark and Trino read `0.1` as.
        return exp.cast(exp.Literal.number(repr(value)), exp.DataType.build("DOUBLE"))
    if isinstance(value, str):
        return exp.Literal.string(value)
    if isinstance(value, (list, tuple)):
        return exp.Array(expressions=[literal(v) for v in value])
    raise TypeError(f"no SQL literal for a {type(value).__name__}: {value!r}")


def _fold_literal_arrays(node: exp.Expr) -> exp.Expr:
    """Rewrite what a literal array decides, in a form every engine runs well.

    `[...] IS NULL` is false; `array_contains([a, b], x)` becomes `x IN (a, b)`
    (BigQuery would otherwise get a correlated UNNEST subquery, and Spark can
    push an IN down to Parquet; an empty list contains nothing).
    """
    if isinstance(node, exp.Is) and isinstance(node.expression, exp.Null) \
            and isinstance(_unwrap_cast(node.this), exp.Array):
        return exp.false()
    if isinstance(node, exp.ArrayContains):
        array = _unwrap_cast(node.this)
        if isinstance(array, exp.Array):
            values = [v.copy() for v in array.expressions]
            return exp.In(this=node.expression.copy(), expressions=values) if values else exp.false()
    return node


def _unwrap_cast(node: exp.Expr) -> exp.Expr:
    while isinstance(node, exp.Cast):
        node = node.this
    return node


def _check_runs(runs: Sequence[str] | None) -> list[str] | None:
    if runs is None:
        return None
    if isinstance(runs, str) or not all(isinstance(r, str) and r for r in runs):
        raise BadOption(f"runs: expected a list of run ids (non-empty strings); got {runs!r}")
    return list(dict.fromkeys(runs))


def _table(table: str, dialect: str) -> exp.Table:
    try:
        parsed = exp.to_table(table, dialect=dialect)
    except (ParseError, ValueError) as exc:
        raise BadOption(f"--table {table!r}: not a table name in {dialect} ({exc})") from None
    if not isinstance(parsed, exp.Table) or not parsed.name \
            or any(node.comments for node in parsed.walk()):
        raise BadOption(f"--table {table!r}: not a table name in {dialect}")
    return parsed


def rename_table(sql: str, old: str, new: str, dialect: str) -> str:
    """`sql` (in `dialect`) reading table `new` where it read `old`, e.g. a unique temp view."""
    tree = _swap_table(sqlglot.parse_one(sql, read=dialect), old, _table(new, dialect))
    return _uncommented(tree).sql(dialect=dialect)


def _uncommented(tree: exp.Expr) -> exp.Expr:
    """`tree` without comments: a query file's header documents $parameters that are bound now."""
    for node in tree.walk():
        node.comments = None
    return tree


def _swap_table(tree: exp.Expr, old: str, table: exp.Table) -> exp.Expr:
    """Point the query's reads of table `old` at `table` (CTE names are untouched)."""
    def swap(node: exp.Expr) -> exp.Expr:
        if isinstance(node, exp.Table) and node.name == old and not node.args.get("db"):
            new = table.copy()
            if node.args.get("alias"):
                new.set("alias", node.args["alias"].copy())
            return new
        return node
    return tree.transform(swap)


def _header(name: str, dialect: str, config: PairConfig, runs: list[str] | None, table: str) -> str:
    """Line comments saying where the text came from. JSON with ensure_ascii has no
    line break, so no value can end a comment line early."""
    options = json.dumps({**config.model_dump(), "runs": runs}, ensure_ascii=True, sort_keys=True)
    source = json.dumps(table, ensure_ascii=True)
    return (f"-- prefstore {__version__}: sql/{name}.sql transpiled by sqlglot for {dialect}.\n"
            f"-- Reads table {source} (columns of `prefstore export-candidates`).\n"
            f"-- Options, bound as literals: {options}\n")
