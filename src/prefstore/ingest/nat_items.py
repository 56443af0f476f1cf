"""NAT evaluation items held in memory (the NAT plugin's path) as one run, no file written."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from typing import Any

import duckdb
from pydantic import BaseModel

from .. import queries
from ..models import IngestReport
from .nat_eval import DEFAULT_ID_KEY, DEFAULT_STEPS_KEY, item_keys, with_key_hints
from .runs import Transaction, store_run


def ingest_nat_items(
    cur: duckdb.DuckDBPyConnection,
    transaction: Transaction,
    items: Iterable[Any],
    run_id: str,
    meta: Mapping[str, Any] | None = None,
    replace: bool = False,
    id_key: str = DEFAULT_ID_KEY,
    steps_key: str = DEFAULT_STEPS_KEY,
) -> IngestReport:
    """Store NAT items held in memory (EvalInputItem-like objects or dicts) as one run.

    Items are NAT `EvalInputItem`s (id in `id`, steps in `trajectory`) or dicts
    shaped like the items of workflow_output.json (`id_key`, `steps_key`:
    `id` and `intermediate_steps` unless the dataset config renames them); steps
    may be pydantic models (NAT's IntermediateStep) or plain dicts. Only the
    rows the file path would stage (item markers, TTC_END steps, steps with no
    readable event type) are serialized, each step once; they reach DuckDB in
    bulk as parallel lists, no file written. When every such step is a NAT
    model, only the payload fields a candidate needs are serialized and
    DuckDB parses each step once (`sql/ingest/stage_nat_items_typed.sql`); a run with
    rejects is staged again from whole steps (`sql/ingest/stage_nat_items.sql`, the JSON
    shape NAT writes), so the rejects table keeps what was rejected. The
    run's digest covers the serialized rows: the same candidates under the
    same run_id are recognized as already ingested.
    """
    items = list(items)
    keys = item_keys(id_key, steps_key)
    typed_rows = _nat_rows(items, keys, typed=True)
    columns, digest = typed_rows or _nat_rows(items, keys, typed=False)

    def stage(cur: duckdb.DuckDBPyConnection) -> bool:
        """The one-parse typed staging when it can stand (True: `checked` is ready), else the robust one."""
        if typed_rows:
            queries.run(cur, "ingest/stage_nat_items_typed", columns)
            queries.run(cur, "ingest/validate")
            if not queries.run(cur, "ingest/typed_fallback").fetchone()[0]:
                return True
            queries.run(cur, "ingest/stage_nat_items", _nat_rows(items, keys, typed=False)[0])
        else:
            queries.run(cur, "ingest/stage_nat_items", columns)
        return False

    return with_key_hints(store_run(cur, transaction, stage, run_id, digest, "nat_items", None, meta, replace))



def _get(obj: Any, name: str) -> Any:
    if isinstance(obj, (dict, Mapping)):  # dict first: the ABC check is slow
        return obj.get(name)
    return getattr(obj, name, None)


def _item_parts(item: Any, keys: tuple[str, str]) -> tuple[str, list | None]:
    """(JSON text of the id, steps). NAT's EvalInputItem keeps its steps in `trajectory`;
    workflow_output.json items (and dicts shaped like them) under the dataset's keys."""
    id_key, steps_key = keys
    if isinstance(item, dict) or isinstance(item, Mapping):  # dict first: the ABC check is slow
        raw_id, steps = item.get(id_key), item.get(steps_key)
    else:
        raw_id = getattr(item, "id", None)
        steps = getattr(item, "trajectory", None)
        if steps is None:
            steps = getattr(item, steps_key, None)
    return json.dumps(raw_id, default=str), (list(steps) if steps is not None else None)


_PAYLOAD_FIELDS = {"event_type", "name", "UUID", "metadata", "data"}


def _nat_rows(items: list, keys: tuple[str, str], typed: bool) -> tuple[dict[str, list], str] | None:
    """The rows to stage as parallel lists (one per item marker, then one per staged step), and their digest.

    typed=True: stage_nat_items_typed.sql's parameters, each step as the JSON
    of just the payload fields a candidate needs, or None as soon as a staged
    step is not a NAT model (see _is_typed_step). typed=False:
    stage_nat_items.sql's, whole steps as NAT writes them. One tight loop,
    with the common case (a NAT step that is not TTC_END) first: it runs once
    per step of a whole evaluation, inside `nat finetune`.
    """
    item_raw_id: list[str] = []
    item_has_steps: list[bool] = []
    item_pos_col: list[int] = []
    step_pos_col: list[int] = []
    step_col: list[str] = []
    digest = hashlib.sha256(b"typed" if typed else b"whole")
    update = digest.update
    typed_shapes: set[tuple[type, type, type]] = set()  # (step, payload, data) classes checked
    for item_pos, item in enumerate(items, start=1):
        raw_id, steps = _item_parts(item, keys)
        item_raw_id.append(raw_id)
        item_has_steps.append(steps is not None)
        update(f"\x1e{item_pos}\x1f{raw_id}\x1f{steps is not None:d}".encode())
        for step_pos, step in enumerate(steps or (), start=1):
            try:
                payload = step.payload
                event = payload.event_type
            except AttributeError:
                payload = event = None
            if isinstance(event, str):  # NAT's IntermediateStepType is a StrEnum
                if event != "TTC_END":
                    continue
            elif not _is_candidate_row(step):
                continue
            if not typed:
                text = _step_json_bytes(step)
            else:
                shape = (step.__class__, payload.__class__, getattr(payload, "data", None).__class__)
                if shape not in typed_shapes:
                    if not _is_typed_step(step):
                        return None
                    typed_shapes.add(shape)
                text = payload.__pydantic_serializer__.to_json(payload, include=_PAYLOAD_FIELDS)
            update(b"\x1d%d\x1f" % step_pos)
            update(text)
            item_pos_col.append(item_pos)
            step_pos_col.append(step_pos)
            step_col.append(text.decode())
    n_items = len(item_raw_id)
    return {
        "item_pos": list(range(1, n_items + 1)) + item_pos_col,
        "step_pos": [0] * n_items + step_pos_col,
        "raw_id": item_raw_id + [item_raw_id[i - 1] for i in item_pos_col],
        "has_steps": item_has_steps + [True] * len(step_col),
        "step": [None] * n_items + step_col,
    }, digest.hexdigest()


def _step_json_bytes(step: Any) -> bytes:
    """UTF-8 JSON of one whole step: a pydantic model as `model_dump_json()` gives it (the
    shape NAT writes), as bytes so the digest needs no second encoding; a dict via json.dumps."""
    if isinstance(step, BaseModel):
        return step.__pydantic_serializer__.to_json(step)
    return json.dumps(step, default=str, ensure_ascii=False).encode()


def _is_candidate_row(step: Any) -> bool:
    """TTC_END steps, and steps whose event type cannot be read (rejected later, not lost).

    Decided before serializing, so the other steps (TTC_START, LLM_END, ...) cost nothing.
    """
    try:
        event = step.payload.event_type  # NAT's IntermediateStep: plain attribute reads
    except AttributeError:  # a dict, or a step without payload
        payload = _get(step, "payload")
        event = _get(payload, "event_type") if payload is not None else None
    if event is None or isinstance(event, str):  # NAT's IntermediateStepType is a StrEnum
        return event is None or event == "TTC_END"
    return getattr(event, "value", None) == "TTC_END"


def _is_typed_step(step: Any) -> bool:
    """A pydantic step whose payload and payload.data are objects: stage_nat_items_typed.sql's premise."""
    payload = getattr(step, "payload", None)
    return (isinstance(step, BaseModel) and isinstance(payload, BaseModel)
            and isinstance(getattr(payload, "data", None), (BaseModel, dict)))
