"""Decisions: exclude, flip, note and undo, by rule, pair or candidate, kept in the store and
honored by every reader of pairs; the log is append-only and keyed by content."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from prefstore import ExportOptions, PairConfig, PreferenceStore
from prefstore.errors import BadOption, QueryRefused
from prefstore.sample_data import write_demo_runs

from .conftest import run_cli

IGNORE = PairConfig(apply_decisions=False)


@pytest.fixture
def runs(tmp_path) -> list[Path]:
    return write_demo_runs(tmp_path / "runs")


@pytest.fixture
def demo(runs, db_path):
    with PreferenceStore(db_path) as store:
        for n, path in enumerate(runs, start=1):
            store.ingest_nat_eval(path, run_id=f"run{n}")
        yield store


def key(pair) -> tuple:
    return (pair.example_id, pair.turn_id, pair.chosen_response, pair.rejected_response)


def log_rows(store: PreferenceStore) -> tuple[int, int]:
    _, ((decisions, targets),) = store.query(
        "SELECT (SELECT count(*) FROM decisions), (SELECT count(*) FROM decision_targets)")
    return decisions, targets


def test_rule_excludes_now_and_later_and_ignore_decisions_restores(demo, runs, tmp_path):
    before = demo.pairs()
    entry = demo.exclude("score_diff < 0.1", note="noise", author="ann")
    small = [p for p in before if p.score_diff < 0.1]
    assert small and entry["context"]["matches"] == len(small)
    assert (entry["action"], entry["target"], entry["rule"], entry["author"], entry["source"]) == \
        ("exclude", "rule", "score_diff < 0.1", "ann", "api")
    after = demo.pairs()
    assert [key(p) for p in after] == [key(p) for p in before if p.score_diff >= 0.1]
    assert demo.count_pairs() == len(after) and demo.stats()["pairs"] == len(after)
    assert demo.pairs(IGNORE) == before
    # a rule is kept, not evaluated once: a run ingested later is filtered too
    demo.ingest_nat_eval(runs[0], run_id="later")
    later = demo.pairs(runs=["later"])
    assert later and all(p.score_diff >= 0.1 for p in later)
    assert len(demo.pairs(IGNORE, runs=["later"])) > len(later)


def test_exports_of_every_format_honor_decisions(demo, tmp_path):
    pairs = demo.pairs()
    excluded, flipped = pairs[0], pairs[1]
    demo.exclude(pairs=[excluded])
    demo.flip(pairs=[flipped], note="the scorer got it backwards")
    nemo = tmp_path / "all.jsonl"
    demo.export(nemo, options=ExportOptions(dedup=False))
    lines = [json.loads(line) for line in nemo.read_text().splitlines()]
    assert len(lines) == len(pairs) - 1
    texts = [(line["chosen_response"], line["rejected_response"]) for line in lines]
    assert (excluded.chosen_response, excluded.rejected_response) not in texts
    assert texts[0] == (flipped.rejected_response, flipped.chosen_response)
    for fmt in ("trl", "openai", "parquet"):
        manifest = demo.export(tmp_path / fmt, options=ExportOptions(format=fmt, dedup=False))
        assert sum(s["pairs"] for s in manifest["splits"].values()) == len(pairs) - 1
        assert manifest["decisions"]["applied"] and manifest["decisions"]["active"] == 2
    import duckdb
    table = duckdb.sql("SELECT * FROM read_parquet($p)", params={"p": str(tmp_path / "parquet" / "*.parquet")})
    rows = table.fetchall()
    names = [d[0] for d in table.description]
    flipped_rows = [dict(zip(names, r)) for r in rows if dict(zip(names, r))["score_diff"] < 0]
    assert len(flipped_rows) == 1
    assert flipped_rows[0]["chosen"][0]["content"] == flipped.rejected_response
    assert flipped_rows[0]["reward"] == flipped.reward, "a flipped pair keeps its reward"
    ignored = demo.export(tmp_path / "ignored.jsonl", IGNORE, ExportOptions(dedup=False))
    assert ignored["splits"]["all"]["pairs"] == len(pairs) and not ignored["decisions"]["applied"]


def test_flipped_pair_and_its_trajectory(demo):
    original = demo.pairs()[3]
    demo.flip(pairs=[original])
    now = next(p for p in demo.pairs() if (p.chosen_seq, p.rejected_seq) == (original.rejected_seq, original.chosen_seq))
    assert now.flipped and now.chosen_response == original.rejected_response
    assert (now.chosen_score, now.rejected_score) == (original.rejected_score, original.chosen_score)
    assert now.score_diff == -original.score_diff < 0 and now.reward == original.reward
    assert now.prompt == original.prompt and now.turn_id == original.turn_id
    trajectory = next(t for group in demo.trajectories().trajectories for t in group if t.metadata.get("flipped"))
    assert trajectory.episode[0].chosen_response == original.rejected_response
    # flipping the pair as store.pairs() now shows it names the same pair (no double flip)
    again = demo.flip(pairs=[now])
    assert demo.decisions()[-1]["matches"] == 1 and again["context"]["pairs"] == 1
    assert sum(p.flipped for p in demo.pairs()) == 1


def test_excluding_a_candidate_drops_all_its_pairs(demo):
    before = demo.pairs()
    big = next(p for p in before if p.num_candidates >= 4)
    seq = big.rejected_seq
    with_it = [p for p in before if seq in (p.chosen_seq, p.rejected_seq)]
    assert len(with_it) > 1
    demo.exclude(candidates=[seq], note="broken tool call")
    assert [key(p) for p in demo.pairs()] == [key(p) for p in before if p not in with_it]


def test_decisions_survive_reingest_and_replace_and_orphans_are_listed(demo, runs, tmp_path):
    pair = next(p for p in demo.pairs() if p.run_id == "run1")
    demo.exclude(pairs=[pair])
    # the same content under another run id: the decision applies to that copy too
    demo.ingest_nat_eval(runs[0], run_id="copy")
    assert key(pair) not in {key(p) for p in demo.pairs(runs=["copy"])}
    # replace run1 with the same file: new seqs, same content, still excluded
    demo.ingest_nat_eval(runs[0], run_id="run1", replace=True)
    assert key(pair) not in {key(p) for p in demo.pairs(runs=["run1"])}
    assert demo.decisions()[0]["matches"] == 1 and not demo.decisions()[0]["orphan"]
    # replace both copies with other data: the decision matches nothing and is listed as an orphan
    demo.ingest_nat_eval(runs[1], run_id="run1", replace=True)
    demo.ingest_nat_eval(runs[1], run_id="copy", replace=True)
    (entry,) = demo.decisions()
    assert entry["active"] and entry["matches"] == 0 and entry["orphan"]


def test_a_candidate_decision_survives_replace_and_is_listed_when_orphaned(demo, runs):
    before = demo.pairs(runs=["run1"])
    big = next(p for p in before if p.num_candidates >= 4)
    gone = {key(p) for p in before if big.rejected_seq in (p.chosen_seq, p.rejected_seq)}
    demo.exclude(candidates=[big.rejected_seq])
    # replace run1 with the same file: new seqs, same content, the candidate's pairs still gone
    demo.ingest_nat_eval(runs[0], run_id="run1", replace=True)
    after = {key(p) for p in demo.pairs(runs=["run1"])}
    assert after == {key(p) for p in before} - gone and len(gone) > 1
    assert demo.decisions()[0]["matches"] == 1 and not demo.decisions()[0]["orphan"]
    # replace it with other data: the decision matches nothing and is listed as an orphan
    demo.ingest_nat_eval(runs[1], run_id="run1", replace=True)
    (entry,) = demo.decisions()
    assert entry["active"] and entry["matches"] == 0 and entry["orphan"]


def test_undo_appends_and_nothing_is_deleted(demo):
    before = demo.pairs()
    first = demo.exclude("chosen_score > 0.9")
    assert len(demo.pairs()) < len(before)
    rows = log_rows(demo)
    undo = demo.undo(first["decision_id"], note="too strict")
    assert (undo["action"], undo["undoes"], undo["target"]) == ("undo", first["decision_id"], "decision")
    assert demo.pairs() == before
    log = demo.decisions()
    assert [(e["decision_id"], e["active"], e["undone_by"]) for e in log] == \
        [(first["decision_id"], False, undo["decision_id"]), (undo["decision_id"], False, None)]
    assert log_rows(demo)[0] == rows[0] + 1
    with pytest.raises(BadOption, match="already undone"):
        demo.undo(first["decision_id"])
    with pytest.raises(BadOption, match="cannot be undone"):
        demo.undo(undo["decision_id"])
    with pytest.raises(BadOption, match="no decision 99"):
        demo.undo(99)


@pytest.mark.parametrize(("rule", "message"), [
    ("DROP TABLE runs", "not DROP"),
    ("score_diff < 0.1; DELETE FROM runs", "one boolean expression"),
    ("score_diff < (SELECT max(score) FROM candidates)", "refuses"),
    ("count(*) > 1", "one pair at a time"),
    ("row_number() OVER () > 1", "one pair at a time"),
    ("nope > 1", "unknown column nope"),
    ("candidates.score > 1", "unknown column"),
    ("score_diff", "must be true or false"),
    ("read_text('/etc/passwd') IS NOT NULL", "cannot read files"),
    ("query('SELECT 1') IS NOT NULL", "not allowed"),
    ("score_diff <", "does not parse"),
])
def test_bad_rules_are_refused_and_record_nothing(demo, rule, message):
    with pytest.raises((QueryRefused, BadOption), match=message):
        demo.exclude(rule)
    assert log_rows(demo) == (0, 0)


def test_a_decision_names_one_target(demo):
    pair = demo.pairs()[0]
    with pytest.raises(BadOption, match="one target"):
        demo.exclude("score_diff < 0.1", pairs=[pair])
    with pytest.raises(BadOption, match="cannot be flipped"):
        demo._decide("flip", candidates=[pair.chosen_seq])
    with pytest.raises(BadOption, match="no such pair"):
        demo.exclude(pairs=[(pair.chosen_seq, 10**9)])
    with pytest.raises(BadOption, match="no candidate with seq"):
        demo.exclude(candidates=[10**9])
    with pytest.raises(BadOption, match="needs its text"):
        demo.note(" ", pairs=[pair])
    assert log_rows(demo) == (0, 0)
    note = demo.note("look at the tool call", pairs=[pair])
    assert note["action"] == "note" and demo.pairs()[0] == pair, "a note changes no export"


def test_manifest_digest_follows_the_log_and_exports_stay_byte_identical(demo, tmp_path):
    demo.exclude("score_diff < 0.05")
    first = demo.export(tmp_path / "a")
    second = demo.export(tmp_path / "b")
    assert first["decisions"] == second["decisions"] and first["decisions"]["sha256"]
    for name in ("training/training_file.jsonl", "validation/validation_file.jsonl", "manifest.json"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    demo.flip(pairs=[demo.pairs()[0]])
    assert demo.export(tmp_path / "c")["decisions"]["sha256"] != first["decisions"]["sha256"]


def test_cli_exclude_flip_decisions_undo(demo, db_path, tmp_path):
    total = len(demo.pairs())
    demo.close()
    dry = run_cli("--db", db_path, "exclude", "--where", "score_diff < 0.1", "--dry-run", check=True)
    with PreferenceStore(db_path, read_only=True) as store:
        small = len([p for p in store.pairs() if p.score_diff < 0.1])
        assert store.decisions() == []
    assert f"matches {small} pair(s)" in dry.stdout
    done = run_cli("--db", db_path, "exclude", "--where", "score_diff < 0.1", "--note", "noise", check=True)
    assert done.stdout.startswith("decision 1: exclude where score_diff < 0.1")
    run_cli("--db", db_path, "flip", "--where", "chosen_index = 0 AND score_diff > 0.5", check=True)
    listed = json.loads(run_cli("--db", db_path, "decisions", "--format", "json", check=True).stdout)
    assert [(d["decision_id"], d["action"], d["source"], d["note"]) for d in listed] == \
        [(1, "exclude", "cli", "noise"), (2, "flip", "cli", None)]
    pairs = json.loads(run_cli("--db", db_path, "pairs", "--limit", "0", "--format", "json", check=True).stdout)
    assert len(pairs) == total - small and any(p["flipped"] for p in pairs)
    everything = run_cli("--db", db_path, "pairs", "--limit", "0", "--format", "json", "--ignore-decisions",
                         check=True)
    assert len(json.loads(everything.stdout)) == total
    run_cli("--db", db_path, "undo", "1", check=True)
    pairs = json.loads(run_cli("--db", db_path, "pairs", "--limit", "0", "--format", "json", check=True).stdout)
    assert len(pairs) == total
    bad = run_cli("--db", db_path, "exclude", "--where", "DROP TABLE runs")
    assert bad.returncode == 1 and bad.stderr.startswith("Error: --where") and "Traceback" not in bad.stderr
    again = run_cli("--db", db_path, "undo", "1")
    assert again.returncode == 1 and "already undone" in again.stderr
    # rules match the pairs before decisions: --ignore-decisions would change nothing, so it is refused
    for command in (["exclude", "--where", "true"], ["flip", "--where", "true"], ["decisions"]):
        refused = run_cli("--db", db_path, *command, "--ignore-decisions")
        assert refused.returncode == 2 and "No such option '--ignore-decisions'" in refused.stderr


def test_query_reads_pairs_with_decision_columns(demo):
    demo.exclude("score_diff < 0.1")
    _, ((kept, excluded),) = demo.query(
        "SELECT count(*) FILTER (WHERE NOT excluded), count(*) FILTER (WHERE excluded) FROM pairs")
    assert kept == len(demo.pairs()) and excluded == len(demo.pairs(IGNORE)) - kept


def test_python_data_api_honors_decisions(demo):
    pairs = demo.pairs()
    demo.exclude(pairs=[pairs[0]])
    demo.flip(pairs=[pairs[1]])
    rows = demo.pairs_arrow().read_all().to_pylist()
    assert len(rows) == len(pairs) - 1
    flipped = [r for r in rows if r["flipped"]]
    assert [(r["chosen_response"], r["rejected_response"]) for r in flipped] == \
        [(pairs[1].rejected_response, pairs[1].chosen_response)]
    data = demo.dataset(options=ExportOptions(format="trl", validation_fraction=0, dedup=False))
    assert len(data["train"]) == len(pairs) - 1
    assert data["train"][0]["chosen"][0]["content"] == pairs[1].rejected_response
    assert sum(len(g) for g in demo.iter_trajectories()) == len(pairs) - 1
