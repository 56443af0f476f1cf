"""`ingest --format nat-rollouts` and `ingest-eval`: NAT evaluator-scored rollouts as candidates.

The files are written here in the shapes `nat eval` writes (workflow_output.json
items; `<evaluator>_output.json` as EvalOutput.model_dump_json gives it, NaN as
null); tests/test_nat_e2e.py checks the same path on files NAT itself wrote.
"""

from __future__ import annotations

import hashlib
import json
import math
from pathlib import Path

import pytest

from prefstore import PairConfig, PreferenceStore
from prefstore.errors import BadInput, BadOption
from prefstore.ingest.digest import file_sha256
from prefstore.ingest.rollouts import rollouts_digest

from .conftest import run_cli

QUESTIONS = {"q1": "What is 2+2?", "q2": "Name a prime.", "q3": "Pick a colour."}


def workflow_items(answers: dict[str, str]) -> list[dict]:
    """workflow_output.json items: ids `<example>_rep<k>` as `nat eval --reps` writes them."""
    return [{"id": item_id, "question": QUESTIONS[item_id.split("_rep")[0]], "answer": "?",
             "generated_answer": answer, "intermediate_steps": [], "expected_intermediate_steps": []}
            for item_id, answer in answers.items()]


def write_eval(folder: Path, answers: dict[str, str], scores: list[dict], evaluator: str = "accuracy") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "workflow_output.json").write_text(json.dumps(workflow_items(answers), indent=2), encoding="utf-8")
    numeric = [s["score"] for s in scores if isinstance(s.get("score"), float) and not math.isnan(s["score"])]
    output = {"average_score": sum(numeric) / len(numeric) if numeric else None,
              "eval_output_items": [{"reasoning": None, "error": None, **s} for s in scores]}
    text = json.dumps(output, indent=2).replace("NaN", "null")  # pydantic writes NaN as null
    (folder / f"{evaluator}_output.json").write_text(text, encoding="utf-8")
    return folder


ANSWERS = {"q1_rep0": "4", "q1_rep1": "5", "q1_rep2": "four", "q2_rep0": "7", "q2_rep1": "9"}
SCORES = [{"id": "q1_rep0", "score": 1.0, "reasoning": "exact"}, {"id": "q1_rep1", "score": 0.0},
          {"id": "q1_rep2", "score": 0.5, "reasoning": {"judge": "close"}}, {"id": "q2_rep0", "score": 1.0},
          {"id": "q2_rep1", "score": 0.0}]


def test_rollouts_are_candidates_of_their_example_scored_by_the_evaluator(tmp_path, store):
    folder = write_eval(tmp_path / "eval", ANSWERS, SCORES)
    report = store.ingest_nat_rollouts(folder / "workflow_output.json", folder / "accuracy_output.json",
                                       meta={"model": "m1"})
    assert (report.status, report.items, report.candidates, report.rejects) == ("ingested", 5, 5, 0)
    assert report.candidates_by_name == {"accuracy": 5}
    _, rows = store.query("SELECT example_id, turn_id, turn_index, candidate_index, step_name, prompt::VARCHAR, "
                          "response, score, metadata::VARCHAR FROM candidates ORDER BY seq")
    assert [r[:8] for r in rows] == [
        ("q1", "q1", None, 0, "accuracy", '"What is 2+2?"', "4", 1.0),
        ("q1", "q1", None, 1, "accuracy", '"What is 2+2?"', "5", 0.0),
        ("q1", "q1", None, 2, "accuracy", '"What is 2+2?"', "four", 0.5),
        ("q2", "q2", None, 0, "accuracy", '"Name a prime."', "7", 1.0),
        ("q2", "q2", None, 1, "accuracy", '"Name a prime."', "9", 0.0)]
    assert json.loads(rows[2][8]) == {"evaluator": "accuracy", "item_id": "q1_rep2", "reasoning": {"judge": "close"}}
    (run,) = store.runs()
    assert run["source_format"] == "nat_rollouts"
    assert run["meta"] == {"model": "m1", "evaluator": "accuracy", "scores_file": str(folder / "accuracy_output.json")}
    pairs = store.pairs(PairConfig(ttc_step_name="accuracy"))
    assert [(p.example_id, p.chosen_response, p.rejected_response, p.score_diff) for p in pairs] == [
        ("q1", "4", "5", 1.0), ("q1", "4", "four", 0.5), ("q1", "four", "5", 0.5), ("q2", "7", "9", 1.0)]


