"""NAT-shaped trajectories built straight from the export rows, without validating them again.

SQL has already typed every value (`sql/export/batch_candidates.sql`,
`sql/export/format_trajectories.sql`: scores are
DOUBLE, indexes integers, prompts checked at ingest to be a string or a list
of {role: str, content: str}), so the objects are made as pydantic's
`model_construct` makes them, without validation: validating each object cost
~4x more on S, and `model_construct` itself spends most of its time looking up
field defaults. Values an example's pairs share are built once: a prompt's messages
(per distinct prompt text), each candidate's response and raw metadata are the
same objects in all of its trajectories, as in NAT's own builder; each trajectory has its own
lists and metadata dict. The JSON they dump equals that of validated objects byte for
byte (tests/test_data_api.py).

One function serves prefstore's models (`store.trajectories`, the
`trajectories` export format) and NAT's (the NAT plugin), which have the same
fields.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel
from pydantic_core import from_json

from .models import DPOItem, OpenAIMessage, PairConfig, Trajectory

_new = object.__new__
_set = object.__setattr__
_FIELDS = {
    "message": {"role", "content"},
    "item": {"prompt", "chosen_response", "rejected_response"},
    "trajectory": {"episode", "reward", "shaped_rewards", "metadata"},
}


def construct(cls: type[BaseModel], values: dict[str, Any], fields_set: set[str] | None = None) -> Any:
    """`cls.model_construct(**values)` for `values` naming every field, without its Python loop
    over the fields.

    Sets exactly what model_construct sets on a model that `plain` accepts.
    `fields_set` names the fields given explicitly (default: all of `values`);
    it becomes the object's own set (pydantic adds to it on assignment), so
    pass a new one each time.
    """
    obj = _new(cls)
    _set(obj, "__dict__", values)
    _set(obj, "__pydantic_fields_set__", set(values) if fields_set is None else fields_set)
    _set(obj, "__pydantic_extra__", None)
    _set(obj, "__pydantic_private__", None)
    return obj


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while a whole collection is built, then restore it.

    The objects built here hold no cycles, so a collection during the build
    frees nothing; but each of the repeated collections that ~1M new objects
    trigger walks them (~40% of store.trajectories() on S). Afterwards they are
    moved straight to the oldest generation (gc.freeze, then gc.unfreeze), as
    surviving collections would have moved them, without the next young
    collection walking all of them first (another ~20%); skipped when
    something else in the process keeps objects frozen (gc.freeze before a
    fork), which unfreeze would undo. Not for streaming: the consumer's code
    must not run with the collector paused.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if gc.get_freeze_count() == 0:
            gc.freeze()
            gc.unfreeze()
        if enabled:
            gc.enable()


def plain(cls: type[BaseModel]) -> bool:
    """Whether `construct` builds `cls` as model_construct would: no private attributes, no
    extra fields kept, no field aliases."""
    return (not cls.__private_attributes__ and cls.model_config.get("extra") != "allow"
            and all(field.alias is None for field in cls.model_fields.values()))


@dataclass(frozen=True)
class Models:
    """The classes to build, and NAT's two differences in the metadata (for the NAT plugin)."""

    message: type[BaseModel] = OpenAIMessage
    item: type[BaseModel] = DPOItem
    trajectory: type[BaseModel] = Trajectory
    # prefstore names each pair's run; NAT's builder (one run) does not
    run_id_in_metadata: bool = True

    def __post_init__(self) -> None:
        """Refuse classes whose fields differ from the ones built here (a new NAT release could add one)."""
        for role, fields in _FIELDS.items():
            cls = getattr(self, role)
            if set(cls.model_fields) != fields or not plain(cls):
                raise TypeError(f"{cls.__module__}.{cls.__qualname__} is not a plain model with fields "
                                f"{sorted(fields)}; trajectories cannot be built for it")


PREFSTORE_MODELS = Models()


Batch = tuple[dict[int, tuple], Iterable[tuple]]


