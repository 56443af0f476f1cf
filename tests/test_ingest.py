"""NAT ingest: run identity, atomicity, rejects with reasons, field rules."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import duckdb
import pytest

from prefstore import PairConfig, PreferenceStore
from prefstore.errors import BadInput, RunExists

from .conftest import strict_pair_count, ttc_end_steps


def table_digest(store: PreferenceStore) -> dict[str, list]:
    """Every row of every store table, sorted: equal digests mean an unchanged store."""
    digest = {}
    for table in ("runs", "candidates", "rejects"):
        _, rows = store.query(f"SELECT * EXCLUDE ({'ingested_at' if table == 'runs' else 'run_id'}) FROM {table}")
        digest[table] = sorted(map(repr, rows))
    _, runs = store.query("SELECT run_id, ingested_at FROM runs ORDER BY run_id")
    digest["run_times"] = runs
    return digest


def ttc_candidates(path: Path, step_name: str = "dpo_candidate_move") -> list[tuple]:
    """Independent reading of a NAT file: (example_id, turn_id, candidate_index, score)."""
    return [(item_id, p["data"]["turn_id"], p["data"]["candidate_index"], p["data"]["score"])
            for item_id, p in ttc_end_steps(path) if p["name"] == step_name]


def step(event="TTC_END", name="dpo_candidate_move", uuid="u", metadata=None, **data):
    return {"payload": {"event_type": event, "name": name, "UUID": uuid, "metadata": metadata or {},
                        "data": data}}


def write(tmp_path: Path, items: list, name: str = "w.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(items), encoding="utf-8")
    return path


def test_two_runs_of_same_examples_stay_apart(store, sample_file):
    r1 = store.ingest_nat_eval(sample_file("run1"))
    r2 = store.ingest_nat_eval(sample_file("run2"))
    assert r1.run_id != r2.run_id
    for report, run in ((r1, "run1"), (r2, "run2")):
        expected = ttc_candidates(sample_file(run))
        _, rows = store.query(
            f"SELECT example_id, turn_id, candidate_index, score FROM candidates "
            f"WHERE run_id = '{report.run_id}' AND step_name = 'dpo_candidate_move' ORDER BY seq")
        assert rows == expected
        assert report.candidates_by_name["dpo_candidate_move"] == len(expected)
    _, per_run = store.query(
        "SELECT count(DISTINCT example_id) FROM candidates GROUP BY run_id ORDER BY min(seq)")
    assert per_run == [(len({example for example, _ in ttc_end_steps(sample_file(run))}),) for run in ("run1", "run2")]
    _, shared = store.query("SELECT count(DISTINCT example_id) FROM candidates")
    assert shared == per_run[:1], "the two runs evaluate the same items"
    runs_of_pairs = {p.run_id for p in store.pairs()}
    assert runs_of_pairs == {r1.run_id, r2.run_id}
    assert all(p.run_id == r1.run_id for p in store.pairs(runs=[r1.run_id]))


def test_reingest_same_file_is_a_noop(store, sample_file):
    first = store.ingest_nat_eval(sample_file("run1"), meta={"k": "v"})
    before = table_digest(store)
    again = store.ingest_nat_eval(sample_file("run1"))
    assert again.status == "already ingested" and again.run_id == first.run_id
    assert table_digest(store) == before
    named = store.ingest_nat_eval(sample_file("run1"), run_id="named")
    assert named.status == "ingested"
    assert store.ingest_nat_eval(sample_file("run1"), run_id="named").status == "already ingested"


def test_run_id_defaults_to_content_digest(store, tmp_path, sample_file):
    copy = tmp_path / "elsewhere.json"
    copy.write_bytes(sample_file("run1").read_bytes())
    assert store.ingest_nat_eval(sample_file("run1")).run_id == store.ingest_nat_eval(copy).run_id


def test_other_item_keys_give_another_run_of_the_same_file(store, tmp_path):
    """The keys decide which ids (and steps) are read: the same file read with another --id-key is
    another run, not "already ingested" with the first reading's example ids."""
    steps = [step(turn_id="t", score=0.9, input="p", output="a"),
             step(turn_id="t", score=0.1, input="p", output="b", candidate_index=1)]
    path = write(tmp_path, [{"id": "e1", "qid": "q1", "intermediate_steps": steps},
                            {"id": "e2", "qid": "q2", "intermediate_steps": steps}])
    default = store.ingest_nat_eval(path)
    assert default.run_id == hashlib.sha256(path.read_bytes()).hexdigest()[:16], "NAT's keys: as before"
    keyed = store.ingest_nat_eval(path, id_key="qid")
    assert keyed.status == "ingested" and keyed.run_id != default.run_id
    _, rows = store.query("SELECT run_id, list(DISTINCT example_id ORDER BY example_id) FROM candidates "
                          "GROUP BY run_id ORDER BY min(seq)")
    assert rows == [(default.run_id, ["e1", "e2"]), (keyed.run_id, ["q1", "q2"])]
    assert store.ingest_nat_eval(path).status == "already ingested"
    again = store.ingest_nat_eval(path, id_key="qid")
    assert again.status == "already ingested" and again.run_id == keyed.run_id
    with pytest.raises(RunExists, match="--replace"):
        store.ingest_nat_eval(path, run_id=default.run_id, id_key="qid")


