"""Run every benchmark and write bench/RESULTS.md (`make bench`).

    python bench/run_all.py [--scales S,M,L,many] [--reps 3]
                            [--only ingest,pairs,pairquery,incremental,storage,data,review,decisions]
                            [--data /tmp/bench-data] [--out bench/RESULTS.md] [--keep-data]

Inputs are generated into --data (bench/gen_nat.py; reused if present) and,
unless --keep-data, the multi-GB ones (M, L) are deleted at the end. Every
figure in the output comes from this run; the commands are listed with them.
"""

from __future__ import annotations

import argparse
import datetime
import shlex
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_data_api  # noqa: E402
import bench_decisions  # noqa: E402
import bench_incremental  # noqa: E402
import bench_ingest  # noqa: E402
import bench_pair_queries  # noqa: E402
import bench_pairs_export  # noqa: E402
import bench_review  # noqa: E402
import bench_storage  # noqa: E402
import measure  # noqa: E402

ALL = ("ingest", "pairs", "pairquery", "incremental", "storage", "data", "review", "decisions")
STORAGE_SCALES = ("S", "M")
DATA_API_SCALES = ("S", "M")
DECISIONS_SCALES = ("S",)
PAIRQUERY_SCALES = ("S", "M", "many")  # L's 12M wide rows held in a temp table four times over say nothing new
TARGET_INGEST_MB_S = 150
TARGET_RSS_MB = 2048


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", default="S,M,L,many", help="comma-separated presets (default S,M,L,many)")
    parser.add_argument("--reps", type=int, default=3, help="runs per measurement; medians are reported")
    parser.add_argument("--reps-big", type=int, default=None, help="runs per measurement for M and L (default --reps)")
    parser.add_argument("--only", default=",".join(ALL), help=f"benchmarks to run (default {','.join(ALL)})")
    parser.add_argument("--incremental-runs", type=int, default=50)
    parser.add_argument("--data", type=Path, default=measure.DEFAULT_DATA, help="where inputs and stores go")
    parser.add_argument("--out", type=Path, default=measure.BENCH / "RESULTS.md")
    parser.add_argument("--keep-data", action="store_true", help="keep the generated M and L inputs")
    args = parser.parse_args(argv)
    scales = [s for s in args.scales.split(",") if s]
    only = set(args.only.split(","))
    unknown = only - set(ALL)
    if unknown:
        parser.error(f"--only: unknown {', '.join(sorted(unknown))}; choose from {', '.join(ALL)}")

    def reps(scale: str) -> int:
        return args.reps_big if args.reps_big and scale in ("M", "L") else args.reps

    started = time.time()
    info = measure.machine()
    sections: list[str] = []
    commands: list[str] = []
    verdicts: list[str] = []
    try:
        if "ingest" in only:
            _log("ingest", scales)
            rows = [r for s in scales for r in bench_ingest.run([s], reps(s), args.data)]
            sections += ["## Ingest", "", *bench_ingest.table(rows), ""]
            commands += bench_ingest.commands(rows)
            verdicts += _ingest_verdicts(rows)
        if "pairs" in only:
            _log("pairs and export", scales)
            rows = [r for s in scales for r in bench_pairs_export.run([s], reps(s), args.data)]
            sections += ["## Pairs, trajectories and export", "", *bench_pairs_export.table(rows), "",
                         "## End to end: NAT file to training JSONL, against the in-memory baseline", "",
                         *bench_pairs_export.e2e_table(rows), ""]
            commands += bench_pairs_export.commands(rows)
            verdicts += _pairs_verdicts(rows)
        pairquery_scales = [s for s in scales if s in PAIRQUERY_SCALES]
        if "pairquery" in only and pairquery_scales:
            _log("pair queries by mode and scope", pairquery_scales)
            rows = bench_pair_queries.run(pairquery_scales, args.reps, args.data)
            sections += ["## Pair queries by mode and scope (one query per mode; the scope is a parameter)", "",
                         *bench_pair_queries.table(rows), ""]
            commands += sorted({r["command"] for r in rows})
        if "incremental" in only:
            _log("incremental", [f"{args.incremental_runs} x S"])
            result = bench_incremental.run(args.incremental_runs, args.reps, args.data)
            sections += ["## Incremental ingest", "", *bench_incremental.table(result), ""]
            commands += bench_incremental.commands(result)
            ratio = result["into_full"].seconds / result["into_empty"].seconds
            verdicts.append(_verdict(ratio <= 1.25, f"incremental: one S run into {args.incremental_runs} runs costs "
                                                    f"{ratio:.2f}x an empty store (target <= 1.25)"))
        storage_scales = [s for s in scales if s in STORAGE_SCALES]
        if "storage" in only and storage_scales:
            _log("storage", storage_scales)
            rows = bench_storage.run(storage_scales, args.reps, args.data)
            sections += ["## Storage: prompts inline or normalized", "", *bench_storage.table(rows), ""]
            commands += [f"python bench/bench_storage.py --scales {','.join(storage_scales)} --reps {args.reps}"]
            for r in rows:
                verdicts.append(_verdict(r["store_mb"] < r["input_mb"] / 4,
                                         f"storage {r['scale']}: store {r['store_mb']:.1f} MB for "
                                         f"{r['input_mb']:.0f} MB of input"))
        data_scales = [s for s in scales if s in DATA_API_SCALES]
        if "data" in only and data_scales:
            _log("data API", data_scales)
            rows = [r for s in data_scales for r in bench_data_api.run([s], reps(s), args.data)]
            sections += ["## Python data API: Arrow, datasets, trajectories", "", *bench_data_api.table(rows), ""]
            commands += bench_data_api.commands(rows)
            verdicts += bench_data_api.verdicts(rows)
        review_scales = [s for s in scales if s in bench_review.REVIEW_SCALES]
        if "review" in only and review_scales:
            _log("review page", review_scales)
            rows = bench_review.run_scales(review_scales, args.reps, args.data)
            sections += ["## Review page (`prefstore review`, over HTTP)", ""]
            for r in rows:
                sections += [f"{r['scale']}:", "", *bench_review.table(r), ""]
            commands += bench_review.commands(rows)
            verdicts += [_verdict(ok, text) for ok, text in bench_review.verdicts(rows)]
        decision_scales = [s for s in scales if s in DECISIONS_SCALES]
        if "decisions" in only and decision_scales:
            _log("decisions", decision_scales)
            rows = bench_decisions.run(decision_scales, args.reps, args.data)
            sections += ["## Decisions: an export with decisions in force, and without", "",
                         *bench_decisions.table(rows), ""]
            commands += bench_decisions.commands(rows)
    finally:
        if not args.keep_data:
            for scale in ("M", "L"):
                (args.data / f"{scale}.json").unlink(missing_ok=True)
            for store in args.data.glob("incremental-*.duckdb"):
                measure.remove_store(store)

    elapsed = time.time() - started
    text = _document(info, args, argv, elapsed, verdicts, sections, commands)
    args.out.write_text(text, encoding="utf-8")
    print(text)
    return 0


