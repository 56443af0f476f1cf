"""Shared fixtures: real store files in tmp dirs, the real CLI in a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from prefstore import PreferenceStore

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO.parent / "shared" / "samples" / "nat-eval"
SAMPLE_RUNS = ("run1", "run2", "int-ids")


def sample_file(run: str) -> Path:
    path = SAMPLES / run / "workflow_output.json"
    if not path.exists():
        pytest.skip(f"shared samples not found at {SAMPLES} (CI has shared/ beside the checkout)")
    return path


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "store.duckdb"


@pytest.fixture
def store(db_path: Path):
    with PreferenceStore(db_path) as s:
        yield s


def cli_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO / "src"), env.get("PYTHONPATH")]))
    env.pop("PREFSTORE_DB", None)
    env.update(extra)
    return env


def run_cli(*args: str | os.PathLike, cwd: Path | None = None, check: bool = False,
            env: dict[str, str] | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    """Run the real `prefstore` command (python -m prefstore) in a subprocess."""
    result = subprocess.run(
        [sys.executable, "-m", "prefstore", *map(str, args)],
        capture_output=True, text=True, cwd=cwd, env=env or cli_env(), timeout=timeout,
        stdin=subprocess.DEVNULL,
    )
    if check and result.returncode != 0:
        raise AssertionError(f"prefstore {' '.join(map(str, args))} failed:\n{result.stdout}\n{result.stderr}")
    return result
