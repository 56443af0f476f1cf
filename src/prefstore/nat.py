"""NAT plugin: `_type: prefstore_dpo_traj_builder`, NAT's DPO trajectory builder backed by the store.

NeMo Agent Toolkit imports this module through the `nat.components` entry
point (pyproject.toml), which registers the builder below with NAT's type
registry. It is a drop-in for NAT's `_type: dpo_traj_builder`: the same
options with the same names and defaults, evaluation through NAT's own
`TrajectoryBuilder.run_eval`, and NAT's own `TrajectoryCollection` out. The
difference: `finalize` first stores every TTC_END candidate of the run in a
prefstore file (in-process, `PreferenceStore.ingest_nat_items`, under the
run_id NAT passes), then returns the store's SQL pairs, so no run is lost when
`nat finetune` ends, and `pair_scope: store` can pair every run ever stored.

The entry point also registers, by importing them at the end of this module,
`_type: prefstore_score_select` (`nat_ttc`: NAT's execute-score-select that
records its candidates) and `_type: prefstore_trainer_adapter` (`nat_trainer`:
`nat finetune` writing training files instead of uploading them). These three
modules are the only ones that import `nat`; they need the `nat` extra
(`pip install 'prefstore[nat]'`).
"""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from nat.builder.builder import Builder
from nat.cli.register_workflow import register_trajectory_builder
from nat.data_models.evaluate_runtime import EvaluationRunOutput
from nat.data_models.finetuning import DPOItem as NatDPOItem
from nat.data_models.finetuning import OpenAIMessage as NatOpenAIMessage
from nat.data_models.finetuning import Trajectory as NatTrajectory
from nat.data_models.finetuning import TrajectoryBuilderConfig
from nat.data_models.finetuning import TrajectoryCollection as NatTrajectoryCollection
from nat.finetuning.interfaces.trajectory_builder import TrajectoryBuilder
from pydantic import Field, ValidationError, model_validator

from . import queries
from .export import iter_trajectory_groups, select_all_rows
from .models import DEFAULT_STEP_NAME, PairConfig
from .nat_config import PAIR_FIELDS, WarnsUnknownKeys
from .store import PreferenceStore
from .trajectories import Models, gc_paused

logger = logging.getLogger(__name__)

# Where NAT's DPOTrajectoryBuilder.log_progress writes by default: kept, so
# whatever reads NAT's progress files finds ours in the same place.
DEFAULT_PROGRESS_DIR = "./.tmp/nat/finetuning/dpo_trajectory_builder"

class PrefstoreDPOTrajectoryBuilderConfig(WarnsUnknownKeys, TrajectoryBuilderConfig,
                                          name="prefstore_dpo_traj_builder"):
    """NAT's `dpo_traj_builder` options (same names, same defaults) plus the store's.

    Example YAML::

        trajectory_builders:
          dpo_builder:
            _type: prefstore_dpo_traj_builder
            ttc_step_name: dpo_candidate_move
            min_score_diff: 0.05
            db_path: ./prefstore.duckdb
            pair_scope: run
    """

    # -- NAT's DPOTrajectoryBuilderConfig fields -----------------------------------
    ttc_step_name: str = Field(
        default=DEFAULT_STEP_NAME,
        description="Name of the TTC intermediate step to collect. "
        "The builder filters for TTC_END events with this name.")
    exhaustive_pairs: bool = Field(
        default=True,
        description="If True, generate all pairwise comparisons where "
        "score(A) > score(B). If False, only generate best vs worst pair.")
    min_score_diff: float = Field(
        default=0.0, ge=0.0,
        description="Minimum score difference required to create a preference "
        "pair. Pairs with smaller differences are filtered out.")
    max_pairs_per_turn: int | None = Field(
        default=None, ge=1,
        description="Maximum preference pairs per turn. If None, no limit. "
        "Pairs sorted by score difference (highest first).")
    reward_from_score_diff: bool = Field(
        default=True,
        description="If True, trajectory reward = score difference. If False, reward = chosen score.")
    require_multiple_candidates: bool = Field(
        default=True,
        description="If True, skip turns with only one candidate (no preference signal).")

    # -- prefstore's ----------------------------------------------------------------
    db_path: str = Field(
        default="./prefstore.duckdb",
        description="The prefstore DuckDB file every run is stored in (created if missing; "
        "relative paths are relative to the working directory of `nat finetune`).")
    pair_scope: Literal["run", "store"] = Field(
        default="run",
        description="'run': pairs of this run only (NAT's behaviour). 'store': pairs of every run "
        "in the store, this one included; each trajectory's metadata then names its run_id.")
    dedup: bool = Field(
        default=False,
        description="Keep only the first occurrence, in output order, of each (prompt, chosen, "
        "rejected) text. Off by default, so that the output equals NAT's.")
    replace_existing_run: bool = Field(
        default=False,
        description="If a run with this run_id is already stored with different content: "
        "False refuses (finalize raises RunExists and the store is unchanged), True replaces it. "
        "The same content under the same run_id is never stored twice either way.")
    store_wait_seconds: float = Field(
        default=60.0, ge=0.0,
        description="How long finalize waits for the store file while another process holds it.")
    apply_decisions: bool = Field(
        default=True,
        description="Honor the store's decisions (excludes and flips from `prefstore review`, "
        "`prefstore exclude/flip` or the API); False returns the pairs as the scores alone make them.")

    @model_validator(mode="after")
    def _check_pair_options(self) -> PrefstoreDPOTrajectoryBuilderConfig:
        """Refuse at config load what the store's pair options refuse (e.g. an empty step name)."""
        try:
            self.pair_config()
        except ValidationError as exc:
            raise ValueError("; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}"
                                       for e in exc.errors())) from None
        return self

    def pair_config(self) -> PairConfig:
        """The store's pair options for these NAT options."""
        return PairConfig(**{field: getattr(self, field) for field in PAIR_FIELDS})


