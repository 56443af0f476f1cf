"""prefstore's pairs against NAT's own DPOTrajectoryBuilder, run live inside the tests.

No reference is read from a file: each one is NAT's builder, run here on the same input
prefstore gets. The two sides meet as they do in production:

- NAT: the evaluation items (NAT's `EvalInputItem`s, steps `IntermediateStep` with
  `TTCEventData`) go to `DPOTrajectoryBuilder.finalize`, its `run_eval` replaced by a coroutine
  returning them in an `EvaluationRunOutput` (real evaluation needs nvidia-nat-eval and a
  workflow; bench/nat_builder.py does the same). tests/nat_reference.py holds that harness.
- prefstore: the same items written as `workflow_output.json` the way NAT's evaluator writes
  it (`nat_workflow_output`), ingested into a DuckDB file, paired by `store.trajectories`.

Required: the same trajectories in the same order, grouped the same way per example, with the
same episodes, rewards and metadata (prefstore adds `run_id`), once NAT's equal-score pairs are
set aside: they state no preference and prefstore never emits them (README, Pairs).

Why setting ties aside is the whole correction, `max_pairs_per_turn` included. NAT keeps the
first N pairs of a turn *including* ties, so a tie can take one of NAT's N places. But NAT
sorts a turn's pairs by score_diff descending (a stable sort over candidates already in score
order), and a tie is exactly the pairs whose score_diff is 0 (for finite doubles a - b == 0 iff
a == b); every other pair of a turn has chosen > rejected, so score_diff > 0. Ties therefore
come last in each turn: a tie is among NAT's first N only when the turn has fewer than N strict
pairs, and then all of them precede it. NAT's first N minus its ties is thus exactly the first N
strict pairs, which is what prefstore's max_pairs_per_turn keeps. The comparison drops NAT's
ties and nothing else, and `assert_ties_trail` checks that premise on every NAT output rather
than assuming it. (With min_score_diff > 0 NAT has no ties at all; best-vs-worst gives one pair
per turn, a tie only when every candidate of the turn has the same score.)
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, note, settings
from hypothesis import strategies as st

from prefstore import PairConfig, PreferenceStore

from .conftest import NAT_BUILDER, NAT_MISSING

pytest.importorskip(NAT_BUILDER, reason=NAT_MISSING)

from nat.data_models.evaluator import EvalInputItem  # noqa: E402
from nat.data_models.finetuning import OpenAIMessage  # noqa: E402
from nat.data_models.finetuning import TrajectoryCollection as NatTrajectoryCollection  # noqa: E402
from nat.data_models.intermediate_step import (  # noqa: E402
    IntermediateStep,
    IntermediateStepPayload,
    IntermediateStepType,
    StreamEventData,
    TTCEventData,
)
from nat.data_models.invocation_node import InvocationNode  # noqa: E402
from nat.plugins.customizer.dpo.config import NeMoCustomizerTrainerAdapterConfig  # noqa: E402
from nat.plugins.customizer.dpo.trainer_adapter import NeMoCustomizerTrainerAdapter  # noqa: E402

from .nat_reference import RUN, nat_collections, nat_items_from_file, nat_workflow_output  # noqa: E402

STEP = "dpo_candidate_move"
OTHER = "other_ttc_step"


# -- comparing the two sides ----------------------------------------------------------------
def assert_ties_trail(collection: NatTrajectoryCollection) -> None:
    """The premise of comparing under max_pairs_per_turn (module docstring): in each NAT turn the
    score_diffs are non-negative and descending, so its equal-score pairs come last."""
    for group in collection.trajectories:
        for _, turn in itertools.groupby(group, key=lambda t: t.metadata["turn_id"]):
            diffs = [t.metadata["score_diff"] for t in turn]
            assert diffs == sorted(diffs, reverse=True) and diffs[-1] >= 0, diffs


def strict_only(collection: NatTrajectoryCollection) -> list[list[dict]]:
    """NAT's groups, JSON-dumped, without its equal-score pairs (and groups left empty by that)."""
    assert_ties_trail(collection)
    groups = [[t for t in group if t["metadata"]["score_diff"] != 0]
              for group in collection.model_dump(mode="json")["trajectories"]]
    return [group for group in groups if group]


def ties_in(collection: NatTrajectoryCollection) -> int:
    return sum(t.metadata["score_diff"] == 0 for group in collection.trajectories for t in group)


