"""Export: training files written by DuckDB (COPY), never built pair by pair in Python.

Every file is written under a temporary name and renamed into place only when
complete, so an interrupted export never leaves a truncated file under the
final name. A directory export is built whole in a temporary sibling folder
and swapped in at the end.

`export` runs the dataset operations in SQL (`sql/export/rows.sql`: curriculum
order and fraction, dedup, sampling, the split by example) into the temp
table `export_rows`, narrow rows that name each pair's candidates by seq.
Each split is then written in batches of positions: `sql/export/batch.sql`
joins one batch's texts back and one `sql/export/format_<format>.sql` query
sorts and writes it, so no sort ever holds more than one batch of texts (a
single sort of 12M pairs' texts spilled for minutes at a 1 GB memory limit).
The batches' files are joined in order into the split's file, and
`manifest.json` is written last.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import json
import os
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
from pydantic import TypeAdapter

from . import decisions, queries
from ._version import __version__
from .errors import BadInput, BadOption, SplitImpossible
from .fileops import copy_range, new_folder, swap_in
from .models import ExportOptions, PairConfig, Trajectory
from .pairs import check_runs, create_pair_view
from .trajectories import PREFSTORE_MODELS, Models, trajectory_groups

# Files of each format, by split. "all" is the single, unsplit file of a
# format that never splits.
SPLIT_FILES: dict[str, dict[str, str]] = {
    "nemo": {"train": "training/training_file.jsonl", "validation": "validation/validation_file.jsonl"},
    "trl": {"train": "train.jsonl", "validation": "test.jsonl"},
    "openai": {"train": "training.jsonl", "validation": "validation.jsonl"},
    "parquet": {"train": "train.parquet", "validation": "test.parquet"},
    "trajectories": {"all": "trajectories.json"},
}
SINGLE_FILE_FORMATS: dict[str, tuple[str, ...]] = {
    ".jsonl": ("nemo", "trl", "openai"),
    ".parquet": ("parquet",),
    ".json": ("trajectories",),
}
PROMPT_STYLES: dict[str, tuple[str, ...]] = {
    "nemo": ("last-message", "messages"),
    "trl": ("conversational", "standard"),
    "openai": ("messages",),
    "parquet": ("conversational",),
    "trajectories": ("messages",),
}
DEFAULT_VALIDATION_FRACTION = 0.2
MANIFEST = "manifest.json"
_HASH_CHUNK = 8 << 20
# Texts per batch of an export: what one batch's sort holds (well under the
# default 1 GB memory limit), and few enough batches that each costs little.
BATCH_TEXT_BYTES = 256 << 20
_MIN_BATCH_PAIRS = 10_000


@contextlib.contextmanager
def atomic_path(final: Path) -> Iterator[Path]:
    """A temporary path beside `final`, renamed onto it when the block succeeds."""
    final = Path(final)
    if final.is_dir():
        raise BadInput(f"{final}: is a directory, expected a file path")
    if not final.parent.exists():
        raise BadInput(f"{final}: folder {final.parent} does not exist")
    fd, tmp = tempfile.mkstemp(prefix=f".{final.name}.", suffix=".partial", dir=final.parent)
    os.close(fd)
    os.unlink(tmp)
    try:
        yield Path(tmp)
        os.replace(tmp, final)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


# sql/export/rows.sql with every dataset operation but dedup switched off: file
# order, all examples, no sample, no validation split.
ROWS_AS_IS = {"order": "file", "example_fraction": 1.0, "max_pairs": None, "seed": 0,
              "validation_fraction": 0.0, "split_seed": 0}


def select_all_rows(cur: duckdb.DuckDBPyConnection, config: PairConfig, runs: Sequence[str] | None,
                    dedup: bool = False) -> None:
    """Fill `export_rows` with every pair of `config`/`runs` in pair order, nothing sampled or
    split (and, with `dedup`, the first of each prompt/chosen/rejected text only): what the
    plain JSONL export, the data API and NAT's trajectories read."""
    create_pair_view(cur, config, runs)
    queries.run(cur, "export/rows", {**ROWS_AS_IS, "dedup": dedup})