def _ingest_verdicts(rows: list[dict]) -> list[str]:
    out = []
    for r in rows:
        if r["scale"] in ("S", "M"):
            out.append(_verdict(r["lib_mb_s"] >= TARGET_INGEST_MB_S,
                                f"ingest {r['scale']}: {r['lib_mb_s']:.0f} MB/s for the ingest call, "
                                f"{r['cli_mb_s']:.0f} MB/s for the whole CLI command (target >= {TARGET_INGEST_MB_S})"))
        if r["scale"] in ("M", "L"):
            peak = max(r["cli"].peak_rss_mb, r["lib"].peak_rss_mb)
            out.append(_verdict(peak < TARGET_RSS_MB, f"ingest {r['scale']}: peak RSS {peak:.0f} MB (target < 2 GB)"))
    return out


def _pairs_verdicts(rows: list[dict]) -> list[str]:
    out = []
    for r in rows:
        if "e2e" in r and r["scale"] == "S":
            e = r["e2e"]
            out.append(_verdict(e["speedup"] >= 25 and e["memory_ratio"] <= 1 / 3,
                                f"end to end S: {e['speedup']:.1f}x faster than the baseline (target >= 25x), "
                                f"{e['memory_ratio']:.2f} of its peak memory (target <= 0.33); 25x would be "
                                f"{e['baseline'].seconds / 25:.2f} s, and DuckDB's JSON parser alone reads the "
                                f"file in {e['parse'].reported('seconds'):.2f} s"
                                + (f"; NAT's own builder takes {e['nat'].seconds:.2f} s "
                                   f"({e['nat'].seconds / e['seconds']:.1f}x prefstore's time)" if e["nat"] else "")))
        if "e2e_small" in r:
            e = r["e2e_small"]
            out.append(_verdict(e["speedup"] >= 25 and e["memory_ratio"] <= 1 / 3,
                                f"end to end S with --memory-limit {e['memory_limit']}: {e['speedup']:.1f}x faster "
                                f"than the baseline, {e['memory_ratio']:.2f} of its peak memory (the same targets)"))
        if r["scale"] == "L":
            peak = r["jsonl"].peak_rss_mb
            out.append(_verdict(r["jsonl"].seconds < 60 and peak < TARGET_RSS_MB,
                                f"L: pairs and export of {r['pairs'].reported('pairs'):,.0f} pairs to JSONL "
                                f"{r['jsonl'].seconds:.1f} s (the export command computes the pairs; Parquet "
                                f"{r['parquet'].seconds:.1f} s), peak RSS {peak:.0f} MB (target < 60 s, < 2 GB)"))
    return out


