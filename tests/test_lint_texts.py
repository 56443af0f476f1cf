"""Lint's text checks (computed once per candidate, sql/lint/texts.sql) find exactly the pairs the
rules in README ("Lint") name, on texts built to trip a shortcut: tabs, newlines, form feeds,
carriage returns, vertical tabs (not whitespace to RE2's \\s), double spaces, spaces at the ends."""

from __future__ import annotations

import json
import re

from prefstore import PreferenceStore

TEXTS = ["same", "same", " same  ", "same\n", "\tsame", "", "   ", "\n\r\f", "\x0b", "x\ty", "x y", "x  y",
         "x\x0by", "é  ü", "é ü", "a b ", "a b", "longer text here", "same\r\n"]


def normalized(text: str) -> str:
    return re.sub(r"[\t\n\f\r ]+", " ", text).strip(" ")


def test_identical_and_empty_texts_follow_the_rule(tmp_path):
    rows = [{"example_id": "q", "turn_id": "t0", "prompt": "p", "response": text, "score": i / 100}
            for i, text in enumerate(TEXTS)]
    path = tmp_path / "texts.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    with PreferenceStore(tmp_path / "s.duckdb") as store:
        store.ingest_candidates(path, run_id="texts")
        pairs = {(p.chosen_seq, p.rejected_seq): p for p in store.pairs()}
        found = store.query("SELECT chosen_seq, rejected_seq, check_name FROM lint_pairs")[1]
        report = store.lint(examples=1000)
    identical = {(c, r) for c, r, name in found if name == "identical_texts"}
    empty = {(c, r) for c, r, name in found if name == "empty_response"}
    assert identical == {k for k, p in pairs.items()
                         if normalized(p.chosen_response) == normalized(p.rejected_response)}
    assert empty == {k for k, p in pairs.items()
                     if not normalized(p.chosen_response) or not normalized(p.rejected_response)}
    assert identical and empty
    exact = {(e["chosen_seq"], e["rejected_seq"]): e["detail"]["exact"]
             for c in report["checks"] if c["name"] == "identical_texts" for e in c["examples"]}
    assert exact == {k: pairs[k].chosen_response == pairs[k].rejected_response for k in identical}
    longer = sum(len(p.chosen_response) > len(p.rejected_response) for p in pairs.values())
    bias = next(c for c in report["checks"] if c["name"] == "length_bias")
    assert f"{longer / sum(len(p.chosen_response) != len(p.rejected_response) for p in pairs.values()):.1%}" \
        in bias["message"]