def export_jsonl(cur: duckdb.DuckDBPyConnection, out: str | os.PathLike, config: PairConfig,
                 runs: Sequence[str] | None) -> int:
    """NeMo Customizer DPO JSONL (`prompt`, `chosen_response`, `rejected_response`): every pair
    in pair order, none dropped as a duplicate, no manifest; returns the line count."""
    select_all_rows(cur, config, runs)
    params = queries.bind("export/format_nemo", {"split": "train", "prompt_style": "last-message"})
    with atomic_path(Path(out)) as tmp:
        copy_batches(cur, "export/format_nemo", params, tmp, "json")
    return sum(pairs for pairs, _ in _split_counts(cur)[0].values())


# -- export with dataset operations ----------------------------------------------------
@dataclass(frozen=True)
class Target:
    """Where and what one export writes, resolved from OUT and the options."""

    out: Path
    single: bool                # one file at `out` (no split) or a directory
    format: str
    prompt_style: str
    validation_fraction: float

    def files(self) -> dict[str, str]:
        """Split name -> path relative to the output directory (single: the file's name)."""
        if self.single:
            return {"all": self.out.name}
        files = SPLIT_FILES[self.format]
        if self.validation_fraction == 0 and "validation" in files:
            return {"train": files["train"]}
        return dict(files)

    def manifest_path(self) -> Path:
        """`manifest.json` in a directory export; `<OUT>.manifest.json` beside a single file."""
        return self.out.with_name(f"{self.out.name}.{MANIFEST}") if self.single else self.out / MANIFEST


def resolve_target(out: str | os.PathLike, options: ExportOptions) -> Target:
    """Decide single file vs directory, the format, prompt style and validation fraction; refuse contradictions."""
    out = Path(out)
    suffix = out.suffix.lower()
    single = suffix in SINGLE_FILE_FORMATS
    fmt = options.format
    if single:
        allowed = SINGLE_FILE_FORMATS[suffix]
        fmt = fmt or allowed[0]
        if fmt not in allowed:
            wanted = next(s for s, f in SINGLE_FILE_FORMATS.items() if fmt in f)
            raise BadOption(
                f"{out}: --format {fmt} writes a {wanted} file; name the output *{wanted}, "
                f"or give a directory for split files")
        if options.validation_fraction:
            raise BadOption(
                f"{out}: a single file has no validation split; give a directory as OUT to split, "
                f"or drop --validation-fraction")
        fraction = 0.0
    else:
        fmt = fmt or "nemo"
        if fmt == "trajectories":
            if options.validation_fraction:
                raise BadOption("--format trajectories writes one file (trajectories.json) and has no "
                                "validation split; drop --validation-fraction")
            fraction = 0.0
        else:
            fraction = (DEFAULT_VALIDATION_FRACTION if options.validation_fraction is None
                        else options.validation_fraction)
    styles = PROMPT_STYLES[fmt]
    style = options.prompt_style or styles[0]
    if style not in styles:
        raise BadOption(f"--prompt-style {style} does not apply to --format {fmt}; "
                        f"choose {' or '.join(styles)}")
    return Target(out=out, single=single, format=fmt, prompt_style=style, validation_fraction=fraction)


def export(
    cur: duckdb.DuckDBPyConnection,
    out: str | os.PathLike,
    config: PairConfig,
    options: ExportOptions,
    runs: Sequence[str] | None,
    schema_version: int,
) -> dict[str, Any]:
    """Write one training export (files + manifest) and return the manifest.

    Same store, options and OUT give byte-identical files and manifest: every
    step is ordered totally and hashed with md5, never with a random source.
    """
    target = resolve_target(out, options)
    _check_destination(target)
    runs = check_runs(cur, runs)
    counts = select_rows(cur, target, config, options, runs)
    manifest = _manifest_head(cur, target, config, options, runs, schema_version)
    if target.single:
        _write_single(cur, target, config, manifest, counts)
    else:
        _write_directory(cur, target, config, manifest, counts)
    return manifest