def _verdict(ok: bool, text: str) -> str:
    return f"- {'PASS' if ok else 'MISS'}: {text}"


def _log(what: str, scales: list[str]) -> None:
    print(f"[bench] {what}: {', '.join(scales)} ({datetime.datetime.now():%H:%M:%S})", file=sys.stderr, flush=True)


def _git_commit() -> str:
    try:
        return subprocess.run(["git", "-C", str(measure.REPO), "rev-parse", "--short", "HEAD"],
                              capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def _document(info, args, argv, elapsed, verdicts, sections, commands) -> str:
    command = shlex.join(["python", "bench/run_all.py", *(argv if argv is not None else sys.argv[1:])])
    head = [
        "# prefstore benchmark results",
        "",
        "Written by `bench/run_all.py`; every figure below is what that run measured (medians of "
        f"{args.reps} runs{f' ({args.reps_big} for M and L)' if args.reps_big else ''}, each in a fresh process; peak RSS is the process's own maximum resident set, "
        "as `/usr/bin/time -v` reports it). Re-run with `make bench`. See bench/README.md for what each "
        "figure means.",
        "",
        f"- date: {datetime.datetime.now().astimezone():%Y-%m-%d %H:%M %Z} ({elapsed / 60:.0f} min)",
        f"- command: `{command}`",
        f"- code: git {_git_commit()} (plus any uncommitted changes in the work tree)",
        f"- machine: {info['cpu']}, {info['memory']} RAM, {info['os']}",
        f"- software: Python {info['python']}, DuckDB {info['duckdb']}",
        f"- load average when it started: {info['load_at_start']} (other work on the machine makes times noisy)",
        "- CLI memory limit: the default (`--memory-limit 1GB`)",
        "",
        "## Targets",
        "",
        *verdicts,
        "",
    ]
    tail = ["## Commands", "", "Each was run as shown from the repository root, inputs in "
            f"`{args.data}` (generated by `python bench/gen_nat.py --scale SCALE {args.data}/SCALE.json`).", "",
            "```", *dict.fromkeys(commands), "```", ""]
    return "\n".join(head + sections + tail)


if __name__ == "__main__":
    sys.exit(main())
