"""Tests of the NAT-format sample generator and of the in-memory baseline."""

from __future__ import annotations

import dataclasses
import itertools
import json
import subprocess
import sys
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import pytest

from prefstore.sample_data import SCALES, SampleSpec, main, write_demo_runs, write_nat_eval

ROOT = Path(__file__).resolve().parent.parent

SMALL = SampleSpec(n_items=12, turns_per_item=4, min_candidates=1, max_candidates=6, seed=7,
                   message_prompt_ratio=0.5, tie_ratio=0.5, single_candidate_ratio=0.25,
                   non_ascii_ratio=0.5)


def _write(tmp_path: Path, spec: SampleSpec, name: str = "out.json") -> tuple[Path, dict[str, int]]:
    path = tmp_path / name
    return path, write_nat_eval(path, spec)


def _load(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as f:
        return json.load(f)


def _candidates(items: list[dict[str, Any]]) -> list[tuple[Any, dict[str, Any]]]:
    return [
        (item["id"], step["payload"])
        for item in items
        for step in item["intermediate_steps"]
        if step["payload"]["event_type"] == "TTC_END" and step["payload"]["name"] == "dpo_candidate_move"
    ]


def _turns(items: list[dict[str, Any]]) -> dict[tuple[str, str], list[dict[str, Any]]]:
    turns: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for item_id, payload in _candidates(items):
        turns[(str(item_id), payload["data"]["turn_id"])].append(payload["data"])
    return turns


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, int], list[dict[str, Any]]]:
    path, counts = _write(tmp_path_factory.mktemp("small"), SMALL)
    return path, counts, _load(path)


def test_same_spec_is_byte_identical_and_seed_matters(tmp_path: Path) -> None:
    a, _ = _write(tmp_path, SMALL, "a.json")
    b, _ = _write(tmp_path, SMALL, "b.json")
    c, _ = _write(tmp_path, dataclasses.replace(SMALL, seed=8), "c.json")
    assert a.read_bytes() == b.read_bytes()
    assert a.read_bytes() != c.read_bytes()


@pytest.mark.parametrize("indent", [2, None])
def test_layout_is_what_json_dumps_writes(tmp_path: Path, indent: int | None) -> None:
    """NAT writes json.dumps(items, indent=2); the templates must reproduce it exactly."""
    path, _ = _write(tmp_path, dataclasses.replace(SMALL, indent=indent))
    text = path.read_text(encoding="utf-8")
    assert text == json.dumps(json.loads(text), indent=indent, ensure_ascii=False)


@pytest.mark.parametrize("spec", [
    dataclasses.replace(SMALL, n_items=0),
    dataclasses.replace(SMALL, n_items=2, turns_per_item=0),
])
def test_degenerate_specs_are_valid_json(tmp_path: Path, spec: SampleSpec) -> None:
    path, counts = _write(tmp_path, spec)
    text = path.read_text(encoding="utf-8")
    assert len(json.loads(text)) == spec.n_items == counts["items"]
    assert text == json.dumps(json.loads(text), indent=2)


def test_structure_matches_the_nat_sample(small: tuple[Path, dict[str, int], list[dict[str, Any]]]) -> None:
    _, _, items = small
    assert all(list(item) == ["id", "question", "answer", "generated_answer", "intermediate_steps",
                              "expected_intermediate_steps"] for item in items)
    step = items[0]["intermediate_steps"][0]
    assert list(step) == ["parent_id", "function_ancestry", "payload"]
    assert list(step["function_ancestry"]) == ["function_id", "function_name", "parent_id", "parent_name"]
    assert list(step["payload"]) == ["event_type", "event_timestamp", "span_event_timestamp", "framework",
                                     "name", "tags", "metadata", "data", "usage_info", "UUID"]
    for _, payload in _candidates(items):
        assert list(payload["data"]) == ["input", "output", "chunk", "payload", "turn_id", "turn_index",
                                         "candidate_index", "score"]
        assert list(payload["metadata"]) == ["move_id", "is_selected", "candidate_index"]
    kinds = Counter((s["payload"]["event_type"], s["payload"]["name"]) for i in items for s in i["intermediate_steps"])
    assert set(kinds) == {("LLM_END", "llm"), ("TTC_START", "dpo_candidate_move"),
                          ("TTC_END", "dpo_candidate_move"), ("TTC_END", "other_ttc_step")}
    assert kinds[("TTC_START", "dpo_candidate_move")] == kinds[("TTC_END", "dpo_candidate_move")]
    assert kinds[("TTC_END", "other_ttc_step")] == SMALL.n_items * SMALL.turns_per_item


def test_counts_match_content(small: tuple[Path, dict[str, int], list[dict[str, Any]]]) -> None:
    path, counts, items = small
    assert counts["items"] == len(items) == SMALL.n_items
    assert counts["steps"] == sum(len(i["intermediate_steps"]) for i in items)
    assert counts["candidates"] == len(_candidates(items))
    assert counts["bytes"] == path.stat().st_size


