"""Pairs and trajectories: the pair queries in `sql/` and their NAT-shaped output.

The queries do all selection, pairing and ordering; Python only groups the
ordered rows into per-example lists. Row order is total (example arrival,
turn arrival, rank within the turn), so the same store and options always
give the same output.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import Any

import duckdb

from . import queries
from .errors import UnknownRun
from .models import DPOItem, Pair, PairConfig, Trajectory, TrajectoryCollection

PAIR_COLUMNS = (
    "run_id", "example_id", "turn_id", "prompt", "chosen_response", "rejected_response",
    "chosen_score", "rejected_score", "score_diff", "reward", "chosen_index", "rejected_index",
    "chosen_metadata", "rejected_metadata", "num_candidates", "example_seq", "turn_seq", "pair_rank", "chosen_seq", "rejected_seq",
)


def query_name(config: PairConfig) -> str:
    """The pair query for these options: by pair mode, and by pair scope (turn or prompt)."""
    mode = "exhaustive" if config.exhaustive_pairs else "best_vs_worst"
    return f"pairs_prompt_{mode}" if config.pair_scope == "prompt" else f"pairs_{mode}"


def pair_params(config: PairConfig, runs: Sequence[str] | None) -> dict[str, Any]:
    """The bound parameters of the pair queries for these options."""
    return {
        "ttc_step_name": config.ttc_step_name,
        "runs": list(runs) if runs is not None else None,
        "min_score_diff": config.min_score_diff,
        "max_pairs_per_turn": config.max_pairs_per_turn,
        "require_multiple_candidates": config.require_multiple_candidates,
        "reward_from_score_diff": config.reward_from_score_diff,
    }


def check_runs(cur: duckdb.DuckDBPyConnection, runs: Sequence[str] | None) -> list[str] | None:
    """Refuse a run selection naming runs the store does not hold (a typo must not mean 0 pairs)."""
    if runs is None:
        return None
    runs = list(dict.fromkeys(runs))
    known = {r for (r,) in cur.execute(
        "SELECT run_id FROM runs WHERE array_contains($runs, run_id)", {"runs": runs}).fetchall()}
    unknown = [r for r in runs if r not in known]
    if unknown:
        raise UnknownRun(f"no run {', '.join(map(repr, unknown))} in the store; see `prefstore runs`")
    return runs


def iter_pair_rows(cur: duckdb.DuckDBPyConnection, config: PairConfig,
                   runs: Sequence[str] | None, batch: int = 10_000) -> Iterator[tuple]:
    """Pair rows in output order, fetched in batches so memory stays flat."""
    result = queries.run(cur, query_name(config), pair_params(config, check_runs(cur, runs)))
    while rows := result.fetchmany(batch):
        yield from rows


def to_pair(row: tuple) -> Pair:
    values = dict(zip(PAIR_COLUMNS, row))
    values["prompt"] = json.loads(values["prompt"])
    for key in ("chosen_metadata", "rejected_metadata"):
        values[key] = json.loads(values[key]) if values[key] is not None else None
    return Pair.model_validate(values)


def to_trajectory(pair: Pair, config: PairConfig) -> Trajectory:
    """NAT's trajectory for one pair: the metadata keys NAT writes, plus run_id."""
    metadata: dict[str, Any] = {
        "dpo_type": "preference_pair",
        "score_diff": pair.score_diff,
        "example_id": pair.example_id,
        "turn_id": pair.turn_id,
        "chosen_score": pair.chosen_score,
        "rejected_score": pair.rejected_score,
        "chosen_index": pair.chosen_index,
        "rejected_index": pair.rejected_index,
    }
    if config.exhaustive_pairs:
        metadata["chosen_raw_metadata"] = pair.chosen_metadata
        metadata["rejected_raw_metadata"] = pair.rejected_metadata
    else:
        metadata["num_candidates"] = pair.num_candidates
    metadata["run_id"] = pair.run_id
    item = DPOItem(prompt=pair.prompt, chosen_response=pair.chosen_response,
                   rejected_response=pair.rejected_response)
    return Trajectory(episode=[item], reward=pair.reward, metadata=metadata)


def collect_trajectories(pairs: Iterator[Pair], config: PairConfig, run_id: str) -> TrajectoryCollection:
    """Group consecutive pairs of one example (the query orders by example first)."""
    groups: list[list[Trajectory]] = []
    current: str | None = None
    for pair in pairs:
        if pair.example_id != current:
            groups.append([])
            current = pair.example_id
        groups[-1].append(to_trajectory(pair, config))
    return TrajectoryCollection(trajectories=groups, run_id=run_id)