def test_unusable_rollouts_and_scores_are_rejected_with_reasons_never_dropped(tmp_path, store):
    answers = {**ANSWERS, "q3_rep0": "red", "q3_rep1": "blue"}
    scores = [{"id": "q1_rep0", "score": 1.0},
              {"id": "q1_rep1", "score": math.nan},                                  # NaN, written as null
              {"id": "q1_rep2", "score": 0.0, "error": "judge timed out"},            # an error
              {"id": "q2_rep0", "score": 1.0}, {"id": "q2_rep0", "score": 0.0},       # two scores for one item
              {"id": "q2_rep1", "score": "0.5"},                                      # a numeric string is a score
              {"id": "q3_rep1", "score": "high"},                                     # not a number
              {"id": "q9_rep0", "score": 1.0},                                        # no such item
              {"id": None, "score": 1.0}]                                             # no usable id
    # q3_rep0 has no score at all
    folder = write_eval(tmp_path / "eval", answers, scores)
    report = store.ingest_nat_rollouts(folder / "workflow_output.json", folder / "accuracy_output.json")
    assert report.rejects_by_reason == {
        "evaluator score is null or NaN": 1,
        "evaluator reported an error for this item": 1,
        "more than one score for this item in the evaluator file": 1,
        "score is not a number": 1,
        "no score for this item in the evaluator file": 1,
        "evaluator item matches no workflow item": 2,
    }
    assert report.candidates == 2 and report.items == 7
    assert report.candidates + report.rejects == len(answers) + 2  # every item and every stray score
    _, rows = store.query("SELECT reason, example_id, item_pos, step_pos, raw->'$.id', raw->'$.item.id' "
                          "FROM rejects ORDER BY item_pos, step_pos")
    assert rows[:2] == [("evaluator item matches no workflow item", "q9", 0, 8, '"q9_rep0"', None),
                        ("evaluator item matches no workflow item", None, 0, 9, "null", None)]
    by_item = {row[5]: row[0] for row in rows[2:]}
    assert by_item['"q1_rep1"'] == "evaluator score is null or NaN"
    assert by_item['"q3_rep0"'] == "no score for this item in the evaluator file"
    _, kept = store.query("SELECT metadata->>'item_id', score FROM candidates ORDER BY seq")
    assert kept == [("q1_rep0", 1.0), ("q2_rep1", 0.5)]


def test_files_of_different_evaluations_are_refused_naming_both(tmp_path, store):
    folder = write_eval(tmp_path / "a", ANSWERS, [{"id": "x_rep0", "score": 1.0}])
    with pytest.raises(BadInput) as refused:
        store.ingest_nat_rollouts(folder / "workflow_output.json", folder / "accuracy_output.json")
    message = str(refused.value)
    assert "workflow_output.json" in message and "accuracy_output.json" in message
    assert "no item id in common" in message and "\n" not in message
    not_scores = tmp_path / "a" / "list_output.json"
    not_scores.write_text("[]")
    with pytest.raises(BadInput, match="list_output.json: expected a NAT evaluator output object .* found a JSON array"):
        store.ingest_nat_rollouts(folder / "workflow_output.json", not_scores)
    no_items = tmp_path / "a" / "other_output.json"
    no_items.write_text('{"average_score": 1}')
    with pytest.raises(BadInput, match="other_output.json: no eval_output_items list"):
        store.ingest_nat_rollouts(folder / "workflow_output.json", no_items)
    assert store.runs() == [] and store.query("SELECT count(*) FROM rejects")[1] == [(0,)]


