"""The NAT plugin (`_type: prefstore_dpo_traj_builder`) against NAT itself.

Needs the `nat` extra (skipped without it); the parity and trainer tests also
need nvidia-nat-nemo-customizer (NAT's own DPOTrajectoryBuilder and
NeMoCustomizerTrainer; in the dev extra). Evaluation needs nvidia-nat-eval
and a workflow, so each builder instance gets its `run_eval` replaced by one
returning an EvaluationRunOutput built from NAT's own models, the way NAT's
finalize receives it. Stores are real DuckDB files.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

pytest.importorskip("nat")

from nat.builder.workflow_builder import WorkflowBuilder  # noqa: E402
from nat.data_models.evaluate_runtime import EvaluationRunOutput, ProfilerResults  # noqa: E402
from nat.data_models.evaluator import EvalInput, EvalInputItem  # noqa: E402
from nat.data_models.finetuning import FinetuneConfig, OpenAIMessage  # noqa: E402
from nat.data_models.finetuning import TrajectoryCollection as NatTrajectoryCollection  # noqa: E402
from nat.data_models.intermediate_step import (  # noqa: E402
    IntermediateStep,
    IntermediateStepPayload,
    IntermediateStepType,
    StreamEventData,
    TTCEventData,
)
from nat.data_models.invocation_node import InvocationNode  # noqa: E402
from nat.runtime.loader import load_config  # noqa: E402

from prefstore import PreferenceStore  # noqa: E402
from prefstore.errors import RunExists  # noqa: E402
from prefstore.nat import (  # noqa: E402
    PrefstoreDPOTrajectoryBuilder,
    PrefstoreDPOTrajectoryBuilderConfig,
)

STEP = "dpo_candidate_move"
SYSTEM = {"role": "system", "content": "You play tic-tac-toe."}


# -- NAT objects, built with NAT's own models ------------------------------------------
def step(event: IntermediateStepType, name: str, data: StreamEventData | None, metadata=None) -> IntermediateStep:
    return IntermediateStep(
        parent_id="root",
        function_ancestry=InvocationNode(function_id="f1", function_name="ttc_move_selector"),
        payload=IntermediateStepPayload(event_type=event, name=name, data=data, metadata=metadata))


GIVEN = object()  # default metadata: {"move": ..., "index": ...}


def candidate(turn_id: str, index: int, score: float, prompt, response: str, name: str = STEP,
              metadata=GIVEN) -> list[IntermediateStep]:
    """A TTC_START/TTC_END couple, as NAT's example workflow emits each candidate."""
    start = step(IntermediateStepType.TTC_START, name, TTCEventData(turn_id=turn_id, candidate_index=index))
    end = step(IntermediateStepType.TTC_END, name,
               TTCEventData(turn_id=turn_id, turn_index=0, candidate_index=index, score=score,
                            input=prompt, output=response),
               metadata={"move": response, "index": index} if metadata is GIVEN else metadata)
    return [start, end]


def llm_noise() -> IntermediateStep:
    return step(IntermediateStepType.LLM_END, "nim_llm", StreamEventData(input="board?", output="thinking..."))


def turn(turn_id: str, scores: list[float], prompt, name: str = STEP, metadata=GIVEN) -> list[IntermediateStep]:
    steps = [llm_noise()]
    for index, score in enumerate(scores):
        steps += candidate(turn_id, index, score, prompt, f"{turn_id}-move-{index}", name, metadata)
    return steps


def item(item_id, *turns: list[IntermediateStep]) -> EvalInputItem:
    return EvalInputItem(id=item_id, input_obj="play", expected_output_obj="win", output_obj="draw",
                         full_dataset_entry={"id": item_id},
                         trajectory=[s for t in turns for s in t])


def evaluation(*items: EvalInputItem, round_trip: bool = True) -> EvaluationRunOutput:
    """NAT's evaluation output. round_trip: steps re-validated from python dumps, as NAT's
    evaluation hands them over (payload.data becomes StreamEventData, messages dicts)."""
    if round_trip:
        items = tuple(it.model_copy(update={"trajectory": [IntermediateStep.model_validate(s.model_dump())
                                                           for s in it.trajectory]}) for it in items)
    return EvaluationRunOutput(workflow_output_file=None, evaluator_output_files=[], workflow_interrupted=False,
                               eval_input=EvalInput(eval_input_items=list(items)), evaluation_results=[],
                               profiler_results=ProfilerResults())


