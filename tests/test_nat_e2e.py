"""NAT end to end: `nat eval` with `prefstore_score_select` and `--reps`, then `nat finetune` offline.

Real NAT packages throughout (workflow builder, `chat_completion`, the LLM
scorer, the best-of-n selector, `nat eval`, NAT's DPO builder and its
NeMoCustomizerTrainer); only the LLMs and the evaluator are scripted
(tests/nat_fakes.py), so every score is known. Needs the `nat` extra,
nvidia-nat-eval and langchain-core (all in `.[dev,nat]`).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

if os.environ.get("PREFSTORE_REQUIRE_NAT"):  # .ci/run: fail, never skip, when NAT is missing
    import langchain_core  # noqa: F401
    import nat.plugins.eval.runtime.evaluate  # noqa: F401
else:
    pytest.importorskip("nat.plugins.eval.runtime.evaluate")
    pytest.importorskip("langchain_core")

from nat.data_models.evaluate_runtime import EvaluationRunOutput, ProfilerResults  # noqa: E402
from nat.data_models.evaluator import EvalInput, EvalInputItem  # noqa: E402
from nat.data_models.intermediate_step import IntermediateStep  # noqa: E402

from prefstore import PairConfig, PreferenceStore  # noqa: E402

from . import nat_fakes  # noqa: E402  (registers the scripted LLM and grader)
from .conftest import REPO, cli_env, run_cli  # noqa: E402

QUESTIONS = [("q1", "What is 2+2?"), ("q2", "Name a prime."), ("q3", "[nan] Pick a colour."),
             ("q4", "[error] Pick a number.")]


def eval_config(tmp_path: Path, questions: list[tuple[str, str]], **sections: str) -> Path:
    """A NAT config: prefstore_score_select over NAT's chat_completion, NAT's LLM scorer and
    best-of-n selector, 3 executions per call, TTC_END steps kept in workflow_output.json."""
    dataset = tmp_path / "questions.json"
    dataset.write_text(json.dumps([{"id": i, "question": q, "answer": "?"} for i, q in questions]))
    config = tmp_path / "config.yml"
    config.write_text(f"""
llms:
  writer: {{_type: prefstore_test_llm, role: writer}}
  judge: {{_type: prefstore_test_llm, role: judge}}
functions:
  answer: {{_type: chat_completion, llm_name: writer}}
ttc_strategies:
  judge_scores: {{_type: llm_based_agent_scoring, scoring_llm: judge}}
  best: {{_type: best_of_n_selection}}
workflow:
  _type: prefstore_score_select
  augmented_fn: answer
  scorer: judge_scores
  selector: best
  num_executions: 3
eval:
  general:
    max_concurrency: 1
    output:
      dir: {tmp_path / "eval"}
      workflow_output_step_filter: [TTC_END]
    dataset:
      _type: json
      file_path: {dataset}
  evaluators:
    grade:
      _type: prefstore_test_grader
