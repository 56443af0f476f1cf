"""`pair_scope='prompt'` pools, across runs and turns, the candidates of one example whose prompt
is identical. Tested on run1 + run2 of the samples with run2's prompts made equal to run1's on
purpose (same example and turn_index); expected pairs are computed here in pure Python."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from prefstore import PairConfig, PreferenceStore
from prefstore.models import ExportOptions

from .conftest import run_cli

STEP = "dpo_candidate_move"


def candidates(items: list[dict], run: str) -> list[dict]:
    found = []
    for item in items:
        for step in item["intermediate_steps"]:
            payload = step["payload"]
            if payload["event_type"] == "TTC_END" and payload["name"] == STEP:
                data = payload["data"]
                found.append({"run": run, "example_id": str(item["id"]), "turn_index": data["turn_index"],
                              "prompt": data["input"], "response": data["output"], "score": data["score"]})
    return found


@pytest.fixture(scope="module")
def runs(tmp_path_factory, sample_file) -> tuple[Path, Path, list[dict]]:
    """run1 as shipped, and run2 rewritten so each candidate has run1's prompt for its example and turn."""
    run1 = json.loads(sample_file("run1").read_text())
    run2 = json.loads(sample_file("run2").read_text())
    prompts = {(c["example_id"], c["turn_index"]): c["prompt"] for c in candidates(run1, "run1")}
    changed = 0
    for item in run2:
        for step in item["intermediate_steps"]:
            data = step["payload"].get("data") or {}
            key = (str(item["id"]), data.get("turn_index"))
            if step["payload"]["event_type"] == "TTC_END" and key in prompts:
                changed += data["input"] != prompts[key]
                data["input"] = prompts[key]
    assert changed > 50, "the rewrite must make prompts equal that were not"
    folder = tmp_path_factory.mktemp("scope")
    same = folder / "run2_same_prompts.json"
    same.write_text(json.dumps(run2))
    return sample_file("run1"), same, candidates(run1, "run1") + candidates(run2, "run2")


def expected_pairs(pool: list[dict]) -> Counter:
    """Strict pairs among candidates of one example with identical prompts, all runs and turns."""
    groups: dict[tuple, list[dict]] = defaultdict(list)
    for c in pool:
        groups[(c["example_id"], json.dumps(c["prompt"]))].append(c)
    pairs = Counter()
    for (example_id, prompt), members in groups.items():
        for chosen in members:
            for rejected in members:
                if chosen["score"] > rejected["score"]:
                    pairs[(example_id, prompt, chosen["response"], rejected["response"],
                           chosen["score"], rejected["score"])] += 1
    return pairs


def found_pairs(pairs) -> Counter:
    return Counter((p.example_id, json.dumps(p.model_dump(mode="json")["prompt"]), p.chosen_response,
                    p.rejected_response, p.chosen_score, p.rejected_score) for p in pairs)


@pytest.fixture(scope="module")
def store(tmp_path_factory, runs) -> PreferenceStore:
    run1, run2, _ = runs
    with PreferenceStore(tmp_path_factory.mktemp("scope_store") / "s.duckdb") as s:
        s.ingest_nat_eval(run1, run_id="run1")
        s.ingest_nat_eval(run2, run_id="run2")
        yield s


def test_prompt_scope_pools_candidates_across_runs(store, runs):
    pool = runs[2]
    expected = expected_pairs(pool)
    pooled = store.pairs(PairConfig(pair_scope="prompt"))
    assert found_pairs(pooled) == expected
    per_turn = store.pairs(PairConfig())
    assert len(pooled) > len(per_turn), "pooling repeated runs must yield more pairs"
    assert {p.run_id for p in pooled if p.chosen_response.startswith("move")} == {"run1", "run2"}
    assert store.count_pairs(PairConfig(pair_scope="prompt")) == len(pooled)
    examples = [p.example_id for p in pooled]
    assert examples == sorted(examples, key=lambda e: int(e.split("_")[1])), "grouped by example, in arrival order"


def test_prompt_scope_best_vs_worst(store, runs):
    groups: dict[tuple, list[dict]] = defaultdict(list)
    for position, c in enumerate(runs[2]):
        groups[(c["example_id"], json.dumps(c["prompt"]))].append(dict(c, position=position))
    expected = Counter()
    for members in groups.values():
        best = min(members, key=lambda c: (-c["score"], c["position"]))     # earliest among tied best
        worst = max(members, key=lambda c: (-c["score"], c["position"]))    # latest among tied worst
        if best["score"] > worst["score"]:
            expected[(best["example_id"], json.dumps(best["prompt"]), best["response"], worst["response"],
                      best["score"], worst["score"])] += 1
    assert found_pairs(store.pairs(PairConfig(pair_scope="prompt", exhaustive_pairs=False))) == expected


def test_turn_scope_is_unchanged(store, runs):
    run1, run2, _ = runs
    per_turn = found_pairs(store.pairs(PairConfig()))
    with PreferenceStore(":memory:") as one:
        one.ingest_nat_eval(run1)
        alone = found_pairs(one.pairs())
    with PreferenceStore(":memory:") as two:
        two.ingest_nat_eval(run2)
        alone += found_pairs(two.pairs())
    assert per_turn == alone


def test_prompt_scope_export_and_cli(store, runs, tmp_path):
    manifest = store.export(tmp_path / "p.jsonl", PairConfig(pair_scope="prompt"), ExportOptions(dedup=False))
    assert manifest["pair_options"]["pair_scope"] == "prompt"
    assert manifest["splits"]["all"]["pairs"] == sum(expected_pairs(runs[2]).values())
    db = tmp_path / "cli.duckdb"
    run_cli("--db", db, "ingest", runs[0], runs[1], "-q", check=True)
    result = run_cli("--db", db, "pairs", "--pair-scope", "prompt", "--limit", "0", "--format", "jsonl", check=True)
    assert len(result.stdout.splitlines()) == sum(expected_pairs(runs[2]).values())
