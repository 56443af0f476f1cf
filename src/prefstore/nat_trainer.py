"""NAT trainer adapter `_type: prefstore_trainer_adapter`: `nat finetune` without NeMo Microservices.

NAT's DPO path ends in `NeMoCustomizerTrainerAdapter`, which can only upload to
a NeMo Microservices deployment; on the way it splits pairs by line order (a
question can land on both sides) and its trainer samples `max_pairs` without
a seed. This adapter, used with NAT's `NeMoCustomizerTrainer` and prefstore's
`prefstore_dpo_traj_builder`, writes the export of the runs that builder stored
instead: `store.export` with prefstore's rules (nemo, trl or openai files, split
by example, dedup, seeded `max_pairs`, manifest) into `<output_dir>/<run id>/`,
and reports that folder as a completed training job.

The runs are those the builder stored for this `nat finetune` (their meta
holds NAT's run id), paired with the builder's own options, which the store
kept in each run's meta; with the builder's `pair_scope: store`, every run.

NAT imports this module through `prefstore.nat` (the `nat.components` entry point).
"""

import asyncio
import json
import logging
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from nat.builder.builder import Builder
from nat.cli.register_workflow import register_trainer_adapter
from nat.data_models.finetuning import (
    FinetuneConfig,
    TrainerAdapterConfig,
    TrainingJobRef,
    TrainingJobStatus,
    TrainingStatusEnum,
    TrajectoryCollection,
)
from nat.finetuning.interfaces.trainer_adapter import TrainerAdapter
from pydantic import Field

from .errors import BadInput
from .export import MANIFEST
from .models import ExportOptions, PairConfig
from .nat_config import PAIR_FIELDS, WarnsUnknownKeys
from .store import PreferenceStore

logger = logging.getLogger(__name__)

BACKEND = "prefstore"
DEFAULT_OUTPUT_DIR = "./.tmp/nat/finetuning/prefstore_datasets"


class PrefstoreTrainerAdapterConfig(WarnsUnknownKeys, TrainerAdapterConfig, name="prefstore_trainer_adapter"):
    """Where and how the export of a `nat finetune` is written.

    Example YAML::

        trainer_adapters:
          offline:
            _type: prefstore_trainer_adapter
            db_path: ./prefstore.duckdb        # the builder's db_path
            output_dir: ./training-data        # files go to output_dir/<run id>/
            format: trl
            max_pairs: 5000
            seed: 1
    """

    db_path: str = Field(default="./prefstore.duckdb",
                         description="The store prefstore_dpo_traj_builder writes (its db_path).")
    output_dir: str = Field(default=DEFAULT_OUTPUT_DIR,
                            description="Each `nat finetune` writes its export to output_dir/<run id>/.")
    format: Literal["nemo", "trl", "openai"] = Field(default="nemo", description="Training file format.")
    prompt_style: Literal["last-message", "messages", "conversational", "standard"] | None = Field(
        default=None, description="nemo: last-message (default) or messages; trl: conversational (default) "
        "or standard; openai: messages.")
    validation_fraction: float = Field(default=0.2, ge=0.0, lt=1.0,
                                       description="Share of examples for validation (split by example).")
    split_seed: int = Field(default=0, description="Seed of the split's example hash.")
    dedup: bool = Field(default=True, description="Keep the first of repeated (prompt, chosen, rejected) texts.")
    max_pairs: int | None = Field(default=None, ge=1, description="Keep a deterministic sample of N pairs.")
    seed: int = Field(default=0, description="Seed of the max_pairs sample.")
    store_wait_seconds: float = Field(default=60.0, ge=0.0,
                                      description="How long to wait while another process holds the store.")

    def export_options(self) -> ExportOptions:
        return ExportOptions(format=self.format, prompt_style=self.prompt_style,
                             validation_fraction=self.validation_fraction, split_seed=self.split_seed,
                             dedup=self.dedup, max_pairs=self.max_pairs, seed=self.seed)


def finetune_selection(runs: list[dict], nat_run_id: str) -> tuple[PairConfig, list[str] | None, list[str]]:
    """(pair options, runs to export or None for every run, this finetune's runs) for NAT's run id.

    A run belongs to the finetune whose id NAT put in its meta (`run_id`); its
    `trajectory_builder` meta is the builder's config, so the export pairs as
    the builder did.
    """
    mine = [run for run in runs if run["meta"].get("run_id") == nat_run_id]
    if not mine:
        raise BadInput(
            f"no run of finetune {nat_run_id!r} in the store; prefstore_trainer_adapter exports what "
            f"prefstore_dpo_traj_builder stored: use it as the trajectory builder, with the same db_path")
    builder = mine[-1]["meta"].get("trajectory_builder")
    if not isinstance(builder, dict):
        raise BadInput(f"run {mine[-1]['run_id']!r} was not stored by prefstore_dpo_traj_builder "
                       f"(no trajectory_builder in its meta); cannot tell which pairs it made")
    config = PairConfig(**{key: builder[key] for key in PAIR_FIELDS if key in builder})
    ids = [run["run_id"] for run in mine]
    return config, (None if builder.get("pair_scope") == "store" else ids), ids


