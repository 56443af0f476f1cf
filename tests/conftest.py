"""Shared fixtures: real store files in tmp dirs, the real CLI in a subprocess, generated NAT samples.

Every input the tests read is made here, by the project's own generator
(`prefstore.sample_data`): a fresh clone needs nothing beside it. When
`../shared/samples` happens to sit beside the checkout, `test_shared_samples.py`
adds cross-checks on those files; without it that module is not collected at all.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from prefstore import PreferenceStore
from prefstore.sample_data import SCALES, write_demo_runs, write_nat_eval

# CI (PREFSTORE_NO_SKIPS=1): any skip fails, naming its reason.
from .ci_guard import pytest_make_collect_report, pytest_runtest_makereport  # noqa: E402, F401

REPO = Path(__file__).resolve().parents[1]
SHARED_SAMPLES = REPO.parent / "shared" / "samples" / "nat-eval"
SAMPLE_RUNS = ("run1", "run2", "int-ids")

# run1 and run2: `prefstore demo`'s two runs (demo preset, seeds 1 and 2) over the same 20 items
# game_0..game_19. int-ids: 5 items with integer ids and string prompts only.
INT_IDS_SPEC = dataclasses.replace(SCALES["demo"], n_items=5, int_ids=True, message_prompt_ratio=0.0, seed=3)

collect_ignore = [] if SHARED_SAMPLES.is_dir() else ["test_shared_samples.py"]

# NAT's own builder, the reference of the conformance tests (tests/nat_reference.py).
NAT_BUILDER = "nat.plugins.customizer.dpo.trajectory_builder"
NAT_MISSING = "NAT's DPOTrajectoryBuilder comes with nvidia-nat-nemo-customizer (dev extra; Python < 3.14)"


def require(env_var: str, reason: str) -> None:
    """Skip the calling test module for `reason`, or fail it when $env_var is 1: .ci/run sets
    PREFSTORE_REQUIRE_SPARK and PREFSTORE_REQUIRE_BROWSER, so CI cannot silently lose those tests."""
    if os.environ.get(env_var) == "1":
        pytest.fail(f"{env_var}=1 but {reason}", pytrace=False)
    pytest.skip(reason, allow_module_level=True)


@pytest.fixture(scope="session")
def sample_file(tmp_path_factory) -> Callable[[str], Path]:
    """`sample_file(run)`: the generated `workflow_output.json` of run1, run2 or int-ids.

    Written once per session; the same generator and seeds always give the same bytes
    (tests/test_sample_data.py). To look at run1 and run2: `prefstore demo --dir DIR`, or
    `python -m prefstore.sample_data OUT --seed 1` (--seed 2); int-ids is INT_IDS_SPEC.
    """
    folder = tmp_path_factory.mktemp("nat-eval")
    paths = dict(zip(("run1", "run2"), write_demo_runs(folder, seed=1), strict=True))
    paths["int-ids"] = folder / "int-ids" / "workflow_output.json"
    write_nat_eval(paths["int-ids"], INT_IDS_SPEC)
    return paths.__getitem__


@pytest.fixture(scope="session")
def nat_pairs() -> Callable[..., list[dict]]:
    """`nat_pairs(path, config=PairConfig())`: NAT's own DPOTrajectoryBuilder run here on a
    workflow_output.json; its pairs in NAT's order as flat dicts (prompt, chosen_response,
    rejected_response, reward, metadata), its equal-score pairs left out. Computed once per file."""
    pytest.importorskip(NAT_BUILDER, reason=NAT_MISSING)
    from .nat_reference import nat_lines
    return functools.cache(nat_lines)


def ttc_end_steps(path: Path) -> list[tuple[str, dict]]:
    """Independent reading of a NAT file (json.load): (item id as text, payload) of every
    TTC_END step, whatever its name, in file order."""
    return [(str(item["id"]), step["payload"])
            for item in json.loads(Path(path).read_text(encoding="utf-8"))
            for step in item["intermediate_steps"] if step["payload"]["event_type"] == "TTC_END"]


def turn_scores(path: Path, step_name: str = "dpo_candidate_move") -> dict[tuple[str, str], list[float]]:
    """Independent reading of a NAT file: the scores of each turn ((item id, turn_id), file order)."""
    turns: dict[tuple[str, str], list[float]] = {}
    for item_id, payload in ttc_end_steps(path):
        if payload["name"] == step_name:
            turns.setdefault((item_id, payload["data"]["turn_id"]), []).append(payload["data"]["score"])
    return turns


def strict_pair_count(path: Path, exhaustive: bool = True, min_score_diff: float = 0.0) -> int:
    """Pairs the README's rules give for one file, counted from `turn_scores`: exhaustive, every
    (chosen, rejected) with chosen > rejected; best vs worst, one per turn whose best beats its worst."""
    count = 0
    for scores in turn_scores(path).values():
        if exhaustive:
            count += sum(1 for a in scores for b in scores if a > b and a - b >= min_score_diff)
        else:
            count += max(scores) > min(scores) and max(scores) - min(scores) >= min_score_diff
    return count


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
