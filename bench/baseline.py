"""In-memory pure-Python DPO pair builder: the baseline the store is benchmarked against.

It stands in for NAT's in-memory ``DPOTrajectoryBuilder``: load the whole
``workflow_output.json``, group candidates by turn, build exhaustive pairs and
write a NeMo Customizer JSONL file. Like the store, and unlike NAT with
``min_score_diff: 0.0``, it skips ties (no preference).

Usage: python bench/baseline.py IN.json OUT.jsonl [--min-score-diff X] [--step-name NAME]
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path
from typing import Any

Candidate = tuple[int, float, Any, Any]  # (index, score, prompt, response)


def _is_score(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _prompt_text(prompt: Any) -> Any:
    """A message list becomes the content of its last message, as NAT's builder does."""
    if isinstance(prompt, list):
        return prompt[-1].get("content", "") if prompt and isinstance(prompt[-1], dict) else ""
    return prompt


def group_candidates(items: list[dict[str, Any]], step_name: str) -> dict[tuple[str, str], list[Candidate]]:
    """Candidates per (str(item id), turn_id), turns and candidates in first-seen order."""
    turns: dict[tuple[str, str], list[Candidate]] = {}
    for item in items:
        item_id = str(item.get("id"))
        for step in item.get("intermediate_steps") or ():
            payload = step.get("payload") or {}
            if payload.get("event_type") != "TTC_END" or payload.get("name") != step_name:
                continue
            data = payload.get("data") or {}
            turn_id, score = data.get("turn_id"), data.get("score")
            if turn_id is None or not _is_score(score):
                continue
            bucket = turns.setdefault((item_id, turn_id), [])
            index = data.get("candidate_index")
            index = index if isinstance(index, int) else len(bucket)
            bucket.append((index, float(score), data.get("input"), data.get("output")))
    return turns


def turn_pairs(cands: list[Candidate], min_score_diff: float) -> list[tuple[float, Candidate, Candidate]]:
    """Exhaustive strict-preference pairs of one turn, in the store's output order."""
    pairs = []
    for i in range(len(cands)):
        for j in range(i + 1, len(cands)):
            a, b = cands[i], cands[j]
            if a[1] == b[1]:
                continue
            chosen, rejected = (a, b) if a[1] > b[1] else (b, a)
            diff = chosen[1] - rejected[1]
            if diff >= min_score_diff:
                pairs.append((diff, chosen, rejected))
    pairs.sort(key=lambda p: (-p[0], -p[1][1], p[1][0], -p[2][1], p[2][0]))
    return pairs


def build(in_path: Path, out_path: Path, min_score_diff: float = 0.0, step_name: str = "dpo_candidate_move") -> int:
    """Write the JSONL training file; returns the number of pairs."""
    with in_path.open(encoding="utf-8") as f:
        items = json.load(f)
    n = 0
    with out_path.open("w", encoding="utf-8") as out:
        for cands in group_candidates(items, step_name).values():
            if len(cands) < 2:
                continue
            for _, chosen, rejected in turn_pairs(cands, min_score_diff):
                line = {
                    "prompt": _prompt_text(chosen[2]),
                    "chosen_response": chosen[3],
                    "rejected_response": rejected[3],
                }
                out.write(json.dumps(line, ensure_ascii=False) + "\n")
                n += 1
    return n


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("input", type=Path)
    parser.add_argument("output", type=Path)
    parser.add_argument("--min-score-diff", type=float, default=0.0)
    parser.add_argument("--step-name", default="dpo_candidate_move")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    n = build(args.input, args.output, args.min_score_diff, args.step_name)
    print(f"pairs: {n}")
    print(f"elapsed_s: {time.perf_counter() - start:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