class PrefstoreTrainerAdapter(TrainerAdapter):
    """Writes the finetune's training files instead of uploading them; the 'job' is done when submit returns."""

    def __init__(self, adapter_config: PrefstoreTrainerAdapterConfig):
        super().__init__(adapter_config)
        self.adapter_config: PrefstoreTrainerAdapterConfig = adapter_config
        self._jobs: dict[str, dict[str, Any]] = {}

    async def initialize(self, run_config: FinetuneConfig) -> None:
        await super().initialize(run_config)

    async def is_healthy(self) -> bool:
        return True

    async def submit(self, trajectories: TrajectoryCollection) -> TrainingJobRef:
        """Export the runs of the finetune `trajectories.run_id` names; the collection's pairs are the
        builder's, whose source the store holds, so only its run id is read."""
        if trajectories.run_id in self._jobs:
            raise ValueError(f"Training job for run {trajectories.run_id} already exists")
        metadata = await asyncio.to_thread(self._export, trajectories.run_id)
        self._jobs[trajectories.run_id] = metadata
        logger.info("prefstore: wrote %d %s pairs for %s to %s", metadata["pairs"], metadata["format"],
                    trajectories.run_id, metadata["output_dir"])
        return TrainingJobRef(run_id=trajectories.run_id, backend=BACKEND, metadata=metadata)

    def _export(self, nat_run_id: str) -> dict[str, Any]:
        config = self.adapter_config
        out = Path(config.output_dir) / nat_run_id
        out.parent.mkdir(parents=True, exist_ok=True)
        with PreferenceStore(config.db_path, read_only=True, wait=config.store_wait_seconds) as store:
            stored = store.runs()
            pair_config, runs, mine = finetune_selection(stored, nat_run_id)
            self._warn_ignored_trainer_sampling(stored, mine)
            manifest = store.export(out, pair_config, config.export_options(), runs)
        splits = manifest["splits"]
        return {
            "output_dir": str(out.resolve()),
            "manifest": str((out / MANIFEST).resolve()),
            "format": manifest["format"],
            "pairs": sum(split["pairs"] for split in splits.values()),
            "splits": {name: {"file": split["file"], "pairs": split["pairs"], "examples": split["examples"]}
                       for name, split in splits.items()},
            "runs": [run["run_id"] for run in manifest["runs"]],
            "store_path": str(Path(config.db_path).resolve()),
        }

    @staticmethod
    def _warn_ignored_trainer_sampling(runs: list[dict], mine: list[str]) -> None:
        trainer = next((r["meta"].get("trainer_config") for r in runs if r["run_id"] in mine), None)
        if isinstance(trainer, dict) and trainer.get("max_pairs"):
            logger.warning("prefstore_trainer_adapter: the trainer's max_pairs (%s) samples NAT's collection "
                           "without a seed and is not what gets written; set max_pairs (and seed) on the "
                           "adapter instead", trainer["max_pairs"])

    async def status(self, ref: TrainingJobRef) -> TrainingJobStatus:
        job = self._jobs.get(ref.run_id)
        if job is None:
            return TrainingJobStatus(run_id=ref.run_id, backend=BACKEND, status=TrainingStatusEnum.FAILED,
                                     message=f"no export was written for run {ref.run_id}")
        return TrainingJobStatus(
            run_id=ref.run_id, backend=BACKEND, status=TrainingStatusEnum.COMPLETED, progress=100.0,
            message=f"wrote {job['pairs']} {job['format']} pairs to {job['output_dir']}", metadata=job)

    async def wait_until_complete(self, ref: TrainingJobRef, poll_interval: float | None = None) -> TrainingJobStatus:
        """The export is written by submit, so the job is complete as soon as it exists."""
        return await self.status(ref)

    def log_progress(self, ref: TrainingJobRef, metrics: dict[str, Any], output_dir: str | None = None) -> None:
        """Append a JSONL line (NAT's adapter's shape) with the export's folder and counts."""
        out_dir = Path(output_dir) if output_dir else Path(self.adapter_config.output_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        entry = {"timestamp": datetime.now().isoformat(), "run_id": ref.run_id, "backend": ref.backend,
                 **self._jobs.get(ref.run_id, {}), **metrics}
        with open(out_dir / f"prefstore_{ref.run_id}.jsonl", "a", encoding="utf-8") as handle:
            handle.write(json.dumps(entry, default=str) + "\n")


@register_trainer_adapter(config_type=PrefstoreTrainerAdapterConfig)
async def prefstore_trainer_adapter(config: PrefstoreTrainerAdapterConfig, builder: Builder):
    """NAT's build function for `_type: prefstore_trainer_adapter` (yields one adapter)."""
    yield PrefstoreTrainerAdapter(adapter_config=config)
