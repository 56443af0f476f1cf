"""Ingest: NAT evaluation output (a file, or NAT objects in-process) into the store.

Parsing is DuckDB's: `sql/stage_nat_eval_typed.sql` reads the file with the
steps typed as structs (the fast path; a big file is read as several pieces
in parallel, see `_read_typed`); when that read fails or finds anything to
reject, `sql/stage_nat_eval.sql` reads it again keeping each step as JSON and
`sql/stage_fields.sql` pulls the fields. `sql/ingest_validate.sql` types
and judges every row. Staging fills temp tables before the write transaction;
Python only decides run identity and wraps the writes in one transaction, so a
failure leaves the store as it was.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import mmap
import os
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import duckdb
from pydantic import BaseModel

from . import queries
from ._version import __version__
from .errors import BadInput, RunExists
from .fileops import copy_range
from .models import DEFAULT_STEP_NAME, IngestReport
from .store import Store

_HASH_BLOCK = 4 << 20
_MIN_OBJECT_BYTES = 16 << 20
# A NAT file at least this big is read as pieces in parallel (see _read_typed);
# below it the copy and a second scan cost more than the second thread saves.
CHUNK_MIN_BYTES = 32 << 20
CHUNKS_PER_THREAD = 2  # several per thread: one slow piece does not leave a thread idle
_FD_DIR = Path("/proc/self/fd")  # Linux: open files by descriptor, even unlinked ones


def file_sha256(path: Path, before_block: Callable[[], None] | None = None) -> str:
    """The file's SHA-256; `before_block` is called before each 4 MB block (see _Digest)."""
    digest = hashlib.sha256()
    block = bytearray(_HASH_BLOCK)
    view = memoryview(block)
    with path.open("rb", buffering=0) as handle:
        while size := handle.readinto(block):
            if before_block is not None:
                before_block()
            digest.update(view[:size])
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
        raise BadInput(f"{path}: expected a JSON array of NAT evaluation items, found {_found(text)}")


def _found(text: bytes) -> str:
    """What a file that is not a JSON array starts with, in words (for the refusal)."""
    if text[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return "UTF-16 text (save it as UTF-8)"
    if text[:1] == b"{":
        return "a JSON object"
    if text[:1] == b'"':
        return "a JSON string"
    for literal in (b"null", b"true", b"false"):
        if text.startswith(literal):
            return literal.decode()
    if text[:1] and text[:1] in b"-0123456789":
        return "a number"
    return f"text that is not JSON ({text[:20].decode('utf-8', 'replace')!r}...)"


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

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="prefstore-sha256") as pool:
        digest = _Digest(pool, file)

        def stage(cur: duckdb.DuckDBPyConnection) -> bool:
            """The typed one-pass read when it can stand (True: `checked` is ready), else the robust read."""
            if _stage_typed(cur, file, digest):
                return True
            try:
                _read_json(cur, "stage_nat_eval", [file])
            except duckdb.Error as exc:
                raise BadInput(f"{file}: not a readable NAT evaluation file: {_first_line(exc)}") from None
            return False

        try:
            return _ingest(store, stage, run_id, digest, "nat_eval", str(file), meta, replace)
        finally:
            digest.stop()


class _Digest:
    """A file's SHA-256, computed on the pool's thread while DuckDB leaves a core free.

    It starts at once, and pauses (`paused()`) while DuckDB parses pieces of
    the file on every core; `stop` ends it early when the ingest failed.
    """

    def __init__(self, pool: ThreadPoolExecutor, file: Path) -> None:
        self._free = threading.Event()
        self._free.set()
        self._stopped = False
        self._future = pool.submit(file_sha256, file, self._wait)

    def _wait(self) -> None:
        """Before each block: wait while paused; once stopped, end the digest."""
        self._free.wait()
        if self._stopped:
            raise _Stopped

    @contextlib.contextmanager
    def paused(self) -> Iterator[None]:
        self._free.clear()
        try:
            yield
        finally:
            self._free.set()

    def stop(self) -> None:
        self._stopped = True
        self._free.set()

    def result(self) -> str:
        return self._future.result()


class _Stopped(Exception):
    """The digest was no longer needed."""