def test_explicit_run_id_with_other_file_is_refused_unless_replace(store, sample_file):
    store.ingest_nat_eval(sample_file("run1"), run_id="r")
    before = table_digest(store)
    with pytest.raises(RunExists, match="--replace"):
        store.ingest_nat_eval(sample_file("run2"), run_id="r")
    assert table_digest(store) == before
    report = store.ingest_nat_eval(sample_file("run2"), run_id="r", replace=True)
    assert report.status == "replaced"
    _, rows = store.query("SELECT example_id, turn_id, candidate_index, score FROM candidates "
                          "WHERE step_name = 'dpo_candidate_move' ORDER BY seq")
    assert rows == ttc_candidates(sample_file("run2"))
    _, runs = store.query("SELECT run_id, source_path FROM runs")
    assert runs == [("r", str(sample_file("run2")))]


@pytest.mark.parametrize("content", [b"", b"[{\"id\": 1, \"intermediate_steps\": [", b"{\"id\": 1}", b"nonsense"])
def test_failed_ingest_leaves_store_unchanged(store, tmp_path, content, sample_file):
    store.ingest_nat_eval(sample_file("run1"))
    before = table_digest(store)
    bad = tmp_path / "bad.json"
    bad.write_bytes(content)
    with pytest.raises(BadInput, match="bad.json"):
        store.ingest_nat_eval(bad)
    assert table_digest(store) == before


def test_error_inside_the_transaction_rolls_back(store, tmp_path, monkeypatch, sample_file):
    """A failure after rows were inserted (here: the run row) undoes the candidates too."""
    from prefstore import queries
    real_run = queries.run

    def failing(cur, name, params=None):
        if name == "runs/insert":
            raise duckdb.IOException("disk full (simulated)")
        return real_run(cur, name, params)

    monkeypatch.setattr(queries, "run", failing)
    with pytest.raises(duckdb.IOException):
        store.ingest_nat_eval(sample_file("run1"))
    monkeypatch.setattr(queries, "run", real_run)
    _, counts = store.query("SELECT (SELECT count(*) FROM candidates), (SELECT count(*) FROM rejects), "
                            "(SELECT count(*) FROM runs)")
    assert counts == [(0, 0, 0)]


REJECT_CASES = [
    (step(turn_index=0, candidate_index=0, score=0.5, input="p", output="o"), "missing turn_id"),
    (step(turn_id=None, score=0.5, input="p"), "missing turn_id"),
    (step(turn_id={"a": 1}, score=0.5, input="p"), "turn_id is not a string or number"),
    (step(turn_id="t", input="p"), "missing score"),
    (step(turn_id="t", score=None, input="p"), "missing score"),
    (step(turn_id="t", score="abc", input="p"), "score is not a number"),
    (step(turn_id="t", score=True, input="p"), "score is not a number"),
    (step(turn_id="t", score=[1], input="p"), "score is not a number"),
    (step(turn_id="t", score="Infinity", input="p"), "score is not finite"),
    (step(turn_id="t", score=0.5, candidate_index="1", input="p"), "candidate_index is not a non-negative integer"),
    (step(turn_id="t", score=0.5, candidate_index=-1, input="p"), "candidate_index is not a non-negative integer"),
    (step(turn_id="t", score=0.5, candidate_index=1.5, input="p"), "candidate_index is not a non-negative integer"),
    (step(turn_id="t", score=0.5, turn_index="x", input="p"), "turn_index is not an integer"),
    ({"payload": "nope"}, "step has no payload object"),
    ({"parent_id": "x"}, "step has no payload object"),
    ({"payload": {"event_type": "TTC_END", "name": "dpo_candidate_move", "data": None}}, "payload.data is not an object"),
    ({"payload": {"event_type": "TTC_END", "name": "dpo_candidate_move", "data": "s"}}, "payload.data is not an object"),
    ({"payload": {"event_type": "TTC_END", "data": {"turn_id": "t", "score": 1}}}, "missing step name (payload.name)"),
]