def messages(text: str):
    return [OpenAIMessage(**SYSTEM), OpenAIMessage(role="user", content=text)]


def mixed_run(tag: str = "") -> EvaluationRunOutput:
    """String and message prompts, string and int ids, several turns, single-candidate
    turns, ties, other step names, TTC_START and LLM steps, null metadata, float quirks."""
    return evaluation(
        item(f"game_0{tag}",
             turn(f"t0{tag}", [0.2, 0.9, 0.5, 0.5], "Board: x.. / ... / ... Your move?"),
             turn(f"t0{tag}", [0.3, 0.8], "other step, same turn id", name="other_ttc_step"),
             turn(f"t1{tag}", [0.7, 0.1, 0.7], messages("Board: xo. / ... / ...")),
             turn(f"t2{tag}", [0.4], "single candidate")),
        item(7,
             turn(f"a{tag}", [0.9, 0.3, 0.6, 0.0], [SYSTEM, {"role": "user", "content": "dict messages"}]),
             turn(f"b{tag}", [0.5, 0.5, 0.5], "all tied"),
             turn(f"c{tag}", [0.1, 0.3], "null metadata", metadata=None),
             turn(f"d{tag}", [0.2, 0.6], "empty metadata", metadata={})),
        item(f"game_2{tag}", turn(f"z{tag}", [0.6], "alone")),
        item(f"game_3{tag}",
             turn(f"t0{tag}", [0.25, 0.75, 0.5, 1.0, 0.0], messages("five candidates")),
             turn(f"t1{tag}", [1.0, 0.0], "another turn")),
    )


async def finalize(builder, run_id: str, output: EvaluationRunOutput, meta: dict | None = None):
    """NAT's trainer calls: start_run then finalize, with evaluation replaced by `output`."""
    async def run_eval() -> EvaluationRunOutput:
        return output
    builder.run_eval = run_eval
    await builder.start_run(run_id=run_id, meta=meta)
    return await builder.finalize(run_id=run_id, meta=meta)


def ours(tmp_path: Path, **options) -> PrefstoreDPOTrajectoryBuilder:
    config = PrefstoreDPOTrajectoryBuilderConfig(db_path=str(tmp_path / "store.duckdb"), **options)
    return PrefstoreDPOTrajectoryBuilder(trajectory_builder_config=config)


def without_ties(collection: NatTrajectoryCollection) -> dict:
    """NAT's output minus its equal-score pairs (no preference; the store never emits them)."""
    dumped = collection.model_dump(mode="json")
    groups = [[t for t in group if t["metadata"]["score_diff"] != 0] for group in dumped["trajectories"]]
    dumped["trajectories"] = [group for group in groups if group]
    return dumped


# -- NAT's registry and YAML -----------------------------------------------------------
def test_yaml_config_builds_our_builder_through_nats_registry(tmp_path):
    db = tmp_path / "nat-store.duckdb"
    config_file = tmp_path / "finetune.yml"
    config_file.write_text(f"""
trajectory_builders:
  short_name:
    _type: prefstore_dpo_traj_builder
    ttc_step_name: {STEP}
    exhaustive_pairs: false
    min_score_diff: 0.05
    max_pairs_per_turn: 5
    reward_from_score_diff: false
    db_path: {db}
    pair_scope: store
    dedup: true
  full_name:
    _type: prefstore/prefstore_dpo_traj_builder
""")
    config = load_config(config_file)

    async def build_and_run():
        async with WorkflowBuilder(general_config=config.general) as workflow_builder:
            await workflow_builder.populate_builder(config, skip_workflow=True)
            built = await workflow_builder.get_trajectory_builder("short_name")
            default = await workflow_builder.get_trajectory_builder("full_name")
            collection = await finalize(built, "yaml_run0", mixed_run())
            return built, default, collection

    built, default, collection = asyncio.run(build_and_run())
    assert type(built) is PrefstoreDPOTrajectoryBuilder and type(default) is PrefstoreDPOTrajectoryBuilder
    assert built.config is config.trajectory_builders["short_name"]
    assert (built.config.exhaustive_pairs, built.config.min_score_diff, built.config.max_pairs_per_turn,
            built.config.reward_from_score_diff, built.config.pair_scope, built.config.dedup,
            built.config.db_path) == (False, 0.05, 5, False, "store", True, str(db))
    assert default.config.db_path == "./prefstore.duckdb" and default.config.pair_scope == "run"
    assert isinstance(collection, NatTrajectoryCollection) and collection.run_id == "yaml_run0"
    assert collection.trajectories, "best-vs-worst pairs expected"
    with PreferenceStore(db, read_only=True) as store:
        (run,) = store.runs()
        assert run["run_id"] == "yaml_run0" and run["source_format"] == "nat_items"
        assert run["meta"]["trajectory_builder"]["_type"] == "prefstore_dpo_traj_builder"