def store_groups(store: PreferenceStore, config: PairConfig, run_id: str) -> list[list[dict]]:
    """prefstore's trajectories, JSON-dumped, each checked for and stripped of its `run_id`."""
    groups = store.trajectories(config).model_dump(mode="json")["trajectories"]
    for group in groups:
        for trajectory in group:
            assert trajectory["metadata"].pop("run_id") == run_id
    return groups


def assert_same_as_nat(ours: list[list[dict]], theirs: list[list[dict]], config: PairConfig) -> None:
    """Equal groups; on a difference, name the first differing trajectory."""
    flat_ours = [(g, t) for g, group in enumerate(ours) for t in group]
    flat_theirs = [(g, t) for g, group in enumerate(theirs) for t in group]
    for position, (mine, nat) in enumerate(zip(flat_ours, flat_theirs)):
        assert mine == nat, f"{config}: trajectory {position} (group {nat[0]}) differs"
    assert len(flat_ours) == len(flat_theirs), f"{config}: {len(flat_ours)} trajectories, NAT {len(flat_theirs)}"
    assert ours == theirs, f"{config}: same trajectories, other grouping"


# -- NAT evaluation data built with NAT's models --------------------------------------------
def nat_step(event: IntermediateStepType, name: str, data, metadata=None) -> IntermediateStep:
    return IntermediateStep(
        parent_id="root",
        function_ancestry=InvocationNode(function_id="f1", function_name="ttc_move_selector"),
        payload=IntermediateStepPayload(event_type=event, name=name, data=data, metadata=metadata))


METADATA_KINDS = ("none", "empty", "given")


def candidate_metadata(kind: str, response: str | None, index: int) -> dict | None:
    """A TTC_END step's payload.metadata: null, empty, or given (nested, mixed types)."""
    if kind == "none":
        return None
    if kind == "empty":
        return {}
    return {"move": response, "index": index, "tags": ["a", 1.5], "nested": {"ok": True, "n": None}}


def ttc_turn(turn_id: str, scores: list[float], prompt, name: str = STEP, metadata: str = "given",
             responses: list[str | None] | None = None, with_start: bool = True) -> list[IntermediateStep]:
    """A turn as NAT's example workflow emits it: per candidate a TTC_START (unless not
    `with_start`) and a TTC_END with TTCEventData; candidate_index counts in arrival order."""
    steps = []
    for index, score in enumerate(scores):
        response = responses[index] if responses else f"{name}/{turn_id}/{index}"
        if with_start:
            steps.append(nat_step(IntermediateStepType.TTC_START, name,
                                  TTCEventData(turn_id=turn_id, turn_index=0, candidate_index=index)))
        steps.append(nat_step(IntermediateStepType.TTC_END, name,
                              TTCEventData(turn_id=turn_id, turn_index=0, candidate_index=index, score=score,
                                           input=prompt, output=response),
                              metadata=candidate_metadata(metadata, response, index)))
    return steps


def eval_item(item_id, *turn_steps: list[IntermediateStep]) -> EvalInputItem:
    return EvalInputItem(id=item_id, input_obj={"game": str(item_id)}, expected_output_obj="win", output_obj="draw",
                         full_dataset_entry={"id": item_id}, trajectory=[s for t in turn_steps for s in t])


# Few distinct values, so many ties; 0.1/0.2/0.3 give inexact differences (0.3 - 0.1 < 0.2), and
# 1e-17 differences that round away (1.0 - 1e-17 == 1.0 - 0.0).
SCORES = (-0.5, 0.0, 1e-17, 0.1, 0.2, 0.25, 0.3, 0.5, 0.7, 1.0)
TEXT = st.text(alphabet="ab xé✓\"\\\n{}", max_size=8)
ITEM_IDS = {
    "int": st.integers(0, 30),
    "str": st.text(alphabet="game_0123é ", min_size=1, max_size=6),
}


@st.composite
def prompts(draw):
    """A string, or a message list as NAT's models hold it (OpenAIMessage) or as plain dicts."""
    kind = draw(st.sampled_from(["str", "messages", "dicts"]))
    if kind == "str":
        return "board " + draw(TEXT)
    messages = [("system", "You play tic-tac-toe."), ("user", "board " + draw(TEXT))][-draw(st.integers(1, 2)):]
    if kind == "messages":
        return [OpenAIMessage(role=role, content=content) for role, content in messages]
    return [{"role": role, "content": content} for role, content in messages]


