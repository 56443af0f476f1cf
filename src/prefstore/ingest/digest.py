"""A file's SHA-256 (the default run id), computed on a spare core while DuckDB parses."""

from __future__ import annotations

import contextlib
import hashlib
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

_HASH_BLOCK = 4 << 20


def file_sha256(path: Path, before_block: Callable[[], None] | None = None) -> str:
    """The file's SHA-256; `before_block` is called before each 4 MB block (see Digest)."""
    digest = hashlib.sha256()
    block = bytearray(_HASH_BLOCK)
    view = memoryview(block)
    with path.open("rb", buffering=0) as handle:
        while size := handle.readinto(block):
            if before_block is not None:
                before_block()
            digest.update(view[:size])
    return digest.hexdigest()


class Digest:
    """A file's SHA-256, computed on the pool's thread while DuckDB leaves a core free.

    It starts at once, and pauses (`paused()`) while DuckDB parses pieces of
    the file on every core; `stop` ends it early when the ingest failed.
    `identity` turns the file's digest into the run's (see runs.run_digest).
    """

    def __init__(self, pool: ThreadPoolExecutor, file: Path, identity: Callable[[str], str] | None = None) -> None:
        self._free = threading.Event()
        self._free.set()
        self._stopped = False
        self._identity = identity
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
        sha = self._future.result()
        return self._identity(sha) if self._identity else sha


@contextlib.contextmanager
def background_digest(file: Path, identity: Callable[[str], str] | None = None) -> Iterator[Digest]:
    """`file`'s Digest on its own thread, stopped when the block ends (also on error)."""
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="prefstore-sha256") as pool:
        digest = Digest(pool, file, identity)
        try:
            yield digest
        finally:
            digest.stop()


class _Stopped(Exception):
    """The digest was no longer needed."""
