"""`prefstore ingest` (files into the store, one run each) and `prefstore ingest-eval` (a `nat eval` folder)."""

from __future__ import annotations

from pathlib import Path

import click

from ..errors import BadOption
from ..progress import total_size, track
from ..render import err, render_report
from .options import open_store, parse_meta, store_options

_PROMPT_FROM = click.option(
    "--prompt-from", type=click.Choice(["question", "messages"]), default="question", show_default=True,
    help="Rollouts: the prompt is the item's question, or the messages of its first LLM call "
         "(needs LLM_START in the eval's workflow_output_step_filter).")


@click.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--run-id", default=None, help="Run id (default: a digest of the file's bytes). One file only.")
@click.option("--meta", multiple=True, metavar="KEY=VALUE", help="User metadata for the run (repeatable).")
@click.option("--replace", is_flag=True, help="Replace a run of the same id that holds a different file.")
@click.option("--format", "fmt", type=click.Choice(["nat", "candidates", "nat-rollouts"]), default="nat",
              show_default=True,
              help="nat: NAT workflow_output.json (TTC_END steps); candidates: JSONL or Parquet, one candidate "
                   "per row; nat-rollouts: each workflow_output.json item is a candidate scored by --scores.")
@click.option("--scores", type=click.Path(path_type=Path), default=None, metavar="EVALUATOR_output.json",
              help="nat-rollouts: the evaluator output file (beside workflow_output.json) whose scores rank "
                   "the rollouts.")
@_PROMPT_FROM
@click.option("--id-key", default="id", show_default=True,
              help="nat: the item key holding the example id (the dataset config's id_key).")
@click.option("--steps-key", default="intermediate_steps", show_default=True,
              help="nat: the item key holding the steps (the dataset config's structure.trajectory_key).")
@click.option("--quiet", "-q", is_flag=True, help="Print nothing but errors.")
@store_options
def ingest(files: tuple[Path, ...], run_id: str | None, meta: tuple[str, ...], replace: bool, fmt: str,
           scores: Path | None, prompt_from: str, id_key: str, steps_key: str, quiet: bool) -> None:
    """Ingest FILES, one run each (twins: store.ingest_nat_eval, store.ingest_candidates,
    store.ingest_nat_rollouts)."""
    if run_id and len(files) > 1:
        raise BadOption("--run-id names one run; give one file, or omit it")
    if fmt == "nat-rollouts":
        if scores is None:
            raise BadOption("--format nat-rollouts needs --scores EVALUATOR_output.json (the evaluator's output "
                            "file beside workflow_output.json)")
        if len(files) > 1:
            raise BadOption("--format nat-rollouts reads one workflow_output.json with its --scores file; "
                            "give one file")
    elif scores is not None:
        raise BadOption("--scores applies to --format nat-rollouts only")
    user_meta = parse_meta(meta)
    with open_store() as store, track("ingesting", total_size(files), quiet=quiet, console=err) as progress:
        for file in files:
            progress.start(f"ingesting {file.name}")
            if fmt == "nat-rollouts":
                report = store.ingest_nat_rollouts(file, scores, run_id=run_id, meta=user_meta, replace=replace,
                                                   prompt_from=prompt_from)
            elif fmt == "candidates":
                report = store.ingest_candidates(file, run_id=run_id, meta=user_meta, replace=replace)
            else:
                report = store.ingest_nat_eval(file, run_id=run_id, meta=user_meta, replace=replace,
                                               id_key=id_key, steps_key=steps_key)
            progress.advance(file.stat().st_size)
            if not quiet:
                render_report(report)


@click.command("ingest-eval")
@click.argument("directory", metavar="DIR", type=click.Path(path_type=Path))
@click.option("--evaluator", default=None, metavar="NAME",
              help="The evaluator whose NAME_output.json scores the rollouts (required when DIR holds several).")
@click.option("--run-id", default=None, metavar="NAME",
              help="Name the runs NAME:<evaluator> and NAME:ttc (default: digests of their content).")
@click.option("--meta", multiple=True, metavar="KEY=VALUE", help="User metadata for the runs (repeatable).")
@click.option("--replace", is_flag=True, help="Replace runs of the same ids that hold different content.")
@_PROMPT_FROM
@click.option("--quiet", "-q", is_flag=True, help="Print nothing but errors.")
@store_options
def ingest_eval(directory: Path, evaluator: str | None, run_id: str | None, meta: tuple[str, ...], replace: bool,
                prompt_from: str, quiet: bool) -> None:
    """Ingest a `nat eval` output directory: scored rollouts and TTC candidates (twin:
    store.ingest_nat_eval_dir)."""
    user_meta = parse_meta(meta)
    with open_store() as store, track("ingesting", quiet=quiet, console=err) as progress:
        progress.start(f"ingesting {directory}")
        reports = store.ingest_nat_eval_dir(directory, evaluator=evaluator, run_id=run_id, meta=user_meta,
                                            replace=replace, prompt_from=prompt_from)
    if not quiet:
        for report in reports:
            render_report(report)


COMMANDS = [ingest, ingest_eval]
