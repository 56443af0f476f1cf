"""Each pair query (mode x scope) computed to completion on one store: median seconds.

Usage: python bench/bench_pair_queries.py DB [--reps N] [--runs ID,...]
       (bench/run_all.py --only pairquery: on a fresh store of each scale, as a table)

For every combination of exhaustive / best-vs-worst and turn / prompt scope,
the pair query for that PairConfig runs to completion inside DuckDB (rows kept
in output order in a temp table, as an export does before writing), N times
in one process after one warm-up run. Prints one JSON line per query:
`mode`, `scope`, `query` (the sql/ file), `pairs`, `median_seconds`,
`min_seconds`, `max_seconds`. Run it against two checkouts (PYTHONPATH=...)
to compare query versions on the same store.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

try:
    import prefstore  # noqa: F401
except ImportError:  # not installed: use the checkout's src/
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from prefstore import PreferenceStore, queries  # noqa: E402
from prefstore.models import PairConfig  # noqa: E402
from prefstore.pairs import pair_params, query_name  # noqa: E402


def time_query(store: PreferenceStore, config: PairConfig, runs: list[str] | None, reps: int) -> dict:
    name = query_name(config)
    params = queries.bind(name, pair_params(config, runs))
    times = []
    pairs = 0
    for rep in range(reps + 1):  # the first run warms caches and is not counted
        with store.cursor() as cur:
            start = time.perf_counter()
            cur.execute(f"CREATE OR REPLACE TEMP TABLE bench_pairs AS {queries.text(name)}", params)
            elapsed = time.perf_counter() - start
            (pairs,) = cur.execute("SELECT count(*) FROM bench_pairs").fetchone()
        if rep:
            times.append(elapsed)
    return {"mode": config.mode, "scope": config.pair_scope, "query": f"sql/{name}.sql", "pairs": pairs,
            "median_seconds": round(statistics.median(times), 4),
            "min_seconds": round(min(times), 4), "max_seconds": round(max(times), 4)}


def run(scales: list[str], reps: int, data: Path) -> list[dict]:
    """For run_all.py: each scale ingested into a fresh store, then this script on it in one process."""
    import measure  # bench/measure.py (run_all puts bench/ on the path)

    rows = []
    for scale in scales:
        _, db = measure.ingested_store(scale, data, "pairquery")
        done = measure.measure(measure.python(Path(__file__), db, "--reps", reps), 1)
        rows += [{"scale": scale, "command": done.command, **json.loads(line)} for line in done.stdout.splitlines()]
        measure.remove_store(db)
    return rows


def table(rows: list[dict]) -> list[str]:
    lines = ["| scale | mode | scope | query | pairs | median s (range) |", "|---|---|---|---|---:|---:|"]
    lines += [f"| {r['scale']} | {r['mode']} | {r['scope']} | `{r['query']}` | {r['pairs']:,} | "
              f"{r['median_seconds']:.3f} ({r['min_seconds']:.3f}-{r['max_seconds']:.3f}) |" for r in rows]
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("db")
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--runs", default=None, help="comma-separated run ids (default: every run)")
    args = parser.parse_args(argv)
    runs = args.runs.split(",") if args.runs else None
    with PreferenceStore(args.db, read_only=True, memory_limit="1GB") as store:
        for exhaustive in (True, False):
            for scope in ("turn", "prompt"):
                config = PairConfig(exhaustive_pairs=exhaustive, pair_scope=scope)
                print(json.dumps(time_query(store, config, runs, args.reps)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
