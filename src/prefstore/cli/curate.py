"""Curation: `lint`, `exclude`, `flip`, `decisions`, `undo` (twins: store.lint, store.exclude, store.flip,
store.decisions, store.undo)."""

from __future__ import annotations

import json
import sys

import click

from ..models import PairConfig
from ..render import out, render_json, render_lint, render_rows
from .options import format_option, open_store, pair_options, store_options

LOG_COLUMNS = ("decision_id", "action", "target", "rule", "targets", "matches", "active", "orphan", "undone_by",
               "note", "author", "source", "created_at")


def _rule_command(action: str, verb: str):
    @click.command(action, help=f"{verb} every pair a SQL rule matches, in every export from now on "
                                f"(twin: store.{action}).\n\nPREDICATE (--where) is a boolean SQL "
                                f"expression over the pair columns, e.g. \"score_diff < 0.05\" or "
                                f"\"chosen_response = rejected_response\"; it is kept in the store and "
                                f"applied to later runs too. The pair options choose the pairs it is "
                                f"checked and counted against.")
    @click.option("--where", "where", required=True, metavar="PREDICATE",
                  help="Boolean SQL expression over the pair columns (checked by sqlglot).")
    @click.option("--note", default=None, help="Why (kept in the decision log).")
    @click.option("--author", default=None, help="Who decides (default: $PREFSTORE_AUTHOR, else your login).")
    @click.option("--dry-run", is_flag=True, help="Only print how many pairs the rule matches now.")
    @pair_options(decisions=False)
    @store_options
    def command(where: str, note: str | None, author: str | None, dry_run: bool, config: PairConfig,
                runs: list[str] | None) -> None:
        if dry_run:
            with open_store(read_only=True) as store:
                n = store.rule_matches(where, config, runs)
            out.print(f"the rule matches {n} pair(s) now; nothing recorded (drop --dry-run to record it)")
            return
        with open_store() as store:
            entry = getattr(store, action)(where, note=note, author=author, source="cli", config=config, runs=runs)
        out.print(f"decision {entry['decision_id']}: {action} where {entry['rule']} "
                  f"(matches {entry['context']['matches']} pair(s) now; `prefstore undo "
                  f"{entry['decision_id']}` cancels it)", markup=False, highlight=False)
    return command


exclude = _rule_command("exclude", "Exclude")
flip = _rule_command("flip", "Flip (swap chosen and rejected of)")


@click.command()
@pair_options(decisions=False)
@format_option()
@store_options
def decisions(config: PairConfig, runs: list[str] | None, fmt: str) -> None:
    """List the decision log: what, who, when, and how many pairs each matches now (twin: store.decisions).

    A decision in force that matches nothing under the pair options is an orphan (its data changed
    or is gone).
    """
    with open_store(read_only=True) as store:
        rows = store.decisions(config, runs)
    if fmt in ("json", "jsonl"):
        render_json(rows, fmt)
        return
    render_rows(LOG_COLUMNS, [tuple(row[c] for c in LOG_COLUMNS) for row in rows], fmt,
                title=f"decisions ({sum(r['active'] for r in rows)} in force, "
                      f"{sum(r['orphan'] for r in rows)} matching nothing now)")


@click.command()
@click.argument("decision_id", type=int)
@click.option("--note", default=None, help="Why (kept in the decision log).")
@click.option("--author", default=None, help="Who (default: $PREFSTORE_AUTHOR, else your login).")
@store_options
def undo(decision_id: int, note: str | None, author: str | None) -> None:
    """Cancel decision DECISION_ID by appending an undo record (twin: store.undo)."""
    with open_store() as store:
        entry = store.undo(decision_id, note=note, author=author, source="cli")
    out.print(f"decision {entry['decision_id']}: undo of decision {decision_id}")


@click.command()
@pair_options
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True,
              help="table, or json: {\"checks\": [{\"name\", \"severity\", \"count\", \"examples\", \"message\"}], ...}.")
@click.option("--fail-on", type=click.Choice(["error", "warning", "never"]), default="error", show_default=True,
              help="Exit 1 when a check of this severity (or worse) finds something.")
@click.option("--examples", type=int, default=3, show_default=True, help="Example findings per check.")
@store_options
def lint(config: PairConfig, runs: list[str] | None, fmt: str, fail_on: str, examples: int) -> None:
    """Diagnose the preference set an export would write: identical or empty texts, split leakage,
    length bias, near ties, zero scores, score scales, dominant examples (twin: store.lint)."""
    from ..lint import failing
    with open_store(read_only=True) as store:
        report = store.lint(config, runs, examples=examples)
    if fmt == "json":
        click.echo(json.dumps(report, default=str, ensure_ascii=False, indent=2))
    else:
        render_lint(report)
    if failing(report, fail_on):
        sys.exit(1)


COMMANDS = [lint, exclude, flip, decisions, undo]
