"""Writing data out: `export` (training files), `export-candidates` (Parquet), `sql pairs`."""

from __future__ import annotations

from pathlib import Path

import click

from ..models import ExportOptions, PairConfig
from ..progress import track
from ..render import err, out
from .options import open_store, pair_options, parse_runs, store_options


@click.command()
@click.argument("out_path", metavar="OUT", type=click.Path(path_type=Path))
@pair_options
@click.option("--format", "fmt", type=click.Choice(["nemo", "trl", "openai", "parquet", "trajectories"]),
              default=None, help="File format (default: from OUT: .jsonl nemo, .parquet parquet, "
                                 ".json trajectories, a directory nemo).")
@click.option("--prompt-style", type=click.Choice(["last-message", "messages", "conversational", "standard"]),
              default=None, help="nemo: last-message (default) or messages; trl: conversational (default) "
                                 "or standard (string prompts only).")
@click.option("--validation-fraction", type=float, default=None,
              help="Share of examples for validation, split by example (default 0.2 for a directory).")
@click.option("--split-seed", type=int, default=0, show_default=True, help="Seed of the split's example hash.")
@click.option("--no-dedup", is_flag=True, help="Keep repeated (prompt, chosen, rejected) pairs.")
@click.option("--max-pairs", type=int, default=None, help="Keep a deterministic sample of N pairs.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the --max-pairs sample.")
@click.option("--order", type=click.Choice(["file", "easy-first", "hard-first"]), default="file",
              show_default=True, help="Example order: arrival, or by mean reward (curriculum).")
@click.option("--example-fraction", type=float, default=1.0, show_default=True,
              help="Keep the easiest F of examples (by mean reward), like NAT's initial_percentile.")
@click.option("--fail-on-lint", type=click.Choice(["error", "warning", "never"]), default="never", show_default=True,
              help="Refuse to write anything while `prefstore lint` finds problems of this severity.")
@click.option("--quiet", "-q", is_flag=True, help="Print nothing but errors.")
@store_options
def export(out_path: Path, config: PairConfig, runs: list[str] | None, fmt: str | None,
           prompt_style: str | None, validation_fraction: float | None, split_seed: int, no_dedup: bool,
           max_pairs: int | None, seed: int, order: str, example_fraction: float, fail_on_lint: str,
           quiet: bool) -> None:
    """Write training files to OUT, with a manifest (twin: store.export).

    OUT ending in .jsonl, .parquet or .json is one file, no split; any other
    OUT is a directory that receives the split files and manifest.json.
    """
    options = ExportOptions(
        format=fmt, prompt_style=prompt_style, validation_fraction=validation_fraction,
        split_seed=split_seed, dedup=not no_dedup, max_pairs=max_pairs, seed=seed, order=order,
        example_fraction=example_fraction)
    with open_store(read_only=True) as store, track(f"exporting to {out_path}", quiet=quiet, console=err):
        manifest = store.export(out_path, config, options, runs, fail_on_lint=fail_on_lint)
    if not quiet:
        splits = manifest["splits"]
        total = sum(s["pairs"] for s in splits.values())
        detail = "" if "all" in splits else " (" + ", ".join(f"{k} {s['pairs']}" for k, s in splits.items()) + ")"
        out.print(f"wrote {total} pairs to {out_path}{detail}")


@click.command("export-candidates")
@click.argument("out_path", metavar="OUT", type=click.Path(path_type=Path))
@click.option("--partition-by", type=click.Choice(["run_id"]), default=None,
              help="Write a hive-partitioned folder (OUT/run_id=ID/...) instead of one OUT.parquet.")
@click.option("--runs", default=None, metavar="ID[,ID...]", help="Only these runs (default: every run).")
@click.option("--quiet", "-q", is_flag=True, help="Print nothing but errors.")
@store_options
def export_candidates(out_path: Path, partition_by: str | None, runs: str | None, quiet: bool) -> None:
    """Write the candidates as Parquet for Spark, Trino, ... (twin: store.export_candidates)."""
    with open_store(read_only=True) as store:
        count = store.export_candidates(out_path, partition_by=partition_by, runs=parse_runs(runs))
    if not quiet:
        out.print(f"wrote {count} candidates to {out_path}")


@click.group("sql")
def sql_group() -> None:
    """Print prefstore's queries for other engines (Spark, Trino, BigQuery)."""


@sql_group.command("pairs")
@click.option("--dialect", type=click.Choice(["spark", "trino", "bigquery", "duckdb"]), required=True,
              help="SQL dialect to write (sqlglot transpiles the pair query DuckDB runs).")
@click.option("--table", default="candidates", show_default=True,
              help="Table to read, in the dialect's syntax (e.g. catalog.db.candidates).")
@pair_options(decisions=False)
def sql_pairs(dialect: str, table: str, config: PairConfig, runs: list[str] | None) -> None:
    """Print the pair query for these options, bound as literals (twin: prefstore.sql_for)."""
    from ..portable import sql_for
    click.echo(sql_for(config, dialect, runs=runs, table=table) + ";")


COMMANDS = [export, export_candidates, sql_group]
