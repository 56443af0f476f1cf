"""Dataset operations of `export`: dedup, deterministic sampling, curriculum order and fraction,
the `examples` view, and the split by example. Each expected result is computed here in pure
Python from NAT's own pairs (its DPOTrajectoryBuilder run here, the `nat_pairs` fixture) of two
generated runs over the same items, the second repeating two of the first run's items verbatim."""

from __future__ import annotations

import hashlib
import json
import math
from collections import defaultdict
from pathlib import Path

import pytest

from prefstore import PairConfig, PreferenceStore
from prefstore.errors import SplitImpossible
from prefstore.models import ExportOptions

from .conftest import run_cli, turn_scores

RUNS = ("run1", "run2")
REPEATED = ("game_3", "game_11")  # items run2 takes over from run1 unchanged


@pytest.fixture(scope="module")
def sources(tmp_path_factory, sample_file) -> dict[str, Path]:
    """run1 as generated, and the generated run2 with the items REPEATED replaced by run1's own: a
    re-evaluation that reproduced those candidates, so their pairs' texts repeat across the runs."""
    run1 = {item["id"]: item for item in json.loads(sample_file("run1").read_text(encoding="utf-8"))}
    run2 = [run1[item["id"]] if item["id"] in REPEATED else item
            for item in json.loads(sample_file("run2").read_text(encoding="utf-8"))]
    assert set(REPEATED) <= run1.keys() and len(run2) == len(run1)
    path = tmp_path_factory.mktemp("ops") / "run2.json"
    path.write_text(json.dumps(run2, indent=2, ensure_ascii=False), encoding="utf-8")
    return {"run1": sample_file("run1"), "run2": path}


@pytest.fixture(scope="module")
def reference(sources, nat_pairs):
    """`reference(run)`: NAT's pairs of one run (ties aside), each labelled with its run."""
    return lambda run: [dict(line, run=run) for line in nat_pairs(sources[run])]


def identity(line: dict) -> tuple:
    m = line["metadata"]
    return (line["run"], m["example_id"], m["turn_id"], m["chosen_index"], m["rejected_index"])


def prompt_text(prompt) -> str:
    """The prompt's JSON text as the store keeps it (compact, as given)."""
    return json.dumps(prompt, separators=(",", ":"), ensure_ascii=False)


def md5(text: str) -> str:
    return hashlib.md5(text.encode("utf-8")).hexdigest()


def md5_number(text: str) -> int:
    """DuckDB's md5_number: the digest bytes as a little-endian unsigned 128-bit integer."""
    return int.from_bytes(hashlib.md5(text.encode("utf-8")).digest(), "little")


def split_unit(example_id: str, seed: int) -> float:
    return int(md5(f"{example_id}\x1f{seed}")[:8], 16) / 2**32


@pytest.fixture(scope="module")
def combined(sources, reference) -> list[dict]:
    """All pairs of run1 + run2 in output order: examples by first arrival, then run, turn, rank."""
    first_seen = {}
    for run in RUNS:
        for item in json.loads(sources[run].read_text()):
            first_seen.setdefault(str(item["id"]), len(first_seen))
    lines = reference("run1") + reference("run2")
    return sorted(lines, key=lambda line: first_seen[line["metadata"]["example_id"]])


def dedup(lines: list[dict]) -> list[dict]:
    seen, kept = set(), []
    for line in lines:
        key = (prompt_text(line["prompt"]), line["chosen_response"], line["rejected_response"])
        if key not in seen:
            seen.add(key)
            kept.append(line)
    return kept


@pytest.fixture(scope="module")
def store(tmp_path_factory, sources) -> PreferenceStore:
    path = tmp_path_factory.mktemp("ops") / "store.duckdb"
    with PreferenceStore(path) as s:
        for run in RUNS:
            s.ingest_nat_eval(sources[run], run_id=run)
        yield s


def exported(store: PreferenceStore, tmp_path, **options) -> list[tuple]:
    """Export as one trajectories file; the pair identities in output order."""
    out = tmp_path / f"t{len(list(tmp_path.iterdir()))}.json"
    store.export(out, options=ExportOptions(format="trajectories", **options))
    collection = json.loads(out.read_text())
    return [(t["metadata"]["run_id"], t["metadata"]["example_id"], t["metadata"]["turn_id"],
             t["metadata"]["chosen_index"], t["metadata"]["rejected_index"])
            for group in collection["trajectories"] for t in group]


def test_dedup_keeps_first_occurrence_in_output_order(store, combined, reference, tmp_path):
    expected = dedup(combined)
    repeated = [line for line in reference("run1") if line["metadata"]["example_id"] in REPEATED]
    assert len(combined) - len(expected) == len(repeated) > 0, "run2 repeats the pairs of the REPEATED items"
    assert exported(store, tmp_path) == [identity(line) for line in expected]
    assert exported(store, tmp_path, dedup=False) == [identity(line) for line in combined]


