"""A `nat eval` output directory: its TTC candidates and its evaluator-scored rollouts, one run each.

`nat eval` writes `workflow_output.json` and one `<evaluator>_output.json` per
evaluator into `eval.general.output_dir`. This module finds them and hands them
to the ingest of their kind; each run stays atomic on its own.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import duckdb

from .. import queries
from ..errors import BadInput, BadOption
from ..models import IngestReport
from .nat_eval import MIN_OBJECT_BYTES, ingest_nat_eval
from .rollouts import SCORES_SUFFIX, PromptFrom, evaluator_name, ingest_nat_rollouts
from .runs import Transaction

WORKFLOW_OUTPUT = "workflow_output.json"


def evaluator_files(directory: Path) -> dict[str, Path]:
    """Evaluator name -> its `<evaluator>_output.json` in `directory`, sorted by name."""
    found = {evaluator_name(p): p for p in directory.glob(f"*{SCORES_SUFFIX}")
             if p.name != WORKFLOW_OUTPUT and p.is_file() and p.name != SCORES_SUFFIX}
    return dict(sorted(found.items()))


def choose_evaluator(directory: Path, files: dict[str, Path], evaluator: str | None) -> Path | None:
    """The evaluator file to score rollouts by: the named one, the only one, or none if there is none."""
    names = ", ".join(files) or "none"
    if evaluator is not None:
        if evaluator not in files:
            raise BadOption(f"--evaluator {evaluator!r}: {directory} has no {evaluator}{SCORES_SUFFIX}; "
                            f"evaluators found: {names}")
        return files[evaluator]
    if len(files) > 1:
        raise BadOption(f"{directory} holds the output of several evaluators ({names}); "
                        f"name the one whose scores rank the rollouts with --evaluator NAME")
    return next(iter(files.values()), None)


def ingest_nat_eval_dir(
    cur: duckdb.DuckDBPyConnection,
    transaction: Transaction,
    directory: str | os.PathLike,
    evaluator: str | None = None,
    run_id: str | None = None,
    meta: Mapping[str, Any] | None = None,
    replace: bool = False,
    prompt_from: PromptFrom = "question",
) -> list[IngestReport]:
    """Store a `nat eval` output directory: rollouts scored by one evaluator, then TTC candidates if any.

    The rollouts run comes first, so an evaluator file that does not fit
    stores nothing. `run_id` names the runs `<run_id>:<evaluator>` and
    `<run_id>:ttc`; by default each is named by its content's digest.
    Returns one report per run, rollouts first.
    """
    folder = Path(directory)
    if not folder.exists():
        raise BadInput(f"{folder}: no such directory")
    if not folder.is_dir():
        raise BadInput(f"{folder}: is not a directory; expected the output directory of `nat eval` "
                       f"(eval.general.output_dir, holding {WORKFLOW_OUTPUT})")
    workflow = folder / WORKFLOW_OUTPUT
    if not workflow.is_file():
        raise BadInput(f"{folder}: no {WORKFLOW_OUTPUT}; expected the output directory of `nat eval` "
                       f"(eval.general.output_dir)")
    scores = choose_evaluator(folder, evaluator_files(folder), evaluator)
    reports = []
    if scores is not None:
        name = evaluator_name(scores)
        reports.append(ingest_nat_rollouts(
            cur, transaction, workflow, scores, run_id=f"{run_id}:{name}" if run_id else None,
            meta=meta, replace=replace, prompt_from=prompt_from))
    if has_ttc_steps(cur, workflow):
        reports.append(ingest_nat_eval(cur, transaction, workflow, run_id=f"{run_id}:ttc" if run_id else None,
                                       meta=meta, replace=replace))
    if not reports:
        raise BadInput(f"{folder}: nothing to ingest: {WORKFLOW_OUTPUT} has no TTC_END steps and there is no "
                       f"evaluator output (*{SCORES_SUFFIX}) beside it")
    return reports


def has_ttc_steps(cur: duckdb.DuckDBPyConnection, workflow: Path) -> bool:
    """Whether the file holds a TTC_END step; True when the quick typed read cannot tell (ingest then judges)."""
    try:
        return bool(queries.run(cur, "ingest/has_ttc_steps",
                                {"path": str(workflow), "max_object_bytes": MIN_OBJECT_BYTES}).fetchone()[0])
    except duckdb.Error:
        return True
