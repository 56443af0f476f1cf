"""NAT-shaped trajectories built straight from the export rows, without validating them again.

SQL has already typed every value (`sql/export/format_pairs.sql`: scores are
DOUBLE, indexes integers, prompts checked at ingest to be a string or a list
of {role: str, content: str}), so the objects are made as pydantic's
`model_construct` makes them, without validation: validating each object cost
~4x more on S, and `model_construct` itself spends most of its time looking up
field defaults. Values a turn shares are built once: a prompt's messages and
each candidate's raw metadata are the same objects in all of the turn's
trajectories, as in NAT's own builder; each trajectory has its own lists and
metadata dict. The JSON they dump equals that of validated objects byte for
byte (tests/test_data_api.py).

One function serves prefstore's models (`store.trajectories`, the
`trajectories` export format) and NAT's (the NAT plugin), which have the same
fields.
"""

from __future__ import annotations

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
_TRAJECTORY_SET = ("episode", "reward", "metadata")  # shaped_rewards keeps its default and stays unset


def construct(cls: type[BaseModel], values: dict[str, Any], fields_set: Iterable[str] | None = None) -> Any:
    """`cls.model_construct(**values)` for `values` naming every field, without its Python loop
    over the fields.

    Sets exactly what model_construct sets on a model that `plain` accepts;
    `fields_set` names the fields given explicitly (default: all of `values`).
    """
    obj = _new(cls)
    _set(obj, "__dict__", values)
    _set(obj, "__pydantic_fields_set__", set(values if fields_set is None else fields_set))
    _set(obj, "__pydantic_extra__", None)
    _set(obj, "__pydantic_private__", None)
    return obj


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
    # NAT's builder keeps only truthy raw metadata, so null (or empty) becomes {}
    empty_raw_metadata_as_dict: bool = False
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


def trajectory_groups(rows: Iterable[tuple], config: PairConfig,
                      models: Models = PREFSTORE_MODELS) -> Iterator[list[Any]]:
    """One list of trajectories per example, in the rows' order (rows of
    sql/export/format_pairs.sql, for the pair options `config`).

    An example's rows are consecutive (output order is by example first); a
    list is yielded as soon as the next example starts, so memory holds one
    example's trajectories plus what the row iterator buffers.
    """
    message, item, trajectory = models.message, models.item, models.trajectory
    exhaustive = config.exhaustive_pairs
    group: list[Any] = []
    example: str | None = None
    prompts: dict[int, Any] = {}      # turn_seq -> prompt (str or messages), for the current example
    metadata: dict[int, Any] = {}     # candidate seq -> raw metadata, for the current example
    for (run_id, example_id, turn_id, prompt_json, chosen_response, rejected_response, chosen_score,
         rejected_score, score_diff, reward, chosen_index, rejected_index, chosen_meta_json,
         rejected_meta_json, num_candidates, _example_seq, turn_seq, _pair_rank, chosen_seq,
         rejected_seq) in rows:
        if example_id != example:
            if group:
                yield group
            group, example = [], example_id
            prompts.clear()
            metadata.clear()
        prompt = prompts.get(turn_seq)
        if prompt is None:
            prompt = prompts[turn_seq] = _prompt(prompt_json, message)
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
            meta["chosen_raw_metadata"] = _raw_metadata(metadata, chosen_seq, chosen_meta_json, models)
            meta["rejected_raw_metadata"] = _raw_metadata(metadata, rejected_seq, rejected_meta_json, models)
        else:
            meta["num_candidates"] = num_candidates
        if models.run_id_in_metadata:
            meta["run_id"] = run_id
        dpo_item = construct(item, {"prompt": prompt if type(prompt) is str else list(prompt),
                                    "chosen_response": chosen_response, "rejected_response": rejected_response})
        group.append(construct(trajectory, {"episode": [dpo_item], "reward": reward, "shaped_rewards": None,
                                            "metadata": meta}, _TRAJECTORY_SET))
    if group:
        yield group


def _prompt(text: str, message: type[BaseModel]) -> Any:
    """A stored prompt (JSON text) as the models hold it: a str, or a list of messages."""
    value = from_json(text)
    if type(value) is str:
        return value
    return [construct(message, {"role": m["role"], "content": m["content"]}) for m in value]


def _raw_metadata(cache: dict[int, Any], seq: int, text: str | None, models: Models) -> Any:
    """A candidate's metadata (JSON text or None) as a Python value, parsed once per example."""
    if seq in cache:
        return cache[seq]
    value = None if text is None else from_json(text)
    if models.empty_raw_metadata_as_dict and not value:
        value = {}
    cache[seq] = value
    return value
