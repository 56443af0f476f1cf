"""Reading a big NAT file as pieces in parallel stores exactly what reading it whole stores.

Every test ingests real files into real store files twice, with the split
forced (CHUNK_MIN_BYTES = 0, several DuckDB threads) and with it off, and
compares every stored row. A spy on `nat_eval.read_json` tells which read stood.
"""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from pathlib import Path

import pytest

from prefstore import PreferenceStore
from prefstore.errors import BadInput
from prefstore.ingest import chunks, nat_eval
from prefstore.sample_data import SCALES, write_nat_eval

from .conftest import SAMPLE_RUNS, cli_env

THREADS = 2  # the split needs more than one DuckDB thread, whatever the machine
DUPLICATE = "duplicate candidate (same step name, example, turn and candidate_index)"


class ReadSpy:
    """Records each staging read: (query, number of files, whether it succeeded)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls: list[tuple[str, int, bool]] = []
        real = nat_eval.read_json

        def spy(cur, query, files, columns=None):
            try:
                real(cur, query, files, columns)
            except BaseException:
                self.calls.append((query, len(files), False))
                raise
            self.calls.append((query, len(files), True))

        monkeypatch.setattr(nat_eval, "read_json", spy)

    @property
    def read_in_pieces(self) -> bool:
        """The typed read of several pieces succeeded (and so stood)."""
        return any(q == "ingest/stage_nat_eval_typed" and n > 1 and ok for q, n, ok in self.calls)

    @property
    def tried_pieces(self) -> bool:
        return any(q == "ingest/stage_nat_eval_typed" and n > 1 for q, n, _ in self.calls)


def store_rows(store: PreferenceStore) -> dict[str, list]:
    """Every stored row that an ingest decides, in store order."""
    rows = {}
    for table, order in (("candidates", "seq"), ("rejects", "item_pos, step_pos NULLS FIRST, reason")):
        _, rows[table] = store.query(f"SELECT * FROM {table} ORDER BY {order}")
    _, rows["runs"] = store.query("SELECT * EXCLUDE (ingested_at, source_path) FROM runs ORDER BY run_seq")
    return rows


def ingest_once(path: Path, db: Path, monkeypatch: pytest.MonkeyPatch, split: bool):
    """(stored rows, report, spy) of one ingest of `path` into a new store `db`."""
    with monkeypatch.context() as patch:
        patch.setattr(chunks, "CHUNK_MIN_BYTES", 0 if split else 1 << 62)
        spy = ReadSpy(patch)
        with PreferenceStore(db, threads=THREADS) as store:
            report = store.ingest_nat_eval(path)
            return store_rows(store), report, spy


def both_ways(path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Ingest `path` split and whole into two stores and assert they hold the same rows; (split spy, rows)."""
    split_rows, split_report, spy = ingest_once(path, tmp_path / "split.duckdb", monkeypatch, split=True)
    whole_rows, whole_report, whole_spy = ingest_once(path, tmp_path / "whole.duckdb", monkeypatch, split=False)
    assert not whole_spy.tried_pieces
    assert split_rows == whole_rows
    assert split_report == whole_report
    return spy, split_rows


def item_positions(path: Path) -> dict[str, list[int]]:
    """Independent reading: the 1-based file positions of each item id."""
    found: dict[str, list[int]] = {}
    for pos, item in enumerate(json.loads(path.read_text(encoding="utf-8-sig")), start=1):
        found.setdefault(str(item["id"]), []).append(pos)
    return found


def write_spec(tmp_path: Path, name: str = "w.json", **changes) -> Path:
    spec = dataclasses.replace(SCALES["demo"], **{"n_items": 60, **changes})
    path = tmp_path / name
    write_nat_eval(path, spec)
    return path


# -- same rows, read in pieces -----------------------------------------------------------------
@pytest.mark.parametrize("run", SAMPLE_RUNS)
def test_samples_split_give_the_same_store(run, tmp_path, monkeypatch, sample_file):
    spy, rows = both_ways(sample_file(run), tmp_path, monkeypatch)
    assert spy.read_in_pieces
    assert rows["candidates"]


@pytest.mark.parametrize("changes", [
    {},
    {"int_ids": True, "seed": 7},
    {"message_prompt_ratio": 1.0, "non_ascii_ratio": 1.0, "seed": 3},
    {"indent": 4, "seed": 5},
    {"indent": 1, "turns_per_item": 1, "min_candidates": 1, "max_candidates": 1, "seed": 9},
], ids=["demo", "int-ids", "messages-non-ascii", "indent-4", "indent-1-small-items"])
def test_generated_files_split_give_the_same_store(changes, tmp_path, monkeypatch):
    path = write_spec(tmp_path, **changes)
    spy, _ = both_ways(path, tmp_path, monkeypatch)
    assert spy.read_in_pieces
    positions = item_positions(path)
    with PreferenceStore(tmp_path / "split.duckdb", read_only=True) as store:
        _, stored = store.query("SELECT example_id, item_pos FROM candidates")
    assert stored and all(pos in positions[example] for example, pos in stored)