""" + "".join(sections.values()))
    return config


def nat_eval(*args: str | Path) -> subprocess.CompletedProcess:
    """The real `nat eval` command, in a subprocess that first imports the scripted LLM and grader."""
    launcher = ("import sys, tests.nat_fakes; from nat.cli.main import run_cli; "
                "sys.argv[0] = 'nat'; sys.exit(run_cli())")
    env = cli_env(PYTHONPATH=f"{REPO / 'src'}:{REPO}")
    result = subprocess.run([sys.executable, "-c", launcher, "eval", *map(str, args)], cwd=REPO, env=env,
                            capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL)
    assert result.returncode == 0, result.stderr[-3000:]
    return result


def test_nat_eval_with_reps_gives_recorded_ttc_candidates_and_scored_rollouts(tmp_path, db_path):
    nat_eval("--config_file", eval_config(tmp_path, QUESTIONS), "--reps", "2")
    out = tmp_path / "eval"
    assert sorted(p.name for p in out.glob("*_output.json")) == ["grade_output.json", "workflow_output.json"]
    ingested = run_cli("--db", db_path, "ingest-eval", out, "--run-id", "m1", check=True)
    assert "ingested as run m1:grade" in ingested.stdout and "ingested as run m1:ttc" in ingested.stdout

    with PreferenceStore(db_path, read_only=True) as store:
        # TTC: 4 questions x 2 reps = 8 calls (turns), 3 scored candidates each, scored by NAT's LLM scorer
        _, ttc = store.query(
            "SELECT example_id, turn_id, turn_index, candidate_index, score, response, prompt->>'$', "
            "metadata->>'is_selected', metadata->>'score_unparsed', metadata->>'scorer_reply' "
            "FROM candidates WHERE run_id = 'm1:ttc' ORDER BY seq")
        assert len(ttc) == 24 and len({row[1] for row in ttc}) == 8
        for row in ttc:
            k = nat_fakes.answer_number(row[5])
            question = dict(QUESTIONS)[row[0].split("_rep")[0]]
            assert row[5] == f"answer #{k} to: {question}" and row[6] == question and row[2] == 0
            unparsed = k in nat_fakes.UNPARSABLE
            assert row[4] == (0.0 if unparsed else nat_fakes.JUDGE_SCORES[k])
            assert (row[8], row[9]) == (("true", nat_fakes.UNPARSABLE_REPLY) if unparsed else ("false", None))
        for turn in {row[1] for row in ttc}:
            candidates = [row for row in ttc if row[1] == turn]
            assert [row[3] for row in candidates] == [0, 1, 2]
            (selected,) = [row for row in candidates if row[7] == "true"]
            assert selected[4] == max(row[4] for row in candidates)
        assert len(store.pairs()) == 24  # 3 distinct scores per turn: 3 pairs each

        # rollouts: the grader scored each selected answer; rep0 picked #1 (grade 1.0), rep1 #3 (grade 0.0)
        rollout_pairs = store.pairs(PairConfig(ttc_step_name="grade"))
        assert [(p.example_id, p.chosen_index, p.rejected_index, p.chosen_score, p.rejected_score)
                for p in rollout_pairs] == [("q1", 0, 1, 1.0, 0.0), ("q2", 0, 1, 1.0, 0.0)]
        assert rollout_pairs[0].prompt == "What is 2+2?"
        _, rejects = store.query("SELECT reason, count(*) FROM rejects WHERE run_id = 'm1:grade' GROUP BY 1 ORDER BY 1")
        assert rejects == [("evaluator reported an error for this item", 2), ("evaluator score is null or NaN", 2)]

    # NAT's own DPO builder reads the recorded steps unchanged: the same 24 pairs
    nat_dpo = pytest.importorskip("nat.plugins.customizer.dpo.trajectory_builder")
    nat_config = pytest.importorskip("nat.plugins.customizer.dpo.config").DPOTrajectoryBuilderConfig
    items = [EvalInputItem(id=it["id"], input_obj=it["question"], expected_output_obj="", output_obj="",
                           full_dataset_entry={}, trajectory=[IntermediateStep.model_validate(s)
                                                              for s in it["intermediate_steps"]])
             for it in json.loads((out / "workflow_output.json").read_text())]
    builder = nat_dpo.DPOTrajectoryBuilder(nat_config())

    async def run_eval() -> EvaluationRunOutput:
        return EvaluationRunOutput(workflow_output_file=None, evaluator_output_files=[], workflow_interrupted=False,
                                   eval_input=EvalInput(eval_input_items=items), evaluation_results=[],
                                   profiler_results=ProfilerResults())

    builder.run_eval = run_eval

    async def collect():
        await builder.start_run("r")
        return await builder.finalize("r")

    theirs = asyncio.run(collect())
    with PreferenceStore(db_path, read_only=True) as store:
        mine = {(p.chosen_response, p.rejected_response) for p in store.pairs()}
    assert {(t.episode[0].chosen_response, t.episode[0].rejected_response)
            for group in theirs.trajectories for t in group} == mine


FINETUNE = """
trajectory_builders:
  dpo:
    _type: prefstore_dpo_traj_builder
    db_path: {db}
    custom_step_name: dpo_candidate_move   # NAT's example passes it; nobody reads it
trainer_adapters:
  offline:
    _type: prefstore_trainer_adapter
    db_path: {db}
    output_dir: {datasets}
    format: trl
    validation_fraction: 0.5
    max_pairs: 14
    seed: 3
trainers:
  collect:
    _type: nemo_customizer_trainer
    num_runs: 2
finetuning:
  enabled: true
  trainer: collect
  trajectory_builder: dpo
  trainer_adapter: offline
  output_dir: {finetune}
