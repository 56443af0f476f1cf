"""Checks that refuse an input file DuckDB would misread or report obscurely, before any work."""

from __future__ import annotations

from pathlib import Path

from ..errors import BadInput

CANDIDATE_FILE_KINDS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".parquet": "parquet"}
CANDIDATE_REQUIRED = ("example_id", "turn_id", "prompt", "response", "score")


def check_nat_file(path: Path) -> None:
    """A NAT workflow_output.json must exist, be a file, and hold a JSON array."""
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
        raise BadInput(f"{path}: expected a JSON array of NAT evaluation items, found {found(text)}")


def found(text: bytes) -> str:
    """What a file that is not a JSON array starts with, in words (for the refusal)."""
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
    if not path.exists():
        raise BadInput(f"{path}: no such file")
    if path.is_dir():
        raise BadInput(f"{path}: is a directory, expected a NAT evaluator output file (<evaluator>_output.json)")
    with path.open("rb") as handle:
        text = handle.read(64 << 10).lstrip(b"\xef\xbb\xbf").lstrip()
    if not text:
        raise BadInput(f"{path}: file is empty, expected a NAT evaluator output object "
                       f"({{\"average_score\", \"eval_output_items\"}})")
    if text[:1] != b"{":
        raise BadInput(f"{path}: expected a NAT evaluator output object "
                       f"({{\"average_score\", \"eval_output_items\"}}), found {found(text)}")


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