def test_run_identity_covers_both_files_and_the_prompt_rule(tmp_path, store):
    folder = write_eval(tmp_path / "eval", ANSWERS, SCORES)
    workflow, scores = folder / "workflow_output.json", folder / "accuracy_output.json"
    first = store.ingest_nat_rollouts(workflow, scores)
    assert store.ingest_nat_rollouts(workflow, scores).status == "already ingested"
    scores.write_text(scores.read_text().replace('"score": 0.5', '"score": 0.25'))
    rescored = store.ingest_nat_rollouts(workflow, scores)
    assert rescored.status == "ingested" and rescored.run_id != first.run_id
    with pytest.raises(BadOption, match="--prompt-from 'answer'"):
        store.ingest_nat_rollouts(workflow, scores, prompt_from="answer")
    assert len(store.runs()) == 2


def test_pair_scope_prompt_pools_runs_of_different_models(tmp_path, store):
    """One rollout per example and model (no --reps): pairs only across runs, by identical prompt."""
    for model, (a1, a2, s1, s2) in {"small": ("5", "9", 0.0, 0.0), "large": ("4", "7", 1.0, 1.0)}.items():
        folder = write_eval(tmp_path / model, {"q1": a1, "q2": a2},
                            [{"id": "q1", "score": s1}, {"id": "q2", "score": s2}])
        store.ingest_nat_rollouts(folder / "workflow_output.json", folder / "accuracy_output.json",
                                  run_id=model, meta={"model": model})
    assert store.pairs(PairConfig(ttc_step_name="accuracy")) == []
    pooled = store.pairs(PairConfig(ttc_step_name="accuracy", pair_scope="prompt"))
    assert [(p.example_id, p.chosen_response, p.rejected_response, p.run_id) for p in pooled] == [
        ("q1", "4", "5", "large"), ("q2", "7", "9", "large")]


def test_prompt_from_messages_reads_the_first_llm_call_as_nat_writes_it(tmp_path, store):
    nat = pytest.importorskip("nat.plugins.eval.dataset_handler.dataset_handler")
    messages = pytest.importorskip("langchain_core.messages")
    from nat.data_models.dataset_handler import EvalDatasetJsonConfig
    from nat.data_models.evaluator import EvalInput, EvalInputItem
    from nat.data_models.intermediate_step import (IntermediateStep, IntermediateStepPayload,
                                                   IntermediateStepType, StreamEventData)
    from nat.data_models.invocation_node import InvocationNode

    def llm_start(conversation) -> IntermediateStep:
        return IntermediateStep(parent_id="root", function_ancestry=InvocationNode(function_id="f", function_name="w"),
                                payload=IntermediateStepPayload(event_type=IntermediateStepType.LLM_START,
                                                                data=StreamEventData(input=conversation)))

    first = [messages.SystemMessage(content="Be brief."), messages.HumanMessage(content="What is 2+2?")]
    later = first + [messages.AIMessage(content="4"), messages.HumanMessage(content="Sure?")]
    items = [EvalInputItem(id=item_id, input_obj="What is 2+2?", expected_output_obj="4", output_obj=answer,
                           trajectory=steps, full_dataset_entry={"id": item_id})
             for item_id, answer, steps in [("q1_rep0", "4", [llm_start(first), llm_start(later)]),
                                            ("q1_rep1", "5", [llm_start(first)]),
                                            ("q1_rep2", "?", [])]]
    handler = nat.DatasetHandler(EvalDatasetJsonConfig(file_path="unused.json"), reps=1, concurrency=1)
    folder = tmp_path / "eval"
    folder.mkdir()
    (folder / "workflow_output.json").write_text(
        handler.publish_eval_input(EvalInput(eval_input_items=items), [IntermediateStepType.LLM_START]))
    write_eval(tmp_path / "scores", {}, [{"id": f"q1_rep{k}", "score": s} for k, s in enumerate([1.0, 0.0, 0.5])])
    report = store.ingest_nat_rollouts(folder / "workflow_output.json", tmp_path / "scores" / "accuracy_output.json",
                                       prompt_from="messages")
    assert report.rejects_by_reason == {
        "no LLM_START step with an input in this item (keep LLM_START in "
        "eval.general.output.workflow_output_step_filter, or use --prompt-from question)": 1}
    (pair,) = store.pairs(PairConfig(ttc_step_name="accuracy"))
    assert [m.model_dump() for m in pair.prompt] == [{"role": "system", "content": "Be brief."},
                                                     {"role": "user", "content": "What is 2+2?"}]
    assert (pair.chosen_response, pair.rejected_response) == ("4", "5")


