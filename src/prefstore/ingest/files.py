"""Checks that refuse an input file DuckDB would misread or report obscurely, before any work."""

from __future__ import annotations

from pathlib import Path

from ..errors import BadInput

CANDIDATE_FILE_KINDS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".parquet": "parquet"}
CANDIDATE_REQUIRED = ("example_id", "turn_id", "prompt", "response", "score")


def check_nat_file(path: Path) -> None:
    """A NAT workflow_output.json must exist, be a file, and hold a JSON array."""
    _check_json_file(path, "a NAT workflow_output.json file", b"[", "a JSON array of NAT evaluation items")


def found(text: bytes) -> str:
    """What a file starts with, in words (for a refusal naming what was found instead)."""
    if text[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return "UTF-16 text (save it as UTF-8)"
    if text[:1] == b"{":
        return "a JSON object"
    if text[:1] == b'"':
        return "a JSON string"
    if text[:1] == b"[":
        return "a JSON array"
    for literal in (b"null", b"true", b"false"):
        if text.startswith(literal):
            return literal.decode()
    if text[:1] and text[:1] in b"-0123456789":
        return "a number"
    return f"text that is not JSON ({text[:20].decode('utf-8', 'replace')!r}...)"


def check_scores_file(path: Path) -> None:
    """A NAT evaluator output file (`<evaluator>_output.json`) must exist, be a file, and hold a JSON object."""
    _check_json_file(path, "a NAT evaluator output file (<evaluator>_output.json)", b"{",
                     'a NAT evaluator output object ({"average_score", "eval_output_items"})')


def _check_json_file(path: Path, file_kind: str, opening: bytes, content: str) -> None:
    """Refuse a missing path, a folder, an empty file, or JSON that does not open with `opening`."""
    _check_regular_file(path, file_kind)
    text = _head(path).lstrip()
    if not text:
        raise BadInput(f"{path}: file is empty, expected {content}")
    if text[:1] != opening:
        raise BadInput(f"{path}: expected {content}, found {found(text)}")


def _check_regular_file(path: Path, file_kind: str) -> None:
    if not path.exists():
        raise BadInput(f"{path}: no such file")
    if path.is_dir():
        raise BadInput(f"{path}: is a directory, expected {file_kind}")


def _head(path: Path) -> bytes:
    """The file's first 64 KiB, less a UTF-8 byte-order mark."""
    with path.open("rb") as handle:
        return handle.read(64 << 10).lstrip(b"\xef\xbb\xbf")


def check_candidates_file(path: Path) -> str:
    """The file's kind ('jsonl' or 'parquet', by extension); refuse what cannot be a candidates file."""
    _check_regular_file(path, "a candidates .jsonl or .parquet file")
    kind = CANDIDATE_FILE_KINDS.get(path.suffix.lower())
    if kind is None:
        raise BadInput(f"{path}: unknown candidates file type {path.suffix or '(no extension)'!r}; "
                       f"expected .jsonl (one JSON object per line) or .parquet")
    if kind == "jsonl":
        if not _head(path).strip():
            raise BadInput(f"{path}: file is empty, expected one JSON object per line (a candidate each)")
    return kind
