"""The `prefstore` command group: global options, and expected errors as one line.

Each command lives in the module of its job (ingest, inspect, export, demo)
and is a few lines: parse options, open the store, call one public method,
render the result. Expected errors become one `Error: ...` line on stderr and
exit code 1 (usage errors: exit code 2), here and nowhere else.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

import click

from .._version import __version__
from ..errors import PrefstoreError
from ..store import DEFAULT_WAIT_SECONDS
from . import curate, demo, export, ingest, inspect, review
from .options import DEFAULT_MEMORY_LIMIT

if TYPE_CHECKING:
    import pydantic


class Group(click.Group):
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


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]})
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


for module in (ingest, inspect, export, curate, review, demo):
    for command in module.COMMANDS:
        main.add_command(command)
