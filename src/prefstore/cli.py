"""The `prefstore` command: each command parses options, opens the store,
calls one public method and renders the result. Expected errors become one
`Error: ...` line on stderr and exit code 1 (usage errors: exit code 2)."""

from __future__ import annotations

import csv
import functools
import json
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from ._version import __version__
from .errors import BadOption, PrefstoreError
from .models import DEFAULT_STEP_NAME, ExportOptions, PairConfig
from .progress import total_size, track
from .store import DEFAULT_WAIT_SECONDS, PreferenceStore, default_db_path

if TYPE_CHECKING:
    import pydantic


class _LazyConsole:
    """rich's Console, made (and rich imported) on first use: `prefstore ingest --quiet` never needs it."""

    def __init__(self, **options: Any) -> None:
        self._options = options
        self._console = None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real(), name)

    def __enter__(self) -> Any:  # rich's Live uses `with console:` (special methods skip __getattr__)
        return self._real().__enter__()

    def __exit__(self, *exc: Any) -> None:
        self._real().__exit__(*exc)

    def _real(self) -> Any:
        if self._console is None:
            from rich.console import Console
            self._console = Console(**self._options)
        return self._console


out = _LazyConsole(soft_wrap=True, width=None if sys.stdout.isatty() else 200)
err = _LazyConsole(stderr=True, soft_wrap=True)


class _Group(click.Group):
    """Turns every expected error into one line on stderr and exit code 1."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except PrefstoreError as exc:
            click.echo(f"Error: {exc}", err=True)
            sys.exit(1)
        except BrokenPipeError:
            sys.exit(0)
        except Exception as exc:
            loaded = sys.modules.get("pydantic")  # not imported: no ValidationError either
            if loaded is None or not isinstance(exc, loaded.ValidationError):
                raise
            click.echo(f"Error: {_validation_message(exc)}", err=True)
            sys.exit(1)


def _validation_message(exc: pydantic.ValidationError) -> str:
    first = exc.errors()[0]
    field = ".".join(str(p) for p in first["loc"]) or "value"
    return f"--{field.replace('_', '-')}: {first['msg']}"


# -- shared options ---------------------------------------------------------------------
def _store_options(func):
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


def _open(read_only: bool = False, **kwargs) -> PreferenceStore:
    obj = click.get_current_context().obj
    kwargs.setdefault("memory_limit", memory_limit_option())
    return PreferenceStore(obj["db"], read_only=read_only, wait=obj["wait"], **kwargs)


# DuckDB's own default is 80% of RAM; the CLI bounds it so that ingesting and
# exporting files of any size keeps the process under ~2 GB (DuckDB spills to
# disk beyond the limit). bench/RESULTS.md shows the peak RSS it gives.
DEFAULT_MEMORY_LIMIT = "1GB"
_MEMORY_LIMIT = re.compile(r"^\s*\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KIB|MIB|GIB|TIB)\s*$", re.IGNORECASE)


def memory_limit_option() -> str:
    """--memory-limit (or $PREFSTORE_MEMORY_LIMIT), checked here so a typo is not reported as a bad store."""
    value = click.get_current_context().find_root().params.get("memory_limit") or DEFAULT_MEMORY_LIMIT
    if not _MEMORY_LIMIT.match(value):
        raise BadOption(f"--memory-limit {value!r}: expected a size such as 512MB, 1GB or 4GiB")
    return value.strip()


def pair_options(func):
    """The PairConfig fields, one option each, with NAT's names and defaults."""
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
        click.option("--runs", default=None, metavar="ID[,ID...]",
                     help="Only these runs (default: every run)."),
    ]
    for option in reversed(options):
        func = option(func)

    @functools.wraps(func)
    def wrapper(*args, ttc_step_name, exhaustive_pairs, min_score_diff, max_pairs_per_turn,
                reward_from_score_diff, require_multiple_candidates, pair_scope, runs, **kwargs):
        config = PairConfig(
            ttc_step_name=ttc_step_name, exhaustive_pairs=exhaustive_pairs,
            min_score_diff=min_score_diff, max_pairs_per_turn=max_pairs_per_turn,
            reward_from_score_diff=reward_from_score_diff,
            require_multiple_candidates=require_multiple_candidates, pair_scope=pair_scope)
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


# -- commands ----------------------------------------------------------------------------
@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--db", metavar="PATH", default=None,
              help="Store file (default: $PREFSTORE_DB, else ./prefstore.duckdb).")
@click.option("--wait", type=float, default=None, metavar="SECONDS",
              help=f"How long to wait for a store another process holds (default {DEFAULT_WAIT_SECONDS:g}).")
@click.option("--memory-limit", envvar="PREFSTORE_MEMORY_LIMIT", default=None, metavar="SIZE",
              help=f"DuckDB memory limit; beyond it work spills to disk "
                   f"(default: $PREFSTORE_MEMORY_LIMIT, else {DEFAULT_MEMORY_LIMIT}).")