# -- a `nat eval` output directory -------------------------------------------------------------
def test_ingest_eval_dir_picks_the_evaluator_and_lists_them_when_it_must(tmp_path, store):
    folder = write_eval(tmp_path / "eval", ANSWERS, SCORES)
    write_eval(folder, ANSWERS, [{**s, "score": 1.0 - s["score"]} for s in SCORES], evaluator="brevity")
    with pytest.raises(BadOption, match=r"several evaluators \(accuracy, brevity\); name the one .* --evaluator"):
        store.ingest_nat_eval_dir(folder)
    with pytest.raises(BadOption, match="--evaluator 'style': .* no style_output.json; evaluators found: accuracy, brevity"):
        store.ingest_nat_eval_dir(folder, evaluator="style")
    assert store.runs() == []
    (report,) = store.ingest_nat_eval_dir(folder, evaluator="brevity", run_id="m1")  # no TTC steps: one run
    assert report.run_id == "m1:brevity" and report.candidates == 5
    with pytest.raises(BadInput, match="no workflow_output.json; expected the output directory of `nat eval`"):
        store.ingest_nat_eval_dir(tmp_path)


def test_cli_ingest_rollouts_and_eval_dir(tmp_path, db_path):
    folder = write_eval(tmp_path / "eval", ANSWERS, SCORES)
    workflow, scores = folder / "workflow_output.json", folder / "accuracy_output.json"
    missing = run_cli("--db", db_path, "ingest", "--format", "nat-rollouts", workflow)
    assert missing.returncode == 1
    assert missing.stderr.strip().splitlines() == [
        "Error: --format nat-rollouts needs --scores EVALUATOR_output.json (the evaluator's output file beside "
        "workflow_output.json)"]
    ok = run_cli("--db", db_path, "ingest", "--format", "nat-rollouts", workflow, "--scores", scores,
                 "--run-id", "r1", check=True)
    assert f"{workflow} scored by {scores}: ingested as run r1" in ok.stdout
    again = run_cli("--db", db_path, "ingest-eval", folder, "--run-id", "r2", check=True)
    assert "ingested as run r2:accuracy" in again.stdout
    with PreferenceStore(db_path, read_only=True) as store:
        assert [r["run_id"] for r in store.runs()] == ["r1", "r2:accuracy"]
    bad = run_cli("--db", db_path, "ingest-eval", tmp_path / "nowhere")
    assert bad.returncode == 1 and bad.stderr.strip() == f"Error: {tmp_path / 'nowhere'}: no such directory"


def test_rollout_run_identity_is_unchanged(store, tmp_path):
    """Stores already hold rollout runs named by this digest: re-ingesting them must find them."""
    folder = write_eval(tmp_path / "e", {"q1_rep0": "4", "q1_rep1": "5"},
                        [{"id": "q1_rep0", "score": 1.0}, {"id": "q1_rep1", "score": 0.0}])
    workflow, scores = folder / "workflow_output.json", folder / "accuracy_output.json"
    before = {prompt_from: hashlib.sha256(
        f"nat-rollouts\0{file_sha256(workflow)}\0{file_sha256(scores)}\0{prompt_from}".encode()).hexdigest()
        for prompt_from in ("question", "messages")}
    for prompt_from, digest in before.items():
        assert rollouts_digest(file_sha256(workflow), file_sha256(scores), prompt_from) == digest
    assert store.ingest_nat_rollouts(workflow, scores).run_id == before["question"][:16]
