"""The Python data API (issue 14): pairs, training sets, candidates and queries as Arrow, pandas,
Polars and Hugging Face datasets, and the fast NAT trajectories.

Every expectation comes from another path of the same store: training sets from the files
`store.export` writes with the same options, pairs from `store.pairs()` and the real
`prefstore pairs` / `prefstore export-candidates` commands, trajectories from validating
pydantic constructors (the code `store.trajectories()` ran before), so each test fails if the
API drifts from the export it mirrors. The data is generated here (prefstore.sample_data).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from prefstore import PairConfig, PreferenceStore, TrajectoryCollection
from prefstore import export as export_module
from prefstore import tables as tables_module
from prefstore.errors import BadOption, QueryFailed, QueryRefused, SplitImpossible, UnknownRun
from prefstore.models import DPOItem, ExportOptions, OpenAIMessage, Pair, Trajectory
from prefstore.sample_data import SampleSpec, write_nat_eval
from prefstore.trajectories import Models, construct

from .conftest import cli_env, run_cli
from .test_crash_safety import table_checksums
from .test_query_guard import attacks

MIXED = SampleSpec(n_items=24, turns_per_item=3, seed=3)                         # string and message prompts
OTHER = SampleSpec(n_items=16, turns_per_item=2, seed=4)                         # same example ids, other texts
STRINGS = SampleSpec(n_items=20, turns_per_item=3, seed=5, message_prompt_ratio=0.0)


@pytest.fixture(scope="module")
def mixed(tmp_path_factory) -> PreferenceStore:
    """Runs a and b hold the same file (every pair repeated: dedup matters), c other texts."""
    folder = tmp_path_factory.mktemp("mixed")
    write_nat_eval(folder / "a.json", MIXED)
    write_nat_eval(folder / "c.json", OTHER)
    with PreferenceStore(folder / "store.duckdb") as store:
        store.ingest_nat_eval(folder / "a.json", run_id="a")
        store.ingest_nat_eval(folder / "a.json", run_id="b")
        store.ingest_nat_eval(folder / "c.json", run_id="c")
    with PreferenceStore(folder / "store.duckdb", read_only=True) as store:   # the CLI may open it too
        yield store


@pytest.fixture(scope="module")
def strings(tmp_path_factory) -> PreferenceStore:
    folder = tmp_path_factory.mktemp("strings")
    write_nat_eval(folder / "s.json", STRINGS)
    with PreferenceStore(folder / "store.duckdb") as store:
        store.ingest_nat_eval(folder / "s.json", run_id="s")
    with PreferenceStore(folder / "store.duckdb", read_only=True) as store:
        yield store


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def exported_splits(store: PreferenceStore, out: Path, config: PairConfig, options: ExportOptions,
                    runs: list[str] | None = None) -> dict:
    """split -> rows (JSON lines, or the Parquet file's rows), as `export` wrote them."""
    manifest = store.export(out, config, options, runs)
    rows = {}
    for split, entry in manifest["splits"].items():
        path = out / entry["file"]
        rows[split] = pq.read_table(path).to_pylist() if path.suffix == ".parquet" else read_jsonl(path)
    return rows


# -- training sets: store.dataset / dataset_arrow equal the export's files ----------------------
FORMATS = [  # (format, prompt style, store fixture)
    ("trl", "conversational", "mixed"),
    ("trl", "standard", "strings"),
    ("nemo", "last-message", "mixed"),
    ("nemo", "messages", "mixed"),
    ("openai", "messages", "mixed"),
    ("parquet", "conversational", "mixed"),
]
OPTIONS = {  # dataset operations, each set exercising a different part of sql/export/rows.sql
    "split-dedup-sample": dict(validation_fraction=0.3, split_seed=5, dedup=True, max_pairs=150, seed=3),
    "no-dedup-hard-first-fraction": dict(validation_fraction=0.25, dedup=False, order="hard-first",
                                         example_fraction=0.7),
    "easy-first-best-vs-worst": dict(validation_fraction=0.2, split_seed=1, order="easy-first"),
}
SPLIT_NAMES = {"trl": ("train", "test"), "nemo": ("training", "validation"),
               "openai": ("training", "validation"), "parquet": ("train", "test")}


@pytest.mark.parametrize("options_case", sorted(OPTIONS))
@pytest.mark.parametrize("fmt,style,fixture", FORMATS, ids=[f"{f}-{s}" for f, s, _ in FORMATS])
def test_dataset_rows_equal_the_exported_files(request, tmp_path, fmt, style, fixture, options_case):
    store = request.getfixturevalue(fixture)
    config = PairConfig(exhaustive_pairs=options_case != "easy-first-best-vs-worst", min_score_diff=0.01)
    options = ExportOptions(format=fmt, prompt_style=style, **OPTIONS[options_case])
    files = exported_splits(store, tmp_path / "out", config, options)
    assert sorted(files) == ["train", "validation"] and all(files.values()), "both splits hold rows"

    tables = store.dataset_arrow(config, options)
    ds = store.dataset(config, options)
    train, test = SPLIT_NAMES[fmt]
    assert list(tables) == list(ds) == [train, test]
    for split, name in (("train", train), ("validation", test)):
        expected = files[split]
        assert tables[name].to_pylist() == expected, f"{name}: Arrow rows differ from the file"
        assert ds[name].to_list() == expected, f"{name}: dataset rows differ from the file"
        assert tables[name].column_names == ds[name].column_names == list(expected[0])
        assert ds[name].split == name


def test_dataset_has_the_types_load_dataset_gives_the_files(mixed, tmp_path):
    """Loading the exported JSON lines with `datasets` gives the same features and rows."""
    datasets = pytest.importorskip("datasets")
    for fmt in ("trl", "openai"):
        options = ExportOptions(format=fmt, validation_fraction=0.3)
        manifest = mixed.export(tmp_path / fmt, options=options)
        ours = mixed.dataset(options=options)
        files = {name: str(tmp_path / fmt / manifest["splits"][split]["file"])
                 for split, name in zip(("train", "validation"), SPLIT_NAMES[fmt])}
        loaded = datasets.load_dataset("json", data_files=files, cache_dir=str(tmp_path / "hf"))
        for name in files:
            assert ours[name].features == loaded[name].features, (fmt, name)
            assert ours[name].to_list() == loaded[name].to_list(), (fmt, name)


def test_dataset_defaults_to_trl_with_a_test_split_and_follows_validation_fraction(mixed):
    ds = mixed.dataset()
    assert list(ds) == ["train", "test"] and ds["train"].column_names == ["prompt", "chosen", "rejected"]
    assert ds["train"].num_rows + ds["test"].num_rows == len(mixed.dataset_arrow(
        options=ExportOptions(validation_fraction=0))["train"])
    only = mixed.dataset(options=ExportOptions(format="nemo", validation_fraction=0))
    assert list(only) == ["training"]


def test_dataset_refuses_what_export_refuses(mixed, strings):
    with pytest.raises(BadOption, match="prompt-style standard.*message-list prompt"):
        mixed.dataset(options=ExportOptions(format="trl", prompt_style="standard"))
    with pytest.raises(BadOption, match="does not apply to --format openai"):
        mixed.dataset(options=ExportOptions(format="openai", prompt_style="standard"))
    with pytest.raises(BadOption, match="store.trajectories"):
        mixed.dataset(options=ExportOptions(format="trajectories"))
    with pytest.raises(UnknownRun, match="'nope'"):
        mixed.dataset(runs=["a", "nope"])
    with pytest.raises(SplitImpossible):
        strings.dataset(PairConfig(ttc_step_name="no_such_step"))
    empty = strings.dataset(PairConfig(ttc_step_name="no_such_step"), ExportOptions(validation_fraction=0))
    assert empty["train"].num_rows == 0 and empty["train"].column_names == ["prompt", "chosen", "rejected"]


def test_dataset_in_many_batches_equals_one_batch(mixed, monkeypatch):
    options = ExportOptions(format="trl", validation_fraction=0.3, max_pairs=200, seed=2)
    whole = mixed.dataset_arrow(options=options)
    monkeypatch.setattr(export_module, "BATCH_TEXT_BYTES", 1)
    monkeypatch.setattr(export_module, "_MIN_BATCH_PAIRS", 40)
    with mixed.cursor() as cur:  # the comparison means something: several batches of positions
        export_module.select_rows(cur, tables_module.dataset_target(options), PairConfig(), options, None)
        assert len(export_module.batches(cur)) > 3
    batched = mixed.dataset_arrow(options=options)
    assert {k: t.to_pylist() for k, t in batched.items()} == {k: t.to_pylist() for k, t in whole.items()}


def test_dataset_of_selected_runs(mixed, tmp_path):
    options = ExportOptions(format="parquet", validation_fraction=0.3)
    files = exported_splits(mixed, tmp_path / "only-c", PairConfig(), options, runs=["c"])
    ds = mixed.dataset(options=options, runs=["c"])
    assert ds["train"].to_list() == files["train"] and ds["test"].to_list() == files["validation"]
    assert set(ds["train"]["run_id"]) == set(ds["test"]["run_id"]) == {"c"}


# -- pairs -----------------------------------------------------------------------------------
PAIR_COLUMNS = ["run_id", "example_id", "turn_id", "prompt", "chosen_response", "rejected_response",
                "chosen_score", "rejected_score", "score_diff", "reward", "chosen_index", "rejected_index",
                "chosen_metadata", "rejected_metadata", "num_candidates", "base_example_id", "example_seq",
                "turn_seq", "pair_rank", "chosen_seq", "rejected_seq", "flipped"]


def as_pair_json(row: dict) -> dict:
    """An Arrow pair row in the shape of `Pair.model_dump(mode="json")` (JSON text decoded)."""
    out = {k: v for k, v in row.items() if k in Pair.model_fields}
    for key in ("prompt", "chosen_metadata", "rejected_metadata"):
        out[key] = None if out[key] is None else json.loads(out[key])
    return out


@pytest.mark.parametrize("config", [PairConfig(), PairConfig(exhaustive_pairs=False, reward_from_score_diff=False),
                                    PairConfig(pair_scope="prompt", max_pairs_per_turn=3)],
                         ids=["exhaustive", "best-vs-worst", "prompt-scope"])
def test_pairs_arrow_rows_equal_store_pairs(mixed, config):
    reader = mixed.pairs_arrow(config)
    assert isinstance(reader, pa.RecordBatchReader) and reader.schema.names == PAIR_COLUMNS
    rows = reader.read_all().to_pylist()
    expected = [pair.model_dump(mode="json") for pair in mixed.pairs(config)]
    assert len(rows) == len(expected) > 50
    assert [as_pair_json(r) for r in rows] == expected
    assert [(r["example_seq"], r["turn_seq"], r["pair_rank"]) for r in rows] == \
        sorted((r["example_seq"], r["turn_seq"], r["pair_rank"]) for r in rows)


def test_pairs_arrow_equals_the_cli_pairs_lines(mixed):
    result = run_cli("--db", mixed.path, "pairs", "--format", "jsonl", "--limit", "0", "--runs", "a,c",
                     "--best-vs-worst", check=True)
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    rows = mixed.pairs_arrow(PairConfig(exhaustive_pairs=False), runs=["a", "c"]).read_all().to_pylist()
    assert [as_pair_json(r) for r in rows] == lines and len(lines) > 20


def test_pairs_arrow_streams_batches_of_the_asked_size(mixed, monkeypatch):
    whole = mixed.pairs_arrow().read_all().to_pylist()
    monkeypatch.setattr(export_module, "BATCH_TEXT_BYTES", 1)  # many batches of positions too
    monkeypatch.setattr(export_module, "_MIN_BATCH_PAIRS", 37)
    batches = list(mixed.pairs_arrow(batch_size=25))
    assert len(batches) > 10 and max(b.num_rows for b in batches) <= 25
    assert pa.Table.from_batches(batches).to_pylist() == whole


def test_pairs_df_and_pairs_pl_equal_pairs_arrow(mixed):
    config = PairConfig(min_score_diff=0.2)
    expected = mixed.pairs_arrow(config, runs=["c"]).read_all().to_pylist()
    df = mixed.pairs_df(config, runs=["c"])
    assert list(df.columns) == PAIR_COLUMNS and df.to_dict("records") == expected
    frame = mixed.pairs_pl(config, runs=["c"])
    assert frame.columns == PAIR_COLUMNS and frame.to_dicts() == expected
    assert str(frame.schema["score_diff"]) == "Float64" and str(frame.schema["pair_rank"]) == "Int64"


def test_unknown_run_fails_at_the_call_not_at_the_first_read(mixed):
    for call in (lambda: mixed.pairs_arrow(runs=["a", "typo"]), lambda: mixed.candidates_arrow(runs=["typo"]),
                 lambda: mixed.iter_trajectories(runs=["typo"]), lambda: mixed.pairs_df(runs=["typo"])):
        with pytest.raises(UnknownRun, match="'typo'"):
            call()


def test_bad_batch_size_is_refused(mixed):
    for bad in (0, -5, 2.5, True):
        with pytest.raises(BadOption, match="batch_size must be a positive number of rows"):
            mixed.pairs_arrow(batch_size=bad)
        with pytest.raises(BadOption, match="batch_size"):
            mixed.candidates_arrow(batch_size=bad)


def test_empty_selection_gives_the_schema_and_no_rows(mixed):
    reader = mixed.pairs_arrow(PairConfig(ttc_step_name="no_such_step"))
    assert reader.schema.names == PAIR_COLUMNS and reader.read_all().num_rows == 0
    assert mixed.pairs_df(PairConfig(ttc_step_name="no_such_step")).shape == (0, len(PAIR_COLUMNS))


def test_an_unread_reader_leaves_the_store_usable(tmp_path):
    write_nat_eval(tmp_path / "r.json", MIXED)
    with PreferenceStore(tmp_path / "s.duckdb") as store:
        store.ingest_nat_eval(tmp_path / "r.json", run_id="r")
        reader = store.pairs_arrow(batch_size=10)
        first = reader.read_next_batch()
        store.ingest_nat_eval(tmp_path / "r.json", run_id="r2")     # a write while a reader is open
        assert first.num_rows == 10
        reader.close()
        assert len(store.pairs(runs=["r2"])) == len(store.pairs(runs=["r"]))


# -- candidates and queries ------------------------------------------------------------------
def test_candidates_arrow_equals_export_candidates(mixed, tmp_path):
    out = tmp_path / "cands.parquet"
    run_cli("--db", mixed.path, "export-candidates", out, "--runs", "c,a", check=True)
    table = mixed.candidates_arrow(runs=["c", "a"], batch_size=100).read_all()
    assert table.to_pylist() == pq.read_table(out).to_pylist()
    assert table.column_names[:3] == ["run_id", "example_id", "turn_id"] and table.num_rows > 200
    assert mixed.candidates_arrow().read_all().num_rows == mixed.query("SELECT count(*) FROM candidates")[1][0][0]


def test_query_arrow_and_query_df(mixed):
    sql = "SELECT run_id, count(*) AS n, avg(score) AS mean FROM candidates GROUP BY run_id ORDER BY run_id"
    columns, rows = mixed.query(sql)
    table = mixed.query_arrow(sql)
    assert isinstance(table, pa.Table) and table.column_names == columns
    assert [tuple(r.values()) for r in table.to_pylist()] == rows
    assert [tuple(r) for r in mixed.query_df(sql).itertuples(index=False)] == rows
    with pytest.raises(QueryFailed, match="no_such_column"):
        mixed.query_arrow("SELECT no_such_column FROM runs")


def test_query_arrow_refuses_every_attack_and_leaves_the_store_unchanged(tmp_path):
    write_nat_eval(tmp_path / "r.json", MIXED)
    db = tmp_path / "store.duckdb"
    with PreferenceStore(db) as store:
        store.ingest_nat_eval(tmp_path / "r.json", run_id="r")
    (tmp_path / "secret.csv").write_text("a,b\n1,2\n")
    before = table_checksums(db)
    with PreferenceStore(db) as store:                   # writable, files allowed: only the guard stands
        for case, sql, refusal in attacks(str(tmp_path)):
            for call in (store.query_arrow, store.query_df):
                with pytest.raises(QueryRefused) as caught:
                    call(sql)
                assert refusal in str(caught.value) and "\n" not in str(caught.value), case
        assert store.query_arrow(f"SELECT * FROM read_csv('{tmp_path}/secret.csv')",
                                 allow_files=True).to_pylist() == [{"a": 1, "b": 2}]
    assert table_checksums(db) == before


def test_query_arrow_rolls_back_what_slipped_past_the_guard(tmp_path, monkeypatch):
    import prefstore.adhoc
    write_nat_eval(tmp_path / "r.json", MIXED)
    db = tmp_path / "store.duckdb"
    with PreferenceStore(db) as store:
        store.ingest_nat_eval(tmp_path / "r.json", run_id="r")
    before = table_checksums(db)
    monkeypatch.setattr(prefstore.adhoc, "check_read_only", lambda sql, allow_files=False: sql)
    with PreferenceStore(db) as store:
        assert store.query_arrow("DELETE FROM candidates RETURNING run_id").num_rows > 0
        assert store.query("SELECT count(*) > 0 FROM candidates")[1] == [(True,)]
    assert table_checksums(db) == before


# -- trajectories ----------------------------------------------------------------------------
def validated_trajectory(pair, config: PairConfig) -> Trajectory:
    """What store.trajectories() built before the fast path: validating constructors per pair."""
    metadata = {"dpo_type": "preference_pair", "score_diff": pair.score_diff, "example_id": pair.example_id,
                "turn_id": pair.turn_id, "chosen_score": pair.chosen_score, "rejected_score": pair.rejected_score,
                "chosen_index": pair.chosen_index, "rejected_index": pair.rejected_index}
    if config.exhaustive_pairs:   # NAT keeps only truthy raw metadata, else {}
        metadata["chosen_raw_metadata"] = pair.chosen_metadata or {}
        metadata["rejected_raw_metadata"] = pair.rejected_metadata or {}
    else:
        metadata["num_candidates"] = pair.num_candidates
    metadata["run_id"] = pair.run_id
    if pair.flipped:
        metadata["flipped"] = True
    item = DPOItem(prompt=pair.prompt, chosen_response=pair.chosen_response, rejected_response=pair.rejected_response)
    return Trajectory(episode=[item], reward=pair.reward, metadata=metadata)


def validated_collection(store: PreferenceStore, config: PairConfig, runs=None) -> TrajectoryCollection:
    groups, current = [], None
    for pair in store.pairs(config, runs):   # one group per example_seq: an example, or a pooled base example
        if pair.example_seq != current:
            groups.append([])
            current = pair.example_seq
        groups[-1].append(validated_trajectory(pair, config))
    run_ids = runs if runs is not None else [r["run_id"] for r in store.runs()]
    return TrajectoryCollection(trajectories=groups, run_id=",".join(run_ids))


@pytest.mark.parametrize("config,runs", [
    (PairConfig(), None),
    (PairConfig(exhaustive_pairs=False, reward_from_score_diff=False), None),
    (PairConfig(min_score_diff=0.1, max_pairs_per_turn=2), ["c", "a"]),
    (PairConfig(pair_scope="prompt"), ["a", "c"]),
], ids=["exhaustive", "best-vs-worst", "limited-runs", "prompt-scope"])
def test_trajectories_dump_byte_identical_to_validated_objects(mixed, config, runs):
    ours = mixed.trajectories(config, runs)
    reference = validated_collection(mixed, config, runs)
    assert ours.model_dump_json() == reference.model_dump_json()
    assert ours == reference
    assert sum(len(g) for g in ours.trajectories) > 20
    assert TrajectoryCollection.model_validate_json(ours.model_dump_json()) == ours
    assert [list(g) for g in mixed.iter_trajectories(config, runs)] == ours.trajectories


def test_candidates_of_one_turn_with_different_prompts_keep_their_own(tmp_path):
    """A pair's prompt is its chosen candidate's, even when a turn's candidates differ in prompt."""
    rows = [{"example_id": "e1", "turn_id": "t1", "prompt": prompt, "response": f"r{i}", "score": score,
             "metadata": {"i": i} if i % 2 else None}
            for i, (prompt, score) in enumerate([("p1", 0.9), ("p2", 0.5), ([{"role": "user", "content": "p3"}], 0.6),
                                                 ("p1", 0.7), ("p1", 0.2)])]
    rows += [{"example_id": "e2", "turn_id": "t1", "prompt": "p1", "response": f"s{i}", "score": i / 10}
             for i in range(3)]
    source = tmp_path / "cands.jsonl"
    source.write_text("".join(json.dumps(r) + "\n" for r in rows))
    with PreferenceStore(tmp_path / "s.duckdb") as store:
        store.ingest_candidates(source, run_id="r")
        for config in (PairConfig(), PairConfig(exhaustive_pairs=False)):
            ours = store.trajectories(config)
            assert ours.model_dump_json() == validated_collection(store, config).model_dump_json()
        prompts = [t.episode[0].prompt for t in store.trajectories().trajectories[0]]
        assert "p2" in prompts and [OpenAIMessage(role="user", content="p3")] in prompts


def test_iter_trajectories_yields_one_example_at_a_time(mixed):
    groups = mixed.iter_trajectories()
    first = next(groups)
    assert {t.metadata["example_id"] for t in first} == {first[0].metadata["example_id"]}
    rest = list(groups)
    ids = [g[0].metadata["example_id"] for g in [first, *rest]]
    assert len(ids) == len(set(ids)) > 10


def test_iter_trajectories_holds_one_example_not_the_collection(tmp_path):
    """Streaming keeps the texts of the batch being read and one example's objects: its peak is
    well under that of building the whole collection (which it would reach if it built all first)."""
    import dataclasses
    import gc
    import tracemalloc

    from prefstore.sample_data import SCALES
    path = tmp_path / "w.json"
    write_nat_eval(path, dataclasses.replace(SCALES["demo"], n_items=300, seed=4))
    with PreferenceStore(tmp_path / "s.duckdb") as store:
        store.ingest_nat_eval(path)

        def peak(build) -> int:
            gc.collect()
            tracemalloc.start()
            try:
                build()
                return tracemalloc.get_traced_memory()[1]
            finally:
                tracemalloc.stop()

        whole = peak(store.trajectories)
        streamed = peak(lambda: sum(1 for _ in store.iter_trajectories()))
    assert streamed < 0.6 * whole, (streamed, whole)


def test_trajectories_export_file_equals_the_collection(mixed, tmp_path):
    config = PairConfig(exhaustive_pairs=False)
    mixed.export(tmp_path / "t.json", config, ExportOptions(dedup=False))
    text = (tmp_path / "t.json").read_text(encoding="utf-8")
    assert text == validated_collection(mixed, config).model_dump_json() + "\n"


def test_built_objects_are_what_model_construct_builds_and_stay_independent(mixed):
    for cls, values in ((OpenAIMessage, {"role": "user", "content": "x"}),
                        (DPOItem, {"prompt": "p", "chosen_response": "c", "rejected_response": "r"})):
        ours, theirs = construct(cls, dict(values)), cls.model_construct(**values)
        assert ours == theirs and ours.model_fields_set == theirs.model_fields_set
        assert (ours.__pydantic_extra__, ours.__pydantic_private__) == (theirs.__pydantic_extra__, None)
    # two trajectories of one turn with a message-list prompt: they share message objects, not lists
    a, b = next((x, y) for group in mixed.trajectories().trajectories for x, y in zip(group, group[1:])
                if x.metadata["turn_id"] == y.metadata["turn_id"] and isinstance(x.episode[0].prompt, list))
    assert a.model_fields_set == b.model_fields_set == {"episode", "reward", "metadata"}
    assert a.episode[0].prompt == b.episode[0].prompt
    a.shaped_rewards = [1.0]
    a.episode[0].prompt.append(OpenAIMessage(role="user", content="more"))
    a.metadata["extra"] = 1
    assert "shaped_rewards" in a.model_fields_set and "shaped_rewards" not in b.model_fields_set
    assert len(b.episode[0].prompt) == len(a.episode[0].prompt) - 1 and "extra" not in b.metadata


def test_models_refuse_classes_they_cannot_build():
    from pydantic import BaseModel, ConfigDict

    class Wider(BaseModel):
        episode: list
        reward: float
        shaped_rewards: list | None = None
        metadata: dict | None = None
        weight: float = 1.0

    class Extra(BaseModel):
        model_config = ConfigDict(extra="allow")
        role: str
        content: str

    with pytest.raises(TypeError, match="weight|fields"):
        Models(trajectory=Wider)
    with pytest.raises(TypeError, match="not a plain model"):
        Models(message=Extra)


# -- optional dependencies -------------------------------------------------------------------
MISSING = """
import json, sys
from prefstore import PreferenceStore
from prefstore.errors import MissingExtra
messages = []
with PreferenceStore(sys.argv[1], read_only=True) as store:
    for blocked, call, args in json.loads(sys.argv[2]):
        saved = sys.modules.get(blocked)
        sys.modules[blocked] = None          # as if not installed: importing it raises ImportError
        try:
            getattr(store, call)(*args)
            messages.append("no error")
        except MissingExtra as exc:
            messages.append(str(exc))
        finally:
            if saved is None:
                del sys.modules[blocked]
            else:
                sys.modules[blocked] = saved
print(json.dumps(messages))
"""
MISSING_CASES = [("pyarrow", "pairs_arrow", [], "arrow"), ("pyarrow", "pairs_df", [], "pandas"),
                 ("pandas", "pairs_df", [], "pandas"), ("polars", "pairs_pl", [], "polars"),
                 ("datasets", "dataset", [], "datasets"), ("pyarrow", "dataset_arrow", [], "arrow"),
                 ("pyarrow", "candidates_arrow", [], "arrow"), ("pyarrow", "query_arrow", ["SELECT 1"], "arrow"),
                 ("pandas", "query_df", ["SELECT 1"], "pandas")]


def test_a_missing_library_is_one_error_naming_the_extra(mixed):
    cases = json.dumps([[blocked, call, args] for blocked, call, args, _ in MISSING_CASES])
    result = subprocess.run([sys.executable, "-c", MISSING, str(mixed.path), cases],
                            capture_output=True, text=True, env=cli_env(), timeout=120)
    assert result.returncode == 0, result.stderr
    messages = json.loads(result.stdout)
    for (blocked, call, _, extra), message in zip(MISSING_CASES, messages, strict=True):
        assert f"store.{call}() needs {blocked}, which is not installed: pip install 'prefstore[{extra}]'" \
            in message, (call, message)
        assert "\n" not in message


def test_trajectories_leave_the_garbage_collector_as_they_found_it(mixed):
    import gc
    assert gc.isenabled()
    mixed.trajectories()
    assert gc.isenabled()
    gc.disable()
    try:
        mixed.trajectories()
        assert not gc.isenabled()
    finally:
        gc.enable()
    with pytest.raises(UnknownRun):
        mixed.trajectories(runs=["typo"])
    assert gc.isenabled() and gc.get_freeze_count() == 0
    kept = [object() for _ in range(3)] + [[]]      # a process that froze objects (before a fork) keeps them frozen
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        mixed.trajectories()
        assert gc.get_freeze_count() == frozen and kept
    finally:
        gc.unfreeze()