@pytest.mark.parametrize(("bad_step", "reason"), REJECT_CASES, ids=[c[1] + f"-{i}" for i, c in enumerate(REJECT_CASES)])
def test_each_reject_reason_is_recorded(store, tmp_path, bad_step, reason):
    good = step(turn_id="t", candidate_index=0, score=0.9, input="p", output="a", uuid="good")
    path = write(tmp_path, [{"id": "ex", "intermediate_steps": [good, bad_step]}])
    report = store.ingest_nat_eval(path)
    assert report.rejects_by_reason == {reason: 1}
    assert report.candidates == 1
    _, rejects = store.query("SELECT example_id, item_pos, step_pos, reason, raw FROM rejects")
    assert len(rejects) == 1
    example_id, item_pos, step_pos, got_reason, raw = rejects[0]
    assert (example_id, item_pos, step_pos, got_reason) == ("ex", 1, 2, reason)
    assert json.loads(raw) == bad_step


def test_duplicate_candidate_is_rejected_first_kept(store, tmp_path):
    steps = [step(turn_id="t", candidate_index=0, score=0.9, input="p", output="first", uuid="a"),
             step(turn_id="t", candidate_index=0, score=0.1, input="p", output="second", uuid="b")]
    report = store.ingest_nat_eval(write(tmp_path, [{"id": "ex", "intermediate_steps": steps}]))
    assert report.rejects_by_reason == {
        "duplicate candidate (same step name, example, turn and candidate_index)": 1}
    _, rows = store.query("SELECT response FROM candidates")
    assert rows == [("first",)]
    _, rejects = store.query("SELECT step_uuid FROM rejects")
    assert rejects == [("b",)]


def test_item_without_id_or_steps_is_recorded(store, tmp_path):
    items = [{"intermediate_steps": [step(turn_id="t", score=0.5, input="p")]},
             {"id": "no-steps"},
             {"id": "ok", "intermediate_steps": [step(turn_id="t", score=0.5, input="p")]}]
    report = store.ingest_nat_eval(write(tmp_path, items))
    assert report.rejects_by_reason == {"item has no usable id (string or number)": 1,
                                        "item has no intermediate_steps list": 1}
    assert report.items == 3 and report.candidates == 1


def test_items_under_other_keys_are_reported_with_the_option_that_reads_them(store, tmp_path):
    """Every item rejected for a missing id or steps: the formats that take --id-key/--steps-key
    say so first, from a file and from items in memory alike."""
    steps = [step(turn_id="t", score=0.5, input="p")]
    no_steps = [{"id": f"q{i}", "traj": steps} for i in range(2)]
    no_id = [{"qid": f"q{i}", "intermediate_steps": steps} for i in range(2)]
    steps_hint = ("every item was rejected: item has no intermediate_steps list; if the evaluation's dataset "
                  "config renames that key, pass --steps-key (the dataset's structure.trajectory_key)")
    id_hint = ("every item was rejected: item has no usable id (string or number); if the evaluation's "
               "dataset config renames that key, pass --id-key (the dataset's id_key)")
    for items, hint in ((no_steps, steps_hint), (no_id, id_hint)):
        from_file = store.ingest_nat_eval(write(tmp_path, items))
        assert from_file.warnings[0] == hint and len(from_file.warnings) == 2
        in_memory = store.ingest_nat_items(items, run_id=f"mem-{len(hint)}")
        assert in_memory.warnings[0] == hint
    keyed = store.ingest_nat_eval(write(tmp_path, no_steps), steps_key="traj")
    assert keyed.warnings == [] and keyed.candidates == 2