def _stage_typed(cur: duckdb.DuckDBPyConnection, file: Path, digest: _Digest) -> bool:
    """Stage and check `file` with the steps typed as structs; False if the robust path must redo it.

    Parsing each step once into typed columns is several times cheaper than
    keeping every step as JSON text and extracting from it again. The typed
    read fails on shapes a struct cannot hold (a step that is not an object,
    duplicate keys), and it cannot keep a rejected step's raw JSON: both cases
    go to the robust path, so rejects and their reasons never depend on it.
    """
    try:
        _read_typed(cur, file, digest)
    except duckdb.Error:
        return False
    queries.run(cur, "ingest_validate")
    return not queries.run(cur, "ingest_typed_fallback").fetchone()[0]


def _read_typed(cur: duckdb.DuckDBPyConnection, file: Path, digest: _Digest) -> None:
    """Run stage_nat_eval_typed.sql on the file's pieces in parallel when it pays, else on the whole file.

    DuckDB reads one JSON array on one thread, but several files in parallel.
    If any piece fails to read, the whole file is read instead, so errors
    (and, through the robust path, rejects) are exactly the whole-file read's.
    The digest pauses while DuckDB parses the pieces on every core.
    """
    count = _chunk_count(cur, file)
    if count > 1:
        with _chunks(file, count) as pieces:
            if len(pieces) > 1:
                try:
                    with digest.paused():
                        _read_json(cur, "stage_nat_eval_typed", pieces)
                    return
                except duckdb.Error:
                    pass
    _read_json(cur, "stage_nat_eval_typed", [file])


def _chunk_count(cur: duckdb.DuckDBPyConnection, file: Path) -> int:
    """How many pieces to read `file` as: 1 (whole) if small, on one thread, or if DuckDB may reorder rows.

    stage_nat_eval_typed.sql numbers items in insertion order, which DuckDB
    keeps only with preserve_insertion_order on (its default).
    """
    if file.stat().st_size < CHUNK_MIN_BYTES:
        return 1
    threads, ordered = queries.run(cur, "ingest_read_settings").fetchone()
    return threads * CHUNKS_PER_THREAD if threads > 1 and ordered else 1


@contextlib.contextmanager
def _chunks(file: Path, count: int) -> Iterator[list[Path]]:
    """Up to `count` pieces of `file`: anonymous temp files that DuckDB opens through /proc/self/fd.

    The pieces have no name in any folder, so nothing is left behind: they
    vanish when closed on exit (also on error or interrupt), or when the
    process dies, even by SIGKILL. Yields [] when the file does not split (see
    _split_ranges), on a system without /proc/self/fd, or when the temp folder
    lacks room for them (checked first, never filled): the caller then reads
    the whole file.
    """
    with contextlib.ExitStack() as opened:
        try:
            ranges = _split_ranges(file, count) if _room_for_chunks(file) else []
            pieces = _write_chunks(file, ranges, opened) if len(ranges) > 1 else []
        except (OSError, ValueError):  # ValueError: mmap refused the file
            pieces = []
        yield pieces


def _room_for_chunks(file: Path) -> bool:
    """Pieces can be read by path (/proc/self/fd) and the temp folder holds a copy of `file` twice over."""
    return _FD_DIR.is_dir() and shutil.disk_usage(tempfile.gettempdir()).free >= 2 * file.stat().st_size


