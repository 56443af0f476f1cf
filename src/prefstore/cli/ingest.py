"""`prefstore ingest`: files into the store, one run each."""

from __future__ import annotations

from pathlib import Path

import click

from ..errors import BadOption
from ..progress import total_size, track
from ..render import err, render_report
from .options import open_store, parse_meta, store_options


@click.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--run-id", default=None, help="Run id (default: a digest of the file's bytes). One file only.")
@click.option("--meta", multiple=True, metavar="KEY=VALUE", help="User metadata for the run (repeatable).")
@click.option("--replace", is_flag=True, help="Replace a run of the same id that holds a different file.")
@click.option("--format", "fmt", type=click.Choice(["nat", "candidates"]), default="nat", show_default=True,
              help="nat: NAT workflow_output.json; candidates: JSONL or Parquet, one candidate per row.")
@click.option("--id-key", default="id", show_default=True,
              help="nat: the item key holding the example id (the dataset config's id_key).")
@click.option("--steps-key", default="intermediate_steps", show_default=True,
              help="nat: the item key holding the steps (the dataset config's structure.trajectory_key).")
@click.option("--quiet", "-q", is_flag=True, help="Print nothing but errors.")
@store_options
def ingest(files: tuple[Path, ...], run_id: str | None, meta: tuple[str, ...], replace: bool, fmt: str,
           id_key: str, steps_key: str, quiet: bool) -> None:
    """Ingest FILES, one run each (twins: store.ingest_nat_eval, store.ingest_candidates)."""
    if run_id and len(files) > 1:
        raise BadOption("--run-id names one run; give one file, or omit it")
    user_meta = parse_meta(meta)
    with open_store() as store, track("ingesting", total_size(files), quiet=quiet, console=err) as progress:
        for file in files:
            progress.start(f"ingesting {file.name}")
            if fmt == "candidates":
                report = store.ingest_candidates(file, run_id=run_id, meta=user_meta, replace=replace)
            else:
                report = store.ingest_nat_eval(file, run_id=run_id, meta=user_meta, replace=replace,
                                               id_key=id_key, steps_key=steps_key)
            progress.advance(file.stat().st_size)
            if not quiet:
                render_report(report)


COMMANDS = [ingest]
