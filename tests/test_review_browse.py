"""The review page's library (prefstore.browse): the cache agrees with the decisions layer, keyset
pages cover the pairs in order, filters, a pair's detail, the overview; the file is held only during a call."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from prefstore import PairConfig, PreferenceStore
from prefstore.browse import Browser, Filters, NoSuchPair, word_diff
from prefstore.errors import BadOption
from prefstore.store import Scratch

from .review_data import HOSTILE_RUN, SCRIPT, build_store, write_candidates


@pytest.fixture
def db(tmp_path):
    return build_store(tmp_path)


@pytest.fixture
def browser(db):
    scratch = Scratch(db)
    yield Browser(scratch)
    scratch.close()


def truth(db, config=None):
    """(chosen_seq, rejected_seq before flip, flipped, excluded) per pair, in output order, from the library."""
    with PreferenceStore(db, read_only=True) as store:
        rows = store.query("SELECT chosen_seq, rejected_seq, flipped, excluded FROM pairs "
                           "ORDER BY example_seq, turn_seq, pair_rank", config=config)[1]
    return [((r, c) if f else (c, r), f, e) for c, r, f, e in rows]


def shown(browser, filters=Filters(), limit=100_000):
    rows = browser.page(filters, limit=limit)["rows"]
    return [((r["chosen_seq"], r["rejected_seq"]), r["flipped"], r["excluded"]) for r in rows]


def test_cache_flags_agree_with_the_decisions_layer(db, browser):
    with PreferenceStore(db) as store:
        pairs = store.pairs()
        store.exclude(pairs=[pairs[0]], note="bad")
        store.flip(pairs=[pairs[1], pairs[5]])
        store.exclude(candidates=[pairs[9].rejected_seq])
        store.note("look", pairs=[pairs[2]])
        store.flip("score_diff > 0.7")
        rule = store.exclude("chosen_response LIKE '%e1 t1%'")
        store.exclude(pairs=[pairs[3]])
        store.undo(rule["decision_id"])
    assert shown(browser) == truth(db)
    page = browser.page(Filters(), limit=100_000)
    noted = [(r["chosen_seq"], r["rejected_seq"]) for r in page["rows"] if r["noted"]]
    assert noted == [(pairs[2].chosen_seq, pairs[2].rejected_seq)]
    # a decision from another writer shows at the next call (the fingerprint changed)
    with PreferenceStore(db) as store:
        store.exclude(pairs=[pairs[4]])
    assert shown(browser) == truth(db)
    # decisions name the base example: excluding a pair of one `nat eval --reps` copy excludes its twin
    rows = [{"example_id": f"rq_rep{k}", "turn_id": "t0", "prompt": "same question", "response": text, "score": score}
            for k in (0, 1) for text, score in (("good", 0.9), ("bad", 0.1))]
    with PreferenceStore(db) as store:
        store.ingest_candidates(write_candidates(db.parent / "reps.jsonl", rows), run_id="reps")
        twins = [p for p in store.pairs() if p.run_id == "reps"]
        store.exclude(pairs=[twins[0]])
    assert len(twins) == 2 and shown(browser) == truth(db)
    assert sum(excluded for (_, _, excluded) in shown(browser)[-2:]) == 2


def test_keyset_pages_cover_every_pair_once_in_order(browser, db):
    everything = [p for p, _, _ in truth(db)]
    seen, after = [], None
    while True:
        page = browser.page(Filters(), after=after, limit=7)
        seen += [(r["chosen_seq"], r["rejected_seq"]) for r in page["rows"]]
        if not page["has_next"]:
            break
        after = page["rows"][-1]["pos"]
    assert seen == everything
    back, before = [], None
    while True:
        page = browser.page(Filters(), before=before, limit=7) if before else browser.page(
            Filters(), after=len(everything) - 7, limit=7)
        back = [(r["chosen_seq"], r["rejected_seq"]) for r in page["rows"]] + back
        if not page["has_prev"]:
            break
        before = page["rows"][0]["pos"]
    assert back == everything


def test_filters(browser, db):
    rows = browser.page(Filters(), limit=100_000)["rows"]
    by = lambda f: [r["pos"] for r in browser.page(f, limit=100_000)["rows"]]  # noqa: E731
    assert by(Filters(run_id="r2")) == [r["pos"] for r in rows if r["run_id"] == "r2"]
    assert by(Filters(example_id="game_3")) == [r["pos"] for r in rows if r["example_id"] == "game_3"]
    assert by(Filters(min_margin=0.2, max_margin=0.5)) == [r["pos"] for r in rows if 0.2 <= r["margin"] <= 0.5]
    ratio = [r["pos"] for r in rows if r["chosen_len"] / max(r["rejected_len"], 1) >= 2]
    assert ratio and by(Filters(min_ratio=2)) == ratio
    assert by(Filters(search="WINDOW.PWNED")) == [r["pos"] for r in rows if r["run_id"] == HOSTILE_RUN]
    assert by(Filters(search="e1 t2 ")) == [r["pos"] for r in rows
                                            if "e1 t2 " in r["chosen_text"] + r["rejected_text"] + r["prompt_text"]]
    assert by(Filters(state="none")) == [r["pos"] for r in rows]
    with PreferenceStore(db) as store:
        store.exclude(pairs=[(rows[0]["chosen_seq"], rows[0]["rejected_seq"])])
    assert by(Filters(state="excluded")) == [rows[0]["pos"]]
    # split and lint: from the lint report of the same store
    browser.lint()
    with PreferenceStore(db, read_only=True) as store:
        lint_rows = store.query("SELECT DISTINCT check_name FROM lint_pairs")[1]
        report = store.lint()
    for (check,) in lint_rows:
        n = sum(c["count"] for c in report["checks"] if c["name"] == check)
        found = by(Filters(check=check))
        assert found and (len(found) == n or check in ("score_scale", "zero_scores", "length_bias",
                                                       "dominant_examples")), check
    train, validation = by(Filters(split="train")), by(Filters(split="validation"))
    assert train and validation and not set(train) & set(validation)
    with pytest.raises(BadOption, match="state"):
        Filters.parse({"state": "maybe"})
    with pytest.raises(BadOption, match="min_margin"):
        Filters.parse({"min_margin": "lots"})


def test_the_split_filter_matches_a_default_export(browser, db, tmp_path):
    # Filters(split=...) shows the examples a directory export with default options writes to that split
    with PreferenceStore(db) as store:
        manifest = store.export(tmp_path / "out")
        owners: dict[tuple, set] = {}
        for p in store.pairs():
            prompt = p.prompt if isinstance(p.prompt, str) else p.prompt[-1].content
            owners.setdefault((prompt, p.chosen_response, p.rejected_response), set()).add((p.run_id, p.example_id))
    for split in ("train", "validation"):
        lines = (tmp_path / "out" / manifest["splits"][split]["file"]).read_text().splitlines()
        exported = set().union(*(owners[(x["prompt"], x["chosen_response"], x["rejected_response"])]
                                 for x in map(json.loads, lines)))
        rows = browser.page(Filters(split=split), limit=100_000)["rows"]
        assert exported and {(r["run_id"], r["example_id"]) for r in rows} == exported, split
        # the manifest counts example ids (runs of one id share a side)
        assert len({example for _, example in exported}) == manifest["splits"][split]["examples"], split


def test_pair_detail(browser, db):
    row = next(r for r in browser.page(Filters(run_id=HOSTILE_RUN))["rows"])
    detail = browser.pair(row["chosen_seq"], row["rejected_seq"], Filters())
    assert detail["chosen"]["response"] == SCRIPT
    assert [m["role"] for m in detail["messages"]] == ["system", "user"]
    assert [c["score"] for c in detail["turn"]] == [0.9, 0.5, 0.1]
    assert detail["around"]["number"] == row["pos"]
    with PreferenceStore(db) as store:
        first = store.flip(pairs=[(row["chosen_seq"], row["rejected_seq"])], note="swap")
        second = store.note("why", pairs=[(row["chosen_seq"], row["rejected_seq"])])
    detail = browser.pair(row["chosen_seq"], row["rejected_seq"], Filters())
    assert detail["pair"]["flipped"] and detail["rejected"]["response"] == SCRIPT
    assert [d["decision_id"] for d in detail["decisions"]] == [first["decision_id"], second["decision_id"]]
    assert browser.latest_decision(row["chosen_seq"], row["rejected_seq"]) == second["decision_id"]
    with PreferenceStore(db) as store:       # a rule in force on the pair is listed, but `u` leaves it alone
        rule = store.exclude("chosen_response LIKE '%pwned=1%'")  # before the flip
    detail = browser.pair(row["chosen_seq"], row["rejected_seq"], Filters())
    assert detail["pair"]["excluded"]
    assert [(d["decision_id"], d["target"]) for d in detail["decisions"]][-1] == (rule["decision_id"], "rule")
    assert browser.latest_decision(row["chosen_seq"], row["rejected_seq"]) == second["decision_id"]
    with pytest.raises(NoSuchPair):
        browser.pair(row["rejected_seq"], row["chosen_seq"], Filters())


def test_word_diff_rebuilds_both_texts_and_caps():
    a, b = "the quick  brown fox\njumps", "the slow brown fox jumps over"
    left, right, cut = word_diff(a, b)
    assert "".join(t for t, _ in left) == a and "".join(t for t, _ in right) == b and not cut
    assert [t for t, changed in left if changed] == [" quick  brown", "\njumps"]
    assert [t for t, changed in right if changed] == [" slow brown", " jumps over"]
    _, _, cut = word_diff("x " * 20_000, "y", limit=1000)
    assert cut


def test_the_file_is_free_between_calls(browser, db, tmp_path):
    browser.page(Filters())
    # another process opens the store for writing between two calls of the browser
    code = ("import sys; from prefstore import PreferenceStore; "
            "s = PreferenceStore(sys.argv[1], wait=0); s.note('from elsewhere', pairs=[s.pairs()[0]]); s.close()")
    subprocess.run([sys.executable, "-c", code, str(db)], check=True, timeout=60)
    assert browser.page(Filters(state="noted"))["counts"]["pairs"] == 1


def test_overview_and_report(db, tmp_path):
    with PreferenceStore(db) as store:
        data = store.overview()
        runs = [r["run_id"] for r in data["runs"]]
        assert runs == ["r1", "r2", HOSTILE_RUN]
        assert data["totals"]["pairs"] == store.count_pairs()
        assert sum(b["n"] for b in data["score"]) == data["totals"]["candidates"]
        assert sum(b["n"] for b in data["margin"]) == data["totals"]["pairs"]
        assert sum(b["turns"] for b in data["candidates"]) == sum(r["turns"] for r in data["runs"])
        first = store.report(tmp_path / "a.html")
        second = store.report(tmp_path / "b.html", PairConfig())
    a = (tmp_path / "a.html").read_bytes()
    assert a == (tmp_path / "b.html").read_bytes()          # same store, same bytes
    text = a.decode()
    assert first["pairs"] == data["totals"]["pairs"] and second["errors"] == first["errors"]
    assert "<script" not in text.lower()
    offline = text.replace("http://www.w3.org/2000/svg", "")           # the SVG namespace is a name, not a request
    assert "http://" not in offline and "https://" not in offline
    assert "&lt;b&gt;run&lt;/b&gt;&amp;co" in text and text.count('class="bar"') > 20
    assert "<link" not in text and "@import" not in text


def test_overview_counts_decisions_and_rejects_per_run(db, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps([{"id": "q", "intermediate_steps": [{"payload": {
        "event_type": "TTC_END", "name": "dpo_candidate_move", "UUID": "u",
        "data": {"turn_id": "t", "candidate_index": 0, "score": "high", "input": "p", "output": "o"}}}]}]))
    with PreferenceStore(db) as store:
        store.ingest_nat_eval(bad, run_id="bad")
        r1 = store.pairs(runs=["r1"])
        before = {r["run_id"]: r for r in store.overview()["runs"]}
        store.exclude(pairs=[r1[0]])
        store.flip(pairs=[r1[1]])
        store.note("look", pairs=[r1[2]])
        after = {r["run_id"]: r for r in store.overview()["runs"]}
        _, ((rejects,),) = store.query("SELECT count(*) FROM rejects WHERE run_id = 'bad'")
    assert (before["r1"]["excluded"], before["r1"]["flipped"], before["r1"]["noted"]) == (0, 0, 0)
    assert (after["r1"]["excluded"], after["r1"]["flipped"], after["r1"]["noted"]) == (1, 1, 1)
    assert after["r1"]["pairs"] == before["r1"]["pairs"] - 1
    assert after["r2"] == before["r2"]
    assert after["bad"]["rejects"] == rejects == 1 and after["r1"]["rejects"] == 0


def test_a_store_path_with_quotes_is_attached_as_a_literal(tmp_path):
    """The Scratch attaches the file by a string literal sqlglot writes: quotes in the path stay data."""
    folder = tmp_path / "it's a 'store'; DROP"
    folder.mkdir()
    db = build_store(folder)
    scratch = Scratch(db)
    try:
        assert Browser(scratch).page(Filters())["counts"]["pairs"] > 0
    finally:
        scratch.close()