def test_sampling_is_seeded_and_matches_independent_selection(store, combined, tmp_path):
    pool = dedup(combined)

    def sample(seed: int, n: int) -> list[tuple]:
        keyed = sorted(range(len(pool)), key=lambda i: (md5(
            f"{seed}\x1f{md5_number(prompt_text(pool[i]['prompt']))}\x1f{md5_number(pool[i]['chosen_response'])}"
            f"\x1f{md5_number(pool[i]['rejected_response'])}"), i))
        return [identity(pool[i]) for i in sorted(keyed[:n])]

    first = exported(store, tmp_path, max_pairs=40, seed=7)
    assert first == sample(7, 40)
    assert exported(store, tmp_path, max_pairs=40, seed=7) == first
    assert exported(store, tmp_path, max_pairs=40, seed=8) == sample(8, 40) != first
    assert len(exported(store, tmp_path, max_pairs=10_000)) == len(pool)


def example_means(lines: list[dict]) -> dict[str, float]:
    rewards: dict[str, list[float]] = defaultdict(list)
    for line in lines:
        rewards[line["metadata"]["example_id"]].append(line["reward"])
    return {example: sum(values) / len(values) for example, values in rewards.items()}


@pytest.mark.parametrize("order", ["easy-first", "hard-first"])
def test_curriculum_order_by_mean_reward(store, combined, tmp_path, order):
    means = example_means(combined)
    values = sorted(means.values())
    assert min(b - a for a, b in zip(values, values[1:])) > 1e-9, "no near-ties in the sample"
    arrival = list(dict.fromkeys(line["metadata"]["example_id"] for line in combined))
    ranked = sorted(arrival, key=lambda e: (-means[e] if order == "easy-first" else means[e], arrival.index(e)))
    expected = [identity(line) for e in ranked for line in combined if line["metadata"]["example_id"] == e]
    assert exported(store, tmp_path, order=order, dedup=False) == expected


def test_example_fraction_keeps_the_easiest_in_file_order(store, combined, tmp_path):
    means = example_means(combined)
    easiest = set(sorted(means, key=lambda e: -means[e])[:math.floor(0.25 * len(means))])
    assert 1 < len(easiest) < len(means)
    expected = [identity(line) for line in combined if line["metadata"]["example_id"] in easiest]
    assert exported(store, tmp_path, example_fraction=0.25, dedup=False) == expected
    one = exported(store, tmp_path, example_fraction=0.01, dedup=False)   # never fewer than one example
    assert {row[1] for row in one} == set(sorted(means, key=lambda e: -means[e])[:1])


def test_examples_view_matches_default_pairs(store, combined):
    columns, rows = store.query(
        "SELECT example_id, pairs, mean_reward, min_reward, max_reward FROM examples "
        "WHERE step_name = 'dpo_candidate_move' ORDER BY first_seq")
    per_example: dict[str, list[float]] = defaultdict(list)
    for line in combined:
        per_example[line["metadata"]["example_id"]].append(line["reward"])
    assert [r[0] for r in rows] == list(per_example)
    for example_id, pairs, mean, low, high in rows:
        rewards = per_example[example_id]
        assert pairs == len(rewards)
        assert mean == pytest.approx(sum(rewards) / len(rewards), abs=1e-12)
        assert (low, high) == (pytest.approx(min(rewards)), pytest.approx(max(rewards)))
    _, other = store.query("SELECT sum(pairs), count(mean_reward) FROM examples WHERE step_name = 'other_ttc_step'")
    assert other == [(0, 0)], "single-candidate turns: no pairs, no reward"


def sides(store: PreferenceStore, out, **options) -> dict[str, set[str]]:
    """Export parquet splits; example ids on each side."""
    import duckdb
    manifest = store.export(out, options=ExportOptions(format="parquet", **options))
    found = {}
    with duckdb.connect() as con:
        for split, entry in manifest["splits"].items():
            found[split] = {r[0] for r in con.execute(
                "SELECT DISTINCT example_id FROM read_parquet($p)", {"p": str(out / entry["file"])}).fetchall()}
    return found


def test_split_by_example_hash_never_on_both_sides(store, combined, tmp_path):
    examples = {line["metadata"]["example_id"] for line in combined}
    for seed in (0, 1):
        got = sides(store, tmp_path / f"seed{seed}", split_seed=seed)
        expected_validation = {e for e in examples if split_unit(e, seed) < 0.2}
        assert expected_validation and expected_validation != examples, "precondition: no fallback"
        assert got["validation"] == expected_validation
        assert got["train"] == examples - expected_validation
        assert not got["train"] & got["validation"]


