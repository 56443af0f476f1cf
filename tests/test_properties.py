"""Property tests: the SQL pairs equal a small pure-Python model of the pair rules.

The model, in one place:
- a pair is (chosen, rejected) within one turn (run, example, turn) with
  chosen score > rejected score and score_diff >= min_score_diff;
- exhaustive: every such pair; best-vs-worst: the best candidate (ties: lowest
  candidate_index) against the worst (ties: highest candidate_index), if it is one;
- within a turn: score_diff desc, chosen score desc, chosen index asc,
  rejected score desc, rejected index asc; max_pairs_per_turn keeps the first N;
- examples by first arrival (over all runs), then turns by first arrival;
- reward = score_diff, or the chosen score.
"""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from prefstore import PairConfig, PreferenceStore

# Few distinct values: many ties. 0.1/0.2/0.3 make inexact differences (0.3 - 0.1 < 0.2).
SCORES = [-0.5, 0.0, 0.1, 0.2, 0.25, 0.3, 0.5, 0.75, 1.0]
MIN_DIFFS = [0.0, 0.1, 0.2, 0.25, 0.5]


@dataclass(frozen=True)
class Cand:
    run: str
    example: str
    turn: str
    index: int
    score: float
    seq: int          # arrival order in the store

    @property
    def response(self) -> str:
        return f"{self.run}/{self.example}/{self.turn}/{self.index}"


def model_pairs(cands: list[Cand], config: PairConfig) -> list[tuple]:
    turns: dict[tuple, list[Cand]] = {}
    for c in sorted(cands, key=lambda c: c.seq):
        turns.setdefault((c.run, c.example, c.turn), []).append(c)
    example_first = {}
    for c in sorted(cands, key=lambda c: c.seq):
        example_first.setdefault(c.example, c.seq)
    ordered = sorted(turns, key=lambda t: (example_first[t[1]], turns[t][0].seq))
    out = []
    for key in ordered:
        group = turns[key]
        if config.exhaustive_pairs:
            pairs = [(c, r) for c in group for r in group
                     if c.score > r.score and c.score - r.score >= config.min_score_diff]
            pairs.sort(key=lambda p: (-(p[0].score - p[1].score), -p[0].score, p[0].index, -p[1].score, p[1].index))
        else:
            best = min(group, key=lambda c: (-c.score, c.index))
            worst = min(group, key=lambda c: (c.score, -c.index))
            ok = best.score > worst.score and best.score - worst.score >= config.min_score_diff
            pairs = [(best, worst)] if ok else []
        if config.max_pairs_per_turn is not None:
            pairs = pairs[: config.max_pairs_per_turn]
        for c, r in pairs:
            diff = c.score - r.score
            out.append((c.run, c.example, c.turn, c.index, r.index, c.score, r.score, diff,
                        diff if config.reward_from_score_diff else c.score, len(group), c.response, r.response))
    return out


def sql_pairs(store: PreferenceStore, config: PairConfig, runs: list[str] | None = None) -> list[tuple]:
    return [(p.run_id, p.example_id, p.turn_id, p.chosen_index, p.rejected_index, p.chosen_score,
             p.rejected_score, p.score_diff, p.reward, p.num_candidates, p.chosen_response, p.rejected_response)
            for p in store.pairs(config, runs)]


def step(c: Cand) -> dict:
    return {"payload": {"event_type": "TTC_END", "name": "dpo_candidate_move", "UUID": c.response, "metadata": {},
                        "data": {"turn_id": c.turn, "candidate_index": c.index, "score": c.score,
                                 "input": f"prompt {c.turn}", "output": c.response}}}


def build(store: PreferenceStore, runs: list[list[tuple[str, list[tuple[str, int, float]]]]]) -> list[Cand]:
    """Ingest runs of items [(example, [(turn, index, score), ...in arrival order])]; the model's view."""
    cands, seq = [], 0
    for n, items in enumerate(runs):
        run = f"run{n}"
        nat_items = []
        for example, steps in items:
            item_steps = []
            for turn, index, score in steps:
                seq += 1
                cand = Cand(run, example, turn, index, score, seq)
                cands.append(cand)
                item_steps.append(step(cand))
            nat_items.append({"id": example, "intermediate_steps": item_steps})
        store.ingest_nat_items(nat_items, run_id=run)
    return cands