def test_config_has_every_field_of_nats_dpo_builder_config_with_its_default():
    nat_config = pytest.importorskip("nat.plugins.customizer.dpo.config").DPOTrajectoryBuilderConfig
    theirs = nat_config.model_fields
    mine = PrefstoreDPOTrajectoryBuilderConfig.model_fields
    for name, field in theirs.items():
        assert name in mine, name
        if name != "type":
            assert mine[name].default == field.default, name
            assert mine[name].annotation == field.annotation, name
    assert PrefstoreDPOTrajectoryBuilderConfig(min_score_diff=0.0).pair_config().min_score_diff == 0.0
    for bad in ({"min_score_diff": -0.1}, {"max_pairs_per_turn": 0}, {"pair_scope": "everything"},
                {"ttc_step_name": ""}):
        with pytest.raises(ValueError):
            PrefstoreDPOTrajectoryBuilderConfig(**bad)


# -- parity with NAT's own DPOTrajectoryBuilder ------------------------------------------
PARITY_OPTIONS = [
    {},
    {"min_score_diff": 0.3},
    {"max_pairs_per_turn": 2},
    {"min_score_diff": 0.1, "max_pairs_per_turn": 1},
    {"reward_from_score_diff": False, "require_multiple_candidates": False},
    {"exhaustive_pairs": False},
    {"exhaustive_pairs": False, "min_score_diff": 0.5},
    {"exhaustive_pairs": False, "max_pairs_per_turn": 1, "reward_from_score_diff": False},
]


@pytest.mark.parametrize("options", PARITY_OPTIONS, ids=[json.dumps(o) for o in PARITY_OPTIONS])
@pytest.mark.parametrize("round_trip", [True, False], ids=["after-eval-round-trip", "as-emitted"])
def test_finalize_equals_nats_dpo_builder_ties_aside(tmp_path, options, round_trip):
    nat_dpo = pytest.importorskip("nat.plugins.customizer.dpo.trajectory_builder")
    nat_config = pytest.importorskip("nat.plugins.customizer.dpo.config").DPOTrajectoryBuilderConfig
    output = evaluation(*mixed_run().eval_input.eval_input_items, round_trip=round_trip)
    theirs = asyncio.run(finalize(nat_dpo.DPOTrajectoryBuilder(nat_config(**options)), "run_a", output))
    mine = asyncio.run(finalize(ours(tmp_path, **options), "run_a", output))
    assert type(mine) is NatTrajectoryCollection
    expected = without_ties(theirs)
    assert sum(map(len, expected["trajectories"])) >= 1
    assert mine.model_dump(mode="json") == expected
    if options.get("min_score_diff", 0) == 0:  # the fixture holds ties: NAT emits them, we do not
        assert sum(map(len, theirs.trajectories)) > sum(map(len, mine.trajectories))


