"""The Python data API (issue 14): pairs as Arrow, a TRL dataset, NAT trajectories.

    python bench/bench_data_api.py [--scales S,M] [--reps 3] [--data /tmp/bench-data]

Per scale, on a store holding that scale's run (ingested once, untimed), each figure in a fresh
process (bench/driver.py), so its peak RSS is that call's own:
  pairs_arrow    store.pairs_arrow() read to the end, batches dropped as read (the stream's memory)
  dataset trl    store.dataset(options=ExportOptions(format="trl")): a DatasetDict in memory
  trajectories   store.trajectories(): NAT's TrajectoryCollection (S only, as bench_pairs_export)
  validated      the same collection built as before issue 14 (store.iter_pairs() and validating
                 constructors, one object at a time): the figure trajectories is compared with
Seconds are the call's own (bench/driver.py: store open to close; pyarrow and datasets imported
before the clock starts, as in a process that already uses them); "process s" is the whole
command, interpreter start and imports included.
"""

from __future__ import annotations

from pathlib import Path

import measure

TRAJECTORY_SCALES = ("demo", "S")
# (scale, figure) -> (limit, unit): the targets of issue 14
TARGETS = {
    ("S", "pairs_arrow"): (0.8, "s"),
    ("S", "dataset"): (2.0, "s"),
    ("S", "trajectories"): (1.7, "s"),
    ("M", "dataset"): (15.0, "s"),
    ("M", "pairs_arrow_rss"): (1536, "MB"),
}
SPEEDUP_TARGET = 3.0  # trajectories vs validated


def run(scales: list[str], reps: int, data: Path) -> list[dict]:
    rows = []
    for scale in scales:
        _, db = measure.ingested_store(scale, data, "data-api")
        driver = measure.BENCH / "driver.py"
        row: dict = {"scale": scale}
        row["pairs_arrow"] = measure.measure(measure.python(driver, "pairs_arrow", db), reps)
        row["dataset"] = measure.measure(measure.python(driver, "dataset", db, "trl"), reps)
        if scale in TRAJECTORY_SCALES:
            row["trajectories"] = measure.measure(measure.python(driver, "trajectories", db), reps)
            row["validated"] = measure.measure(measure.python(driver, "trajectories_validated", db), reps)
        measure.remove_store(db)
        rows.append(row)
    return rows


FIGURES = (("pairs_arrow", "pairs_arrow (read through)"), ("dataset", "dataset(trl)"),
           ("trajectories", "trajectories()"), ("validated", "trajectories, validated (before)"))


def table(rows: list[dict]) -> list[str]:
    lines = ["| scale | call | rows | call s (runs) | process s | peak RSS MB |", "|---|---|---:|---:|---:|---:|"]
    for r in rows:
        for key, label in FIGURES:
            if key not in r:
                continue
            m = r[key]
            lines.append(f"| {r['scale']} | {label} | {_rows(key, m):,} | {m.reported('seconds'):.2f} "
                         f"({_spread(m)}) | {m.seconds:.2f} | {m.peak_rss_mb:.0f} |")
    return lines


def verdicts(rows: list[dict]) -> list[str]:
    out = []
    for r in rows:
        scale = r["scale"]
        for (target_scale, figure), (limit, unit) in TARGETS.items():
            if target_scale != scale:
                continue
            key = figure.removesuffix("_rss")
            m = r[key]
            value = m.peak_rss_mb if unit == "MB" else m.reported("seconds")
            what = "peak RSS" if unit == "MB" else "call"
            out.append(_verdict(value < limit, f"data API {scale}: {dict(FIGURES)[key]} {what} "
                                               f"{value:.2f} {unit} (target < {limit:g} {unit})"))
        if "trajectories" in r:
            speedup = r["validated"].reported("seconds") / r["trajectories"].reported("seconds")
            out.append(_verdict(speedup >= SPEEDUP_TARGET,
                                f"data API {scale}: trajectories() {speedup:.1f}x faster than building them "
                                f"validated (target >= {SPEEDUP_TARGET:g}x)"))
    return out


def commands(rows: list[dict]) -> list[str]:
    return [r[key].command for r in rows for key, _ in FIGURES if key in r]


def _rows(key: str, m: measure.Measured) -> int:
    import json
    report = json.loads(m.stdout)
    if key == "dataset":
        return sum(report["rows"].values())
    return report.get("pairs") or report.get("trajectories") or 0


def _spread(m: measure.Measured) -> str:
    import json
    values = [json.loads(o)["seconds"] for o in m.outputs]
    return f"{min(values):.2f}-{max(values):.2f}"


def _verdict(ok: bool, text: str) -> str:
    return f"- {'PASS' if ok else 'MISS'}: {text}"


if __name__ == "__main__":
    args = measure.scale_args(__doc__)
    result = run(args.scales, args.reps, args.data)
    print("\n".join(table(result) + [""] + verdicts(result) + [""] + commands(result)))
