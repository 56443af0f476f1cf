"""Pairs and trajectories: the pair queries in `sql/` and their NAT-shaped output.

The queries do all selection, pairing and ordering; Python only groups the
ordered rows into per-example lists. Row order is total (example arrival,
turn arrival, rank within the turn), so the same store and options always
give the same output.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import duckdb

from . import queries
from .decisions import register_pair_rows
from .errors import UnknownRun
from .models import DPOItem, Pair, PairConfig, Trajectory, TrajectoryCollection


def query_name(config: PairConfig) -> str:
    """The pair query for these options: one per pair mode (the scope is a parameter)."""
    return f"pairs/{config.mode}"


def pair_params(config: PairConfig, runs: Sequence[str] | None) -> dict[str, Any]:
    """The bound parameters of the pair queries for these options."""
    return {
        "ttc_step_name": config.ttc_step_name,
        "runs": list(runs) if runs is not None else None,
        "pair_scope": config.pair_scope,
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


def raw_pair_relation(cur: duckdb.DuckDBPyConnection, config: PairConfig,
                      runs: Sequence[str] | None) -> duckdb.DuckDBPyRelation:
    """The pair query's rows for these options and runs, before decisions (lazy: nothing runs yet)."""
    name = query_name(config)
    params = queries.bind(name, pair_params(config, check_runs(cur, runs)))
    return cur.sql(queries.text(name), params=params)


def create_pair_view(cur: duckdb.DuckDBPyConnection, config: PairConfig,
                     runs: Sequence[str] | None, keep_excluded: bool = False) -> None:
    """Expose the pairs for these options, decisions applied, as the relation `pair_rows` on `cur`.

    Columns: the pair query's plus `flipped` and `excluded` (see
    decisions.register_pair_rows; excluded pairs are dropped unless
    `keep_excluded`). Readers order the rows themselves (pairs/json.sql,
    export/rows.sql); the query's own ORDER BY stays in the text (the L export
    figure in bench/RESULTS.md includes it), as stripping it needed a sqlglot
    round trip on every export. `register` (not create_view) works on
    read-only stores and lives with this cursor.
    """
    register_pair_rows(cur, raw_pair_relation(cur, config, runs), config, keep_excluded)


def iter_pair_json(cur: duckdb.DuckDBPyConnection, config: PairConfig,
                   runs: Sequence[str] | None, batch: int = 10_000) -> Iterator[str]:
    """Pair rows as JSON objects in output order, fetched in batches so memory stays flat."""
    create_pair_view(cur, config, runs)
    result = queries.run(cur, "pairs/json")
    while rows := result.fetchmany(batch):
        for (text,) in rows:
            yield text


def to_pair(text: str) -> Pair:
    """A pair row's JSON (pairs/json.sql) as a Pair, parsed and validated by pydantic in one pass."""
    return Pair.model_validate_json(text)


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
        # NAT keeps a candidate's metadata only when truthy (`if step.payload.metadata:`), else {}
        metadata["chosen_raw_metadata"] = pair.chosen_metadata or {}
        metadata["rejected_raw_metadata"] = pair.rejected_metadata or {}
    else:
        metadata["num_candidates"] = pair.num_candidates
    metadata["run_id"] = pair.run_id
    if pair.flipped:
        metadata["flipped"] = True
    # validating constructors: pydantic's model_construct runs in Python and was slower here
    item = DPOItem(prompt=pair.prompt, chosen_response=pair.chosen_response,
                   rejected_response=pair.rejected_response)
    return Trajectory(episode=[item], reward=pair.reward, metadata=metadata)


def example_key(pair: Pair) -> int | str:
    """What one inner list of trajectories holds: the pairs of one example (turn scope) or of one
    base example (prompt scope, which pools `nat eval --reps` copies); example_seq names either."""
    return pair.example_seq if pair.example_seq is not None else pair.example_id


def collect_trajectories(pairs: Iterator[Pair], config: PairConfig, run_id: str) -> TrajectoryCollection:
    """Group consecutive pairs of one example (the query orders by example first)."""
    groups: list[list[Trajectory]] = []
    current: int | str | None = None
    for pair in pairs:
        if example_key(pair) != current:
            groups.append([])
            current = example_key(pair)
        groups[-1].append(to_trajectory(pair, config))
    return TrajectoryCollection(trajectories=groups, run_id=run_id)