def test_item_pos_is_the_position_in_the_whole_file(tmp_path, monkeypatch):
    """Every item id appears once: item_pos must be exactly its 1-based position in the file."""
    path = write_spec(tmp_path, n_items=80)
    rows, _, spy = ingest_once(path, tmp_path / "s.duckdb", monkeypatch, split=True)
    assert spy.read_in_pieces
    positions = item_positions(path)
    with PreferenceStore(tmp_path / "s.duckdb", read_only=True) as store:
        _, stored = store.query("SELECT DISTINCT example_id, item_pos FROM candidates ORDER BY item_pos")
        _, order = store.query("SELECT item_pos FROM candidates ORDER BY seq")
    assert stored and all([pos] == positions[example] for example, pos in stored)
    assert [p for (p,) in order] == sorted(p for (p,) in order)   # seq follows the file


def test_repeated_item_ids_across_pieces(tmp_path, monkeypatch):
    """The same example id in several items (so in several pieces): positions and defaults stay the file's."""
    items = [{"id": "same", "intermediate_steps": [_step(i, t, c) for c in range(3)]}
             for i, t in enumerate(["t1", "t2", "t1", "t2", "t1", "t3", "t1", "t2"])]
    for item in items[::3]:  # no candidate_index: defaults count across items in file order
        for s in item["intermediate_steps"]:
            del s["payload"]["data"]["candidate_index"]
    path = tmp_path / "w.json"
    path.write_text(json.dumps(items, indent=2), encoding="utf-8")
    spy, rows = both_ways(path, tmp_path, monkeypatch)
    assert spy.read_in_pieces
    assert len(rows["candidates"]) + len(rows["rejects"]) == 24
    assert {r[6] for r in rows["rejects"]} == {DUPLICATE}


def _step(item: int, turn: str, index: int) -> dict:
    return {"payload": {"event_type": "TTC_END", "name": "dpo_candidate_move", "UUID": f"u{item}-{index}",
                        "metadata": {"i": item},
                        "data": {"turn_id": turn, "candidate_index": index, "score": (item + index) / 10,
                                 "input": f"prompt {item}", "output": f"move {index}"}}}


# -- hostile layouts ---------------------------------------------------------------------------
def test_separator_text_inside_strings_changes_nothing(tmp_path, monkeypatch):
    """'},\\n  {' inside a string is written escaped (no raw newline): the cuts stay between items."""
    tricky = "},\n  {\n  },\n  {\"id\": \"fake\"}"
    items = []
    for i in range(40):
        steps = [_step(i, "t", 0), _step(i, "t", 1)]
        steps[0]["note"] = tricky
        steps[1]["payload"]["data"]["output"] = tricky
        items.append({"id": f"e{i}", "intermediate_steps": steps})
    path = tmp_path / "w.json"
    path.write_text(json.dumps(items, indent=2), encoding="utf-8")
    spy, rows = both_ways(path, tmp_path, monkeypatch)
    assert spy.read_in_pieces
    assert sum(row[7] == tricky for row in rows["candidates"]) == 40  # response column


def test_separator_at_a_deeper_level_falls_back_to_the_whole_file(tmp_path, monkeypatch):
    """Nested objects written with the top level's indent: a cut there leaves a piece that does not parse."""
    body = ",\n  ".join(
        '{"id": "e%d", "intermediate_steps": [\n  %s\n  ]}' % (i, ",\n  ".join(
            json.dumps(_step(i, "t", c)) for c in range(4)))
        for i in range(30))
    path = tmp_path / "w.json"
    path.write_text("[\n  " + body + "\n]", encoding="utf-8")
    assert path.read_text().count("},\n  {") > 30 * 3  # most separators are inside items
    spy, rows = both_ways(path, tmp_path, monkeypatch)
    assert spy.tried_pieces
    assert len(rows["candidates"]) == 120


def test_mixed_indentation(tmp_path, monkeypatch):
    lines = [json.dumps({"id": f"e{i}", "intermediate_steps": [_step(i, "t", 0), _step(i, "t", 1)]}, indent=2)
             for i in range(30)]
    seps = [",\n  ", ",\n\t", ",\n    ", ",\n"]
    text = "[\n  " + "".join(line + (seps[i % 4] if i < 29 else "") for i, line in enumerate(lines)) + "\n]"
    path = tmp_path / "w.json"
    path.write_text(text, encoding="utf-8")
    spy, rows = both_ways(path, tmp_path, monkeypatch)
    assert len(rows["candidates"]) == 60