def test_field_rules(store, tmp_path):
    messages = [{"role": "system", "content": "s"}, {"role": "user", "content": "u"}]
    odd_messages = [{"role": "user"}]
    steps = [
        step(turn_id="t", score="0.25", input="plain", output=None),           # numeric string score
        step(turn_id="t", score=1, input=messages, output="x"),               # integer score, messages
        step(turn_id=7, score=0.5, input={"k": "v"}, output={"a": [1]}),     # number turn id, dict prompt
        step(turn_id="t", score=0.75, input=odd_messages, output=["l"]),      # malformed messages
        step(turn_id="t", score=0.1, input=None, output="y"),                 # null prompt -> ""
    ]
    store.ingest_nat_eval(write(tmp_path, [{"id": 3, "intermediate_steps": steps}]))
    _, rows = store.query("SELECT example_id, turn_id, candidate_index, prompt, response, score "
                          "FROM candidates ORDER BY seq")
    assert rows == [
        ("3", "t", 0, '"plain"', "", 0.25),
        ("3", "t", 1, json.dumps(messages, separators=(",", ":")), "x", 1.0),
        ("3", "7", 0, json.dumps('{"k":"v"}'), '{"a":[1]}', 0.5),
        ("3", "t", 2, json.dumps('[{"role":"user"}]'), '["l"]', 0.75),
        ("3", "t", 3, '""', "y", 0.1),
    ]


def test_steps_of_other_types_and_names(store, tmp_path):
    steps = [step(event="TTC_START", turn_id="t", score=None, input=None),
             step(event="LLM_END", turn_id="t", score=0.3, input="x"),
             step(name="other", turn_id="t", score=0.2, input="p"),
             step(turn_id="t", score=0.9, input="p")]
    report = store.ingest_nat_eval(write(tmp_path, [{"id": "e", "intermediate_steps": steps}]))
    assert report.steps_by_name == {"dpo_candidate_move": 1, "other": 1}
    assert report.candidates_by_name == {"dpo_candidate_move": 1, "other": 1}
    assert report.rejects == 0


def test_report_names_step_names_when_default_missing(store, tmp_path):
    path = write(tmp_path, [{"id": "e", "intermediate_steps": [
        step(name="my_step", turn_id="t", score=0.2, input="p"),
        step(name="my_step", turn_id="t", score=0.4, input="p", candidate_index=1)]}])
    report = store.ingest_nat_eval(path)
    assert any("my_step" in w for w in report.warnings)
    assert store.pairs() == []
    assert len(store.pairs(PairConfig(ttc_step_name="my_step"))) == 1


def test_run_metadata_is_kept(store, sample_file):
    report = store.ingest_nat_eval(sample_file("int-ids"), meta={"model": "llama", "seed": "3"})
    (run,) = store.runs()
    assert run["run_id"] == report.run_id
    assert run["meta"] == {"model": "llama", "seed": "3"}
    assert run["source_format"] == "nat_eval" and len(run["source_sha256"]) == 64
    items = json.loads(sample_file("int-ids").read_text())
    assert (run["n_items"], run["n_candidates"], run["n_rejects"]) == (
        len(items), len(ttc_end_steps(sample_file("int-ids"))), 0)
    assert len(items) == 5 and all(isinstance(item["id"], int) for item in items)


def test_in_memory_store(tmp_path, sample_file):
    with PreferenceStore(":memory:") as store:
        store.ingest_nat_eval(sample_file("int-ids"))
        assert len(store.pairs()) == strict_pair_count(sample_file("int-ids")) > 0


def test_ingest_nat_items_equals_file_ingest(tmp_path, sample_file):
    items = json.loads(sample_file("run1").read_text())
    with PreferenceStore(tmp_path / "a.duckdb") as a, PreferenceStore(tmp_path / "b.duckdb") as b:
        a.ingest_nat_eval(sample_file("run1"), run_id="r")
        b.ingest_nat_items(items, run_id="r")
        query = "SELECT * EXCLUDE (seq) FROM candidates ORDER BY seq"
        assert a.query(query) == b.query(query)
        assert a.pairs() == b.pairs()