def _split_ranges(file: Path, count: int) -> list[tuple[int, int]]:
    """Byte ranges of up to `count` runs of whole top-level items, about equal in size; [] if none.

    NAT writes json.dump(indent=...): items are separated by "}," + newline +
    the indent that precedes the first item, found from the file's head (no
    newline there, e.g. compact JSON: no split). Each range but the first
    starts after such a separator's comma, each but the last ends after its
    "}". Why the pieces ("[" + range + "]") hold exactly the file's items, in
    order, whenever every piece parses as an array: a raw newline cannot occur
    inside a JSON string, and a cut at a wrong depth or inside a string leaves
    some piece with unbalanced brackets or an unterminated string, which fails
    to parse (then the whole file is read instead).
    """
    size = file.stat().st_size
    with file.open("rb") as handle, mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as view:
        head = view[: 64 << 10]
        opening = len(head) - len(head.lstrip(b"\xef\xbb\xbf").lstrip())
        first = len(head) - len(head[opening + 1:].lstrip())
        indent = head[opening + 1:first]
        if head[opening:opening + 1] != b"[" or head[first:first + 1] != b"{" or b"\n" not in indent:
            return []
        separator = b"}," + indent + b"{"
        cuts: list[int] = []
        for k in range(1, count):
            at = view.find(separator, max(size * k // count, cuts[-1] + 1 if cuts else first))
            if at < 0:
                break
            cuts.append(at)
    return list(zip([0] + [at + 2 for at in cuts], [at + 1 for at in cuts] + [size]))


def _write_chunks(file: Path, ranges: list[tuple[int, int]], opened: contextlib.ExitStack) -> list[Path]:
    """Write each range as an anonymous JSON array file ("[" + range + "]", the file's own brackets
    kept at its ends), left open in `opened`; returns the paths DuckDB reads them by."""
    pieces = []
    with file.open("rb") as source:
        for k, (start, end) in enumerate(ranges):
            out = opened.enter_context(tempfile.TemporaryFile(prefix="prefstore-chunk-", buffering=0))
            if k > 0:
                out.write(b"[")
            copy_range(source, out, start, end - start)
            if k < len(ranges) - 1:
                out.write(b"]")
            pieces.append(_FD_DIR / str(out.fileno()))
    return pieces


def _read_json(cur: duckdb.DuckDBPyConnection, query: str, files: list[Path]) -> None:
    """Run a read_json staging query with DuckDB's 16 MB object buffer, growing it only if an item needs it.

    DuckDB allocates that buffer per reader thread: sized to the whole file (as
    would always fit), peak memory grows with the file (1.8 GB RSS for 1.4 GB).
    The query gets `$path` (the first file) and `$paths` (all) and binds those it names.
    """
    params = {"path": str(files[0]), "paths": [str(f) for f in files], "max_object_bytes": _MIN_OBJECT_BYTES}
    try:
        queries.run(cur, query, params)
    except duckdb.InvalidInputException as exc:
        largest = max(f.stat().st_size for f in files)
        if "maximum_object_size" not in str(exc) or largest < _MIN_OBJECT_BYTES:
            raise
        params["max_object_bytes"] = largest + 1
        queries.run(cur, query, params)


def ingest_nat_items(
    store: Store,
    items: Iterable[Any],
    run_id: str,
    meta: Mapping[str, Any] | None = None,
    replace: bool = False,
) -> IngestReport:
    """Store NAT items held in memory (EvalInputItem-like objects or dicts) as one run.

    Items are NAT `EvalInputItem`s (steps in `trajectory`) or dicts shaped like
    the items of workflow_output.json (steps in `intermediate_steps`); steps
    may be pydantic models (NAT's IntermediateStep) or plain dicts. Only the
    rows the file path would stage (item markers, TTC_END steps, steps with no
    readable event type) are serialized, each step once; they reach DuckDB in
    bulk as parallel lists, no file written. When every such step is a NAT
    model, only the payload fields a candidate needs are serialized and
    DuckDB parses each step once (`stage_nat_items_typed.sql`); a run with
    rejects is staged again from whole steps (`stage_nat_items.sql`, the JSON
    shape NAT writes), so the rejects table keeps what was rejected. The
    run's digest covers the serialized rows: the same candidates under the
    same run_id are recognized as already ingested.
    """
    items = list(items)
    typed_rows = _nat_rows(items, typed=True)
    columns, digest = typed_rows or _nat_rows(items, typed=False)

    def stage(cur: duckdb.DuckDBPyConnection) -> bool:
        """The one-parse typed staging when it can stand (True: `checked` is ready), else the robust one."""
        if typed_rows:
            queries.run(cur, "stage_nat_items_typed", columns)
            queries.run(cur, "ingest_validate")
            if not queries.run(cur, "ingest_typed_fallback").fetchone()[0]:
                return True
            queries.run(cur, "stage_nat_items", _nat_rows(items, typed=False)[0])
        else:
            queries.run(cur, "stage_nat_items", columns)
        return False

    return _ingest(store, stage, run_id, digest, "nat_items", None, meta, replace)


# -- candidates files (any source, not only NAT) ------------------------------------------
CANDIDATE_FILE_KINDS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".parquet": "parquet"}
CANDIDATE_REQUIRED = ("example_id", "turn_id", "prompt", "response", "score")


def check_candidates_file(path: Path) -> str:
    """The file's kind ('jsonl' or 'parquet', by extension); refuse what cannot be a candidates file."""
    if not path.exists():
        raise BadInput(f"{path}: no such file")
    if path.is_dir():
        raise BadInput(f"{path}: is a directory, expected a candidates .jsonl or .parquet file")
    kind = CANDIDATE_FILE_KINDS.get(path.suffix.lower())
    if kind is None:
        raise BadInput(f"{path}: unknown candidates file type {path.suffix or '(no extension)'!r}; "
                       f"expected .jsonl (one JSON object per line) or .parquet")
    if kind == "jsonl":
        with path.open("rb") as handle:
            if not handle.read(64 << 10).lstrip(b"\xef\xbb\xbf").strip():
                raise BadInput(f"{path}: file is empty, expected one JSON object per line (a candidate each)")
    return kind


def ingest_candidates(
    store: Store,
    path: str | os.PathLike,
    run_id: str | None = None,
    meta: Mapping[str, Any] | None = None,
    replace: bool = False,
) -> IngestReport:
    """Store a candidates file from any source (JSONL or Parquet, one candidate per row) as one run.

    Each row becomes a synthetic NAT TTC_END step (`sql/stage_candidates.sql`),
    so validation, rejects, run identity and atomicity are NAT ingest's own.
    """
    file = Path(path)
    kind = check_candidates_file(file)
    sha = file_sha256(file)
    run_id = run_id or default_run_id(sha)
    object_bytes = max(_MIN_OBJECT_BYTES, file.stat().st_size + 1)

    def stage(cur: duckdb.DuckDBPyConnection) -> None:
        try:
            if kind == "parquet":
                _check_parquet_columns(cur, file)
            queries.run(cur, f"stage_candidates_{kind}", {"path": str(file), "max_object_bytes": object_bytes})
        except duckdb.Error as exc:
            raise BadInput(f"{file}: not a readable candidates {kind} file: {_first_line(exc)}") from None
        queries.run(cur, "stage_candidates", {"default_step_name": DEFAULT_STEP_NAME})

    return _ingest(store, stage, run_id, sha, "candidates", str(file), meta, replace)


def _check_parquet_columns(cur: duckdb.DuckDBPyConnection, file: Path) -> None:
    """A Parquet file lacking a required column is refused whole (every row would be rejected)."""
    result = queries.run(cur, "candidates_parquet_columns", {"path": str(file)})
    columns = {d[0] for d in result.description}
    result.fetchall()
    missing = [c for c in CANDIDATE_REQUIRED if c not in columns]
    if missing:
        raise BadInput(f"{file}: missing column(s) {', '.join(missing)}; a candidates file needs "
                       f"{', '.join(CANDIDATE_REQUIRED)}")


def _ingest(store, stage, run_id, sha, source_format, source_path, meta, replace) -> IngestReport:
    """Stage, check and store one run. `sha` may be a _Digest (a file's digest still being
    computed); `run_id` None means the digest's default. Unless this run may already be
    in the store, staging then starts at once instead of waiting for the digest."""
    source = source_path or "(in-process items)"
    meta_json = json.dumps(dict(meta or {}), sort_keys=True, ensure_ascii=False, default=str)
    with store.cursor() as cur:
        # Staging fills temp tables private to this cursor, before the write
        # transaction: a failed typed read (see _stage_typed) would abort it.
        deferred = isinstance(sha, _Digest)
        early = deferred and not queries.run(
            cur, "runs_maybe_same", {"run_id": run_id, "source_path": source_path}).fetchone()[0]
        staged = stage(cur) if early else None
        if deferred:
            sha = sha.result()
        run_id = run_id or default_run_id(sha)
        if _existing(cur, run_id, sha, replace) == "same":
            return IngestReport(run_id=run_id, source=source, status="already ingested")
        if not (staged if early else stage(cur)):
            queries.run(cur, "stage_fields")
            queries.run(cur, "ingest_validate")
        with store.transaction(cur) as cur:
            existing = _existing(cur, run_id, sha, replace)  # again: another process may have won
            if existing == "same":
                return IngestReport(run_id=run_id, source=source, status="already ingested")
            report = _write_run(cur, run_id, sha, source_format, source_path, source, meta_json, existing)
    return report


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
    if isinstance(obj, (dict, Mapping)):  # dict first: the ABC check is slow
        return obj.get(name)
    return getattr(obj, name, None)


def _item_parts(item: Any) -> tuple[str, list | None]:
    """(JSON text of the id, steps). NAT's EvalInputItem keeps its steps in `trajectory`;
    workflow_output.json items (and dicts shaped like them) in `intermediate_steps`."""
    raw_id = _get(item, "id")
    steps = _get(item, "intermediate_steps")
    if steps is None and not isinstance(item, Mapping):
        steps = getattr(item, "trajectory", None)
    return json.dumps(raw_id, default=str), (list(steps) if steps is not None else None)


_PAYLOAD_FIELDS = {"event_type", "name", "UUID", "metadata", "data"}


def _nat_rows(items: list, typed: bool) -> tuple[dict[str, list], str] | None:
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
        raw_id, steps = _item_parts(item)
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
