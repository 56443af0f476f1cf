"""Cross-checks on ../shared/samples/nat-eval, when that folder happens to sit beside the checkout.

Nothing else depends on these files, and without them this module is not even collected
(conftest.py's collect_ignore): a fresh clone has no ../shared. They add what generated data
cannot: NAT builder output recorded from a real NAT run (`nat_builder_pairs*.jsonl` beside each
`workflow_output.json`), and the step layout of a file NAT wrote.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from prefstore import PairConfig, PreferenceStore
from prefstore.sample_data import write_nat_eval

from .conftest import NAT_BUILDER, NAT_MISSING, SHARED_SAMPLES
from .test_sample_data import SMALL

RECORDED = [
    ("run1", "nat_builder_pairs.jsonl", PairConfig()),
    ("run2", "nat_builder_pairs.jsonl", PairConfig()),
    ("int-ids", "nat_builder_pairs.jsonl", PairConfig()),
    ("run1", "nat_builder_pairs_best_vs_worst_min0.1.jsonl", PairConfig(exhaustive_pairs=False, min_score_diff=0.1)),
]
IDS = [f"{run}-{name}" for run, name, _ in RECORDED]


def shared_file(run: str) -> Path:
    return SHARED_SAMPLES / run / "workflow_output.json"


def recorded(run: str, name: str) -> list[dict]:
    """NAT's recorded pairs, equal-score pairs included, without the recording's `run` key."""
    lines = [json.loads(line) for line in (SHARED_SAMPLES / run / name).read_text().splitlines()]
    for line in lines:
        line.pop("run")
    return lines


def flatten(collection, drop_run_id: bool) -> list[dict]:
    rows = []
    for group in collection.model_dump(mode="json")["trajectories"]:
        for trajectory in group:
            (item,) = trajectory["episode"]
            metadata = dict(trajectory["metadata"])
            if drop_run_id:
                metadata.pop("run_id")
            rows.append({**item, "reward": trajectory["reward"], "metadata": metadata})
    return rows


@pytest.mark.parametrize(("run", "name", "config"), RECORDED, ids=IDS)
def test_trajectories_equal_the_recorded_nat_pairs(tmp_path, run, name, config):
    with PreferenceStore(tmp_path / "s.duckdb") as store:
        store.ingest_nat_eval(shared_file(run))
        ours = flatten(store.trajectories(config), drop_run_id=True)
    expected = [line for line in recorded(run, name) if line["metadata"]["score_diff"] != 0]
    assert ours and ours == expected


@pytest.mark.parametrize(("run", "name", "config"), RECORDED, ids=IDS)
def test_the_live_nat_harness_reproduces_the_recording(run, name, config):
    """tests/nat_reference.py, the harness every conformance test runs NAT's builder through,
    gives exactly what NAT gave when the recording was made, equal-score pairs included."""
    pytest.importorskip(NAT_BUILDER, reason=NAT_MISSING)
    from .nat_reference import nat_collections, nat_items_from_file
    (collection,) = nat_collections(nat_items_from_file(shared_file(run)), [config])
    assert flatten(collection, drop_run_id=False) == recorded(run, name)


def _shape(value: Any) -> Any:
    """Nested key structure of a step, ignoring values."""
    if isinstance(value, dict):
        return {k: _shape(v) for k, v in value.items() if k != "input"} | {"input?": "input" in value}
    return None


def test_generated_steps_have_the_real_sample_shapes(tmp_path):
    def shapes(items: list[dict[str, Any]]) -> dict[tuple[str, str], Any]:
        out: dict[tuple[str, str], Any] = {}
        for item in items:
            for step in item["intermediate_steps"]:
                p = step["payload"]
                key = (p["event_type"], p["name"])
                shape = _shape(step)
                shape["payload"].pop("metadata")  # free-form
                assert out.setdefault(key, shape) == shape
        return out

    write_nat_eval(tmp_path / "small.json", SMALL)
    generated = json.loads((tmp_path / "small.json").read_text(encoding="utf-8"))
    real = json.loads(shared_file("run1").read_text(encoding="utf-8"))
    assert shapes(generated) == shapes(real)
    assert {k: type(v) for k, v in generated[0].items()} == {k: type(v) for k, v in real[0].items()}