def test_same_output_again_is_not_stored_twice_and_other_output_is_refused(tmp_path):
    output = mixed_run()
    first = asyncio.run(finalize(ours(tmp_path), "nemo_dpo_x_run0", output))
    again = asyncio.run(finalize(ours(tmp_path), "nemo_dpo_x_run0", output))  # a new process, same run
    assert again == first
    with PreferenceStore(tmp_path / "store.duckdb", read_only=True) as store:
        assert [r["run_id"] for r in store.runs()] == ["nemo_dpo_x_run0"]
        before = store.query("SELECT count(*) FROM candidates")[1]
    builder = ours(tmp_path)
    with pytest.raises(RunExists, match="nemo_dpo_x_run0"):
        asyncio.run(finalize(builder, "nemo_dpo_x_run0", mixed_run("-other")))
    with PreferenceStore(tmp_path / "store.duckdb", read_only=True) as store:
        assert store.query("SELECT count(*) FROM candidates")[1] == before
    replaced = asyncio.run(finalize(ours(tmp_path, replace_existing_run=True), "nemo_dpo_x_run0",
                                    mixed_run("-other")))
    assert {t.metadata["turn_id"] for g in replaced.trajectories for t in g} >= {"t0-other"}
    with PreferenceStore(tmp_path / "store.duckdb", read_only=True) as store:
        assert store.query("SELECT count(*) FROM candidates")[1] == before
        assert store.query("SELECT count(*) FROM candidates WHERE turn_id = 't0'")[1] == [(0,)]


def test_finalize_without_start_run_is_nats_error(tmp_path):
    with pytest.raises(ValueError, match="No evaluation run found for run_id: nope"):
        asyncio.run(ours(tmp_path).finalize("nope"))


# -- NAT's trainer loop: two runs ------------------------------------------------------
def trainer_with(builder, tmp_path: Path):
    """NAT's real NeMoCustomizerTrainer bound to our builder (no adapter: run_epoch never submits)."""
    trainer_module = pytest.importorskip("nat.plugins.customizer.dpo.trainer")
    config_module = pytest.importorskip("nat.plugins.customizer.dpo.config")
    trainer = trainer_module.NeMoCustomizerTrainer(config_module.NeMoCustomizerTrainerConfig(num_runs=2))
    trainer.trajectory_builder = builder
    trainer.run_config = FinetuneConfig(output_dir=tmp_path / "finetune-out")
    return trainer


def run_two_epochs(builder, tmp_path: Path, trainer_run_id: str) -> list:
    outputs = iter([mixed_run("-r0"), mixed_run("-r1")])
    collections = []

    async def run_eval() -> EvaluationRunOutput:
        return next(outputs)

    original_finalize = builder.finalize

    async def finalize_and_keep(run_id, meta=None):
        collections.append(await original_finalize(run_id, meta))
        return collections[-1]

    builder.run_eval = run_eval
    builder.finalize = finalize_and_keep
    trainer = trainer_with(builder, tmp_path)

    async def loop():
        for epoch in range(2):
            await trainer.run_epoch(epoch, trainer_run_id)

    asyncio.run(loop())
    return collections


def test_two_trainer_runs_both_stay_in_the_store_and_store_scope_pairs_both(tmp_path):
    run_scope = run_two_epochs(ours(tmp_path), tmp_path, "nemo_dpo_1a2b3c4d")
    with PreferenceStore(tmp_path / "store.duckdb", read_only=True) as store:
        runs = store.runs()
    assert [r["run_id"] for r in runs] == ["nemo_dpo_1a2b3c4d_run0", "nemo_dpo_1a2b3c4d_run1"]
    assert [r["meta"]["run_number"] for r in runs] == [0, 1]  # NAT's run_meta is kept
    assert all(c.run_id == f"nemo_dpo_1a2b3c4d_run{i}" for i, c in enumerate(run_scope))
    first_turns = {t.metadata["turn_id"] for g in run_scope[0].trajectories for t in g}
    assert first_turns and all(turn_id.endswith("-r0") for turn_id in first_turns)

    # a later `nat finetune` with pair_scope: store pairs every stored run, its own included
    store_scope = run_two_epochs(ours(tmp_path, pair_scope="store"), tmp_path, "nemo_dpo_5e6f7a8b")
    last = store_scope[-1]
    by_run = {}
    for group in last.trajectories:
        for trajectory in group:
            by_run.setdefault(trajectory.metadata["run_id"], 0)
            by_run[trajectory.metadata["run_id"]] += 1
    assert set(by_run) == {"nemo_dpo_1a2b3c4d_run0", "nemo_dpo_1a2b3c4d_run1",
                           "nemo_dpo_5e6f7a8b_run0", "nemo_dpo_5e6f7a8b_run1"}
    per_run = sum(map(len, run_scope[0].trajectories))
    assert set(by_run.values()) == {per_run}
    # one group per example across runs: game_0-r0 etc. differ per run, 7 is shared by all four
    groups = [{t.metadata["example_id"] for t in group} for group in last.trajectories]
    assert all(len(ids) == 1 for ids in groups)
    assert sum(1 for ids in groups if ids == {"7"}) == 1


