"""Every export format: exact field names, order and types, the trainers' loaders, file layout,
manifest, byte-identical repeats. Expected lines are NAT's own pairs: its DPOTrajectoryBuilder run
here on each generated sample (the `nat_pairs` fixture), equal-score pairs set aside."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import duckdb
import pytest

from prefstore import PairConfig, PreferenceStore, TrajectoryCollection, __version__
from prefstore.errors import BadInput, BadOption
from prefstore.models import ExportOptions

from .conftest import run_cli


def as_messages(prompt) -> list[dict]:
    return [{"role": "user", "content": prompt}] if isinstance(prompt, str) else prompt


def last_message(prompt) -> str:
    return prompt if isinstance(prompt, str) else (prompt[-1]["content"] if prompt else "")


def read_lines(path: Path) -> list[dict]:
    raw = path.read_bytes()
    assert raw == b"" or raw.endswith(b"\n"), f"{path} lacks a trailing newline"
    return [json.loads(line) for line in raw.decode("utf-8").splitlines()]


def triple(prompt, chosen: str, rejected: str) -> str:
    return json.dumps([prompt, chosen, rejected], sort_keys=True)


@pytest.fixture(scope="module")
def run1(tmp_path_factory, sample_file) -> PreferenceStore:
    path = tmp_path_factory.mktemp("run1") / "store.duckdb"
    with PreferenceStore(path) as store:
        store.ingest_nat_eval(sample_file("run1"), run_id="run1")
        yield store


@pytest.fixture(scope="module")
def expected(sample_file, nat_pairs) -> list[dict]:
    lines = nat_pairs(sample_file("run1"))
    kinds = {type(line["prompt"]) for line in lines}
    assert kinds == {str, list}, "the sample must mix string and message-list prompts"
    return lines


def test_nemo_single_file_last_message(run1, expected, tmp_path):
    out = tmp_path / "train.jsonl"
    manifest = run1.export(out)
    lines = read_lines(out)
    assert [list(line) for line in lines] == [["prompt", "chosen_response", "rejected_response"]] * len(lines)
    assert lines == [{"prompt": last_message(e["prompt"]), "chosen_response": e["chosen_response"],
                      "rejected_response": e["rejected_response"]} for e in expected]
    assert manifest["format"] == "nemo" and manifest["splits"]["all"]["pairs"] == len(expected)
    assert (tmp_path / "train.jsonl.manifest.json").is_file()


def test_nemo_directory_layout_and_messages_style(run1, expected, tmp_path):
    out = tmp_path / "nemo"
    run1.export(out, options=ExportOptions(prompt_style="messages"))
    files = sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file())
    assert files == ["manifest.json", "training/training_file.jsonl", "validation/validation_file.jsonl"]
    lines = read_lines(out / "training/training_file.jsonl") + read_lines(out / "validation/validation_file.jsonl")
    assert all(list(line) == ["prompt", "chosen_response", "rejected_response"] for line in lines)
    assert all(isinstance(line["prompt"], list) and line["prompt"] for line in lines)
    assert sorted(triple(line["prompt"], line["chosen_response"], line["rejected_response"]) for line in lines) \
        == sorted(triple(as_messages(e["prompt"]), e["chosen_response"], e["rejected_response"]) for e in expected)


def test_trl_conversational_loads_with_datasets(run1, expected, tmp_path):
    out = tmp_path / "trl"
    manifest = run1.export(out, options=ExportOptions(format="trl"))
    assert sorted(p.name for p in out.iterdir()) == ["manifest.json", "test.jsonl", "train.jsonl"]
    lines = read_lines(out / "train.jsonl") + read_lines(out / "test.jsonl")
    for line in lines:
        assert list(line) == ["prompt", "chosen", "rejected"]
        assert all(list(m) == ["role", "content"] and isinstance(m["content"], str) for m in line["prompt"])
        for key in ("chosen", "rejected"):
            (message,) = line[key]
            assert message["role"] == "assistant" and isinstance(message["content"], str)
    assert sorted(triple(ln["prompt"], ln["chosen"][0]["content"], ln["rejected"][0]["content"]) for ln in lines) \
        == sorted(triple(as_messages(e["prompt"]), e["chosen_response"], e["rejected_response"]) for e in expected)
    datasets = pytest.importorskip("datasets", reason="in the dev extra; the shared /tmp/dev venv lacks it")
    loaded = datasets.load_dataset("json", data_files={"train": str(out / "train.jsonl"),
                                                       "test": str(out / "test.jsonl")},
                                   cache_dir=str(tmp_path / "hf"))
    assert loaded["train"].num_rows == manifest["splits"]["train"]["pairs"] > 0
    assert loaded["test"].num_rows == manifest["splits"]["validation"]["pairs"] > 0
    assert loaded["train"].column_names == ["prompt", "chosen", "rejected"]
    assert loaded["train"][0]["chosen"][0]["role"] == "assistant"


def test_trl_standard_refused_for_message_prompts_and_plain_for_strings(run1, tmp_path, sample_file, nat_pairs):
    with pytest.raises(BadOption, match="--prompt-style standard.*message-list prompt"):
        run1.export(tmp_path / "refused.jsonl", options=ExportOptions(format="trl", prompt_style="standard"))
    assert not (tmp_path / "refused.jsonl").exists()
    with PreferenceStore(tmp_path / "ints.duckdb") as store:
        store.ingest_nat_eval(sample_file("int-ids"))
        store.export(tmp_path / "std.jsonl", options=ExportOptions(format="trl", prompt_style="standard"))
    lines = read_lines(tmp_path / "std.jsonl")
    assert lines == [
        {"prompt": e["prompt"], "chosen": e["chosen_response"], "rejected": e["rejected_response"]}
        for e in nat_pairs(sample_file("int-ids"))]
    assert lines


def test_openai_preference_fields(run1, expected, tmp_path):
    out = tmp_path / "openai"
    run1.export(out, options=ExportOptions(format="openai", validation_fraction=0.3))
    assert sorted(p.name for p in out.iterdir()) == ["manifest.json", "training.jsonl", "validation.jsonl"]
    lines = read_lines(out / "training.jsonl") + read_lines(out / "validation.jsonl")
    for line in lines:
        assert list(line) == ["input", "preferred_output", "non_preferred_output"]
        assert list(line["input"]) == ["messages"]
    assert sorted(triple(ln["input"]["messages"], ln["preferred_output"][0]["content"],
                         ln["non_preferred_output"][0]["content"]) for ln in lines) \
        == sorted(triple(as_messages(e["prompt"]), e["chosen_response"], e["rejected_response"]) for e in expected)
    assert all(ln["preferred_output"] == [{"role": "assistant", "content": ln["preferred_output"][0]["content"]}]
               for ln in lines)


def test_parquet_columns_types_and_datasets(run1, expected, tmp_path):
    out = tmp_path / "pq"
    run1.export(out, options=ExportOptions(format="parquet"))
    assert sorted(p.name for p in out.iterdir()) == ["manifest.json", "test.parquet", "train.parquet"]
    datasets = pytest.importorskip("datasets", reason="in the dev extra; the shared /tmp/dev venv lacks it")
    loaded = datasets.load_dataset("parquet", data_files={"train": str(out / "train.parquet"),
                                                          "test": str(out / "test.parquet")},
                                   cache_dir=str(tmp_path / "hf"))
    columns = ["prompt", "chosen", "rejected", "example_id", "run_id", "turn_id",
               "chosen_score", "rejected_score", "score_diff", "reward"]
    assert loaded["train"].column_names == columns
    features = loaded["train"].features
    for name in ("example_id", "run_id", "turn_id"):
        assert features[name].dtype == "string"
    for name in ("chosen_score", "rejected_score", "score_diff", "reward"):
        assert features[name].dtype == "float64"
    rows = list(loaded["train"]) + list(loaded["test"])
    by_key = {(e["metadata"]["example_id"], e["metadata"]["turn_id"], e["chosen_response"],
               e["rejected_response"]): e for e in expected}
    assert len(rows) == len(by_key) == len(expected)
    for row in rows:
        e = by_key[(row["example_id"], row["turn_id"], row["chosen"][0]["content"], row["rejected"][0]["content"])]
        assert row["prompt"] == as_messages(e["prompt"])
        assert row["run_id"] == "run1"
        assert (row["chosen_score"], row["rejected_score"]) == (e["metadata"]["chosen_score"],
                                                                e["metadata"]["rejected_score"])
        assert row["score_diff"] == row["reward"] == e["reward"]


def test_trajectories_file_is_nat_collection(run1, expected, tmp_path):
    out = tmp_path / "trajectories.json"
    run1.export(out)
    text = out.read_text(encoding="utf-8")
    collection = TrajectoryCollection.model_validate_json(text)
    assert text == collection.model_dump_json() + "\n"
    assert collection.run_id == "run1"
    flat = [(t.episode[0].model_dump(mode="json"), t.reward) for group in collection.trajectories for t in group]
    assert flat == [({"prompt": e["prompt"], "chosen_response": e["chosen_response"],
                      "rejected_response": e["rejected_response"]}, e["reward"]) for e in expected]
    with pytest.raises(BadOption, match="trajectories.*no validation split"):
        run1.export(tmp_path / "tdir", options=ExportOptions(format="trajectories", validation_fraction=0.2))


def test_manifest_traces_the_data(tmp_path, sample_file):
    with PreferenceStore(tmp_path / "s.duckdb") as store:
        store.ingest_nat_eval(sample_file("run1"), run_id="run1", meta={"model": "m1"})
        store.ingest_nat_eval(sample_file("run2"), run_id="run2")
        manifest = store.export(tmp_path / "out", PairConfig(min_score_diff=0.05),
                                ExportOptions(format="trl", max_pairs=50, seed=3), runs=["run2", "run1"])
        version = store.schema_version()
    on_disk = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert on_disk == manifest
    assert manifest["format"] == "trl" and manifest["prefstore_version"] == __version__
    assert manifest["schema_version"] == version >= 2
    assert manifest["options"]["max_pairs"] == 50 and manifest["options"]["validation_fraction"] == 0.2
    assert manifest["pair_options"]["min_score_diff"] == 0.05
    runs = manifest["runs"]
    assert [r["run_id"] for r in runs] == ["run1", "run2"] and runs[0]["meta"] == {"model": "m1"}
    assert runs[0]["source_sha256"] == hashlib.sha256(sample_file("run1").read_bytes()).hexdigest()
    assert sum(r["pairs"] for r in runs) == 50
    for split, entry in manifest["splits"].items():
        path = tmp_path / "out" / entry["file"]
        assert entry["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
        assert entry["pairs"] == len(read_lines(path))
    assert sum(e["pairs"] for e in manifest["splits"].values()) == 50


@pytest.mark.parametrize("fmt", ["nemo", "trl", "openai", "parquet", "trajectories"])
def test_two_exports_are_byte_identical(tmp_path, fmt, sample_file):
    with PreferenceStore(tmp_path / "s.duckdb") as store:
        store.ingest_nat_eval(sample_file("run1"), run_id="run1")
        store.ingest_nat_eval(sample_file("run2"), run_id="run2")
        options = ExportOptions(format=fmt, max_pairs=300, seed=5, order="hard-first", example_fraction=0.9)
        for name in ("a", "b"):
            store.export(tmp_path / name, options=options)
    files_a = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*") if p.is_file())
    files_b = sorted(p.relative_to(tmp_path / "b") for p in (tmp_path / "b").rglob("*") if p.is_file())
    assert files_a == files_b and len(files_a) >= 2
    for relative in files_a:
        assert (tmp_path / "a" / relative).read_bytes() == (tmp_path / "b" / relative).read_bytes(), relative


def test_export_directory_is_replaced_whole_and_foreign_folders_refused(run1, tmp_path):
    out = tmp_path / "out"
    run1.export(out, options=ExportOptions(format="trl"))
    run1.export(out, options=ExportOptions(format="openai", validation_fraction=0))
    assert sorted(p.name for p in out.iterdir()) == ["manifest.json", "training.jsonl"]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")], "no temporary folders left"
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "keep.txt").write_text("mine")
    with pytest.raises(BadInput, match="not empty"):
        run1.export(foreign)
    assert [p.name for p in foreign.iterdir()] == ["keep.txt"]


def test_parquet_single_file_reads_back(run1, expected, tmp_path):
    out = tmp_path / "pairs.parquet"
    manifest = run1.export(out)
    assert manifest["format"] == "parquet"
    with duckdb.connect() as con:
        count, = con.execute("SELECT count(*) FROM read_parquet($p)", {"p": str(out)}).fetchall()[0]
    assert count == len(expected)


def test_cli_export_formats_and_errors(tmp_path, db_path, sample_file):
    run_cli("--db", db_path, "ingest", sample_file("run1"), "--run-id", "run1", check=True)
    result = run_cli("--db", db_path, "export", tmp_path / "trl", "--format", "trl",
                     "--validation-fraction", "0.25", check=True)
    manifest = json.loads((tmp_path / "trl" / "manifest.json").read_text())
    train, validation = manifest["splits"]["train"]["pairs"], manifest["splits"]["validation"]["pairs"]
    assert f"wrote {train + validation} pairs to" in result.stdout
    assert f"train {train}, validation {validation}" in result.stdout
    bad = run_cli("--db", db_path, "export", tmp_path / "x.jsonl", "--format", "parquet")
    assert bad.returncode == 1 and bad.stderr.startswith("Error: ") and len(bad.stderr.splitlines()) == 1
    assert "Traceback" not in bad.stderr
    std = run_cli("--db", db_path, "export", tmp_path / "s.jsonl", "--format", "trl", "--prompt-style", "standard")
    assert std.returncode == 1 and "--prompt-style conversational" in std.stderr
    assert not (tmp_path / "s.jsonl").exists()
