"""NAT evaluator-scored rollouts as candidates: `workflow_output.json` + `<evaluator>_output.json`.

Every `nat eval` run already holds scored rollouts: each item is one run of the
workflow, and each evaluator scores each item. With `nat eval --reps N` an
example runs N times (ids `<id>_rep<k>`), so the N rollouts of an example are N
candidates of one decision: the example is the turn, `k` the candidate_index,
the evaluator's score the score. The rows are staged as synthetic TTC_END steps
(`sql/ingest/stage_rollouts.sql`) and checked by `validate.sql`, so rejects,
atomicity and run identity are NAT ingest's own; the rollout rules (no score,
evaluator error, NaN score, a score for no item) are applied on top
(`judge_rollouts.sql`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import duckdb

from .. import queries
from ..errors import BadInput, BadOption
from ..models import IngestReport
from .digest import file_sha256
from .files import check_nat_file, check_scores_file
from .nat_eval import read_json
from .runs import Transaction, first_line, run_digest, store_run

PromptFrom = Literal["question", "messages"]
PROMPT_SOURCES: tuple[str, ...] = ("question", "messages")
_ITEM_QUERIES = {"question": "ingest/stage_rollout_items", "messages": "ingest/stage_rollout_items_messages"}
SCORES_SUFFIX = "_output.json"


def evaluator_name(scores: Path) -> str:
    """`accuracy` for `accuracy_output.json` (NAT's file name), else the file's stem."""
    name = scores.name
    return name[: -len(SCORES_SUFFIX)] if name.endswith(SCORES_SUFFIX) and len(name) > len(SCORES_SUFFIX) \
        else scores.stem


def rollouts_digest(workflow_sha: str, scores_sha: str, prompt_from: str) -> str:
    """The run's identity: both files' bytes and the prompt rule (another rule gives other candidates)."""
    return run_digest("nat-rollouts", (workflow_sha, scores_sha, prompt_from))


def ingest_nat_rollouts(
    cur: duckdb.DuckDBPyConnection,
    transaction: Transaction,
    path: str | os.PathLike,
    scores: str | os.PathLike,
    run_id: str | None = None,
    meta: Mapping[str, Any] | None = None,
    replace: bool = False,
    prompt_from: PromptFrom = "question",
) -> IngestReport:
    """Store each item of a NAT `workflow_output.json` as one candidate scored by an evaluator's file.

    The candidates' step name is the evaluator's name (`accuracy_output.json`
    gives `accuracy`), so scores of different evaluators are never paired
    with each other; the run's meta gains `evaluator` and `scores_file`
    (user meta of the same keys wins). Two files without an item id in common
    are refused whole.
    """
    file, scores_file = Path(path), Path(scores)
    if prompt_from not in PROMPT_SOURCES:
        raise BadOption(f"--prompt-from {prompt_from!r}: expected {' or '.join(PROMPT_SOURCES)}")
    check_nat_file(file)
    check_scores_file(scores_file)
    evaluator = evaluator_name(scores_file)
    sha = rollouts_digest(file_sha256(file), file_sha256(scores_file), prompt_from)
    run_meta = {"evaluator": evaluator, "scores_file": str(scores_file), **dict(meta or {})}

    def stage(cur: duckdb.DuckDBPyConnection) -> bool:
        """Stage, validate and judge the rollouts (True: `checked` is ready)."""
        try:
            read_json(cur, _ITEM_QUERIES[prompt_from], [file])
        except duckdb.Error as exc:
            raise BadInput(f"{file}: not a readable NAT evaluation file: {first_line(exc)}") from None
        try:
            read_json(cur, "ingest/stage_rollout_scores", [scores_file])
        except duckdb.Error as exc:
            raise BadInput(f"{scores_file}: not a readable NAT evaluator output file: {first_line(exc)}") from None
        queries.run(cur, "ingest/stage_rollouts", {"step_name": evaluator, "evaluator": evaluator})
        _check_files_match(cur, file, scores_file)
        queries.run(cur, "ingest/stage_fields")
        queries.run(cur, "ingest/validate")
        queries.run(cur, "ingest/judge_rollouts")
        return True

    report = store_run(cur, transaction, stage, run_id, sha, "nat_rollouts", str(file), run_meta, replace)
    report.source = f"{file} scored by {scores_file}"
    return report


def _check_files_match(cur: duckdb.DuckDBPyConnection, file: Path, scores_file: Path) -> None:
    """Refuse an evaluator file without eval_output_items, or one that scores none of the file's items.

    Runs on the staged rollout rows, before the write transaction: ids match as they do for
    the candidates, and a refused pair of files leaves the store unchanged.
    """
    has_items, items, scored = queries.run(cur, "ingest/rollouts_check").fetchone()
    if not has_items:
        raise BadInput(f"{scores_file}: no eval_output_items list; expected a NAT evaluator output file "
                       f'({{"average_score": ..., "eval_output_items": [{{"id", "score", ...}}]}})')
    if items and not scored:
        raise BadInput(f"{file} and {scores_file}: no item id in common; expected the evaluator output "
                       f"written by the same `nat eval` run (beside its workflow_output.json)")