@st.composite
def turns(draw, turn_id: str, name: str) -> list[IntermediateStep]:
    """One turn of 1-5 candidates sharing a prompt; responses may be empty or null."""
    scores = draw(st.lists(st.sampled_from(SCORES), min_size=1, max_size=5))
    responses = [draw(st.sampled_from([f"{turn_id}-move-{index}", f"{turn_id}-move-{index}-é\n\"x\"", "", None]))
                 for index in range(len(scores))]
    return ttc_turn(turn_id, scores, draw(prompts()), name, metadata=draw(st.sampled_from(METADATA_KINDS)),
                    responses=responses, with_start=draw(st.booleans()))


def noise_step(kind: str, turn_id: str) -> IntermediateStep:
    if kind == "llm":
        return nat_step(IntermediateStepType.LLM_END, "nim_llm", StreamEventData(input="board?", output="thinking"))
    # a TTC_END of the paired name without a score: NAT skips it, prefstore stores it as a reject
    return nat_step(IntermediateStepType.TTC_END, STEP, TTCEventData(turn_id=turn_id, input="p", output="o"))


@st.composite
def evaluations(draw) -> list[EvalInputItem]:
    """1-4 items with unique ids (all int or all str); per item 0-3 turns of 1-5 candidates under
    the paired step name, some with a turn of a second step name (same or other turn id), the
    turns' steps interleaved in a random order that keeps each turn's own order, noise between."""
    id_kind = draw(st.sampled_from(sorted(ITEM_IDS)))
    ids = draw(st.lists(ITEM_IDS[id_kind], min_size=1, max_size=4, unique=True))
    items = []
    for item_id in ids:
        sequences = []
        turn_ids = draw(st.lists(st.sampled_from(["t0", "t1", "turn_2_ab", "7"]), max_size=3, unique=True))
        for turn_id in turn_ids:
            sequences.append(draw(turns(turn_id, STEP)))
        for turn_id in draw(st.lists(st.sampled_from(["t0", "t9"]), max_size=2, unique=True)):
            sequences.append(draw(turns(turn_id, OTHER)))
        # interleave: each slot names the turn whose next step comes; None inserts a noise step
        slots = [n for n, seq in enumerate(sequences) for _ in seq]
        slots += [None] * draw(st.integers(0, 3))
        order = draw(st.permutations(slots))
        cursors = [iter(seq) for seq in sequences]
        trajectory = [next(cursors[n]) if n is not None
                      else noise_step(draw(st.sampled_from(["llm", "scoreless"])), draw(st.sampled_from(["t0", "t1"])))
                      for n in order]
        items.append(eval_item(item_id, trajectory))
    return items


CONFIGS = st.builds(
    PairConfig,
    ttc_step_name=st.sampled_from([STEP, OTHER]),
    exhaustive_pairs=st.booleans(),
    min_score_diff=st.sampled_from([0.0, 0.0, 0.1, 0.25, 0.5]),
    max_pairs_per_turn=st.sampled_from([None, None, 1, 2, 3]),
    reward_from_score_diff=st.booleans(),
    require_multiple_candidates=st.booleans(),
)


def differential(folder: Path, items: list[EvalInputItem], configs: list[PairConfig],
                 nat_reads_the_file: bool = False) -> list[NatTrajectoryCollection]:
    """Write `items` as NAT's workflow_output.json in `folder`, ingest it into a new store there, and
    require store.trajectories(config) == NAT's builder on the same items, ties aside, per config.
    NAT gets the items as emitted or, like bench/nat_builder.py, read back from the file."""
    path = nat_workflow_output(items, folder / "workflow_output.json")
    theirs = nat_collections(nat_items_from_file(path) if nat_reads_the_file else items, configs)
    with PreferenceStore(folder / "store.duckdb") as store:
        run_id = store.ingest_nat_eval(path, run_id=RUN).run_id
        for config, collection in zip(configs, theirs, strict=True):
            assert_same_as_nat(store_groups(store, config, run_id), strict_only(collection), config)
    return theirs


# No shrink phase: an example costs a store and an ingest (~0.2 s), and shrinking a failure ran
# into Hypothesis' 5-minute cap. Examples are small by construction; the failure names the
# option set and the first differing trajectory, and `note` gives the file to look at.
@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow],
          phases=(Phase.explicit, Phase.reuse, Phase.generate))
