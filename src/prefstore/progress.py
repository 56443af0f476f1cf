"""Progress display for long CLI operations (ingesting big or many files, exporting).

Library code never prints: the CLI wraps its store calls in `track(...)` and
reports each finished piece of work to the tracker it yields. The display
(rich, on stderr) is drawn only when stderr is a terminal and `quiet` is off,
so pipes, logs and CI output stay clean. While a store call runs inside DuckDB
(which releases the GIL), rich's refresh thread keeps the spinner and the
elapsed time moving, so even a single multi-GB file shows the work is alive.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # rich is imported when a display is drawn: `--quiet` runs start faster
    from rich.console import Console
    from rich.progress import Progress, TaskID


class Tracker:
    """What the CLI tells about its progress; does nothing when the display is off."""

    def __init__(self, progress: Progress | None = None, task: TaskID | None = None) -> None:
        self._progress = progress
        self._task = task

    @property
    def shown(self) -> bool:
        return self._progress is not None

    def start(self, description: str) -> None:
        """A piece of work begins (e.g. the next file)."""
        if self._progress is not None:
            self._progress.update(self._task, description=description, refresh=True)

    def advance(self, amount: float) -> None:
        """A piece of work of `amount` units (bytes) is done."""
        if self._progress is not None:
            self._progress.advance(self._task, amount)
            self._progress.refresh()


def enabled(quiet: bool, console: Console) -> bool:
    """Draw only for a person watching: not with --quiet, not when stderr is a pipe or file."""
    return not quiet and console.is_terminal


@contextlib.contextmanager
def track(description: str, total_bytes: int | None = None, *, quiet: bool = False,
          console: Console | None = None) -> Iterator[Tracker]:
    """A progress display around a block of CLI work.

    With `total_bytes`, a bar with bytes done and speed (advance it with
    `Tracker.advance`); without, a spinner and the elapsed time. The display
    disappears when the block ends, leaving the command's own output.
    """
    if quiet:
        yield Tracker()
        return
    if console is None:
        from rich.console import Console
        console = Console(stderr=True)
    if not enabled(quiet, console):
        yield Tracker()
        return
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        SpinnerColumn,
        TextColumn,
        TimeElapsedColumn,
        TransferSpeedColumn,
    )
    columns = [SpinnerColumn(), TextColumn("{task.description}")]
    if total_bytes is not None:
        columns += [BarColumn(), DownloadColumn(), TransferSpeedColumn()]
    columns.append(TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task(description, total=total_bytes)
        yield Tracker(progress, task)


def total_size(files: list[Path] | tuple[Path, ...]) -> int | None:
    """Bytes in `files` (None if one is missing: the ingest itself will say which)."""
    try:
        return sum(Path(f).stat().st_size for f in files)
    except OSError:
        return None
