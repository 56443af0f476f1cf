"""`ingest --format candidates`: JSONL and Parquet candidate files from any source, with NAT
ingest's validation, rejects, run identity and atomicity."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from prefstore import PairConfig, PreferenceStore
from prefstore.errors import BadInput, RunExists

from .conftest import run_cli


def nat_candidates(path: Path) -> list[dict]:
    """Every TTC_END step of a NAT file as one candidates row, in file order."""
    rows = []
    for item in json.loads(path.read_text()):
        for step in item["intermediate_steps"]:
            payload = step["payload"]
            if payload["event_type"] != "TTC_END":
                continue
            data = payload["data"]
            rows.append({"example_id": item["id"], "turn_id": data["turn_id"], "prompt": data["input"],
                         "response": data["output"], "score": data["score"],
                         "candidate_index": data["candidate_index"], "turn_index": data["turn_index"],
                         "step_name": payload["name"], "metadata": payload["metadata"]})
    return rows


def write_jsonl(path: Path, rows: list) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


def pair_content(store: PreferenceStore, config: PairConfig = PairConfig()) -> list[tuple]:
    return [(json.dumps(p.model_dump(mode="json")["prompt"]), p.example_id, p.turn_id, p.chosen_response,
             p.rejected_response, p.chosen_score, p.rejected_score, p.chosen_index, p.rejected_index,
             json.dumps(p.chosen_metadata)) for p in store.pairs(config)]


def test_jsonl_candidates_give_the_same_pairs_as_the_nat_file(tmp_path, sample_file):
    rows = nat_candidates(sample_file("run1"))
    with PreferenceStore(tmp_path / "nat.duckdb") as nat:
        nat.ingest_nat_eval(sample_file("run1"))
        expected = pair_content(nat)
        expected_bvw = pair_content(nat, PairConfig(exhaustive_pairs=False))
    with PreferenceStore(tmp_path / "c.duckdb") as store:
        report = store.ingest_candidates(write_jsonl(tmp_path / "c.jsonl", rows))
        assert report.status == "ingested" and report.rejects == 0
        assert report.candidates == len(rows)
        assert report.items == len({str(r["example_id"]) for r in rows})
        assert report.candidates_by_name == {
            name: sum(1 for r in rows if r["step_name"] == name) for name in {r["step_name"] for r in rows}}
        assert pair_content(store) == expected
        assert pair_content(store, PairConfig(exhaustive_pairs=False)) == expected_bvw
        (run,) = store.runs()
        assert run["source_format"] == "candidates" and run["n_candidates"] == len(rows)


def test_parquet_candidates_with_json_and_string_prompts(tmp_path, sample_file):
    rows = nat_candidates(sample_file("run1"))
    jsonl = write_jsonl(tmp_path / "rows.jsonl", rows)
    mixed = tmp_path / "mixed.parquet"
    with duckdb.connect() as con:
        con.execute(
            "COPY (SELECT * FROM read_json($src, columns = {example_id: 'VARCHAR', turn_id: 'VARCHAR', "
            "prompt: 'JSON', response: 'VARCHAR', score: 'DOUBLE', candidate_index: 'BIGINT', "
            "turn_index: 'BIGINT', step_name: 'VARCHAR', metadata: 'JSON'})) TO $dst (FORMAT parquet)",
            {"src": str(jsonl), "dst": str(mixed)}).fetchall()
    with PreferenceStore(tmp_path / "nat.duckdb") as nat:
        nat.ingest_nat_eval(sample_file("run1"))
        expected = pair_content(nat)
    with PreferenceStore(tmp_path / "c.duckdb") as store:
        report = store.ingest_candidates(mixed)
        assert (report.candidates, report.rejects) == (len(rows), 0)
        assert pair_content(store) == expected

    strings = [dict(r, example_id=str(r["example_id"])) for r in nat_candidates(sample_file("int-ids"))]
    assert all(isinstance(r["prompt"], str) for r in strings)
    plain = tmp_path / "plain.parquet"
    with duckdb.connect() as con:
        con.execute("COPY (SELECT example_id, turn_id, prompt, response, score FROM read_json($src, columns = "
                    "{example_id: 'VARCHAR', turn_id: 'VARCHAR', prompt: 'VARCHAR', response: 'VARCHAR', "
                    "score: 'DOUBLE', step_name: 'VARCHAR'}) WHERE step_name = 'dpo_candidate_move') "
                    "TO $dst (FORMAT parquet)",
                    {"src": str(write_jsonl(tmp_path / "s.jsonl", strings)), "dst": str(plain)}).fetchall()
    with PreferenceStore(tmp_path / "p.duckdb") as store:
        report = store.ingest_candidates(plain)
        assert report.rejects == 0
        _, stored = store.query("SELECT DISTINCT json_type(prompt), step_name FROM candidates")
        assert stored == [("VARCHAR", "dpo_candidate_move")]


def test_the_candidates_table_written_as_parquet_reingests_losslessly(tmp_path, sample_file):
    """The interchange shape (the candidates table's columns, prompt and metadata as JSON)."""
    with PreferenceStore(tmp_path / "nat.duckdb") as nat:
        nat.ingest_nat_eval(sample_file("run1"), run_id="run1")
        expected = pair_content(nat)
    table = tmp_path / "candidates.parquet"
    with duckdb.connect(str(tmp_path / "nat.duckdb"), read_only=True) as con:
        con.execute("COPY (SELECT * FROM candidates ORDER BY seq) TO $p (FORMAT parquet)",
                    {"p": str(table)}).fetchall()
        columns = "example_id, turn_id, turn_index, candidate_index, step_name, prompt, response, score, " \
                  "step_uuid, metadata"
        before = con.execute(f"SELECT {columns} FROM candidates ORDER BY seq").fetchall()
    with PreferenceStore(tmp_path / "again.duckdb") as store:
        assert store.ingest_candidates(table, run_id="run1").rejects == 0
        assert pair_content(store) == expected
        _, after = store.query(f"SELECT {columns} FROM candidates ORDER BY seq")
    assert after == before


def test_bad_rows_are_rejected_with_reasons_and_nothing_is_lost(tmp_path):
    good = {"example_id": "e1", "turn_id": "t0", "prompt": "p", "response": "a", "score": 0.9}
    lines = [
        json.dumps(good),
        json.dumps(dict(good, response="b", score=0.1, step_name=None, metadata={"k": 1})),
        json.dumps(dict(good, response="c", score="high")),
        json.dumps({k: v for k, v in good.items() if k != "score"}),
        json.dumps({k: v for k, v in good.items() if k != "example_id"}),
        json.dumps(dict(good, turn_id=None)),
        json.dumps(dict(good, turn_id=[1])),
        json.dumps(dict(good, turn_id="t9", candidate_index=0, response="dup1")),
        json.dumps(dict(good, turn_id="t9", candidate_index=0, response="dup2")),
        json.dumps(dict(good, candidate_index=-1)),
        "[1, 2]",
        json.dumps(dict(good, example_id=7, step_name="my_step", turn_index=3)),
    ]
    path = tmp_path / "bad.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with PreferenceStore(tmp_path / "s.duckdb") as store:
        report = store.ingest_candidates(path, run_id="r")
        _, candidates = store.query("SELECT response, step_name, turn_index FROM candidates ORDER BY seq")
        _, rejects = store.query("SELECT step_pos, reason, raw FROM rejects ORDER BY step_pos")
    assert report.candidates + report.rejects == len(lines)
    assert ("b", "dpo_candidate_move", None) in candidates and ("p", "my_step", 3) not in candidates
    assert ("a", "my_step", 3) in candidates
    reasons = {pos: reason for pos, reason, _ in rejects}
    assert reasons[3] == "score is not a number"
    assert reasons[4] == "missing score"
    assert reasons[5] == "item has no usable id (string or number)"
    assert reasons[6] == "missing turn_id"
    assert reasons[7] == "turn_id is not a string or number"
    assert reasons[10] == "candidate_index is not a non-negative integer"
    assert reasons[11] == "step is not a JSON object"
    assert "duplicate candidate" in reasons[9] and 8 not in reasons
    raw_by_pos = {pos: raw for pos, _, raw in rejects}
    assert json.loads(raw_by_pos[3]) == json.loads(lines[2]), "the rejected row is kept as read"


def test_run_identity_and_replace(tmp_path, sample_file):
    rows = nat_candidates(sample_file("int-ids"))
    first = write_jsonl(tmp_path / "a.jsonl", rows)
    second = write_jsonl(tmp_path / "b.jsonl", rows[:-3])
    with PreferenceStore(tmp_path / "s.duckdb") as store:
        report = store.ingest_candidates(first)
        assert len(report.run_id) == 16
        assert store.ingest_candidates(first).status == "already ingested"
        store.ingest_candidates(first, run_id="named")
        with pytest.raises(RunExists):
            store.ingest_candidates(second, run_id="named")
        assert store.ingest_candidates(second, run_id="named", replace=True).status == "replaced"
        _, counts = store.query("SELECT run_id, count(*) FROM candidates GROUP BY 1 ORDER BY 2")
    assert counts == [("named", len(rows) - 3), (report.run_id, len(rows))]


def test_unreadable_files_are_refused_and_the_store_is_unchanged(tmp_path):
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"example_id": "e", "turn_id": "t", "prompt": "p", "response": "r", "score": 1}\n{"oops\n')
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n")
    csv = tmp_path / "x.csv"
    csv.write_text("example_id,turn_id\n")
    parquet = tmp_path / "cols.parquet"
    with duckdb.connect() as con:
        con.execute("COPY (SELECT 'e' AS example_id, 'p' AS prompt) TO $p (FORMAT parquet)",
                    {"p": str(parquet)}).fetchall()
    with PreferenceStore(tmp_path / "s.duckdb") as store:
        with pytest.raises(BadInput, match="broken.jsonl: not a readable candidates jsonl file"):
            store.ingest_candidates(broken)
        with pytest.raises(BadInput, match="empty.jsonl: file is empty"):
            store.ingest_candidates(empty)
        with pytest.raises(BadInput, match=r"cols.parquet: missing column\(s\) turn_id, response, score"):
            store.ingest_candidates(parquet)
        with pytest.raises(BadInput, match="unknown candidates file type '.csv'"):
            store.ingest_candidates(csv)
        with pytest.raises(BadInput, match="no such file"):
            store.ingest_candidates(tmp_path / "missing.jsonl")
        assert store.runs() == []
        _, counts = store.query("SELECT (SELECT count(*) FROM candidates), (SELECT count(*) FROM rejects)")
        assert counts == [(0, 0)]


def test_cli_ingest_candidates(tmp_path, db_path, sample_file):
    path = write_jsonl(tmp_path / "c.jsonl", nat_candidates(sample_file("int-ids")))
    result = run_cli("--db", db_path, "ingest", "--format", "candidates", path, "--run-id", "c", check=True)
    assert "ingested as run c" in result.stdout
    assert f"candidates stored: {len(nat_candidates(sample_file('int-ids')))}" in result.stdout
    bad = run_cli("--db", db_path, "ingest", "--format", "candidates", tmp_path / "nope.parquet")
    assert bad.returncode == 1 and bad.stderr.startswith("Error: ") and "no such file" in bad.stderr
