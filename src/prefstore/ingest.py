"""Ingest: NAT evaluation output (a file, or NAT objects in-process) into the store.

Parsing is DuckDB's: `sql/stage_nat_eval.sql` reads the file with DuckDB's
JSON reader, `sql/stage_fields.sql` pulls the fields, `sql/ingest_validate.sql`
types and judges every row. Python only decides run identity and wraps the
whole run in one transaction, so a failure leaves the store as it was.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import duckdb

from . import queries
from ._version import __version__
from .errors import BadInput, RunExists
from .models import DEFAULT_STEP_NAME, IngestReport
from .store import Store

_HASH_CHUNK = 8 << 20
_MIN_OBJECT_BYTES = 16 << 20


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_HASH_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def default_run_id(sha256: str) -> str:
    """Runs without an explicit id are named by their content: same bytes, same run."""
    return sha256[:16]


def check_nat_file(path: Path) -> None:
    """Refuse files DuckDB would misread or report obscurely, before any work."""
    if not path.exists():
        raise BadInput(f"{path}: no such file")
    if path.is_dir():
        raise BadInput(f"{path}: is a directory, expected a NAT workflow_output.json file")
    with path.open("rb") as handle:
        head = handle.read(64 << 10)
    text = head.lstrip(b"\xef\xbb\xbf").lstrip()
    if not text:
        raise BadInput(f"{path}: file is empty, expected a JSON array of NAT evaluation items")
    if text[:1] != b"[":
        found = "a JSON object" if text[:1] == b"{" else "something else"
        raise BadInput(f"{path}: expected a JSON array of NAT evaluation items, found {found}")


def ingest_nat_eval(
    store: Store,
    path: str | os.PathLike,
    run_id: str | None = None,
    meta: Mapping[str, Any] | None = None,
    replace: bool = False,
) -> IngestReport:
    """Store every TTC_END step of one NAT `workflow_output.json` as one run."""
    file = Path(path)
    check_nat_file(file)
    sha = file_sha256(file)
    run_id = run_id or default_run_id(sha)
    object_bytes = max(_MIN_OBJECT_BYTES, file.stat().st_size + 1)

    def stage(cur: duckdb.DuckDBPyConnection) -> None:
        try:
            queries.run(cur, "stage_nat_eval", {"path": str(file), "max_object_bytes": object_bytes})
        except duckdb.Error as exc:
            raise BadInput(f"{file}: not a readable NAT evaluation file: {_first_line(exc)}") from None

    return _ingest(store, stage, run_id, sha, "nat_eval", str(file), meta, replace)


def ingest_nat_items(
    store: Store,
    items: Iterable[Any],
    run_id: str,
    meta: Mapping[str, Any] | None = None,
    replace: bool = False,
) -> IngestReport:
    """Store NAT items held in memory (EvalInputItem-like objects or dicts) as one run.

    Each item needs `id` and `intermediate_steps`; steps may be pydantic models
    (NAT's IntermediateStep) or plain dicts. The TTC_END steps are handed to
    DuckDB in bulk as parallel lists; no file is written.
    """
    columns: dict[str, list] = {"item_pos": [], "step_pos": [], "raw_id": [], "has_steps": [], "step": []}
    digest = hashlib.sha256()
    for item_pos, item in enumerate(items, start=1):
        raw_id, steps = _item_parts(item)
        _add_row(columns, item_pos, 0, raw_id, steps is not None, None)
        digest.update(raw_id.encode())
        for step_pos, step in enumerate(steps or [], start=1):
            text = _step_json(step)
            digest.update(text.encode())
            if _is_candidate_row(step):
                _add_row(columns, item_pos, step_pos, raw_id, True, text)

    def stage(cur: duckdb.DuckDBPyConnection) -> None:
        queries.run(cur, "stage_nat_items", columns)

    return _ingest(store, stage, run_id, digest.hexdigest(), "nat_items", None, meta, replace)


def _ingest(store, stage, run_id, sha, source_format, source_path, meta, replace) -> IngestReport:
    source = source_path or "(in-process items)"
    meta_json = json.dumps(dict(meta or {}), sort_keys=True, ensure_ascii=False, default=str)
    with store.transaction() as cur:
        existing = cur.execute("SELECT source_sha256 FROM runs WHERE run_id = $r", {"r": run_id}).fetchone()
        if existing and existing[0] == sha and not replace:
            return IngestReport(run_id=run_id, source=source, status="already ingested")
        if existing and not replace:
            raise RunExists(
                f"run {run_id!r} already holds a different source; pass --replace to overwrite it "
                f"or choose another --run-id")
        stage(cur)
        queries.run(cur, "stage_fields")
        queries.run(cur, "ingest_validate")
        report = _report(cur, run_id, source, "replaced" if existing else "ingested")
        if existing:
            queries.run(cur, "run_delete", {"run_id": run_id})
        queries.run(cur, "ingest_insert", {"run_id": run_id})
        queries.run(cur, "ingest_rejects", {"run_id": run_id})
        queries.run(cur, "run_insert", {
            "run_id": run_id, "source_format": source_format, "source_path": source_path,
            "source_sha256": sha, "meta": meta_json, "n_items": report.items, "n_steps": report.steps,
            "n_candidates": report.candidates, "n_rejects": report.rejects, "version": __version__,
        })
        queries.run(cur, "ingest_cleanup")
    return report


def _report(cur: duckdb.DuckDBPyConnection, run_id: str, source: str, status: str) -> IngestReport:
    report = IngestReport(run_id=run_id, source=source, status=status)
    for kind, key, n in queries.run(cur, "ingest_summary").fetchall():
        if kind == "items":
            report.items = n
        elif kind == "steps":
            report.steps_by_name[key] = n
        elif kind == "candidates":
            report.candidates_by_name[key] = n
        else:
            report.rejects_by_reason[key] = n
    if DEFAULT_STEP_NAME not in report.candidates_by_name:
        found = ", ".join(sorted(report.candidates_by_name)) or "none"
        report.warnings.append(
            f"no candidate has the default step name {DEFAULT_STEP_NAME!r}; step names found: {found} "
            f"(pass --ttc-step-name to pair them)")
    return report


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


# -- NAT objects ---------------------------------------------------------------------
def _get(obj: Any, name: str) -> Any:
    return obj.get(name) if isinstance(obj, Mapping) else getattr(obj, name, None)


def _item_parts(item: Any) -> tuple[str, list | None]:
    raw_id = _get(item, "id")
    steps = _get(item, "intermediate_steps")
    return json.dumps(raw_id, default=str), (list(steps) if steps is not None else None)


def _step_json(step: Any) -> str:
    if hasattr(step, "model_dump_json"):
        return step.model_dump_json()
    return json.dumps(step, default=str, ensure_ascii=False)


def _is_candidate_row(step: Any) -> bool:
    """TTC_END steps, and steps whose event type cannot be read (rejected later, not lost)."""
    payload = _get(step, "payload")
    event = _get(payload, "event_type") if payload is not None else None
    event = getattr(event, "value", event)
    return event is None or event == "TTC_END"


def _add_row(columns: dict[str, list], item_pos: int, step_pos: int, raw_id: str,
             has_steps: bool, step: str | None) -> None:
    columns["item_pos"].append(item_pos)
    columns["step_pos"].append(step_pos)
    columns["raw_id"].append(raw_id)
    columns["has_steps"].append(has_steps)
    columns["step"].append(step)
