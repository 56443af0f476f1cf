"""CI's no-skip rule (tests/ci_guard.py): with PREFSTORE_NO_SKIPS=1 a skip fails, else it stays a skip."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from .conftest import REPO

SKIPPING = '''
import pytest

def test_skips_inside():
    pytest.skip("a part is missing")

def test_runs():
    pass
'''

SKIPPING_MODULE = '''
import pytest
pytest.importorskip("prefstore_no_such_module")

def test_never_reached():
    pass
'''


def _pytest(folder: Path, no_skips: bool) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "PREFSTORE_NO_SKIPS"}
    if no_skips:
        env["PREFSTORE_NO_SKIPS"] = "1"
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "tests.ci_guard", "-p", "no:cacheprovider",
         "--rootdir", str(folder), str(folder)],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=120)


def test_a_skip_fails_under_ci_and_names_its_reason(tmp_path):
    (tmp_path / "test_inside.py").write_text(SKIPPING)
    result = _pytest(tmp_path, no_skips=True)
    assert result.returncode == 1, result.stdout
    assert "1 failed, 1 passed" in result.stdout
    assert "this one skipped" in result.stdout and "a part is missing" in result.stdout


def test_a_module_level_skip_fails_under_ci(tmp_path):
    (tmp_path / "test_module.py").write_text(SKIPPING_MODULE)
    result = _pytest(tmp_path, no_skips=True)
    assert result.returncode != 0, result.stdout
    assert "prefstore_no_such_module" in result.stdout and "this one skipped" in result.stdout


def test_skips_stay_skips_outside_ci(tmp_path):
    (tmp_path / "test_inside.py").write_text(SKIPPING)
    (tmp_path / "test_module.py").write_text(SKIPPING_MODULE)
    result = _pytest(tmp_path, no_skips=False)
    assert result.returncode == 0, result.stdout
    assert "1 passed, 2 skipped" in result.stdout
