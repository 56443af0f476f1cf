"""`nat eval --reps N` and datasets with other keys, written by NAT's own DatasetHandler.

NAT runs each example N times as `<id>_rep<k>` (DatasetHandler.setup_reps) and
writes the items under the dataset config's `id_key` and
`structure.trajectory_key` (DatasetHandler.publish_eval_input). prefstore keeps
example_id as written, stores the base id beside it, and splits, orders and
pools by the base id, so one question never lands on both sides of a split.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

pytest.importorskip("nat.plugins.eval", reason="nvidia-nat-eval is in the dev extra")

from nat.data_models.dataset_handler import EvalDatasetJsonConfig, EvalDatasetStructureConfig  # noqa: E402
from nat.data_models.intermediate_step import (  # noqa: E402
    IntermediateStep,
    IntermediateStepPayload,
    IntermediateStepType,
    TTCEventData,
)
from nat.data_models.invocation_node import InvocationNode  # noqa: E402
from nat.plugins.eval.dataset_handler.dataset_handler import DatasetHandler  # noqa: E402

from prefstore import ExportOptions, PairConfig, PreferenceStore  # noqa: E402

from .conftest import run_cli  # noqa: E402

QUESTIONS = 12
REPS = 3
FILTER = [IntermediateStepType.LLM_END, IntermediateStepType.TTC_END]


def ttc_end(turn_id: str, index: int, score: float, prompt: str, response: str) -> IntermediateStep:
    return IntermediateStep(
        parent_id="root", function_ancestry=InvocationNode(function_id="f", function_name="agent"),
        payload=IntermediateStepPayload(
            event_type=IntermediateStepType.TTC_END, name="dpo_candidate_move",
            data=TTCEventData(turn_id=turn_id, turn_index=0, candidate_index=index, score=score,
                              input=prompt, output=response)))


def nat_eval_output(folder: Path, reps: int = REPS, id_key: str = "id", steps_key: str = "intermediate_steps") -> Path:
    """A dataset of QUESTIONS questions run `reps` times, as NAT's DatasetHandler reads, replicates
    and publishes it; each rep scored 3 candidates of one turn (the same prompt in every rep)."""
    dataset = folder / "dataset.json"
    dataset.write_text(json.dumps([{id_key: f"q{i}", "question": f"What is {i} + {i}?", "answer": str(2 * i)}
                                   for i in range(QUESTIONS)]))
    config = EvalDatasetJsonConfig(file_path=dataset, id_key=id_key,
                                   structure=EvalDatasetStructureConfig(trajectory_key=steps_key))
    handler = DatasetHandler(config, reps=reps, concurrency=1)
    eval_input = handler.get_eval_input_from_dataset(None)
    for n, item in enumerate(eval_input.eval_input_items):
        question = item.input_obj
        rep = int(str(item.id).rsplit("_rep", 1)[1]) if reps > 1 else 0
        item.output_obj = f"answer {n}"
        item.trajectory = [ttc_end(f"turn-{item.id}", k, round(0.1 + 0.3 * k + 0.01 * rep, 3), question,
                                   f"{question} -> candidate {k} of rep {rep}") for k in range(3)]
    out = folder / "workflow_output.json"
    out.write_text(handler.publish_eval_input(eval_input, workflow_output_step_filter=FILTER), encoding="utf-8")
    return out


@pytest.fixture(scope="module")
def reps_file(tmp_path_factory) -> Path:
    return nat_eval_output(tmp_path_factory.mktemp("reps"))


def side(example_id: str, seed: int = 0, fraction: float = 0.2) -> str:
    """The export split's hash rule (README: Split by example) for one id."""
    unit = int(hashlib.md5(f"{example_id}\x1f{seed}".encode()).hexdigest()[:8], 16) / 2**32
    return "validation" if unit < fraction else "train"


def test_ids_as_written_and_base_ids_beside_them(reps_file, tmp_path):
    written = [item["id"] for item in json.loads(reps_file.read_text())]
    assert {i.rsplit("_rep", 1)[1] for i in written} == {str(k) for k in range(REPS)}
    with PreferenceStore(tmp_path / "s.duckdb") as store:
        store.ingest_nat_eval(reps_file)
        _, rows = store.query("SELECT DISTINCT example_id, base_example_id FROM candidates ORDER BY 1")
    assert rows == sorted((i, i.rsplit("_rep", 1)[0]) for i in written)


