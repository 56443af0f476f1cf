"""The built wheel carries sql/ and migrations/ and works from any directory."""

from __future__ import annotations

import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

import pytest

from .conftest import REPO


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    pytest.importorskip("build", reason="the dev extra installs `build`")
    out = tmp_path_factory.mktemp("dist")
    subprocess.run([sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(out), str(REPO)],
                   check=True, capture_output=True, text=True)
    (found,) = out.glob("prefstore-*.whl")
    return found


def test_wheel_ships_sql_and_migrations(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    for folder in ("sql", "migrations"):
        shipped = {n.removeprefix(f"prefstore/{folder}/") for n in names if n.startswith(f"prefstore/{folder}/")}
        expected = {p.relative_to(REPO / folder).as_posix() for p in (REPO / folder).rglob("*.sql")}
        assert shipped == expected and expected


def test_installed_wheel_runs_demo_from_elsewhere(wheel, tmp_path):
    """A fresh venv gets only the wheel; dependencies come from this environment's site-packages
    (added as a plain path, so the editable install of the source tree is not visible)."""
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=False)
    python = env_dir / "bin" / "python"
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          check=True, capture_output=True, text=True).stdout.strip()
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(site)
    (Path(site) / "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    workdir = tmp_path / "elsewhere"
    workdir.mkdir()
    clean_env = {"PATH": "/usr/bin:/bin"}
    where = subprocess.run([str(python), "-c", "import prefstore, sys; print(prefstore.__file__)"],
                           check=True, capture_output=True, text=True, cwd=workdir, env=clean_env).stdout.strip()
    assert where.startswith(site), f"imported {where}, not the installed wheel"
    result = subprocess.run([str(python), "-m", "prefstore", "demo", "--dir", "out"], capture_output=True,
                            text=True, cwd=workdir, env=clean_env)
    assert result.returncode == 0, result.stderr
    assert (workdir / "out" / "train.jsonl").stat().st_size > 0
    assert (workdir / "out" / "prefstore.duckdb").exists()
    assert "<svg" in (workdir / "out" / "report.html").read_text()    # the review templates ship too