@st.composite
def stores(draw) -> list:
    """1-2 runs over a shared pool of example ids; per item 1-3 turns of 1-6 candidates,
    candidate indexes shuffled, the turns' steps interleaved in a random order."""
    runs = []
    for _ in range(draw(st.integers(1, 2))):
        examples = draw(st.lists(st.sampled_from(["a", "b", "c", "d"]), min_size=1, max_size=3, unique=True))
        items = []
        for example in examples:
            steps = []
            for turn in range(draw(st.integers(1, 3))):
                k = draw(st.integers(1, 6))
                indexes = draw(st.permutations(range(k)))
                scores = draw(st.lists(st.sampled_from(SCORES), min_size=k, max_size=k))
                steps += [(f"t{turn}", i, s) for i, s in zip(indexes, scores, strict=True)]
            items.append((example, draw(st.permutations(steps))))
        runs.append(items)
    return runs


configs = st.builds(
    PairConfig,
    exhaustive_pairs=st.booleans(),
    min_score_diff=st.sampled_from(MIN_DIFFS),
    max_pairs_per_turn=st.one_of(st.none(), st.integers(1, 4)),
    reward_from_score_diff=st.booleans(),
    require_multiple_candidates=st.booleans(),
)


def load(store: PreferenceStore, runs: list) -> list[Cand]:
    """Replace the store's candidates by these runs, inserted as rows (the pair queries
    read only `candidates`; real ingest is covered by the test below)."""
    cands, seq = [], 0
    for n, items in enumerate(runs):
        for example, steps in items:
            for turn, index, score in steps:
                seq += 1
                cands.append(Cand(f"run{n}", example, turn, index, score, seq))
    with store.transaction() as cur:
        cur.execute("DELETE FROM candidates")
        cur.executemany(
            "INSERT INTO candidates (run_id, example_id, turn_id, candidate_index, step_name, prompt, response, "
            "score, metadata, item_pos, step_pos, seq) "
            "VALUES (?, ?, ?, ?, 'dpo_candidate_move', ?, ?, ?, '{}', 1, ?, ?)",
            [(c.run, c.example, c.turn, c.index, f'"prompt {c.turn}"', c.response, c.score, c.seq, c.seq)
             for c in cands])
    return cands


_SHARED: dict = {}


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=stores(), options=st.lists(configs, min_size=2, max_size=2))
def test_sql_pairs_equal_the_model(data, options):
    if "store" not in _SHARED:                     # one store for all examples: opening is most of the cost
        _SHARED["store"] = PreferenceStore(":memory:")
    store = _SHARED["store"]
    cands = load(store, data)
    for config in options:
        assert sql_pairs(store, config) == model_pairs(cands, config)
    assert store.count_pairs(options[0]) == len(model_pairs(cands, options[0]))


def test_every_option_combination_on_one_store():
    """The full product of options (min_score_diff and max_pairs_per_turn sampled) on a
    store with ties, single-candidate turns, repeated example ids across runs."""
    rng = random.Random(3)
    runs = []
    for _ in range(2):
        items = []
        for example in ("x", "y", "z"):
            steps = []
            for turn in range(3):
                k = rng.choice([1, 2, 4, 6])
                steps += [(f"t{turn}", i, rng.choice(SCORES)) for i in rng.sample(range(k), k)]
            rng.shuffle(steps)
            items.append((example, steps))
        runs.append(items)
    with PreferenceStore(":memory:") as store:
        cands = build(store, runs)
        checked = 0
        for exhaustive, min_diff, max_pairs, reward, multiple in itertools.product(
                (True, False), MIN_DIFFS, (None, 1, 2, 5), (True, False), (True, False)):
            config = PairConfig(exhaustive_pairs=exhaustive, min_score_diff=min_diff, max_pairs_per_turn=max_pairs,
                                reward_from_score_diff=reward, require_multiple_candidates=multiple)
            expected = model_pairs(cands, config)
            assert sql_pairs(store, config) == expected, config
            checked += bool(expected)
        assert checked > 100
