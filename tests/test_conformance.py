"""Pairs equal NAT's own DPOTrajectoryBuilder output on the shared samples, tie lines aside."""

from __future__ import annotations

import json

import pytest

from prefstore import PairConfig, PreferenceStore

from .conftest import SAMPLES, sample_file

CASES = [
    ("run1", "nat_builder_pairs.jsonl", PairConfig()),
    ("run2", "nat_builder_pairs.jsonl", PairConfig()),
    ("int-ids", "nat_builder_pairs.jsonl", PairConfig()),
    ("run1", "nat_builder_pairs_best_vs_worst_min0.1.jsonl",
     PairConfig(exhaustive_pairs=False, min_score_diff=0.1)),
]


def reference(run: str, name: str) -> list[dict]:
    """NAT's lines without its equal-score pairs (no preference; prefstore never emits them)."""
    lines = [json.loads(line) for line in (SAMPLES / run / name).read_text().splitlines()]
    for line in lines:
        line.pop("run")
    return [line for line in lines if line["metadata"]["score_diff"] != 0]


def flatten(collection) -> list[dict]:
    rows = []
    for group in collection.model_dump(mode="json")["trajectories"]:
        for trajectory in group:
            (item,) = trajectory["episode"]
            metadata = dict(trajectory["metadata"])
            metadata.pop("run_id")
            rows.append({**item, "reward": trajectory["reward"], "metadata": metadata})
    return rows


@pytest.mark.parametrize(("run", "ref", "config"), CASES, ids=[f"{c[0]}-{c[1]}" for c in CASES])
def test_trajectories_equal_nat_reference(tmp_path, run, ref, config):
    with PreferenceStore(tmp_path / "s.duckdb") as store:
        store.ingest_nat_eval(sample_file(run))
        ours = flatten(store.trajectories(config))
    expected = reference(run, ref)
    assert len(ours) == len(expected)
    for position, (mine, theirs) in enumerate(zip(ours, expected)):
        assert mine == theirs, f"pair {position} differs"


@pytest.mark.parametrize(("run", "ref", "config"), CASES, ids=[f"{c[0]}-{c[1]}" for c in CASES])
def test_trajectories_grouped_per_example_in_file_order(tmp_path, run, ref, config):
    with PreferenceStore(tmp_path / "s.duckdb") as store:
        store.ingest_nat_eval(sample_file(run))
        collection = store.trajectories(config)
    groups = [[t.metadata["example_id"] for t in group] for group in collection.trajectories]
    assert all(len(set(ids)) == 1 for ids in groups), "one example per inner list"
    order = [ids[0] for ids in groups]
    file_order = [str(item["id"]) for item in json.loads(sample_file(run).read_text())]
    assert order == [i for i in file_order if i in set(order)]


def test_equal_scores_never_pair(tmp_path):
    nat_ties = [line for line in (SAMPLES / "run1" / "nat_builder_pairs.jsonl").read_text().splitlines()
                if json.loads(line)["metadata"]["score_diff"] == 0]
    assert nat_ties, "the sample holds NAT's tie pairs on purpose"
    with PreferenceStore(tmp_path / "s.duckdb") as store:
        store.ingest_nat_eval(sample_file("run1"))
        pairs = store.pairs()
    assert pairs and all(p.chosen_score > p.rejected_score for p in pairs)


def test_nemo_export_matches_reference_prompts(tmp_path):
    """The NeMo line's prompt is the string prompt or the last message's content."""
    out = tmp_path / "train.jsonl"
    with PreferenceStore(tmp_path / "s.duckdb") as store:
        store.ingest_nat_eval(sample_file("run1"))
        count = store.export_jsonl(out, PairConfig())
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    expected = []
    for line in reference("run1", "nat_builder_pairs.jsonl"):
        prompt = line["prompt"] if isinstance(line["prompt"], str) else line["prompt"][-1]["content"]
        expected.append({"prompt": prompt, "chosen_response": line["chosen_response"],
                         "rejected_response": line["rejected_response"]})
    assert count == len(lines) == len(expected)
    assert lines == expected
    assert all(list(line) == ["prompt", "chosen_response", "rejected_response"] for line in lines)
