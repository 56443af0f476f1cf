"""Concurrent use: two real processes on one store file, and one store shared by threads.

DuckDB lets one process write a file at a time (readers too are locked out
while a writer holds it). A second process waits up to --wait seconds, then
fails with one line naming the file; neither side loses data.
"""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from prefstore import PairConfig, PreferenceStore
from prefstore.errors import StoreBusy
from prefstore.sample_data import SCALES, write_nat_eval

from .conftest import cli_env, run_cli
from .test_crash_safety import big_nat_file, holds_file, run_content, start_cli, table_checksums, wait_for  # noqa: F401

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="needs /proc")

HOLD = ("import sys; from prefstore import PreferenceStore; "
        "s = PreferenceStore(sys.argv[1]); print('ready', flush=True); sys.stdin.readline(); s.close()")


class Holder:
    """A real process that opens the store for writing and keeps it until released."""

    def __init__(self, db: Path) -> None:
        self.proc = subprocess.Popen([sys.executable, "-c", HOLD, str(db)], env=cli_env(), text=True,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        assert self.proc.stdout.readline().strip() == "ready", self.proc.stderr.read()

    def release(self) -> None:
        self.proc.stdin.write("\n")
        self.proc.stdin.flush()
        assert self.proc.wait(timeout=60) == 0


def busy_line(db: Path, holder_pid: int, wait: float) -> str:
    return (f"Error: {db} is in use by another process (process {holder_pid}) and stayed busy for "
            f"{wait:g}s; wait for it to finish, or retry with a longer --wait\n")


@pytest.fixture
def small_file(tmp_path) -> Path:
    path = tmp_path / "small.json"
    write_nat_eval(path, SCALES["demo"])
    return path


def reference(tmp_path: Path, source: Path, run_id: str) -> dict:
    """The run's content when ingested alone into a fresh store."""
    db = tmp_path / f"ref-{run_id}.duckdb"
    with PreferenceStore(db) as store:
        store.ingest_nat_eval(source, run_id=run_id)
    return run_content(db, run_id)


@pytest.mark.slow
def test_two_ingest_processes_at_once_both_runs_stored(big_nat_file, small_file, db_path, tmp_path):
    """The second writer starts while the first holds the store, waits, then ingests."""
    first = start_cli("--db", db_path, "ingest", "-q", "--run-id", "first", big_nat_file)
    assert wait_for(first, lambda: holds_file(first.pid, db_path)) is not None
    second = start_cli("--db", db_path, "--wait", "300", "ingest", "-q", "--run-id", "second", small_file)
    was_running = first.poll() is None
    for proc in (first, second):
        out, err = proc.communicate(timeout=300)
        assert (proc.returncode, out, err) == (0, "", "")
    assert was_running
    assert run_content(db_path, "first") == reference(tmp_path, big_nat_file, "first")
    assert run_content(db_path, "second") == reference(tmp_path, small_file, "second")


@pytest.mark.slow
def test_two_ingest_processes_without_waiting(big_nat_file, small_file, db_path, tmp_path):
    """With --wait 0 the second writer is refused in one line, or (if the first was
    already done) ingests; either way both sides keep exactly their data."""
    first = start_cli("--db", db_path, "ingest", "-q", "--run-id", "first", big_nat_file)
    assert wait_for(first, lambda: holds_file(first.pid, db_path)) is not None
    second = run_cli("--db", db_path, "--wait", "0", "ingest", "-q", "--run-id", "second", small_file)
    out, err = first.communicate(timeout=300)
    assert (first.returncode, err) == (0, "")
    assert run_content(db_path, "first") == reference(tmp_path, big_nat_file, "first")
    print(f"\nsecond writer: exit {second.returncode}")
    if second.returncode == 1:
        assert second.stdout == ""
        assert second.stderr == busy_line(db_path, first.pid, 0)
        assert run_content(db_path, "second")["runs"][0] == 0
        run_cli("--db", db_path, "ingest", "-q", "--run-id", "second", small_file, check=True)
    else:
        assert second.returncode == 0, second.stderr
    assert run_content(db_path, "second") == reference(tmp_path, small_file, "second")


def test_second_writer_refused_after_its_wait(small_file, db_path, sample_file):
    with PreferenceStore(db_path) as store:
        store.ingest_nat_eval(sample_file("int-ids"), run_id="kept")
    before = table_checksums(db_path)
    holder = Holder(db_path)
    try:
        start = time.monotonic()
        result = run_cli("--db", db_path, "ingest", "--wait", "0.5", "--run-id", "new", small_file)
        assert time.monotonic() - start >= 0.5
        assert (result.returncode, result.stdout) == (1, "")
        assert result.stderr == busy_line(db_path, holder.proc.pid, 0.5)
        with pytest.raises(StoreBusy) as caught:                 # the Python API: the same rule
            PreferenceStore(db_path, wait=0.2)
        assert str(caught.value) == busy_line(db_path, holder.proc.pid, 0.2)[len("Error: "):-1]
    finally:
        holder.release()
    assert table_checksums(db_path) == before                    # nothing of the refused run
    run_cli("--db", db_path, "ingest", "-q", "--run-id", "new", small_file, check=True)
    assert {r["run_id"] for r in PreferenceStore(db_path, read_only=True).runs()} == {"kept", "new"}


def test_reader_waits_for_the_writer_then_reads(small_file, db_path):
    with PreferenceStore(db_path) as store:
        store.ingest_nat_eval(small_file, run_id="r1")
    holder = Holder(db_path)
    try:
        refused = run_cli("--db", db_path, "runs", "--wait", "0")
        assert (refused.returncode, refused.stdout) == (1, "")
        assert refused.stderr == busy_line(db_path, holder.proc.pid, 0)
        with pytest.raises(StoreBusy, match="in use by another process"):
            PreferenceStore(db_path, read_only=True, wait=0.1)
        reader = start_cli("--db", db_path, "runs", "--format", "json", "--wait", "120")
        time.sleep(0.3)
        still_waiting = reader.poll() is None
    finally:
        holder.release()
    out, err = reader.communicate(timeout=120)
    assert still_waiting
    assert (reader.returncode, err) == (0, "")
    assert [run["run_id"] for run in json.loads(out)] == ["r1"]


def test_same_file_opened_twice_in_one_process_with_other_options(db_path):
    with PreferenceStore(db_path) as store:
        with PreferenceStore(db_path) as again:                  # same options: shares the database
            assert again.runs() == []
        with pytest.raises(StoreBusy, match="already open in this process"):
            PreferenceStore(db_path, read_only=True)
        assert store.runs() == []


def test_one_store_shared_by_threads(tmp_path, sample_file):
    """Writers (file and in-memory ingests) and readers (pairs, stats, query, export) at once."""
    sources = []
    for n in range(4):
        path = tmp_path / f"run{n}.json"
        write_nat_eval(path, dataclasses.replace(SCALES["demo"], seed=10 + n))
        sources.append(path)
    items = json.loads(sample_file("run1").read_text())
    errors: list[BaseException] = []
    snapshots: list[tuple] = []
    done = threading.Event()

    with PreferenceStore(tmp_path / "shared.duckdb") as store:
        def guarded(work):
            def run():
                try:
                    work()
                except BaseException as exc:  # noqa: BLE001 - reported by the test below
                    errors.append(exc)
            return threading.Thread(target=run)

        def write(n):
            store.ingest_nat_eval(sources[n], run_id=f"file{n}")

        def read(n):
            while not done.is_set():
                _, rows = store.query("SELECT (SELECT count(*) FROM candidates), "
                                      "(SELECT coalesce(sum(n_candidates), 0) FROM runs)")
                snapshots.append(rows[0])
                store.pairs(PairConfig(max_pairs_per_turn=2))
                store.stats()
                store.export_jsonl(tmp_path / f"reader{n}.jsonl")

        writers = [guarded(lambda n=n: write(n)) for n in range(4)]
        writers.append(guarded(lambda: store.ingest_nat_items(items, run_id="items")))
        readers = [guarded(lambda n=n: read(n)) for n in range(2)]
        for thread in readers + writers:
            thread.start()
        for thread in writers:
            thread.join(timeout=120)
        done.set()
        for thread in readers:
            thread.join(timeout=120)
        assert errors == []
        assert snapshots and all(seen == total for seen, total in snapshots)   # never half a run

        assert {r["run_id"] for r in store.runs()} == {"file0", "file1", "file2", "file3", "items"}
        _, (seq_check,) = store.query("SELECT count(*) = count(DISTINCT seq) FROM candidates")
        assert seq_check == (True,)
        for n in range(4):
            with PreferenceStore(tmp_path / f"alone{n}.duckdb") as alone:
                alone.ingest_nat_eval(sources[n], run_id=f"file{n}")
                query = f"SELECT * EXCLUDE (seq) FROM candidates WHERE run_id = 'file{n}' ORDER BY seq"
                assert store.query(query) == alone.query(query)
                mine = [p for p in store.pairs() if p.run_id == f"file{n}"]
                assert mine == alone.pairs()