@given(items=evaluations(), configs=st.lists(CONFIGS, min_size=3, max_size=3), nat_reads_the_file=st.booleans())
def test_trajectories_equal_nats_builder_on_random_evaluations(tmp_path_factory, items, configs,
                                                               nat_reads_the_file):
    """The differential test: random NAT evaluations (`evaluations`: string and int ids, string
    and message prompts, ties, differences that round equal, single-candidate turns, a second
    step name, TTC_START/LLM_END/scoreless noise, null/empty/given metadata), three option sets
    each, every option drawn from all its value kinds (the full product of the options is
    test_every_option_combination_equals_nats_builder)."""
    folder = tmp_path_factory.mktemp("differential")
    note(f"NAT's evaluation, as its evaluator writes it: {folder / 'workflow_output.json'}")
    differential(folder, items, configs, nat_reads_the_file)


def every_option_combination() -> list[PairConfig]:
    return [PairConfig(ttc_step_name=name, exhaustive_pairs=exhaustive, min_score_diff=min_diff,
                       max_pairs_per_turn=max_pairs, reward_from_score_diff=reward,
                       require_multiple_candidates=multiple)
            for name, exhaustive, min_diff, max_pairs, reward, multiple in itertools.product(
                (STEP, OTHER), (True, False), (0.0, 0.1), (None, 1, 2, 3), (True, False), (True, False))]


def test_every_option_combination_equals_nats_builder(tmp_path):
    """The full product of NAT's options (both step names, min_score_diff 0 and 0.1,
    max_pairs_per_turn None/1/2/3) on one evaluation with ties inside and at the top of turns, an
    all-tied turn, single candidates, both step names on one turn id, string and int ids, string,
    OpenAIMessage and dict prompts, empty and given metadata, LLM noise. (Null metadata and
    differences that round equal are NAT differences today: the two tests below.)"""
    messages = [OpenAIMessage(role="system", content="s"), OpenAIMessage(role="user", content="board é")]
    noise = [nat_step(IntermediateStepType.LLM_END, "nim_llm", StreamEventData(input="board?", output="x"))]
    items = [
        eval_item("game_0", noise, ttc_turn("t0", [0.2, 0.9, 0.5, 0.5, 0.9], "Board x.."),
                  ttc_turn("t0", [0.3, 0.8, 0.8], "other name, same turn id", name=OTHER),
                  ttc_turn("t1", [0.7, 0.1, 0.7, 0.3], messages), noise, ttc_turn("t2", [0.4], "single")),
        eval_item(7, ttc_turn("a", [0.9, 0.3, 0.6, 0.0, 0.3], [{"role": "user", "content": "dicts"}], metadata="empty"),
                  ttc_turn("b", [0.5, 0.5, 0.5], "all tied"), ttc_turn("c", [0.1, 0.3], "two", name=OTHER)),
        eval_item("game_2", ttc_turn("z", [0.6], "alone", name=OTHER)),
        eval_item("game_3", ttc_turn("t0", [0.25, 0.75, 0.5, 1.0, 0.0, 0.5], messages),
                  ttc_turn("t1", [1.0, 0.0], "another turn")),
    ]
    configs = every_option_combination()
    theirs = differential(tmp_path, items, configs)
    assert len(configs) == 128 and sum(ties_in(c) > 0 for c in theirs) >= 16, "NAT's ties are in play"
    assert any(config.max_pairs_per_turn and config.exhaustive_pairs and ties_in(c)
               for config, c in zip(configs, theirs)), "a tie among NAT's first max_pairs_per_turn pairs"


def test_null_candidate_metadata_is_nats_empty_dict(tmp_path):
    """NAT's builder keeps a candidate's metadata only when it is truthy (`if step.payload.metadata`),
    so a TTC_END step with `metadata: null` gives chosen/rejected_raw_metadata {} in NAT's trajectory."""
    differential(tmp_path, [eval_item("e", ttc_turn("t", [0.1, 0.9], "p", metadata="none"))], [PairConfig()])


def test_max_pairs_per_turn_keeps_nats_first_pair_when_differences_round_equal(tmp_path):
    """Scores 1.0, 0.0, 1e-17: in doubles 1.0 - 0.0 == 1.0 - 1e-17 == 1.0, so both pairs of the best
    candidate have score_diff 1.0. NAT generates pairs over the candidates in score order and sorts
    them stably by score_diff, so (1.0 > 1e-17) comes first; prefstore without a limit agrees
    (rejected score desc). With max_pairs_per_turn=1 NAT keeps that pair."""
    items = [eval_item("e", ttc_turn("t", [1.0, 0.0, 1e-17], "p"))]
    differential(tmp_path, items, [PairConfig(), PairConfig(max_pairs_per_turn=1)])


