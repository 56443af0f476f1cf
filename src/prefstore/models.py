"""Pydantic types: pair options, NAT-shaped trajectories, ingest reports.

`OpenAIMessage`, `DPOItem`, `Trajectory` and `TrajectoryCollection` serialize
to the same JSON as NAT's models of the same names
(`nat.data_models.finetuning`), so NAT validates what prefstore produces.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

DEFAULT_STEP_NAME = "dpo_candidate_move"


class PairConfig(BaseModel):
    """NAT's DPOTrajectoryBuilder options, with NAT's names and defaults.

    Pairs are strict preferences only: chosen score > rejected score and
    score_diff >= min_score_diff (NAT also emits equal-score pairs; prefstore
    does not). `require_multiple_candidates` is accepted for compatibility: a
    turn with one candidate never gives a pair either way.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    ttc_step_name: str = Field(DEFAULT_STEP_NAME, min_length=1)
    exhaustive_pairs: bool = True
    min_score_diff: float = Field(0.0, ge=0.0, allow_inf_nan=False)
    max_pairs_per_turn: int | None = Field(None, ge=1)
    reward_from_score_diff: bool = True
    require_multiple_candidates: bool = True
    # prefstore's own option: 'turn' pairs the candidates of one turn (NAT);
    # 'prompt' pools, across runs and turns, the candidates of one example
    # whose prompts are identical (the $pair_scope parameter of sql/pairs/*.sql).
    pair_scope: Literal["turn", "prompt"] = "turn"
    # prefstore's own: apply the decisions in force (excludes, flips; see
    # prefstore.decisions). False gives the pairs as the scores alone make them.
    apply_decisions: bool = True

    @property
    def mode(self) -> str:
        return "exhaustive" if self.exhaustive_pairs else "best_vs_worst"


class OpenAIMessage(BaseModel):
    role: str
    content: str


class DPOItem(BaseModel):
    prompt: list[OpenAIMessage] | str
    chosen_response: str
    rejected_response: str


class Trajectory(BaseModel):
    """One preference pair as NAT's trainer consumes it: a one-item DPO episode."""

    episode: list[DPOItem]
    reward: float
    shaped_rewards: list[float] | None = None
    metadata: dict[str, Any] | None = None


class TrajectoryCollection(BaseModel):
    """Trajectories grouped per example (one inner list each), examples in arrival order."""

    trajectories: list[list[Trajectory]]
    run_id: str


class Pair(BaseModel):
    """One row of the pair query, for Python use (`store.pairs`).

    `example_seq`, `chosen_seq` and `rejected_seq` locate the pair in its store
    (decisions name pairs by them: `store.exclude(pairs=[pair])`); they are not
    compared: two pairs are equal when everything else is, in any store.
    """

    run_id: str
    example_id: str
    turn_id: str
    prompt: list[OpenAIMessage] | str
    chosen_response: str
    rejected_response: str
    chosen_score: float
    rejected_score: float
    score_diff: float
    reward: float
    chosen_index: int
    rejected_index: int
    chosen_metadata: Any = None
    rejected_metadata: Any = None
    num_candidates: int
    base_example_id: str | None = None  # example_id without a `nat eval --reps` suffix
    example_seq: int | None = None     # the example's first arrival: groups and orders the output
    chosen_seq: int | None = None      # the candidates' store-wide seq: what decisions name a pair by
    rejected_seq: int | None = None
    flipped: bool = False              # a decision swapped chosen and rejected (score_diff < 0)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Pair):
            return NotImplemented
        return self.model_dump(exclude=_STORE_POSITIONS) == other.model_dump(exclude=_STORE_POSITIONS)


_STORE_POSITIONS = frozenset({"example_seq", "chosen_seq", "rejected_seq"})


class ExportOptions(BaseModel):
    """Dataset operations and file format of one export (`store.export`, `prefstore export`).

    `None` means "decided by the output path": `format` from OUT's extension
    (.jsonl nemo, .parquet parquet, .json trajectories; a directory nemo),
    `prompt_style` from the format, `validation_fraction` 0.2 for a directory
    of split files and 0 for a single file.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    format: Literal["nemo", "trl", "openai", "parquet", "trajectories"] | None = None
    prompt_style: Literal["last-message", "messages", "conversational", "standard"] | None = None
    validation_fraction: float | None = Field(None, ge=0.0, lt=1.0, allow_inf_nan=False)
    split_seed: int = 0
    dedup: bool = True
    max_pairs: int | None = Field(None, ge=1)
    seed: int = 0
    order: Literal["file", "easy-first", "hard-first"] = "file"
    example_fraction: float = Field(1.0, gt=0.0, le=1.0, allow_inf_nan=False)


class IngestReport(BaseModel):
    """What one ingest did. `status` is 'ingested', 'replaced' or 'already ingested'."""

    run_id: str
    source: str
    status: str
    items: int = 0
    steps_by_name: dict[str, int] = Field(default_factory=dict)
    candidates_by_name: dict[str, int] = Field(default_factory=dict)
    rejects_by_reason: dict[str, int] = Field(default_factory=dict)
    warnings: list[str] = Field(default_factory=list)

    @property
    def candidates(self) -> int:
        return sum(self.candidates_by_name.values())

    @property
    def rejects(self) -> int:
        return sum(self.rejects_by_reason.values())

    @property
    def steps(self) -> int:
        return sum(self.steps_by_name.values())
