"""What every command shares: the store options, opening the store, the pair options.

Each command module builds on these; none of them opens DuckDB itself.
"""

from __future__ import annotations

import functools
import re

import click

from ..errors import BadOption
from ..models import DEFAULT_STEP_NAME, PairConfig
from ..render import ROW_FORMATS
from ..store import DEFAULT_WAIT_SECONDS, PreferenceStore, default_db_path

# DuckDB's own default is 80% of RAM; the CLI bounds it so that ingesting and
# exporting files of any size keeps the process under ~2 GB (DuckDB spills to
# disk beyond the limit). bench/RESULTS.md shows the peak RSS it gives.
DEFAULT_MEMORY_LIMIT = "1GB"
_MEMORY_LIMIT = re.compile(r"^\s*\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KIB|MIB|GIB|TIB)\s*$", re.IGNORECASE)


def store_options(func):
    """--db and --wait, accepted after the command name as well as before it."""
    @click.option("--db", "db_local", metavar="PATH", default=None,
                  help="Store file (default: $PREFSTORE_DB, else ./prefstore.duckdb).")
    @click.option("--wait", "wait_local", type=float, default=None, metavar="SECONDS",
                  help=f"How long to wait for a store another process holds (default {DEFAULT_WAIT_SECONDS:g}).")
    @functools.wraps(func)
    def wrapper(*args, db_local=None, wait_local=None, **kwargs):
        ctx = click.get_current_context()
        root = ctx.find_root().params
        ctx.obj = {
            "db": db_local or root.get("db") or default_db_path(),
            "wait": wait_local if wait_local is not None else (
                root.get("wait") if root.get("wait") is not None else DEFAULT_WAIT_SECONDS),
        }
        return func(*args, **kwargs)
    return wrapper


def store_path() -> str:
    """The store file the command was pointed at (--db, $PREFSTORE_DB or the default)."""
    return click.get_current_context().obj["db"]


def open_store(read_only: bool = False, **kwargs) -> PreferenceStore:
    """The store named by --db, opened with --wait and --memory-limit."""
    obj = click.get_current_context().obj
    kwargs.setdefault("memory_limit", memory_limit_option())
    return PreferenceStore(obj["db"], read_only=read_only, wait=obj["wait"], **kwargs)


def memory_limit_option() -> str:
    """--memory-limit (or $PREFSTORE_MEMORY_LIMIT), checked here so a typo is not reported as a bad store."""
    value = click.get_current_context().find_root().params.get("memory_limit") or DEFAULT_MEMORY_LIMIT
    if not _MEMORY_LIMIT.match(value):
        raise BadOption(f"--memory-limit {value!r}: expected a size such as 512MB, 1GB or 4GiB")
    return value.strip()


def format_option(default: str = "table", choices: tuple[str, ...] = ROW_FORMATS):
    """--format for commands that list rows (json: one array; jsonl: one object per line)."""
    return click.option("--format", "fmt", type=click.Choice(choices), default=default, show_default=True,
                        help="table, csv, json (one JSON array) or jsonl (one JSON object per line).")


def pair_options(func=None, *, decisions: bool = True):
    """The PairConfig fields, one option each, with NAT's names and defaults, plus --runs.

    `@pair_options(decisions=False)` leaves out --ignore-decisions, for commands that work on the
    pairs before decisions (exclude, flip, decisions) or print a query that has none (sql pairs).
    """
    if func is None:
        return functools.partial(pair_options, decisions=decisions)
    options = [
        click.option("--ttc-step-name", default=DEFAULT_STEP_NAME, show_default=True,
                     help="Step name of the candidates to pair (payload.name of TTC_END steps)."),
        click.option("--exhaustive-pairs/--best-vs-worst", default=True, show_default=True,
                     help="Every strict pair in a turn, or only best against worst."),
        click.option("--min-score-diff", type=float, default=0.0, show_default=True,
                     help="Smallest chosen-minus-rejected score a pair may have (>= 0)."),
        click.option("--max-pairs-per-turn", type=int, default=None,
                     help="Keep at most N pairs per turn (largest score_diff first)."),
        click.option("--reward-from-score-diff/--reward-from-chosen-score", default=True, show_default=True,
                     help="Trajectory reward: the score difference, or the chosen score."),
        click.option("--require-multiple-candidates/--no-require-multiple-candidates", default=True,
                     show_default=True, help="NAT compatibility; one candidate never makes a pair."),
        click.option("--pair-scope", type=click.Choice(["turn", "prompt"]), default="turn", show_default=True,
                     help="Pair within a turn (NAT), or pool every run's candidates of an example "
                          "whose prompt is identical."),
        click.option("--ignore-decisions", is_flag=True,
                     help="Pairs as the scores alone make them: no exclude or flip decision applied.")
        if decisions else None,
        click.option("--runs", default=None, metavar="ID[,ID...]",
                     help="Only these runs (default: every run)."),
    ]
    for option in reversed(options):
        func = option(func) if option else func

    @functools.wraps(func)
    def wrapper(*args, ttc_step_name, exhaustive_pairs, min_score_diff, max_pairs_per_turn,
                reward_from_score_diff, require_multiple_candidates, pair_scope, runs,
                ignore_decisions=False, **kwargs):
        config = PairConfig(
            ttc_step_name=ttc_step_name, exhaustive_pairs=exhaustive_pairs,
            min_score_diff=min_score_diff, max_pairs_per_turn=max_pairs_per_turn,
            reward_from_score_diff=reward_from_score_diff,
            require_multiple_candidates=require_multiple_candidates, pair_scope=pair_scope,
            apply_decisions=not ignore_decisions)
        return func(*args, config=config, runs=parse_runs(runs), **kwargs)
    return wrapper


def parse_runs(value: str | None) -> list[str] | None:
    if value is None:
        return None
    runs = [r.strip() for r in value.split(",") if r.strip()]
    if not runs:
        raise BadOption("--runs: give at least one run id")
    return runs


def parse_meta(values: tuple[str, ...]) -> dict[str, str]:
    meta = {}
    for value in values:
        key, sep, val = value.partition("=")
        if not sep or not key.strip():
            raise BadOption(f"--meta {value!r}: expected KEY=VALUE")
        meta[key.strip()] = val
    return meta
