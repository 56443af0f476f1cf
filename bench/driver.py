"""Library calls the benchmarks time in a fresh process: python bench/driver.py OP ARGS.

Each op prints one JSON line with `seconds`: the time of the library call
itself (store open to close), without interpreter start-up, which the
caller's wall clock includes.

  ingest DB FILE [RUN_ID]   store.ingest_nat_eval (+ close: checkpoint)
  pairs DB [RUN_ID]         the pair query run to completion in DuckDB, rows in output order
  trajectories DB           store.trajectories(): NAT's TrajectoryCollection in memory
  parquet DB OUT            DuckDB COPY of the pair rows to Parquet (library, no CLI)
  pairs_arrow DB            store.pairs_arrow() read to the end, each batch dropped once counted
  dataset DB FORMAT         store.dataset(options=ExportOptions(format=FORMAT)): a DatasetDict in memory
  trajectories_validated DB the collection of `trajectories`, built as before the fast path (issue 14):
                            store.iter_pairs() and validating constructors, one object at a time
The data API ops import pyarrow/datasets before the clock starts (a process that uses
them has them loaded); `import_seconds` says what that took.
  parse FILE                DuckDB's JSON reader over a NAT file, nothing kept: the least any
                            ingest of it must do (the floor under end-to-end times)

Memory limit: $PREFSTORE_MEMORY_LIMIT, else the CLI's default.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

try:
    import prefstore  # noqa: F401
except ImportError:  # not installed: use the checkout's src/
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from prefstore import PreferenceStore, queries  # noqa: E402
from prefstore.cli import DEFAULT_MEMORY_LIMIT  # noqa: E402
from prefstore.models import PairConfig  # noqa: E402
from prefstore.pairs import pair_params, query_name  # noqa: E402


def _open(db: str, read_only: bool) -> PreferenceStore:
    return PreferenceStore(db, read_only=read_only,
                           memory_limit=os.environ.get("PREFSTORE_MEMORY_LIMIT") or DEFAULT_MEMORY_LIMIT)


def ingest(db: str, file: str, run_id: str | None = None) -> dict:
    start = time.perf_counter()
    with _open(db, False) as store:
        report = store.ingest_nat_eval(file, run_id=run_id)
    return {"seconds": time.perf_counter() - start, "candidates": report.candidates, "status": report.status}


def pairs(db: str, run_id: str | None = None) -> dict:
    """Every pair row computed and kept in order (a temp table), as an export does before writing."""
    start = time.perf_counter()
    config = PairConfig()
    with _open(db, True) as store, store.cursor() as cur:
        name = query_name(config)
        params = queries.bind(name, pair_params(config, [run_id] if run_id else None))
        cur.execute(f"CREATE TEMP TABLE bench_pairs AS {queries.text(name)}", params)
        (n,) = cur.execute("SELECT count(*) FROM bench_pairs").fetchone()
    return {"seconds": time.perf_counter() - start, "pairs": n}


def trajectories(db: str) -> dict:
    start = time.perf_counter()
    with _open(db, True) as store:
        collection = store.trajectories()
    n = sum(len(group) for group in collection.trajectories)
    return {"seconds": time.perf_counter() - start, "trajectories": n}


def parquet(db: str, out: str) -> dict:
    start = time.perf_counter()
    config = PairConfig()
    with _open(db, True) as store, store.cursor() as cur:
        name = query_name(config)
        params = queries.bind(name, pair_params(config, None))
        cur.sql(queries.text(name), params=params).write_parquet(out)
    return {"seconds": time.perf_counter() - start}


def pairs_arrow(db: str) -> dict:
    imported = _preload("pyarrow")
    start = time.perf_counter()
    with _open(db, True) as store:
        pairs = batches = 0
        for batch in store.pairs_arrow():
            pairs += batch.num_rows
            batches += 1
    return {"seconds": time.perf_counter() - start, "pairs": pairs, "batches": batches, "import_seconds": imported}


def dataset(db: str, fmt: str = "trl") -> dict:
    from prefstore.models import ExportOptions
    imported = _preload("pyarrow", "datasets")
    start = time.perf_counter()
    with _open(db, True) as store:
        ds = store.dataset(options=ExportOptions(format=fmt))
    return {"seconds": time.perf_counter() - start, "rows": {name: split.num_rows for name, split in ds.items()},
            "import_seconds": imported}


def trajectories_validated(db: str) -> dict:
    from prefstore.models import DPOItem, Trajectory, TrajectoryCollection
    start = time.perf_counter()
    with _open(db, True) as store:
        groups, current = [], None
        for pair in store.iter_pairs():
            if pair.example_id != current:
                groups.append([])
                current = pair.example_id
            metadata = {"dpo_type": "preference_pair", "score_diff": pair.score_diff, "example_id": pair.example_id,
                        "turn_id": pair.turn_id, "chosen_score": pair.chosen_score,
                        "rejected_score": pair.rejected_score, "chosen_index": pair.chosen_index,
                        "rejected_index": pair.rejected_index, "chosen_raw_metadata": pair.chosen_metadata,
                        "rejected_raw_metadata": pair.rejected_metadata, "run_id": pair.run_id}
            item = DPOItem(prompt=pair.prompt, chosen_response=pair.chosen_response,
                           rejected_response=pair.rejected_response)
            groups[-1].append(Trajectory(episode=[item], reward=pair.reward, metadata=metadata))
        collection = TrajectoryCollection(trajectories=groups, run_id=",".join(r["run_id"] for r in store.runs()))
    n = sum(len(group) for group in collection.trajectories)
    return {"seconds": time.perf_counter() - start, "trajectories": n}


def _preload(*modules: str) -> float:
    import importlib  # noqa: PLC0415
    start = time.perf_counter()
    for module in modules:
        importlib.import_module(module)
    return time.perf_counter() - start


def parse(file: str) -> dict:
    """Each item's id and steps parsed as JSON and counted: one pass of the parser, no transform."""
    import duckdb  # noqa: PLC0415
    start = time.perf_counter()
    (n,) = duckdb.connect().execute(
        "SELECT count(*) FROM read_json($path, format = 'array', maximum_object_size = 1073741824, "
        "columns = {'id': 'JSON', 'intermediate_steps': 'JSON'})", {"path": file}).fetchall()[0]
    return {"seconds": time.perf_counter() - start, "items": n}


OPS = {"ingest": ingest, "pairs": pairs, "trajectories": trajectories, "parquet": parquet, "parse": parse,
       "pairs_arrow": pairs_arrow, "dataset": dataset, "trajectories_validated": trajectories_validated}

if __name__ == "__main__":
    if len(sys.argv) < 3 or sys.argv[1] not in OPS:
        sys.exit(__doc__)
    print(json.dumps(OPS[sys.argv[1]](*sys.argv[2:])))
