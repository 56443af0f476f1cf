"""Lint: each check finds its planted defect, a clean store finds none, and the CLI, JSON,
--fail-on, export --fail-on-lint and the per-pair view work on real stores."""

from __future__ import annotations

import json
import math
import random
from pathlib import Path

import pytest

from prefstore import PairConfig, PreferenceStore
from prefstore.errors import LintFailed
from prefstore.lint import CHECK_NAMES, binomial_tail

from .conftest import run_cli

WORDS = "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi omicron pi rho".split()


def candidate_steps(turn_id: str, prompt, candidates: list[tuple[str, float]]) -> list[dict]:
    return [{"payload": {"event_type": "TTC_END", "name": "dpo_candidate_move", "UUID": f"{turn_id}-{k}",
                         "metadata": {}, "data": {"turn_id": turn_id, "turn_index": 0, "candidate_index": k,
                                                  "score": score, "input": prompt, "output": text}}}
            for k, (text, score) in enumerate(candidates)]


def write_run(path: Path, examples: dict[str, list[tuple[str, list[tuple[str, float]]]]]) -> Path:
    """examples: id -> [(prompt, [(response, score), ...]) per turn], as a NAT workflow_output.json."""
    items = [{"id": example_id, "question": example_id,
              "intermediate_steps": [s for n, (prompt, cands) in enumerate(turns)
                                     for s in candidate_steps(f"{example_id}-t{n}", prompt, cands)]}
             for example_id, turns in examples.items()]
    path.write_text(json.dumps(items, indent=2))
    return path