def test_split_stable_when_another_run_is_added(tmp_path, sources, sample_file):
    added = {example for (example, _), scores in turn_scores(sample_file("int-ids")).items()
             if max(scores) > min(scores)}   # the int-ids examples that have pairs
    assert added and not added & {str(item["id"]) for item in json.loads(sources["run1"].read_text())}
    with PreferenceStore(tmp_path / "s.duckdb") as store:
        store.ingest_nat_eval(sources["run1"])
        before = sides(store, tmp_path / "before")
        store.ingest_nat_eval(sample_file("int-ids"))
        store.ingest_nat_eval(sources["run2"])
        after = sides(store, tmp_path / "after")
    new = (after["train"] | after["validation"]) - (before["train"] | before["validation"])
    assert new >= added           # (and run1's examples whose only pairs come from run2)
    assert after["validation"] - new == before["validation"]   # no example changed sides
    assert after["train"] - new == before["train"]


def candidates_file(path, example_ids) -> None:
    rows = []
    for example_id in example_ids:
        for index, score in enumerate((0.9, 0.5, 0.1)):
            rows.append({"example_id": example_id, "turn_id": "t0", "prompt": f"q {example_id}",
                         "response": f"r{index}", "score": score})
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))


def test_empty_validation_moves_the_lowest_hash_example(store, combined, tmp_path):
    examples = {line["metadata"]["example_id"] for line in combined}
    fraction = 0.001
    assert all(split_unit(e, 0) >= fraction for e in examples), "precondition: nothing falls below"
    got = sides(store, tmp_path / "low", validation_fraction=fraction)
    assert got["validation"] == {min(examples, key=lambda e: split_unit(e, 0))}
    assert got["train"] == examples - got["validation"]


def test_full_validation_moves_the_highest_hash_example_back(tmp_path):
    ids = ["a", "b", "c"]
    fraction = 0.999
    assert all(split_unit(e, 0) < fraction for e in ids), "precondition: everything falls below"
    candidates_file(tmp_path / "c.jsonl", ids)
    with PreferenceStore(tmp_path / "s.duckdb") as store:
        store.ingest_candidates(tmp_path / "c.jsonl")
        got = sides(store, tmp_path / "out", validation_fraction=fraction)
    assert got["train"] == {max(ids, key=lambda e: split_unit(e, 0))}
    assert got["validation"] == set(ids) - got["train"]


def test_one_example_refused_unless_no_validation(tmp_path, db_path):
    candidates_file(tmp_path / "one.jsonl", ["only"])
    with PreferenceStore(db_path) as store:
        store.ingest_candidates(tmp_path / "one.jsonl")
        with pytest.raises(SplitImpossible, match="one example.*--validation-fraction 0"):
            store.export(tmp_path / "refused", options=ExportOptions(format="trl"))
        assert not (tmp_path / "refused").exists()
        with pytest.raises(SplitImpossible, match="no pairs"):
            store.export(tmp_path / "none", PairConfig(ttc_step_name="no_such_step"))
        manifest = store.export(tmp_path / "ok", options=ExportOptions(format="trl", validation_fraction=0))
    assert list(manifest["splits"]) == ["train"] and manifest["splits"]["train"]["pairs"] == 3
    assert sorted(p.name for p in (tmp_path / "ok").iterdir()) == ["manifest.json", "train.jsonl"]
    result = run_cli("--db", db_path, "export", tmp_path / "cli", "--format", "openai")
    assert result.returncode == 1 and result.stderr.startswith("Error: ") and "Traceback" not in result.stderr


def test_cli_dataset_options_match_library(tmp_path, db_path, sources):
    with PreferenceStore(db_path) as s:
        for run in RUNS:
            s.ingest_nat_eval(sources[run], run_id=run)
    options = ["--format", "trl", "--max-pairs", "60", "--seed", "4", "--order", "easy-first",
               "--example-fraction", "0.6", "--split-seed", "9", "--validation-fraction", "0.3"]
    run_cli("--db", db_path, "export", tmp_path / "cli", *options, check=True)
    with PreferenceStore(db_path, read_only=True) as s:
        s.export(tmp_path / "lib", options=ExportOptions(
            format="trl", max_pairs=60, seed=4, order="easy-first", example_fraction=0.6, split_seed=9,
            validation_fraction=0.3))
    for name in ("manifest.json", "train.jsonl", "test.jsonl"):
        assert (tmp_path / "cli" / name).read_bytes() == (tmp_path / "lib" / name).read_bytes()
    assert json.loads((tmp_path / "cli" / "manifest.json").read_text())["options"]["max_pairs"] == 60