def test_split_keeps_every_question_on_one_side(reps_file, tmp_path):
    # the test has teeth: split by the ids as written, some question would be on both sides
    by_written = {}
    for item in json.loads(reps_file.read_text()):
        by_written.setdefault(item["id"].rsplit("_rep", 1)[0], set()).add(side(item["id"]))
    assert any(len(sides) > 1 for sides in by_written.values())

    out = tmp_path / "trl"
    with PreferenceStore(tmp_path / "s.duckdb") as store:
        store.ingest_nat_eval(reps_file)
        manifest = store.export(out, options=ExportOptions(format="trl", dedup=False))
    sides: dict[str, set[str]] = {}
    for split, name in (("train", "train.jsonl"), ("validation", "test.jsonl")):
        for line in (out / name).read_text().splitlines():
            question = json.loads(line)["prompt"][0]["content"]
            sides.setdefault(question, set()).add(split)
    assert len(sides) == QUESTIONS and all(len(s) == 1 for s in sides.values())
    assert {s for ss in sides.values() for s in ss} == {"train", "validation"}
    expected = {f"What is {i} + {i}?": side(f"q{i}") for i in range(QUESTIONS)}
    if set(expected.values()) == {"train", "validation"}:   # no question moved across to fill a side
        assert {q: s.pop() for q, s in sides.items()} == expected
    assert manifest["splits"]["validation"]["examples"] % REPS == 0   # whole groups of reps


def test_one_question_in_reps_cannot_be_split(tmp_path):
    folder = tmp_path / "one"
    folder.mkdir()
    path = nat_eval_output(folder)
    with PreferenceStore(tmp_path / "s.duckdb") as store:
        store.ingest_nat_eval(path)
        store.exclude("NOT starts_with(example_id, 'q0_')")       # leave the reps of q0 only
        from prefstore.errors import SplitImpossible
        with pytest.raises(SplitImpossible, match="one example only"):
            store.export(tmp_path / "out")


def test_prompt_scope_pools_the_reps_of_one_question(reps_file, tmp_path):
    with PreferenceStore(tmp_path / "s.duckdb") as store:
        store.ingest_nat_eval(reps_file)
        turn = store.pairs()
        pooled = store.pairs(PairConfig(pair_scope="prompt"))
        collection = store.trajectories(PairConfig(pair_scope="prompt"))
    assert all(p.example_id == p.example_id for p in turn) and len(turn) == QUESTIONS * REPS * 3
    k = 3 * REPS   # candidates per question across reps; distinct scores
    assert len(pooled) == QUESTIONS * k * (k - 1) // 2
    across = [p for p in pooled if p.chosen_response.rsplit("rep ", 1)[1] != p.rejected_response.rsplit("rep ", 1)[1]]
    assert across, "pairs between reps of one question"
    assert all(p.base_example_id == p.example_id.rsplit("_rep", 1)[0] for p in pooled)
    # one trajectory group per question, holding all its reps' pairs
    assert len(collection.trajectories) == QUESTIONS
    assert [len(group) for group in collection.trajectories] == [k * (k - 1) // 2] * QUESTIONS


def test_curriculum_keeps_the_reps_of_a_question_together(reps_file, tmp_path):
    out = tmp_path / "easy.jsonl"
    with PreferenceStore(tmp_path / "s.duckdb") as store:
        store.ingest_nat_eval(reps_file)
        store.export(out, options=ExportOptions(order="easy-first", dedup=False))
    questions = [json.loads(line)["prompt"] for line in out.read_text().splitlines()]
    runs = [q for n, q in enumerate(questions) if n == 0 or questions[n - 1] != q]
    assert len(runs) == QUESTIONS, "each question's pairs form one stretch of the file"


def test_other_id_and_steps_keys(tmp_path, db_path):
    path = nat_eval_output(tmp_path, reps=1, id_key="qid", steps_key="traj")
    item = json.loads(path.read_text())[0]
    assert "qid" in item and "traj" in item and "id" not in item, "NAT wrote the dataset's own keys"
    plain = run_cli("--db", db_path, "ingest", path, "--run-id", "plain", check=True)
    assert "candidates stored: 0" in plain.stdout and "12  item has no intermediate_steps list" in plain.stdout
    assert "pass --steps-key" in plain.stderr, "a file with other keys is not silently empty"
    keyed = run_cli("--db", db_path, "ingest", path, "--run-id", "keyed", "--id-key", "qid",
                    "--steps-key", "traj", check=True)
    assert f"candidates stored: {QUESTIONS * 3}" in keyed.stdout
    with PreferenceStore(db_path, read_only=True) as store:
        _, rows = store.query("SELECT DISTINCT example_id FROM candidates WHERE run_id = 'keyed' ORDER BY 1")
        assert rows == sorted((f"q{i}",) for i in range(QUESTIONS))
        assert len(store.pairs(runs=["keyed"])) == QUESTIONS * 3
    same = run_cli("--db", db_path, "ingest", path, "--id-key", "x", "--steps-key", "x")
    assert same.returncode == 1 and same.stderr.startswith("Error: --id-key and --steps-key name the same key")


def test_in_process_items_with_other_keys(tmp_path):
    path = nat_eval_output(tmp_path, reps=1, id_key="qid", steps_key="traj")
    items = json.loads(path.read_text())
    with PreferenceStore(tmp_path / "s.duckdb") as store:
        report = store.ingest_nat_items(items, run_id="r", id_key="qid", steps_key="traj")
    assert report.candidates == QUESTIONS * 3 and report.rejects == 0