def clean_examples(seed: int = 0, n: int = 20, scale: float = 1.0) -> dict:
    """n examples, one turn of 3 candidates each: distinct texts, scores spread over the scale,
    the longer response chosen about half the time, distinct prompts."""
    rng = random.Random(seed)
    examples = {}
    for i in range(n):
        texts = [" ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 12))) + f" #{i}.{k}" for k in range(3)]
        scores = [round(scale * s, 3) for s in rng.sample([0.1, 0.35, 0.6, 0.85, 0.95], 3)]
        examples[f"ex{i}"] = [(f"question {i}: {rng.choice(WORDS)}?", list(zip(texts, scores)))]
    return examples


def lint_store(tmp_path: Path, *runs: dict) -> PreferenceStore:
    store = PreferenceStore(tmp_path / "s.duckdb")
    for n, examples in enumerate(runs):
        store.ingest_nat_eval(write_run(tmp_path / f"run{n}.json", examples), run_id=f"run{n}")
    return store


def findings(report: dict) -> dict[str, int]:
    return {c["name"]: c["count"] for c in report["checks"] if c["count"]}


def test_a_clean_store_finds_nothing(tmp_path):
    with lint_store(tmp_path, clean_examples(0), clean_examples(1)) as store:
        report = store.lint()
    assert [c["name"] for c in report["checks"]] == list(CHECK_NAMES)
    assert findings(report) == {}, [c["message"] for c in report["checks"] if c["count"]]
    assert report["errors"] == report["warnings"] == 0 and report["pairs"] == 2 * 20 * 3


def plant(name: str) -> list[dict]:
    """Runs holding the defect `name` (and otherwise clean)."""
    base = clean_examples(0)
    if name == "identical_texts":
        base["ex0"] = [("q0", [("same answer", 0.9), ("same  answer ", 0.1), ("other", 0.5)])]
    elif name == "empty_response":
        base["ex0"] = [("q0", [("fine answer", 0.9), ("   ", 0.1), ("other words here", 0.5)])]
    elif name == "split_leakage":
        for i in range(20):   # one prompt under 20 ids: the default split puts some on each side
            base[f"ex{i}"] = [("the same question", base[f"ex{i}"][0][1])]
    elif name == "length_bias":
        for i in range(20):
            base[f"ex{i}"] = [(f"q{i}", [("long " * (10 + k), 0.2 + 0.3 * k) for k in range(3)])]
    elif name == "near_ties":
        base["ex0"] = [("q0", [("a b c", 0.5), ("d e f g", 0.5001), ("h", 0.95)])]
    elif name == "zero_scores":
        for i in range(6):
            texts = [t for t, _ in base[f"ex{i}"][0][1]]
            base[f"ex{i}"] = [(f"q{i}", [(texts[0], 0.0), (texts[1], 0.6), (texts[2], 0.9)])]
    elif name == "score_scale":
        return [base, clean_examples(1, scale=100.0), clean_examples(2)]
    elif name == "dominant_examples":
        rng = random.Random(5)
        base["ex0"] = [("q0", [(" ".join(rng.sample(WORDS, 4)) + f" {k}", round(0.05 + 0.04 * k, 3))
                               for k in range(24)])]
    return [base, clean_examples(1)]


@pytest.mark.parametrize("name", CHECK_NAMES)
def test_each_planted_defect_is_found(tmp_path, name):
    with lint_store(tmp_path, *plant(name)) as store:
        report = store.lint()
        (check,) = [c for c in report["checks"] if c["name"] == name]
        assert check["count"] > 0, check["message"]
        assert check["examples"] and check["message"]
        _, rows = store.query("SELECT DISTINCT check_name FROM lint_pairs")
    assert (name,) in rows, "the finding is filterable per pair (lint_pairs)"
    others = {k: v for k, v in findings(report).items() if k != name}
    allowed = {"score_scale": {"near_ties"}, "dominant_examples": {"near_ties", "length_bias"},
               "zero_scores": {"near_ties"}}.get(name, set())
    assert set(others) <= allowed, others


def test_score_scale_also_finds_flat_turns(tmp_path):
    examples = clean_examples(0)
    examples["ex0"] = [("q0", [("one", 0.5), ("two", 0.5), ("three", 0.5)])]
    with lint_store(tmp_path, examples, clean_examples(1)) as store:
        (check,) = [c for c in store.lint()["checks"] if c["name"] == "score_scale"]
    assert check["count"] == 1 and check["examples"][0]["subject"] == "turn"
    assert check["examples"][0]["example_id"] == "ex0"


def test_lint_sees_decisions(tmp_path):
    with lint_store(tmp_path, *plant("identical_texts")) as store:
        assert findings(store.lint()).get("identical_texts") == 1
        store.exclude("trim(regexp_replace(chosen_response, '\\s+', ' ', 'g')) = "
                      "trim(regexp_replace(rejected_response, '\\s+', ' ', 'g'))")
        assert "identical_texts" not in findings(store.lint())
        assert findings(store.lint(PairConfig(apply_decisions=False))).get("identical_texts") == 1


def test_binomial_tail_exact_and_approximate():
    assert binomial_tail(0, 10) == 1.0 and binomial_tail(11, 10) == 0.0
    assert binomial_tail(10, 10) == pytest.approx(1 / 1024)
    assert binomial_tail(8, 10) == pytest.approx((45 + 10 + 1) / 1024)
    # exact at 20,000 trials agrees with the normal approximation used beyond
    z = (10_150 - 0.5 - 10_000) / math.sqrt(5_000)
    assert binomial_tail(10_150, 20_000) == pytest.approx(0.5 * math.erfc(z / math.sqrt(2)), rel=0.02)
    assert binomial_tail(30_300, 60_000) < 0.01 < binomial_tail(30_100, 60_000)


def test_cli_lint_json_fail_on_and_export_refusal(tmp_path, db_path):
    with lint_store(tmp_path, *plant("empty_response")):
        pass
    db = tmp_path / "s.duckdb"
    table = run_cli("--db", db, "lint")
    assert table.returncode == 1 and "empty_response" in table.stdout
    as_json = run_cli("--db", db, "lint", "--format", "json", "--fail-on", "never", check=True)
    report = json.loads(as_json.stdout)
    assert set(report) >= {"checks", "pairs", "errors", "warnings"}
    assert all(set(c) == {"name", "severity", "count", "examples", "message"} for c in report["checks"])
    assert report["errors"] == 1
    refused = run_cli("--db", db, "export", tmp_path / "out.jsonl", "--fail-on-lint", "error")
    assert refused.returncode == 1 and refused.stderr.startswith("Error: lint found empty_response (error)")
    assert not (tmp_path / "out.jsonl").exists()
    run_cli("--db", db, "exclude", "--where", "regexp_full_match(rejected_response, '\\s*')", check=True)
    assert run_cli("--db", db, "lint", "--format", "json").returncode == 0
    run_cli("--db", db, "export", tmp_path / "out.jsonl", "--fail-on-lint", "error", check=True)
    with PreferenceStore(db, read_only=True) as store:
        with pytest.raises(LintFailed):
            store.export(tmp_path / "x.jsonl", PairConfig(apply_decisions=False), fail_on_lint="error")


def test_lint_pairs_is_the_same_when_the_query_also_reads_pairs(tmp_path):
    """lint_pairs keeps naming the pairs lint ran on, even when `pairs` (excluded pairs kept)
    is set up for the same query."""
    with lint_store(tmp_path, *plant("zero_scores")) as store:
        store.exclude("chosen_score = 0.6")
        _, alone = store.query("SELECT chosen_seq, rejected_seq, check_name FROM lint_pairs ORDER BY ALL")
        _, together = store.query(
            "SELECT l.chosen_seq, l.rejected_seq, l.check_name FROM lint_pairs AS l "
            "WHERE (SELECT count(*) FROM pairs) > 0 ORDER BY ALL")
        _, excluded = store.query("SELECT count(*) FROM pairs WHERE excluded")
    assert excluded[0][0] > 0 and alone
    assert together == alone


def test_export_gate_checks_the_split_it_writes(tmp_path):
    """split_leakage is about a validation split: a single file has none, a directory has one."""
    with lint_store(tmp_path, *plant("split_leakage")) as store:
        with pytest.raises(LintFailed, match="split_leakage"):
            store.export(tmp_path / "split", fail_on_lint="error")
        assert not (tmp_path / "split").exists()
        store.export(tmp_path / "one.jsonl", fail_on_lint="error")
        assert (tmp_path / "one.jsonl").stat().st_size > 0


def test_severities_and_fail_on_warning(tmp_path):
    """Each check has the severity the README's table gives it; --fail-on warning stops at a
    warning that --fail-on error lets through."""
    with lint_store(tmp_path, *plant("length_bias")):
        pass
    db = tmp_path / "s.duckdb"
    report = json.loads(run_cli("--db", db, "lint", "--format", "json", "--fail-on", "never", check=True).stdout)
    severities = {c["name"]: c["severity"] for c in report["checks"]}
    assert severities == {"identical_texts": "error", "empty_response": "error", "split_leakage": "error",
                          "length_bias": "warning", "near_ties": "warning", "zero_scores": "warning",
                          "score_scale": "warning", "dominant_examples": "warning"}
    assert report["errors"] == 0 and report["warnings"] >= 1
    assert run_cli("--db", db, "lint", "--fail-on", "error").returncode == 0
    assert run_cli("--db", db, "lint", "--fail-on", "warning").returncode == 1