def select_rows(cur: duckdb.DuckDBPyConnection, target: Target, config: PairConfig,
                options: ExportOptions, runs: Sequence[str] | None) -> dict[str, tuple[int, int]]:
    """Fill `export_rows` with what `target` gets (pairs, dataset operations, split) and refuse
    what it cannot hold; returns split -> (pairs, examples). Files and `store.dataset` both start here."""
    create_pair_view(cur, config, runs)
    queries.run(cur, "export/rows", rows_params(target, options))
    counts, groups = _split_counts(cur)
    _check_split(target, counts, groups)
    _check_prompt_style(cur, target)
    return counts


def rows_params(target: Target, options: ExportOptions) -> dict[str, Any]:
    """The parameters of sql/export/rows.sql for this target: its dataset operations and split."""
    return {
        "order": options.order,
        "example_fraction": options.example_fraction,
        "dedup": options.dedup,
        "max_pairs": options.max_pairs,
        "seed": options.seed,
        "validation_fraction": target.validation_fraction,
        "split_seed": options.split_seed,
    }


def _check_destination(target: Target) -> None:
    out = target.out
    if target.single:
        if out.is_dir():
            raise BadInput(f"{out}: is a directory, expected a file path")
        if not out.parent.is_dir():
            raise BadInput(f"{out}: folder {out.parent} does not exist")
        return
    if not out.parent.is_dir():
        raise BadInput(f"{out}: folder {out.parent} does not exist")
    if out.exists() and not out.is_dir():
        raise BadInput(f"{out}: is a file; a {target.format} export with splits writes a directory "
                       f"(end OUT in {' or '.join(s for s, f in SINGLE_FILE_FORMATS.items() if target.format in f)} "
                       f"for one file)")
    if out.is_dir() and any(out.iterdir()) and not (out / MANIFEST).is_file():
        raise BadInput(f"{out}: folder is not empty and holds no {MANIFEST} of an earlier export; "
                       f"choose a new or empty folder")


def _split_counts(cur: duckdb.DuckDBPyConnection) -> tuple[dict[str, tuple[int, int]], int]:
    """(split -> (pairs, examples), base examples in all: the groups a split keeps on one side)."""
    rows = queries.run(cur, "export/split_counts").fetchall()
    return {split: (pairs, examples) for split, pairs, examples, _ in rows}, sum(row[3] for row in rows)


def _check_split(target: Target, counts: dict[str, tuple[int, int]], groups: int) -> None:
    if target.validation_fraction == 0:
        return
    examples = sum(n for _, n in counts.values())  # an example is never on both sides
    if examples == 0:
        raise SplitImpossible(
            "the selection has no pairs, so there is nothing to split (check --runs, --ttc-step-name "
            "and the pair options); pass --validation-fraction 0 to write an empty training file")
    if groups == 1:
        raise SplitImpossible(
            "the selection holds pairs of one example only (counting `nat eval --reps` copies as one): a "
            "split by example would leave training or validation empty; pass --validation-fraction 0 for a "
            "training file only")


def _check_prompt_style(cur: duckdb.DuckDBPyConnection, target: Target) -> None:
    if target.prompt_style != "standard":
        return
    n, example_id, turn_id = queries.run(cur, "export/message_prompts").fetchall()[0]
    if n:
        raise BadOption(
            f"--prompt-style standard writes string prompts, but {n} selected pair(s) have a message-list "
            f"prompt (first: example {example_id!r}, turn {turn_id!r}); TRL must not mix a message-list "
            f"prompt with string completions: use --prompt-style conversational")