def test_store_scope_with_dedup_drops_repeated_pairs(tmp_path):
    output = mixed_run()
    asyncio.run(finalize(ours(tmp_path), "day1", output))
    twice = asyncio.run(finalize(ours(tmp_path, pair_scope="store"), "day2", output))
    once = asyncio.run(finalize(ours(tmp_path, pair_scope="store", dedup=True), "day2", output))
    key = [(str(t.episode[0].prompt), t.episode[0].chosen_response, t.episode[0].rejected_response)
           for g in twice.trajectories for t in g]
    assert len(key) == 2 * len(set(key))
    deduped = [t for g in once.trajectories for t in g]
    assert len(deduped) == len(set(key)) and {t.metadata["run_id"] for t in deduped} == {"day1"}


# -- the in-process ingest on NAT's objects ------------------------------------------------
def workflow_output_file(output: EvaluationRunOutput, path: Path) -> Path:
    """The file NAT's DatasetHandler.publish_eval_input writes (TTC steps kept by the filter)."""
    data = [{"id": it.id, "question": it.input_obj, "answer": it.expected_output_obj,
             "generated_answer": it.output_obj,
             "intermediate_steps": [s.model_dump() for s in it.trajectory],
             "expected_intermediate_steps": []} for it in output.eval_input.eval_input_items]
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False, default=str), encoding="utf-8")
    return path


def broken_run() -> EvaluationRunOutput:
    """Candidates the store must reject with a reason: no score, no turn_id, data null."""
    no_score = step(IntermediateStepType.TTC_END, STEP, TTCEventData(turn_id="t9", candidate_index=5, input="p"))
    no_turn = step(IntermediateStepType.TTC_END, STEP, TTCEventData(score=0.4, input="p", output="x"))
    no_data = step(IntermediateStepType.TTC_END, STEP, None)
    run = mixed_run()
    first = run.eval_input.eval_input_items[0]
    first.trajectory.extend([no_score, no_turn, no_data])
    return run


@pytest.mark.parametrize("make_run", [mixed_run, broken_run], ids=["clean", "with-rejects"])
def test_ingest_nat_items_stores_what_ingesting_nats_file_stores(tmp_path, make_run):
    output = make_run()
    everything = "SELECT * EXCLUDE (seq) FROM candidates ORDER BY seq"
    rejects = "SELECT * EXCLUDE (run_id) FROM rejects ORDER BY item_pos, step_pos"
    with PreferenceStore(tmp_path / "items.duckdb") as a, PreferenceStore(tmp_path / "file.duckdb") as b:
        report = a.ingest_nat_items(output.eval_input.eval_input_items, run_id="r")
        b.ingest_nat_eval(workflow_output_file(output, tmp_path / "workflow_output.json"), run_id="r")
        assert a.query(everything) == b.query(everything)
        assert a.query(rejects) == b.query(rejects)
        assert report.rejects == (3 if make_run is broken_run else 0)
        assert a.ingest_nat_items(output.eval_input.eval_input_items, run_id="r").status == "already ingested"
        if make_run is broken_run:  # a rejected step keeps its whole JSON, as NAT wrote it
            ((raw,),) = a.query("SELECT raw FROM rejects WHERE reason = 'missing score'")[1]
            assert json.loads(raw)["function_ancestry"]["function_name"] == "ttc_move_selector"


