"""Ingest benchmark: time, MB/s, peak RSS and store size per scale.

    python bench/bench_ingest.py [--scales S,M] [--reps 3] [--data /tmp/bench-data]

Two measurements per scale, each in a fresh process on a fresh store:
`prefstore ingest` (the CLI's wall clock, interpreter start-up included) and
`bench/driver.py ingest` (the library call alone: store open, ingest, close).
"""

from __future__ import annotations

from pathlib import Path

import measure


def run(scales: list[str], reps: int, data: Path) -> list[dict]:
    rows = []
    for scale in scales:
        src = measure.input_file(scale, data)
        db = data / f"ingest-{scale}.duckdb"
        cli = measure.measure(measure.prefstore("--db", db, "ingest", "--quiet", src), reps,
                              setup=lambda: measure.remove_store(db))
        size = measure.store_bytes(db)
        lib = measure.measure(measure.python(measure.BENCH / "driver.py", "ingest", db, src), reps,
                              setup=lambda: measure.remove_store(db))
        lib_seconds = lib.reported()
        mb = src.stat().st_size / 1e6
        rows.append({
            "scale": scale, "input_mb": mb, "store_mb": size / 1e6,
            "cli": cli, "lib_seconds": lib_seconds, "lib": lib,
            "cli_mb_s": mb / cli.seconds, "lib_mb_s": mb / lib_seconds,
        })
        measure.remove_store(db)
    return rows


def table(rows: list[dict]) -> list[str]:
    lines = [
        "| scale | input MB | CLI wall s (runs) | MB/s (CLI) | ingest call s | MB/s (call) | peak RSS MB | store MB | store/input |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['scale']} | {r['input_mb']:.0f} | {r['cli'].seconds:.2f} ({r['cli'].spread}) | "
            f"{r['cli_mb_s']:.0f} | {r['lib_seconds']:.2f} | {r['lib_mb_s']:.0f} | "
            f"{max(r['cli'].peak_rss_mb, r['lib'].peak_rss_mb):.0f} | {r['store_mb']:.1f} | "
            f"{r['store_mb'] / r['input_mb']:.3f} |")
    return lines


def commands(rows: list[dict]) -> list[str]:
    return [c for r in rows for c in (r["cli"].command, r["lib"].command)]


if __name__ == "__main__":
    args = measure.scale_args(__doc__)
    print("\n".join(table(run(args.scales, args.reps, args.data))))
