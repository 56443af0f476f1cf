"""Looking at the store: `pairs`, `stats`, `query`, `runs`, `migrate`."""

from __future__ import annotations

import json

import click

from ..models import PairConfig
from ..render import out, render_json, render_rows, render_stats, warn
from .options import format_option, open_store, pair_options, store_options

@click.command()
@pair_options
@click.option("--limit", type=int, default=20, show_default=True, help="Show at most N pairs (0 = all).")
@format_option(choices=("table", "json", "jsonl"))
@store_options
def pairs(config: PairConfig, runs: list[str] | None, limit: int, fmt: str) -> None:
    """Show preference pairs in output order (twin: store.pairs)."""
    with open_store(read_only=True) as store:
        warnings = store.pair_warnings(config)
        for warning in warnings:
            warn(warning)
        if fmt != "table":
            render_json((pair.model_dump_json() for pair in store.iter_pairs(config, runs, limit=limit or None)),
                        fmt)
            return
        shown = list(store.iter_pairs(config, runs, limit=limit or None))
        total = None if warnings else store.count_pairs(config, runs)   # counting would pair every candidate
    title = (f"pairs ({config.mode}), first {len(shown)}; total not counted (see warning)" if total is None
             else f"{total} pairs ({config.mode}){'' if len(shown) == total else f', first {len(shown)}'}")
    from rich.table import Table

    table = Table(title=title)
    for column in ("run", "example", "turn", "chosen", "rejected", "chosen score", "rejected score", "diff", "reward"):
        table.add_column(column, overflow="fold")
    for p in shown:
        table.add_row(p.run_id, p.example_id, p.turn_id, _short(p.chosen_response), _short(p.rejected_response),
                      f"{p.chosen_score:g}", f"{p.rejected_score:g}", f"{p.score_diff:.4g}", f"{p.reward:.4g}")
    out.print(table)


def _short(text: str, width: int = 40) -> str:
    text = text.replace("\n", " ")
    return text if len(text) <= width else text[: width - 1] + "…"


@click.command()
@pair_options
@store_options
def stats(config: PairConfig, runs: list[str] | None) -> None:
    """Summarize runs, turns, candidates, rejects and pairs (twin: store.stats)."""
    with open_store(read_only=True) as store:
        summary = store.stats(config)
    render_stats(summary)


@click.command()
@click.argument("sql")
@format_option()
@click.option("--allow-files", is_flag=True, help="Let the query read files (read_csv, read_parquet, ...).")
@pair_options
@store_options
def query(sql: str, fmt: str, allow_files: bool, config: PairConfig, runs: list[str] | None) -> None:
    """Run one read-only SQL query against the store (twin: store.query).

    Besides the tables and views, SQL may read `pairs` (the pairs of the pair options, decisions
    applied, excluded ones kept with excluded = true) and `lint_pairs` (lint findings per pair).
    """
    with open_store(read_only=True, allow_files=allow_files) as store:
        columns, rows = store.query(sql, allow_files=allow_files, config=config, runs=runs)
    render_rows(columns, rows, fmt)


@click.command()
@format_option()
@store_options
def runs(fmt: str) -> None:
    """List the runs in the store, in ingest order (twin: store.runs)."""
    with open_store(read_only=True) as store:
        rows = store.runs()
    columns = ["run_id", "run_seq", "source_format", "source_path", "ingested_at", "n_items",
               "n_candidates", "n_rejects", "meta"]
    if fmt in ("json", "jsonl"):  # meta stays an object
        render_json(({c: r[c] for c in columns} for r in rows), fmt)
        return
    render_rows(columns, [tuple(json.dumps(r[c]) if c == "meta" else r[c] for c in columns) for r in rows], fmt)


@click.command()
@store_options
def migrate() -> None:
    """Create the store or bring its schema up to date (twin: PreferenceStore(path))."""
    with open_store() as store:
        out.print(f"{store.path}: schema version {store.schema_version()}")


COMMANDS = [pairs, stats, query, runs, migrate]