@click.version_option(__version__, prog_name="prefstore")
def main(db: str | None, wait: float | None, memory_limit: str | None) -> None:
    """A SQL-backed preference store for DPO training data.

    Ingest NAT evaluation runs, pair candidates in SQL, export training files.
    """


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--run-id", default=None, help="Run id (default: a digest of the file's bytes). One file only.")
@click.option("--meta", multiple=True, metavar="KEY=VALUE", help="User metadata for the run (repeatable).")
@click.option("--replace", is_flag=True, help="Replace a run of the same id that holds a different file.")
@click.option("--format", "fmt", type=click.Choice(["nat", "candidates"]), default="nat", show_default=True,
              help="nat: NAT workflow_output.json; candidates: JSONL or Parquet, one candidate per row.")
@click.option("--quiet", "-q", is_flag=True, help="Print nothing but errors.")
@_store_options
def ingest(files: tuple[Path, ...], run_id: str | None, meta: tuple[str, ...], replace: bool, fmt: str,
           quiet: bool) -> None:
    """Ingest FILES, one run each (twins: store.ingest_nat_eval, store.ingest_candidates)."""
    if run_id and len(files) > 1:
        raise BadOption("--run-id names one run; give one file, or omit it")
    user_meta = parse_meta(meta)
    with _open() as store, track("ingesting", total_size(files), quiet=quiet, console=err) as progress:
        ingest_file = store.ingest_candidates if fmt == "candidates" else store.ingest_nat_eval
        for file in files:
            progress.start(f"ingesting {file.name}")
            report = ingest_file(file, run_id=run_id, meta=user_meta, replace=replace)
            progress.advance(file.stat().st_size)
            if not quiet:
                render_report(report)


def render_report(report) -> None:
    if report.status == "already ingested":
        out.print(f"{report.source}: already ingested as run {report.run_id}; nothing changed")
        return
    out.print(f"{report.source}: {report.status} as run [bold]{report.run_id}[/bold]")
    out.print(f"  items: {report.items}")
    steps = ", ".join(f"{k}: {v}" for k, v in report.steps_by_name.items()) or "none"
    out.print(f"  TTC_END steps by name: {steps}")
    out.print(f"  candidates stored: {report.candidates}")
    if report.rejects_by_reason:
        out.print(f"  rejected: {report.rejects} (see the rejects table)")
        for reason, n in report.rejects_by_reason.items():
            out.print(f"    {n:>6}  {reason}")
    else:
        out.print("  rejected: 0")
    for warning in report.warnings:
        err.print(f"Warning: {warning}")


@main.command()
@pair_options
@click.option("--limit", type=int, default=20, show_default=True, help="Show at most N pairs (0 = all).")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@_store_options
def pairs(config: PairConfig, runs: list[str] | None, limit: int, fmt: str) -> None:
    """Show preference pairs in output order (twin: store.pairs)."""
    with _open(read_only=True) as store:
        warnings = store.pair_warnings(config)
        for warning in warnings:
            err.print(f"Warning: {warning}")
        shown = list(store.iter_pairs(config, runs, limit=limit or None))
        total = None if warnings else store.count_pairs(config, runs)   # counting would pair every candidate
    if fmt == "json":
        for pair in shown:
            click.echo(pair.model_dump_json())
        return
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


@main.command()
@pair_options
@_store_options
def stats(config: PairConfig, runs: list[str] | None) -> None:
    """Summarize runs, turns, candidates, rejects and pairs (twin: store.stats)."""
    with _open(read_only=True) as store:
        summary = store.stats(config)
    render_stats(summary)


def render_stats(summary: dict) -> None:
    from rich.table import Table

    table = Table(title=f"runs ({summary['config']['ttc_step_name']})")
    columns = ["run_id", "examples", "turns", "candidates", "other_candidates", "single_candidate_turns",
               "rejects", "max_candidates_per_turn"]
    for column in columns:
        table.add_column(column.replace("_", " "), justify="left" if column == "run_id" else "right")
    for row in summary["runs"]:
        table.add_row(*[str(row[c]) for c in columns])
    total = summary["total"]
    table.add_row("total", *[str(total[c]) for c in columns[1:]], style="bold")
    out.print(table)
    pairs = summary["pairs"]
    mode = "exhaustive" if summary["config"]["exhaustive_pairs"] else "best vs worst"
    out.print(f"pairs ({mode}, min_score_diff {summary['config']['min_score_diff']:g}): "
              f"{'not counted (see warning)' if pairs is None else pairs}")
    for reason, n in summary["rejects_by_reason"].items():
        out.print(f"  rejected {n:>6}  {reason}")
    for warning in summary["warnings"]:
        err.print(f"Warning: {warning}")


@main.command()
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
@click.option("--quiet", "-q", is_flag=True, help="Print nothing but errors.")
@_store_options
def export(out_path: Path, config: PairConfig, runs: list[str] | None, fmt: str | None,
           prompt_style: str | None, validation_fraction: float | None, split_seed: int, no_dedup: bool,
           max_pairs: int | None, seed: int, order: str, example_fraction: float, quiet: bool) -> None:
    """Write training files to OUT, with a manifest (twin: store.export).

    OUT ending in .jsonl, .parquet or .json is one file, no split; any other
    OUT is a directory that receives the split files and manifest.json.
    """
    options = ExportOptions(
        format=fmt, prompt_style=prompt_style, validation_fraction=validation_fraction,
        split_seed=split_seed, dedup=not no_dedup, max_pairs=max_pairs, seed=seed, order=order,
        example_fraction=example_fraction)
    with _open(read_only=True) as store, track(f"exporting to {out_path}", quiet=quiet, console=err):
        manifest = store.export(out_path, config, options, runs)
    if not quiet:
        splits = manifest["splits"]
        total = sum(s["pairs"] for s in splits.values())
        detail = "" if "all" in splits else " (" + ", ".join(f"{k} {s['pairs']}" for k, s in splits.items()) + ")"
        out.print(f"wrote {total} pairs to {out_path}{detail}")


@main.command("export-candidates")
@click.argument("out_path", metavar="OUT", type=click.Path(path_type=Path))
@click.option("--partition-by", type=click.Choice(["run_id"]), default=None,
              help="Write a hive-partitioned folder (OUT/run_id=ID/...) instead of one OUT.parquet.")
@click.option("--runs", default=None, metavar="ID[,ID...]", help="Only these runs (default: every run).")
@click.option("--quiet", "-q", is_flag=True, help="Print nothing but errors.")
@_store_options
def export_candidates(out_path: Path, partition_by: str | None, runs: str | None, quiet: bool) -> None:
    """Write the candidates as Parquet for Spark, Trino, ... (twin: store.export_candidates)."""
    with _open(read_only=True) as store:
        count = store.export_candidates(out_path, partition_by=partition_by, runs=parse_runs(runs))
    if not quiet:
        out.print(f"wrote {count} candidates to {out_path}")


@main.group("sql")
def sql_group() -> None:
    """Print prefstore's queries for other engines (Spark, Trino, BigQuery)."""


@sql_group.command("pairs")
@click.option("--dialect", type=click.Choice(["spark", "trino", "bigquery", "duckdb"]), required=True,
              help="SQL dialect to write (sqlglot transpiles the pair query DuckDB runs).")
@click.option("--table", default="candidates", show_default=True,
              help="Table to read, in the dialect's syntax (e.g. catalog.db.candidates).")
@pair_options
def sql_pairs(dialect: str, table: str, config: PairConfig, runs: list[str] | None) -> None:
    """Print the pair query for these options, bound as literals (twin: prefstore.sql_for)."""
    from .portable import sql_for
    click.echo(sql_for(config, dialect, runs=runs, table=table) + ";")


@main.command()
@click.argument("sql")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table", show_default=True)
@click.option("--allow-files", is_flag=True, help="Let the query read files (read_csv, read_parquet, ...).")
@_store_options
def query(sql: str, fmt: str, allow_files: bool) -> None:
    """Run one read-only SQL query against the store (twin: store.query)."""
    with _open(read_only=True, allow_files=allow_files) as store:
        columns, rows = store.query(sql, allow_files=allow_files)
    render_rows(columns, rows, fmt)


def render_rows(columns: list[str], rows: list[tuple], fmt: str) -> None:
    if fmt == "csv":
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows(rows)
    elif fmt == "json":
        for row in rows:
            click.echo(json.dumps(dict(zip(columns, row)), default=str, ensure_ascii=False))
    else:
        from rich.table import Table

        table = Table()
        for column in columns:
            table.add_column(column, overflow="fold")
        for row in rows:
            table.add_row(*["NULL" if v is None else str(v) for v in row])
        out.print(table)
        out.print(f"{len(rows)} row{'s' if len(rows) != 1 else ''}")


@main.command()
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table", show_default=True)
@_store_options
def runs(fmt: str) -> None:
    """List the runs in the store, in ingest order (twin: store.runs)."""
    with _open(read_only=True) as store:
        rows = store.runs()
    columns = ["run_id", "run_seq", "source_format", "source_path", "ingested_at", "n_items",
               "n_candidates", "n_rejects", "meta"]
    render_rows(columns, [tuple(json.dumps(r[c]) if c == "meta" else r[c] for c in columns) for r in rows], fmt)


@main.command()
@_store_options
def migrate() -> None:
    """Create the store or bring its schema up to date (twin: PreferenceStore(path))."""
    with _open() as store:
        out.print(f"{store.path}: schema version {store.schema_version()}")


@main.command()
@click.option("--dir", "directory", type=click.Path(path_type=Path), default=Path("demo-output"),
              show_default=True, help="Where to write the sample runs, the store and the training file.")
def demo(directory: Path) -> None:
    """Run the whole job on bundled sample data: generate, ingest, pair, export."""
    from .demo import run_demo
    run_demo(directory, out)