def _manifest_head(cur: duckdb.DuckDBPyConnection, target: Target, config: PairConfig,
                   options: ExportOptions, runs: Sequence[str] | None, schema_version: int) -> dict[str, Any]:
    run_rows = queries.run(cur, "export/runs", {"runs": runs}).fetchall()
    effective = options.model_dump()
    effective.update(format=target.format, prompt_style=target.prompt_style,
                     validation_fraction=target.validation_fraction)
    return {
        "format": target.format,
        "single_file": target.single,
        "options": effective,
        "pair_options": config.model_dump(),
        "runs": [
            {"run_id": run_id, "source_format": source_format, "source_path": source_path,
             "source_sha256": sha, "meta": json.loads(meta), "pairs": pairs}
            for run_id, source_format, source_path, sha, meta, pairs in run_rows
        ],
        "decisions": {"applied": config.apply_decisions, **decisions.digest(cur)},
        "prefstore_version": __version__,
        "schema_version": schema_version,
    }


def _write_single(cur: duckdb.DuckDBPyConnection, target: Target, config: PairConfig,
                  manifest: dict[str, Any], counts: dict[str, tuple[int, int]]) -> None:
    with atomic_path(target.out) as tmp:
        _write_split(cur, target, config, manifest, "train", tmp)
        pairs, examples = _totals(counts)
        manifest["splits"] = {"all": _file_entry(target.out.name, tmp, pairs, examples)}
    with atomic_path(target.manifest_path()) as tmp:
        tmp.write_text(_manifest_text(manifest), encoding="utf-8")


def _write_directory(cur: duckdb.DuckDBPyConnection, target: Target, config: PairConfig,
                     manifest: dict[str, Any], counts: dict[str, tuple[int, int]]) -> None:
    work = new_folder(target.out, ".partial")
    try:
        splits = {}
        for split, relative in target.files().items():
            path = work / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            _write_split(cur, target, config, manifest, "train" if split == "all" else split, path)
            pairs, examples = _totals(counts) if split == "all" else counts.get(split, (0, 0))
            splits[split] = _file_entry(relative, path, pairs, examples)
        manifest["splits"] = splits
        (work / MANIFEST).write_text(_manifest_text(manifest), encoding="utf-8")
        swap_in(work, target.out)
    finally:
        if work.exists():
            shutil.rmtree(work)


def _totals(counts: dict[str, tuple[int, int]]) -> tuple[int, int]:
    return sum(p for p, _ in counts.values()), sum(e for _, e in counts.values())


def _write_split(cur: duckdb.DuckDBPyConnection, target: Target, config: PairConfig,
                 manifest: dict[str, Any], split: str, path: Path) -> None:
    """Stream one split to `path` (which must not exist yet)."""
    if target.format == "trajectories":
        run_id = ",".join(run["run_id"] for run in manifest["runs"])
        _write_trajectories(cur, path, config, run_id)
        return
    query = f"export/format_{target.format}"
    params = queries.bind(query, {"split": split, "prompt_style": target.prompt_style})
    copy_batches(cur, query, params, path, "parquet" if target.format == "parquet" else "json")


