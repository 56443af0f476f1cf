"""`prefstore demo`: the whole job on bundled sample data."""

from __future__ import annotations

from pathlib import Path

import click


@click.command()
@click.option("--dir", "directory", type=click.Path(path_type=Path), default=Path("demo-output"),
              show_default=True, help="Where to write the sample runs, the store and the training file.")
def demo(directory: Path) -> None:
    """Run the whole job on bundled sample data: generate, ingest, pair, export."""
    from ..demo import run_demo
    run_demo(directory)


COMMANDS = [demo]