# -- progress log ----------------------------------------------------------------------
def test_log_progress_writes_nats_line_with_store_path_and_counts(tmp_path):
    builder = ours(tmp_path, min_score_diff=0.25)
    collection = asyncio.run(finalize(builder, "run_log", mixed_run()))
    builder.log_progress("run_log", {"epoch": 3}, output_dir=str(tmp_path / "progress"))
    builder.log_progress("run_log", {"epoch": 4}, output_dir=str(tmp_path / "progress"))
    lines = (tmp_path / "progress" / "dpo_trajectory_builder_run_log.jsonl").read_text().splitlines()
    assert len(lines) == 2
    entry = json.loads(lines[0])
    assert list(entry)[:3] == ["timestamp", "run_id", "config"]
    assert entry["config"] == {"ttc_step_name": STEP, "exhaustive_pairs": True, "min_score_diff": 0.25,
                               "max_pairs_per_turn": None, "pair_scope": "run", "dedup": False}
    pairs = sum(map(len, collection.trajectories))
    assert entry["epoch"] == 3 and entry["run_id"] == "run_log"
    assert (entry["total_pairs"], entry["total_trajectories"], entry["total_examples"]) == (
        pairs, pairs, len(collection.trajectories))
    # the fixture, step dpo_candidate_move: 10 turns, 27 candidates, 2 single-candidate turns
    assert (entry["total_turns"], entry["total_candidates"], entry["skipped_single_candidate"]) == (10, 27, 2)
    assert entry["skipped_ties"] == 0 and entry["skipped_score_diff"] > 0
    assert entry["store_path"] == str((tmp_path / "store.duckdb").resolve())
    assert (entry["store_runs"], entry["run_rejects"], entry["ingest_status"]) == (1, 0, "ingested")
    assert entry["store_candidates"] == 27 + 2  # the other step name's candidates are stored too


def test_finalize_honors_the_stores_decisions(tmp_path):
    """Excludes and flips made in the store (review page, CLI, API) reach NAT's trainer; the
    builder's apply_decisions: false gives the pairs as the scores alone make them."""
    first = asyncio.run(finalize(ours(tmp_path), "run_a", mixed_run()))
    margins = [t.metadata["score_diff"] for group in first.trajectories for t in group]
    assert any(m < 0.3 for m in margins) and any(m >= 0.3 for m in margins)
    with PreferenceStore(tmp_path / "store.duckdb") as store:
        store.exclude("score_diff < 0.3", note="noise")
        flipped = store.pairs()[0]
        store.flip(pairs=[flipped])
    honored = asyncio.run(finalize(ours(tmp_path, pair_scope="store"), "run_b", mixed_run("-b")))
    trajectories = [t for group in honored.trajectories for t in group]
    assert trajectories and all(abs(t.metadata["score_diff"]) >= 0.3 for t in trajectories)
    (turned,) = [t for t in trajectories if t.metadata.get("flipped")]
    assert turned.episode[0].chosen_response == flipped.rejected_response
    assert turned.metadata["run_id"] == "run_a" and turned.reward == flipped.reward
    ignored = asyncio.run(finalize(ours(tmp_path, pair_scope="store", apply_decisions=False), "run_c",
                                   mixed_run("-c")))
    assert any(t.metadata["score_diff"] < 0.3 for group in ignored.trajectories for t in group)
    assert not any(t.metadata.get("flipped") for group in ignored.trajectories for t in group)


# -- the trainer adapter's files ---------------------------------------------------------
def adapter_pairs(tmp_path: Path, nat_run_id: str) -> list[tuple[str, str]]:
    """(chosen, rejected) of every line prefstore_trainer_adapter writes for finetune `nat_run_id`."""
    from prefstore.nat_trainer import PrefstoreTrainerAdapter, PrefstoreTrainerAdapterConfig

    config = PrefstoreTrainerAdapterConfig(db_path=str(tmp_path / "store.duckdb"), output_dir=str(tmp_path / "out"),
                                           dedup=False)
    ref = asyncio.run(PrefstoreTrainerAdapter(config).submit(NatTrajectoryCollection(run_id=nat_run_id,
                                                                                     trajectories=[])))
    lines = [json.loads(line) for split in ref.metadata["splits"].values()
             for line in (Path(ref.metadata["output_dir"]) / split["file"]).read_text().splitlines()]
    return sorted((line["chosen_response"], line["rejected_response"]) for line in lines)