def batches(cur: duckdb.DuckDBPyConnection) -> list[tuple[int, int]]:
    """Position ranges (first, last) that cover `export_rows`, each holding about
    BATCH_TEXT_BYTES of texts; one empty range when there are no rows."""
    ((pairs, text_bytes, first, last),) = queries.run(cur, "export/positions").fetchall()
    if not pairs:
        return [(1, 0)]
    # positions have gaps (dedup, sampling): a batch of positions holds at most that many pairs
    size = max(_MIN_BATCH_PAIRS, BATCH_TEXT_BYTES * pairs // max(text_bytes, 1))
    return [(lo, min(lo + size - 1, last)) for lo in range(first, last + 1, size)]


def select_batch(cur: duckdb.DuckDBPyConnection, first: int, last: int) -> None:
    """Make positions first..last of `export_rows`, texts joined, the relation `export_batch` on `cur`."""
    params = queries.bind("export/batch", {"first": first, "last": last})
    cur.register("export_batch", cur.sql(queries.text("export/batch"), params=params))


def copy_batches(cur: duckdb.DuckDBPyConnection, query: str, params: dict[str, Any], path: Path,
                 copy_format: str) -> None:
    """Write `sql/<query>.sql` (over `export_batch`) to `path`, batch by batch, in order.

    One batch is copied straight to `path`. Several are copied to part files
    in a private folder beside `path` and joined: JSON lines by appending the
    bytes, Parquet by one more DuckDB copy, which keeps the parts' order (a
    single-table scan preserves insertion order).
    """
    ranges = batches(cur)
    if len(ranges) == 1:
        _copy_batch(cur, query, params, ranges[0], path, copy_format)
        return
    work = new_folder(path, ".parts")
    try:
        parts = [work / f"{i:06d}.{copy_format}" for i in range(len(ranges))]
        for part, bounds in zip(parts, ranges):
            _copy_batch(cur, query, params, bounds, part, copy_format)
        if copy_format == "json":
            _concatenate(parts, path)
        else:
            cur.execute(f"COPY (SELECT * FROM read_parquet($parts)) TO $path (FORMAT {copy_format})",
                        {"parts": [str(p) for p in parts], "path": str(path)}).fetchall()
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _copy_batch(cur: duckdb.DuckDBPyConnection, query: str, params: dict[str, Any],
                bounds: tuple[int, int], path: Path, copy_format: str) -> None:
    select_batch(cur, *bounds)
    cur.execute(f"COPY ({queries.text(query)}) TO $path (FORMAT {copy_format})",
                {**params, "path": str(path)}).fetchall()
    if not path.exists():  # DuckDB writes no JSON file for no rows
        path.write_bytes(b"")


def _concatenate(parts: list[Path], out: Path) -> None:
    """Append the parts' bytes to `out`, in order."""
    with out.open("wb", buffering=0) as dst:
        for part in parts:
            with part.open("rb", buffering=0) as src:
                copy_range(src, dst, 0, os.fstat(src.fileno()).st_size)


def _write_trajectories(cur: duckdb.DuckDBPyConnection, path: Path, config: PairConfig, run_id: str) -> None:
    """NAT's TrajectoryCollection JSON, streamed: one inner list per example, in output order.

    The bytes equal `TrajectoryCollection(...).model_dump_json()` plus a
    newline (run_id: the selected runs joined by commas, as
    `store.trajectories` names it); rows come from DuckDB in batches and each
    example's list is written as it completes, so memory stays flat however
    many pairs there are.
    """
    with path.open("w", encoding="utf-8", newline="\n") as handle:
        handle.write('{"trajectories":[')
        for i, group in enumerate(iter_trajectory_groups(cur, config)):
            if i:
                handle.write(",")
            handle.write(_GROUP.dump_json(group).decode())
        handle.write('],"run_id":')
        handle.write(_STR.dump_json(run_id).decode())
        handle.write("}\n")


def iter_trajectory_groups(cur: duckdb.DuckDBPyConnection, config: PairConfig,
                           models: Models = PREFSTORE_MODELS) -> Iterator[list[Any]]:
    """The rows of `export_rows` as NAT-shaped trajectories, one list per example, in output order."""
    return trajectory_groups(_trajectory_batches(cur), config, models)


def _trajectory_batches(cur: duckdb.DuckDBPyConnection) -> Iterator[tuple[dict, Iterator[tuple]]]:
    """Per batch of positions: its candidates by seq, then its pair rows (fetched as read)."""
    for first, last in batches(cur):
        bounds = {"first": first, "last": last}
        candidates = {row[0]: row for row in queries.run(cur, "export/batch_candidates", bounds).fetchall()}
        select_batch(cur, first, last)
        yield candidates, _fetch_all(queries.run(cur, "export/format_trajectories"))


def _fetch_all(result: duckdb.DuckDBPyConnection, fetch: int = 10_000) -> Iterator[tuple]:
    return itertools.chain.from_iterable(iter(lambda: result.fetchmany(fetch), []))


_STR = TypeAdapter(str)
_GROUP = TypeAdapter(list[Trajectory])


def _file_entry(relative: str, path: Path, pairs: int, examples: int) -> dict[str, Any]:
    return {"file": relative, "pairs": pairs, "examples": examples, "sha256": _sha256(path)}


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_HASH_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _manifest_text(manifest: dict[str, Any]) -> str:
    return json.dumps(manifest, indent=2, ensure_ascii=False) + "\n"