# -- the generated samples, through NAT's builder --------------------------------------------
CASES = [
    ("run1", PairConfig()),
    ("run2", PairConfig()),
    ("int-ids", PairConfig()),
    ("run1", PairConfig(exhaustive_pairs=False, min_score_diff=0.1)),
    ("run2", PairConfig(max_pairs_per_turn=2, reward_from_score_diff=False)),
]
CASE_IDS = [f"{run}-{config.mode}-min{config.min_score_diff}-max{config.max_pairs_per_turn}" for run, config in CASES]


@pytest.fixture(scope="module")
def nat_on_samples(sample_file) -> dict[tuple[str, PairConfig], NatTrajectoryCollection]:
    """NAT's builder on each generated sample, read back into NAT's models (bench/nat_builder.py)."""
    found = {}
    for run in dict.fromkeys(run for run, _ in CASES):
        configs = [config for r, config in CASES if r == run]
        for config, collection in zip(configs, nat_collections(nat_items_from_file(sample_file(run)), configs)):
            found[(run, config)] = collection
    return found


@pytest.mark.parametrize(("run", "config"), CASES, ids=CASE_IDS)
def test_generated_samples_equal_nats_builder(tmp_path, sample_file, nat_on_samples, run, config):
    with PreferenceStore(tmp_path / "s.duckdb") as store:
        run_id = store.ingest_nat_eval(sample_file(run)).run_id
        ours = store_groups(store, config, run_id)
    assert ours
    assert_same_as_nat(ours, strict_only(nat_on_samples[(run, config)]), config)


@pytest.mark.parametrize(("run", "config"), CASES, ids=CASE_IDS)
def test_trajectories_grouped_per_example_in_file_order(tmp_path, sample_file, run, config):
    with PreferenceStore(tmp_path / "s.duckdb") as store:
        store.ingest_nat_eval(sample_file(run))
        collection = store.trajectories(config)
    groups = [[t.metadata["example_id"] for t in group] for group in collection.trajectories]
    assert all(len(set(ids)) == 1 for ids in groups), "one example per inner list"
    order = [ids[0] for ids in groups]
    file_order = [str(item["id"]) for item in json.loads(sample_file(run).read_text(encoding="utf-8"))]
    assert order == [i for i in file_order if i in set(order)]
    assert len(order) == len(set(order)), "an example's pairs are one group"


def test_equal_scores_never_pair(tmp_path, sample_file, nat_on_samples):
    nat = nat_on_samples[("run1", PairConfig())]
    assert ties_in(nat), "the generated sample holds turns with tied scores, which NAT pairs"
    with PreferenceStore(tmp_path / "s.duckdb") as store:
        store.ingest_nat_eval(sample_file("run1"))
        pairs = store.pairs()
    assert pairs and all(p.chosen_score > p.rejected_score for p in pairs)
    assert len(pairs) == sum(map(len, nat.trajectories)) - ties_in(nat)


def test_nemo_export_equals_nats_adapter_lines(tmp_path, sample_file, nat_on_samples):
    """The NeMo line (prompt: the string prompt or the last message's content) equals what NAT's
    NeMoCustomizerTrainerAdapter formats from NAT's trajectories, ties aside."""
    out = tmp_path / "train.jsonl"
    with PreferenceStore(tmp_path / "s.duckdb") as store:
        store.ingest_nat_eval(sample_file("run1"))
        count = store.export_jsonl(out, PairConfig())
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    nat = nat_on_samples[("run1", PairConfig())]
    strict = NatTrajectoryCollection(run_id=RUN, trajectories=[
        [t for t in group if t.metadata["score_diff"] != 0] for group in nat.trajectories])
    adapter = NeMoCustomizerTrainerAdapter(NeMoCustomizerTrainerAdapterConfig(
        entity_host="http://unused", datastore_host="http://unused", namespace="tests",
        customization_config="unused"))  # clients are created lazily: no network
    training, validation = adapter._trajectory_to_dpo_jsonl(strict)  # its 80/20 split, in order
    expected = [json.loads(line) for line in (training + "\n" + validation).splitlines()]
    assert {type(t.episode[0].prompt) for group in strict.trajectories for t in group} == {str, list}
    assert count == len(lines) == len(expected)
    assert lines == expected
    assert all(list(line) == ["prompt", "chosen_response", "rejected_response"] for line in lines)
