"""File operations export and ingest share.

Byte copies between files, done by the kernel where it can (ingest splits NAT
files into pieces with them, export joins its batches' files), and folders
that appear whole: written under a hidden name, then swapped into place.
"""

from __future__ import annotations

import os
import secrets
import shutil
from pathlib import Path
from typing import BinaryIO

_BLOCK = 8 << 20


def copy_range(source: BinaryIO, out: BinaryIO, offset: int, length: int) -> None:
    """Append `length` bytes of `source`, from `offset`, to `out`.

    os.copy_file_range copies without passing the bytes through Python; where
    it is missing (not Linux) or refuses these files, a read/write loop
    continues from where it stopped.
    """
    try:
        while length > 0:
            copied = os.copy_file_range(source.fileno(), out.fileno(), length, offset)
            if copied == 0:
                raise OSError("copy_file_range stopped early")
            offset += copied
            length -= copied
    except (AttributeError, OSError):  # no copy_file_range here, or not between these filesystems
        source.seek(offset)
        while length > 0:
            block = source.read(min(length, _BLOCK))
            if not block:
                raise OSError(f"{source.name}: file shrank while being copied") from None
            out.write(block)
            length -= len(block)


def new_folder(beside: Path, suffix: str) -> Path:
    """A new, uniquely named hidden folder next to `beside`, with the umask's usual permissions."""
    while True:
        path = beside.with_name(f".{beside.name}.{secrets.token_hex(6)}{suffix}")
        try:
            path.mkdir()
            return path
        except FileExistsError:
            continue


def swap_in(work: Path, out: Path) -> None:
    """Put the finished folder `work` at `out`, replacing an earlier one there.

    The old folder is renamed aside before the new one is renamed in, and put
    back if that fails: `out` is always either the old folder or the new one.
    """
    if not out.exists() or not any(out.iterdir()):
        os.replace(work, out)
        return
    old = out.with_name(f".{out.name}.{secrets.token_hex(6)}.old")
    os.rename(out, old)
    try:
        os.rename(work, out)
    except BaseException:
        os.rename(old, out)
        raise
    shutil.rmtree(old)


def remove_folder(path: Path) -> None:
    """Remove the folder `path` if present, all at once for readers: renamed aside, then deleted."""
    if not path.exists():
        return
    old = path.with_name(f".{path.name}.{secrets.token_hex(6)}.old")
    os.rename(path, old)
    shutil.rmtree(old)
