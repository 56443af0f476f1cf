"""Stores for the review tests: generated NAT runs plus a run of hostile texts (markup everywhere)."""

from __future__ import annotations

import json
from pathlib import Path

from prefstore import PreferenceStore
from prefstore.sample_data import SampleSpec, write_nat_eval

SCRIPT = "<script>window.pwned=1</script>"
IMG = "<img src=x onerror=\"window.pwned=2\">"
HOSTILE_RUN = "<b>run</b>&co"


def hostile_rows() -> list[dict]:
    prompt = [{"role": "system", "content": "Be <careful>."}, {"role": "user", "content": f"{SCRIPT} say hi"}]
    return [
        {"example_id": "ex<script>", "turn_id": "t0", "prompt": prompt, "response": SCRIPT, "score": 0.9},
        {"example_id": "ex<script>", "turn_id": "t0", "prompt": prompt, "response": "plain answer", "score": 0.1},
        {"example_id": "ex<script>", "turn_id": "t0", "prompt": prompt, "response": IMG, "score": 0.5,
         "metadata": {"note": "</pre><script>window.pwned=3</script>"}},
    ]


def write_candidates(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def build_store(folder: Path, items: int = 12, hostile: bool = True) -> Path:
    """A store with two generated NAT runs ('r1', 'r2') and, with `hostile`, a candidates run of markup."""
    db = folder / "review.duckdb"
    with PreferenceStore(db) as store:
        for n, seed in ((1, 3), (2, 4)):
            path = folder / f"run{n}.json"
            write_nat_eval(path, SampleSpec(n_items=items, seed=seed))
            store.ingest_nat_eval(path, run_id=f"r{n}")
        if hostile:
            store.ingest_candidates(write_candidates(folder / "hostile.jsonl", hostile_rows()), run_id=HOSTILE_RUN)
    return db
