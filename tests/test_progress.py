"""Progress display of the real CLI: shown on a terminal, silent in pipes and with --quiet."""

from __future__ import annotations

import dataclasses
import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest

from prefstore.progress import Tracker, track
from prefstore.sample_data import SCALES, write_nat_eval

from .conftest import cli_env, run_cli

# Characters only the progress display draws: the bar and the elapsed-time column.
BAR = "\u2501"


def plain_env() -> dict[str, str]:
    """The CLI's environment without variables that make rich treat a pipe as a terminal."""
    env = cli_env()
    for name in ("FORCE_COLOR", "TTY_INTERACTIVE", "TTY_COMPATIBLE"):
        env.pop(name, None)
    return env


@pytest.fixture(scope="module")
def nat_files(tmp_path_factory) -> list[Path]:
    folder = tmp_path_factory.mktemp("progress")
    paths = [folder / "a.json", folder / "b.json"]
    write_nat_eval(paths[0], SCALES["demo"])
    write_nat_eval(paths[1], dataclasses.replace(SCALES["demo"], seed=7))
    return paths


def run_in_pty(*args: str | os.PathLike, cwd: Path) -> tuple[int, str]:
    """Run the CLI with stdout and stderr on a pseudo-terminal; returns (exit code, everything it drew)."""
    master, slave = pty.openpty()
    env = plain_env()
    env.update(TERM="xterm-256color", COLUMNS="120")
    proc = subprocess.Popen([sys.executable, "-m", "prefstore", *map(str, args)], cwd=cwd, env=env,
                            stdin=subprocess.DEVNULL, stdout=slave, stderr=slave)
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    return proc.wait(timeout=120), b"".join(chunks).decode("utf-8", "replace")


def test_ingest_in_a_pipe_prints_no_progress(tmp_path: Path, nat_files: list[Path]) -> None:
    result = run_cli("--db", tmp_path / "s.duckdb", "ingest", *nat_files, env=plain_env(), check=True)
    assert result.stderr == ""
    assert "ingested as run" in result.stdout
    assert BAR not in result.stdout and "ingesting" not in result.stdout


def test_quiet_prints_nothing(tmp_path: Path, nat_files: list[Path]) -> None:
    result = run_cli("--db", tmp_path / "s.duckdb", "ingest", "--quiet", *nat_files, env=plain_env(), check=True)
    assert (result.stdout, result.stderr) == ("", "")
    result = run_cli("--db", tmp_path / "s.duckdb", "export", "--quiet", tmp_path / "out.jsonl",
                     env=plain_env(), check=True)
    assert (result.stdout, result.stderr) == ("", "")
    assert (tmp_path / "out.jsonl").stat().st_size > 0


def test_terminal_shows_progress_per_file(tmp_path: Path, nat_files: list[Path]) -> None:
    code, screen = run_in_pty("--db", tmp_path / "s.duckdb", "ingest", *nat_files, cwd=tmp_path)
    assert code == 0, screen
    assert "ingesting a.json" in screen and "ingesting b.json" in screen
    assert BAR in screen
    assert "ingested as run" in screen  # the reports still reach the terminal


def test_terminal_quiet_shows_nothing(tmp_path: Path, nat_files: list[Path]) -> None:
    code, screen = run_in_pty("--db", tmp_path / "s.duckdb", "ingest", "-q", *nat_files, cwd=tmp_path)
    assert code == 0, screen
    assert screen.strip("\r\n") == ""


def test_terminal_export_shows_a_spinner(tmp_path: Path, nat_files: list[Path]) -> None:
    run_cli("--db", tmp_path / "s.duckdb", "ingest", "-q", *nat_files, check=True)
    code, screen = run_in_pty("--db", tmp_path / "s.duckdb", "export", tmp_path / "out.jsonl", cwd=tmp_path)
    assert code == 0, screen
    assert "exporting to" in screen
    assert "wrote" in screen


def test_tracker_without_display_is_inert() -> None:
    with track("work", 100, quiet=True) as progress:
        assert isinstance(progress, Tracker) and not progress.shown
        progress.start("more work")
        progress.advance(50)
