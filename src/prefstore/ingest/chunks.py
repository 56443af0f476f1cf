"""Cutting a big NAT file into pieces of whole items, so DuckDB parses them on every core.

DuckDB reads one JSON array on one thread, but several files in parallel.
The pieces are anonymous temp files that DuckDB opens through /proc/self/fd.
"""

from __future__ import annotations

import contextlib
import mmap
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import duckdb

from .. import queries
from ..fileops import copy_range

# A NAT file at least this big is read as pieces in parallel (see
# nat_eval.read_typed); below it the copy and a second scan cost more than
# the second thread saves.
CHUNK_MIN_BYTES = 32 << 20
CHUNKS_PER_THREAD = 2  # several per thread: one slow piece does not leave a thread idle
_FD_DIR = Path("/proc/self/fd")  # Linux: open files by descriptor, even unlinked ones


def chunk_count(cur: duckdb.DuckDBPyConnection, file: Path) -> int:
    """How many pieces to read `file` as: 1 (whole) if small, on one thread, or if DuckDB may reorder rows.

    stage_nat_eval_typed.sql numbers items in insertion order, which DuckDB
    keeps only with preserve_insertion_order on (its default).
    """
    if file.stat().st_size < CHUNK_MIN_BYTES:
        return 1
    threads, ordered = queries.run(cur, "ingest/read_settings").fetchone()
    return threads * CHUNKS_PER_THREAD if threads > 1 and ordered else 1


@contextlib.contextmanager
def chunks(file: Path, count: int) -> Iterator[list[Path]]:
    """Up to `count` pieces of `file`: anonymous temp files that DuckDB opens through /proc/self/fd.

    The pieces have no name in any folder, so nothing is left behind: they
    vanish when closed on exit (also on error or interrupt), or when the
    process dies, even by SIGKILL. Yields [] when the file does not split (see
    split_ranges), on a system without /proc/self/fd, or when the temp folder
    lacks room for them (checked first, never filled): the caller then reads
    the whole file.
    """
    with contextlib.ExitStack() as opened:
        try:
            ranges = split_ranges(file, count) if _room_for_chunks(file) else []
            pieces = write_chunks(file, ranges, opened) if len(ranges) > 1 else []
        except (OSError, ValueError):  # ValueError: mmap refused the file
            pieces = []
        yield pieces


def _room_for_chunks(file: Path) -> bool:
    """Pieces can be read by path (/proc/self/fd) and the temp folder holds a copy of `file` twice over."""
    return _FD_DIR.is_dir() and shutil.disk_usage(tempfile.gettempdir()).free >= 2 * file.stat().st_size


def split_ranges(file: Path, count: int) -> list[tuple[int, int]]:
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


def write_chunks(file: Path, ranges: list[tuple[int, int]], opened: contextlib.ExitStack) -> list[Path]:
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