def test_compact_json_is_not_split(tmp_path, monkeypatch):
    path = write_spec(tmp_path, indent=None)
    spy, rows = both_ways(path, tmp_path, monkeypatch)
    assert not spy.tried_pieces
    assert rows["candidates"]


def test_utf8_bom_file_is_split(tmp_path, monkeypatch):
    path = write_spec(tmp_path)
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    spy, rows = both_ways(path, tmp_path, monkeypatch)
    assert spy.read_in_pieces
    assert rows["candidates"]


def test_crlf_line_endings_are_split(tmp_path, monkeypatch):
    path = write_spec(tmp_path)
    path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))  # JSON strings hold no raw newline
    spy, rows = both_ways(path, tmp_path, monkeypatch)
    assert spy.read_in_pieces
    assert rows["candidates"]


def test_rejects_are_the_robust_reads(tmp_path, monkeypatch):
    """A file with rejects (and a step that is not an object) stores the same rejects, raw JSON included."""
    path = write_spec(tmp_path)
    items = json.loads(path.read_text(encoding="utf-8"))
    first_ttc = next(s for s in items[5]["intermediate_steps"] if s["payload"]["event_type"] == "TTC_END")
    del first_ttc["payload"]["data"]["score"]
    items[40]["intermediate_steps"].insert(2, "not a step")
    path.write_text(json.dumps(items, indent=2), encoding="utf-8")
    spy, rows = both_ways(path, tmp_path, monkeypatch)
    assert spy.tried_pieces
    assert sorted(r[6] for r in rows["rejects"]) == ["missing score", "step is not a JSON object"]
    assert all(r[7] is not None for r in rows["rejects"])  # raw JSON kept


def _last(text: str, marker: str) -> int:
    return text.rindex(marker) + len(marker)


@pytest.mark.parametrize("damage", [
    lambda text: text[:_last(text, '"score": ')] + "," + text[_last(text, '"score": '):],
    lambda text: text[:_last(text, '"output": "') + 2],
    lambda text: text.rstrip()[:-1],
], ids=["syntax-error-in-last-item", "ends-inside-a-string", "no-closing-bracket"])
def test_broken_last_item_is_refused_as_before(damage, tmp_path, monkeypatch):
    path = write_spec(tmp_path)
    path.write_text(damage(path.read_text(encoding="utf-8")), encoding="utf-8")
    errors = []
    for split in (True, False):
        with monkeypatch.context() as patch:
            patch.setattr(chunks, "CHUNK_MIN_BYTES", 0 if split else 1 << 62)
            spy = ReadSpy(patch)
            with PreferenceStore(tmp_path / f"{split}.duckdb", threads=THREADS) as store:
                with pytest.raises(BadInput) as caught:
                    store.ingest_nat_eval(path)
                assert store_rows(store) == {"candidates": [], "rejects": [], "runs": []}
            errors.append(str(caught.value))
            assert spy.tried_pieces == split
    assert errors[0] == errors[1]


def test_item_bigger_than_the_object_buffer(tmp_path, monkeypatch):
    """A 17 MB response: the pieces' read grows DuckDB's object buffer as the whole-file read does."""
    path = write_spec(tmp_path, n_items=8)
    items = json.loads(path.read_text(encoding="utf-8"))
    items[3]["intermediate_steps"][-1]["payload"]["data"]["output"] = "x" * (17 << 20)
    path.write_text(json.dumps(items, indent=2), encoding="utf-8")
    spy, rows = both_ways(path, tmp_path, monkeypatch)
    assert spy.read_in_pieces


def test_no_split_when_duckdb_may_reorder_rows(tmp_path, monkeypatch):
    path = write_spec(tmp_path)
    monkeypatch.setattr(chunks, "CHUNK_MIN_BYTES", 0)
    with PreferenceStore(tmp_path / "s.duckdb", threads=THREADS) as store, store.cursor() as cur:
        assert chunks.chunk_count(cur, path) == THREADS * chunks.CHUNKS_PER_THREAD
        cur.execute("SET preserve_insertion_order = false")
        assert chunks.chunk_count(cur, path) == 1
        cur.execute("SET preserve_insertion_order = true")
    with PreferenceStore(tmp_path / "one.duckdb", threads=1) as store, store.cursor() as cur:
        assert chunks.chunk_count(cur, path) == 1


