"""In-process ingest of NAT objects vs the same data through workflow_output.json.

    python bench/bench_nat_items.py [--items N] [--repeat R] [--seed S]

Needs the `nat` extra (nvidia-nat-core). Builds N NAT `EvalInputItem`s whose
`trajectory` holds real `IntermediateStep` models (TTC_START, TTC_END of two
step names, LLM_END noise: the shape `prefstore.sample_data` generates,
re-validated the way NAT's evaluation hands them to a trajectory builder),
then times, each on a fresh store, best of R:

  in-process   store.ingest_nat_items(items, run_id=...)  (what the NAT plugin does)
  write file   NAT's publish_eval_input serialization (model_dump + json.dumps indent=2) to disk
  file ingest  store.ingest_nat_eval(workflow_output.json, run_id=...)

Both stores must hold the same candidates (checked). The issue requires
in-process <= file ingest (the file ingest alone, not counting writing the
file); the script exits 1 if that does not hold.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import tempfile
import time
from pathlib import Path

try:
    from prefstore import PreferenceStore, sample_data
except ImportError:  # not installed: use the checkout's src/
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
    from prefstore import PreferenceStore, sample_data

from nat.data_models.evaluator import EvalInputItem
from nat.data_models.intermediate_step import IntermediateStep

SAME = "SELECT * EXCLUDE (seq) FROM candidates ORDER BY seq"


def nat_items(source: Path) -> list[EvalInputItem]:
    """NAT objects as evaluation leaves them (steps re-validated from python dumps)."""
    rows = json.loads(source.read_text(encoding="utf-8"))
    return [
        EvalInputItem(
            id=row["id"], input_obj=row["question"], expected_output_obj=row["answer"],
            output_obj=row["generated_answer"], full_dataset_entry={},
            trajectory=[IntermediateStep.model_validate(step) for step in row["intermediate_steps"]])
        for row in rows
    ]


def write_workflow_output(items: list[EvalInputItem], path: Path) -> None:
    """What NAT's DatasetHandler.publish_eval_input writes (TTC steps included by the filter)."""
    data = [{
        "id": item.id, "question": item.input_obj, "answer": item.expected_output_obj,
        "generated_answer": item.output_obj,
        "intermediate_steps": [step.model_dump() for step in item.trajectory],
        "expected_intermediate_steps": [],
    } for item in items]
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False, default=str), encoding="utf-8")


def best_of(repeat: int, fn) -> tuple[float, object]:
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=2000, help="NAT items (examples); default 2000")
    parser.add_argument("--repeat", type=int, default=5, help="runs per measurement, best kept")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)

    spec = dataclasses.replace(sample_data.SCALES["S"], n_items=args.items, seed=args.seed)
    with tempfile.TemporaryDirectory(prefix="bench-nat-items-") as tmp:
        tmpdir = Path(tmp)
        source = tmpdir / "generated.json"
        sample_data.write_nat_eval(source, spec)
        items = nat_items(source)
        source.unlink()
        n_steps = sum(len(item.trajectory) for item in items)

        counter = iter(range(10 ** 6))

        def fresh_path() -> Path:
            return tmpdir / f"s{next(counter)}.duckdb"

        def in_process() -> Path:
            with PreferenceStore(path := fresh_path()) as store:
                store.ingest_nat_items(items, run_id="r")
            return path

        workflow_output = tmpdir / "workflow_output.json"
        t_write, _ = best_of(args.repeat, lambda: write_workflow_output(items, workflow_output))

        def from_file() -> Path:
            with PreferenceStore(path := fresh_path()) as store:
                store.ingest_nat_eval(workflow_output, run_id="r")
            return path

        # interleaved, so load from other processes hits both sides alike; each
        # timing is the ingest call on a fresh store file, opening and closing included
        t_file = t_mem = float("inf")
        for _ in range(args.repeat):
            elapsed, file_store = best_of(1, from_file)
            t_file = min(t_file, elapsed)
            elapsed, mem_store = best_of(1, in_process)
            t_mem = min(t_mem, elapsed)
        with PreferenceStore(file_store, read_only=True) as a, PreferenceStore(mem_store, read_only=True) as b:
            file_rows, mem_rows = a.query(SAME)[1], b.query(SAME)[1]
        if mem_rows != file_rows:
            print("FAIL: in-process and file ingest stored different candidates")
            return 1

        size_mb = workflow_output.stat().st_size / 1e6
        print(f"items {len(items):,}  steps {n_steps:,}  candidates {len(mem_rows):,}  "
              f"workflow_output.json {size_mb:,.1f} MB  (best of {args.repeat})")
        print(f"in-process ingest_nat_items      {t_mem:8.3f} s")
        print(f"write workflow_output.json       {t_write:8.3f} s")
        print(f"ingest_nat_eval(file)            {t_file:8.3f} s")
        print(f"write + file ingest              {t_write + t_file:8.3f} s")
        verdict = "PASS" if t_mem <= t_file else "FAIL"
        print(f"{verdict}: in-process / file ingest = {t_mem / t_file:.2f}x, "
              f"in-process / (write + file ingest) = {t_mem / (t_write + t_file):.2f}x")
        return 0 if verdict == "PASS" else 1


if __name__ == "__main__":
    sys.exit(main())
