"""Exports written in batches of positions (export.copy_batches): the same files however the
pairs are cut into batches, no part files left behind, and a failed batch leaves no output.

The samples are small enough for one batch, so each test also exports with batches forced
down to a few pairs (export.BATCH_TEXT_BYTES / _MIN_BATCH_PAIRS) and compares."""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pytest

from prefstore import PairConfig, PreferenceStore
from prefstore import export as export_module
from prefstore.models import ExportOptions
from prefstore.pairs import create_pair_view

from .conftest import SAMPLE_RUNS

CASES = {
    "nemo-file": ("out.jsonl", {}, {}),
    "nemo-split": ("out", {}, {}),
    "trl-split-no-dedup": ("out", {"format": "trl", "dedup": False}, {}),
    "openai-easy-first": ("out", {"format": "openai", "order": "easy-first"}, {}),
    "trajectories": ("out.json", {}, {}),
    "trajectories-best-vs-worst": ("out.json", {}, {"exhaustive_pairs": False}),
    "sampled": ("out.jsonl", {"max_pairs": 60, "seed": 11}, {}),
    "fraction-hard-first": ("out.jsonl", {"order": "hard-first", "example_fraction": 0.5}, {}),
    "prompt-scope": ("out.jsonl", {}, {"pair_scope": "prompt", "max_pairs_per_turn": 3}),
    "parquet-file": ("out.parquet", {}, {}),
    "parquet-split": ("out", {"format": "parquet"}, {}),
}


@pytest.fixture(scope="module")
def pooled(tmp_path_factory, sample_file) -> Path:
    path = tmp_path_factory.mktemp("pooled") / "store.duckdb"
    with PreferenceStore(path) as store:
        for run in SAMPLE_RUNS:
            store.ingest_nat_eval(sample_file(run), run_id=run)
    return path


def files(out: Path) -> dict[str, Path]:
    if out.is_file():
        return {out.name: out}
    return {str(p.relative_to(out)): p for p in sorted(out.rglob("*")) if p.is_file()}


def parquet_rows(path: Path) -> list[tuple]:
    return duckdb.connect().execute("SELECT * FROM read_parquet($p)", {"p": str(path)}).fetchall()


def small_batches(monkeypatch, pairs: int) -> None:
    monkeypatch.setattr(export_module, "BATCH_TEXT_BYTES", 1)
    monkeypatch.setattr(export_module, "_MIN_BATCH_PAIRS", pairs)


@pytest.mark.parametrize("case", sorted(CASES))
def test_batched_export_equals_one_batch(pooled, tmp_path, monkeypatch, case):
    name, options, pair_options = CASES[case]
    config = PairConfig(**pair_options)
    with PreferenceStore(pooled, read_only=True) as store:
        whole = tmp_path / "whole" / name
        whole.parent.mkdir()
        store.export(whole, config, ExportOptions(**options))
        with store.cursor() as cur:  # the default really is one batch here: the comparison means something
            create_pair_view(cur, config, None)
            export_module.queries.run(cur, "export/rows", {**export_module.ROWS_AS_IS, "dedup": False})
            assert len(export_module.batches(cur)) == 1
            small_batches(monkeypatch, 7)
            assert len(export_module.batches(cur)) > 3
        batched = tmp_path / "batched" / name
        batched.parent.mkdir()
        store.export(batched, config, ExportOptions(**options))
    expected, got = files(whole), files(batched)
    assert sorted(expected) == sorted(got)
    assert any(p.stat().st_size > 1000 for p in expected.values()), "the case writes real data"
    for relative, path in expected.items():
        if relative.endswith(".parquet"):
            assert parquet_rows(got[relative]) == parquet_rows(path), relative
        elif not relative.endswith("manifest.json"):
            assert got[relative].read_bytes() == path.read_bytes(), relative
    # nothing of the batches is left beside the output
    assert sorted(p.name for p in batched.parent.iterdir()) == sorted(p.name for p in whole.parent.iterdir())


def test_batched_export_repeats_byte_for_byte(pooled, tmp_path, monkeypatch):
    small_batches(monkeypatch, 5)
    with PreferenceStore(pooled, read_only=True) as store:
        for i in (1, 2):
            store.export(tmp_path / f"p{i}.parquet")
            store.export(tmp_path / f"d{i}", options=ExportOptions(format="trl"))
    assert (tmp_path / "p1.parquet").read_bytes() == (tmp_path / "p2.parquet").read_bytes()
    for relative, path in files(tmp_path / "d1").items():
        assert (tmp_path / "d2" / relative).read_bytes() == path.read_bytes(), relative


@pytest.mark.parametrize("name", ["out.jsonl", "out.parquet", "out"])
def test_failed_batch_leaves_no_output_and_no_parts(pooled, tmp_path, monkeypatch, name):
    small_batches(monkeypatch, 7)
    real = export_module._copy_batch
    calls = []

    def failing(*args):
        calls.append(args[3])
        if len(calls) == 3:
            raise KeyboardInterrupt  # what Ctrl-C mid-export raises
        return real(*args)

    monkeypatch.setattr(export_module, "_copy_batch", failing)
    out = tmp_path / "exports" / name
    out.parent.mkdir()
    with PreferenceStore(pooled, read_only=True) as store, pytest.raises(KeyboardInterrupt):
        store.export(out)
    assert len(calls) == 3
    assert list(out.parent.iterdir()) == []


def test_parts_are_joined_without_copy_file_range(pooled, tmp_path, monkeypatch):
    """Where the kernel copy is missing or refused (not Linux, other filesystems), the
    read/write loop joins the batches' files into the same bytes."""
    with PreferenceStore(pooled, read_only=True) as store:
        store.export(tmp_path / "whole.jsonl")
        small_batches(monkeypatch, 7)

        def refused(*args):
            raise OSError("copy_file_range refused")

        monkeypatch.setattr(os, "copy_file_range", refused)
        store.export(tmp_path / "batched.jsonl")
    assert (tmp_path / "batched.jsonl").read_bytes() == (tmp_path / "whole.jsonl").read_bytes()