# -- the temp pieces ---------------------------------------------------------------------------
@pytest.fixture
def private_tmp(tmp_path, monkeypatch) -> Path:
    """tempfile's directory for this test alone, to see what the ingest leaves there."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr("tempfile.tempdir", str(folder))
    return folder


def open_files_in(folder: Path) -> list[str]:
    """What this process holds open in `folder` (unlinked files included)."""
    found = []
    for fd in Path("/proc/self/fd").iterdir():
        try:
            target = str(fd.readlink())
        except OSError:
            continue
        if target.startswith(str(folder)):
            found.append(target)
    return found


def test_pieces_have_no_name_and_are_closed_after_success(private_tmp, tmp_path, monkeypatch):
    path = write_spec(tmp_path)
    seen = []
    real = chunks.write_chunks

    def spy(*args):
        pieces = real(*args)
        seen.append((len(pieces), sorted(p.name for p in private_tmp.iterdir()), open_files_in(private_tmp)))
        return pieces

    monkeypatch.setattr(chunks, "write_chunks", spy)
    _, _, read = ingest_once(path, tmp_path / "s.duckdb", monkeypatch, split=True)
    assert read.read_in_pieces
    ((count, names, held),) = seen
    assert count > 1 and names == [] and len(held) == count   # open, in the temp folder, unnamed
    assert list(private_tmp.iterdir()) == [] and open_files_in(private_tmp) == []


def test_pieces_are_closed_after_a_failed_read(private_tmp, tmp_path, monkeypatch):
    path = write_spec(tmp_path)
    path.write_text(path.read_text(encoding="utf-8").rstrip()[:-1], encoding="utf-8")
    monkeypatch.setattr(chunks, "CHUNK_MIN_BYTES", 0)
    spy = ReadSpy(monkeypatch)
    with PreferenceStore(tmp_path / "s.duckdb", threads=THREADS) as store, pytest.raises(BadInput):
        store.ingest_nat_eval(path)
    assert spy.tried_pieces
    assert list(private_tmp.iterdir()) == [] and open_files_in(private_tmp) == []


def test_pieces_are_closed_after_an_interrupt(private_tmp, tmp_path, monkeypatch):
    path = write_spec(tmp_path)
    monkeypatch.setattr(chunks, "CHUNK_MIN_BYTES", 0)
    seen = []

    def interrupted(cur, query, files, columns=None):
        seen.append([f.exists() for f in files])
        raise KeyboardInterrupt

    monkeypatch.setattr(nat_eval, "read_json", interrupted)
    with PreferenceStore(tmp_path / "s.duckdb", threads=THREADS) as store:
        with pytest.raises(KeyboardInterrupt):
            store.ingest_nat_eval(path)
        assert store_rows(store)["runs"] == []
    assert len(seen[0]) > 1 and all(seen[0])
    assert list(private_tmp.iterdir()) == [] and open_files_in(private_tmp) == []


KILLED_WHILE_READING = """
import os, signal, sys
from prefstore import PreferenceStore
from prefstore.ingest import chunks, nat_eval
chunks.CHUNK_MIN_BYTES = 0
real = nat_eval.read_json
def read(cur, query, files, columns):
    if len(files) > 1:
        os.kill(os.getpid(), signal.SIGKILL)
    real(cur, query, files, columns)
nat_eval.read_json = read
with PreferenceStore(sys.argv[2], threads=2) as store:
    store.ingest_nat_eval(sys.argv[1])
"""


def test_sigkill_while_reading_pieces_leaves_nothing(private_tmp, tmp_path):
    path = write_spec(tmp_path)
    done = subprocess.run([sys.executable, "-c", KILLED_WHILE_READING, str(path), str(tmp_path / "s.duckdb")],
                          env=cli_env(TMPDIR=str(private_tmp)), capture_output=True, text=True)
    assert done.returncode == -9, done.stderr
    assert list(private_tmp.iterdir()) == []


def test_split_ranges_cover_the_file_at_item_boundaries(tmp_path):
    path = write_spec(tmp_path)
    data = path.read_bytes()
    ranges = chunks.split_ranges(path, 5)
    assert len(ranges) == 5 and ranges[0][0] == 0 and ranges[-1][1] == len(data)
    pieces = [(b"[" if k else b"") + data[a:b] + (b"]" if k < len(ranges) - 1 else b"")
              for k, (a, b) in enumerate(ranges)]
    items = [item for piece in pieces for item in json.loads(piece)]
    assert items == json.loads(data)
    for (_, end), (start, _) in zip(ranges, ranges[1:]):
        assert data[end - 1:start] == b"},"  # each cut drops exactly the comma between two items


# -- start-up ----------------------------------------------------------------------------------
def test_cli_import_does_not_load_sqlglot_or_rich():
    code = "import sys, prefstore.cli; print(sorted(m for m in ('sqlglot', 'rich') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=cli_env(), check=True)
    assert out.stdout.strip() == "[]"


def test_every_public_name_imports():
    code = ("import prefstore; from prefstore import *; "
            "print(all(getattr(prefstore, n) is globals()[n] for n in prefstore.__all__))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=cli_env(), check=True)
    assert out.stdout.strip() == "True"
