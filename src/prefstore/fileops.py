"""Byte copies between files, done by the kernel where it can: ingest splits NAT
files into pieces with them, and export joins its batches' files."""

from __future__ import annotations

import os
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
