"""The CLI bounds DuckDB's memory: --memory-limit / $PREFSTORE_MEMORY_LIMIT, default 1GB."""

from __future__ import annotations

from pathlib import Path

from .conftest import cli_env, run_cli

SETTING = "SELECT current_setting('memory_limit') AS m"


def limit_seen(db: Path, *args: str, env: dict[str, str] | None = None) -> str:
    run_cli("--db", db, "migrate", check=True)
    result = run_cli(*args, "--db", db, "query", SETTING, "--format", "csv", env=env, check=True)
    return result.stdout.splitlines()[1]


def test_default_is_one_gigabyte(tmp_path: Path) -> None:
    assert limit_seen(tmp_path / "s.duckdb") == "953.6 MiB"  # DuckDB shows 1GB (10^9 bytes) in MiB


def test_option_and_environment(tmp_path: Path) -> None:
    assert limit_seen(tmp_path / "s.duckdb", "--memory-limit", "300MB") == "286.1 MiB"
    assert limit_seen(tmp_path / "s.duckdb", env=cli_env(PREFSTORE_MEMORY_LIMIT="2GiB")) == "2.0 GiB"


def test_a_bad_size_is_one_clear_error(tmp_path: Path) -> None:
    result = run_cli("--memory-limit", "lots", "--db", tmp_path / "s.duckdb", "runs")
    assert result.returncode == 1
    assert result.stderr.strip() == "Error: --memory-limit 'lots': expected a size such as 512MB, 1GB or 4GiB"
    assert not (tmp_path / "s.duckdb").exists()