def test_scores_and_ids_are_well_formed(small: tuple[Path, dict[str, int], list[dict[str, Any]]]) -> None:
    _, _, items = small
    uuids = [s["payload"]["UUID"] for i in items for s in i["intermediate_steps"]]
    assert len(set(uuids)) == len(uuids)
    stamps = [s["payload"]["event_timestamp"] for i in items for s in i["intermediate_steps"]]
    assert stamps == sorted(stamps)
    for turn in _turns(items).values():
        assert [c["candidate_index"] for c in turn] == list(range(len(turn)))
        for c in turn:
            assert 0.0 <= c["score"] <= 1.0 and round(c["score"], 3) == c["score"]
        assert len({c["output"] for c in turn}) == len(turn)  # responses differ within a turn


def test_prompt_mix_and_utf8(small: tuple[Path, dict[str, int], list[dict[str, Any]]]) -> None:
    path, _, items = small
    turns = _turns(items)
    prompts = [turn[0]["input"] for turn in turns.values()]
    kinds = Counter(type(p).__name__ for p in prompts)
    assert kinds["list"] > 0 and kinds["str"] > 0
    for p in prompts:
        if isinstance(p, list):
            assert [m["role"] for m in p] == ["system", "user"]
    texts = [p[-1]["content"] if isinstance(p, list) else p for p in prompts]
    assert len(set(texts)) == len(texts)  # distinct per (item, turn)
    assert any(not t.isascii() for t in texts)
    assert not path.read_bytes().isascii()  # raw UTF-8, not \u escapes


def test_ties_and_single_candidate_turns(small: tuple[Path, dict[str, int], list[dict[str, Any]]]) -> None:
    sizes = [len(t) for t in _turns(small[2]).values()]
    ties = [len({c["score"] for c in t}) < len(t) for t in _turns(small[2]).values()]
    assert 1 in sizes and any(s > 1 for s in sizes)
    assert any(ties)


def test_no_ties_or_singles_when_disabled(tmp_path: Path) -> None:
    spec = dataclasses.replace(SMALL, tie_ratio=0.0, single_candidate_ratio=0.0, min_candidates=2)
    path, _ = _write(tmp_path, spec)
    for turn in _turns(_load(path)).values():
        assert 2 <= len(turn) <= spec.max_candidates
        assert len({c["score"] for c in turn}) == len(turn)


def test_int_ids_and_optional_steps(tmp_path: Path) -> None:
    spec = dataclasses.replace(SMALL, int_ids=True, other_step=False, ttc_start=False,
                               noise_llm_steps_per_turn=0, message_prompt_ratio=0.0)
    path, counts = _write(tmp_path, spec)
    items = _load(path)
    assert [i["id"] for i in items] == list(range(spec.n_items))
    assert counts["steps"] == counts["candidates"]
    assert all(isinstance(d["input"], str) for t in _turns(items).values() for d in t)


def test_demo_runs_share_items_not_turns(tmp_path: Path) -> None:
    paths = write_demo_runs(tmp_path)
    assert [p.relative_to(tmp_path).as_posix() for p in paths] == ["run1/workflow_output.json",
                                                                     "run2/workflow_output.json"]
    run1, run2 = (_load(p) for p in paths)
    assert [i["id"] for i in run1] == [i["id"] for i in run2]
    turns1, turns2 = ({k[1] for k in _turns(r)} for r in (run1, run2))
    assert turns1 and turns2 and not turns1 & turns2
    total = len(_candidates(run1)) + len(_candidates(run2))
    assert 200 <= total <= 1000


def test_presets_have_the_documented_shape() -> None:
    assert set(SCALES) == {"demo", "S", "M", "L", "many"}
    expected = {"S": 50_000, "M": 500_000, "L": 5_000_000, "many": 50_000}
    for name, target in expected.items():
        spec = SCALES[name]
        mean = spec.n_items * spec.turns_per_item * (spec.min_candidates + spec.max_candidates) / 2
        assert 0.9 * target <= mean <= 1.1 * target, name
    assert SCALES["many"].min_candidates == SCALES["many"].max_candidates == 64


def test_main_prints_counts(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "cli.json"
    assert main(["--scale", "demo", "--seed", "3", "--items", "4", str(out)]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["items"] == 4 and printed["bytes"] == out.stat().st_size
    assert len(_load(out)) == 4


def _expected_pairs(items: list[dict[str, Any]], min_score_diff: float) -> int:
    """Independent count: unordered candidate pairs per turn with distinct scores and a big enough gap."""
    n = 0
    for turn in _turns(items).values():
        for a, b in itertools.combinations([c["score"] for c in turn], 2):
            if a != b and abs(a - b) >= min_score_diff:
                n += 1
    return n


@pytest.mark.parametrize("min_diff", [0.0, 0.1])
def test_baseline_pair_count(tmp_path: Path, min_diff: float,
                             small: tuple[Path, dict[str, int], list[dict[str, Any]]]) -> None:
    path, _, items = small
    out = tmp_path / "pairs.jsonl"
    proc = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "baseline.py"), str(path), str(out), "--min-score-diff", str(min_diff)],
        capture_output=True, text=True, check=True, timeout=60,
    )
    expected = _expected_pairs(items, min_diff)
    assert f"pairs: {expected}" in proc.stdout
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(lines) == expected > 0
    assert all(list(line) == ["prompt", "chosen_response", "rejected_response"] for line in lines)
    assert all(isinstance(line["prompt"], str) for line in lines)
