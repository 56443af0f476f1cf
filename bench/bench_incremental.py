"""Incremental cost: one more S run into a store holding 50 runs, against an empty store.

    python bench/bench_incremental.py [--runs 50] [--reps 3] [--data /tmp/bench-data]

The 50-run store is built once from ONE generated S file ingested under 50
run ids (`--run-id base01..base50`), not from 50 different files (7 GB of
input): the stored rows are the same size and shape, only their text repeats.
Each repetition copies that store, then times `prefstore ingest --run-id new`
of the S file into the copy, and the same into an empty store. Also timed:
the pairs of the new run only (`bench/driver.py pairs DB new`), on both
stores, to show that existing runs' pairs are not recomputed for it.
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

import measure


def run(n_runs: int, reps: int, data: Path) -> dict:
    src = measure.input_file("S", data)
    base = data / f"incremental-{n_runs}.duckdb"
    if not base.exists():
        partial = data / f"incremental-{n_runs}.partial.duckdb"
        measure.remove_store(partial)
        for i in range(1, n_runs + 1):
            measure.measure(measure.prefstore("--db", partial, "ingest", "--quiet", "--run-id", f"base{i:02d}", src), 1)
        partial.rename(base)
    full, empty = data / "incremental-full.duckdb", data / "incremental-empty.duckdb"

    def copy_full() -> None:
        measure.remove_store(full)
        shutil.copyfile(base, full)

    into_full = measure.measure(measure.prefstore("--db", full, "ingest", "--quiet", "--run-id", "new", src),
                                reps, setup=copy_full)
    into_empty = measure.measure(measure.prefstore("--db", empty, "ingest", "--quiet", "--run-id", "new", src),
                                 reps, setup=lambda: measure.remove_store(empty))
    pairs_full = measure.measure(measure.python(measure.BENCH / "driver.py", "pairs", full, "new"), reps)
    pairs_empty = measure.measure(measure.python(measure.BENCH / "driver.py", "pairs", empty, "new"), reps)
    result = {
        "runs": n_runs, "store_mb": measure.store_bytes(base) / 1e6, "input_mb": src.stat().st_size / 1e6,
        "into_full": into_full, "into_empty": into_empty, "pairs_full": pairs_full, "pairs_empty": pairs_empty,
    }
    for path in (full, empty):
        measure.remove_store(path)
    return result


def table(r: dict) -> list[str]:
    ratio = r["into_full"].seconds / r["into_empty"].seconds
    pratio = r["pairs_full"].reported() / r["pairs_empty"].reported()
    return [
        f"Store with {r['runs']} S runs: {r['store_mb']:.0f} MB (from {r['runs']} x {r['input_mb']:.0f} MB of input).",
        "",
        "| operation | into empty store s (runs) | into store with 50 runs s (runs) | ratio | peak RSS MB (empty / 50 runs) |",
        "|---|---:|---:|---:|---:|",
        f"| ingest one S run (CLI wall) | {r['into_empty'].seconds:.2f} ({r['into_empty'].spread}) | "
        f"{r['into_full'].seconds:.2f} ({r['into_full'].spread}) | {ratio:.2f} | "
        f"{r['into_empty'].peak_rss_mb:.0f} / {r['into_full'].peak_rss_mb:.0f} |",
        f"| pairs of the new run only (query time) | {r['pairs_empty'].reported():.2f} | "
        f"{r['pairs_full'].reported():.2f} | {pratio:.2f} | "
        f"{r['pairs_empty'].peak_rss_mb:.0f} / {r['pairs_full'].peak_rss_mb:.0f} |",
    ]


def commands(r: dict) -> list[str]:
    return [r[k].command for k in ("into_empty", "into_full", "pairs_empty", "pairs_full")]


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--data", type=Path, default=measure.DEFAULT_DATA)
    args = parser.parse_args()
    print("\n".join(table(run(args.runs, args.reps, args.data))))