"""


def test_nat_finetune_writes_prefstore_exports_offline_deterministically(tmp_path, caplog):
    pytest.importorskip("nat.plugins.customizer.dpo.trainer")
    from nat.data_models.finetuning import FinetuneRunConfig
    from nat.finetuning.finetuning_runtime import finetuning_main

    questions = [(f"e{i}", f"Question number {i}?") for i in range(8)]
    db, datasets = tmp_path / "store.duckdb", tmp_path / "datasets"
    config = eval_config(tmp_path, questions, finetune=FINETUNE.format(
        db=db, datasets=datasets, finetune=tmp_path / "finetune"))
    with caplog.at_level(logging.WARNING, logger="prefstore.nat"):
        for _ in range(2):  # two `nat finetune` invocations over the same data
            asyncio.run(finetuning_main(FinetuneRunConfig(config_file=config)))
    assert "prefstore_dpo_traj_builder: unknown option(s) custom_step_name are ignored; known options:" in caplog.text

    exports = sorted(datasets.iterdir())
    assert len(exports) == 2
    files = [{p.name: p.read_bytes() for p in folder.iterdir() if p.suffix == ".jsonl"} for folder in exports]
    assert set(files[0]) == {"train.jsonl", "test.jsonl"} and files[0] == files[1]  # byte-identical
    manifests = [json.loads((folder / "manifest.json").read_text()) for folder in exports]
    with PreferenceStore(db, read_only=True) as store:
        runs = store.runs()
    assert len(runs) == 4
    for folder, manifest in zip(exports, manifests):  # each export holds its own finetune's two runs
        assert [r["run_id"] for r in manifest["runs"]] == [f"{folder.name}_run0", f"{folder.name}_run1"]
        assert manifest["options"]["max_pairs"] == 14 and manifest["options"]["seed"] == 3
        assert sum(s["pairs"] for s in manifest["splits"].values()) == 14
    train, test = ([json.loads(line) for line in files[0][name].splitlines()] for name in ("train.jsonl", "test.jsonl"))
    assert train and test and len(train) + len(test) == 14
    prompt = lambda row: row["prompt"][-1]["content"]  # noqa: E731
    assert not {prompt(r) for r in train} & {prompt(r) for r in test}  # split by example
    for row in train + test:  # the judge's order: #1 (0.9) > #2 (0.5) > #0 (0.2)
        ranks = [nat_fakes.JUDGE_SCORES[nat_fakes.answer_number(row[key][-1]["content"])]
                 for key in ("chosen", "rejected")]
        assert ranks[0] > ranks[1]
    final = json.loads((tmp_path / "finetune" / "final_metrics.json").read_text())  # NAT's trainer wrote it
    last = runs[-1]["run_id"].rsplit("_run", 1)[0]
    assert final["status"] == "completed" and final["run_id"] == last
    assert final["job_metadata"]["output_dir"] == str((datasets / last).resolve())
    assert final["job_metadata"]["splits"] == {name: {k: v for k, v in split.items() if k != "sha256"}
                                              for name, split in manifests[0]["splits"].items()}


def test_trainer_adapter_refuses_runs_it_cannot_trace_to_the_prefstore_builder():
    from prefstore.errors import BadInput
    from prefstore.nat_trainer import finetune_selection

    with pytest.raises(BadInput, match="no run of finetune 'nemo_dpo_1' in the store; .* prefstore_dpo_traj_builder"):
        finetune_selection([{"run_id": "other", "meta": {}}], "nemo_dpo_1")
    with pytest.raises(BadInput, match="run 'nemo_dpo_1_run0' was not stored by prefstore_dpo_traj_builder"):
        finetune_selection([{"run_id": "nemo_dpo_1_run0", "meta": {"run_id": "nemo_dpo_1"}}], "nemo_dpo_1")
    builder = {"ttc_step_name": "moves", "exhaustive_pairs": False, "min_score_diff": 0.2, "pair_scope": "store"}
    runs = [{"run_id": f"nemo_dpo_1_run{i}", "meta": {"run_id": "nemo_dpo_1", "trajectory_builder": builder}}
            for i in range(2)] + [{"run_id": "x", "meta": {}}]
    config, selected, mine = finetune_selection(runs, "nemo_dpo_1")
    assert (config.ttc_step_name, config.exhaustive_pairs, config.min_score_diff) == ("moves", False, 0.2)
    assert selected is None and mine == ["nemo_dpo_1_run0", "nemo_dpo_1_run1"]  # pair_scope store: every run
