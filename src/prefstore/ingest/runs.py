"""Run bookkeeping: run identity, the one write transaction, the ingest report.

Every source kind ends here: `store_run` takes a `stage` function that fills
this cursor's temp tables (the checked rows) and moves them into the store in
the transaction it is handed, so a failure leaves the store as it was.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import duckdb

from .. import queries
from .._version import __version__
from ..errors import RunExists
from ..models import DEFAULT_STEP_NAME, IngestReport
from .digest import Digest

#: The store's write transaction on a given cursor (`Store.transaction`).
Transaction = Callable[[duckdb.DuckDBPyConnection], contextlib.AbstractContextManager[duckdb.DuckDBPyConnection]]
#: Fills the cursor's staging tables; True when `checked` is ready (validation already ran).
Stage = Callable[[duckdb.DuckDBPyConnection], "bool | None"]



def default_run_id(sha256: str) -> str:
    """Runs without an explicit id are named by their content: same bytes, same run."""
    return sha256[:16]


def run_digest(kind: str, parts: Sequence[str]) -> str:
    """A run's identity from its sources' digests and the options that change what is read from
    them: other options give other rows, so they must not pass for the run already stored."""
    return hashlib.sha256("\0".join((kind, *parts)).encode()).hexdigest()


def store_run(cur: duckdb.DuckDBPyConnection, transaction: Transaction, stage: Stage, run_id: str | None,
              sha: str | Digest, source_format: str, source_path: str | None,
              meta: Mapping[str, Any] | None, replace: bool) -> IngestReport:
    """Stage, check and store one run on `cur`.

    `sha` may be a Digest (a file's digest still being computed); `run_id`
    None means the digest's default. Unless this run may already be in the
    store, staging then starts at once instead of waiting for the digest.
    """
    source = source_path or "(in-process items)"
    meta_json = json.dumps(dict(meta or {}), sort_keys=True, ensure_ascii=False, default=str)
    # Staging fills temp tables private to this cursor, before the write
    # transaction: a failed typed read (see nat_eval.stage_typed) would abort it.
    deferred = isinstance(sha, Digest)
    early = deferred and not queries.run(
        cur, "runs/maybe_same", {"run_id": run_id, "source_path": source_path}).fetchone()[0]
    staged = stage(cur) if early else None
    if deferred:
        sha = sha.result()
    run_id = run_id or default_run_id(sha)
    if _existing(cur, run_id, sha, replace) == "same":
        return IngestReport(run_id=run_id, source=source, status="already ingested")
    if not (staged if early else stage(cur)):
        queries.run(cur, "ingest/stage_fields")
        queries.run(cur, "ingest/validate")
    with transaction(cur):
        existing = _existing(cur, run_id, sha, replace)  # again: another process may have won
        if existing == "same":
            return IngestReport(run_id=run_id, source=source, status="already ingested")
        return _write_run(cur, run_id, sha, source_format, source_path, source, meta_json, existing)


def _existing(cur: duckdb.DuckDBPyConnection, run_id: str, sha: str, replace: bool) -> str | None:
    """'same' if the run holds this source (and no replace), 'other' if it holds another; else None."""
    existing = cur.execute("SELECT source_sha256 FROM runs WHERE run_id = $r", {"r": run_id}).fetchone()
    if existing and existing[0] == sha and not replace:
        return "same"
    if existing and not replace:
        raise RunExists(
            f"run {run_id!r} already holds a different source; pass --replace to overwrite it "
            f"or choose another --run-id")
    return "other" if existing else None


def _write_run(cur, run_id, sha, source_format, source_path, source, meta_json, existing) -> IngestReport:
    """Move the checked rows into the store, inside the caller's transaction."""
    report = _report(cur, run_id, source, "replaced" if existing else "ingested")
    if existing:
        queries.run(cur, "runs/delete", {"run_id": run_id})
    queries.run(cur, "ingest/insert", {"run_id": run_id})
    queries.run(cur, "ingest/rejects", {"run_id": run_id})
    queries.run(cur, "runs/insert", {
        "run_id": run_id, "source_format": source_format, "source_path": source_path,
        "source_sha256": sha, "meta": meta_json, "n_items": report.items, "n_steps": report.steps,
        "n_candidates": report.candidates, "n_rejects": report.rejects, "version": __version__,
    })
    queries.run(cur, "ingest/cleanup")
    return report


def _report(cur: duckdb.DuckDBPyConnection, run_id: str, source: str, status: str) -> IngestReport:
    report = IngestReport(run_id=run_id, source=source, status=status)
    for kind, key, n in queries.run(cur, "ingest/summary").fetchall():
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


def first_line(exc: Exception) -> str:
    """The first line of an error's message (DuckDB's run to several)."""
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
