"""NAT's own DPOTrajectoryBuilder, run inside the tests: the reference prefstore's pairs answer to.

Importing this module imports NAT (nvidia-nat-core and nvidia-nat-nemo-customizer, both in the
dev extra); import it after `pytest.importorskip(NAT_BUILDER, reason=NAT_MISSING)`.

- `nat_workflow_output`: NAT evaluation items written as NAT's evaluator writes workflow_output.json;
- `nat_items_from_file`: such a file read back into NAT's models (as bench/nat_builder.py does);
- `nat_collections`: NAT's builder (start_run + finalize, evaluation replaced by the items) per config;
- `nat_lines`: NAT's pairs for a file, flat, without its equal-score pairs (prefstore never emits them).
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from nat.data_models.evaluate_runtime import EvaluationRunOutput, ProfilerResults
from nat.data_models.evaluator import EvalInput, EvalInputItem
from nat.data_models.finetuning import TrajectoryCollection
from nat.data_models.intermediate_step import IntermediateStep, IntermediateStepType
from nat.plugins.customizer.dpo.config import DPOTrajectoryBuilderConfig
from nat.plugins.customizer.dpo.trajectory_builder import DPOTrajectoryBuilder

from prefstore import PairConfig

RUN = "nat_run"
# The eval config's `workflow_output_step_filter` that keeps TTC steps in the file (README, Input),
# and NAT's default filter, which publish_eval_input applies to the expected trajectory.
STEP_FILTER = (IntermediateStepType.LLM_END, IntermediateStepType.TOOL_END,
               IntermediateStepType.TTC_START, IntermediateStepType.TTC_END)
DEFAULT_FILTER = (IntermediateStepType.LLM_END, IntermediateStepType.TOOL_END)


def nat_workflow_output(items: list[EvalInputItem], path: Path) -> Path:
    """workflow_output.json as NAT's `DatasetHandler.publish_eval_input` writes it (in
    nvidia-nat-eval, not installed here): per item the dataset's keys, the steps the step filter
    keeps as `step.model_dump()`, all through `json.dumps(data, indent=2, ensure_ascii=False,
    default=str)`."""
    data = [{
        "id": item.id,
        "question": item.input_obj,
        "answer": item.expected_output_obj,
        "generated_answer": item.output_obj,
        "intermediate_steps": [s.model_dump() for s in item.trajectory if s.event_type in STEP_FILTER],
        "expected_intermediate_steps": [s.model_dump() for s in item.expected_trajectory
                                        if s.event_type in DEFAULT_FILTER],
    } for item in items]
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False, default=str), encoding="utf-8")
    return path


def nat_items_from_file(path: Path) -> list[EvalInputItem]:
    """A workflow_output.json read back into NAT's models, each step `IntermediateStep.model_validate`d."""
    items = []
    for row in json.loads(Path(path).read_text(encoding="utf-8")):
        steps = row.pop("intermediate_steps", None) or []
        items.append(EvalInputItem(
            id=row.get("id"), input_obj=row.get("question"), expected_output_obj=row.get("answer"),
            output_obj=row.get("generated_answer"), full_dataset_entry=row,
            trajectory=[IntermediateStep.model_validate(step) for step in steps]))
    return items


def nat_builder_config(config: PairConfig) -> DPOTrajectoryBuilderConfig:
    """NAT's config with the same six options (PairConfig keeps NAT's names; pair_scope is prefstore's)."""
    assert config.pair_scope == "turn"
    return DPOTrajectoryBuilderConfig(**config.model_dump(exclude={"pair_scope"}))


def nat_collections(items: list[EvalInputItem], configs: list[PairConfig]) -> list[TrajectoryCollection]:
    """NAT's DPOTrajectoryBuilder on `items`, once per config, in one event loop: start_run, then
    finalize, its `run_eval` replaced by a coroutine returning the items as NAT's evaluation output."""
    output = EvaluationRunOutput(workflow_output_file=None, evaluator_output_files=[], workflow_interrupted=False,
                                 eval_input=EvalInput(eval_input_items=items), evaluation_results=[],
                                 profiler_results=ProfilerResults())
    collections: list[TrajectoryCollection] = []

    async def run_eval() -> EvaluationRunOutput:
        return output

    async def build_all() -> None:  # results handed back through `collections`, see bench/nat_builder.py
        for config in configs:
            builder = DPOTrajectoryBuilder(nat_builder_config(config))
            builder.run_eval = run_eval
            await builder.start_run(run_id=RUN)
            collections.append(await builder.finalize(run_id=RUN))

    asyncio.run(build_all())
    return collections


def nat_lines(path: Path, config: PairConfig = PairConfig()) -> list[dict]:
    """NAT's pairs for a workflow_output.json in NAT's order, one flat dict each (prompt,
    chosen_response, rejected_response, reward, metadata), NAT's equal-score pairs left out."""
    (collection,) = nat_collections(nat_items_from_file(path), [config])
    lines = []
    for group in collection.model_dump(mode="json")["trajectories"]:
        for trajectory in group:
            (item,) = trajectory["episode"]
            lines.append({**item, "reward": trajectory["reward"], "metadata": trajectory["metadata"]})
    return [line for line in lines if line["metadata"]["score_diff"] != 0]