def trajectory_groups(batches: Iterable[Batch], config: PairConfig,
                      models: Models = PREFSTORE_MODELS) -> Iterator[list[Any]]:
    """One list of trajectories per example, in output order, for the pair options `config`.

    Each batch is (candidates by seq: rows of sql/export/batch_candidates.sql,
    pair rows of sql/export/format_trajectories.sql naming them). Texts cross
    from DuckDB once per candidate, not once per pair. An example's pairs are
    consecutive (output order is by example first); its list is yielded as
    soon as the next example starts, so memory holds one example's
    trajectories plus one batch.
    """
    message, item, trajectory = models.message, models.item, models.trajectory
    exhaustive, with_run_id = config.exhaustive_pairs, models.run_id_in_metadata
    group: list[Any] = []
    example: int | None = None
    prompts: dict[str, Any] = {}  # prompt JSON text -> prompt (str or messages), for the current example
    for by_seq, rows in batches:
        candidates = _candidates(by_seq, exhaustive)
        for chosen_seq, rejected_seq, score_diff, reward, num_candidates, flipped, example_seq in rows:
            _, _, _, _, chosen_response, chosen_meta, chosen_index, chosen_score = candidates[chosen_seq]
            _, _, _, _, rejected_response, rejected_meta, rejected_index, rejected_score = candidates[rejected_seq]
            # run, example, turn and prompt are the pair's: the chosen candidate's as the pair
            # query returned it, which a flip decision made the rejected one
            run_id, example_id, turn_id, prompt_json = candidates[rejected_seq if flipped else chosen_seq][:4]
            if example_seq != example:
                if group:
                    yield group
                group, example = [], example_seq
                prompts.clear()
            prompt = prompts.get(prompt_json)
            if prompt is None:
                prompt = prompts[prompt_json] = _prompt(prompt_json, message)
            meta: dict[str, Any] = {
                "dpo_type": "preference_pair",
                "score_diff": score_diff,
                "example_id": example_id,
                "turn_id": turn_id,
                "chosen_score": chosen_score,
                "rejected_score": rejected_score,
                "chosen_index": chosen_index,
                "rejected_index": rejected_index,
            }
            if exhaustive:
                meta["chosen_raw_metadata"] = chosen_meta
                meta["rejected_raw_metadata"] = rejected_meta
            else:
                meta["num_candidates"] = num_candidates
            if with_run_id:
                meta["run_id"] = run_id
            if flipped:
                meta["flipped"] = True
            dpo_item = construct(item, {"prompt": prompt if type(prompt) is str else list(prompt),
                                        "chosen_response": chosen_response,
                                        "rejected_response": rejected_response},
                                 {"prompt", "chosen_response", "rejected_response"})
            # shaped_rewards keeps its default and stays unset, as with Trajectory(episode=..., ...)
            group.append(construct(trajectory, {"episode": [dpo_item], "reward": reward, "shaped_rewards": None,
                                                "metadata": meta}, {"episode", "reward", "metadata"}))
    if group:
        yield group


def _candidates(by_seq: dict[int, tuple], exhaustive: bool) -> dict[int, tuple]:
    """seq -> (run_id, example_id, turn_id, prompt JSON, response, raw metadata, index, score), the
    raw metadata parsed once per candidate (only exhaustive pairs carry it). As in NAT's builder,
    which keeps a candidate's metadata only when truthy, null (or empty) metadata is {}."""
    out = {}
    for seq, (_, run_id, example_id, turn_id, prompt, response, meta_json, index, score) in by_seq.items():
        meta = None
        if exhaustive:
            meta = (None if meta_json is None else from_json(meta_json)) or {}
        out[seq] = (run_id, example_id, turn_id, prompt, response, meta, index, score)
    return out


def _prompt(text: str, message: type[BaseModel]) -> Any:
    """A stored prompt (JSON text) as the models hold it: a str, or a list of messages."""
    value = from_json(text)
    if type(value) is str:
        return value
    return [construct(message, {"role": m["role"], "content": m["content"]}, {"role", "content"}) for m in value]
