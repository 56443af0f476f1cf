"""Rendering for the terminal: what the CLI and the demo print, and nothing else.

Library code never prints; these functions take the library's results
(reports, summaries, rows) and write them to stdout/stderr. rich is imported
on first use, so commands that print nothing (`--quiet`) never load it.
"""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Iterable, Sequence
from typing import Any

import click


class LazyConsole:
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


out = LazyConsole(soft_wrap=True, width=None if sys.stdout.isatty() else 200)
err = LazyConsole(stderr=True, soft_wrap=True)

#: Row formats every listing command accepts: a rich table, CSV with a header,
#: one JSON array (as `duckdb -json` and sqlite-utils `--json`), JSON lines.
ROW_FORMATS = ("table", "csv", "json", "jsonl")


def warn(message: str) -> None:
    err.print(f"Warning: {message}", markup=False, highlight=False)


def render_report(report) -> None:
    """An IngestReport as the few lines `prefstore ingest` prints per file."""
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
        warn(warning)


def render_stats(summary: dict) -> None:
    """`store.stats()` as a table of runs and a line of pair counts."""
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
        warn(warning)


def render_lint(report: dict) -> None:
    """`store.lint()` as a table of checks, then a few example findings of each that found something."""
    from rich.table import Table

    table = Table(title=f"lint: {report['pairs']:,} pairs, {report['errors']} error(s), "
                        f"{report['warnings']} warning(s)")
    for column in ("check", "severity", "count", "finding"):
        table.add_column(column, overflow="fold", justify="right" if column == "count" else "left")
    for check in report["checks"]:
        style = ("bold red" if check["severity"] == "error" else "yellow") if check["count"] else "green"
        table.add_row(check["name"], check["severity"], f"{check['count']:,}", check["message"], style=style)
    out.print(table)
    for check in report["checks"]:
        for example in check["examples"]:
            where = " ".join(f"{k}={example[k]}" for k in ("run_id", "example_id", "turn_id") if k in example)
            texts = (f"  chosen {example['chosen']!r} / rejected {example['rejected']!r}"
                     if "chosen" in example else "")
            out.print(f"  {check['name']}: {example['subject']} {where}{texts}", markup=False, highlight=False)


def render_rows(columns: Sequence[str], rows: Iterable[Sequence[Any]], fmt: str, title: str | None = None) -> None:
    """Rows in one of ROW_FORMATS. `json` is one array, streamed: `json.loads` of the whole
    output gives a list of objects whatever the row count (an empty result prints `[]`)."""
    if fmt == "csv":
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows(rows)
    elif fmt in ("json", "jsonl"):
        render_json((dict(zip(columns, row)) for row in rows), fmt)
    else:
        from rich.table import Table

        table = Table(title=title)
        for column in columns:
            table.add_column(column, overflow="fold")
        n = 0
        for row in rows:
            table.add_row(*["NULL" if v is None else str(v) for v in row])
            n += 1
        out.print(table)
        out.print(f"{n} row{'s' if n != 1 else ''}")


def render_json(objects: Iterable[Any], fmt: str) -> None:
    """Objects as one JSON array (`json`: one object per line, as `duckdb -json` prints) or as
    JSON lines (`jsonl`).

    Each object is a dict (encoded here) or already-encoded JSON text (str).
    """
    def encode(obj: Any) -> str:
        return obj if isinstance(obj, str) else json.dumps(obj, default=str, ensure_ascii=False)

    if fmt == "jsonl":
        for obj in objects:
            click.echo(encode(obj))
        return
    items = iter(objects)
    held = next(items, _NONE)
    if held is _NONE:
        click.echo("[]")
        return
    lead = "["
    for obj in items:  # one object held back: the last one closes the array
        click.echo(f"{lead}{encode(held)},")
        lead, held = "", obj
    click.echo(f"{lead}{encode(held)}]")


_NONE = object()