class PrefstoreDPOTrajectoryBuilder(TrajectoryBuilder):
    """NAT's TrajectoryBuilder over a prefstore file: start_run evaluates, finalize stores and pairs."""

    def __init__(self, trajectory_builder_config: PrefstoreDPOTrajectoryBuilderConfig):
        super().__init__(trajectory_builder_config=trajectory_builder_config)
        self.config: PrefstoreDPOTrajectoryBuilderConfig = trajectory_builder_config
        self.evaluation_runs: dict[str, asyncio.Task[EvaluationRunOutput]] = {}
        self._metrics: dict[str, Any] = {}

    async def start_run(self, run_id: str, meta: dict | None = None) -> None:
        """Start NAT's evaluation for `run_id` in the background (as NAT's DPO builder does)."""
        if run_id in self.evaluation_runs:
            raise ValueError(f"Run {run_id} is already in progress.")
        logger.info("Starting prefstore DPO evaluation run %s (store %s)", run_id, self.config.db_path)
        task = asyncio.create_task(self.run_eval(), name=f"prefstore-dpo-eval-{run_id}")
        task.add_done_callback(lambda t: _log_eval_done(run_id, t))
        self.evaluation_runs[run_id] = task

    async def finalize(self, run_id: str, meta: dict | None = None) -> NatTrajectoryCollection:
        """Wait for the evaluation, store its candidates as run `run_id`, return the store's pairs.

        Storing is idempotent: the same evaluation output under the same run_id
        is recognized and not stored again. Different content under a stored
        run_id raises RunExists (unless `replace_existing_run`), and the run
        stays pending, as NAT keeps a run whose evaluation failed.
        """
        if run_id not in self.evaluation_runs:
            raise ValueError(f"No evaluation run found for run_id: {run_id}")
        eval_result = await self.evaluation_runs[run_id]
        collection, metrics = await asyncio.to_thread(
            self._store_and_pair, run_id, eval_result.eval_input.eval_input_items, meta)
        self._metrics = metrics
        del self.evaluation_runs[run_id]
        logger.info(
            "prefstore DPO run %s: %d candidates stored (%s) in %s; %d pairs of %d examples returned (%s scope)",
            run_id, metrics["total_candidates"], metrics["ingest_status"], metrics["store_path"],
            metrics["total_pairs"], metrics["total_examples"], self.config.pair_scope)
        return collection

    def log_progress(self, run_id: str, metrics: dict[str, Any], output_dir: str | None = None) -> None:
        """Append NAT's JSONL progress line, with the store's path and counts, to NAT's progress file."""
        out_dir = Path(output_dir) if output_dir else Path(DEFAULT_PROGRESS_DIR)
        out_dir.mkdir(parents=True, exist_ok=True)
        entry = {
            "timestamp": datetime.now().isoformat(),
            "run_id": run_id,
            "config": {
                "ttc_step_name": self.config.ttc_step_name,
                "exhaustive_pairs": self.config.exhaustive_pairs,
                "min_score_diff": self.config.min_score_diff,
                "max_pairs_per_turn": self.config.max_pairs_per_turn,
                "pair_scope": self.config.pair_scope,
                "dedup": self.config.dedup,
            },
            **self._metrics,
            **metrics,
        }
        with open(out_dir / f"dpo_trajectory_builder_{run_id}.jsonl", "a", encoding="utf-8") as handle:
            handle.write(json.dumps(entry, default=str) + "\n")

    # -- the store's part (runs in a worker thread: DuckDB work must not block NAT's loop) ----
    def _store_and_pair(self, run_id: str, items: list, meta: dict | None
                        ) -> tuple[NatTrajectoryCollection, dict[str, Any]]:
        config = self.config
        pair_config = config.pair_config()
        run_meta = {**(meta or {}), "trajectory_builder": config.model_dump(mode="json", by_alias=True)}
        with PreferenceStore(config.db_path, wait=config.store_wait_seconds) as store:
            report = store.ingest_nat_items(items, run_id=run_id, meta=run_meta,
                                            replace=config.replace_existing_run)
            runs = [run_id] if config.pair_scope == "run" else None
            with store.cursor() as cur:
                collection = _trajectories(cur, pair_config, runs, config.dedup, run_id,
                                           keep_run_id=config.pair_scope == "store")
                result = queries.run(cur, "nat/run_counts", {
                    "run_id": run_id, "ttc_step_name": pair_config.ttc_step_name,
                    "exhaustive_pairs": pair_config.exhaustive_pairs,
                    "min_score_diff": pair_config.min_score_diff,
                    "require_multiple_candidates": pair_config.require_multiple_candidates,
                })
                counts = dict(zip([d[0] for d in result.description], result.fetchone()))
        total_pairs = sum(len(group) for group in collection.trajectories)
        metrics = {
            "run_id": run_id,
            "total_examples": len(collection.trajectories),
            "total_turns": counts["total_turns"],
            "total_candidates": counts["total_candidates"],
            "total_pairs": total_pairs,
            "total_trajectories": total_pairs,
            "skipped_single_candidate": counts["skipped_single_candidate"],
            "skipped_score_diff": counts["skipped_score_diff"],
            "skipped_ties": counts["skipped_ties"],
            "ingest_status": report.status,
            "run_rejects": counts["run_rejects"],
            "store_path": str(Path(config.db_path).resolve()),
            "store_runs": counts["store_runs"],
            "store_candidates": counts["store_candidates"],
        }
        return collection, metrics


