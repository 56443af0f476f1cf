"""NAT's own DPOTrajectoryBuilder end to end, file to NeMo Customizer JSONL: the second reference.

Usage: python bench/nat_builder.py IN.json OUT.jsonl [--min-score-diff X] [--step-name NAME]

Where bench/baseline.py stands in for NAT's builder, this runs the real one
(nvidia-nat-core + nvidia-nat-nemo-customizer; `pip install -e '.[dev,nat]'`):

  load   json.load of the workflow_output.json, each item turned into NAT's
         EvalInputItem (trajectory = IntermediateStep.model_validate of each step)
         and all of them into one EvaluationRunOutput, as NAT's evaluation hands it over
  build  DPOTrajectoryBuilder (default options: exhaustive pairs, min_score_diff 0,
         ttc_step_name dpo_candidate_move): start_run + finalize, with run_eval
         replaced by a coroutine returning that output (as tests/test_nat_plugin.py
         does; real evaluation needs nvidia-nat-eval and a workflow). The result is
         NAT's TrajectoryCollection
  write  NeMoCustomizerTrainerAdapter._trajectory_to_dpo_jsonl, the adapter's own
         JSONL formatting (last message's content as prompt, json.dumps defaults);
         its 80/20 training/validation split is joined back into one file in order
         (both parts once; a single pair is written once, not in both)

Nothing of NAT's output is filtered and the trainer's dedup is not run. NAT keeps
equal-score pairs (its filter is score_diff < min_score_diff, so with 0 ties
pass) where the store and bench/baseline.py skip them: `pairs` counts every
line written, `pairs_nonzero_diff` those whose trajectory metadata has
score_diff != 0 (the figure comparable with baseline.py's), `pairs_tied` the rest.

Prints one JSON line: `seconds` (load + build + write, measured inside the
script after the imports), `load_seconds`, `build_seconds`, `write_seconds`,
`pairs`, `pairs_nonzero_diff`, `pairs_tied`, `candidates`, `turns` (NAT's metrics).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path

from nat.data_models.evaluate_runtime import EvaluationRunOutput, ProfilerResults
from nat.data_models.evaluator import EvalInput, EvalInputItem
from nat.data_models.finetuning import DPOItem, TrajectoryCollection
from nat.data_models.intermediate_step import IntermediateStep
from nat.plugins.customizer.dpo.config import DPOTrajectoryBuilderConfig, NeMoCustomizerTrainerAdapterConfig
from nat.plugins.customizer.dpo.trajectory_builder import DPOTrajectoryBuilder
from nat.plugins.customizer.dpo.trainer_adapter import NeMoCustomizerTrainerAdapter

RUN_ID = "nat_builder_bench"


def load(path: Path) -> EvaluationRunOutput:
    """workflow_output.json to the EvaluationRunOutput NAT's finalize receives."""
    with path.open(encoding="utf-8") as f:
        rows = json.load(f)
    items = []
    for row in rows:
        steps = row.pop("intermediate_steps", None) or []  # released as it is converted
        items.append(EvalInputItem(
            id=row.get("id"), input_obj=row.get("question"), expected_output_obj=row.get("answer"),
            output_obj=row.get("generated_answer"), full_dataset_entry=row,
            trajectory=[IntermediateStep.model_validate(step) for step in steps]))
    del rows
    return EvaluationRunOutput(workflow_output_file=None, evaluator_output_files=[], workflow_interrupted=False,
                               eval_input=EvalInput(eval_input_items=items), evaluation_results=[],
                               profiler_results=ProfilerResults())


async def _finalize(builder: DPOTrajectoryBuilder, output: EvaluationRunOutput, result: list) -> None:
    async def run_eval() -> EvaluationRunOutput:
        return output
    builder.run_eval = run_eval
    await builder.start_run(run_id=RUN_ID)
    result.append(await builder.finalize(run_id=RUN_ID))


def build(builder: DPOTrajectoryBuilder, output: EvaluationRunOutput) -> TrajectoryCollection:
    """start_run + finalize in asyncio.run. The collection is handed back through `result`, not as
    the main task's result: on Python 3.11 asyncio.run, restoring the SIGINT handler on exit,
    formats a ValueError with repr(main task), which reprs the task's result, here the whole
    collection (pydantic's full repr, then truncated): seconds on S that are the harness's, not NAT's."""
    result: list[TrajectoryCollection] = []
    asyncio.run(_finalize(builder, output, result))
    return result[0]


def write(collection: TrajectoryCollection, out_path: Path) -> int:
    """The adapter's JSONL (training then validation lines, one file); returns the lines written."""
    adapter = NeMoCustomizerTrainerAdapter(NeMoCustomizerTrainerAdapterConfig(
        entity_host="http://unused", datastore_host="http://unused", namespace="bench",
        customization_config="unused"))  # clients are created lazily: no network here
    n = sum(isinstance(item, DPOItem) for group in collection.trajectories for t in group for item in t.episode)
    with out_path.open("w", encoding="utf-8") as out:
        if n:
            training, validation = adapter._trajectory_to_dpo_jsonl(collection)
            out.write(training + "\n")
            if n > 1:  # with one item the adapter repeats it as the validation set
                out.write(validation + "\n")
    return n


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("input", type=Path)
    parser.add_argument("output", type=Path)
    parser.add_argument("--min-score-diff", type=float, default=0.0)
    parser.add_argument("--step-name", default="dpo_candidate_move")
    args = parser.parse_args(argv)
    builder = DPOTrajectoryBuilder(DPOTrajectoryBuilderConfig(
        ttc_step_name=args.step_name, min_score_diff=args.min_score_diff))

    start = time.perf_counter()
    output = load(args.input)
    loaded = time.perf_counter()
    collection = build(builder, output)
    built = time.perf_counter()
    n = write(collection, args.output)
    done = time.perf_counter()

    tied = sum(t.metadata.get("score_diff") == 0 for group in collection.trajectories for t in group)
    metrics = builder._metrics  # noqa: SLF001 (NAT's own counters from finalize)
    print(json.dumps({
        "seconds": done - start, "load_seconds": loaded - start, "build_seconds": built - loaded,
        "write_seconds": done - built, "pairs": n, "pairs_nonzero_diff": n - tied, "pairs_tied": tied,
        "candidates": metrics.get("total_candidates"), "turns": metrics.get("total_turns"),
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