def test_trainer_adapter_files_leave_out_excluded_pairs_unless_the_builder_ignores_decisions(tmp_path):
    """The adapter pairs as the builder of that finetune did: the store's exclude rule applies to
    its files, and a builder with apply_decisions: false gets every pair."""
    from prefstore import PairConfig

    asyncio.run(finalize(ours(tmp_path), "a_run0", mixed_run("-a"), meta={"run_id": "a"}))
    asyncio.run(finalize(ours(tmp_path, apply_decisions=False), "b_run0", mixed_run("-b"), meta={"run_id": "b"}))
    with PreferenceStore(tmp_path / "store.duckdb") as store:
        store.exclude("score_diff < 0.3", note="noise")
        every = {run: store.pairs(PairConfig(apply_decisions=False), runs=[f"{run}_run0"]) for run in "ab"}
    for run in "ab":
        excluded = sorted((p.chosen_response, p.rejected_response) for p in every[run] if p.score_diff < 0.3)
        kept = sorted((p.chosen_response, p.rejected_response) for p in every[run] if p.score_diff >= 0.3)
        assert excluded and kept
        expected = kept if run == "a" else sorted(kept + excluded)
        assert adapter_pairs(tmp_path, run) == expected


# -- prefstore_score_select: which scores NAT's LLM scorer could not parse -------------------
def test_a_parsed_zero_is_a_score_and_an_unparsable_reply_is_marked(tmp_path):
    """NAT's llm_based_agent_scoring scores an unparsable reply 0.0 with only a log warning;
    score_each tells it from a judge that really said 0 (both cases present, so the check bites)."""
    pytest.importorskip("langchain_core")
    from nat.experimental.test_time_compute.models.scoring_config import LLMBasedAgentScoringConfig
    from nat.experimental.test_time_compute.models.ttc_item import TTCItem
    from nat.experimental.test_time_compute.scoring.llm_based_agent_scorer import LLMBasedAgentScorer

    from prefstore.nat_ttc import score_each

    from . import nat_fakes

    zero, parsed, (unparsable, *_) = 12, 1, sorted(nat_fakes.UNPARSABLE)
    assert nat_fakes.JUDGE_SCORES[zero] == 0.0
    scorer = LLMBasedAgentScorer(LLMBasedAgentScoringConfig(scoring_llm="judge"))
    scorer.llm_bound = nat_fakes.ScriptedChatModel(role="judge", calls={})
    items = [TTCItem(input="What is 2+2?", output=f"answer #{k} to: What is 2+2?")
             for k in (zero, parsed, unparsable)]
    scored, unparsed, replies = asyncio.run(score_each(scorer, items))
    assert [item.score for item in scored] == [0.0, nat_fakes.JUDGE_SCORES[parsed], 0.0]
    assert unparsed == [False, False, True]
    assert replies == [None, None, nat_fakes.UNPARSABLE_REPLY]


@pytest.mark.parametrize("component", ["prefstore_dpo_traj_builder", "prefstore_trainer_adapter",
                                       "prefstore_score_select"])
def test_each_component_warns_of_unknown_keys_and_still_loads(component, caplog):
    from prefstore.nat import PrefstoreDPOTrajectoryBuilderConfig
    from prefstore.nat_trainer import PrefstoreTrainerAdapterConfig
    from prefstore.nat_ttc import PrefstoreScoreSelectConfig
    cls, required, (known, value) = {
        "prefstore_dpo_traj_builder": (PrefstoreDPOTrajectoryBuilderConfig, {}, ("ttc_step_name", "moves")),
        "prefstore_trainer_adapter": (PrefstoreTrainerAdapterConfig, {}, ("format", "trl")),
        "prefstore_score_select": (PrefstoreScoreSelectConfig, {"augmented_fn": "f", "scorer": "s", "selector": "b"},
                                   ("ttc_step_name", "moves")),
    }[component]
    with caplog.at_level("WARNING"):
        config = cls.model_validate({**required, "custom_step_name": "x", known: value})
    assert getattr(config, known) == value
    assert f"{component}: unknown option(s) custom_step_name are ignored; known options:" in caplog.text
    caplog.clear()
    with caplog.at_level("WARNING"):
        cls.model_validate(required)
    assert "unknown option" not in caplog.text