def _trajectories(cur, config: PairConfig, runs: list[str] | None, dedup: bool, run_id: str,
                  keep_run_id: bool) -> NatTrajectoryCollection:
    """NAT's own TrajectoryCollection of the store's pairs for these options and runs, grouped as
    NAT groups them, optionally deduplicated.

    The rows come from the pair query through sql/export/rows.sql (file order,
    nothing sampled or split), whose dedup keeps the first occurrence of each
    (prompt, chosen, rejected) text. NAT's objects are built directly
    (trajectories.py), matching NAT's builder field by field: raw candidate
    metadata that is null becomes {} (NAT keeps only truthy metadata), and the
    per-trajectory `run_id` prefstore adds is left out unless pairs may come
    from several runs.
    """
    select_all_rows(cur, config, runs, dedup=dedup)
    models = Models(message=NatOpenAIMessage, item=NatDPOItem, trajectory=NatTrajectory,
                    run_id_in_metadata=keep_run_id)
    with gc_paused():
        groups = list(iter_trajectory_groups(cur, config, models))
    return NatTrajectoryCollection.model_construct(trajectories=groups, run_id=run_id)


def _log_eval_done(run_id: str, task: asyncio.Task) -> None:
    if task.cancelled():
        logger.info("prefstore DPO evaluation run %s was cancelled.", run_id)
    elif exc := task.exception():
        logger.error("prefstore DPO evaluation run %s failed: %s", run_id, exc)
    else:
        logger.info("prefstore DPO evaluation run %s completed.", run_id)


@register_trajectory_builder(config_type=PrefstoreDPOTrajectoryBuilderConfig)
async def prefstore_dpo_trajectory_builder(config: PrefstoreDPOTrajectoryBuilderConfig, builder: Builder):
    """NAT's build function for `_type: prefstore_dpo_traj_builder` (yields one builder)."""
    yield PrefstoreDPOTrajectoryBuilder(trajectory_builder_config=config)


# Registered with NAT by being imported: the entry point names this module only.
from . import nat_trainer, nat_ttc  # noqa: E402,F401
