"""Pairs, trajectories, exports, and end to end against the baseline.

    python bench/bench_pairs_export.py [--scales S,many] [--reps 3] [--data /tmp/bench-data]

Per scale, on a store holding that scale's run (ingested once, untimed here):
  pairs         bench/driver.py pairs: the exhaustive pair query run to completion in DuckDB
  trajectories  bench/driver.py trajectories: NAT's TrajectoryCollection (Python objects; S only)
  export jsonl  prefstore export OUT.jsonl (NeMo Customizer DPO lines)
  export pq     prefstore export OUT.parquet
End to end (file -> training JSONL), S and many: `prefstore ingest` + `prefstore
export` on a fresh store (sum of the medians; peak = the larger peak) against
`python bench/baseline.py IN OUT` (json.load, dicts, nested loops) and, where the
nat extra is installed, `python bench/nat_builder.py IN OUT` (NAT's own builder
and trainer adapter); `python bench/driver.py parse IN` times the JSON parse alone.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import measure

IN_MEMORY_SCALES = ("demo", "S")  # where NAT-style in-memory objects are worth timing (many: 1.6M pairs)
E2E_SCALES = ("S", "many")
SMALL_MEMORY_LIMIT = "256MB"


def run(scales: list[str], reps: int, data: Path) -> list[dict]:
    rows = []
    for scale in scales:
        src, db = measure.ingested_store(scale, data, "pairs")
        row: dict = {"scale": scale}
        row["pairs"] = measure.measure(measure.python(measure.BENCH / "driver.py", "pairs", db), reps)
        if scale in IN_MEMORY_SCALES:
            row["trajectories"] = measure.measure(
                measure.python(measure.BENCH / "driver.py", "trajectories", db), reps)
        jsonl, parquet = data / f"export-{scale}.jsonl", data / f"export-{scale}.parquet"
        row["jsonl"] = measure.measure(measure.prefstore("--db", db, "export", "--quiet", jsonl), reps)
        row["jsonl_mb"] = jsonl.stat().st_size / 1e6
        row["parquet"] = measure.measure(measure.prefstore("--db", db, "export", "--quiet", parquet), reps)
        row["parquet_mb"] = parquet.stat().st_size / 1e6
        if scale in E2E_SCALES:
            row["e2e"] = _end_to_end(src, data, scale, reps)
        if scale == "S":  # the memory/speed trade: the same, with DuckDB held to a small limit
            row["e2e_small"] = _end_to_end(src, data, scale, reps, memory_limit=SMALL_MEMORY_LIMIT,
                                           references=row["e2e"])
        for path in (jsonl, parquet):
            path.unlink(missing_ok=True)
            Path(f"{path}.manifest.json").unlink(missing_ok=True)
        measure.remove_store(db)
        rows.append(row)
    return rows


def _end_to_end(src: Path, data: Path, scale: str, reps: int, memory_limit: str | None = None,
                references: dict | None = None) -> dict:
    """prefstore ingest + export against the references (baseline, parse floor, NAT's builder),
    which are measured here unless `references` (an earlier result) already holds them."""
    db, out, base_out = data / f"e2e-{scale}.duckdb", data / f"e2e-{scale}.jsonl", data / f"base-{scale}.jsonl"
    ingest_times, export_times, peaks, commands = [], [], [], []
    limit = ("--memory-limit", memory_limit) if memory_limit else ()
    for _ in range(reps):
        measure.remove_store(db)
        ing = measure.measure(measure.prefstore(*limit, "--db", db, "ingest", "--quiet", src), 1)
        exp = measure.measure(measure.prefstore(*limit, "--db", db, "export", "--quiet", out), 1)
        ingest_times.append(ing.seconds)
        export_times.append(exp.seconds)
        peaks.append(max(ing.peak_rss_mb, exp.peak_rss_mb))
        commands = [ing.command, exp.command]
    if references is None:
        base = measure.measure(measure.python(measure.BENCH / "baseline.py", src, base_out), reps)
        floor = measure.measure(measure.python(measure.BENCH / "driver.py", "parse", src), reps)
        nat = None
        if importlib.util.find_spec("nat") is not None:  # NAT's own builder, where the nat extra is installed
            nat_out = data / f"nat-{scale}.jsonl"
            nat = measure.measure(measure.python(measure.BENCH / "nat_builder.py", src, nat_out), reps)
            nat_out.unlink(missing_ok=True)
    else:
        base, floor, nat = references["baseline"], references["parse"], references["nat"]
        measure.measure(measure.python(measure.BENCH / "baseline.py", src, base_out), 1)  # its lines, to compare
    ours = sorted(i + e for i, e in zip(ingest_times, export_times))[len(ingest_times) // 2]
    peak = sorted(peaks)[len(peaks) // 2]
    lines = sum(1 for _ in out.open("rb"))
    base_lines = sum(1 for _ in base_out.open("rb"))
    same = _canonical_lines(out) == _canonical_lines(base_out)
    for path in (out, base_out, Path(f"{out}.manifest.json")):
        path.unlink(missing_ok=True)
    measure.remove_store(db)
    return {"seconds": ours, "peak_rss_mb": peak, "memory_limit": memory_limit or "1GB (default)", "runs": [i + e for i, e in zip(ingest_times, export_times)],
            "commands": commands, "baseline": base, "parse": floor, "nat": nat, "speedup": base.seconds / ours,
            "memory_ratio": peak / base.peak_rss_mb, "lines": lines, "baseline_lines": base_lines,
            "same_lines": same}


def _canonical_lines(path: Path) -> list[str]:
    """The file's JSON lines, each re-serialized with sorted keys, sorted: equal content, any spacing."""
    with path.open(encoding="utf-8") as f:
        return sorted(json.dumps(json.loads(line), sort_keys=True, ensure_ascii=False) for line in f)


def table(rows: list[dict]) -> list[str]:
    lines = [
        "| scale | pairs | pairs s | trajectories s | export JSONL s (MB) | export Parquet s (MB) | peak RSS MB (max of these) |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        traj = f"{r['trajectories'].seconds:.2f}" if "trajectories" in r else "not run (in-memory objects)"
        peak = max(r[k].peak_rss_mb for k in ("pairs", "jsonl", "parquet"))
        lines.append(
            f"| {r['scale']} | {r['pairs'].reported('pairs'):,.0f} | {r['pairs'].seconds:.2f} | {traj} | "
            f"{r['jsonl'].seconds:.2f} ({r['jsonl_mb']:.0f}) | {r['parquet'].seconds:.2f} ({r['parquet_mb']:.0f}) | "
            f"{peak:.0f} |")
    return lines


def e2e_table(rows: list[dict]) -> list[str]:
    lines = [
        "| scale | CLI memory limit | prefstore ingest+export s (runs) | peak RSS MB | baseline s (runs) | baseline peak RSS MB | speedup | memory ratio | lines (baseline) | same lines | parse alone s | NAT's builder s (peak RSS MB) | speedup vs NAT |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|",
    ]
    for r in rows:
        for key in ("e2e", "e2e_small"):
            if key not in r:
                continue
            e, b = r[key], r[key]["baseline"]
            runs = "-".join(f"{x:.2f}" for x in (min(e["runs"]), max(e["runs"])))
            lines.append(
                f"| {r['scale']} | {e['memory_limit']} | {e['seconds']:.2f} ({runs}) | {e['peak_rss_mb']:.0f} | "
                f"{b.seconds:.2f} ({b.spread}) | {b.peak_rss_mb:.0f} | {e['speedup']:.1f}x | {e['memory_ratio']:.2f} | "
                f"{e['lines']:,} ({e['baseline_lines']:,}) | {'yes' if e['same_lines'] else 'no'} | "
                f"{e['parse'].reported('seconds'):.2f} | {_nat_cells(e)} |")
    return lines


def _nat_cells(e: dict) -> str:
    nat = e["nat"]
    if nat is None:
        return "not installed (the nat extra) | -"
    return f"{nat.seconds:.2f} ({nat.peak_rss_mb:.0f}) | {nat.seconds / e['seconds']:.1f}x"


def commands(rows: list[dict]) -> list[str]:
    out = []
    for r in rows:
        out += [r[k].command for k in ("pairs", "trajectories", "jsonl", "parquet") if k in r]
        if "e2e" in r:
            out += r["e2e"]["commands"] + [r["e2e"]["baseline"].command, r["e2e"]["parse"].command]
            out += [r["e2e"]["nat"].command] if r["e2e"]["nat"] else []
        if "e2e_small" in r:
            out += r["e2e_small"]["commands"]
    return out


if __name__ == "__main__":
    args = measure.scale_args(__doc__)
    result = run(args.scales, args.reps, args.data)
    print("\n".join(table(result) + [""] + e2e_table(result)))
