"""Crash safety: SIGKILL a real `prefstore ingest` / `prefstore export` at many moments.

Each ingest trial kills the process at a chosen moment of its life, measured
from events seen from outside (the store file opened by the process, the WAL
file appearing at commit), then checks the store: it opens, every earlier run
is intact (row checksums of every table), the interrupted run is either absent
without a trace or (killed after its commit) complete, and the same ingest
then succeeds. Every trial starts from a copy of a store holding two earlier
runs: a small one and a complete ingest of the same large file.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest

from prefstore import PreferenceStore
from prefstore.sample_data import SCALES, write_nat_eval

from .conftest import cli_env

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="needs SIGKILL and /proc")

# ~85 MB of NAT-style JSON, ~30,000 candidates: ingest takes about a second here.
BIG_SPEC = dataclasses.replace(SCALES["S"], n_items=1200, seed=7)
EARLIER_SPEC = dataclasses.replace(SCALES["demo"], seed=3)


@pytest.fixture(scope="session")
def big_nat_file(tmp_path_factory) -> Path:
    """One large NAT workflow_output.json per test session."""
    path = tmp_path_factory.mktemp("big") / "workflow_output.json"
    write_nat_eval(path, BIG_SPEC)
    return path


# -- watching a process from outside ----------------------------------------------------
def start_cli(*args: str | os.PathLike) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "prefstore", *map(str, args)], env=cli_env(),
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def holds_file(pid: int, path: Path) -> bool:
    """Whether process `pid` has `path` open (Linux /proc)."""
    target = str(path.resolve())
    try:
        for fd in os.listdir(f"/proc/{pid}/fd"):
            try:
                if os.readlink(f"/proc/{pid}/fd/{fd}") == target:
                    return True
            except OSError:
                continue
    except OSError:
        return False
    return False


def wait_for(proc: subprocess.Popen, event: Callable[[], bool], poll: float = 0.0005) -> float | None:
    """Poll until `event()` holds (returns time.monotonic() then) or the process exits (None)."""
    while proc.poll() is None:
        if event():
            return time.monotonic()
        time.sleep(poll)
    return None


def wal_of(db: Path) -> Path:
    return db.with_name(db.name + ".wal")


@dataclasses.dataclass
class Timeline:
    """Moments of one complete ingest, in seconds after the process started."""

    opened: float
    commit: float   # the WAL file appeared: the transaction is committing
    exited: float


def watch_ingest(db: Path, source: Path, run_id: str) -> Timeline:
    start = time.monotonic()
    proc = start_cli("--db", db, "ingest", "-q", "--run-id", run_id, source)
    opened = wait_for(proc, lambda: holds_file(proc.pid, db))
    commit = wait_for(proc, wal_of(db).exists)
    out, err = proc.communicate()
    assert proc.returncode == 0, err
    assert opened is not None and commit is not None, "calibration ingest ended before it was seen working"
    return Timeline(opened - start, commit - start, time.monotonic() - start)


# -- what a store holds ------------------------------------------------------------------
def table_checksums(db: Path, leave_out_run: str | None = None) -> dict[str, tuple]:
    """(rows, sum of row hashes) of every base table; `leave_out_run` rows not counted."""
    with duckdb.connect(str(db), read_only=True) as con:
        tables = [t for (t,) in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' "
            "AND table_type = 'BASE TABLE' ORDER BY 1").fetchall()]
        sums = {}
        for table in tables:
            columns = {c for (c,) in con.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_name = $t", {"t": table}).fetchall()}
            where = "WHERE run_id IS DISTINCT FROM $r" if "run_id" in columns and leave_out_run else ""
            params = {"r": leave_out_run} if where else None
            sums[table] = con.execute(
                f"SELECT count(*), coalesce(sum(hash(x)), 0) FROM {table} AS x {where}", params).fetchone()
    return sums


def run_content(db: Path, run_id: str) -> dict[str, tuple]:
    """What one run holds, independent of when it was ingested (no seq, no timestamps)."""
    with duckdb.connect(str(db), read_only=True) as con:
        def one(sql: str) -> tuple:
            return con.execute(sql, {"r": run_id}).fetchone()
        return {
            "runs": one("SELECT count(*), max(source_sha256), max(n_items), max(n_candidates), max(n_rejects) "
                        "FROM runs WHERE run_id = $r"),
            "candidates": one("SELECT count(*), coalesce(sum(hash(x)), 0) FROM "
                              "(SELECT * EXCLUDE (run_id, seq) FROM candidates WHERE run_id = $r) AS x"),
            "rejects": one("SELECT count(*), coalesce(sum(hash(x)), 0) FROM "
                           "(SELECT * EXCLUDE (run_id) FROM rejects WHERE run_id = $r) AS x"),
        }


def orphans(db: Path) -> int:
    """Candidate or reject rows whose run has no row in `runs`."""
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(
            "SELECT (SELECT count(*) FROM candidates WHERE run_id NOT IN (SELECT run_id FROM runs))"
            " + (SELECT count(*) FROM rejects WHERE run_id NOT IN (SELECT run_id FROM runs))").fetchone()[0]


# -- ingest ----------------------------------------------------------------------------------
def kill_plan(t: Timeline) -> list[tuple[str, float]]:
    """(anchor, delay) pairs: 14 moments spread over staging, validation and insert
    (after the store was opened), 8 over commit, report, close and checkpoint."""
    work = t.commit - t.opened
    tail = t.exited - t.commit
    spread = [("opened", work * i / 14) for i in range(14)]
    commit = [("commit", tail * f) for f in (0.0, 0.02, 0.05, 0.1, 0.2, 0.35, 0.5, 0.75)]
    return spread + commit


@pytest.mark.slow
def test_sigkill_at_any_moment_of_ingest_loses_nothing(big_nat_file, tmp_path):
    db = tmp_path / "store.duckdb"
    earlier = tmp_path / "earlier.json"
    write_nat_eval(earlier, EARLIER_SPEC)
    with PreferenceStore(db) as store:
        store.ingest_nat_eval(earlier, run_id="earlier", meta={"k": "v"})

    timeline = watch_ingest(db, big_nat_file, "full")
    expected = run_content(db, "full")
    assert expected["candidates"][0] > 20_000 and expected["runs"][0] == 1
    base = tmp_path / "base.duckdb"
    os.replace(db, base)
    assert not wal_of(base).exists()
    before = table_checksums(base)

    def trial(n: int, anchor: str, delay: float) -> tuple:
        run_id = f"trial-{n:02d}"
        shutil.copy(base, db)
        proc = start_cli("--db", db, "ingest", "-q", "--run-id", run_id, big_nat_file)
        seen = wait_for(proc, (lambda p=proc: holds_file(p.pid, db)) if anchor == "opened" else wal_of(db).exists)
        if seen is not None:
            time.sleep(max(0.0, seen + delay - time.monotonic()))
        killed = proc.poll() is None
        if killed:
            os.kill(proc.pid, signal.SIGKILL)
        proc.communicate()
        assert killed or proc.returncode == 0

        with PreferenceStore(db) as store:          # opens (replays the WAL if any)
            assert store.schema_version() >= 1
        assert orphans(db) == 0
        content = run_content(db, run_id)
        if content["runs"][0] == 0:                  # killed before the commit: no trace at all
            assert content["candidates"][0] == 0 and content["rejects"][0] == 0
            assert table_checksums(db) == before
            outcome = "absent"
        else:                                        # killed after the commit: complete
            assert content == expected
            assert table_checksums(db, leave_out_run=run_id) == before
            outcome = "complete"

        with PreferenceStore(db) as store:          # the same ingest again
            report = store.ingest_nat_eval(big_nat_file, run_id=run_id)
        assert report.status == ("ingested" if outcome == "absent" else "already ingested")
        assert run_content(db, run_id) == expected
        assert table_checksums(db, leave_out_run=run_id) == before
        return (anchor, round(delay, 3), killed, outcome)

    plan = kill_plan(timeline)
    outcomes = [trial(n, anchor, delay) for n, (anchor, delay) in enumerate(plan)]
    # On a loaded machine a late kill may come after the process already exited;
    # top up with kills inside the work phase until 20 trials really killed a process.
    work = timeline.commit - timeline.opened
    extra = 0
    while sum(o[2] for o in outcomes) < 20 and extra < 12:
        outcomes.append(trial(len(outcomes), "opened", work * (extra + 0.5) / 12))
        extra += 1

    kills = [o for o in outcomes if o[2]]
    print(f"\ntimeline {timeline}; {len(kills)} kills; outcomes: {outcomes}")
    assert len(kills) >= 20, outcomes
    assert any(o[3] == "absent" for o in kills)


# -- export ----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def big_store(big_nat_file, tmp_path_factory) -> Path:
    db = tmp_path_factory.mktemp("export") / "store.duckdb"
    with PreferenceStore(db) as store:
        store.ingest_nat_eval(big_nat_file, run_id="big")
    return db


def partial_files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if ".partial" in p.name)


@pytest.mark.slow
def test_sigkill_during_export_never_leaves_a_truncated_file(big_store, tmp_path):
    reference = tmp_path / "reference.jsonl"
    start = time.monotonic()
    proc = start_cli("--db", big_store, "export", "-q", reference)
    opened = wait_for(proc, lambda: holds_file(proc.pid, big_store))
    _, err = proc.communicate()
    assert proc.returncode == 0, err
    assert opened is not None
    span = (opened - start, time.monotonic() - start)
    ref_bytes = reference.read_bytes()
    assert ref_bytes.count(b"\n") > 10_000

    old = tmp_path / "old.jsonl"                     # an earlier, different export of the same name
    subprocess.run([sys.executable, "-m", "prefstore", "--db", str(big_store), "export", "-q",
                    "--best-vs-worst", str(old)], env=cli_env(), check=True)
    old_bytes = old.read_bytes()
    assert old_bytes != ref_bytes

    out_dir = tmp_path / "out"
    out_dir.mkdir()
    out = out_dir / "train.jsonl"
    seen = {"absent": 0, "old": 0, "complete": 0}
    trials = 8
    for n in range(trials):
        if n % 2:
            out.write_bytes(old_bytes)
        elif out.exists():
            out.unlink()
        had_old = out.exists()
        proc = start_cli("--db", big_store, "export", "-q", out)
        opened = wait_for(proc, lambda p=proc: holds_file(p.pid, big_store))
        if opened is not None:
            time.sleep(max(0.0, opened + (span[1] - span[0]) * n / trials - time.monotonic()))
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
        proc.communicate()
        if not out.exists():
            assert not had_old
            seen["absent"] += 1
        elif out.read_bytes() == ref_bytes:
            seen["complete"] += 1
        else:
            assert had_old and out.read_bytes() == old_bytes, "a truncated file under the final name"
            seen["old"] += 1
        for name in partial_files(out_dir):          # leftovers are only ever temporary names
            assert name.startswith(f".{out.name}.") or name.startswith(f".{out.name}.manifest")
        manifest = out.with_name(out.name + ".manifest.json")
        if manifest.exists():
            json.loads(manifest.read_text(encoding="utf-8"))
    print(f"\nexport span {span}; outcomes {seen}")
    assert seen["absent"] + seen["old"] >= trials // 2

    proc = start_cli("--db", big_store, "export", "-q", out)
    _, err = proc.communicate()
    assert proc.returncode == 0, err
    assert out.read_bytes() == ref_bytes
